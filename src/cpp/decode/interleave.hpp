// Writes decoded lines into an interleaved (H, W, C) image, clamped to each
// component's nominal range, and reports each completed row to an observer. One
// writer serves one decode attempt (FrameDecoder makes a new one for a retry).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/image.hpp"
#include "core/sample_types.hpp"

namespace htj2k {

class InterleavedWriter {
 public:
  using RowFn = std::function<void(uint32_t row, const uint8_t* bytes, size_t n)>;
  // out: planes[0].height rows, row_stride bytes apart, of type t; observer may
  // be empty; track_clamp: find whether any sample lay outside its range.
  InterleavedWriter(const std::vector<PlaneLayout>& planes, SampleType t, void* out, size_t row_stride,
                    RowFn observer, bool track_clamp);
  // One component's line (any order: row-interleaved orders are gathered and
  // written in one vectorised pass, others stored with a stride as they come).
  void line(uint32_t c, uint32_t row, const int32_t* samples);
  // Writes what is still held; call once after the last line.
  void finish();
  bool clamped() const { return clamped_; }

 private:
  uint8_t* row_ptr(uint32_t row) const { return base_ + size_t(row) * row_stride_; }
  void store_line(uint32_t c, uint32_t row, const int32_t* samples);
  void flush_held();

  uint32_t nc_, w_;
  SampleType type_;
  size_t bytes_;
  uint8_t* base_;
  size_t row_stride_;
  RowFn observer_;
  bool track_clamp_, clamped_ = false;
  std::vector<int64_t> lo_, hi_;
  std::vector<uint32_t> done_;  // components written per row
  bool gather_;
  std::vector<int32_t> held_;
  uint32_t held_row_ = 0, held_count_ = 0;
};

}  // namespace htj2k
