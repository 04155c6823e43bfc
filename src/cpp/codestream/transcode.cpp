// Re-layout without decoding (see transcode.hpp). Packet places come from the one
// packet walk (codestream/packets.hpp packet_prefix), the target order from the
// same geometry (packet_orders), so what is written is what our reader reads.
#include "codestream/transcode.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <tuple>

#include "codestream/header.hpp"
#include "codestream/layers.hpp"
#include "codestream/markers.hpp"
#include "codestream/packets.hpp"
#include "codestream/tileparts.hpp"
#include "core/bytes.hpp"
#include "core/errors.hpp"

namespace htj2k {
namespace {

std::string str(uint64_t v) { return std::to_string(v); }

[[noreturn]] void refuse(const std::string& why) { throw UnsupportedCodestream("cannot transcode: " + why); }

struct Span {
  size_t begin = 0, end = 0;
};

// One tile-part to write: the packets [first, last) of its tile in the new order.
struct OutPart {
  uint32_t tile = 0;
  uint8_t tpsot = 0, tnsot = 1;
  size_t first = 0, last = 0;
  std::vector<uint8_t> plt;  // its PLT segments, when written
  uint64_t body = 0;         // packet bytes
  uint64_t header = 0;       // tile-part header segments after SOT (first tile-part: the input's)
  uint64_t psot() const { return 12 + header + plt.size() + 2 + body; }
};

void check_input(const CodestreamHeader& h, const TranscodeOptions& o) {
  if (h.truncated || !h.has_eoc) throw InvalidCodestream("codestream truncated: no EOC after the last tile-part");
  if (h.cod.layers != 1)
    refuse(str(h.cod.layers) + " quality layers (packets are moved with one; layers=k joins the first k into one)");
  if (h.has_poc) refuse("a POC marker (progression changes)");
  if (h.has_ppm) refuse("a PPM marker (packet headers in the main header)");
  if (h.has_plm) refuse("a PLM marker (packet lengths in the main header)");
  for (const TilePartInfo& tp : h.tile_parts)
    for (const std::string& m : tp.header_markers)
      if (m == "COD" || m == "COC" || m == "POC" || m == "PPT")
        refuse(m + " in the tile-part header of tile " + str(tp.tile));
  if (h.cod.sop && o.progression >= 0 && o.progression != h.cod.progression)
    refuse("SOP markers (their packet sequence numbers would change)");
  if (o.progression > 4) throw InvalidArgument("progression " + str(uint64_t(o.progression)) + " (0..4)");
}

// Every packet of tile t by (component, resolution, precinct): its bytes in `cs`.
std::map<std::tuple<uint32_t, uint32_t, uint32_t>, Span> packet_places(const TilePrefix& tile, uint32_t t) {
  std::map<std::tuple<uint32_t, uint32_t, uint32_t>, Span> at;
  size_t last_with_cb = tile.order.size();
  for (size_t i = tile.order.size(); i-- > 0;)
    if (tile.order[i].has_cb) {
      last_with_cb = i;
      break;
    }
  for (size_t i = 0; i < tile.order.size(); ++i) {
    const PacketEntry& p = tile.order[i];
    if (!p.has_cb && i < last_with_cb && last_with_cb < tile.order.size())
      refuse("tile " + str(t) + ", component " + str(p.component) + ", resolution " + str(p.resolution) +
             ": a precinct without code-blocks comes before packets with code-blocks");
    if (!p.has_cb) continue;  // no bytes (OpenJPH writes no header for it)
    if (i >= tile.parsed.size()) throw InvalidCodestream("tile " + str(t) + ": packet data ends early");
    at[{p.component, p.resolution, p.precinct}] = Span{tile.parsed[i].begin, tile.parsed[i].end};
  }
  return at;
}

// PLT (A.7.3): Zplt, then each packet's length in 7-bit groups, most significant
// first, bit 7 set on every byte but the last; segments of at most 65535 bytes.
std::vector<uint8_t> plt_segments(const std::vector<uint64_t>& lengths) {
  std::vector<uint8_t> out, seg;
  uint32_t z = 0;
  auto flush = [&]() {
    if (z > 255) refuse("more than 256 PLT segments in one tile-part");
    put16(out, kPLT);
    put16(out, uint32_t(seg.size() + 3));
    out.push_back(uint8_t(z++));
    out.insert(out.end(), seg.begin(), seg.end());
    seg.clear();
  };
  for (uint64_t len : lengths) {
    uint8_t groups[10];
    int n = 0;
    do {
      groups[n++] = uint8_t(len & 0x7F);
      len >>= 7;
    } while (len);
    if (seg.size() + size_t(n) > 0xFFFF - 3) flush();
    for (int k = n; k-- > 0;) seg.push_back(uint8_t(groups[k] | (k ? 0x80 : 0)));
  }
  if (!seg.empty() || z == 0) flush();
  return out;
}

// Copies the marker segments in [begin, end) except PLT.
void copy_without_plt(std::vector<uint8_t>& out, const uint8_t* cs, size_t begin, size_t end) {
  for (size_t q = begin; q + 2 <= end;) {
    const uint16_t m = be16(cs + q);
    const size_t len = is_lengthless(m) ? 2 : 2 + size_t(be16(cs + q + 2));
    if (m != kPLT) out.insert(out.end(), cs + q, cs + std::min(end, q + len));
    q += len;
  }
}

// Long by nature: one pass from the input's packets to the output codestream, each
// step (main header, order, tile-part plan, PLT, TLM, tile-parts) beside the next.
std::vector<uint8_t> write(const uint8_t* cs, const CodestreamHeader& h, const std::vector<TilePrefix>& tiles,
                           const TranscodeOptions& o, TilePartDivision division, bool tlm, bool plt) {
  CodestreamHeader target = h;
  if (o.progression >= 0) target.cod.progression = uint8_t(o.progression);
  if (const char* why = tile_part_division_refusal(target.cod.progression, division)) refuse(why);
  uint64_t packets = 0;
  for (const TilePrefix& t : tiles) packets = std::max<uint64_t>(packets, t.order.size());
  const std::vector<std::vector<PacketEntry>> orders = packet_orders(target, packets + 1);
  uint32_t nres = 1;
  for (uint32_t c = 0; c < h.components.size(); ++c) nres = std::max<uint32_t>(nres, h.style_for(c).levels + 1u);
  const TilePartRule rule(target.cod.progression, division, nres, uint32_t(h.components.size()));
  if (rule.count() > 255) refuse(str(rule.count()) + " tile-parts per tile (" + division.name() + "); TPsot allows 255");
  // per tile: the packets' bytes in the new order
  std::vector<std::vector<Span>> spans(tiles.size());
  std::vector<std::vector<uint32_t>> part_of(tiles.size());  // tile-part of each packet written
  std::vector<OutPart> parts;
  for (size_t t = 0; t < tiles.size(); ++t) {
    const auto at = packet_places(tiles[t], uint32_t(t));
    for (const PacketEntry& p : orders[t]) {
      if (!p.has_cb) continue;
      const auto it = at.find({p.component, p.resolution, p.precinct});
      if (it == at.end()) throw InvalidCodestream("tile " + str(t) + ": a packet of the new order was not read");
      spans[t].push_back(it->second);
      part_of[t].push_back(rule.index(p.resolution, p.component));
    }
  }
  // tile-parts, division-major across tiles (codestream/tileparts.hpp TilePartRule)
  std::vector<std::vector<size_t>> starts(tiles.size());
  for (size_t t = 0; t < tiles.size(); ++t) starts[t] = tile_part_starts(rule, part_of[t], t);
  for (uint32_t r = 0; r < rule.count(); ++r)
    for (size_t t = 0; t < tiles.size(); ++t) {
      OutPart part;
      part.tile = uint32_t(t);
      part.tpsot = uint8_t(r);
      part.tnsot = uint8_t(rule.count());
      part.first = starts[t][r];
      part.last = starts[t][r + 1];
      std::vector<uint64_t> lengths;
      for (size_t i = part.first; i < part.last; ++i) {
        const uint64_t n = spans[t][i].end - spans[t][i].begin;
        part.body += n;
        lengths.push_back(n);
      }
      if (r == 0) {
        std::vector<uint8_t> hdr;
        copy_without_plt(hdr, cs, tiles[t].header_begin, tiles[t].header_end);
        part.header = hdr.size();
      }
      if (plt) part.plt = plt_segments(lengths);
      if (part.psot() > 0xFFFFFFFFu) refuse("tile-part " + str(r) + " of tile " + str(t) + " exceeds 2^32 bytes");
      parts.push_back(std::move(part));
    }
  std::vector<uint8_t> out;
  put16(out, kSOC);
  size_t cod_at = 0;
  for (size_t q = 2; q + 2 <= h.main_header_length;) {  // main header without TLM/PLT
    const uint16_t m = be16(cs + q);
    const size_t len = is_lengthless(m) ? 2 : 2 + size_t(be16(cs + q + 2));
    if (m == kCOD) cod_at = out.size();
    if (m != kTLM) out.insert(out.end(), cs + q, cs + q + len);
    q += len;
  }
  out[cod_at + 5] = target.cod.progression;  // Sgcod: Scod, then the progression order
  if (tlm) {
    std::vector<TlmEntry> entries;
    for (const OutPart& p : parts) entries.push_back(TlmEntry{p.tile, uint32_t(p.psot())});
    write_tlm(out, entries, tiles.size());
  }
  for (const OutPart& p : parts) {
    write_sot(out, p.tile, uint32_t(p.psot()), p.tpsot, p.tnsot);
    if (p.tpsot == 0) copy_without_plt(out, cs, tiles[p.tile].header_begin, tiles[p.tile].header_end);
    out.insert(out.end(), p.plt.begin(), p.plt.end());
    put16(out, kSOD);
    for (size_t i = p.first; i < p.last;) {  // contiguous runs copied at once
      size_t j = i + 1;
      while (j < p.last && spans[p.tile][j].begin == spans[p.tile][j - 1].end) ++j;
      out.insert(out.end(), cs + spans[p.tile][i].begin, cs + spans[p.tile][j - 1].end);
      i = j;
    }
  }
  put16(out, kEOC);
  return out;
}

}  // namespace

std::vector<uint8_t> transcode(const uint8_t* cs, size_t size, const TranscodeOptions& o) {
  const CodestreamHeader input = parse_header(cs, size);
  // Several layers: joined into one first; what the input has (TLM, PLT, its
  // tile-parts) still decides the options left as they are.
  std::vector<uint8_t> joined;
  if (o.layers && input.cod.layers > 1) {
    joined = flatten_layers(cs, size, input, o.layers);
    cs = joined.data();
    size = joined.size();
  }
  const CodestreamHeader h = joined.empty() ? input : parse_header(cs, size);
  check_input(h, o);
  const std::vector<TilePrefix> tiles = packet_prefix(cs, size, h);
  // what the input has, for options left as they are
  const uint64_t num_tiles = tiles.size();
  uint32_t nres = 1;
  for (uint32_t c = 0; c < h.components.size(); ++c) nres = std::max<uint32_t>(nres, h.style_for(c).levels + 1u);
  std::vector<uint32_t> per_tile(size_t(num_tiles), 0);
  for (const TilePartInfo& tp : input.tile_parts)
    if (tp.tile < num_tiles) ++per_tile[tp.tile];
  TilePartDivision division = detect_division(input.cod.progression, per_tile, nres, uint32_t(h.components.size()));
  if (o.tile_parts >= 0) division = TilePartDivision{(o.tile_parts & 1) != 0, (o.tile_parts & 2) != 0};
  const bool tlm = o.tlm < 0 ? input.has_tlm : o.tlm == 1;
  const bool plt = o.plt < 0 ? input.has_plt : o.plt == 1;
  return write(cs, h, tiles, o, division, tlm, plt);
}

}  // namespace htj2k
