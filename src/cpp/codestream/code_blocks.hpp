// The code-blocks of a one-layer HT codestream with where their data lies, found
// by the Tier-2 packet walk (packet_checker.hpp) without decoding a sample: for
// decoding code-blocks one by one (block/ht_block_decoder.hpp). Codestreams with
// several quality layers are first joined into one layer (layers.hpp
// flatten_layers), which also leaves every code-block one HT set (1..3 passes).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "codestream/header.hpp"

namespace htj2k {

struct CodeBlockInfo {
  uint32_t tile = 0, component = 0, resolution = 0;
  uint8_t band = 0;                    // 0 LL, 1 HL, 2 LH, 3 HH
  uint64_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // rectangle in band coordinates, [x0, x1) x [y0, y1)
  uint32_t zero_bitplanes = 0;         // Zblk, the missing MSBs of the packet header
  uint32_t passes = 0;                 // coding passes, 1..3
  size_t cleanup_offset = 0, cleanup_length = 0;  // the HT cleanup segment, in the codestream
  size_t refine_offset = 0, refine_length = 0;    // the SigProp/MagRef segment (length 0 for 1 pass)
  // Mb of the band, G + epsilon_b - 1 from the main header's QCD/QCC (15444-1 E.1;
  // E-5 for scalar derived); -1 when it cannot be told. Without an RGN shift: an
  // RGN segment with shift s makes the band Mb + s bit-planes (rgn below).
  int magnitude_bits = -1;
  bool vertically_causal = false;      // code-block style bit 3
  bool rgn = false;                    // the codestream has an RGN segment (Mb above excludes its shift)
};

// Every code-block included in the codestream `cs` (parsed as `h`), tile by tile in
// packet order. Throws UnsupportedCodestream for several quality layers, code-blocks
// that are not all HT, PPM/PPT, tile-part COD/COC/POC, HT placeholder passes
// (flatten_layers removes them); InvalidCodestream for malformed packets, with the
// place.
std::vector<CodeBlockInfo> code_blocks(const uint8_t* cs, size_t size, const CodestreamHeader& h);

}  // namespace htj2k
