// The scalar forward 5/3 lifting and RCT row kernels (15444-1 F.4.8.2, G.2), for
// any signed sample type: the one definition of the arithmetic. simd/dwt53.hpp's
// *_scalar functions are these for int32 (the twins the Highway kernels are tested
// against); checksum/levels.cpp uses them for int64 (bit depths above 24) and the
// Highway kernels for int32. Floor division by 2 and 4 is an arithmetic right shift.
#pragma once
#include <cstddef>

namespace htj2k {
namespace dwt53_scalar {

// d[i] = x[i] - floor((a[i] + b[i]) / 2)
template <typename T>
void predict(T* d, const T* x, const T* a, const T* b, size_t n) {
  for (size_t i = 0; i < n; ++i) d[i] = x[i] - ((a[i] + b[i]) >> 1);
}
// out[i] = x[i] + floor((dl[i] + dr[i] + 2) / 4); out may equal x.
template <typename T>
void update(T* out, const T* x, const T* dl, const T* dr, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = x[i] + ((dl[i] + dr[i] + 2) >> 2);
}
// even[k] = r[2k], odd[k] = r[2k + 1]
template <typename T>
void split(const T* r, size_t pairs, T* even, T* odd) {
  for (size_t k = 0; k < pairs; ++k) {
    even[k] = r[2 * k];
    odd[k] = r[2 * k + 1];
  }
}
// (R, G, B) -> (Y, Cb, Cr) in place
template <typename T>
void rct_forward(T* c0, T* c1, T* c2, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const T r = c0[i], g = c1[i], b = c2[i];
    c0[i] = (r + 2 * g + b) >> 2;
    c1[i] = b - g;
    c2[i] = r - g;
  }
}
// (Y, Cb, Cr) -> (R, G, B) in place
template <typename T>
void rct_inverse(T* c0, T* c1, T* c2, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const T g = c0[i] - ((c1[i] + c2[i]) >> 2);
    c0[i] = c2[i] + g;
    c2[i] = c1[i] + g;
    c1[i] = g;
  }
}

}  // namespace dwt53_scalar
}  // namespace htj2k
