// Highway kernels for the sample conversions of convert.hpp, compiled once per
// SIMD target (foreach_target.h) and chosen at run time (HWY_DYNAMIC_DISPATCH).
// Each kernel handles the common layouts with full vectors and finishes the
// last partial vector in scalar code; anything else (general strides, bounds
// outside the output type) is handed to the scalar reference, so results are
// bit-identical to convert_scalar.cpp in every case.

// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "simd/convert.cpp"
#include <hwy/foreach_target.h>  // NOLINT: must come before highway.h
#include <hwy/highway.h>
// clang-format on

#include <algorithm>
#include <climits>
#include <limits>

#include "simd/convert.hpp"

#ifndef HTJ2K_CONVERT_DISPATCH_SHARED
#define HTJ2K_CONVERT_DISPATCH_SHARED
namespace htj2k {
namespace convert_detail {

// True when [lo, hi] lies inside T's range, so a saturating narrowing after the
// clamp equals the modular C++ conversion of the scalar code.
template <typename T>
inline bool bounds_in_type(int64_t lo, int64_t hi) {
  return lo <= hi && lo >= int64_t(std::numeric_limits<T>::min()) &&
         hi <= int64_t(std::numeric_limits<T>::max());
}

// int32 clamp bounds equivalent to [lo, hi] for int32 inputs; false when every
// result is the same constant (then the scalar code is simplest).
inline bool int32_bounds(int64_t lo, int64_t hi, int32_t* lo32, int32_t* hi32) {
  if (lo > hi || lo > INT32_MAX || hi < INT32_MIN) return false;
  *lo32 = int32_t(std::max<int64_t>(lo, INT32_MIN));
  *hi32 = int32_t(std::min<int64_t>(hi, INT32_MAX));
  return true;
}

}  // namespace convert_detail
}  // namespace htj2k
#endif  // HTJ2K_CONVERT_DISPATCH_SHARED

HWY_BEFORE_NAMESPACE();
namespace htj2k {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using D32 = hn::ScalableTag<int32_t>;

// clamp(v) narrowed (or reinterpreted, for 4-byte T) to a vector of T with the
// lanes of D32.
template <typename T, class V>
HWY_INLINE auto ClampTo(V v, V lo, V hi) {
  const D32 d32;
  const hn::Rebind<T, D32> dt;
  const V c = hn::Min(hn::Max(v, lo), hi);
  if constexpr (sizeof(T) == 4) {
    return hn::BitCast(dt, c);
  } else {
    return hn::DemoteTo(dt, c);
  }
  (void)d32;
}

template <typename T>
HWY_INLINE T ClampScalar(int32_t v, int32_t lo, int32_t hi) {
  return T(std::min(std::max(v, lo), hi));
}

template <typename T>
void StoreContiguous(const int32_t* HWY_RESTRICT src, size_t n, T* HWY_RESTRICT dst, int32_t lo,
                     int32_t hi) {
  const D32 d32;
  const hn::Rebind<T, D32> dt;
  const size_t N = hn::Lanes(d32);
  const auto vlo = hn::Set(d32, lo), vhi = hn::Set(d32, hi);
  size_t i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto a = ClampTo<T>(hn::LoadU(d32, src + i), vlo, vhi);
    const auto b = ClampTo<T>(hn::LoadU(d32, src + i + N), vlo, vhi);
    hn::StoreU(a, dt, dst + i);
    hn::StoreU(b, dt, dst + i + N);
  }
  for (; i + N <= n; i += N) hn::StoreU(ClampTo<T>(hn::LoadU(d32, src + i), vlo, vhi), dt, dst + i);
  for (; i < n; ++i) dst[i] = ClampScalar<T>(src[i], lo, hi);
}

template <typename T>
void StoreTyped(const int32_t* src, size_t n, void* dst, size_t stride, SampleType t, int64_t lo,
                int64_t hi) {
  int32_t lo32, hi32;
  if (stride == 1 && convert_detail::bounds_in_type<T>(lo, hi) &&
      convert_detail::int32_bounds(lo, hi, &lo32, &hi32)) {
    StoreContiguous<T>(src, n, static_cast<T*>(dst), lo32, hi32);
    return;
  }
  store_clamped_scalar(src, n, dst, stride, t, lo, hi);
}

void StoreClampedImpl(const int32_t* src, size_t n, void* dst, size_t stride, SampleType t,
                      int64_t lo, int64_t hi) {
  switch (t) {
    case SampleType::U8: return StoreTyped<uint8_t>(src, n, dst, stride, t, lo, hi);
    case SampleType::I8: return StoreTyped<int8_t>(src, n, dst, stride, t, lo, hi);
    case SampleType::U16: return StoreTyped<uint16_t>(src, n, dst, stride, t, lo, hi);
    case SampleType::I16: return StoreTyped<int16_t>(src, n, dst, stride, t, lo, hi);
    case SampleType::U32: return StoreTyped<uint32_t>(src, n, dst, stride, t, lo, hi);
    case SampleType::I32: return StoreTyped<int32_t>(src, n, dst, stride, t, lo, hi);
  }
}

// ---- interleaved rows --------------------------------------------------------

template <typename T, size_t NC>
void StoreInterleavedN(const int32_t* const* HWY_RESTRICT srcs, size_t n, T* HWY_RESTRICT dst,
                       const int32_t* lo, const int32_t* hi) {
  const D32 d32;
  const hn::Rebind<T, D32> dt;
  const size_t N = hn::Lanes(d32);
  decltype(hn::Zero(d32)) vlo[NC], vhi[NC];
  for (size_t c = 0; c < NC; ++c) {
    vlo[c] = hn::Set(d32, lo[c]);
    vhi[c] = hn::Set(d32, hi[c]);
  }
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto v0 = ClampTo<T>(hn::LoadU(d32, srcs[0] + i), vlo[0], vhi[0]);
    const auto v1 = ClampTo<T>(hn::LoadU(d32, srcs[1] + i), vlo[1], vhi[1]);
    if constexpr (NC == 2) {
      hn::StoreInterleaved2(v0, v1, dt, dst + 2 * i);
    } else {
      const auto v2 = ClampTo<T>(hn::LoadU(d32, srcs[2] + i), vlo[2], vhi[2]);
      if constexpr (NC == 3) {
        hn::StoreInterleaved3(v0, v1, v2, dt, dst + 3 * i);
      } else {
        const auto v3 = ClampTo<T>(hn::LoadU(d32, srcs[3] + i), vlo[3], vhi[3]);
        hn::StoreInterleaved4(v0, v1, v2, v3, dt, dst + 4 * i);
      }
    }
  }
  for (; i < n; ++i)
    for (size_t c = 0; c < NC; ++c) dst[i * NC + c] = ClampScalar<T>(srcs[c][i], lo[c], hi[c]);
}

template <typename T>
void StoreInterleavedTyped(const int32_t* const* srcs, size_t nc, size_t n, void* dst,
                           SampleType t, const int64_t* lo, const int64_t* hi) {
  int32_t lo32[4], hi32[4];
  bool simd = nc >= 1 && nc <= 4;
  for (size_t c = 0; simd && c < nc; ++c)
    simd = convert_detail::bounds_in_type<T>(lo[c], hi[c]) &&
           convert_detail::int32_bounds(lo[c], hi[c], &lo32[c], &hi32[c]);
  if (!simd) return store_clamped_interleaved_scalar(srcs, nc, n, dst, t, lo, hi);
  T* out = static_cast<T*>(dst);
  switch (nc) {
    case 1: return StoreContiguous<T>(srcs[0], n, out, lo32[0], hi32[0]);
    case 2: return StoreInterleavedN<T, 2>(srcs, n, out, lo32, hi32);
    case 3: return StoreInterleavedN<T, 3>(srcs, n, out, lo32, hi32);
    default: return StoreInterleavedN<T, 4>(srcs, n, out, lo32, hi32);
  }
}

void StoreClampedInterleavedImpl(const int32_t* const* srcs, size_t nc, size_t n, void* dst,
                                 SampleType t, const int64_t* lo, const int64_t* hi) {
  switch (t) {
    case SampleType::U8: return StoreInterleavedTyped<uint8_t>(srcs, nc, n, dst, t, lo, hi);
    case SampleType::I8: return StoreInterleavedTyped<int8_t>(srcs, nc, n, dst, t, lo, hi);
    case SampleType::U16: return StoreInterleavedTyped<uint16_t>(srcs, nc, n, dst, t, lo, hi);
    case SampleType::I16: return StoreInterleavedTyped<int16_t>(srcs, nc, n, dst, t, lo, hi);
    case SampleType::U32: return StoreInterleavedTyped<uint32_t>(srcs, nc, n, dst, t, lo, hi);
    case SampleType::I32: return StoreInterleavedTyped<int32_t>(srcs, nc, n, dst, t, lo, hi);
  }
}

// ---- widening loads (encoding) ------------------------------------------------

// A vector of T (lanes of D32) widened to int32.
template <typename T, class VT>
HWY_INLINE auto Widen(VT v) {
  const D32 d32;
  if constexpr (sizeof(T) == 4) {
    return hn::BitCast(d32, v);
  } else {
    return hn::PromoteTo(d32, v);
  }
}

template <typename T>
void LoadTyped(const T* HWY_RESTRICT src, size_t n, size_t stride, int32_t* HWY_RESTRICT dst) {
  const D32 d32;
  const hn::Rebind<T, D32> dt;
  const size_t N = hn::Lanes(d32);
  size_t i = 0;
  switch (stride) {
    case 1:
      for (; i + 2 * N <= n; i += 2 * N) {
        const auto a = Widen<T>(hn::LoadU(dt, src + i));
        const auto b = Widen<T>(hn::LoadU(dt, src + i + N));
        hn::StoreU(a, d32, dst + i);
        hn::StoreU(b, d32, dst + i + N);
      }
      for (; i + N <= n; i += N) hn::StoreU(Widen<T>(hn::LoadU(dt, src + i)), d32, dst + i);
      break;
    // An interleaved load reads stride * N elements from src + stride * i; only
    // src[k * stride] for k < n is known to exist, hence i + N < n (not <=).
    case 2:
      for (; i + N < n; i += N) {
        decltype(hn::Zero(dt)) v0, v1;
        hn::LoadInterleaved2(dt, src + 2 * i, v0, v1);
        hn::StoreU(Widen<T>(v0), d32, dst + i);
      }
      break;
    case 3:
      for (; i + N < n; i += N) {
        decltype(hn::Zero(dt)) v0, v1, v2;
        hn::LoadInterleaved3(dt, src + 3 * i, v0, v1, v2);
        hn::StoreU(Widen<T>(v0), d32, dst + i);
      }
      break;
    case 4:
      for (; i + N < n; i += N) {
        decltype(hn::Zero(dt)) v0, v1, v2, v3;
        hn::LoadInterleaved4(dt, src + 4 * i, v0, v1, v2, v3);
        hn::StoreU(Widen<T>(v0), d32, dst + i);
      }
      break;
    default:
      break;
  }
  for (; i < n; ++i) dst[i] = int32_t(src[i * stride]);
}

void LoadWidenImpl(const void* src, size_t n, size_t stride, SampleType t, int32_t* dst) {
  switch (t) {
    case SampleType::U8: return LoadTyped(static_cast<const uint8_t*>(src), n, stride, dst);
    case SampleType::I8: return LoadTyped(static_cast<const int8_t*>(src), n, stride, dst);
    case SampleType::U16: return LoadTyped(static_cast<const uint16_t*>(src), n, stride, dst);
    case SampleType::I16: return LoadTyped(static_cast<const int16_t*>(src), n, stride, dst);
    case SampleType::U32: return LoadTyped(static_cast<const uint32_t*>(src), n, stride, dst);
    case SampleType::I32: return LoadTyped(static_cast<const int32_t*>(src), n, stride, dst);
  }
}

// ---- range -------------------------------------------------------------------

// Horizontal min of vmin and max of vmax. MinOfLanes lacks 8-bit lanes in this
// Highway version: those are widened to 16 bits first.
template <class D, typename T = hn::TFromD<D>>
HWY_INLINE void ReduceMinMax(D d, hn::VFromD<D> vmin, hn::VFromD<D> vmax, T* l, T* h) {
#if HWY_TARGET != HWY_SCALAR
  if constexpr (sizeof(T) == 1) {
    using W = hwy::MakeWide<T>;
    const hn::Repartition<W, D> dw;
    const hn::Half<D> dh;
    const auto wmin = hn::Min(hn::PromoteTo(dw, hn::LowerHalf(dh, vmin)),
                              hn::PromoteTo(dw, hn::UpperHalf(dh, vmin)));
    const auto wmax = hn::Max(hn::PromoteTo(dw, hn::LowerHalf(dh, vmax)),
                              hn::PromoteTo(dw, hn::UpperHalf(dh, vmax)));
    *l = T(hn::GetLane(hn::MinOfLanes(dw, wmin)));
    *h = T(hn::GetLane(hn::MaxOfLanes(dw, wmax)));
  } else
#endif
  {
    *l = hn::GetLane(hn::MinOfLanes(d, vmin));
    *h = hn::GetLane(hn::MaxOfLanes(d, vmax));
  }
}

template <typename T>
void MinMaxTyped(const T* HWY_RESTRICT src, size_t n, size_t stride, SampleType t, int64_t* mn,
                 int64_t* mx) {
  const hn::ScalableTag<T> d;
  const size_t N = hn::Lanes(d);
  if (stride != 1 || n < 2 * N) return min_max_scalar(src, n, stride, t, mn, mx);
  auto lo0 = hn::LoadU(d, src), hi0 = lo0;
  auto lo1 = hn::LoadU(d, src + N), hi1 = lo1;
  size_t i = 2 * N;
  for (; i + 2 * N <= n; i += 2 * N) {
    const auto a = hn::LoadU(d, src + i);
    const auto b = hn::LoadU(d, src + i + N);
    lo0 = hn::Min(lo0, a);
    hi0 = hn::Max(hi0, a);
    lo1 = hn::Min(lo1, b);
    hi1 = hn::Max(hi1, b);
  }
  if (i < n) {  // the last vectors, overlapping what was already seen
    const auto a = hn::LoadU(d, src + n - 2 * N);
    const auto b = hn::LoadU(d, src + n - N);
    lo0 = hn::Min(lo0, a);
    hi0 = hn::Max(hi0, a);
    lo1 = hn::Min(lo1, b);
    hi1 = hn::Max(hi1, b);
  }
  T l, h;
  ReduceMinMax(d, hn::Min(lo0, lo1), hn::Max(hi0, hi1), &l, &h);
  *mn = std::min<int64_t>(*mn, l);
  *mx = std::max<int64_t>(*mx, h);
}

void MinMaxImpl(const void* src, size_t n, size_t stride, SampleType t, int64_t* mn, int64_t* mx) {
  switch (t) {
    case SampleType::U8: return MinMaxTyped(static_cast<const uint8_t*>(src), n, stride, t, mn, mx);
    case SampleType::I8: return MinMaxTyped(static_cast<const int8_t*>(src), n, stride, t, mn, mx);
    case SampleType::U16: return MinMaxTyped(static_cast<const uint16_t*>(src), n, stride, t, mn, mx);
    case SampleType::I16: return MinMaxTyped(static_cast<const int16_t*>(src), n, stride, t, mn, mx);
    case SampleType::U32: return MinMaxTyped(static_cast<const uint32_t*>(src), n, stride, t, mn, mx);
    case SampleType::I32: return MinMaxTyped(static_cast<const int32_t*>(src), n, stride, t, mn, mx);
  }
}

ConvertKernels ConvertKernelsImpl() {
  return ConvertKernels{hwy::TargetName(HWY_TARGET), &StoreClampedImpl,
                        &StoreClampedInterleavedImpl, &LoadWidenImpl, &MinMaxImpl};
}

}  // namespace HWY_NAMESPACE
}  // namespace htj2k
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "simd/targets.hpp"

namespace htj2k {

HWY_EXPORT(StoreClampedImpl);
HWY_EXPORT(StoreClampedInterleavedImpl);
HWY_EXPORT(LoadWidenImpl);
HWY_EXPORT(MinMaxImpl);
HWY_EXPORT(ConvertKernelsImpl);

void store_clamped(const int32_t* src, size_t n, void* dst, size_t stride, SampleType t,
                   int64_t lo, int64_t hi) {
  HWY_DYNAMIC_DISPATCH(StoreClampedImpl)(src, n, dst, stride, t, lo, hi);
}
void store_clamped_interleaved(const int32_t* const* srcs, size_t nc, size_t n, void* dst,
                               SampleType t, const int64_t* lo, const int64_t* hi) {
  HWY_DYNAMIC_DISPATCH(StoreClampedInterleavedImpl)(srcs, nc, n, dst, t, lo, hi);
}
void load_widen(const void* src, size_t n, size_t stride, SampleType t, int32_t* dst) {
  HWY_DYNAMIC_DISPATCH(LoadWidenImpl)(src, n, stride, t, dst);
}
void min_max(const void* src, size_t n, size_t stride, SampleType t, int64_t* mn, int64_t* mx) {
  HWY_DYNAMIC_DISPATCH(MinMaxImpl)(src, n, stride, t, mn, mx);
}

std::vector<ConvertKernels> convert_kernel_sets() {
  std::vector<ConvertKernels> out = kernel_sets_per_target<ConvertKernels>(HWY_DISPATCH_TABLE(ConvertKernelsImpl));
  out.push_back(ConvertKernels{"scalar", &store_clamped_scalar, &store_clamped_interleaved_scalar,
                               &load_widen_scalar, &min_max_scalar});
  return out;
}

std::string convert_active_target() { return HWY_DYNAMIC_DISPATCH(ConvertKernelsImpl)().target; }

}  // namespace htj2k
#endif  // HWY_ONCE
