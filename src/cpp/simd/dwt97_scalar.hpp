// The scalar forward 9/7 lifting, ICT and quantizer row kernels (15444-1 F.4.8.2,
// G.3, E.1.1): the one definition of the arithmetic, float32. simd/dwt97.hpp's
// *_scalar functions are these; the Highway kernels (simd/dwt97_ict.cpp) use them
// for their tails and perform the same operations in the same order, so that
// every target gives the same bits.
#pragma once
#include <cstddef>
#include <cstdint>

namespace htj2k {
namespace dwt97_scalar {

// The ICT's factors (15444-1 G.3).
constexpr float kIctR = 0.299f, kIctG = 0.587f, kIctB = 0.114f;
constexpr float kIctCb = float(0.5 / 0.886), kIctCr = float(0.5 / 0.701);

// out[i] = x[i] + c * (a[i] + b[i]); out may equal x.
inline void lift(float* out, const float* x, const float* a, const float* b, float c, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float s = a[i] + b[i];
    const float t = c * s;
    out[i] = x[i] + t;
  }
}

inline void scale(float* x, float k, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = x[i] * k;
}

inline void split(const float* r, size_t pairs, float* even, float* odd) {
  for (size_t k = 0; k < pairs; ++k) {
    even[k] = r[2 * k];
    odd[k] = r[2 * k + 1];
  }
}

// (R, G, B) -> (Y, Cb, Cr) in place.
inline void ict_forward(float* c0, float* c1, float* c2, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float r = c0[i], g = c1[i], b = c2[i];
    const float yr = kIctR * r, yg = kIctG * g, yb = kIctB * b;
    const float y = (yr + yg) + yb;
    c0[i] = y;
    c1[i] = (b - y) * kIctCb;
    c2[i] = (r - y) * kIctCr;
  }
}

inline void quantize(const float* v, int32_t* q, float inv_step, int32_t max_mag, size_t n) {
  const float lim = float(max_mag);
  for (size_t i = 0; i < n; ++i) {
    float t = v[i] * inv_step;
    t = t < -lim ? -lim : (t > lim ? lim : t);  // |t| <= 2^31 - 128 for every max_mag < 2^31
    int32_t m = int32_t(t);                      // toward zero
    m = m < -max_mag ? -max_mag : (m > max_mag ? max_mag : m);
    q[i] = m;
  }
}

inline void to_float(const int32_t* s, float* f, size_t n) {
  for (size_t i = 0; i < n; ++i) f[i] = float(s[i]);
}

}  // namespace dwt97_scalar
}  // namespace htj2k
