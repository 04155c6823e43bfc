// Scalar quantization of the irreversible path (15444-1 E.1, A.6.4 style 2, "scalar
// expounded"): the step sizes OpenJPH writes in QCD for a base step `qstep`, and
// what our encoder quantizes each band with so that every decoder reconstructs
// with those same steps.
//
// OpenJPH's qstep semantics (param_qcd, understood from its source, not copied):
// the step of band b, in units of the samples normalised to [-1/2, 1/2), is
// delta_b = qstep / (G_v * G_h), G_v and G_h the square roots of the energy gains
// (L2 norms) of the 1-D 9/7 synthesis basis functions of the band's vertical and
// horizontal filters: for d decomposition levels the low-pass cascaded d times,
// and for a high band at level d the high-pass (scaled to Nyquist gain 1) after
// d - 1 low-pass stages. OpenJPH keeps these gains as a table of 5 significant
// digits; we compute them (irreversible_gains) and round them the same way, so the
// float arithmetic that follows gives OpenJPH's bytes. delta_b is then written as
// 2^-eps (1 + mu / 2^11) (mu rounded to nearest, clamped to 11 bits) with one guard
// bit. The default qstep (0) is OpenJPH 0.9's: 2^-B for unsigned and 2^-(B+1) for
// signed samples, B the first component's depth (measured: the QCD it writes).
#pragma once
#include <cstdint>
#include <vector>

namespace htj2k {

constexpr unsigned kIrreversibleGuardBits = 1;

// The square-root energy gains of the 9/7 synthesis (see above) for d = 0..levels,
// rounded to 5 significant digits as OpenJPH's table: low[d] (low-pass d times),
// high[d] (high-pass after d low-pass stages).
void irreversible_gains(uint32_t levels, std::vector<float>& low, std::vector<float>& high);

// SPqcd of every band (16 bits: eps << 11 | mu), LL first, then HL, LH, HH from the
// lowest resolution up (15444-1 A.6.4), for `levels` decompositions and base step
// `qstep` (0: OpenJPH's default, above). InvalidArgument naming qstep when a band would need
// more than kIrreversibleMaxMb magnitude bit-planes (a step too fine for the depth).
std::vector<uint16_t> irreversible_steps(uint32_t levels, float qstep, uint32_t bit_depth, bool is_signed);

// The most magnitude bit-planes an irreversible band may have: what the decoders
// read (OpenJPH and OpenJPEG decode code-blocks of at most 30 bit-planes).
constexpr unsigned kIrreversibleMaxMb = 30;

// Magnitude bit-planes Mb = G + eps - 1 of a band with SPqcd `step` (15444-1 E-2).
unsigned irreversible_mb(uint16_t step);

// Ccap15's MAGB bound as OpenJPH computes it for an irreversible QCD: the largest
// eps + G - nb over the bands, nb the band's decomposition level (levels for LL).
unsigned irreversible_magb_bits(const std::vector<uint16_t>& steps, uint32_t levels);

// What our encoder quantizes band `kind` (0 LL, 1 HL, 2 LH, 3 HH) of a component of
// `bit_depth` bits with: the coefficients of our 9/7 (15444-1 F.4.8.2: the low band
// with DC gain 1, the high band with Nyquist gain 2, in sample units) times
// inv_step = 1 / Delta_b, Delta_b = 2^(R_b - eps) (1 + mu / 2^11), R_b = bit_depth
// + log2 of the band's gain (0, 1, 1, 2; 15444-1 E-3), truncated toward zero and
// clamped to max_mag = 2^Mb - 1.
struct BandQuantizer {
  float inv_step = 1.0f;
  int32_t max_mag = 0;
};
BandQuantizer band_quantizer(uint16_t step, uint32_t bit_depth, unsigned kind);

}  // namespace htj2k
