// The scalar definition of the HT block encoder's data-parallel stages
// (block/ht_encoder_kernels.hpp): the scalar twins, the tails of the Highway
// kernels, and the int64 path (magnitudes above 31 bits) use these.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "block/ht_encoder_kernels.hpp"

namespace htj2k {
namespace ht_scalar {

inline unsigned bit_width(uint32_t x) { return x ? 32u - unsigned(__builtin_clz(x)) : 0u; }
inline unsigned bit_width(uint64_t x) { return x ? 64u - unsigned(__builtin_clzll(x)) : 0u; }

template <typename Sample, typename Mag = std::make_unsigned_t<Sample>>
inline Mag magnitude(Sample s) {
  return s < 0 ? Mag(Mag(0) - Mag(s)) : Mag(s);
}

// OR of every |v| (see HtEncodeKernels::magnitudes_or).
template <typename Sample, typename Mag = std::make_unsigned_t<Sample>>
Mag magnitudes_or(const Sample* values, uint32_t width, uint32_t height, size_t stride) {
  Mag all = 0;
  for (uint32_t y = 0; y < height; ++y) {
    const Sample* row = values + y * stride;
    for (uint32_t x = 0; x < width; ++x) all |= magnitude(row[x]);
  }
  return all;
}

// One sample: its MagSgn value 2 (mu - 1) + sign and exponent E = 1 +
// bit_width(mu - 1), both 0 when mu = 0.
template <typename Sample, typename Mag = std::make_unsigned_t<Sample>>
inline void load_sample(Sample s, Mag* mag, uint8_t* exp) {
  const Mag mu = magnitude(s);
  *mag = mu ? Mag(2 * mu - 2 + Mag(s < 0)) : Mag(0);
  *exp = uint8_t(mu ? 1 + bit_width(Mag(mu - 1)) : 0);
}

// Samples x0..width-1 of two lines interleaved (see HtEncodeKernels::load_pair).
template <typename Sample, typename Mag = std::make_unsigned_t<Sample>>
void load_pair(const Sample* line0, const Sample* line1, uint32_t x0, uint32_t width, Mag* mags,
               uint8_t* exps) {
  for (uint32_t x = x0; x < width; ++x) {
    load_sample(line0[x], mags + 2 * x, exps + 2 * x);
    if (line1) {
      load_sample(line1[x], mags + 2 * x + 1, exps + 2 * x + 1);
    } else {
      mags[2 * x + 1] = 0;
      exps[2 * x + 1] = 0;
    }
  }
}

// Quad q's packed description (ht_quad::*): e = its four exponents, prev = the
// previous quad row's exponents at quad q (nullptr in the initial row); the quads
// either side of both are readable (zero outside the block).
inline uint32_t prepare_quad(const uint8_t* e, const uint8_t* prev) {
  const uint8_t* w = e - 4;  // the quad to the left
  const unsigned rho = unsigned(e[0] != 0) | unsigned(e[1] != 0) << 1 | unsigned(e[2] != 0) << 2 |
                       unsigned(e[3] != 0) << 3;
  const unsigned emax = std::max(std::max(e[0], e[1]), std::max(e[2], e[3]));
  unsigned c, kappa = 1;
  if (!prev) {
    c = unsigned((w[0] | w[1]) != 0) | unsigned(w[2] != 0) << 1 | unsigned(w[3] != 0) << 2;
  } else {
    const uint8_t* p = prev;  // line above: nw = p[-1], n = p[1], ne = p[3], nf = p[5]
    c = unsigned((p[-1] | p[1]) != 0) | unsigned((w[2] | w[3]) != 0) << 1 | unsigned((p[3] | p[5]) != 0) << 2;
    const unsigned above = std::max(std::max(p[-1], p[1]), std::max(p[3], p[5]));
    kappa = (rho & (rho - 1)) ? std::max(2u, above) - 1 : 1;  // more than one significant sample
  }
  const unsigned U = std::max(emax, kappa);
  const unsigned u = U - kappa;
  // (no branches on the data: they mispredict often on smooth images)
  const unsigned emb = (unsigned(e[0] == U) | unsigned(e[1] == U) << 1 | unsigned(e[2] == U) << 2 |
                        unsigned(e[3] == U) << 3) & (u ? 0xFu : 0u);
  return emb | rho << ht_quad::kRhoShift | c << ht_quad::kContextShift | U << ht_quad::kUShift |
         u << ht_quad::kSmallUShift;
}

// Quads q0..quads-1 of a row (see HtEncodeKernels::prepare_quads).
inline void prepare_quads(const uint8_t* cur, const uint8_t* prev, uint32_t q0, uint32_t quads, bool initial,
                          uint32_t* out) {
  for (uint32_t q = q0; q < quads; ++q)
    out[q] = prepare_quad(cur + 4 * (size_t(q) + 1), initial ? nullptr : prev + 4 * (size_t(q) + 1));
}

}  // namespace ht_scalar
}  // namespace htj2k
