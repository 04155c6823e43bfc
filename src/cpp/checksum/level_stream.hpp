// Checksums of the reduced resolution levels of a single-component lossless
// (reversible 5/3, one tile) image, computed from its full-resolution rows while
// they are decoded: one streaming forward 5/3 stage per level (vertical lifting
// over a window of rows, then the horizontal lifting of each low row), each
// stage's low rows CRC'd as they appear and fed to the next stage. A few rows of
// memory per level; no full-size buffer.
//
// The result equals checksum/levels.hpp's LevelPyramid (tested against it): the
// integer 5/3 lifting commutes with adding a constant, so the DC shift is not
// needed, and levels are clamped to the nominal range when serialised.
// Requires: image origin aligned (every level starts at an even coordinate, e.g.
// origin 0), bit depth <= 24 (int32 arithmetic), rows in order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "checksum/levels.hpp"
#include "simd/sample_types.hpp"

namespace htj2k {

class LevelStream {
 public:
  // Levels 1..max_level of a width x height image; `wanted[r]` (size max_level+1)
  // says which levels to hash. Samples are serialised as `out_type`, clamped to
  // [lo, hi].
  LevelStream(uint32_t width, uint32_t height, uint32_t max_level, const std::vector<bool>& wanted,
              SampleType out_type, int64_t lo, int64_t hi);
  ~LevelStream();
  LevelStream(const LevelStream&) = delete;
  LevelStream& operator=(const LevelStream&) = delete;

  // The next full-resolution row (width samples, as decoded: not clamped).
  void push(const int32_t* row);
  // After the last row: the checksums of the wanted levels (coarsest first).
  std::vector<LevelCrc> finish();

  // Whether LevelStream applies: bit depth and origin as required above.
  static bool applicable(uint32_t bit_depth, uint64_t x0, uint64_t y0, uint32_t max_level);

  struct Stage;

 private:
  std::vector<std::unique_ptr<Stage>> stages_;  // stages_[r - 1] makes level r
};

}  // namespace htj2k
