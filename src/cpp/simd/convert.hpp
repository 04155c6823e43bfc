// Sample conversion between OpenJPH's int32 line buffers and caller arrays.
// Runtime-dispatched with Highway (the best target this CPU supports, chosen on
// first use); the scalar versions are the reference the SIMD ones are tested
// against and serve the cases the SIMD code does not cover (general strides,
// bounds outside the output type).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/sample_types.hpp"

namespace htj2k {

// dst[i * stride] = clamp(src[i], lo, hi) as type t, for i < n. stride is in
// elements of t (number of interleaved components). The conversion to t is
// modular (as a C++ cast), so bounds outside t's range wrap as in the scalar code.
void store_clamped(const int32_t* src, size_t n, void* dst, size_t stride, SampleType t,
                   int64_t lo, int64_t hi);
void store_clamped_scalar(const int32_t* src, size_t n, void* dst, size_t stride, SampleType t,
                          int64_t lo, int64_t hi);

// All nc components of one interleaved row at once:
// dst[i * nc + c] = clamp(srcs[c][i], lo[c], hi[c]) as type t, for i < n, c < nc.
// Vectorised (component interleaving in registers) for nc = 1..4.
void store_clamped_interleaved(const int32_t* const* srcs, size_t nc, size_t n, void* dst,
                               SampleType t, const int64_t* lo, const int64_t* hi);
void store_clamped_interleaved_scalar(const int32_t* const* srcs, size_t nc, size_t n, void* dst,
                                      SampleType t, const int64_t* lo, const int64_t* hi);

// dst[i] = src[i * stride] widened to int32, for i < n. Vectorised for strides 1..4.
void load_widen(const void* src, size_t n, size_t stride, SampleType t, int32_t* dst);
void load_widen_scalar(const void* src, size_t n, size_t stride, SampleType t, int32_t* dst);

// Min and max over n samples taken with stride (in elements) from src, folded
// into *mn / *mx (initialise them to INT64_MAX / INT64_MIN). Vectorised for stride 1.
void min_max(const void* src, size_t n, size_t stride, SampleType t, int64_t* mn, int64_t* mx);
void min_max_scalar(const void* src, size_t n, size_t stride, SampleType t, int64_t* mn,
                    int64_t* mx);

// ---- for tests and benchmarks -------------------------------------------------
struct ConvertKernels {
  std::string target;  // Highway target name ("AVX3", "AVX2", ...) or "scalar"
  void (*store_clamped)(const int32_t*, size_t, void*, size_t, SampleType, int64_t, int64_t);
  void (*store_clamped_interleaved)(const int32_t* const*, size_t, size_t, void*, SampleType,
                                    const int64_t*, const int64_t*);
  void (*load_widen)(const void*, size_t, size_t, SampleType, int32_t*);
  void (*min_max)(const void*, size_t, size_t, SampleType, int64_t*, int64_t*);
};

// The kernels of every target compiled in and supported by this CPU, best
// first, then the scalar reference (last, target "scalar").
std::vector<ConvertKernels> convert_kernel_sets();
// Name of the target the dispatched functions above use on this CPU.
std::string convert_active_target();

}  // namespace htj2k
