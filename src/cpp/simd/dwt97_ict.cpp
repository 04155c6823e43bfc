// Highway versions of the 9/7 lifting, ICT and quantizer row kernels
// (simd/dwt97.hpp) and their scalar references. Compiled with -ffp-contract=off
// (CMakeLists.txt): a multiply and an add stay two roundings on every target; and
// with -fno-strict-aliasing: to_float_row and quantize_row may work in place, an
// int32 plane read and rewritten as float and back.

// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "simd/dwt97_ict.cpp"
#include <hwy/foreach_target.h>  // NOLINT: must come before highway.h
#include <hwy/highway.h>
// clang-format on

#include "simd/dwt97.hpp"
#include "simd/dwt97_scalar.hpp"

HWY_BEFORE_NAMESPACE();
namespace htj2k {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void LiftImpl(float* out, const float* x, const float* a, const float* b, float c, size_t n) {
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  const auto vc = hn::Set(df, c);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto s = hn::Add(hn::LoadU(df, a + i), hn::LoadU(df, b + i));
    hn::StoreU(hn::Add(hn::LoadU(df, x + i), hn::Mul(vc, s)), df, out + i);
  }
  dwt97_scalar::lift(out + i, x + i, a + i, b + i, c, n - i);  // the tail
}

void ScaleImpl(float* x, float k, size_t n) {
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  const auto vk = hn::Set(df, k);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(df, x + i), vk), df, x + i);
  dwt97_scalar::scale(x + i, k, n - i);
}

void SplitImpl(const float* HWY_RESTRICT r, size_t pairs, float* HWY_RESTRICT even, float* HWY_RESTRICT odd) {
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  size_t k = 0;
  for (; k + N <= pairs; k += N) {
    decltype(hn::Zero(df)) e, o;
    hn::LoadInterleaved2(df, r + 2 * k, e, o);
    hn::StoreU(e, df, even + k);
    hn::StoreU(o, df, odd + k);
  }
  dwt97_scalar::split(r + 2 * k, pairs - k, even + k, odd + k);
}

void IctForwardImpl(float* HWY_RESTRICT c0, float* HWY_RESTRICT c1, float* HWY_RESTRICT c2, size_t n) {
  const hn::ScalableTag<float> df;
  const size_t N = hn::Lanes(df);
  const auto kr = hn::Set(df, dwt97_scalar::kIctR), kg = hn::Set(df, dwt97_scalar::kIctG);
  const auto kb = hn::Set(df, dwt97_scalar::kIctB), kcb = hn::Set(df, dwt97_scalar::kIctCb);
  const auto kcr = hn::Set(df, dwt97_scalar::kIctCr);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto r = hn::LoadU(df, c0 + i), g = hn::LoadU(df, c1 + i), b = hn::LoadU(df, c2 + i);
    const auto y = hn::Add(hn::Add(hn::Mul(kr, r), hn::Mul(kg, g)), hn::Mul(kb, b));
    hn::StoreU(y, df, c0 + i);
    hn::StoreU(hn::Mul(hn::Sub(b, y), kcb), df, c1 + i);
    hn::StoreU(hn::Mul(hn::Sub(r, y), kcr), df, c2 + i);
  }
  dwt97_scalar::ict_forward(c0 + i, c1 + i, c2 + i, n - i);
}

void QuantizeImpl(const float* v, int32_t* q, float inv_step, int32_t max_mag, size_t n) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const size_t N = hn::Lanes(df);
  const auto inv = hn::Set(df, inv_step);
  const auto lim = hn::Set(df, float(max_mag)), nlim = hn::Set(df, -float(max_mag));
  const auto imax = hn::Set(di, max_mag), imin = hn::Set(di, -max_mag);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto t = hn::Min(hn::Max(hn::Mul(hn::LoadU(df, v + i), inv), nlim), lim);
    hn::StoreU(hn::Min(hn::Max(hn::ConvertTo(di, t), imin), imax), di, q + i);
  }
  dwt97_scalar::quantize(v + i, q + i, inv_step, max_mag, n - i);
}

void ToFloatImpl(const int32_t* s, float* f, size_t n) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const size_t N = hn::Lanes(df);
  size_t i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::ConvertTo(df, hn::LoadU(di, s + i)), df, f + i);
  dwt97_scalar::to_float(s + i, f + i, n - i);
}

Dwt97Kernels Dwt97KernelsImpl() {
  return Dwt97Kernels{hwy::TargetName(HWY_TARGET), &LiftImpl, &ScaleImpl, &SplitImpl,
                      &IctForwardImpl, &QuantizeImpl, &ToFloatImpl};
}

}  // namespace HWY_NAMESPACE
}  // namespace htj2k
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "simd/targets.hpp"

namespace htj2k {

HWY_EXPORT(LiftImpl);
HWY_EXPORT(ScaleImpl);
HWY_EXPORT(SplitImpl);
HWY_EXPORT(IctForwardImpl);
HWY_EXPORT(QuantizeImpl);
HWY_EXPORT(ToFloatImpl);
HWY_EXPORT(Dwt97KernelsImpl);

void dwt97_step(float* out, const float* x, const float* a, const float* b, float c, size_t n) {
  HWY_DYNAMIC_DISPATCH(LiftImpl)(out, x, a, b, c, n);
}
void dwt97_scale(float* x, float k, size_t n) { HWY_DYNAMIC_DISPATCH(ScaleImpl)(x, k, n); }
void dwt97_split(const float* r, size_t pairs, float* even, float* odd) {
  HWY_DYNAMIC_DISPATCH(SplitImpl)(r, pairs, even, odd);
}
void ict_forward(float* c0, float* c1, float* c2, size_t n) { HWY_DYNAMIC_DISPATCH(IctForwardImpl)(c0, c1, c2, n); }
void quantize_row(const float* v, int32_t* q, float inv_step, int32_t max_mag, size_t n) {
  HWY_DYNAMIC_DISPATCH(QuantizeImpl)(v, q, inv_step, max_mag, n);
}
void to_float_row(const int32_t* s, float* f, size_t n) { HWY_DYNAMIC_DISPATCH(ToFloatImpl)(s, f, n); }

void dwt97_step_scalar(float* out, const float* x, const float* a, const float* b, float c, size_t n) {
  dwt97_scalar::lift(out, x, a, b, c, n);
}
void dwt97_scale_scalar(float* x, float k, size_t n) { dwt97_scalar::scale(x, k, n); }
void dwt97_split_scalar(const float* r, size_t pairs, float* even, float* odd) {
  dwt97_scalar::split(r, pairs, even, odd);
}
void ict_forward_scalar(float* c0, float* c1, float* c2, size_t n) { dwt97_scalar::ict_forward(c0, c1, c2, n); }
void quantize_row_scalar(const float* v, int32_t* q, float inv_step, int32_t max_mag, size_t n) {
  dwt97_scalar::quantize(v, q, inv_step, max_mag, n);
}
void to_float_row_scalar(const int32_t* s, float* f, size_t n) { dwt97_scalar::to_float(s, f, n); }

std::vector<Dwt97Kernels> dwt97_kernel_sets() {
  std::vector<Dwt97Kernels> out = kernel_sets_per_target<Dwt97Kernels>(HWY_DISPATCH_TABLE(Dwt97KernelsImpl));
  out.push_back(Dwt97Kernels{"scalar", &dwt97_step_scalar, &dwt97_scale_scalar, &dwt97_split_scalar,
                            &ict_forward_scalar, &quantize_row_scalar, &to_float_row_scalar});
  return out;
}

}  // namespace htj2k
#endif  // HWY_ONCE
