// Sample conversion between OpenJPH's int32 line buffers and caller arrays.
// Runtime-dispatched (Highway) where it pays; the scalar versions are kept
// for testing the SIMD ones.
#pragma once
#include <cstddef>
#include <cstdint>

#include "simd/sample_types.hpp"

namespace htj2k {

// dst[i * stride] = clamp(src[i], lo, hi) as type t, for i < n. stride is in
// elements of t (number of interleaved components).
void store_clamped(const int32_t* src, size_t n, void* dst, size_t stride, SampleType t,
                   int64_t lo, int64_t hi);
void store_clamped_scalar(const int32_t* src, size_t n, void* dst, size_t stride, SampleType t,
                          int64_t lo, int64_t hi);

// dst[i] = src[i * stride] widened to int32, for i < n.
void load_widen(const void* src, size_t n, size_t stride, SampleType t, int32_t* dst);
void load_widen_scalar(const void* src, size_t n, size_t stride, SampleType t, int32_t* dst);

// Min and max over n samples taken with stride (in elements) from src.
void min_max(const void* src, size_t n, size_t stride, SampleType t, int64_t* mn, int64_t* mx);
void min_max_scalar(const void* src, size_t n, size_t stride, SampleType t, int64_t* mn,
                    int64_t* mx);

}  // namespace htj2k
