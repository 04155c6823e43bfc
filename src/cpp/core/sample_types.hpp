// Output/input sample types and their nominal ranges.
#pragma once
#include <cstddef>
#include <cstdint>

namespace htj2k {

enum class SampleType : uint8_t { U8, I8, U16, I16, U32, I32 };

inline size_t sample_bytes(SampleType t) {
  switch (t) {
    case SampleType::U8: case SampleType::I8: return 1;
    case SampleType::U16: case SampleType::I16: return 2;
    default: return 4;
  }
}
inline bool sample_signed(SampleType t) {
  return t == SampleType::I8 || t == SampleType::I16 || t == SampleType::I32;
}
// Bytes of the smallest little-endian integer holding bit_depth bits: 1 (<= 8),
// 2 (<= 16), 4 otherwise (the checksum bytes and the decoded arrays use it).
constexpr uint32_t bytes_for_bit_depth(uint32_t bit_depth) {
  return bit_depth <= 8 ? 1 : bit_depth <= 16 ? 2 : 4;
}
// Smallest type holding bit_depth bits of the given signedness (1, 2 or 4 bytes).
inline SampleType sample_type_for(uint32_t bit_depth, bool is_signed) {
  if (bit_depth <= 8) return is_signed ? SampleType::I8 : SampleType::U8;
  if (bit_depth <= 16) return is_signed ? SampleType::I16 : SampleType::U16;
  return is_signed ? SampleType::I32 : SampleType::U32;
}
// Nominal range of a B-bit component.
struct Range {
  int64_t lo, hi;
};
inline Range nominal_range(uint32_t bit_depth, bool is_signed) {
  if (is_signed) return {-(int64_t(1) << (bit_depth - 1)), (int64_t(1) << (bit_depth - 1)) - 1};
  return {0, (int64_t(1) << bit_depth) - 1};
}

}  // namespace htj2k
