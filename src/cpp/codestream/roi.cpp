#include "codestream/roi.hpp"

#include <algorithm>
#include <string>

#include "block/ht_block_decoder.hpp"
#include "block/ht_block_encoder.hpp"
#include "core/errors.hpp"

namespace htj2k {
namespace {

std::string str(uint64_t v) { return std::to_string(v); }

// A decoded coefficient: its magnitude and the finest bit-plane its bits are known to.
struct Known {
  uint64_t magnitude = 0;
  int plane = 0;
  bool negative = false;
};

}  // namespace

RoiBlockOutput undo_roi_shift(const RoiBlockInput& in) {
  const unsigned planes = in.mb + in.shift;  // the band's bit-planes with the shift
  if (planes > 62 || in.cleanup_plane >= planes)
    throw InvalidCodestream("RGN: HT cleanup pass at bit-plane " + str(in.cleanup_plane) + " of a band with " +
                            str(in.mb) + " + " + str(in.shift) + " magnitude bit-planes");
  const HtDecodedBlock d =
      decode_ht_block(in.cleanup, in.cleanup_len, in.refine.data(), in.refine.size(), in.passes, in.width, in.height,
                      planes - in.cleanup_plane, in.vertically_causal);
  const size_t n = size_t(in.width) * in.height;
  const int p = int(in.cleanup_plane);
  // Region coefficients scaled down (H.2: magnitude >= 2^s), with the plane they are known to.
  std::vector<Known> coef(n);
  int finest = 64;
  for (size_t i = 0; i < n; ++i) {
    const int64_t v = d.value[i];
    // |v| is in units of 2^(p - 1): the cleanup's bits and one refinement bit.
    uint64_t a = uint64_t(v < 0 ? -v : v);
    int known = d.refined[i] ? p - 1 : p;
    if (known < 0) throw InvalidCodestream("RGN: a refinement pass below bit-plane 0");
    uint64_t m = p >= 1 ? a << (p - 1) : a >> 1;
    if (in.shift && m >= (uint64_t(1) << in.shift)) {
      m >>= in.shift;
      known = std::max(known - int(in.shift), 0);
    }
    coef[i] = Known{m, known, v < 0};
    if (m) finest = std::min(finest, known);
  }
  RoiBlockOutput out;
  if (finest == 64) return out;  // all zero
  const unsigned target = unsigned(finest);
  if (in.mb <= target || in.mb - target > 31)
    throw UnsupportedCodestream("RGN: a code-block of " + str(in.mb) + " magnitude bit-planes coded from bit-plane " +
                                str(target) + " (htj2k re-codes at most 31)");
  const unsigned kmax = in.mb - target;
  std::vector<int32_t> values(n);
  for (size_t i = 0; i < n; ++i) {
    const Known& k = coef[i];
    uint64_t c = k.magnitude >> target;
    if (c && unsigned(k.plane) > target) c |= uint64_t(1) << (unsigned(k.plane) - target - 1);  // mid-interval
    if (c >> kmax)
      throw InvalidCodestream("RGN: a coefficient of " + str(c) + " at bit-plane " + str(target) +
                              " exceeds the band's " + str(in.mb) + " magnitude bit-planes once scaled down by 2^" +
                              str(in.shift));
    values[i] = k.negative ? -int32_t(c) : int32_t(c);
  }
  HtEncodedBlock e = encode_ht_block(values.data(), in.width, in.height, in.width, kmax);
  if (e.passes == 0) return out;
  out.empty = false;
  out.cleanup = std::move(e.bytes);
  out.zbp = e.missing_msbs;  // the encoder codes bit-plane 0 of kmax = Mb - target
  return out;
}

}  // namespace htj2k
