#include "encode/irreversible.hpp"

#include <algorithm>

#include "core/big_array.hpp"
#include "encode/quantization.hpp"
#include "parallel/thread_pool.hpp"
#include "simd/dwt97.hpp"
#include "simd/dwt97_lift.hpp"

namespace htj2k {
namespace {

using u64 = uint64_t;

// Columns per stripe of the vertical pass and rows per chunk of the others: the
// units handed to the threads (as the 5/3 path's).
constexpr uint32_t kStripeColumns = 256, kChunkRows = 32;

size_t chunks(uint32_t rows) { return (rows + kChunkRows - 1) / kChunkRows; }

// `levels` levels of the 2D forward 9/7 (columns, then rows) of a float plane whose
// origin on the reference grid is (x0, y0); w, h receive each level's LL size.
void dwt97(float* plane, size_t stride, u64 x0, u64 y0, uint32_t levels, uint32_t w, uint32_t h,
           std::vector<uint32_t>& ws, std::vector<uint32_t>& hs, size_t threads) {
  ws.assign(1, w);
  hs.assign(1, h);
  const size_t half = (size_t(h) + 1) / 2;
  BigArray<float> tmp = make_big_array<float>(size_t(w) * half);
  for (uint32_t d = 1; d <= levels; ++d) {
    const uint32_t px = uint32_t(x0 & 1), py = uint32_t(y0 & 1);
    if (w && h) {
      const uint32_t cw = w, ch = h;
      parallel_for((cw + kStripeColumns - 1) / kStripeColumns, threads, [&](size_t s) {
        const uint32_t c0 = uint32_t(s) * kStripeColumns, n = std::min(kStripeColumns, cw - c0);
        dwt97_lift::vertical(plane + c0, stride, n, ch, py, tmp.get() + size_t(c0) * half);
      });
      parallel_for(chunks(ch), threads, [&](size_t k) {
        std::vector<float> scratch(2 * (size_t(cw) / 2 + 3));
        for (uint32_t y = uint32_t(k) * kChunkRows; y < std::min(ch, uint32_t(k + 1) * kChunkRows); ++y)
          dwt97_lift::horizontal(plane + y * stride, cw, px, scratch.data());
      });
    }
    w = dwt97_lift::low_count(w, px);
    h = dwt97_lift::low_count(h, py);
    x0 = (x0 + 1) >> 1;
    y0 = (y0 + 1) >> 1;
    ws.push_back(w);
    hs.push_back(h);
  }
}

// Band (ox, oy, bw, bh) of the Mallat layout quantized from f into q.
struct Planes {
  const float* f;
  size_t fstride;
  int32_t* q;
  size_t qstride;
};

void quantize_band(const Planes& p, uint32_t ox, uint32_t oy, uint32_t bw, uint32_t bh, const BandQuantizer& bq) {
  for (uint32_t y = oy; y < oy + bh; ++y)
    quantize_row(p.f + size_t(y) * p.fstride + ox, p.q + size_t(y) * p.qstride + ox, bq.inv_step, bq.max_mag, bw);
}

// Every band of one tile-component, LL first then HL, LH, HH per level from the
// lowest resolution up: the order of `steps`.
void quantize_bands(const float* f, size_t fstride, const IrreversiblePlane& c, uint32_t levels,
                    const std::vector<uint16_t>& steps, uint32_t bit_depth) {
  const Planes p{f, fstride, c.plane, c.stride};
  const std::vector<uint32_t>& w = *c.w;
  const std::vector<uint32_t>& h = *c.h;
  quantize_band(p, 0, 0, w[levels], h[levels], band_quantizer(steps[0], bit_depth, 0));
  size_t i = 1;
  for (uint32_t d = levels; d > 0; --d, i += 3) {
    const uint32_t lw = w[d], lh = h[d], hw = w[d - 1] - w[d], hh = h[d - 1] - h[d];
    quantize_band(p, lw, 0, hw, lh, band_quantizer(steps[i], bit_depth, 1));      // HL
    quantize_band(p, 0, lh, lw, hh, band_quantizer(steps[i + 1], bit_depth, 2));  // LH
    quantize_band(p, lw, lh, hw, hh, band_quantizer(steps[i + 2], bit_depth, 3));  // HH
  }
}

}  // namespace

void irreversible_tile(std::vector<IrreversiblePlane>& comps, u64 x0, u64 y0, u64 x1, u64 y1, uint32_t levels,
                       bool colour, const std::vector<uint16_t>& steps, uint32_t bit_depth, size_t threads) {
  const uint32_t w = uint32_t(x1 - x0), h = uint32_t(y1 - y0);
  const size_t nc = comps.size();
  // Each int32 plane becomes its float plane in place, then the quantized coefficients
  // in place again (this file and the kernels are compiled with -fno-strict-aliasing).
  std::vector<float*> f(nc);
  for (size_t c = 0; c < nc; ++c) f[c] = reinterpret_cast<float*>(comps[c].plane);
  parallel_for(chunks(h), threads, [&](size_t k) {
    for (uint32_t y = uint32_t(k) * kChunkRows; y < std::min(h, uint32_t(k + 1) * kChunkRows); ++y) {
      for (size_t c = 0; c < nc; ++c)
        to_float_row(comps[c].plane + size_t(y) * comps[c].stride, f[c] + size_t(y) * comps[c].stride, w);
      if (colour && nc >= 3)
        ict_forward(f[0] + size_t(y) * comps[0].stride, f[1] + size_t(y) * comps[1].stride,
                    f[2] + size_t(y) * comps[2].stride, w);
    }
  });
  parallel_for(nc, threads, [&](size_t c) {
    IrreversiblePlane& p = comps[c];
    dwt97(f[c], p.stride, x0, y0, levels, w, h, *p.w, *p.h, threads);
    quantize_bands(f[c], p.stride, p, levels, steps, bit_depth);
  });
}

}  // namespace htj2k
