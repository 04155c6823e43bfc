// Images as the layers pass them: an image in caller memory (ImageView), the
// layout of one decoded component (PlaneLayout), and decoded lines (LineSink).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

#include "core/sample_types.hpp"

namespace htj2k {

struct ImageView {
  const void* data = nullptr;
  SampleType type = SampleType::U8;
  uint32_t width = 0, height = 0, num_components = 1;
  size_t row_stride = 0;  // bytes between rows; samples within a row are interleaved
};

// One component of a decoded frame at the requested resolution level.
struct PlaneLayout {
  uint32_t width = 0, height = 0;  // at the requested level
  uint32_t bit_depth = 0;
  bool is_signed = false;
  SampleType type = SampleType::U8;  // smallest type holding bit_depth
};

// Receives decoded lines (int32 samples, not clamped) of component `comp`, row
// `row`; the line is valid during the call only.
using LineSink = std::function<void(uint32_t comp, uint32_t row, const int32_t* line)>;

}  // namespace htj2k
