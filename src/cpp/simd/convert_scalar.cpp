#include <algorithm>

#include "simd/convert.hpp"

namespace htj2k {
namespace {

template <typename T>
void store_t(const int32_t* src, size_t n, T* dst, size_t stride, int64_t lo64, int64_t hi64) {
  // Clamp bounds fit int32 except for u32 with bit depth 32, handled by caller via int64.
  if (lo64 >= INT32_MIN && hi64 <= INT32_MAX) {
    const int32_t lo = int32_t(lo64), hi = int32_t(hi64);
    if (stride == 1) {
      for (size_t i = 0; i < n; ++i) dst[i] = T(std::min(std::max(src[i], lo), hi));
    } else {
      for (size_t i = 0; i < n; ++i) dst[i * stride] = T(std::min(std::max(src[i], lo), hi));
    }
  } else {
    for (size_t i = 0; i < n; ++i)
      dst[i * stride] = T(std::min(std::max<int64_t>(src[i], lo64), hi64));
  }
}

template <typename T>
void load_t(const T* src, size_t n, size_t stride, int32_t* dst) {
  if (stride == 1) {
    for (size_t i = 0; i < n; ++i) dst[i] = int32_t(src[i]);
  } else {
    for (size_t i = 0; i < n; ++i) dst[i] = int32_t(src[i * stride]);
  }
}

template <typename T>
void minmax_t(const T* src, size_t n, size_t stride, int64_t* mn, int64_t* mx) {
  if (n == 0) return;
  T lo = src[0], hi = src[0];
  for (size_t i = 0; i < n; ++i) {
    T v = src[i * stride];
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  *mn = std::min<int64_t>(*mn, lo);
  *mx = std::max<int64_t>(*mx, hi);
}

}  // namespace

void store_clamped_scalar(const int32_t* src, size_t n, void* dst, size_t stride, SampleType t,
                          int64_t lo, int64_t hi) {
  switch (t) {
    case SampleType::U8: return store_t(src, n, static_cast<uint8_t*>(dst), stride, lo, hi);
    case SampleType::I8: return store_t(src, n, static_cast<int8_t*>(dst), stride, lo, hi);
    case SampleType::U16: return store_t(src, n, static_cast<uint16_t*>(dst), stride, lo, hi);
    case SampleType::I16: return store_t(src, n, static_cast<int16_t*>(dst), stride, lo, hi);
    case SampleType::U32: return store_t(src, n, static_cast<uint32_t*>(dst), stride, lo, hi);
    case SampleType::I32: return store_t(src, n, static_cast<int32_t*>(dst), stride, lo, hi);
  }
}

void store_clamped_interleaved_scalar(const int32_t* const* srcs, size_t nc, size_t n, void* dst,
                                      SampleType t, const int64_t* lo, const int64_t* hi) {
  auto* base = static_cast<uint8_t*>(dst);
  const size_t bytes = sample_bytes(t);
  for (size_t c = 0; c < nc; ++c)
    store_clamped_scalar(srcs[c], n, base + c * bytes, nc, t, lo[c], hi[c]);
}

void load_widen_scalar(const void* src, size_t n, size_t stride, SampleType t, int32_t* dst) {
  switch (t) {
    case SampleType::U8: return load_t(static_cast<const uint8_t*>(src), n, stride, dst);
    case SampleType::I8: return load_t(static_cast<const int8_t*>(src), n, stride, dst);
    case SampleType::U16: return load_t(static_cast<const uint16_t*>(src), n, stride, dst);
    case SampleType::I16: return load_t(static_cast<const int16_t*>(src), n, stride, dst);
    case SampleType::U32: return load_t(static_cast<const uint32_t*>(src), n, stride, dst);
    case SampleType::I32: return load_t(static_cast<const int32_t*>(src), n, stride, dst);
  }
}

void min_max_scalar(const void* src, size_t n, size_t stride, SampleType t, int64_t* mn,
                    int64_t* mx) {
  switch (t) {
    case SampleType::U8: return minmax_t(static_cast<const uint8_t*>(src), n, stride, mn, mx);
    case SampleType::I8: return minmax_t(static_cast<const int8_t*>(src), n, stride, mn, mx);
    case SampleType::U16: return minmax_t(static_cast<const uint16_t*>(src), n, stride, mn, mx);
    case SampleType::I16: return minmax_t(static_cast<const int16_t*>(src), n, stride, mn, mx);
    case SampleType::U32: return minmax_t(static_cast<const uint32_t*>(src), n, stride, mn, mx);
    case SampleType::I32: return minmax_t(static_cast<const int32_t*>(src), n, stride, mn, mx);
  }
}

}  // namespace htj2k
