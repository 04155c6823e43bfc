// Dispatch point for the conversion kernels. Until the Highway kernels land
// the scalar versions (written to auto-vectorise) serve.
#include "simd/convert.hpp"

namespace htj2k {

void store_clamped(const int32_t* src, size_t n, void* dst, size_t stride, SampleType t,
                   int64_t lo, int64_t hi) {
  store_clamped_scalar(src, n, dst, stride, t, lo, hi);
}
void load_widen(const void* src, size_t n, size_t stride, SampleType t, int32_t* dst) {
  load_widen_scalar(src, n, stride, t, dst);
}
void min_max(const void* src, size_t n, size_t stride, SampleType t, int64_t* mn, int64_t* mx) {
  min_max_scalar(src, n, stride, t, mn, mx);
}

}  // namespace htj2k
