// PacketChecker (packet_checker.hpp): reading packet headers (15444-1 B.10) and
// the code-block contributions they announce, tile by tile.
#include "codestream/packet_checker.hpp"

namespace htj2k {
namespace packets_internal {

std::string PacketChecker::describe(const Context& x) const {
  std::string s = "packet of tile " + str(x.tile) + ", component " + str(x.g->c) + ", resolution " + str(x.g->r) +
                  ", precinct " + str(u64(x.pk->py) * x.g->npx + x.pk->px);
  if (x.band >= 0)
    s += ", band " + std::string(kBandName[x.g->band[x.band].kind]) + " code-block (" + str(x.cbx) + "," +
         str(x.cby) + ")";
  return s;
}

std::string PacketChecker::part_end(const Context& x) const {
  return "tile-part " + str(x.part->tpsot) + " ends at byte " + str(x.part->end);
}

size_t PacketChecker::parse_packet(Context& x, size_t pos) {
  const ResGeom& g = *x.g;
  const CodingStyle& st = *style_[g.c];
  const size_t end = x.part->end;
  const size_t start = pos;
  // SOP (optional per packet when Scod allows it): FF91, Lsop = 4, Nsop.
  if (st.sop && end - pos >= 2 && be16(cs_ + pos) == kSOP) {
    if (end - pos < 6) fail(x, pos, "SOP marker segment runs past the end of the tile-part (" + part_end(x) + ")");
    const uint16_t lsop = be16(cs_ + pos + 2);
    if (lsop != 4) fail(x, pos, "SOP length " + str(lsop) + " (must be 4)");
    pos += 6;
  }
  Bits b{cs_, pos, end};
  u64 body = 0;  // code-block bytes declared by the header
  blocks_.clear();
  if (bit(b, x)) {  // zero-length packet bit: 1 = non-empty
    for (unsigned k = 0; k < g.nbands; ++k) {
      u64 cx0, cy0, ncx, ncy;
      if (!precinct_blocks(g, g.band[k], g.kx0 + x.pk->px, g.ky0 + x.pk->py, cx0, cy0, ncx, ncy)) continue;
      x.band = int(k);
      parse_band(x, b, g.band[k], cx0, cy0, ncx, ncy, body);
    }
    x.band = -1;
  }
  // The header ends on a byte boundary; a final 0xFF is followed by a stuffed byte.
  if (b.after_ff) next_byte(b, x);
  pos = b.pos;
  if (st.eph) {
    if (end - pos < 2 || be16(cs_ + pos) != kEPH)
      fail(x, pos, end - pos < 2 ? "EPH marker missing: the tile-part ends (" + part_end(x) + ")"
                                 : "EPH marker expected after the packet header (Scod bit 2), found 0x" +
                                       hex2(cs_[pos]) + hex2(cs_[pos + 1]));
    pos += 2;
  }
  if (body > end - pos)
    fail(x, start,
         "packet header (" + str(pos - start) + " bytes) declares " + str(body) + " bytes of code-block data, only " +
             str(end - pos) + " are left (" + part_end(x) + ")");
  check_cleanup_segments(x, pos);
  return pos + size_t(body);
}

void PacketChecker::check_cleanup_segments(Context& x, size_t pos) {
  for (Block& blk : blocks_) {
    blk.offset = pos;
    x.band = blk.band;
    x.cbx = blk.cbx;
    x.cby = blk.cby;
    if (blk.len0 < 2) fail(x, pos, "HT cleanup segment of " + str(blk.len0) + " bytes (at least 2)");
    const size_t last = pos + size_t(blk.len0) - 1;
    const unsigned scup = (unsigned(cs_[last]) << 4) | (cs_[last - 1] & 15u);
    if (scup < 2 || scup > std::min<u64>(blk.len0, 4079))
      fail(x, last - 1, "HT cleanup segment of " + str(blk.len0) + " bytes ends with Scup " + str(scup) +
                            " (must be 2.." + str(std::min<u64>(blk.len0, 4079)) + ")");
    if (mel_) check_mel_start(x, pos, size_t(blk.len0), scup);
    pos += size_t(blk.len0 + blk.len1);
  }
  x.band = -1;
}

void PacketChecker::check_mel_start(const Context& x, size_t seg, size_t lcup, unsigned scup) const {
  size_t p = seg + lcup - scup;
  int left = int(scup) - 1;
  bool unstuff = false;
  for (int i = 0; i < 4; ++i) {
    if (unstuff && cs_[p] > 0x8F)
      fail(x, p, "HT MEL segment (Scup " + str(scup) + ") has byte 0x" + hex2(cs_[p]) +
                     " after one read as 0xFF, where a stuffed 0 bit is required (15444-15 MEL "
                     "bit-stuffing; OpenJPEG 2.5.0 asserts on it)");
    unsigned d = left > 0 ? cs_[p] : 0xFFu;
    if (left == 1) d |= 0xFu;
    if (left > 0) ++p;
    --left;
    unstuff = d == 0xFFu;
  }
}

// Long by nature: the code-block loop of one band in a packet header, in the order of
// the standard's syntax (15444-1 B.10.2-B.10.8; HT: 15444-15 Annex B).
void PacketChecker::parse_band(Context& x, Bits& b, const BandGeom& bd, u64 cx0, u64 cy0, u64 ncx, u64 ncy, u64& body) {
  const unsigned levels = 1 + std::max(ceil_log2(ncx), ceil_log2(ncy));
  // Nodes above the leaves only (a leaf is visited once): level k has
  // ceil(ncx/2^k) x ceil(ncy/2^k) nodes. inc: 0 unknown, 1 value 0 (included),
  // 2 value >= 1 (not in layer 0). zbp: 0xFFFF unknown, else the value.
  size_t nodes = 0;
  for (unsigned k = 1; k < levels; ++k) {
    off_[k] = nodes;
    nodes += size_t(ceil_shift(ncx, k) * ceil_shift(ncy, k));
  }
  inc_.assign(nodes, 0);
  zbp_.assign(nodes, 0xFFFF);
  const size_t end = x.part->end;
  // (OpenJPEG: tile-part QCD/QCC may change Mb, and OpenJPEG refuses too many
  // missing bit-planes itself, so only the absolute bound applies; code_blocks: RGN
  // or tile-part QCD/QCC may raise Mb.)
  const int limit = bd.mb >= 0 && !opj_ && !loose_mb_ ? bd.mb : kMaxMagnitudeBits;
  for (u64 y = 0; y < ncy; ++y) {
    for (u64 xx = 0; xx < ncx;) {
      x.cbx = cx0 + xx;
      x.cby = cy0 + y;
      // Inclusion: walk down from the root; a node not in layer 0 excludes every
      // leaf below it, so the rest of its span on this row is skipped at once.
      bool included = true;
      unsigned skip_level = 0;
      for (unsigned k = levels; k-- > 0;) {
        if (k == 0) {
          included = bit(b, x) != 0;
          break;
        }
        uint8_t& node = inc_[off_[k] + size_t((y >> k) * ceil_shift(ncx, k) + (xx >> k))];
        if (node == 0) node = bit(b, x) ? 1 : 2;
        if (node == 2) {
          included = false;
          skip_level = k;
          break;
        }
      }
      if (!included) {
        xx = skip_level ? ((xx >> skip_level) + 1) << skip_level : xx + 1;
        continue;
      }
      // Zero bit-planes: each node's value is at least its parent's; 0 bits count up.
      unsigned value = 0;
      for (unsigned k = levels; k-- > 0;) {
        uint16_t* node = k ? &zbp_[off_[k] + size_t((y >> k) * ceil_shift(ncx, k) + (xx >> k))] : nullptr;
        if (node && *node != 0xFFFF) {
          value = *node;
          continue;
        }
        value += zeros_then_one(b, x, unsigned(limit) + 1 - value);
        if (int(value) > limit)
          fail(x, b.pos, "more than " + str(unsigned(limit)) + " missing bit-planes (the band has " +
                             str(unsigned(limit)) + " magnitude bit-planes)");
        if (node) *node = uint16_t(value);
      }
      // Number of coding passes (Table B.4).
      unsigned passes = 1;
      if (bit(b, x)) {
        passes = 2;
        if (bit(b, x)) {
          const unsigned v2 = bits(b, 2, x);
          passes = 3 + v2;
          if (v2 == 3) {
            const unsigned v5 = bits(b, 5, x);
            passes = 6 + v5;
            if (v5 == 31) passes = 37 + bits(b, 7, x);
          }
        }
      }
      // Lblock (comma code), then the HT segment lengths: the cleanup segment
      // (with any placeholder passes before it) and, for 2 or 3 passes of the
      // last HT set, the SigProp/MagRef segment.
      const unsigned lblock = 3 + ones_then_zero(b, x, 30);
      if (lblock > 32) fail(x, b.pos, "Lblock grows past 32 bits: code-block lengths cannot be that wide");
      unsigned bits0 = lblock, bits1 = 0;
      if (passes > 3 && opj_)
        throw UnsupportedCodestream(describe(x) + " at byte " + str(b.pos) + ": " + str(passes) +
                                    " coding passes (HT placeholder passes); OpenJPEG decodes at most 3");
      if (passes > 3) {
        // Read per the standard: when the rest is well-formed, the codestream is
        // valid and only the linked OpenJPH cannot read it.
        placeholders_ = true;
        if (!kOjphReadsPlaceholderPasses)
          unsupported(describe(x) + " at byte " + str(b.pos) + ": " + str(passes) +
                      " coding passes (HT placeholder passes); " + kOjph + " reads their lengths wrongly");
        const unsigned placeholder = 3 * ((passes - 1) / 3), rest = passes - placeholder;
        bits0 = lblock + floor_log2(placeholder + 1);
        if (rest > 1) bits1 = lblock + floor_log2(rest - 1);
      } else if (passes > 1) {
        bits1 = lblock + (passes == 3 ? 1 : 0);
      }
      if (bits0 > 32 || bits1 > 32)
        fail(x, b.pos, "a code-block length field of " + str(std::max(bits0, bits1)) + " bits (at most 32)");
      const u64 len0 = bits(b, bits0, x);
      const u64 len1 = bits1 ? bits(b, bits1, x) : 0;
      body += len0 + len1;
      blocks_.emplace_back();
      Block& blk = blocks_.back();
      blk.len0 = len0;
      blk.len1 = len1;
      blk.band = uint8_t(x.band);
      blk.cbx = x.cbx;
      blk.cby = x.cby;
      blk.zbp = value;
      blk.passes = passes;
      // Early, precise refusal: the header only grows from here.
      if (body > end - b.pos)
        fail(x, b.pos,
             "code-block declares " + str(len0 + len1) + " bytes (" + str(passes) + " passes, lengths " + str(len0) +
                 (bits1 ? " + " + str(len1) : std::string()) + "); with the code-blocks before it the packet needs " +
                 str(body) + ", only " + str(end - b.pos) + " are left (" + part_end(x) + ")");
      ++xx;
    }
  }
}

void PacketChecker::check_tile(uint32_t t, const std::vector<Part>& parts) {
  tile_geometry(t);
  u64 data_bytes = 0;
  for (const Part& p : parts) data_bytes += p.end - p.begin;
  order_packets(t, data_bytes);
  if (packets_.empty()) return;
  size_t last_with_cb = packets_.size();
  for (size_t i = packets_.size(); i-- > 0;)
    if (packets_[i].has_cb) {
      last_with_cb = i;
      break;
    }
  if (last_with_cb == packets_.size()) return;  // no code-blocks at all: no header is read
  if (parts.empty()) throw InvalidCodestream("tile " + str(t) + " has no tile-parts");
  // A precinct without code-blocks has a packet header in the standard (its
  // zero-length bit: one byte at least), but OpenJPH reads none for it, so its
  // view of every later packet of the tile is shifted. Harmless when no packet
  // with code-blocks follows (the byte is left over at the end) and when the
  // two readings assign the same bytes to the same code-blocks (e.g. only empty
  // packets follow); otherwise the codestream is valid but OpenJPH misreads it.
  size_t quirk = packets_.size();
  for (size_t i = 0; i < last_with_cb && quirk == packets_.size(); ++i)
    if (!packets_[i].has_cb) quirk = i;
  const bool compare = !opj_ && quirk < packets_.size();
  std::vector<Block> standard, ojph;
  walk_tile(t, parts, false, compare ? &standard : nullptr, last_with_cb);
  if (!compare) return;
  bool same = false;
  // What OpenJPH's (shifted) reading finds is not news: neither its refusals nor the
  // placeholder passes it may seem to see (FrameDecoder would re-code those, for ever).
  const std::string before = unsupported_;
  const bool placeholders_before = placeholders_;
  try {
    walk_tile(t, parts, true, &ojph, last_with_cb);
    same = ojph == standard;
  } catch (const Error&) {
  }
  unsupported_ = before;
  placeholders_ = placeholders_before;
  if (!same) {
    Context x;
    x.tile = t;
    x.g = &res_[packets_[quirk].res];
    x.pk = &packets_[quirk];
    unsupported(describe(x) + ": the precinct has no code-blocks; " + kOjph +
                " skips its packet header, which the standard requires, and misreads the packets after it");
  }
}

}  // namespace packets_internal
}  // namespace htj2k
