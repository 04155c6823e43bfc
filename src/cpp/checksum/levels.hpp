// Resolution-level images of a lossless (reversible 5/3) JPEG 2000 image, and
// their CRC-32 checksums, computed from the original samples without encoding.
//
// Resolution level r (r highest levels discarded) of a lossless codestream is the
// LL band after r levels of the forward reversible 5/3 DWT (ISO/IEC 15444-1 Annex
// F, whole-sample symmetric extension, vertical pass then horizontal pass) of the
// DC-shifted samples, optionally after the forward RCT (Annex G.2); a decoder
// returns it after the inverse RCT, un-shifting and clamping to the nominal range.
// The LL band after one level covers ceil(x0/2)..ceil(x1/2) (same for y), so a
// level can be empty when the origin is odd and the extent is 1.
//
// Checksum bytes of a level image: components interleaved, rows top to bottom,
// each sample little-endian in the smallest integer size holding the largest bit
// depth of the image (1, 2 or 4 bytes), two's complement for signed components.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/image.hpp"
#include "core/sample_types.hpp"

namespace htj2k {

struct SampleFormat {
  uint32_t bit_depth = 8;  // 1..32
  bool is_signed = false;
  // Checksum size of one sample: 0 = bytes_for_bit_depth(bit_depth); otherwise 1, 2
  // or 4 and at least that. The image uses the largest size over its components.
  uint32_t bytes = 0;
};

inline SampleFormat make_sample_format(uint32_t bit_depth, bool is_signed) {
  return SampleFormat{bit_depth, is_signed, bytes_for_bit_depth(bit_depth)};
}

struct LevelCrc {
  uint32_t width = 0;
  uint32_t height = 0;
  uint32_t crc32 = 0;  // zlib crc32 of the level's checksum bytes (0 when empty)
  uint32_t level = 0;  // r: resolution levels discarded
};

// Holds one level image (planar, in a working copy of the input) and steps to the
// next, lower, resolution in place. Level 0 is the input clamped to the nominal
// range of each component; higher levels are computed from the clamped input.
//
// Samples are interleaved: component c of pixel (x, y) is
// samples[y * row_stride + x * num_components + c] (row_stride in elements).
// Input element types: uint8/int8/uint16/int16/uint32/int32.
// With rct, components 0..2 (same bit depth and signedness required) go through
// the RCT; components beyond the third pass through untouched.
// Bit depths <= 24 are transformed in int32, deeper ones in int64.
// Throws InvalidArgument (errors.hpp) on inconsistent arguments.
class LevelPyramid {
 public:
  template <typename In>
  LevelPyramid(const In* samples, size_t row_stride, uint32_t width, uint32_t height,
               uint32_t num_components, const std::vector<SampleFormat>& formats, bool rct,
               uint32_t x0 = 0, uint32_t y0 = 0);
  ~LevelPyramid();
  LevelPyramid(LevelPyramid&&) noexcept;
  LevelPyramid& operator=(LevelPyramid&&) noexcept;

  uint32_t level() const;   // r of the level now held
  uint32_t width() const;   // of that level (may be 0)
  uint32_t height() const;
  uint32_t num_components() const;
  uint32_t bytes_per_sample() const;  // in the checksum bytes
  size_t row_bytes() const;           // width() * num_components() * bytes_per_sample()

  // Replaces the level held by the next one (level() + 1).
  void next_level();

  // Hands the checksum bytes of the level held to fn, one row per call, top to
  // bottom (nothing when the level is empty). The buffer is reused between calls.
  using RowFn = std::function<void(const uint8_t* bytes, size_t n)>;
  void serialise(const RowFn& fn);

  // crc32 of the checksum bytes of the level held.
  uint32_t crc32();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// One tile's part of a level image, in the transform domain: nc int32 planes
// (DC-shifted, components 0..2 after the forward RCT when rct -- the LL band of an
// encoder's forward 5/3 DWT), w x h samples from (x0, y0) of the level, each
// plane's rows `stride` samples apart.
struct TransformRect {
  uint64_t x0 = 0, y0 = 0;
  uint32_t w = 0, h = 0;
  size_t stride = 0;
  const int32_t* const* planes = nullptr;  // nc pointers
};

// crc32 of the checksum bytes of the width x height level image the rectangles
// tile (in tile rows; empty ones ignored), as a decoder returns it: the inverse
// RCT, un-shift and clamp of every sample. The planes are only read. Every
// component has format fmt (bit depth <= 24). 0 for an empty level. Throws
// InvalidArgument when the rectangles do not tile the level.
uint32_t mosaic_crc32(std::vector<TransformRect> rects, uint32_t width, uint32_t height, uint32_t nc,
                      const SampleFormat& fmt, bool rct);

// crc32 of an image's samples as checksum bytes: the low `bytes` bytes of each
// sample, little-endian, components interleaved (the level-0 checksum of samples
// inside the range those bytes hold).
uint32_t samples_crc32(const ImageView& im, uint32_t bytes);

// Checksums of levels r = max_level down to 0 (coarsest first). max_level <= 32.
// Instantiated for In = uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t.
template <typename In>
std::vector<LevelCrc> level_checksums_from_samples(const In* samples, size_t row_stride,
                                                   uint32_t w, uint32_t h, uint32_t ncomp,
                                                   const std::vector<SampleFormat>& fmt,
                                                   bool rct, uint32_t max_level,
                                                   uint32_t x0 = 0, uint32_t y0 = 0);

}  // namespace htj2k
