// The row steps of the forward reversible 5/3 DWT (15444-1 F.4.8.2, whole-sample
// symmetric extension): the lifting row kernels of simd/dwt53.hpp (Highway, int32)
// and simd/dwt53_scalar.hpp (int64) by sample type, and the horizontal lift of a
// row. Shared by checksum/levels.cpp (low bands only) and simd/dwt53_level.hpp (a
// whole level, every band, for the encoder).
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

// Local index j of a signal of n > 1 samples under whole-sample symmetric extension
// (15444-1 F.3.7): -1 -> 1, n -> n - 2. Enough for the lifting steps' reach (|j| < 2n).
inline int64_t mirror_index(int64_t j, uint32_t n) {
  if (j < 0) j = -j;
  if (j >= int64_t(n)) j = 2 * (int64_t(n) - 1) - j;
  return j;
}

// Horizontal forward 5/3 on row r[0..m), m >= 1, whose first sample has coordinate
// parity p; the low band replaces r[0..low_count(m, p)), and with keep_high the
// high band follows it in r. The row is first split into its low-position (L) and
// high-position (H) samples so that both lifting steps run over contiguous arrays;
// r is then free, so the high band is predicted straight into its place (or into
// scratch without keep_high). scratch: 3 * (m/2 + 3).
// With src (m samples) apart from r, the row is read from src and r only written
// (the split reads every sample into scratch first: no extra copy).
template <typename T>
void horizontal(const T* src, T* r, uint32_t m, uint32_t p, T* scratch, bool keep_high) {
  if (m == 1) {  // one sample: the low band as it is, or a high band of 2x (F.4.8.2)
    r[0] = p ? T(src[0] * 2) : src[0];
    return;
  }
  const uint32_t nl = low_count(m, p), nh = m - nl;
  const size_t part = m / 2 + 3;
  T* Lb = scratch;             // Lb[1 + k] = low-position sample k
  T* H = scratch + part;       // H[k] = high-position sample k
  T* D = keep_high ? r + nl : scratch + 2 * part;  // D[k] = high-band sample k
  T* E = p == 0 ? Lb + 1 : H;  // samples at even local positions
  T* O = p == 0 ? H : Lb + 1;  // and at odd ones
  split_row(src, m / 2, E, O);
  if (m & 1) E[m / 2] = src[m - 1];
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

template <typename T>
void horizontal(T* r, uint32_t m, uint32_t p, T* scratch, bool keep_high) {
  horizontal<T>(r, r, m, p, scratch, keep_high);
}

}  // namespace dwt53_lift
}  // namespace htj2k
