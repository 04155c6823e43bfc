// One level of the forward irreversible 9/7 DWT (15444-1 F.4.8.2, whole-sample
// symmetric extension) over rows and columns of a float plane, built on the row
// kernels of simd/dwt97.hpp: the same geometry as simd/dwt53_lift.hpp (a sample
// whose coordinate parity is p starts the row; the low band first, then the high
// band, in place), four lifting steps (alpha, beta, gamma, delta) instead of two,
// then the low band scaled by 1/K and the high band by K. `kernels` picks the row
// kernels (the dispatched ones by default; tests pass the scalar set).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "simd/dwt53_lift.hpp"
#include "simd/dwt97.hpp"

namespace htj2k {
namespace dwt97_lift {

struct RowKernels {
  void (*lift)(float*, const float*, const float*, const float*, float, size_t) = &dwt97_step;
  void (*scale)(float*, float, size_t) = &dwt97_scale;
  void (*split)(const float*, size_t, float*, float*) = &dwt97_split;
};

using dwt53_lift::low_count;
using dwt53_lift::mirror_index;

// Horizontal forward 9/7 on row r[0..m), m >= 1, first sample of coordinate parity
// p. Lb and Hb hold the low- and high-position samples with one slot of symmetric
// extension at each end, refreshed before every step (a neighbour beyond an end
// reflects onto the sample of the same band next to it, as for the 5/3).
// scratch: 2 * (m/2 + 3) floats.
inline void horizontal(float* r, uint32_t m, uint32_t p, float* scratch, const RowKernels& k = RowKernels()) {
  if (m == 1) {  // one sample: the low band as it is, or a high band of 2x (F.4.8.1)
    if (p) r[0] = r[0] * 2.0f;
    return;
  }
  const uint32_t nl = low_count(m, p), nh = m - nl;
  const size_t part = m / 2 + 3;
  float* Lb = scratch;         // Lb[1 + k] = low-position sample k
  float* Hb = scratch + part;  // Hb[1 + k] = high-position sample k
  float* E = p == 0 ? Lb + 1 : Hb + 1;
  float* O = p == 0 ? Hb + 1 : Lb + 1;
  k.split(r, m / 2, E, O);
  if (m & 1) E[m / 2] = r[m - 1];
  auto extend = [](float* b, uint32_t n) {
    b[0] = b[1];
    b[n + 1] = b[n];
  };
  // High sample k lies between low samples k-p and k+1-p; low sample k between
  // high samples k-1+p and k+p.
  extend(Lb, nl);
  k.lift(Hb + 1, Hb + 1, Lb + 1 - p, Lb + 2 - p, kDwt97Alpha, nh);
  extend(Hb, nh);
  k.lift(Lb + 1, Lb + 1, Hb + p, Hb + p + 1, kDwt97Beta, nl);
  extend(Lb, nl);
  k.lift(Hb + 1, Hb + 1, Lb + 1 - p, Lb + 2 - p, kDwt97Gamma, nh);
  extend(Hb, nh);
  k.lift(Lb + 1, Lb + 1, Hb + p, Hb + p + 1, kDwt97Delta, nl);
  k.scale(Lb + 1, kDwt97InvK, nl);
  k.scale(Hb + 1, kDwt97K, nh);
  std::copy(Lb + 1, Lb + 1 + nl, r);
  std::copy(Hb + 1, Hb + 1 + nh, r + nl);
}

// Vertical forward 9/7 on the w x h corner of plane p (rows `stride` apart) whose
// first row has parity py: the lifting steps run in place on the interleaved rows
// (each step reads only rows of the other band), then low rows go to [0, nl) and
// high rows to [nl, h) through tmp (ceil(h / 2) * w floats).
inline void vertical(float* p, size_t stride, uint32_t w, uint32_t h, uint32_t py, float* tmp,
                     const RowKernels& k = RowKernels()) {
  if (h == 1) {
    if (py)
      for (uint32_t x = 0; x < w; ++x) p[x] = p[x] * 2.0f;
    return;
  }
  const uint32_t nl = low_count(h, py), nh = h - nl;
  auto mirror = [&](int64_t j) { return mirror_index(j, h); };  // of local rows
  auto row = [&](int64_t j) -> float* { return p + size_t(mirror(j)) * stride; };
  const int64_t h0 = 1 - int64_t(py);  // local row of high row 0
  auto step = [&](int64_t first, uint32_t count, float c) {
    for (uint32_t i = 0; i < count; ++i) {
      const int64_t j = first + 2 * int64_t(i);
      k.lift(row(j), row(j), row(j - 1), row(j + 1), c, w);
    }
  };
  step(h0, nh, kDwt97Alpha);
  step(py, nl, kDwt97Beta);
  step(h0, nh, kDwt97Gamma);
  step(py, nl, kDwt97Delta);
  for (uint32_t i = 0; i < nh; ++i) {
    float* x = row(h0 + 2 * int64_t(i));
    k.scale(x, kDwt97K, w);
    std::copy(x, x + w, tmp + size_t(i) * w);
  }
  for (uint32_t i = 0; i < nl; ++i) {
    const int64_t j = int64_t(py) + 2 * int64_t(i);  // >= i: rows below i are not read again
    float* x = row(j);
    k.scale(x, kDwt97InvK, w);
    if (size_t(j) != i) std::copy(x, x + w, p + size_t(i) * stride);
  }
  for (uint32_t i = 0; i < nh; ++i)
    std::copy(tmp + size_t(i) * w, tmp + size_t(i + 1) * w, p + size_t(nl + i) * stride);
}

}  // namespace dwt97_lift
}  // namespace htj2k
