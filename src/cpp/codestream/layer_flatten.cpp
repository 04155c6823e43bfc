// PacketChecker (packet_checker.hpp): reading the packets of every quality layer
// and writing each precinct's code-block contributions again as one layer
// (codestream/layers.hpp). Written from 15444-1 B.10 (tag trees B.10.2, inclusion
// B.10.4, zero bit-planes B.10.5, coding passes B.10.6, Lblock and lengths B.10.7)
// and 15444-15's HT codeword segments and placeholder passes.
#include "codestream/layer_state.hpp"

#include <memory>

namespace htj2k {
namespace packets_internal {
namespace {

// No code-block has more coding passes than 3 per magnitude bit-plane.
constexpr unsigned kMaxBlockPasses = 3 * kMaxMagnitudeBits;
// Code-blocks tracked per tile: at most this many plus 16 per byte of packet data.
constexpr u64 kBlockAllowance = u64(1) << 22;

}  // namespace


namespace {

// A code-block contribution's segment pieces as the header lists them, assigned
// their bytes once the header is read.
struct Piece {
  LayerBlock* block = nullptr;
  bool cleanup = false;
  uint8_t passes = 0;   // coding passes in the piece
  int pass = 0;         // cleanup: its pass index
  uint32_t length = 0;
  bool keep = false;
};

}  // namespace

void PacketChecker::run_layers(uint32_t keep_layers, std::vector<FlatTile>& out) {
  const u64 num_tiles = u64(h_.num_tiles_x()) * h_.num_tiles_y();
  std::vector<std::vector<Part>> parts(num_tiles);
  out.assign(size_t(num_tiles), FlatTile{});
  set_loose_mb();
  for (const auto& tp : h_.tile_parts) {
    if (tp.tile >= num_tiles) continue;  // parse_header refuses these
    Part p = locate_body(tp);
    if (parts[tp.tile].empty()) {
      out[tp.tile].present = true;
      out[tp.tile].header_begin = tp.offset + 12;
      out[tp.tile].header_end = p.begin - 2;
    }
    parts[tp.tile].push_back(p);
  }
  for (u64 t = 0; t < num_tiles; ++t)
    if (!parts[t].empty()) flatten_tile(uint32_t(t), parts[t], keep_layers, out[t]);
}

// Long by nature: the layered packet order (progression and POC volumes), the walk
// over it, and the one-layer packets written from what it gathered.
void PacketChecker::flatten_tile(uint32_t t, const std::vector<Part>& parts, uint32_t keep_layers, FlatTile& out) {
  tile_geometry(t);
  u64 data_bytes = 0;
  for (const Part& p : parts) data_bytes += p.end - p.begin;
  const uint32_t layers = h_.cod.layers;
  // Precincts by (resolution index, raster index); every packet takes a byte at least.
  std::vector<u64> first(res_.size() + 1, 0);
  for (size_t i = 0; i < res_.size(); ++i) {
    const u64 n = res_[i].npx && res_[i].npy ? res_[i].npx * res_[i].npy : 0;
    first[i + 1] = first[i] + n;
    if (first[i + 1] * layers > data_bytes + u64(res_.size()) * layers)
      throw InvalidCodestream("tile " + str(t) + " has more packets (" + str(first[i + 1]) + " precincts x " +
                              str(layers) + " layers) than its " + str(data_bytes) + " bytes of packet data can hold");
  }
  const u64 precincts = first.back();

  // The packets in codestream order, (precinct, layer): each volume (COD's, or each
  // main-header POC entry) in its progression; a packet walked already is skipped.
  struct Step {
    uint32_t res = 0, px = 0, py = 0;
    uint16_t layer = 0;
  };
  std::vector<Step> steps;
  std::vector<uint16_t> next_layer(size_t(precincts), 0);
  auto add = [&](const PacketRef& pk, uint32_t l) {
    uint16_t& next = next_layer[size_t(first[pk.res] + u64(pk.py) * res_[pk.res].npx + pk.px)];
    if (l < next) return;
    next = uint16_t(l + 1);
    steps.push_back(Step{pk.res, pk.px, pk.py, uint16_t(l)});
  };
  std::vector<ProgressionChange> volumes = pocs_;
  if (volumes.empty()) {
    ProgressionChange all;
    all.res_end = ~0u;
    all.comp_end = ~0u;
    all.layer_end = layers;
    all.progression = h_.cod.progression;
    volumes.push_back(all);
  }
  for (ProgressionChange v : volumes) {
    if (v.comp_end == 0) v.comp_end = ~0u;  // CEpoc 0 means 256 (A.6.6)
    packets_.clear();
    append_volume(v.progression, v.res_start, v.res_end, v.comp_start, v.comp_end, nullptr);
    const uint32_t lend = std::min<uint32_t>(v.layer_end, layers);
    if (v.progression == 0) {  // LRCP: every layer through the RCP order
      for (uint32_t l = 0; l < lend; ++l)
        for (const PacketRef& pk : packets_) add(pk, l);
    } else if (v.progression == 1) {  // RLCP: each resolution's CP order once per layer
      for (size_t i = 0; i < packets_.size();) {
        size_t j = i;
        while (j < packets_.size() && res_[packets_[j].res].r == res_[packets_[i].res].r) ++j;
        for (uint32_t l = 0; l < lend; ++l)
          for (size_t k = i; k < j; ++k) add(packets_[k], l);
        i = j;
      }
    } else {  // RPCL, PCRL, CPRL: the layers of each packet together
      for (const PacketRef& pk : packets_)
        for (uint32_t l = 0; l < lend; ++l) add(pk, l);
    }
  }

  // Read them all.
  std::vector<std::unique_ptr<PrecinctState>> state{size_t(precincts)};
  u64 blocks_tracked = 0;
  const u64 block_limit = kBlockAllowance + 16 * data_bytes;
  size_t pi = 0, pos = parts[0].begin;
  Context x;
  x.tile = t;
  for (size_t s = 0; s < steps.size(); ++s) {
    const Step& st = steps[s];
    const ResGeom& g = res_[st.res];
    const PacketRef pk = make_packet(st.res, st.px, st.py);
    x.g = &g;
    x.pk = &pk;
    x.band = -1;
    while (pos >= parts[pi].end && pi + 1 < parts.size()) pos = parts[++pi].begin;
    x.part = &parts[pi];
    if (pos >= parts[pi].end) {
      // Trailing packets of precincts without code-blocks may be left out.
      for (size_t r = s; r < steps.size(); ++r)
        if (make_packet(steps[r].res, steps[r].px, steps[r].py).has_cb)
          throw InvalidCodestream("tile " + str(t) + ": packet data ends (" + part_end(x) + ") before packet " +
                                  str(s + 1) + " of " + str(steps.size()) + " (" + describe(x) + ", layer " +
                                  str(st.layer) + ")");
      break;
    }
    auto& ps = state[size_t(first[st.res] + u64(st.py) * g.npx + st.px)];
    if (!ps) {
      ps = std::make_unique<PrecinctState>();
      ps->bands.resize(g.nbands);
      for (unsigned k = 0; k < g.nbands; ++k) {
        BandState& b = ps->bands[k];
        if (!precinct_blocks(g, g.band[k], g.kx0 + st.px, g.ky0 + st.py, b.cx0, b.cy0, b.ncx, b.ncy)) continue;
        blocks_tracked += b.ncx * b.ncy;
        if (blocks_tracked > block_limit)
          throw UnsupportedCodestream("tile " + str(t) + ": more than " + str(block_limit) +
                                      " code-blocks to track for its " + str(data_bytes) +
                                      " bytes of packet data (quality layers are joined for at most 2^22 + 16 "
                                      "per byte)");
        b.inclusion.init(b.ncx, b.ncy);
        b.zero_planes.init(b.ncx, b.ncy);
        b.blocks.resize(size_t(b.ncx * b.ncy));
      }
    }
    pos = read_layer_packet(x, pos, *ps, st.layer, st.layer < keep_layers);
  }

  if (h_.has_roi()) undo_roi(t, state, first);

  // Write them as one layer, in COD's progression.
  packets_.clear();
  append_volume(h_.cod.progression, 0, ~0u, 0, ~0u, nullptr);
  for (const PacketRef& pk : packets_)
    write_flat_packet(state[size_t(first[pk.res] + u64(pk.py) * res_[pk.res].npx + pk.px)].get(), pk, out.body);
  // bodies were appended by write_flat_packet right after each header
}

// Long by nature: one packet header of any layer in the order of the standard's
// syntax (B.10), then its bodies.
size_t PacketChecker::read_layer_packet(Context& x, size_t pos, PrecinctState& ps, uint32_t layer, bool keep) {
  const ResGeom& g = *x.g;
  const CodingStyle& st = *style_[g.c];
  const size_t end = x.part->end;
  const size_t start = pos;
  if (st.sop && end - pos >= 2 && be16(cs_ + pos) == kSOP) {
    if (end - pos < 6) fail(x, pos, "SOP marker segment runs past the end of the tile-part (" + part_end(x) + ")");
    if (be16(cs_ + pos + 2) != 4) fail(x, pos, "SOP length " + str(be16(cs_ + pos + 2)) + " (must be 4)");
    pos += 6;
  }
  Bits b{cs_, pos, end};
  std::vector<Piece> pieces;
  if (bit(b, x)) {
    for (unsigned k = 0; k < g.nbands; ++k) {
      BandState& bs = ps.bands[k];
      if (!bs.ncx) continue;
      x.band = int(k);
      const BandGeom& bd = g.band[k];
      const int limit = bd.mb >= 0 && !loose_mb_ ? bd.mb : kMaxMagnitudeBits;
      const unsigned threshold = layer + 1;
      for (u64 y = 0; y < bs.ncy; ++y) {
        for (u64 xx = 0; xx < bs.ncx;) {
          x.cbx = bs.cx0 + xx;
          x.cby = bs.cy0 + y;
          LayerBlock& blk = bs.blocks[size_t(y * bs.ncx + xx)];
          bool included;
          if (blk.included) {
            included = bit(b, x) != 0;
          } else {
            // Inclusion tag tree up to this layer: a node whose value is beyond it
            // excludes every leaf below it (none is included yet), so the rest of its
            // span on this row is skipped at once.
            TagTree& tt = bs.inclusion;
            unsigned parent = 0, stop = 0;
            included = false;
            for (unsigned lv = tt.levels; lv-- > 0;) {
              const size_t i = tt.node(lv, xx, y);
              if (!tt.known[i]) {
                if (tt.low[i] < parent) tt.low[i] = uint16_t(parent);
                while (tt.low[i] < threshold) {
                  if (bit(b, x)) {
                    tt.known[i] = 1;
                    break;
                  }
                  ++tt.low[i];
                }
              }
              if (!tt.known[i] || tt.low[i] >= threshold) {
                stop = lv;
                break;
              }
              parent = tt.low[i];
              if (lv == 0) included = true;
            }
            if (!included) {
              xx = stop ? ((xx >> stop) + 1) << stop : xx + 1;
              continue;
            }
            // First inclusion: its zero bit-planes (B.10.5).
            TagTree& zt = bs.zero_planes;
            unsigned value = 0;
            for (unsigned lv = zt.levels; lv-- > 0;) {
              const size_t i = zt.node(lv, xx, y);
              if (!zt.known[i]) {
                if (zt.low[i] < value) zt.low[i] = uint16_t(value);
                while (!bit(b, x)) {
                  if (++zt.low[i] > unsigned(limit))
                    fail(x, b.pos, "more than " + str(unsigned(limit)) + " missing bit-planes (the band has " +
                                       str(unsigned(limit)) + " magnitude bit-planes)");
                }
                zt.known[i] = 1;
              }
              value = zt.low[i];
            }
            blk.included = true;
            blk.zbp = uint16_t(value);
          }
          if (!included) {
            ++xx;
            continue;
          }
          // Number of coding passes (Table B.4), Lblock (B.10.7.1).
          unsigned n = 1;
          if (bit(b, x)) {
            n = 2;
            if (bit(b, x)) {
              const unsigned v2 = bits(b, 2, x);
              n = 3 + v2;
              if (v2 == 3) {
                const unsigned v5 = bits(b, 5, x);
                n = 6 + v5;
                if (v5 == 31) n = 37 + bits(b, 7, x);
              }
            }
          }
          const unsigned lblock = blk.lblock + ones_then_zero(b, x, 32);
          if (lblock > 32) fail(x, b.pos, "Lblock grows past 32 bits: code-block lengths cannot be that wide");
          blk.lblock = uint8_t(lblock);
          if (blk.passes + n > kMaxBlockPasses)
            fail(x, b.pos, str(blk.passes + n) + " coding passes for one code-block (at most " +
                               str(kMaxBlockPasses) + ")");
          auto field = [&](unsigned width) -> uint32_t {
            if (width > 32) fail(x, b.pos, "a code-block length field of " + str(width) + " bits (at most 32)");
            return bits(b, width, x);
          };
          // The cleanup of HT set p / 3 codes bit-plane Mb - 1 - Zblk - p / 3.
          auto check_set = [&](unsigned p) {
            if (blk.zbp + p / 3 >= unsigned(std::max(limit, 1)) + 1)
              fail(x, b.pos, "HT cleanup pass " + str(p) + " after " + str(blk.zbp) +
                                 " missing bit-planes lies below the band's " + str(unsigned(limit)) +
                                 " magnitude bit-planes");
          };
          // HT codeword segments: a cleanup pass alone, then its SigProp and MagRef
          // together. Before the first cleanup with bytes, passes are placeholders
          // and the lengths read as for one segment of all of them.
          unsigned done = 0;  // passes of this contribution accounted for
          if (blk.placeholder) {
            const unsigned total = blk.passes + n;
            const unsigned after = (total - 1) % 3;  // refinement passes after its last cleanup
            const unsigned upto = n > after ? n - after : 0;  // passes up to that cleanup
            if (upto == 0) {
              if (field(lblock + floor_log2(n)))
                fail(x, b.pos, "placeholder HT passes with bytes (Part 1 data in an HT-only code-block style)");
              done = n;
            } else {
              uint32_t len = field(lblock + floor_log2(upto));
              if (len) {
                blk.placeholder = false;
                check_set(blk.passes + upto - 1);
                pieces.push_back(Piece{&blk, true, 1, int(blk.passes + upto - 1), len, keep});
                done = upto;
              } else {
                // all placeholders: the field is as wide as for all n passes
                const unsigned extra = floor_log2(n) - floor_log2(upto);
                if (extra && field(extra))
                  fail(x, b.pos, "placeholder HT passes with bytes (Part 1 data in an HT-only code-block style)");
                done = n;
              }
            }
          }
          // After a cleanup with bytes: segments follow the pass types.
          while (done < n) {
            const unsigned p = blk.passes + done;  // the next pass: p % 3 == 0 cleanup
            if (p % 3 == 0) {
              check_set(p);
              pieces.push_back(Piece{&blk, true, 1, int(p), field(lblock), keep});
              done += 1;
            } else {
              const unsigned m = std::min(3 - p % 3, n - done);  // SigProp and/or MagRef of its set
              pieces.push_back(Piece{&blk, false, uint8_t(m), int(p), field(lblock + floor_log2(m)), keep});
              done += m;
            }
          }
          blk.passes = uint16_t(blk.passes + n);
          ++xx;
        }
      }
    }
    x.band = -1;
  }
  if (b.after_ff) next_byte(b, x);
  pos = b.pos;
  if (st.eph) {
    if (end - pos < 2 || be16(cs_ + pos) != kEPH)
      fail(x, pos, end - pos < 2 ? "EPH marker missing: the tile-part ends (" + part_end(x) + ")"
                                 : "EPH marker expected after the packet header (Scod bit 2), found 0x" +
                                       hex2(cs_[pos]) + hex2(cs_[pos + 1]));
    pos += 2;
  }
  // Bodies in header order.
  for (const Piece& pc : pieces) {
    if (pc.length > end - pos)
      fail(x, start, "packet header declares " + str(pc.length) + " bytes for a code-block segment, only " +
                         str(end - pos) + " are left (" + part_end(x) + ")");
    LayerBlock& blk = *pc.block;
    if (pc.cleanup) {
      if (pc.length < 2) fail(x, pos, "HT cleanup segment of " + str(pc.length) + " bytes (at least 2)");
      const size_t last = pos + pc.length - 1;
      const unsigned scup = (unsigned(cs_[last]) << 4) | (cs_[last - 1] & 15u);
      if (scup < 2 || scup > std::min<u64>(pc.length, 4079))
        fail(x, last - 1, "HT cleanup segment of " + str(pc.length) + " bytes ends with Scup " + str(scup) +
                              " (must be 2.." + str(std::min<u64>(pc.length, 4079)) + ")");
      if (pc.keep) {
        blk.cleanup_pass = pc.pass;
        blk.cleanup_at = pos;
        blk.cleanup_len = pc.length;
        blk.refine_passes = 0;
        blk.refine.clear();
      }
    } else if (pc.keep && blk.cleanup_pass >= 0) {
      blk.refine_passes = uint8_t(blk.refine_passes + pc.passes);
      if (pc.length) blk.refine.emplace_back(pos, pc.length);
    }
    pos += pc.length;
  }
  return pos;
}

void PacketChecker::write_flat_packet(const PrecinctState* ps, const PacketRef& pk, std::vector<uint8_t>& out) const {
  const ResGeom& g = res_[pk.res];
  using packet_writer::BlockContribution;
  std::vector<std::vector<BlockContribution>> contrib(g.nbands);
  std::vector<packet_writer::BandContributions> bands(g.nbands);
  std::vector<const LayerBlock*> order;  // included blocks in header order
  for (unsigned k = 0; ps && k < g.nbands; ++k) {
    const BandState& bs = ps->bands[k];
    if (!bs.ncx) continue;
    contrib[k].resize(bs.blocks.size());
    for (size_t i = 0; i < bs.blocks.size(); ++i) {
      const LayerBlock& blk = bs.blocks[i];
      BlockContribution& c = contrib[k][i];
      c.included = blk.cleanup_pass >= 0;
      if (!c.included) continue;
      c.zbp = blk.flat_zbp();
      c.cleanup_len = blk.recoded ? blk.recoded_bytes.size() : blk.cleanup_len;
      if (!blk.recoded)
        for (const auto& piece : blk.refine) c.refine_len += piece.second;
      c.refine_passes = blk.refine_passes;
      order.push_back(&blk);
    }
    bands[k] = packet_writer::BandContributions{bs.ncx, bs.ncy, contrib[k].data()};
  }
  if (!packet_writer::write_packet_header(bands, out))
    throw UnsupportedCodestream("a joined code-block segment longer than 32-bit lengths allow");
  for (const LayerBlock* blk : order) {
    if (blk->recoded) {
      out.insert(out.end(), blk->recoded_bytes.begin(), blk->recoded_bytes.end());
      continue;
    }
    out.insert(out.end(), cs_ + blk->cleanup_at, cs_ + blk->cleanup_at + blk->cleanup_len);
    for (const auto& piece : blk->refine) out.insert(out.end(), cs_ + piece.first, cs_ + piece.first + piece.second);
  }
}

}  // namespace packets_internal
}  // namespace htj2k
