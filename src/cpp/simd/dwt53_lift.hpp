// One level of the forward reversible 5/3 DWT (15444-1 F.4.8.2, whole-sample
// symmetric extension) over rows and columns of a plane, built on the row kernels
// of simd/dwt53.hpp (Highway, int32) and simd/dwt53_scalar.hpp (int64): shared by
// checksum/levels.cpp (low bands only) and the encoder (encode/, every band).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "simd/dwt53.hpp"
#include "simd/dwt53_scalar.hpp"

namespace htj2k {
namespace dwt53_lift {

inline void predict_row(int32_t* d, const int32_t* x, const int32_t* a, const int32_t* b, size_t n) {
  dwt53_predict(d, x, a, b, n);
}
inline void predict_row(int64_t* d, const int64_t* x, const int64_t* a, const int64_t* b, size_t n) {
  dwt53_scalar::predict(d, x, a, b, n);
}
inline void update_row(int32_t* out, const int32_t* x, const int32_t* dl, const int32_t* dr, size_t n) {
  dwt53_update(out, x, dl, dr, n);  // out may equal x
}
inline void update_row(int64_t* out, const int64_t* x, const int64_t* dl, const int64_t* dr, size_t n) {
  dwt53_scalar::update(out, x, dl, dr, n);
}
inline void split_row(const int32_t* r, size_t pairs, int32_t* e, int32_t* o) { dwt53_split(r, pairs, e, o); }
inline void split_row(const int64_t* r, size_t pairs, int64_t* e, int64_t* o) {
  dwt53_scalar::split(r, pairs, e, o);
}

// Number of low-pass samples of n samples whose first has coordinate parity p.
inline uint32_t low_count(uint32_t n, uint32_t p) { return n > p ? (n - p + 1) / 2 : 0; }

// Horizontal forward 5/3 on row r[0..m), m >= 1, whose first sample has coordinate
// parity p; the low band replaces r[0..low_count(m, p)), and with keep_high the
// high band follows it in r. The row is first split into its low-position (L) and
// high-position (H) samples so that both lifting steps run over contiguous arrays;
// r is then free, so the high band is predicted straight into its place (or into
// scratch without keep_high). scratch: 3 * (m/2 + 3).
template <typename T>
void horizontal(T* r, uint32_t m, uint32_t p, T* scratch, bool keep_high) {
  if (m == 1) {  // one sample: the low band as it is, or a high band of 2x (F.4.8.2)
    if (p) r[0] = T(r[0] * 2);
    return;
  }
  const uint32_t nl = low_count(m, p), nh = m - nl;
  const size_t part = m / 2 + 3;
  T* Lb = scratch;             // Lb[1 + k] = low-position sample k
  T* H = scratch + part;       // H[k] = high-position sample k
  T* D = keep_high ? r + nl : scratch + 2 * part;  // D[k] = high-band sample k
  T* E = p == 0 ? Lb + 1 : H;  // samples at even local positions
  T* O = p == 0 ? H : Lb + 1;  // and at odd ones
  split_row(r, m / 2, E, O);
  if (m & 1) E[m / 2] = r[m - 1];
  // A neighbour beyond either end of the row reflects onto the sample of the same
  // band next to it (x[-1] = x[1], x[m] = x[m-2]).
  Lb[0] = Lb[1];
  Lb[nl + 1] = Lb[nl];
  // High sample k lies between low samples k-p and k+1-p: Lb offsets k+1-p, k+2-p.
  predict_row(D, H, Lb + 1 - p, Lb + 2 - p, nh);
  // Low sample k lies between high samples k-1+p and k+p, mirrored into 0..nh-1 at
  // the ends: the kernel runs where both lie inside, the (at most two) others here.
  const auto high = [&](int64_t i) { return D[i < 0 ? 0 : (i >= int64_t(nh) ? nh - 1 : i)]; };
  const uint32_t k0 = 1 - p, k1 = std::max(k0, std::min(nl, nh - p));
  if (k1 > k0) update_row(r + k0, Lb + 1 + k0, D + k0 + p - 1, D + k0 + p, k1 - k0);
  const auto edge = [&](uint32_t k) {
    const T a = high(int64_t(k) + p - 1), b = high(int64_t(k) + p);
    dwt53_scalar::update(r + k, Lb + 1 + k, &a, &b, 1);
  };
  for (uint32_t k = 0; k < std::min(k0, nl); ++k) edge(k);
  for (uint32_t k = k1; k < nl; ++k) edge(k);
}

// Vertical forward 5/3 on the w x h corner of plane p (rows `stride` apart) whose
// first row has parity py: low rows go to rows [0, nl), high rows to [nl, h). The
// high rows are predicted into tmp (ceil(h / 2) * w elements) from the untouched
// input, the low rows updated straight into their place (low row k from input row
// 2k + py >= k: the rows it overwrites are not read again), the high rows copied below.
template <typename T>
void vertical(T* p, size_t stride, uint32_t w, uint32_t h, uint32_t py, T* tmp) {
  if (h == 1) {
    if (py)
      for (uint32_t x = 0; x < w; ++x) p[x] = T(p[x] * 2);
    return;
  }
  const uint32_t nl = low_count(h, py), nh = h - nl;
  auto mirror = [&](int64_t j) {  // whole-sample symmetric extension of local rows
    if (j < 0) j = -j;
    if (j >= int64_t(h)) j = 2 * (int64_t(h) - 1) - j;
    return j;
  };
  auto row = [&](int64_t j) -> T* { return p + size_t(mirror(j)) * stride; };
  const int64_t h0 = 1 - int64_t(py);  // local row of high row 0
  for (uint32_t k = 0; k < nh; ++k) {
    const int64_t j = h0 + 2 * int64_t(k);
    predict_row(tmp + size_t(k) * w, row(j), row(j - 1), row(j + 1), w);
  }
  auto high = [&](int64_t j) { return tmp + size_t((mirror(j) - h0) / 2) * w; };
  for (uint32_t k = 0; k < nl; ++k) {
    const int64_t j = int64_t(py) + 2 * int64_t(k);  // >= k: rows below k are not read again
    update_row(p + size_t(k) * stride, row(j), high(j - 1), high(j + 1), w);
  }
  for (uint32_t k = 0; k < nh; ++k) std::copy(tmp + size_t(k) * w, tmp + size_t(k + 1) * w, p + size_t(nl + k) * stride);
}

}  // namespace dwt53_lift
}  // namespace htj2k
