// Tile-part writer (see tileparts.hpp). Written from ISO/IEC 15444-1 A.4.2 (SOT:
// Lsot 10, Isot, Psot = bytes from the first byte of SOT to the end of the tile-part's
// data, TPsot, TNsot), A.4.3 (SOD), A.7.1 (TLM: Ltlm, Ztlm, Stlm with ST in bits
// 4-5 and SP in bit 6, then Ttlm (ST bytes) and Ptlm (2 or 4 bytes) per tile-part in
// codestream order) and B.12 (progression orders). The packet boundaries come from
// the one packet walk (codestream/packets.hpp packet_spans).
#include "codestream/tileparts.hpp"

#include <algorithm>
#include <string>

#include "codestream/header.hpp"
#include "codestream/markers.hpp"
#include "codestream/packets.hpp"
#include "core/bytes.hpp"
#include "core/errors.hpp"

namespace htj2k {
namespace {

std::string str(uint64_t v) { return std::to_string(v); }

[[noreturn]] void refuse(const std::string& why) {
  throw UnsupportedCodestream("cannot re-emit the tile-parts: " + why);
}

// What the rewrite cannot carry over unchanged, refused naming the feature.
void check_input(const CodestreamHeader& h, const TilePartLayout& layout, uint64_t num_tiles) {
  if (h.truncated || !h.has_eoc) throw InvalidCodestream("codestream truncated: no EOC after the last tile-part");
  if (h.cod.layers != 1) refuse(str(h.cod.layers) + " quality layers (the packet walk reads one)");
  if (h.has_poc) refuse("a POC marker (progression changes)");
  if (h.has_ppm) refuse("a PPM marker (packet headers in the main header)");
  if (h.has_plm || h.has_plt) refuse("packet lengths (PLM/PLT) would need splitting");
  if (h.has_tlm) refuse("the codestream already has a TLM marker");
  if (const char* why = tile_part_division_refusal(h.cod.progression, layout.division)) refuse(why);
  std::vector<uint32_t> count(size_t(num_tiles), 0);
  for (const TilePartInfo& tp : h.tile_parts) {
    if (tp.tile >= num_tiles) throw InvalidCodestream("tile-part of tile " + str(tp.tile) + ": no such tile");
    if (++count[tp.tile] > 1) refuse("tile " + str(tp.tile) + " already has several tile-parts");
    for (const std::string& m : tp.header_markers)
      if (m == "COD" || m == "COC" || m == "POC" || m == "PPT" || m == "PLT")
        refuse(m + " in the tile-part header of tile " + str(tp.tile));
  }
  for (uint64_t t = 0; t < num_tiles; ++t)
    if (!count[size_t(t)]) throw InvalidCodestream("codestream incomplete: tile " + str(t) + " has no tile-parts");
}

struct OutPart {
  uint32_t tile = 0;
  uint8_t tpsot = 0, tnsot = 1;
  const uint8_t* header = nullptr;  // tile-part header segments after SOT (first tile-part only)
  size_t header_len = 0;
  size_t begin = 0, end = 0;  // packet data in the input
  uint64_t psot() const { return 12 + header_len + 2 + (end - begin); }
};

// The tile-parts to write, in codestream order: division-major across tiles.
std::vector<OutPart> plan(const uint8_t* cs, const CodestreamHeader& h, const std::vector<TilePackets>& spans,
                          const TilePartLayout& layout) {
  uint32_t nres = 1;
  for (uint32_t c = 0; c < h.components.size(); ++c) nres = std::max<uint32_t>(nres, h.style_for(c).levels + 1u);
  const TilePartRule rule(h.cod.progression, layout.division, nres, uint32_t(h.components.size()));
  const uint32_t count = rule.count();
  if (count > 255) refuse(str(count) + " tile-parts per tile (" + layout.division.name() + "); TPsot allows 255");
  const size_t num_tiles = spans.size();
  std::vector<std::vector<size_t>> bounds(num_tiles);
  std::vector<const TilePartInfo*> original(num_tiles, nullptr);
  for (const TilePartInfo& tp : h.tile_parts) original[tp.tile] = &tp;
  for (size_t t = 0; t < num_tiles; ++t) {
    // byte offsets: tile-part k is [bounds[k], bounds[k + 1]); bytes after the last
    // packet read (headers of packets without code-blocks) stay with its tile-part
    const std::vector<PacketSpan>& packets = spans[t].packets;
    std::vector<uint32_t> part_of;
    for (const PacketSpan& p : packets) part_of.push_back(rule.index(p.resolution, p.component));
    const std::vector<size_t> start = tile_part_starts(rule, part_of, t);
    bounds[t].resize(count + 1);
    for (uint32_t k = 0; k <= count; ++k)
      bounds[t][k] = k == 0 ? spans[t].body_begin : start[k] < packets.size() ? packets[start[k]].begin : spans[t].body_end;
  }
  std::vector<OutPart> parts;
  for (uint32_t k = 0; k < count; ++k)
    for (size_t t = 0; t < num_tiles; ++t) {
      OutPart p;
      p.tile = uint32_t(t);
      p.tpsot = uint8_t(k);
      p.tnsot = uint8_t(count);
      if (k == 0) {  // the original tile-part header's segments, between SOT and SOD
        p.header = cs + original[t]->offset + 12;
        p.header_len = spans[t].body_begin - 2 - (original[t]->offset + 12);
      }
      p.begin = bounds[t][k];
      p.end = bounds[t][k + 1];
      if (p.psot() > 0xFFFFFFFFu) refuse("tile-part " + str(k) + " of tile " + str(t) + " exceeds 2^32 bytes");
      parts.push_back(p);
    }
  return parts;
}

}  // namespace

void write_sot(std::vector<uint8_t>& out, uint32_t tile, uint32_t psot, uint8_t tpsot, uint8_t tnsot) {
  put16(out, kSOT);
  put16(out, 10);
  put16(out, tile);
  put32(out, psot);
  out.push_back(tpsot);
  out.push_back(tnsot);
}

void write_tlm(std::vector<uint8_t>& out, const std::vector<TlmEntry>& parts, uint64_t num_tiles) {
  const unsigned st = num_tiles <= 255 ? 1 : 2;
  bool small = true;
  for (const TlmEntry& p : parts) small = small && p.length <= 0xFFFF;
  const unsigned sp = small ? 0 : 1;
  const size_t entry = st + (sp ? 4 : 2);
  const size_t per_segment = (0xFFFF - 4) / entry;
  const size_t segments = (parts.size() + per_segment - 1) / per_segment;
  if (segments > 256) refuse(str(parts.size()) + " tile-parts are more than 256 TLM segments can list");
  for (size_t s = 0; s < segments; ++s) {
    const size_t first = s * per_segment, n = std::min(per_segment, parts.size() - first);
    put16(out, kTLM);
    put16(out, uint32_t(4 + n * entry));
    out.push_back(uint8_t(s));                       // Ztlm
    out.push_back(uint8_t((sp << 6) | (st << 4)));  // Stlm
    for (size_t i = first; i < first + n; ++i) {
      if (st == 1) out.push_back(uint8_t(parts[i].tile));
      else put16(out, parts[i].tile);
      if (sp) put32(out, parts[i].length);
      else put16(out, parts[i].length);
    }
  }
}

const char* tile_part_division_refusal(uint8_t prog, TilePartDivision d) {
  switch (prog) {
    case 0:  // LRCP: with one layer, resolution-major like RLCP
    case 1:
      return nullptr;
    case 2:
      return d.component ? "component tile-part divisions with RPCL: its packets of one component are spread over "
                           "every precinct position, a tile-part per precinct (use 'R', or CPRL, LRCP or RLCP)"
                         : nullptr;
    case 3:
      if (d.component)
        return "component tile-part divisions with PCRL: its packets of one component are spread over every "
               "precinct position, a tile-part per precinct (use CPRL, LRCP or RLCP)";
      return d.resolution ? "a tile-part per resolution with PCRL: its packets of one resolution are spread over "
                            "every precinct position (use RPCL, RLCP or LRCP)"
                          : nullptr;
    default:
      return d.resolution ? "a tile-part per resolution with CPRL: its packets of one resolution are spread over "
                            "every component and precinct position (use RPCL, RLCP or LRCP; or 'C' with CPRL)"
                          : nullptr;
  }
}

TilePartRule::TilePartRule(uint8_t prog, TilePartDivision d, uint32_t num_resolutions, uint32_t num_components)
    : division(d), nres(num_resolutions), nc(num_components) {
  if (prog <= 1 && d.component) division.resolution = true;
}

TilePartDivision detect_division(uint8_t prog, const std::vector<uint32_t>& per_tile, uint32_t nres, uint32_t nc) {
  for (const TilePartDivision d : {TilePartDivision{true, false}, TilePartDivision{false, true},
                                   TilePartDivision{true, true}}) {
    if (tile_part_division_refusal(prog, d)) continue;
    const TilePartRule rule(prog, d, nres, nc);
    if (rule.count() > 1 && !per_tile.empty() &&
        std::all_of(per_tile.begin(), per_tile.end(), [&](uint32_t n) { return n == rule.count(); }))
      return rule.division;
  }
  return TilePartDivision{};
}

std::vector<size_t> tile_part_starts(const TilePartRule& rule, const std::vector<uint32_t>& part_of, uint64_t tile) {
  std::vector<size_t> start(rule.count() + 1, part_of.size());
  start[0] = 0;
  uint32_t prev = 0;
  for (size_t i = 0; i < part_of.size(); ++i) {
    const uint32_t k = part_of[i];
    if (k < prev || k >= rule.count())
      refuse("in tile " + str(tile) + " packet " + str(i) + " (progression order) belongs to tile-part " + str(k) +
             " after one of tile-part " + str(prev) + ": " + rule.division.name() +
             " divisions are not contiguous in this progression");
    for (uint32_t j = prev + 1; j <= k; ++j) start[j] = i;
    prev = k;
  }
  return start;
}

std::vector<uint8_t> rewrite_tile_parts(const uint8_t* cs, size_t size, const TilePartLayout& layout) {
  const CodestreamHeader h = parse_header(cs, size);
  const uint64_t num_tiles = uint64_t(h.num_tiles_x()) * h.num_tiles_y();
  check_input(h, layout, num_tiles);
  const std::vector<TilePackets> spans = packet_spans(cs, size, h);
  const std::vector<OutPart> parts = plan(cs, h, spans, layout);
  uint64_t total = h.main_header_length + 2;
  for (const OutPart& p : parts) total += p.psot() + (layout.tlm ? 6 : 0);
  std::vector<uint8_t> out;
  out.reserve(size_t(total));
  out.insert(out.end(), cs, cs + h.main_header_length);
  if (layout.tlm) {
    std::vector<TlmEntry> entries;
    for (const OutPart& p : parts) entries.push_back(TlmEntry{p.tile, uint32_t(p.psot())});
    write_tlm(out, entries, num_tiles);
  }
  for (const OutPart& p : parts) {
    write_sot(out, p.tile, uint32_t(p.psot()), p.tpsot, p.tnsot);
    out.insert(out.end(), p.header, p.header + p.header_len);
    put16(out, kSOD);
    out.insert(out.end(), cs + p.begin, cs + p.end);
  }
  put16(out, kEOC);
  return out;
}

}  // namespace htj2k
