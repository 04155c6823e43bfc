#include "decode/interleave.hpp"

#include <algorithm>
#include <climits>
#include <utility>

#include "simd/convert.hpp"

namespace htj2k {

InterleavedWriter::InterleavedWriter(const std::vector<PlaneLayout>& planes, SampleType t, void* out,
                                     size_t row_stride, RowFn observer, bool track_clamp)
    : nc_(uint32_t(planes.size())),
      w_(planes[0].width),
      type_(t),
      bytes_(sample_bytes(t)),
      base_(static_cast<uint8_t*>(out)),
      row_stride_(row_stride),
      observer_(std::move(observer)),
      track_clamp_(track_clamp),
      lo_(nc_),
      hi_(nc_),
      done_(planes[0].height, 0),
      // When the components of a row arrive one after the other (OpenJPH with the
      // colour transform pulls c0 y, c1 y, c2 y, c0 y+1, ...), lines 0..nc-2 are held
      // in a row-sized scratch and the row is written in one vectorised interleaving
      // pass; in any other order (planar) lines are stored with a stride as they come.
      gather_(nc_ >= 2 && nc_ <= 4),
      held_(gather_ ? size_t(nc_ - 1) * w_ : 0) {
  for (uint32_t c = 0; c < nc_; ++c) {
    const Range r = nominal_range(planes[c].bit_depth, planes[c].is_signed);
    lo_[c] = r.lo;
    hi_[c] = r.hi;
  }
}

void InterleavedWriter::store_line(uint32_t c, uint32_t row, const int32_t* samples) {
  store_clamped(samples, w_, row_ptr(row) + size_t(c) * bytes_, nc_, type_, lo_[c], hi_[c]);
  if (observer_ && ++done_[row] == nc_) observer_(row, row_ptr(row), size_t(w_) * nc_ * bytes_);
}

void InterleavedWriter::flush_held() {
  for (uint32_t k = 0; k < held_count_; ++k) store_line(k, held_row_, held_.data() + size_t(k) * w_);
  held_count_ = 0;
}

void InterleavedWriter::line(uint32_t c, uint32_t row, const int32_t* samples) {
  if (track_clamp_ && !clamped_) {
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    min_max(samples, w_, 1, SampleType::I32, &mn, &mx);
    clamped_ = mn < lo_[c] || mx > hi_[c];
  }
  if (gather_) {
    if (held_count_ > 0 && (c != held_count_ || row != held_row_)) {
      flush_held();
      gather_ = false;  // not row-interleaved: stop copying lines aside
    }
    if (gather_ && c == held_count_) {
      if (c + 1 < nc_) {
        std::copy(samples, samples + w_, held_.data() + size_t(c) * w_);
        held_row_ = row;
        held_count_ = c + 1;
        return;
      }
      const int32_t* srcs[4];
      for (uint32_t k = 0; k + 1 < nc_; ++k) srcs[k] = held_.data() + size_t(k) * w_;
      srcs[nc_ - 1] = samples;
      store_clamped_interleaved(srcs, nc_, w_, row_ptr(row), type_, lo_.data(), hi_.data());
      held_count_ = 0;
      if (observer_) {
        done_[row] = nc_;
        observer_(row, row_ptr(row), size_t(w_) * nc_ * bytes_);
      }
      return;
    }
  }
  store_line(c, row, samples);
}

void InterleavedWriter::finish() { flush_held(); }

}  // namespace htj2k
