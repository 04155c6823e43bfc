// Per-resolution-level CRC-32 checksums of a frame, as an imaging archive
// publishes them (PixelDataChecksumFromBaseToFullResolution): for level r the
// reduced-resolution image, clamped to the nominal range, serialised
// little-endian in the smallest type of the bit depth, components interleaved.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "checksum/levels.hpp"
#include "decode/frame_decoder.hpp"
#include "encode/encoder.hpp"

namespace htj2k {

struct FrameChecksums {
  std::vector<LevelCrc> levels;  // base first
  bool has_range = false;             // min/max known (full resolution was decoded)
  int64_t min = 0, max = 0;           // over all samples at full resolution
};

// Checksums of the requested levels (empty = every level 0..L; for the first bytes
// of a frame, every level they hold: codestream/prefix.hpp), base first.
// Reversible single-tile codestreams are decoded once at the finest level
// requested and lower levels derived with the forward 5/3 DWT (exact);
// others are decoded at each level.
// with_range: also report min/max sample values at full resolution.
FrameChecksums frame_checksums(const uint8_t* data, size_t size, const std::vector<uint32_t>& levels,
                               uint64_t max_pixels = kDefaultMaxPixels, bool with_range = false,
                               uint64_t max_memory = kDefaultMaxMemory);

// decode(..., checksums=True): `dec` (opened on data/size with opt, at level 0)
// decodes full resolution into out (interleaved rows row_stride bytes apart), and
// the checksums of every level L..0 (base first) come with it: level 0 from the
// rows as decoded, the lower levels derived from them where that is exact (as
// frame_checksums does), else by decoding each level. Throws InvalidArgument when
// dec is not at level 0.
std::vector<LevelCrc> decode_with_checksums(FrameDecoder& dec, void* out, size_t row_stride, const uint8_t* data,
                                           size_t size, const DecodeOptions& opt);

// Checksums of levels max_level..0 (base first) computed from raw pixels, as a
// lossless encode with max_level decomposition levels would reconstruct them.
// bit_depth 0 = the sample type's width; is_signed -1 = from the sample type.
// Values outside the declared range raise InvalidArgument.
std::vector<LevelCrc> pixel_checksums(const ImageView& image, uint32_t max_level,
                                           uint32_t bit_depth, int is_signed, bool rct);

}  // namespace htj2k
