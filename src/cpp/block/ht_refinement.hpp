// Internal to the HT block decoder: the per-sample state the passes share, and
// the SigProp/MagRef passes (ht_refinement.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace htj2k {
namespace ht_internal {

struct Planes {
  Planes(uint32_t w, uint32_t h)
      : width(w), height(h), mu(size_t(w) * h), neg(size_t(w) * h), sig(size_t(w) * h), expo(size_t(w) * h),
        low(size_t(w) * h), refined(size_t(w) * h) {}
  uint32_t width, height;       // raster order below
  std::vector<uint64_t> mu;     // magnitude bits from the cleanup pass's plane p up
  std::vector<uint8_t> neg;     // sign (1 negative)
  std::vector<uint8_t> sig;     // significant in the cleanup pass
  std::vector<uint8_t> expo;    // exponent E of 2 (mu - 1) + 1 (cleanup), 0 if insignificant
  std::vector<uint8_t> low;     // the bit of plane p - 1 (SigProp/MagRef)
  std::vector<uint8_t> refined; // that bit was coded
};

// The HT SigProp pass (and the MagRef pass when passes == 3) over the refinement
// segment: SigProp reads it forward from its start, MagRef backward from its end.
void decode_refinement(Planes& planes, const uint8_t* seg, size_t len, unsigned passes, bool vertically_causal);

}  // namespace ht_internal
}  // namespace htj2k
