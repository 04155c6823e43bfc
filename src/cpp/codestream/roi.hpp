// Region of interest (RGN, 15444-1 Annex H, max-shift method) undone per HT
// code-block, so that decoders which ignore RGN (OpenJPH) or refuse it with HT
// code-blocks (OpenJPEG 2.5) decode such codestreams correctly.
//
// With RGN shift s, the encoder scales the coefficients of the region up by 2^s
// (s at least the bit-planes of every background coefficient), and the band's
// bit-planes grow from Mb to Mb + s. A decoder then takes every coefficient whose
// decoded magnitude is at least 2^s for a region coefficient and scales it down by
// 2^s; the others are background and kept. We do that on the code-block's decoded
// coefficients (block/ht_block_decoder.hpp) and code the result again as one HT
// cleanup pass (block/ht_block_encoder.hpp) in the band's Mb bit-planes: the
// layer joiner (codestream/layers.hpp) writes that block, and no RGN marker.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace htj2k {

// One HT code-block as a decoder of its codestream would use it.
struct RoiBlockInput {
  const uint8_t* cleanup = nullptr;
  size_t cleanup_len = 0;
  std::vector<uint8_t> refine;  // the SigProp/MagRef segment, its pieces joined
  unsigned passes = 1;          // 1..3: the cleanup, then SigProp and MagRef
  uint32_t width = 0, height = 0;
  unsigned cleanup_plane = 0;   // bit-plane the cleanup codes: Mb + s - 1 - Zblk (sets skipped included)
  unsigned mb = 0;              // the band's magnitude bit-planes without the shift
  unsigned shift = 0;           // SPrgn
  bool vertically_causal = false;
};

struct RoiBlockOutput {
  bool empty = true;             // every coefficient is 0: the block is not included
  std::vector<uint8_t> cleanup;  // one HT cleanup pass
  unsigned zbp = 0;              // its Zblk in the band's Mb bit-planes
};

// Decodes the block, scales its region coefficients down by 2^shift and codes it
// again at the finest bit-plane any of its samples is known to after that. A sample
// known to a coarser plane than the others is coded at the middle of its interval
// (what a decoder reconstructs), a zero one as zero: lossless blocks stay exact.
// Throws InvalidCodestream when the block does not decode or a coefficient does not
// fit the band's bit-planes.
RoiBlockOutput undo_roi_shift(const RoiBlockInput& in);

}  // namespace htj2k
