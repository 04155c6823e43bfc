#include "encode/ht_encoder.hpp"

#include <algorithm>
#include <exception>
#include <memory>

#include "block/ht_block_encoder.hpp"
#include "checksum/levels.hpp"
#include "codestream/header.hpp"
#include "codestream/markers.hpp"
#include "core/big_array.hpp"
#include "core/bytes.hpp"
#include "codestream/packet_checker.hpp"
#include "codestream/packet_writer.hpp"
#include "core/errors.hpp"
#include "core/limits.hpp"
#include "encode/codestream_writer.hpp"
#include "encode/irreversible.hpp"
#include "encode/quantization.hpp"
#include "encode/stage_times.hpp"
#include "parallel/thread_pool.hpp"
#include "simd/convert.hpp"
#include "simd/dwt53.hpp"
#include "simd/dwt53_level.hpp"
#include "simd/dwt53_lift.hpp"

namespace htj2k {
namespace {

using packets_internal::BandGeom;
using packets_internal::PacketChecker;
using packets_internal::ResGeom;
using u64 = uint64_t;

// One tile-component after the DWT: the bands in Mallat layout (each level's LL
// top-left, HL right of it, LH below, HH diagonal), level d's LL of size
// w[d] x h[d] at (0, 0). Level d reads level d - 1's LL and writes its four bands
// into the other plane: the samples in `plane`, levels 1, 3, ... in `plane2`,
// levels 2, 4, ... in `plane` (the LL each overwrites was read by the level
// before it), so a level's bands stay in the plane it wrote them to.
struct TileComponent {
  BigArray<int32_t> plane, plane2;  // every sample written before it is read: no zeroing
  size_t stride = 0;                // = the tile's width
  uint32_t rows = 0;                // the tile's height
  std::vector<uint32_t> w, h;

  bool one_plane = false;           // every level in `plane` (the irreversible path)

  int32_t* level_plane(uint32_t d) const { return (d & 1) && !one_plane ? plane2.get() : plane.get(); }
};

struct Tile {
  u64 x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  std::vector<TileComponent> comps;
};

// The tile's planes (uninitialised: every sample is written before it is read).
// Unloaded (the first level reads the image), `plane` only receives the even
// levels, within the first level's LL: ceil(h / 2) rows.
void allocate_tile(const ImageView& im, Tile& t, bool load) {
  const uint32_t w = uint32_t(t.x1 - t.x0), h = uint32_t(t.y1 - t.y0);
  t.comps.resize(im.num_components);
  for (TileComponent& tc : t.comps) {
    tc.stride = w;
    tc.rows = h;
    tc.plane = make_big_array<int32_t>(size_t(w) * (load ? h : (h + 1) / 2));
  }
}

// Row y of component c of the tile, widened and DC-shifted (`shift`: 0 for signed samples).
void widen_row(const ImageView& im, const Tile& t, uint32_t c, uint32_t y, int32_t shift, int32_t* dst) {
  const uint32_t nc = im.num_components, w = uint32_t(t.x1 - t.x0);
  const size_t bytes = sample_bytes(im.type);
  const auto* row = static_cast<const uint8_t*>(im.data) + size_t(t.y0 + y) * im.row_stride +
                    (size_t(t.x0) * nc + c) * bytes;
  load_widen(row, w, nc, im.type, dst);
  if (shift)
    for (uint32_t x = 0; x < w; ++x) dst[x] -= shift;
}

int32_t dc_shift(uint32_t bit_depth, bool is_signed) { return is_signed ? 0 : int32_t(1) << (bit_depth - 1); }

// Rows [y0, y1) of the tile's samples, DC-shifted, RCT applied to components 0..2
// with `colour`.
void load_rows(const ImageView& im, Tile& t, uint32_t y0, uint32_t y1, uint32_t bit_depth, bool is_signed,
               bool colour) {
  const uint32_t w = uint32_t(t.x1 - t.x0);
  for (uint32_t y = y0; y < y1; ++y) {
    for (uint32_t c = 0; c < im.num_components; ++c)
      widen_row(im, t, c, y, dc_shift(bit_depth, is_signed), t.comps[c].plane.get() + size_t(y) * w);
    if (colour)
      rct_forward(t.comps[0].plane.get() + size_t(y) * w, t.comps[1].plane.get() + size_t(y) * w,
                  t.comps[2].plane.get() + size_t(y) * w, w);
  }
}

// Rows per unit of the parallel load (a tile is loaded by several threads).
constexpr uint32_t kLoadRows = 64;

// Every tile's planes allocated and, with `load`, loaded: row bands on up to
// `threads` threads.
void load_tiles(const ImageView& im, std::vector<Tile>& tiles, uint32_t bit_depth, bool is_signed, bool colour,
                bool load, size_t threads) {
  struct Band {
    uint32_t tile, y0, y1;
  };
  std::vector<Band> bands;
  for (uint32_t t = 0; t < tiles.size(); ++t) {
    allocate_tile(im, tiles[t], load);
    const uint32_t h = uint32_t(tiles[t].y1 - tiles[t].y0);
    for (uint32_t y = 0; y < h && load; y += kLoadRows) bands.push_back({t, y, std::min(h, y + kLoadRows)});
  }
  parallel_for(bands.size(), threads, [&](size_t i) {
    const Band& b = bands[i];
    load_rows(im, tiles[b.tile], b.y0, b.y1, bit_depth, is_signed, colour);
  });
}

// Row pairs per band of a level (the unit handed to the threads; its high rows,
// 18 rows of the tile's width, stay in cache).
constexpr uint32_t kBandPairs = 16;

// The first level's input straight from the image (no colour transform: each
// component on its own): rows widened and DC-shifted on first use into a small
// direct-mapped cache. A band reads at most 2 kBandPairs + 6 consecutive rows,
// fewer than the slots, so none is evicted while the band runs; the whole-plane
// load (written, then read back) is skipped.
class ImageRows {
 public:
  static constexpr uint32_t kSlots = 64;
  static_assert(2 * kBandPairs + 6 <= kSlots, "a band's rows must fit the cache");

  ImageRows(const ImageView& im, const Tile& t, uint32_t c, int32_t shift, std::vector<int32_t>& buf)
      : im_(im), t_(t), c_(c), shift_(shift), w_(uint32_t(t.x1 - t.x0)) {
    if (buf.size() < size_t(kSlots) * w_) buf.resize(size_t(kSlots) * w_);
    buf_ = buf.data();
    std::fill(std::begin(tag_), std::end(tag_), UINT32_MAX);
  }
  const int32_t* operator()(uint32_t r) {
    int32_t* slot = buf_ + size_t(r % kSlots) * w_;
    if (tag_[r % kSlots] != r) {
      widen_row(im_, t_, c_, r, shift_, slot);
      tag_[r % kSlots] = r;
    }
    return slot;
  }

 private:
  const ImageView& im_;
  const Tile& t_;
  uint32_t c_;
  int32_t shift_;
  uint32_t w_;
  int32_t* buf_;
  uint32_t tag_[kSlots];
};

// The image a first level reads directly (ImageRows), when it does.
struct DirectInput {
  const ImageView* im = nullptr;
  const Tile* tile = nullptr;
  uint32_t c = 0;
  int32_t shift = 0;
};

// Level d of the 2D forward 5/3 (15444-1 F.4.2: columns, then rows) of a
// tile-component whose origin on the reference grid is (x0, y0), from level
// d - 1's LL (or, for d = 1 with `direct`, the image) into the other plane
// (tc.w/tc.h hold the sizes of the levels done). The level's row bands are
// independent (dwt53_lift::level_band): they run on up to `threads` threads.
void transform_level(TileComponent& tc, u64 x0, u64 y0, uint32_t d, size_t threads, const DirectInput* direct) {
  if (tc.w.empty()) {
    tc.w.assign(1, uint32_t(tc.stride));
    tc.h.assign(1, tc.rows);
  }
  if (!tc.plane2) tc.plane2 = make_big_array<int32_t>(tc.stride * tc.rows);
  const uint32_t w = tc.w.back(), h = tc.h.back();
  for (uint32_t k = 1; k < d; ++k) x0 = (x0 + 1) >> 1, y0 = (y0 + 1) >> 1;
  const uint32_t px = uint32_t(x0 & 1), py = uint32_t(y0 & 1);
  if (w && h) {
    const uint32_t pairs = (h + 1) / 2;
    int32_t* dst = tc.level_plane(d);
    parallel_for((pairs + kBandPairs - 1) / kBandPairs, threads, [&](size_t b) {
      thread_local std::vector<int32_t> scratch, rows;  // kept: no fresh pages per call
      const size_t need = dwt53_lift::band_scratch_size(w, kBandPairs);
      if (scratch.size() < need) scratch.resize(need);
      const uint32_t k0 = uint32_t(b) * kBandPairs, k1 = std::min(pairs, k0 + kBandPairs);
      if (direct && d == 1) {
        ImageRows src(*direct->im, *direct->tile, direct->c, direct->shift, rows);
        dwt53_lift::level_band(src, dst, tc.stride, w, h, px, py, k0, k1, scratch.data());
      } else {
        dwt53_lift::PlaneRows<int32_t> src{tc.level_plane(d - 1), tc.stride};
        dwt53_lift::level_band(src, dst, tc.stride, w, h, px, py, k0, k1, scratch.data());
      }
    });
  }
  tc.w.push_back(dwt53_lift::low_count(w, px));
  tc.h.push_back(dwt53_lift::low_count(h, py));
}

// Level d of the width x height image and its checksum (every tile's LL band after
// d levels, in the plane level d wrote). Our encoder's tile-components all share
// one sample format.
LevelCrc level_crc(const std::vector<Tile>& tiles, uint32_t d, uint32_t width, uint32_t height, uint32_t nc,
                   const SampleFormat& fmt, bool colour) {
  std::vector<std::vector<const int32_t*>> planes(tiles.size(), std::vector<const int32_t*>(nc));
  std::vector<TransformRect> rects(tiles.size());
  const u64 round = (u64(1) << d) - 1;
  for (size_t t = 0; t < tiles.size(); ++t) {
    for (uint32_t c = 0; c < nc; ++c) planes[t][c] = tiles[t].comps[c].level_plane(d);
    const TileComponent& tc = tiles[t].comps[0];
    rects[t] = TransformRect{(tiles[t].x0 + round) >> d, (tiles[t].y0 + round) >> d, tc.w[d], tc.h[d], tc.stride,
                             planes[t].data()};
  }
  const uint32_t w = uint32_t((u64(width) + round) >> d), h = uint32_t((u64(height) + round) >> d);
  return LevelCrc{w, h, mosaic_crc32(std::move(rects), w, h, nc, fmt, colour), d};
}

struct BlockJob {
  const int32_t* values = nullptr;
  size_t stride = 0;
  uint32_t w = 0, h = 0;
  unsigned kmax = 0;
};

// One band of one packet: its code-blocks are jobs [first, first + ncx * ncy).
struct PacketBand {
  u64 ncx = 0, ncy = 0;
  size_t first = 0;
};

struct TilePlan {
  std::vector<std::vector<PacketBand>> packets;  // progression order
};

// Where band `b` of resolution `g` starts in its tile-component's Mallat layout.
const int32_t* band_origin(const TileComponent& tc, const ResGeom& g, const BandGeom& b, uint32_t levels) {
  u64 ox = 0, oy = 0, bw = tc.w[levels], bh = tc.h[levels];
  uint32_t d = levels;  // the band's decomposition level (the last one's LL for r = 0)
  if (g.r > 0) {
    d = levels - g.r + 1;
    ox = (b.kind & 1) ? tc.w[d] : 0;
    oy = (b.kind & 2) ? tc.h[d] : 0;
    bw = (b.kind & 1) ? tc.w[d - 1] - tc.w[d] : tc.w[d];
    bh = (b.kind & 2) ? tc.h[d - 1] - tc.h[d] : tc.h[d];
  }
  if (b.x1 - b.x0 != bw || b.y1 - b.y0 != bh)
    throw EncodeFailure("internal: band " + std::to_string(b.kind) + " of resolution " + std::to_string(g.r) +
                        " is " + std::to_string(b.x1 - b.x0) + "x" + std::to_string(b.y1 - b.y0) +
                        " in the geometry, " + std::to_string(bw) + "x" + std::to_string(bh) + " after the DWT");
  return tc.level_plane(d) + size_t(oy) * tc.stride + size_t(ox);
}

// The code-blocks of every packet of tile `t` as jobs, in packet order.
void plan_tile(const PacketChecker::TileLayout& lay, const Tile& tile, uint32_t levels, TilePlan& plan,
               std::vector<BlockJob>& jobs) {
  for (const auto& pk : lay.packets) {
    const ResGeom& g = lay.res[pk.res];
    const TileComponent& tc = tile.comps[g.c];
    std::vector<PacketBand> bands(g.nbands);
    for (unsigned k = 0; k < g.nbands; ++k) {
      const BandGeom& b = g.band[k];
      u64 cx0, cy0, ncx, ncy;
      if (!PacketChecker::precinct_blocks(g, b, g.kx0 + pk.px, g.ky0 + pk.py, cx0, cy0, ncx, ncy)) continue;
      const int32_t* origin = band_origin(tc, g, b, levels);
      bands[k] = PacketBand{ncx, ncy, jobs.size()};
      for (u64 y = cy0; y < cy0 + ncy; ++y)
        for (u64 x = cx0; x < cx0 + ncx; ++x) {
          const u64 bx0 = std::max(x << b.cbw, b.x0), bx1 = std::min((x + 1) << b.cbw, b.x1);
          const u64 by0 = std::max(y << b.cbh, b.y0), by1 = std::min((y + 1) << b.cbh, b.y1);
          BlockJob j;
          j.values = origin + size_t(by0 - b.y0) * tc.stride + size_t(bx0 - b.x0);
          j.stride = tc.stride;
          j.w = uint32_t(bx1 - bx0);
          j.h = uint32_t(by1 - by0);
          j.kmax = unsigned(b.mb);
          jobs.push_back(j);
        }
    }
    plan.packets.push_back(std::move(bands));
  }
}

// Every job coded into out[0, jobs.size()), on up to `threads` threads; the first
// failure (lowest index) thrown. out's blocks keep their buffers between calls.
void code_blocks_parallel(const std::vector<BlockJob>& jobs, size_t threads, std::vector<HtEncodedBlock>& out) {
  if (out.size() < jobs.size()) out.resize(jobs.size());
  std::vector<std::exception_ptr> errors(jobs.size());
  parallel_for(jobs.size(), threads, [&](size_t i) {
    const BlockJob& j = jobs[i];
    try {
      if (j.kmax) {
        encode_ht_block(j.values, j.w, j.h, j.stride, j.kmax, out[i]);
      } else {  // Mb = 0 (an irreversible band of step >= its range): every coefficient is 0
        out[i].bytes.clear();
        out[i].missing_msbs = 0;
        out[i].passes = 0;
      }
    } catch (...) {
      errors[i] = std::current_exception();
    }
  });
  for (const auto& e : errors)
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const InvalidArgument& x) {
        throw EncodeFailure(std::string("a wavelet coefficient exceeds the band's magnitude bit-planes: ") + x.what());
      }
    }
}

// The segments of the calling thread's last encode, kept for the next one: the
// blocks' buffers are reused instead of allocated (and their pages faulted in)
// anew on every call; released after a frame whose segments exceed this.
constexpr size_t kKeptSegmentBytes = size_t(64) << 20;

// The tile's packets appended to `body`: headers by the shared writer, then the
// cleanup segments.
void write_packets(const TilePlan& plan, const std::vector<HtEncodedBlock>& coded, std::vector<uint8_t>& body) {
  std::vector<packet_writer::BlockContribution> contrib;
  std::vector<packet_writer::BandContributions> bands;
  for (const auto& packet : plan.packets) {
    size_t total = 0;
    for (const PacketBand& b : packet) total += size_t(b.ncx * b.ncy);
    contrib.assign(total, {});
    bands.assign(packet.size(), {});
    size_t at = 0;
    for (size_t k = 0; k < packet.size(); ++k) {
      const PacketBand& b = packet[k];
      bands[k] = packet_writer::BandContributions{b.ncx, b.ncy, contrib.data() + at};
      for (size_t i = 0; i < size_t(b.ncx * b.ncy); ++i) {
        const HtEncodedBlock& blk = coded[b.first + i];
        auto& c = contrib[at + i];
        c.included = blk.passes > 0;
        c.zbp = blk.missing_msbs;
        c.cleanup_len = blk.bytes.size();
      }
      at += size_t(b.ncx * b.ncy);
    }
    if (!packet_writer::write_packet_header(bands, body))
      throw EncodeFailure("a code-block segment longer than 32-bit lengths allow");
    for (const PacketBand& b : packet)
      for (size_t i = 0; i < size_t(b.ncx * b.ncy); ++i) {
        const HtEncodedBlock& blk = coded[b.first + i];
        if (blk.passes) body.insert(body.end(), blk.bytes.begin(), blk.bytes.end());
      }
  }
}

}  // namespace

std::string ht_encoder_refusal(const EncodeOptions& o, uint32_t bit_depth) {
  if (bit_depth > kHtEncoderMaxBitDepth)
    return "bit_depth: " + std::to_string(bit_depth) + " bits; encoder 'htj2k' codes up to " +
           std::to_string(kHtEncoderMaxBitDepth);
  return "";
}

// Long by nature: the stages in order (header, per-tile DWT in parallel, the
// code-block plan, parallel block coding, packets and tile-parts).
std::vector<uint8_t> encode_with_ht(const ImageView& im, const EncodeOptions& o, uint32_t levels,
                                    uint32_t bit_depth, bool is_signed, bool colour,
                                    std::vector<LevelCrc>* level_crcs) {
  StageClock clock(o.stage_times);
  MainHeaderParams p;
  p.width = im.width;
  p.height = im.height;
  p.tile_w = o.tile_w ? o.tile_w : im.width;
  p.tile_h = o.tile_h ? o.tile_h : im.height;
  p.components.assign(im.num_components, {bit_depth, is_signed});
  p.levels = levels;
  p.block_w = o.block_w;
  p.block_h = o.block_h;
  p.precincts = o.precincts;
  p.progression = progression_index(o.progression);
  p.colour = colour;
  p.reversible = o.reversible;
  if (!o.reversible) p.steps = irreversible_steps(levels, o.qstep, bit_depth, is_signed);
  std::vector<uint8_t> out = write_main_header(p);
  // The geometry is read back from the header just written (with an empty
  // tile-part after it, as the parser wants one): one home for both.
  std::vector<uint8_t> probe = out;
  append_tile_part(probe, 0, {});
  put16(probe, kEOC);
  const CodestreamHeader h = parse_header(probe.data(), probe.size());
  PacketChecker checker(probe.data(), probe.size(), h);
  const uint32_t ntiles = h.num_tiles_x() * h.num_tiles_y();
  std::vector<PacketChecker::TileLayout> layouts(ntiles);
  std::vector<Tile> tiles(ntiles);
  for (uint32_t t = 0; t < ntiles; ++t) {
    checker.layout_tile(t, layouts[t]);
    tiles[t].x0 = layouts[t].x0, tiles[t].y0 = layouts[t].y0;
    tiles[t].x1 = layouts[t].x1, tiles[t].y1 = layouts[t].y1;
  }
  const size_t threads = o.threads;  // 0: all cores (parallel_for)
  const uint32_t nc = im.num_components;
  clock.mark(&EncodeStageTimes::header);
  if (!o.reversible) {
    // ICT, 9/7 and quantization (encode/irreversible.hpp) on the loaded samples (the
    // colour transform comes in float there), every band in the one plane; the level
    // checksums of a lossy encode come from decoding it (encoder.cpp), never here.
    load_tiles(im, tiles, bit_depth, is_signed, /*colour=*/false, /*load=*/true, threads);
    clock.mark(&EncodeStageTimes::load);
    parallel_for(ntiles, threads, [&](size_t i) {
      Tile& t = tiles[i];
      std::vector<IrreversiblePlane> planes;
      for (TileComponent& tc : t.comps) {
        tc.one_plane = true;
        planes.push_back(IrreversiblePlane{tc.plane.get(), tc.stride, &tc.w, &tc.h});
      }
      irreversible_tile(planes, t.x0, t.y0, t.x1, t.y1, levels, colour, p.steps, bit_depth, threads);
    });
  } else {
    // Without the colour transform the first level reads the image itself (ImageRows).
    const bool direct = !colour && levels > 0;
    load_tiles(im, tiles, bit_depth, is_signed, colour, !direct, threads);
    clock.mark(&EncodeStageTimes::load);
    // Level by level over every tile-component, so that the checksum of level d can
    // be taken from its LL bands before level d + 1 reads them (level checksums
    // count in the profile's dwt stage).
    const SampleFormat fmt = make_sample_format(bit_depth, is_signed);
    if (level_crcs) {
      level_crcs->assign(levels + 1, LevelCrc{});
      (*level_crcs)[levels] = LevelCrc{im.width, im.height, samples_crc32(im, fmt.bytes), 0};
    }
    for (uint32_t d = 1; d <= levels; ++d) {
      parallel_for(size_t(ntiles) * nc, threads, [&](size_t i) {
        Tile& t = tiles[i / nc];
        const DirectInput in{&im, &t, uint32_t(i % nc), dc_shift(bit_depth, is_signed)};
        transform_level(t.comps[i % nc], t.x0, t.y0, d, threads, direct ? &in : nullptr);
      });
      if (level_crcs) (*level_crcs)[levels - d] = level_crc(tiles, d, im.width, im.height, nc, fmt, colour);
    }
  }
  for (Tile& t : tiles)
    for (TileComponent& tc : t.comps)
      if (tc.w.empty()) tc.w.assign(1, uint32_t(tc.stride)), tc.h.assign(1, tc.rows);  // 0 levels
  clock.mark(&EncodeStageTimes::dwt);
  std::vector<TilePlan> plans(ntiles);
  std::vector<BlockJob> jobs;
  for (uint32_t t = 0; t < ntiles; ++t) plan_tile(layouts[t], tiles[t], levels, plans[t], jobs);
  thread_local std::vector<HtEncodedBlock> coded;
  code_blocks_parallel(jobs, threads, coded);
  clock.mark(&EncodeStageTimes::blocks);
  size_t segments = 0;  // room for every segment, the packet headers, SOTs and EOC: no regrowth
  for (size_t i = 0; i < jobs.size(); ++i) segments += coded[i].bytes.size() + 8;
  out.reserve(out.size() + segments + 64 * size_t(ntiles) + 1024);
  for (uint32_t t = 0; t < ntiles; ++t) {
    const size_t at = begin_tile_part(out, t);
    write_packets(plans[t], coded, out);
    end_tile_part(out, at, t);
  }
  put16(out, kEOC);
  if (segments > kKeptSegmentBytes) std::vector<HtEncodedBlock>().swap(coded);
  clock.mark(&EncodeStageTimes::packets);
  return out;
}

}  // namespace htj2k
