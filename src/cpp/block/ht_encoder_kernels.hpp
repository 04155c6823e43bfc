// The data-parallel stages of the HT block encoder (block/ht_block_encoder.cpp)
// as Highway kernels with runtime dispatch, and their scalar twins
// (block/ht_encoder_scalar.hpp): everything before the serial bit-stream
// writers. They live in block/, not simd/, because they are the HT cleanup
// pass's own layout and context rules (15444-15 clause 7), of no use elsewhere.
//
// Layout of one quad row (two lines): sample (x, line l) at entry 2x + l, so quad
// q is entries 4q..4q+3 in the standard's scan order. Exponent rows carry a zero
// quad on either side: quad q at exps + 4 (q + 1).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace htj2k {

// A quad's packed description, what the serial coder needs from it: bits 0-3
// the EMB pattern (significant samples with E = U, when u > 0), 4-7 rho (the
// significant samples), 8-10 the context c, 16-23 U = max(E_max, kappa) (MagSgn
// bits per sample), 24-31 u = U - kappa (the U-VLC value). Bits 0-10 index the
// CxtVLC lookup.
namespace ht_quad {
constexpr unsigned kRhoShift = 4, kContextShift = 8, kUShift = 16, kSmallUShift = 24;
constexpr uint32_t kVlcIndexMask = 0x7FF;
}  // namespace ht_quad

struct HtEncodeKernels {
  std::string target;  // Highway target name ("AVX3", "AVX2", ...) or "scalar"
  // OR of |v| over a block of int32 values (rows `stride` apart): 0 for a block
  // of zeros; bit 31 set for INT32_MIN.
  uint32_t (*magnitudes_or)(const int32_t* values, uint32_t width, uint32_t height, size_t stride);
  // Samples 0..width-1 of two lines (line1 nullptr: a line of zeros) to entries
  // 2x + l of mags (2 (mu - 1) + sign) and exps (E = 1 + bit_width(mu - 1); both 0
  // for mu = 0). |v| < 2^31.
  void (*load_pair)(const int32_t* line0, const int32_t* line1, uint32_t width, uint32_t* mags,
                    uint8_t* exps);
  // out[q] for q < quads: the packed description of quad q from this row's
  // exponents and (unless initial, the first quad row) the previous row's; both
  // in the padded layout above.
  void (*prepare_quads)(const uint8_t* cur, const uint8_t* prev, uint32_t quads, bool initial, uint32_t* out);
  // The serial quad loop may use BMI2 (x86-64 targets from AVX2 on have it): the
  // MagSgn bits of a quad packed with one PEXT and variable shifts without the
  // flags register (block/ht_block_encoder.cpp; the same bytes either way).
  bool bmi2 = false;
};

// The kernels of the best target this CPU supports (chosen once; the scalar
// twins where Highway would run its one-lane fallback).
const HtEncodeKernels& ht_encode_kernels();
// Every target compiled in and supported here, best first, then "scalar".
std::vector<HtEncodeKernels> ht_encode_kernel_sets();

}  // namespace htj2k
