// Row kernels of the forward reversible 5/3 lifting (ISO/IEC 15444-1 F.4.8.2,
// int32 samples), runtime-dispatched with Highway; the scalar versions are the
// references the SIMD ones are tested against. Floor division by 2 and 4 is an
// arithmetic right shift. Arguments may not overlap except where stated.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace htj2k {

// d[i] = x[i] - floor((a[i] + b[i]) / 2)   (prediction: high band). a may equal b.
void dwt53_predict(int32_t* d, const int32_t* x, const int32_t* a, const int32_t* b, size_t n);
void dwt53_predict_scalar(int32_t* d, const int32_t* x, const int32_t* a, const int32_t* b, size_t n);

// out[i] = x[i] + floor((dl[i] + dr[i] + 2) / 4)   (update: low band). out may
// equal x (in place); dl may equal dr.
void dwt53_update(int32_t* out, const int32_t* x, const int32_t* dl, const int32_t* dr, size_t n);
void dwt53_update_scalar(int32_t* out, const int32_t* x, const int32_t* dl, const int32_t* dr, size_t n);

// even[k] = r[2k], odd[k] = r[2k + 1] for k < pairs.
void dwt53_split(const int32_t* r, size_t pairs, int32_t* even, int32_t* odd);
void dwt53_split_scalar(const int32_t* r, size_t pairs, int32_t* even, int32_t* odd);

// Reversible colour transform (15444-1 G.2) of one row, in place: (R, G, B) ->
// (Y, Cb, Cr) = (floor((R + 2G + B) / 4), B - G, R - G), and back:
// G = Y - floor((Cb + Cr) / 4), R = Cr + G, B = Cb + G.
void rct_forward(int32_t* c0, int32_t* c1, int32_t* c2, size_t n);
void rct_inverse(int32_t* c0, int32_t* c1, int32_t* c2, size_t n);
void rct_forward_scalar(int32_t* c0, int32_t* c1, int32_t* c2, size_t n);
void rct_inverse_scalar(int32_t* c0, int32_t* c1, int32_t* c2, size_t n);

// ---- for tests and benchmarks -------------------------------------------------
struct Dwt53Kernels {
  std::string target;  // Highway target name, or "scalar"
  void (*predict)(int32_t*, const int32_t*, const int32_t*, const int32_t*, size_t);
  void (*update)(int32_t*, const int32_t*, const int32_t*, const int32_t*, size_t);
  void (*split)(const int32_t*, size_t, int32_t*, int32_t*);
  void (*rct_forward)(int32_t*, int32_t*, int32_t*, size_t);
  void (*rct_inverse)(int32_t*, int32_t*, int32_t*, size_t);
};
// Every target compiled in and supported here, best first, then "scalar".
std::vector<Dwt53Kernels> dwt53_kernel_sets();

}  // namespace htj2k
