// Working-memory estimate of a decode, from the header alone (see memory.hpp).
//
// The formula follows where the two libraries allocate (OpenJPH 0.9..0.21 from
// its source, src/core/codestream/ojph_{codestream_local,tile,resolution,subband,
// codeblock}.cpp; OpenJPEG 2.5 from tcd.c / j2k.c), counted per tile-component,
// resolution r = 0..L and subband, with the tile grid, subsampling, code-block
// and precinct sizes of the header:
//
//   output   = samples at the requested level x 1, 2 or 4 bytes (the largest bit depth)
//
//   OpenJPH  (line-based; all tiles are set up at once by codestream::create(), in
//            one block from its fixed allocator, so every tile counts):
//            + per tile-component and resolution: 4 (5/3) or 6 (9/7) int32 lines of
//              the resolution's width + 1 (lines for the wavelet), ~1 KiB of objects
//            + per tile-component and subband: ONE ROW of code-block buffers,
//              round_up8(xcb') x ycb' x 4 bytes per code-block across the band (the
//              codeblock objects hold those), one int32 line, and for EVERY
//              code-block of the band a coded_cb_header and, once read, the
//              coded_lists header of its bytes
//            + a precinct object per precinct of every resolution
//            + the codestream's packet data, copied into its elastic allocator
//              (1 MiB chunks; all of it counted, though at a reduced level
//              OpenJPH keeps only the resolutions it decodes), the copy of the
//              codestream decoder.cpp patches for OpenJPH >= 0.10 when a
//              component is signed, one line per component, colour lines
//   OpenJPEG (tile-based, one tile at a time; sizes of the largest tile):
//            + opj_image_t: every component as int32 at the requested level
//            + the tile's int32 buffer per component at the requested level (for a
//              single tile OpenJPEG 2.5 hands that buffer over to the image; it is
//              counted anyway, the over-estimate is then 4 bytes/sample)
//            + per code-block of the tile (all resolutions) its opj_tcd_cblk_dec_t,
//              10 segment records and chunk list (~0.5 KiB), per precinct and band
//              its record and two tag trees (~0.25 KiB), the DWT's scratch columns
//            + the tile's packet data (copied) and the stream's 1 MiB buffer
//
// where xcb' = min(xcb, PPx - 1) (min(xcb, PPx) at r = 0), as both libraries size
// code-blocks. Code-block and precinct counts are exact: the tile grid is walked
// along x and along y separately (a tile's counts are the product of its column's
// and its row's), which is O(tiles across + tiles down) per distinct component
// geometry; only for adversarial headers (thousands of distinct component
// geometries times thousands of tile columns) does a closed-form upper bound take
// over (ceil(b1/2^e) - floor(b0/2^e) <= (b1 - b0)/2^e + 2 per tile).
//
// OpenJPH's count gets a 25% margin (see estimate_decode_memory_parts): it is
// tight for 0.9.0, and other releases size objects and lines differently.
//
// Checked against the peak resident memory of a child process decoding real
// codestreams (VmHWM after the decode minus VmHWM with the bytes loaded; Debian 12,
// OpenJPH 0.9.0, OpenJPEG 2.5.0; random samples, so the codestreams are large:
// 34 MiB for 4096x4096 16-bit; lossless, 5 levels, 64x64 blocks unless noted; the
// estimate read from the LimitExceeded message of max_memory=1):
//
//   image                                  call       decoder   estimate  measured
//   4096x4096 16-bit grey                  decode     openjph    80.4 MiB  70.2 MiB
//   4096x4096 16-bit grey                  decode     openjpeg  197.5 MiB 133.6 MiB
//   4096x4096 16-bit grey, signed          decode     openjph    80.4 MiB  70.2 MiB
//   2048x2048x3 8-bit (RCT)                decode     openjph    36.7 MiB  31.2 MiB
//   2048x2048x3 8-bit (RCT)                decode     openjpeg  124.4 MiB  76.7 MiB
//   4096x4096 16-bit, 512x512 tiles        decode     openjph   114.2 MiB  94.6 MiB
//   4096x4096 16-bit, 512x512 tiles        decode     openjpeg  132.3 MiB 100.3 MiB
//   2560x3328 14-bit (mammogram size)      decode     openjph    39.5 MiB  34.3 MiB
//   2560x3328 14-bit (mammogram size)      decode     openjpeg   98.8 MiB  66.6 MiB
//   4096x4096 16-bit, 4x4 code-blocks      decode     openjph   204.8 MiB 153.4 MiB
//   4096x4096 16-bit, 4x4 code-blocks      decode     openjpeg  713.4 MiB 569.9 MiB
//   4096x4096 16-bit grey, level 2         decode     openjph    50.4 MiB   5.4 MiB
//   4096x4096 16-bit grey, level 2         decode     openjpeg   47.5 MiB  43.3 MiB
//   4096x4096 16-bit grey                  checksums  auto       48.4 MiB  38.4 MiB
//   2048x2048x3 8-bit (RCT)                checksums  auto       24.7 MiB  19.5 MiB
//
// i.e. 1.15-1.6x the measured peak at full resolution. At reduced levels OpenJPH
// keeps only the packet data of the resolutions it decodes while all of it is
// counted (the 34 MiB of this codestream). A tiny stream declaring 65536x32768
// 8-bit (2.1 GB and 17 s to decode, 10.5 GB with OpenJPEG) is estimated at
// 2132 MiB (OpenJPH) / 18694 MiB (OpenJPEG) and refused by the default budget.
// tests/codec/test_memory_budget.py repeats one measurement per decoder.
#include "decode/memory.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <tuple>
#include <vector>

#include "core/errors.hpp"
#include "backends/openjph/openjph_compat.hpp"
#include "core/sample_types.hpp"

namespace htj2k {

namespace {

using u64 = uint64_t;
constexpr u64 kMax = std::numeric_limits<u64>::max();
constexpr u64 kMiB = u64(1) << 20;

// Saturating arithmetic: a forged header must give "huge", never a wrapped small number.
u64 add(u64 a, u64 b) { return a > kMax - b ? kMax : a + b; }
u64 mul(u64 a, u64 b) { return (a != 0 && b > kMax / a) ? kMax : a * b; }
u64 mul(u64 a, u64 b, u64 c) { return mul(mul(a, b), c); }
u64 ceil_div(u64 a, u64 b) { return b == 0 ? 0 : a / b + (a % b != 0); }
u64 ceil_shift(u64 v, unsigned k) {
  if (k >= 64) return v != 0;
  return (v >> k) + ((v & ((u64(1) << k) - 1)) != 0);
}
u64 floor_shift(u64 v, unsigned k) { return k >= 64 ? 0 : v >> k; }

// Sizes of library objects, rounded up (with allocator overhead) from the sources
// named above; the over-estimate they carry is small next to the sample buffers.
constexpr u64 kOjphPerResolution = 1024;  // resolution + 4 subband objects + line_buf headers
constexpr u64 kOjphCodeblock = 192;       // codeblock object (one per block across a band)
constexpr u64 kOjphCodedHeader = 48;      // coded_cb_header (one per code-block)
constexpr u64 kOjphCodedList = 48;        // coded_lists header + prefix/suffix of a block's bytes
constexpr u64 kOjphPrecinct = 128;        // precinct object
constexpr u64 kOpjCodeblock = 512;        // opj_tcd_cblk_dec_t + 10 opj_tcd_seg_t + chunks
constexpr u64 kOpjPrecinctBand = 256;     // opj_tcd_precinct_t + 2 tag trees (nodes count per block)
constexpr u64 kOpjPerResolution = 512;    // opj_tcd_resolution_t + bands
constexpr u64 kOpjDwtPerSample = 64;      // 8 columns x 2 x 4 bytes per sample of the longest side
constexpr u64 kStreamBuffer = kMiB;       // OpenJPEG's stream chunk, OpenJPH's first elastic chunk

// One subband orientation (0 low-pass, 1 high-pass) of one resolution, along one axis.
struct BandAxis {
  u64 count = 0;       // tiles along the axis where the band is not empty
  u64 width = 0;       // band samples, summed over those tiles
  u64 blocks = 0;      // code-blocks along the axis, summed over those tiles
  u64 max_blocks = 0;  // in the tile with the most
};

struct ResAxis {
  u64 all_width = 0;      // resolution samples summed over all tiles along the axis
  u64 max_width = 0;      // in the largest tile
  u64 precincts = 0;      // summed over tiles where the resolution is not empty
  u64 max_precincts = 0;  // in the tile with the most
  BandAxis band[2];       // at r = 0 band[0] is the LL band (the resolution itself)
};

using Axis = std::vector<ResAxis>;  // r = 0..L

struct AxisParams {
  u64 x0 = 0, x1 = 0;  // image extent on the reference grid
  u64 t0 = 0, t = 1;   // tile grid origin and tile size
  u64 n = 0;           // tiles along the axis
  u64 sub = 1;         // component subsampling
  uint32_t levels = 0;
  uint32_t log_cb = 6;
  std::vector<uint32_t> log_pp;  // precinct exponent per resolution
};

// Code-block exponent of resolution r, as both libraries size code-blocks.
uint32_t block_exp(const AxisParams& p, uint32_t r) {
  const uint32_t pp = p.log_pp[r];
  const uint32_t limit = r == 0 ? pp : (pp > 0 ? pp - 1 : 0);
  return std::min(p.log_cb, limit);
}

// Adds one tile-component [c0, c1) (component coordinates) to the axis statistics.
void add_tile(Axis& a, const AxisParams& p, u64 c0, u64 c1) {
  for (uint32_t r = 0; r <= p.levels; ++r) {
    const unsigned d = p.levels - r;
    const u64 r0 = ceil_shift(c0, d), r1 = ceil_shift(c1, d);
    ResAxis& ra = a[r];
    const u64 w = r1 - r0;
    ra.all_width += w;
    ra.max_width = std::max(ra.max_width, w);
    if (w > 0) {
      const unsigned pp = p.log_pp[r];
      const u64 np = ceil_shift(r1, pp) - floor_shift(r0, pp);
      ra.precincts += np;
      ra.max_precincts = std::max(ra.max_precincts, np);
    }
    const unsigned e = block_exp(p, r);
    for (int o = 0; o < (r == 0 ? 1 : 2); ++o) {
      const u64 b0 = r == 0 ? r0 : (r0 + 1 - o) >> 1;
      const u64 b1 = r == 0 ? r1 : (r1 + 1 - o) >> 1;
      if (b1 <= b0) continue;
      BandAxis& b = ra.band[o];
      const u64 k = ceil_shift(b1, e) - floor_shift(b0, e);
      ++b.count;
      b.width += b1 - b0;
      b.blocks += k;
      b.max_blocks = std::max(b.max_blocks, k);
    }
  }
}

Axis exact_axis(const AxisParams& p) {
  Axis a(size_t(p.levels) + 1);
  for (u64 i = 0; i < p.n; ++i) {
    const u64 g0 = std::max(p.t0 + i * p.t, p.x0);
    const u64 g1 = std::min(p.t0 + (i + 1) * p.t, p.x1);
    if (g1 <= g0) continue;
    add_tile(a, p, ceil_div(g0, p.sub), ceil_div(g1, p.sub));
  }
  return a;
}

// Upper bounds without walking the tiles (for headers where walking would be slow).
Axis bounded_axis(const AxisParams& p) {
  Axis a(size_t(p.levels) + 1);
  const u64 c0 = ceil_div(p.x0, p.sub), c1 = ceil_div(p.x1, p.sub);
  const u64 widest = ceil_div(p.t, p.sub) + 1;  // a tile-component's extent
  for (uint32_t r = 0; r <= p.levels; ++r) {
    const unsigned d = p.levels - r;
    const u64 r0 = ceil_shift(c0, d), r1 = ceil_shift(c1, d), w = r1 - r0;
    ResAxis& ra = a[r];
    ra.all_width = w;  // tile boundaries are shared: the tiles' extents add up to the image's
    ra.max_width = std::min(w, ceil_shift(widest, d) + 1);
    const unsigned pp = p.log_pp[r];
    ra.precincts = floor_shift(w, pp) + 2 * std::min(p.n, w);
    ra.max_precincts = floor_shift(ra.max_width, pp) + 2;
    const unsigned e = block_exp(p, r);
    for (int o = 0; o < (r == 0 ? 1 : 2); ++o) {
      const u64 b0 = r == 0 ? r0 : (r0 + 1 - o) >> 1;
      const u64 b1 = r == 0 ? r1 : (r1 + 1 - o) >> 1;
      const u64 bw = b1 - b0;
      BandAxis& b = ra.band[o];
      b.count = std::min(p.n, bw);
      b.width = bw;
      b.blocks = floor_shift(bw, e) + 2 * b.count;
      const u64 max_bw = r == 0 ? ra.max_width : (ra.max_width + 1) / 2;
      b.max_blocks = std::min(b.blocks, floor_shift(max_bw, e) + 2);
    }
  }
  return a;
}

// Per component: its x and y axis statistics (shared between components of the
// same subsampling and coding style).
struct Geometry {
  std::vector<const Axis*> x, y;
  std::map<std::tuple<int, u64, const CodingStyle*>, Axis> cache;
  u64 ntx = 0, nty = 0;
};

Geometry geometry(const CodestreamHeader& h) {
  Geometry g;
  g.ntx = h.num_tiles_x();
  g.nty = h.num_tiles_y();
  const size_t nc = h.components.size();
  g.x.resize(nc);
  g.y.resize(nc);
  // Walking costs (tiles along the axis) x (levels + 1) per distinct geometry.
  u64 budget = u64(1) << 22;
  for (uint32_t c = 0; c < nc; ++c) {
    const CodingStyle& s = h.style_for(c);
    for (int axis = 0; axis < 2; ++axis) {
      const u64 sub = axis == 0 ? h.components[c].dx : h.components[c].dy;
      auto key = std::make_tuple(axis, sub, &s);
      auto it = g.cache.find(key);
      if (it == g.cache.end()) {
        AxisParams p;
        p.x0 = axis == 0 ? h.x0 : h.y0;
        p.x1 = axis == 0 ? h.xsiz : h.ysiz;
        p.t0 = axis == 0 ? h.tile_x0 : h.tile_y0;
        p.t = std::max<u64>(1, axis == 0 ? h.tile_w : h.tile_h);
        p.n = axis == 0 ? g.ntx : g.nty;
        p.sub = std::max<u64>(1, sub);
        p.levels = s.levels;
        p.log_cb = axis == 0 ? s.log2_cb_w : s.log2_cb_h;
        p.log_pp.resize(size_t(s.levels) + 1, 15);
        for (size_t r = 0; r < p.log_pp.size() && r < s.precincts.size(); ++r)
          p.log_pp[r] = axis == 0 ? (s.precincts[r] & 15u) : (s.precincts[r] >> 4);
        const u64 work = mul(p.n, u64(s.levels) + 1);
        Axis a;
        if (work <= budget) {
          budget -= work;
          a = exact_axis(p);
        } else {
          a = bounded_axis(p);
        }
        it = g.cache.emplace(key, std::move(a)).first;
      }
      (axis == 0 ? g.x : g.y)[c] = &it->second;
    }
  }
  return g;
}

// Subbands of resolution r as (x orientation, y orientation): LL at r = 0, else HL, LH, HH.
struct Orient {
  int ox, oy;
};
const Orient kLL[] = {{0, 0}};
const Orient kHigh[] = {{1, 0}, {0, 1}, {1, 1}};

u64 openjph_bytes(const CodestreamHeader& h, const Geometry& g, uint32_t level, size_t cs_bytes) {
  // packet data in the elastic allocator, plus the patched copy of the codestream
  // decoder.cpp hands to OpenJPH >= 0.10 for signed components
  bool any_signed = false;
  for (const auto& comp : h.components) any_signed |= comp.is_signed;
  const u64 copies = kOjphSignedDecodeUninitialised && any_signed ? 2 : 1;
  u64 total = add(kStreamBuffer, mul(copies, cs_bytes));
  const u64 ntiles = mul(g.ntx, g.nty);
  for (uint32_t c = 0; c < h.components.size(); ++c) {
    const CodingStyle& s = h.style_for(c);
    const Axis& X = *g.x[c];
    const Axis& Y = *g.y[c];
    const u64 nlines = s.transform == 1 ? 4 : 6;
    total = add(total, mul(4, level_width(h, c, level)));  // the line pull() returns
    for (uint32_t r = 0; r <= s.levels; ++r) {
      const ResAxis& xr = X[r];
      const ResAxis& yr = Y[r];
      // wavelet lines: (width + 1) per tile, for every tile row
      total = add(total, mul(nlines * 4, add(xr.all_width, g.ntx), g.nty));
      total = add(total, mul(ntiles, kOjphPerResolution));
      total = add(total, mul(xr.precincts, yr.precincts, kOjphPrecinct));
      const uint32_t pp = r < s.precincts.size() ? s.precincts[r] : 0xFF;
      const uint32_t ppx = pp & 15u, ppy = pp >> 4;
      const uint32_t ex = std::min<uint32_t>(s.log2_cb_w, r == 0 ? ppx : (ppx ? ppx - 1 : 0));
      const uint32_t ey = std::min<uint32_t>(s.log2_cb_h, r == 0 ? ppy : (ppy ? ppy - 1 : 0));
      const u64 block_buffer = (((u64(1) << ex) + 7) & ~u64(7)) * (u64(1) << ey) * 4;
      for (const Orient& o : r == 0 ? std::vector<Orient>(std::begin(kLL), std::end(kLL))
                                    : std::vector<Orient>(std::begin(kHigh), std::end(kHigh))) {
        const BandAxis& bx = xr.band[o.ox];
        const BandAxis& by = yr.band[o.oy];
        // one row of code-blocks per tile: blocks across x non-empty tile rows
        total = add(total, mul(bx.blocks, by.count, add(block_buffer, kOjphCodeblock)));
        // every code-block of the band: its header and, once read, its coded list
        total = add(total, mul(bx.blocks, by.blocks, kOjphCodedHeader + kOjphCodedList));
        // the band's line
        total = add(total, mul(add(bx.width, bx.count), by.count, 4));
      }
    }
  }
  // colour transform: three lines of the tile's width per tile
  if (h.cod.mct && h.components.size() >= 3)
    total = add(total, mul(12, add(level_width(h, 0, 0), g.ntx), g.nty));
  return total;
}

u64 openjpeg_bytes(const CodestreamHeader& h, const Geometry& g, uint32_t level, size_t cs_bytes) {
  u64 total = add(kStreamBuffer, cs_bytes);
  u64 longest = 0;
  for (uint32_t c = 0; c < h.components.size(); ++c) {
    const CodingStyle& s = h.style_for(c);
    const Axis& X = *g.x[c];
    const Axis& Y = *g.y[c];
    // opj_image_t: the whole component as int32 at the requested level
    total = add(total, mul(4, level_width(h, c, level), level_height(h, c, level)));
    // the largest tile's int32 buffer at the requested level
    const uint32_t r_dec = s.levels - std::min<uint32_t>(level, s.levels);
    total = add(total, mul(4, X[r_dec].max_width, Y[r_dec].max_width));
    longest = std::max({longest, X[s.levels].max_width, Y[s.levels].max_width});
    for (uint32_t r = 0; r <= s.levels; ++r) {
      const ResAxis& xr = X[r];
      const ResAxis& yr = Y[r];
      const u64 nbands = r == 0 ? 1 : 3;
      total = add(total, kOpjPerResolution);
      total = add(total, mul(xr.max_precincts, yr.max_precincts, nbands * kOpjPrecinctBand));
      for (const Orient& o : r == 0 ? std::vector<Orient>(std::begin(kLL), std::end(kLL))
                                    : std::vector<Orient>(std::begin(kHigh), std::end(kHigh)))
        total = add(total, mul(xr.band[o.ox].max_blocks, yr.band[o.oy].max_blocks, kOpjCodeblock));
    }
  }
  return add(total, mul(longest, kOpjDwtPerSample));
}

std::string mib(u64 bytes) {
  // rounded up, so that "needs N MiB, more than M" never reads as N <= M
  if (bytes == kMax) return "more than 16 EiB";
  char buf[48];
  if (bytes < 10 * kMiB) {
    const u64 tenths = (bytes * 10 + kMiB - 1) / kMiB;
    std::snprintf(buf, sizeof buf, "%llu.%llu MiB", (unsigned long long)(tenths / 10),
                  (unsigned long long)(tenths % 10));
  } else {
    std::snprintf(buf, sizeof buf, "%llu MiB", (unsigned long long)(bytes / kMiB + (bytes % kMiB != 0)));
  }
  return buf;
}

}  // namespace

uint64_t MemoryEstimate::total() const {
  return add(output, std::max({openjph, openjpeg, after}));
}

uint64_t output_image_bytes(const CodestreamHeader& h, uint32_t level) {
  u64 samples = 0;
  uint32_t bytes = 1;
  for (uint32_t c = 0; c < h.components.size(); ++c) {
    samples = add(samples, mul(level_width(h, c, level), level_height(h, c, level)));
    bytes = std::max<uint32_t>(
        bytes, uint32_t(sample_bytes(sample_type_for(h.components[c].bit_depth, h.components[c].is_signed))));
  }
  return mul(samples, bytes);
}

MemoryEstimate estimate_decode_memory_parts(const CodestreamHeader& h, uint32_t level,
                                            DecoderKind decoder, bool output_image,
                                            size_t codestream_bytes) {
  MemoryEstimate e;
  if (h.components.empty()) return e;
  if (output_image) e.output = output_image_bytes(h, level);
  const Geometry g = geometry(h);
  if (decoder != DecoderKind::OpenJPEG) {
    // The count is tight for OpenJPH 0.9.0 (1.01-1.1x the measured peak): a 25%
    // margin covers allocator slack and other releases' object and line sizes.
    const u64 ojph = openjph_bytes(h, g, level, codestream_bytes);
    e.openjph = add(ojph, ojph / 4);
  }
  if (decoder != DecoderKind::OpenJPH) e.openjpeg = openjpeg_bytes(h, g, level, codestream_bytes);
  return e;
}

uint64_t estimate_decode_memory(const CodestreamHeader& h, uint32_t level,
                                DecoderKind decoder_that_may_run, bool output_image,
                                size_t codestream_bytes) {
  return estimate_decode_memory_parts(h, level, decoder_that_may_run, output_image, codestream_bytes)
      .total();
}

std::string memory_refusal(const MemoryEstimate& e, uint64_t max_memory, const std::string& what) {
  std::string parts;
  auto part = [&](const char* sep, const std::string& s) {
    if (!parts.empty()) parts += sep;
    parts += s;
  };
  if (e.output) part(" + ", "output image " + mib(e.output));
  std::string working;
  if (e.openjph) working = "OpenJPH " + mib(e.openjph);
  if (e.openjpeg) working += (working.empty() ? "" : " or ") + ("OpenJPEG " + mib(e.openjpeg));
  if (e.after) working += (working.empty() ? "" : ", then ") + ("level pyramid " + mib(e.after));
  if (!working.empty()) part(" + ", working);
  return what + " needs an estimated " + mib(e.total()) + " of working memory, more than max_memory=" +
         std::to_string(max_memory) + " bytes (" + std::to_string(e.total()) + " bytes: " + parts +
         ")";
}

void check_memory_budget(const MemoryEstimate& e, uint64_t max_memory, const std::string& what) {
  if (e.total() > max_memory) throw LimitExceeded(memory_refusal(e, max_memory, what));
}

}  // namespace htj2k
