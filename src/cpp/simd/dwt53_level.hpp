// One level of the forward reversible 5/3 DWT (15444-1 F.4.2: columns, then rows)
// from one plane into another, a band of output rows at a time: the encoder's
// transform (encode/ht_encoder.cpp). A band predicts the high rows it needs into
// its scratch (one more at each end for its low rows), updates its low rows
// straight into the output and lifts every output row horizontally while it is
// in cache. Bands share nothing but the input, so they run on any threads, and
// each level reads its input and writes its output about once (done in place,
// with a separate horizontal pass, each plane was read and written 2-3 times).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "simd/dwt53_lift.hpp"

namespace htj2k {
namespace dwt53_lift {

// Rows of a plane, `stride` apart: level_band's input for a level read from a plane.
template <typename T>
struct PlaneRows {
  const T* p;
  size_t stride;
  const T* operator()(uint32_t r) const { return p + size_t(r) * stride; }
};

// Elements of scratch level_band needs for bands of up to `pairs` row pairs of width w.
inline size_t band_scratch_size(uint32_t w, uint32_t pairs) {
  return size_t(pairs + 2) * w + 3 * (size_t(w) / 2 + 3);
}

// Output rows of the band [k0, k1) of one level: low row k (k < nl) to dst row k,
// high row k (k < nh) to dst row nl + k, each with its row lifted horizontally
// (low band first, as horizontal leaves it). src(r): input row r of w x h
// samples (PlaneRows, or rows made on demand: a band reads at most 2 (k1 - k0) + 6
// consecutive rows, each pointer must stay valid through the band); dst rows
// `stride` apart;
// the first row and column of coordinate parity py, px.
template <typename T, typename Rows>
void level_band(Rows& src, T* dst, size_t stride, uint32_t w, uint32_t h, uint32_t px, uint32_t py,
                uint32_t k0, uint32_t k1, T* scratch) {
  T* hscratch = scratch + size_t(k1 - k0 + 2) * w;  // for horizontal
  if (h == 1) {  // one row: the low band as it is, or a high band of 2x (F.4.8.2)
    if (k0 > 0) return;
    const T* row = src(0);
    if (py) {
      for (uint32_t x = 0; x < w; ++x) scratch[x] = T(row[x] * 2);
      row = scratch;
    }
    horizontal(row, dst, w, px, hscratch, true);
    return;
  }
  const uint32_t nl = low_count(h, py), nh = h - nl;
  auto mirror = [&](int64_t j) { return mirror_index(j, h); };  // of local rows
  auto in = [&](int64_t j) { return src(uint32_t(mirror(j))); };
  const int64_t h0 = 1 - int64_t(py);  // local row of high row 0
  // High rows [first, last): the band's own and those its low rows lie between.
  const uint32_t first = k0 > 0 ? k0 - 1 : 0, last = std::min(nh, k1 + 1);
  for (uint32_t i = first; i < last; ++i) {
    const int64_t j = h0 + 2 * int64_t(i);
    predict_row(scratch + size_t(i - first) * w, in(j), in(j - 1), in(j + 1), w);
  }
  auto high = [&](int64_t j) { return scratch + size_t((mirror(j) - h0) / 2 - first) * w; };
  for (uint32_t k = k0; k < std::min(k1, nl); ++k) {
    const int64_t j = int64_t(py) + 2 * int64_t(k);
    T* out = dst + size_t(k) * stride;
    update_row(out, in(j), high(j - 1), high(j + 1), w);
    horizontal(out, w, px, hscratch, true);
  }
  for (uint32_t k = k0; k < std::min(k1, nh); ++k)
    horizontal(scratch + size_t(k - first) * w, dst + size_t(nl + k) * stride, w, px, hscratch, true);
}

}  // namespace dwt53_lift
}  // namespace htj2k
