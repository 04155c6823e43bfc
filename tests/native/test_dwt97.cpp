// The irreversible path's numerics on their own: every Highway target's 9/7
// lifting, ICT and quantizer kernels (simd/dwt97.hpp) equal to the scalar twins
// bit for bit; one level of the 9/7 (simd/dwt97_lift.hpp) equal with the
// dispatched and the scalar kernels, and within float rounding of the standard's
// 9/7 analysis filters applied by convolution with whole-sample symmetric
// extension (15444-1 F.4.8.2, in double); the step sizes of encode/quantization.hpp.
// Whether our lossy codestreams decode is tests/codec/test_our_encoder_lossy.py's.
// A gtest target of the CMake build (HTJ2K_BUILD_TESTING), run by ctest.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/errors.hpp"
#include "encode/quantization.hpp"
#include "simd/dwt97.hpp"
#include "simd/dwt97_lift.hpp"

using namespace htj2k;

namespace {

std::vector<float> random_floats(size_t n, uint64_t seed, float scale) {
  std::vector<float> v(n);
  uint64_t x = seed;
  for (auto& f : v) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    f = (float(int32_t(x >> 40) % 65536) / 65536.0f) * scale;
  }
  return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

dwt97_lift::RowKernels row_kernels(const Dwt97Kernels& k) {
  dwt97_lift::RowKernels r;
  r.lift = k.lift;
  r.scale = k.scale;
  r.split = k.split;
  return r;
}

// The standard's analysis filters, from the lifting (15444-1 F.4.8.2) applied to
// impulses: h0 (9 taps, DC gain 1), h1 (7 taps, Nyquist gain 2), centred.
void analysis_filters(std::vector<double>& h0, std::vector<double>& h1) {
  const double a = -1.586134342059924, b = -0.052980118572961, g = 0.882911075530934, d = 0.443506852043971,
               K = 1.230174104914001;
  const int n = 40;
  auto forward = [&](std::vector<double> x) {
    auto step = [&](int parity, double c) {
      for (int i = parity; i < n; i += 2) x[i] += c * ((i > 0 ? x[i - 1] : 0) + (i + 1 < n ? x[i + 1] : 0));
    };
    step(1, a);
    step(0, b);
    step(1, g);
    step(0, d);
    for (int i = 0; i < n; i += 2) x[i] /= K;
    for (int i = 1; i < n; i += 2) x[i] *= K;
    return x;
  };
  h0.assign(9, 0);
  h1.assign(7, 0);
  for (int t = -4; t <= 4; ++t) {  // low output at 20 from an impulse at 20 + t
    std::vector<double> x(n, 0);
    x[20 + t] = 1;
    h0[size_t(t + 4)] = forward(x)[20];
  }
  for (int t = -3; t <= 3; ++t) {  // high output at 21
    std::vector<double> x(n, 0);
    x[21 + t] = 1;
    h1[size_t(t + 3)] = forward(x)[21];
  }
}

// 1-D forward 9/7 by convolution with symmetric extension: low band first.
std::vector<double> reference_1d(const std::vector<double>& x, uint32_t p) {
  const int m = int(x.size());
  if (m == 1) return {p ? 2 * x[0] : x[0]};
  std::vector<double> h0, h1;
  analysis_filters(h0, h1);
  auto at = [&](int i) {  // local index, whole-sample symmetric
    while (i < 0 || i >= m) {
      if (i < 0) i = -i;
      if (i >= m) i = 2 * (m - 1) - i;
    }
    return x[size_t(i)];
  };
  std::vector<double> lo, hi;
  for (int i = 0; i < m; ++i) {
    const bool low = ((i + int(p)) & 1) == 0;
    double s = 0;
    if (low)
      for (int t = -4; t <= 4; ++t) s += h0[size_t(t + 4)] * at(i + t);
    else
      for (int t = -3; t <= 3; ++t) s += h1[size_t(t + 3)] * at(i + t);
    (low ? lo : hi).push_back(s);
  }
  lo.insert(lo.end(), hi.begin(), hi.end());
  return lo;
}

}  // namespace

TEST(Dwt97Kernels, EveryTargetEqualsTheScalarTwins) {
  const auto sets = dwt97_kernel_sets();
  ASSERT_GE(sets.size(), 2u);
  const Dwt97Kernels& s = sets.back();
  ASSERT_EQ(s.target, "scalar");
  for (const Dwt97Kernels& k : sets) {
    for (size_t n : {0, 1, 3, 7, 8, 15, 16, 17, 33, 64, 100}) {
      for (size_t off : {0, 1, 3}) {
        const auto x = random_floats(n + off, 1 + n, 1000.0f), a = random_floats(n + off, 2 + n, 500.0f),
                   b = random_floats(n + off, 3 + n, 700.0f);
        std::vector<float> o1(n + off), o2(n + off);
        k.lift(o1.data() + off, x.data() + off, a.data() + off, b.data() + off, kDwt97Alpha, n);
        s.lift(o2.data() + off, x.data() + off, a.data() + off, b.data() + off, kDwt97Alpha, n);
        EXPECT_TRUE(same_bits(o1, o2)) << k.target << " lift n=" << n;
        std::vector<float> y1 = x, y2 = x;
        k.scale(y1.data() + off, kDwt97K, n);
        s.scale(y2.data() + off, kDwt97K, n);
        EXPECT_TRUE(same_bits(y1, y2)) << k.target << " scale n=" << n;
        std::vector<float> e1(n / 2 + 1), e2(n / 2 + 1), d1(n / 2 + 1), d2(n / 2 + 1);
        k.split(x.data() + off, n / 2, e1.data(), d1.data());
        s.split(x.data() + off, n / 2, e2.data(), d2.data());
        EXPECT_TRUE(same_bits(e1, e2) && same_bits(d1, d2)) << k.target << " split n=" << n;
        std::vector<float> r1 = x, g1 = a, b1 = b, r2 = x, g2 = a, b2 = b;
        k.ict_forward(r1.data() + off, g1.data() + off, b1.data() + off, n);
        s.ict_forward(r2.data() + off, g2.data() + off, b2.data() + off, n);
        EXPECT_TRUE(same_bits(r1, r2) && same_bits(g1, g2) && same_bits(b1, b2)) << k.target << " ict n=" << n;
        std::vector<int32_t> q1(n + off), q2(n + off);
        k.quantize(x.data() + off, q1.data() + off, 0.37f, 200, n);
        s.quantize(x.data() + off, q2.data() + off, 0.37f, 200, n);
        EXPECT_EQ(q1, q2) << k.target << " quantize n=" << n;
        std::vector<int32_t> ints(n + off);
        for (size_t i = 0; i < ints.size(); ++i) ints[i] = int32_t(x[i] * 1000);
        std::vector<float> f1(n + off), f2(n + off);
        k.to_float(ints.data() + off, f1.data() + off, n);
        s.to_float(ints.data() + off, f2.data() + off, n);
        EXPECT_TRUE(same_bits(f1, f2)) << k.target << " to_float n=" << n;
      }
    }
  }
}

TEST(Dwt97Kernels, QuantizerIsADeadzoneTruncationClamped) {
  const std::vector<float> v = {0.0f, 0.99f, 1.0f, -1.0f, -1.99f, 2.5f, -7.9f, 1e9f, -1e9f};
  std::vector<int32_t> q(v.size());
  quantize_row_scalar(v.data(), q.data(), 1.0f, 5, v.size());
  EXPECT_EQ(q, (std::vector<int32_t>{0, 0, 1, -1, -1, 2, -5, 5, -5}));
  quantize_row(v.data(), q.data(), 1.0f, 5, v.size());
  EXPECT_EQ(q, (std::vector<int32_t>{0, 0, 1, -1, -1, 2, -5, 5, -5}));
}

TEST(Dwt97Level, HorizontalMatchesTheStandardsFilters) {
  const auto scalar = row_kernels(dwt97_kernel_sets().back());
  for (uint32_t m = 1; m <= 41; ++m)
    for (uint32_t p : {0u, 1u}) {
      const auto x = random_floats(m, 100 + m + p, 4096.0f);
      std::vector<float> r1 = x, r2 = x, scratch(2 * (m / 2 + 3));
      dwt97_lift::horizontal(r1.data(), m, p, scratch.data());
      dwt97_lift::horizontal(r2.data(), m, p, scratch.data(), scalar);
      EXPECT_TRUE(same_bits(r1, r2)) << "m=" << m << " p=" << p;
      const auto want = reference_1d(std::vector<double>(x.begin(), x.end()), p);
      for (uint32_t i = 0; i < m; ++i)
        EXPECT_NEAR(r1[i], want[i], 4096 * 2e-6) << "m=" << m << " p=" << p << " i=" << i;
    }
}

TEST(Dwt97Level, VerticalEqualsHorizontalOnTheTransposed) {
  const auto scalar = row_kernels(dwt97_kernel_sets().back());
  for (uint32_t h = 1; h <= 23; ++h)
    for (uint32_t py : {0u, 1u}) {
      const uint32_t w = 19;
      const auto plane = random_floats(size_t(w) * h, 7 * h + py, 2000.0f);
      std::vector<float> v1 = plane, v2 = plane, tmp(size_t(w) * ((h + 1) / 2));
      dwt97_lift::vertical(v1.data(), w, w, h, py, tmp.data());
      dwt97_lift::vertical(v2.data(), w, w, h, py, tmp.data(), scalar);
      EXPECT_TRUE(same_bits(v1, v2)) << "h=" << h;
      std::vector<float> scratch(2 * (h / 2 + 3));
      for (uint32_t x = 0; x < w; ++x) {
        std::vector<float> col(h);
        for (uint32_t y = 0; y < h; ++y) col[y] = plane[size_t(y) * w + x];
        dwt97_lift::horizontal(col.data(), h, py, scratch.data());
        for (uint32_t y = 0; y < h; ++y) EXPECT_EQ(col[y], v1[size_t(y) * w + x]) << "h=" << h << " x=" << x;
      }
    }
}

TEST(IrreversibleSteps, GainsFromTheSynthesisFilters) {
  std::vector<float> low, high;
  irreversible_gains(5, low, high);
  // sqrt of the energy of the 9/7 synthesis low-pass (DC gain 2) cascaded d times,
  // and of the high-pass (Nyquist gain 2, times 2) after d low-pass stages.
  EXPECT_EQ(low[0], 1.0f);
  EXPECT_EQ(low[1], 1.4021f);
  EXPECT_EQ(high[0], 1.4425f);
  EXPECT_EQ(high[1], 1.9669f);
  for (uint32_t d = 2; d <= 5; ++d) {  // each level adds about sqrt(2)
    EXPECT_NEAR(low[d] / low[d - 1], std::sqrt(2.0f), 0.05f);
    EXPECT_NEAR(high[d] / high[d - 1], std::sqrt(2.0f), 0.1f);
  }
}

TEST(IrreversibleSteps, EncodedAsOpenJphDoes) {
  // qstep 0.01, 5 levels: LL step 0.01 / 5.8245^2 = 2^-12 * 1.2074 -> eps 12, mu 425.
  const auto s = irreversible_steps(5, 0.01f, 8, false);
  ASSERT_EQ(s.size(), 16u);
  EXPECT_EQ(s[0], (12 << 11) | 425);
  EXPECT_EQ(s[1], s[2]);  // HL and LH share a step
  EXPECT_EQ(irreversible_mb(s[0]), 12u);
  EXPECT_EQ(irreversible_magb_bits(s, 5), 8u);
  // The default (0) is 2^-B, 2^-(B+1) when signed (OpenJPH 0.9's).
  EXPECT_EQ(irreversible_steps(2, 0.0f, 12, false), irreversible_steps(2, 1.0f / 4096, 12, false));
  EXPECT_EQ(irreversible_steps(2, 0.0f, 12, true), irreversible_steps(2, 1.0f / 8192, 12, true));
  // A step too fine for the bit depth is refused by name.
  try {
    irreversible_steps(5, 1e-9f, 8, false);
    FAIL() << "no refusal";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("qstep"), std::string::npos);
  }
  // The coarsest: eps 0, the mantissa clamped; Mb 0 (every coefficient 0).
  const auto c = irreversible_steps(0, 2.0f, 8, false);
  EXPECT_EQ(c[0], 0x7FF);
  EXPECT_EQ(irreversible_mb(c[0]), 0u);
  EXPECT_EQ(band_quantizer(c[0], 8, 0).max_mag, 0);
}

TEST(IrreversibleSteps, BandQuantizerInvertsTheDecodersStep) {
  // Delta_b = 2^(B + log2 gain - eps) (1 + mu / 2^11) (15444-1 E-3).
  const uint16_t step = uint16_t((10 << 11) | 1024);  // 2^-10 * 1.5
  for (unsigned kind = 0; kind < 4; ++kind) {
    const BandQuantizer q = band_quantizer(step, 12, kind);
    const double delta = std::ldexp(1.5, 12 + int(kind == 0 ? 0 : kind == 3 ? 2 : 1) - 10);
    EXPECT_FLOAT_EQ(q.inv_step, float(1.0 / delta));
    EXPECT_EQ(q.max_mag, (1 << 10) - 1);
  }
}
