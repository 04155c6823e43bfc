// Highway versions of the 5/3 lifting row kernels (simd/dwt53.hpp) and their
// scalar references.

// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "simd/dwt53_rct.cpp"
#include <hwy/foreach_target.h>  // NOLINT: must come before highway.h
#include <hwy/highway.h>
// clang-format on

#include "simd/dwt53.hpp"
#include "simd/dwt53_scalar.hpp"

HWY_BEFORE_NAMESPACE();
namespace htj2k {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void PredictImpl(int32_t* HWY_RESTRICT d, const int32_t* HWY_RESTRICT x, const int32_t* a,
                 const int32_t* b, size_t n) {
  const hn::ScalableTag<int32_t> di;
  const size_t N = hn::Lanes(di);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto s = hn::ShiftRight<1>(hn::Add(hn::LoadU(di, a + i), hn::LoadU(di, b + i)));
    hn::StoreU(hn::Sub(hn::LoadU(di, x + i), s), di, d + i);
  }
  dwt53_scalar::predict(d + i, x + i, a + i, b + i, n - i);  // the tail
}

void UpdateImpl(int32_t* out, const int32_t* x, const int32_t* dl, const int32_t* dr, size_t n) {
  const hn::ScalableTag<int32_t> di;
  const size_t N = hn::Lanes(di);
  const auto two = hn::Set(di, 2);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto s = hn::ShiftRight<2>(hn::Add(hn::Add(hn::LoadU(di, dl + i), hn::LoadU(di, dr + i)), two));
    hn::StoreU(hn::Add(hn::LoadU(di, x + i), s), di, out + i);
  }
  dwt53_scalar::update(out + i, x + i, dl + i, dr + i, n - i);  // the tail
}

void SplitImpl(const int32_t* HWY_RESTRICT r, size_t pairs, int32_t* HWY_RESTRICT even,
               int32_t* HWY_RESTRICT odd) {
  const hn::ScalableTag<int32_t> di;
  const size_t N = hn::Lanes(di);
  size_t k = 0;
  for (; k + N <= pairs; k += N) {
    decltype(hn::Zero(di)) e, o;
    hn::LoadInterleaved2(di, r + 2 * k, e, o);
    hn::StoreU(e, di, even + k);
    hn::StoreU(o, di, odd + k);
  }
  for (; k < pairs; ++k) {
    even[k] = r[2 * k];
    odd[k] = r[2 * k + 1];
  }
}

void RctForwardImpl(int32_t* HWY_RESTRICT c0, int32_t* HWY_RESTRICT c1, int32_t* HWY_RESTRICT c2,
                    size_t n) {
  const hn::ScalableTag<int32_t> di;
  const size_t N = hn::Lanes(di);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto r = hn::LoadU(di, c0 + i), g = hn::LoadU(di, c1 + i), b = hn::LoadU(di, c2 + i);
    hn::StoreU(hn::ShiftRight<2>(hn::Add(hn::Add(r, b), hn::Add(g, g))), di, c0 + i);
    hn::StoreU(hn::Sub(b, g), di, c1 + i);
    hn::StoreU(hn::Sub(r, g), di, c2 + i);
  }
  dwt53_scalar::rct_forward(c0 + i, c1 + i, c2 + i, n - i);  // the tail
}

void RctInverseImpl(int32_t* HWY_RESTRICT c0, int32_t* HWY_RESTRICT c1, int32_t* HWY_RESTRICT c2,
                    size_t n) {
  const hn::ScalableTag<int32_t> di;
  const size_t N = hn::Lanes(di);
  size_t i = 0;
  for (; i + N <= n; i += N) {
    const auto y = hn::LoadU(di, c0 + i), cb = hn::LoadU(di, c1 + i), cr = hn::LoadU(di, c2 + i);
    const auto g = hn::Sub(y, hn::ShiftRight<2>(hn::Add(cb, cr)));
    hn::StoreU(hn::Add(cr, g), di, c0 + i);
    hn::StoreU(g, di, c1 + i);
    hn::StoreU(hn::Add(cb, g), di, c2 + i);
  }
  dwt53_scalar::rct_inverse(c0 + i, c1 + i, c2 + i, n - i);  // the tail
}

Dwt53Kernels Dwt53KernelsImpl() {
  return Dwt53Kernels{hwy::TargetName(HWY_TARGET), &PredictImpl, &UpdateImpl, &SplitImpl,
                      &RctForwardImpl, &RctInverseImpl};
}

}  // namespace HWY_NAMESPACE
}  // namespace htj2k
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "simd/targets.hpp"

namespace htj2k {

HWY_EXPORT(PredictImpl);
HWY_EXPORT(UpdateImpl);
HWY_EXPORT(SplitImpl);
HWY_EXPORT(RctForwardImpl);
HWY_EXPORT(RctInverseImpl);
HWY_EXPORT(Dwt53KernelsImpl);

void dwt53_predict(int32_t* d, const int32_t* x, const int32_t* a, const int32_t* b, size_t n) {
  HWY_DYNAMIC_DISPATCH(PredictImpl)(d, x, a, b, n);
}
void dwt53_update(int32_t* out, const int32_t* x, const int32_t* dl, const int32_t* dr, size_t n) {
  HWY_DYNAMIC_DISPATCH(UpdateImpl)(out, x, dl, dr, n);
}
void dwt53_split(const int32_t* r, size_t pairs, int32_t* even, int32_t* odd) {
  HWY_DYNAMIC_DISPATCH(SplitImpl)(r, pairs, even, odd);
}

void rct_forward(int32_t* c0, int32_t* c1, int32_t* c2, size_t n) {
  HWY_DYNAMIC_DISPATCH(RctForwardImpl)(c0, c1, c2, n);
}
void rct_inverse(int32_t* c0, int32_t* c1, int32_t* c2, size_t n) {
  HWY_DYNAMIC_DISPATCH(RctInverseImpl)(c0, c1, c2, n);
}
void rct_forward_scalar(int32_t* c0, int32_t* c1, int32_t* c2, size_t n) {
  dwt53_scalar::rct_forward(c0, c1, c2, n);
}
void rct_inverse_scalar(int32_t* c0, int32_t* c1, int32_t* c2, size_t n) {
  dwt53_scalar::rct_inverse(c0, c1, c2, n);
}
void dwt53_predict_scalar(int32_t* d, const int32_t* x, const int32_t* a, const int32_t* b, size_t n) {
  dwt53_scalar::predict(d, x, a, b, n);
}
void dwt53_update_scalar(int32_t* out, const int32_t* x, const int32_t* dl, const int32_t* dr, size_t n) {
  dwt53_scalar::update(out, x, dl, dr, n);
}
void dwt53_split_scalar(const int32_t* r, size_t pairs, int32_t* even, int32_t* odd) {
  dwt53_scalar::split(r, pairs, even, odd);
}

std::vector<Dwt53Kernels> dwt53_kernel_sets() {
  std::vector<Dwt53Kernels> out = kernel_sets_per_target<Dwt53Kernels>(HWY_DISPATCH_TABLE(Dwt53KernelsImpl));
  out.push_back(Dwt53Kernels{"scalar", &dwt53_predict_scalar, &dwt53_update_scalar, &dwt53_split_scalar,
                            &rct_forward_scalar, &rct_inverse_scalar});
  return out;
}

}  // namespace htj2k
#endif  // HWY_ONCE
