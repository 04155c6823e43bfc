// An image in caller memory: rows of interleaved samples.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/sample_types.hpp"

namespace htj2k {

struct ImageView {
  const void* data = nullptr;
  SampleType type = SampleType::U8;
  uint32_t width = 0, height = 0, num_components = 1;
  size_t row_stride = 0;  // bytes between rows; samples within a row are interleaved
};

}  // namespace htj2k
