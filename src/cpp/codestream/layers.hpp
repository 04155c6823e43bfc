// Quality layers (and regions of interest) without a layered decoder: a codestream with several quality
// layers rewritten, without decoding a sample, as the equivalent one-layer
// codestream (15444-1 B.9-B.12, HT codeword segments per 15444-15), which OpenJPH
// and OpenJPEG (both single-layer HT decoders) then decode.
//
// Every packet of every layer is read in its progression (POC in the main header
// followed), with tag trees, Lblock and pass counts carried across layers. Per
// HT code-block, its contributions join into what a decoder of the kept layers
// uses: the last HT cleanup pass with bytes and the SigProp/MagRef passes after
// it (their refinement segment being the concatenation of its pieces, layer after
// layer). Placeholder passes and earlier HT sets carry no information a decoder
// uses; each HT set skipped lowers the block's cleanup by one bit-plane, so the
// block is written as its first contribution with that many more missing
// bit-planes (Zblk + sets skipped) and 1-3 coding passes. The result is written in
// COD's progression with one layer, one tile-part per tile, no SOP/EPH, no
// POC/TLM/PLM/PLT; every other marker segment is copied. Code-blocks of a
// component with an RGN shift are decoded, scaled down and coded again
// (codestream/roi.hpp), and no RGN is written: decoders that ignore RGN or refuse
// it with HT code-blocks then decode the region correctly.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "codestream/header.hpp"

namespace htj2k {

// Whether any code-block style (COD or a COC) has the HT bit: the codestreams
// flatten_layers is for (Part 1 ones, layered or not, are OpenJPEG's).
bool has_ht_code_blocks(const CodestreamHeader& h);

// What decoders are given the joined codestream for: HT code-blocks in several
// layers, or with an RGN marker (a region of interest).
bool needs_joining(const CodestreamHeader& h);

// The bare codestream `cs` (parsed as `h`) with only its first `keep_layers`
// layers (>= 1; more than it has: all), as one layer. Throws InvalidCodestream
// for malformed packet headers or segments (with the place), UnsupportedCodestream
// naming the feature for what is not rewritten: code-blocks that are not all HT
// (Part 1 or mixed-mode code-block styles), PPM/PPT, COD/COC/POC in tile-part
// headers, a codestream cut short (several layers cannot be decoded from a prefix).
// Work and memory are bounded by the data: every packet costs a byte, and at most
// 2^22 + 16 per byte of packet data code-blocks are tracked.
std::vector<uint8_t> flatten_layers(const uint8_t* cs, size_t size, const CodestreamHeader& h, uint32_t keep_layers);

}  // namespace htj2k
