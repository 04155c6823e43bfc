// Decoder of one HT code-block (15444-15): the HT cleanup pass and, optionally,
// the HT SigProp and MagRef passes of the same HT set. Written from the standard
// for work the linked decoders do not expose (per-coefficient access, e.g. undoing
// a region-of-interest shift before re-encoding).
//
// Bit-planes: let p be the bit-plane of the cleanup pass. A coefficient's
// magnitude bits from p upward are mu = |c| >> p; the SigProp/MagRef passes code
// the bit of plane p - 1. With Mb magnitude bit-planes in the band (15444-1 E.1,
// plus the RGN shift where there is one), Zblk missing MSBs from the packet header
// and no placeholder passes, p = Mb - 1 - Zblk and mu has at most Zblk + 1 bits:
// that is max_magnitude_bits.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace htj2k {

struct HtDecodedBlock {
  uint32_t width = 0, height = 0;
  // Raster order: 2 * mu, plus the bit of plane p - 1 where SigProp/MagRef coded
  // it; negative for negative samples (a sample with value 0 has no sign).
  std::vector<int64_t> value;
  // 1 where the bit of plane p - 1 was coded (a SigProp member, or a sample
  // significant in the cleanup pass when MagRef is present).
  std::vector<uint8_t> refined;
};

// Largest max_magnitude_bits accepted (2 * mu + 1 must fit an int64_t).
constexpr unsigned kHtMaxMagnitudeBits = 60;

// Decodes one HT code-block of width x height samples (1..1024 each, at most 4096
// in all, 15444-15 limits) from its cleanup segment (cleanup_len >= 2 bytes) and,
// for passes 2 (SigProp) and 3 (SigProp + MagRef), its refinement segment.
// vertically_causal: the code-block style's vertically causal context flag.
// Throws InvalidArgument for arguments out of these ranges, InvalidCodestream for
// malformed data (bad Scup, a significant sample outside the code-block, an
// exponent bound or magnitude beyond max_magnitude_bits). Reads only the given
// bytes; bits past a segment's end are the standard's fill (MagSgn and MEL 1s,
// VLC, SigProp and MagRef 0s).
HtDecodedBlock decode_ht_block(const uint8_t* cleanup, size_t cleanup_len, const uint8_t* refine, size_t refine_len,
                               unsigned passes, uint32_t width, uint32_t height, unsigned max_magnitude_bits,
                               bool vertically_causal);

}  // namespace htj2k
