#include "encode/quantization.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/errors.hpp"

namespace htj2k {
namespace {

// The 9/7 synthesis filters of 15444-1 (the inverse lifting of F.3.8.2 applied to
// a unit low or high sample): low-pass with DC gain 2, high-pass with Nyquist gain
// 2 here, i.e. the standard's high-pass times 2 (what OpenJPH's gains describe).
// Their taps follow from the lifting constants; computed once.
struct SynthesisFilters {
  std::vector<double> g0, g1;  // centred: g0 has 7 taps, g1 9
};

SynthesisFilters synthesis_filters() {
  const double a = -1.586134342059924, b = -0.052980118572961, g = 0.882911075530934,
               d = 0.443506852043971, K = 1.230174104914001;
  // The inverse lifting on an interleaved signal of n samples (zero outside),
  // starting from one low (even) or high (odd) sample at the centre.
  const int n = 32;
  auto inverse = [&](bool high) {
    std::vector<double> x(n, 0.0);
    x[n / 2 + (high ? 1 : 0)] = 1.0;
    for (int i = 0; i < n; i += 2) x[i] *= K;
    for (int i = 1; i < n; i += 2) x[i] /= K;
    auto step = [&](int parity, double c) {
      for (int i = parity; i < n; i += 2)
        x[i] -= c * ((i > 0 ? x[i - 1] : 0.0) + (i + 1 < n ? x[i + 1] : 0.0));
    };
    step(0, d);
    step(1, g);
    step(0, b);
    step(1, a);
    std::vector<double> taps;
    for (double v : x)
      if (std::fabs(v) > 1e-12) taps.push_back(v);
    return taps;
  };
  SynthesisFilters f;
  f.g0 = inverse(false);
  f.g1 = inverse(true);
  for (double& v : f.g1) v *= 2.0;
  return f;
}

// Energy of the cascade g0(z) s(z^2) given the autocorrelation r of s (centred,
// half-width `half`): the autocorrelation of the next cascade over the same window.
// R'[m] = sum_j R[j] A[m - 2j], A the autocorrelation of g0; the window stays exact
// as long as it is at least as wide as A's half-width.
std::vector<double> cascade(const std::vector<double>& r, const std::vector<double>& A, int half) {
  const int ha = int(A.size()) / 2;
  std::vector<double> out(size_t(2 * half + 1), 0.0);
  for (int m = -half; m <= half; ++m) {
    double s = 0;
    for (int j = -half; j <= half; ++j) {
      const int k = m - 2 * j;
      if (k >= -ha && k <= ha) s += r[size_t(j + half)] * A[size_t(k + ha)];
    }
    out[size_t(m + half)] = s;
  }
  return out;
}

std::vector<double> autocorrelation(const std::vector<double>& f, int half) {
  std::vector<double> r(size_t(2 * half + 1), 0.0);
  const int n = int(f.size());
  for (int m = -half; m <= half; ++m) {
    double s = 0;
    for (int i = 0; i < n; ++i)
      if (i + m >= 0 && i + m < n) s += f[size_t(i)] * f[size_t(i + m)];
    r[size_t(m + half)] = s;
  }
  return r;
}

// OpenJPH's table holds the gains with 5 significant digits ("%.4e"); parsing that
// text as float gives the very float it holds.
float five_digits(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4e", v);
  return std::strtof(buf, nullptr);
}

// 2^-eps (1 + mu / 2^11) for delta, as OpenJPH encodes it (float arithmetic);
// InvalidArgument naming qstep when the band would need more than
// kIrreversibleMaxMb magnitude bit-planes (before eps outgrows its 5 bits).
uint16_t encode_step(float delta, float qstep, uint32_t levels, uint32_t bit_depth) {
  int eps = 0;
  while (delta < 1.0f) {
    ++eps;
    delta *= 2.0f;
    if (int(kIrreversibleGuardBits) + eps - 1 > int(kIrreversibleMaxMb)) {
      char q[32];
      std::snprintf(q, sizeof q, "%g", double(qstep));
      throw InvalidArgument(std::string("qstep: ") + q + " is too small for " + std::to_string(bit_depth) +
                            "-bit samples with " + std::to_string(levels) + " levels: a band would need more than " +
                            std::to_string(kIrreversibleMaxMb) + " magnitude bit-planes, the most decoders read");
    }
  }
  int mu = int(std::round(delta * float(1 << 11))) - (1 << 11);
  mu = mu < (1 << 11) ? mu : 0x7FF;
  return uint16_t((eps << 11) | mu);
}

}  // namespace

void irreversible_gains(uint32_t levels, std::vector<float>& low, std::vector<float>& high) {
  static const SynthesisFilters f = synthesis_filters();
  const int half = 12;  // >= the half-widths of A (6) and of g1's autocorrelation (8)
  const std::vector<double> A = autocorrelation(f.g0, int(f.g0.size()) - 1);
  std::vector<double> rl = autocorrelation({1.0}, half), rh = autocorrelation(f.g1, half);
  low.assign(levels + 1, 0.0f);
  high.assign(levels + 1, 0.0f);
  for (uint32_t d = 0; d <= levels; ++d) {
    low[d] = five_digits(std::sqrt(rl[size_t(half)]));
    high[d] = five_digits(std::sqrt(rh[size_t(half)]));
    rl = cascade(rl, A, half);
    rh = cascade(rh, A, half);
  }
}

std::vector<uint16_t> irreversible_steps(uint32_t levels, float qstep, uint32_t bit_depth, bool is_signed) {
  if (bit_depth < 1 || bit_depth > 29) throw InvalidArgument("irreversible_steps: bit depth out of range");
  const float base = qstep > 0 ? qstep : 1.0f / float(1u << (bit_depth + (is_signed ? 1 : 0)));
  auto encode = [&](float delta) { return encode_step(delta, base, levels, bit_depth); };
  std::vector<float> gl, gh;
  irreversible_gains(levels, gl, gh);
  std::vector<uint16_t> s;
  s.push_back(encode(base / (gl[levels] * gl[levels])));
  for (uint32_t d = levels; d > 0; --d) {
    const uint16_t hl = encode(base / (gl[d] * gh[d - 1]));
    s.push_back(hl);  // HL
    s.push_back(hl);  // LH
    s.push_back(encode(base / (gh[d - 1] * gh[d - 1])));  // HH
  }
  return s;
}

unsigned irreversible_mb(uint16_t step) {
  const unsigned eps = step >> 11;
  return kIrreversibleGuardBits + eps >= 1 ? kIrreversibleGuardBits + eps - 1 : 0;
}

unsigned irreversible_magb_bits(const std::vector<uint16_t>& steps, uint32_t levels) {
  unsigned bits = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    const int nb = i == 0 ? int(levels) : int(levels) - int((i - 1) / 3);
    bits = unsigned(std::max<int>(int(bits), int(steps[i] >> 11) + int(kIrreversibleGuardBits) - nb));
  }
  return bits;
}

BandQuantizer band_quantizer(uint16_t step, uint32_t bit_depth, unsigned kind) {
  static const int log2_gain[4] = {0, 1, 1, 2};
  const int eps = step >> 11;
  const double mantissa = 1.0 + double(step & 0x7FF) / 2048.0;
  const double delta = std::ldexp(mantissa, int(bit_depth) + log2_gain[kind & 3] - eps);
  BandQuantizer q;
  q.inv_step = float(1.0 / delta);
  const unsigned mb = irreversible_mb(step);
  q.max_mag = mb >= 31 ? INT32_MAX : int32_t((uint32_t(1) << mb) - 1);
  return q;
}

}  // namespace htj2k
