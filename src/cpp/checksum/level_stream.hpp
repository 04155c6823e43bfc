// Checksums of the reduced resolution levels of a lossless (reversible 5/3, one
// tile) image, computed from its full-resolution rows while they are decoded:
// per component, one streaming forward 5/3 stage per level (vertical lifting
// over a window of rows, then the horizontal lifting of each low row); each
// level's rows are assembled across components (inverse RCT when the image used
// it), clamped, serialised and CRC'd as they appear, and fed to the next level.
// A few rows of memory per level and component; no full-size buffer.
//
// The result equals checksum/levels.hpp's LevelPyramid (tested against it and
// against decoding each level): the integer 5/3 lifting and the RCT commute
// with adding a constant, so no DC shift is needed; levels are clamped to the
// nominal range when serialised.
// Requires (see applicable()): image origin aligned so that every level starts
// at an even coordinate (e.g. origin 0), bit depths <= 24 (int32 arithmetic),
// all components the same size; rows pushed in order, all components at once.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "checksum/levels.hpp"
#include "core/sample_types.hpp"

namespace htj2k {

class LevelStream {
 public:
  // Levels 1..max_level of a width x height image of `ranges.size()` components
  // (nominal range of each); `wanted[r]` (size max_level + 1) says which levels
  // to hash. Samples are serialised as `out_type`, components interleaved.
  // rct: the codestream used the reversible colour transform on components 0..2.
  LevelStream(uint32_t width, uint32_t height, uint32_t max_level, const std::vector<bool>& wanted,
              SampleType out_type, const std::vector<Range>& ranges, bool rct);
  ~LevelStream();
  LevelStream(const LevelStream&) = delete;
  LevelStream& operator=(const LevelStream&) = delete;

  // The next full-resolution row of every component (rows[c]: width samples, as
  // decoded: not clamped, not colour-transformed). The rows are not modified.
  void push(const int32_t* const* rows);
  // After the last row: the checksums of the wanted levels (coarsest first).
  std::vector<LevelCrc> finish();

  static bool applicable(uint32_t max_bit_depth, uint64_t x0, uint64_t y0, uint32_t max_level);

  struct Stage;
  struct Level;

 private:
  uint32_t nc_ = 1;
  bool rct_ = false;
  uint32_t width_ = 0;
  std::vector<std::vector<int32_t>> ycc_;        // level-0 rows after the forward RCT
  std::vector<std::unique_ptr<Level>> levels_;  // levels_[r - 1]: level r
};

}  // namespace htj2k
