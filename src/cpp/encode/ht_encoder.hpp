// Our own HTJ2K encoder (lossless path): DC shift, RCT, forward reversible 5/3 DWT
// (simd/dwt53_lift.hpp), code-blocks coded by our HT block encoder
// (block/ht_block_encoder.hpp) on the thread pool, packets written in progression
// order with the shared packet writer (codestream/packet_writer.hpp), the main
// header as OpenJPH writes it (encode/codestream_writer.hpp). One tile-part per
// tile; encoder.cpp adds tile-parts per resolution, TLM, PLT and the JPH box.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "checksum/levels.hpp"
#include "core/image.hpp"
#include "encode/encoder.hpp"

namespace htj2k {

// The deepest samples our encoder codes (int32 coefficients with room for the RCT
// and the 5/3 gains; the block coder's 31-bit magnitudes).
constexpr uint32_t kHtEncoderMaxBitDepth = 24;

// Why our encoder cannot encode with options `o` at `bit_depth` ("" when it can):
// names the option.
std::string ht_encoder_refusal(const EncodeOptions& o, uint32_t bit_depth);

// The bare single-tile-part codestream of `im` (checked by encode_image first:
// options, levels, sample range). Output is the same for every o.threads.
// With level_crcs: the checksums of levels `levels`..0 (base first) of what the
// codestream decodes to, from the same DWT pass (checksum/level_capture.hpp).
std::vector<uint8_t> encode_with_ht(const ImageView& im, const EncodeOptions& o, uint32_t levels,
                                    uint32_t bit_depth, bool is_signed, bool colour,
                                    std::vector<LevelCrc>* level_crcs = nullptr);

}  // namespace htj2k
