// Prefixes of a codestream (see prefix.hpp). Written from ISO/IEC 15444-1 A.4.2
// (SOT), A.7.1 (TLM), B.10.3 (a zero-length packet: its first header bit 0) and
// B.12 (progression orders), with SOP/EPH (A.8) kept in the empty packets when
// Scod asks for them.
#include "codestream/prefix.hpp"

#include <algorithm>
#include <string>

#include "codestream/markers.hpp"
#include "core/bytes.hpp"
#include "core/errors.hpp"

namespace htj2k {
namespace {

std::string str(uint64_t v) { return std::to_string(v); }

// Copies the marker segments in [begin, end) of `cs` except those with code `drop1`/`drop2`.
void copy_segments(std::vector<uint8_t>& out, const uint8_t* cs, size_t begin, size_t end, uint16_t drop1,
                   uint16_t drop2) {
  size_t q = begin;
  while (q + 2 <= end) {
    const uint16_t m = be16(cs + q);
    const size_t len = is_lengthless(m) ? 2 : 2 + size_t(be16(cs + q + 2));
    if (m != drop1 && m != drop2) out.insert(out.end(), cs + q, cs + std::min(end, q + len));
    q += len;
  }
}

}  // namespace

CodestreamPrefix::CodestreamPrefix(const uint8_t* cs, size_t size, const CodestreamHeader& h, size_t offset)
    : cs_(cs), size_(size), h_(h), offset_(offset) {
  if (h.cod.layers != 1)
    throw UnsupportedCodestream("prefix of a codestream with " + str(h.cod.layers) +
                                " quality layers (the packet walk reads one)");
  if (h.has_poc) throw UnsupportedCodestream("prefix of a codestream with POC (progression changes)");
  if (h.has_ppm) throw UnsupportedCodestream("prefix of a codestream with PPM (packet headers in the main header)");
  for (const TilePartInfo& tp : h.tile_parts)
    for (const std::string& m : tp.header_markers)
      if (m == "PPT" || m == "POC" || m == "COD" || m == "COC")
        throw UnsupportedCodestream("prefix of a codestream with " + m + " in a tile-part header");
  levels_ = h.cod.levels;
  for (uint32_t c = 0; c < h.components.size(); ++c) levels_ = std::min<uint32_t>(levels_, h.style_for(c).levels);
  tiles_ = packet_prefix(cs, size, h);
  end_.assign(levels_ + 1, 0);
  complete_.assign(levels_ + 1, false);
  ends_from_packets();
  ends_from_tlm();
}

// Level r needs, of component c, the packets of resolutions 0..L_c - r: a packet
// of resolution q is needed by levels 0..L_c - q.
void CodestreamPrefix::ends_from_packets() {
  kept_.assign(tiles_.size(), std::vector<size_t>(levels_ + 1, 0));
  std::vector<uint64_t> end(levels_ + 1, 0);
  std::vector<bool> complete(levels_ + 1, !tiles_.empty());
  for (size_t t = 0; t < tiles_.size(); ++t) {
    const TilePrefix& tile = tiles_[t];
    std::vector<size_t>& kept = kept_[t];
    for (size_t i = 0; i < tile.order.size(); ++i) {
      const PacketEntry& p = tile.order[i];
      if (!p.has_cb) continue;
      const uint32_t lc = h_.style_for(p.component).levels;
      const uint32_t up_to = std::min<uint32_t>(levels_, lc - std::min<uint32_t>(lc, p.resolution));
      for (uint32_t r = 0; r <= up_to; ++r) kept[r] = i + 1;
    }
    for (uint32_t r = 0; r <= levels_; ++r) {
      if (!tile.header || kept[r] > tile.parsed.size()) {
        complete[r] = false;
        continue;
      }
      end[r] = std::max<uint64_t>(end[r], kept[r] ? tile.parsed[kept[r] - 1].end : tile.body_begin);
    }
  }
  for (uint32_t r = 0; r <= levels_; ++r) {
    complete_[r] = complete[r];
    if (complete[r]) end_[r] = end[r];
  }
}

// For levels the data does not hold: with TLM, where their tile-parts end, when
// every tile has one tile-part per resolution level (TPsot = resolution) and the
// progression keeps resolutions contiguous (LRCP/RLCP with one layer, RPCL).
void CodestreamPrefix::ends_from_tlm() {
  if (!h_.has_tlm || !h_.tlm_ok || h_.tlm.empty() || h_.cod.progression > 2) return;
  for (uint32_t c = 0; c < h_.components.size(); ++c)
    if (h_.style_for(c).levels != levels_) return;
  const size_t ntiles = tiles_.size();
  std::vector<std::vector<uint64_t>> part_end(ntiles);  // tile-part ends per tile, in order
  uint64_t pos = h_.main_header_length;
  for (const TlmEntry& e : h_.tlm) {
    if (e.tile >= ntiles || e.length < 14) return;
    pos += e.length;
    part_end[e.tile].push_back(pos);
  }
  for (const auto& ends : part_end)
    if (ends.size() != levels_ + 1) return;
  for (uint32_t r = 0; r <= levels_; ++r) {
    if (complete_[r]) continue;
    uint64_t end = 0;
    for (const auto& ends : part_end) end = std::max(end, ends[levels_ - r]);
    end_[r] = end;
  }
}

int CodestreamPrefix::best() const {
  for (uint32_t r = 0; r <= levels_; ++r)
    if (complete_[r]) return int(r);
  return -1;
}

void CodestreamPrefix::throw_incomplete(uint32_t r) const {
  const uint64_t have = offset_ + size_;
  std::string msg = "codestream incomplete: the " + str(have) + " bytes given do not hold level " + str(r);
  if (end_[r]) msg += ", which needs the first " + str(end_[r] + offset_) + " bytes (from TLM)";
  const int b = best();
  msg += b < 0 ? "; they hold no level" : "; they hold levels " + str(uint32_t(b)) + ".." + str(levels_);
  throw IncompleteCodestream(msg, needed(r));
}

std::vector<uint8_t> CodestreamPrefix::completed(uint32_t r) const {
  if (!complete(r)) throw_incomplete(r);
  std::vector<uint8_t> out;
  out.reserve(size_ + 64);
  put16(out, kSOC);
  copy_segments(out, cs_, 2, h_.main_header_length, kTLM, kPLM);
  const CodingStyle& st = h_.cod;
  for (size_t t = 0; t < tiles_.size(); ++t) {
    const TilePrefix& tile = tiles_[t];
    const size_t sot = out.size();
    put16(out, kSOT);
    put16(out, 10);
    put16(out, uint32_t(t));
    put16(out, 0);  // Psot, set below
    put16(out, 0);
    out.push_back(0);  // TPsot
    out.push_back(1);  // TNsot
    copy_segments(out, cs_, tile.header_begin, tile.header_end, kPLT, kPLT);
    put16(out, kSOD);
    const size_t kept = kept_[t][r];
    for (size_t i = 0; i < kept;) {  // contiguous runs of kept packets
      size_t j = i + 1;
      while (j < kept && tile.parsed[j].begin == tile.parsed[j - 1].end) ++j;
      out.insert(out.end(), cs_ + tile.parsed[i].begin, cs_ + tile.parsed[j - 1].end);
      i = j;
    }
    for (size_t i = kept; i < tile.order.size(); ++i) {  // empty packets
      if (st.sop) {
        put16(out, kSOP);
        put16(out, 4);
        put16(out, uint32_t(i & 0xFFFF));  // Nsop: the packet's index in the tile, modulo 2^16
      }
      out.push_back(0);
      if (st.eph) put16(out, kEPH);
    }
    const uint64_t psot = out.size() - sot;
    if (psot > 0xFFFFFFFFu) throw UnsupportedCodestream("tile " + str(t) + " exceeds 2^32 bytes");
    for (int k = 0; k < 4; ++k) out[sot + 6 + size_t(k)] = uint8_t(psot >> (24 - 8 * k));
  }
  put16(out, kEOC);
  return out;
}

}  // namespace htj2k
