// Highway versions of the HT block encoder's data-parallel stages
// (block/ht_encoder_kernels.hpp), compiled once per SIMD target
// (foreach_target.h) and chosen at run time; full vectors here, the tails and
// the scalar twins in block/ht_encoder_scalar.hpp, so every target's results
// equal the scalar ones bit for bit.

// clang-format off
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "block/ht_encoder_kernels.cpp"
#include <hwy/foreach_target.h>  // NOLINT: must come before highway.h
#include <hwy/highway.h>
// clang-format on

#include "block/ht_encoder_kernels.hpp"
#include "block/ht_encoder_scalar.hpp"

HWY_BEFORE_NAMESPACE();
namespace htj2k {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DU = hn::ScalableTag<uint32_t>;
using DI = hn::Rebind<int32_t, DU>;
using VU = hn::Vec<DU>;

uint32_t MagnitudesOrImpl(const int32_t* values, uint32_t width, uint32_t height, size_t stride) {
  const DU du;
  const DI di;
  const size_t N = hn::Lanes(du);
  VU acc = hn::Zero(du);
  uint32_t tail = 0;
  for (uint32_t y = 0; y < height; ++y) {
    const int32_t* row = values + y * stride;
    size_t x = 0;
    for (; x + N <= width; x += N) acc = hn::Or(acc, hn::BitCast(du, hn::Abs(hn::LoadU(di, row + x))));
    for (; x < width; ++x) tail |= ht_scalar::magnitude(row[x]);
  }
  uint32_t lanes[64];  // up to 2048-bit vectors
  hn::StoreU(acc, du, lanes);
  for (size_t i = 0; i < N; ++i) tail |= lanes[i];
  return tail;
}

// MagSgn values and exponents of N samples, as int32 lanes (see load_sample).
// The exponent: bit_width(m) for 0 < m < 2^31 is the float exponent of m with
// the bit below its top bit cleared (so rounding cannot carry into the next
// power of two), minus 126.
HWY_INLINE void LoadSamples(const int32_t* p, VU* mag, hn::Vec<DI>* exp) {
  const DU du;
  const DI di;
  const hn::Rebind<float, DU> df;
  const auto s = hn::LoadU(di, p);
  const VU mu = hn::BitCast(du, hn::Abs(s));
  const auto zero = hn::Eq(mu, hn::Zero(du));
  const VU m = hn::Sub(mu, hn::Set(du, 1));
  const VU sign = hn::ShiftRight<31>(hn::BitCast(du, s));
  *mag = hn::IfThenZeroElse(zero, hn::Add(hn::Add(m, m), sign));
  const VU top = hn::AndNot(hn::ShiftRight<1>(m), m);
  const auto bits = hn::ShiftRight<23>(hn::BitCast(di, hn::ConvertTo(df, hn::BitCast(di, top))));
  const auto e = hn::Max(hn::Sub(bits, hn::Set(di, 125)), hn::Set(di, 1));
  *exp = hn::IfThenZeroElse(hn::RebindMask(di, zero), e);
}

void LoadPairImpl(const int32_t* line0, const int32_t* line1, uint32_t width, uint32_t* HWY_RESTRICT mags,
                  uint8_t* HWY_RESTRICT exps) {
  const DU du;
  const DI di;
  const hn::Rebind<uint16_t, DI> d16;
  const size_t N = hn::Lanes(du);
  size_t x = 0;
  for (; x + N <= width; x += N) {
    VU m0, m1 = hn::Zero(du);
    hn::Vec<DI> e0, e1 = hn::Zero(di);
    LoadSamples(line0 + x, &m0, &e0);
    if (line1) LoadSamples(line1 + x, &m1, &e1);
    hn::StoreInterleaved2(m0, m1, du, mags + 2 * x);
    // the two exponents of a column as one little-endian 16-bit lane
    const auto pair = hn::Or(e0, hn::ShiftLeft<8>(e1));
    hn::StoreU(hn::DemoteTo(d16, pair), d16, reinterpret_cast<uint16_t*>(exps + 2 * x));
  }
  ht_scalar::load_pair(line0, line1, uint32_t(x), width, mags, exps);
}

// Bit 7 of each byte set where the byte is nonzero (bytes below 0x80: exponents).
HWY_INLINE VU NonzeroBytes(VU x) {
  const DU du;
  return hn::And(hn::Add(x, hn::Set(du, 0x7F7F7F7Fu)), hn::Set(du, 0x80808080u));
}

// Bits 7, 15, 23, 31 of t (the only ones set) to bits 0..3.
HWY_INLINE VU GatherByteFlags(VU t) {
  const DU du;
  const VU b0 = hn::And(hn::ShiftRight<7>(t), hn::Set(du, 1));
  const VU b1 = hn::And(hn::ShiftRight<14>(t), hn::Set(du, 2));
  const VU b2 = hn::And(hn::ShiftRight<21>(t), hn::Set(du, 4));
  return hn::Or(hn::Or(b0, b1), hn::Or(b2, hn::ShiftRight<28>(t)));
}

template <int k>
HWY_INLINE VU Byte(VU x) {
  const DU du;
  return hn::And(hn::ShiftRight<8 * k>(x), hn::Set(du, 0xFF));
}

// c and kappa of N quads outside the initial row: w the quads to the left, p,
// pl, pr the quads above, above-left, above-right (see prepare_quad).
HWY_INLINE VU ContextAndKappa(VU w, VU p, VU pl, VU pr, VU rho, VU* kappa) {
  const DU du;
  const VU one = hn::Set(du, 1);
  const VU tw = NonzeroBytes(w), tp = NonzeroBytes(p);
  const VU c0 = hn::Or(hn::ShiftRight<31>(NonzeroBytes(pl)), hn::And(hn::ShiftRight<15>(tp), one));
  const VU c1 = hn::And(hn::Or(hn::ShiftRight<23>(tw), hn::ShiftRight<31>(tw)), one);
  const VU c2 = hn::Or(hn::ShiftRight<31>(tp), hn::And(hn::ShiftRight<15>(NonzeroBytes(pr)), one));
  const VU above = hn::Max(hn::Max(Byte<3>(pl), Byte<1>(p)), hn::Max(Byte<3>(p), Byte<1>(pr)));
  const auto multi = hn::Ne(hn::And(rho, hn::Sub(rho, one)), hn::Zero(du));
  *kappa = hn::IfThenElse(multi, hn::Sub(hn::Max(above, hn::Set(du, 2)), one), one);
  return hn::Or(c0, hn::Or(hn::ShiftLeft<1>(c1), hn::ShiftLeft<2>(c2)));
}

HWY_INLINE VU InitialContext(VU w) {
  const DU du;
  const VU one = hn::Set(du, 1);
  const VU tw = NonzeroBytes(w);
  const VU c0 = hn::And(hn::Or(hn::ShiftRight<7>(tw), hn::ShiftRight<15>(tw)), one);
  const VU c1 = hn::And(hn::ShiftRight<23>(tw), one);
  return hn::Or(c0, hn::Or(hn::ShiftLeft<1>(c1), hn::ShiftLeft<2>(hn::ShiftRight<31>(tw))));
}

HWY_INLINE VU LoadQuads(const uint8_t* p) {
  const DU du;
  return hn::LoadU(du, reinterpret_cast<const uint32_t*>(p));
}

void PrepareQuadsImpl(const uint8_t* cur, const uint8_t* prev, uint32_t quads, bool initial,
                      uint32_t* HWY_RESTRICT out) {
  const DU du;
  const size_t N = hn::Lanes(du);
  const VU one = hn::Set(du, 1);
  size_t q = 0;
  for (; q + N <= quads; q += N) {
    const VU e = LoadQuads(cur + 4 * (q + 1)), w = LoadQuads(cur + 4 * q);
    const VU rho = GatherByteFlags(NonzeroBytes(e));
    const VU emax = hn::Max(hn::Max(Byte<0>(e), Byte<1>(e)), hn::Max(Byte<2>(e), Byte<3>(e)));
    VU c, kappa = one;
    if (initial) {
      c = InitialContext(w);
    } else {
      const uint8_t* p = prev + 4 * (q + 1);
      c = ContextAndKappa(w, LoadQuads(p), LoadQuads(p - 4), LoadQuads(p + 4), rho, &kappa);
    }
    const VU U = hn::Max(emax, kappa);
    const VU u = hn::Sub(U, kappa);
    const VU u2 = hn::Or(U, hn::ShiftLeft<8>(U));
    const VU eq = hn::AndNot(NonzeroBytes(hn::Xor(e, hn::Or(u2, hn::ShiftLeft<16>(u2)))), hn::Set(du, 0x80808080u));
    const VU emb = hn::IfThenZeroElse(hn::Eq(u, hn::Zero(du)), GatherByteFlags(eq));
    const VU packed = hn::Or(hn::Or(emb, hn::ShiftLeft<ht_quad::kRhoShift>(rho)),
                             hn::Or(hn::ShiftLeft<ht_quad::kContextShift>(c),
                                    hn::Or(hn::ShiftLeft<ht_quad::kUShift>(U), hn::ShiftLeft<ht_quad::kSmallUShift>(u))));
    hn::StoreU(packed, du, out + q);
  }
  ht_scalar::prepare_quads(cur, prev, uint32_t(q), quads, initial, out);
}

HtEncodeKernels HtEncodeKernelsImpl() {
  return HtEncodeKernels{hwy::TargetName(HWY_TARGET), &MagnitudesOrImpl, &LoadPairImpl, &PrepareQuadsImpl,
                         HWY_ARCH_X86_64 && HWY_TARGET <= HWY_AVX2};
}

}  // namespace HWY_NAMESPACE
}  // namespace htj2k
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "simd/targets.hpp"

namespace htj2k {

HWY_EXPORT(HtEncodeKernelsImpl);

namespace {
uint32_t magnitudes_or_scalar(const int32_t* values, uint32_t width, uint32_t height, size_t stride) {
  return ht_scalar::magnitudes_or(values, width, height, stride);
}
void load_pair_scalar(const int32_t* line0, const int32_t* line1, uint32_t width, uint32_t* mags, uint8_t* exps) {
  ht_scalar::load_pair(line0, line1, 0, width, mags, exps);
}
void prepare_quads_scalar(const uint8_t* cur, const uint8_t* prev, uint32_t quads, bool initial, uint32_t* out) {
  ht_scalar::prepare_quads(cur, prev, 0, quads, initial, out);
}
HtEncodeKernels scalar_kernels() {
  return HtEncodeKernels{"scalar", &magnitudes_or_scalar, &load_pair_scalar, &prepare_quads_scalar};
}
}  // namespace

// The kernels read a quad's four exponent bytes as one little-endian 32-bit
// lane (and store two as one 16-bit lane): a big-endian CPU runs the twins.
constexpr bool kLittleEndian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

const HtEncodeKernels& ht_encode_kernels() {
  // Highway's one-lane fallback (a CPU without SSSE3) is slower than the twins.
  static const HtEncodeKernels best = [] {
    const HtEncodeKernels k = HWY_DYNAMIC_DISPATCH(HtEncodeKernelsImpl)();
    const bool one_lane = k.target == hwy::TargetName(HWY_SCALAR) || k.target == hwy::TargetName(HWY_EMU128);
    return one_lane || !kLittleEndian ? scalar_kernels() : k;
  }();
  return best;
}

std::vector<HtEncodeKernels> ht_encode_kernel_sets() {
  std::vector<HtEncodeKernels> out;
  if (kLittleEndian) out = kernel_sets_per_target<HtEncodeKernels>(HWY_DISPATCH_TABLE(HtEncodeKernelsImpl));
  out.push_back(scalar_kernels());
  return out;
}

}  // namespace htj2k
#endif  // HWY_ONCE
