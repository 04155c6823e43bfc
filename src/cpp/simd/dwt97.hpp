// Row kernels of the forward irreversible 9/7 lifting (ISO/IEC 15444-1 F.4.8.2),
// the irreversible colour transform (G.3) and the deadzone scalar quantizer
// (E.1.1), float32, runtime-dispatched with Highway. The *_scalar functions
// (simd/dwt97_scalar.hpp) are the references: every kernel performs the same
// IEEE operations in the same order (no fused multiply-add: the sources are
// compiled with -ffp-contract=off), so each target's result equals the scalar
// one bit for bit. Arguments may not overlap except where stated.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace htj2k {

// The lifting constants of 15444-1 Table F.4 (alpha, beta, gamma, delta, K).
constexpr float kDwt97Alpha = -1.586134342059924f;
constexpr float kDwt97Beta = -0.052980118572961f;
constexpr float kDwt97Gamma = 0.882911075530934f;
constexpr float kDwt97Delta = 0.443506852043971f;
constexpr float kDwt97K = 1.230174104914001f;
constexpr float kDwt97InvK = float(1.0 / 1.230174104914001);

// out[i] = x[i] + c * (a[i] + b[i])   (one lifting step). out may equal x; a may equal b.
void dwt97_step(float* out, const float* x, const float* a, const float* b, float c, size_t n);
void dwt97_step_scalar(float* out, const float* x, const float* a, const float* b, float c, size_t n);

// x[i] = x[i] * k   (the final scaling of the low and high bands).
void dwt97_scale(float* x, float k, size_t n);
void dwt97_scale_scalar(float* x, float k, size_t n);

// even[k] = r[2k], odd[k] = r[2k + 1] for k < pairs.
void dwt97_split(const float* r, size_t pairs, float* even, float* odd);
void dwt97_split_scalar(const float* r, size_t pairs, float* even, float* odd);

// Irreversible colour transform (15444-1 G.3) of one row, in place:
// Y = 0.299 R + 0.587 G + 0.114 B, Cb = (B - Y) * 0.5 / 0.886, Cr = (R - Y) * 0.5 / 0.701
// (G.3's matrix in the form whose inverse is G.3's exactly: R = Y + 1.402 Cr,
// B = Y + 1.772 Cb).
void ict_forward(float* c0, float* c1, float* c2, size_t n);
void ict_forward_scalar(float* c0, float* c1, float* c2, size_t n);

// Deadzone quantization (15444-1 E.1.1, inverted): q = sign(v) * min(floor(|v| * inv_step), max_mag),
// the multiplication in float, the floor a truncation toward zero; max_mag < 2^30.
// q may be v's memory (in place).
void quantize_row(const float* v, int32_t* q, float inv_step, int32_t max_mag, size_t n);
void quantize_row_scalar(const float* v, int32_t* q, float inv_step, int32_t max_mag, size_t n);

// int32 samples to float; f may be s's memory (in place).
void to_float_row(const int32_t* s, float* f, size_t n);
void to_float_row_scalar(const int32_t* s, float* f, size_t n);

// ---- for tests and benchmarks -------------------------------------------------
struct Dwt97Kernels {
  std::string target;  // Highway target name, or "scalar"
  void (*lift)(float*, const float*, const float*, const float*, float, size_t);
  void (*scale)(float*, float, size_t);
  void (*split)(const float*, size_t, float*, float*);
  void (*ict_forward)(float*, float*, float*, size_t);
  void (*quantize)(const float*, int32_t*, float, int32_t, size_t);
  void (*to_float)(const int32_t*, float*, size_t);
};
// Every target compiled in and supported here, best first, then "scalar".
std::vector<Dwt97Kernels> dwt97_kernel_sets();

}  // namespace htj2k
