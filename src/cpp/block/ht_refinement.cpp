// The HT SigProp and MagRef passes (15444-15), block/ht_refinement.hpp.
#include "block/ht_refinement.hpp"

#include <algorithm>

#include "block/ht_bitstreams.hpp"

namespace htj2k {
namespace ht_internal {
namespace {

// SigProp visits stripes of 4 rows; within a stripe, groups of 4 columns; within
// a group, each column top to bottom. A sample not significant in the cleanup
// pass is a member when one of its 8 neighbours is significant: significant in
// the cleanup pass, or made significant by SigProp earlier in this order. Rows of
// the next stripe count only with their cleanup significance, and not at all in
// vertically causal mode. A group's significance bits come first, then the sign
// bits of the samples that became significant, in the same order.
class SigProp {
 public:
  SigProp(Planes& p, const uint8_t* seg, size_t len, bool causal) : p_(p), bits_(seg, len, 0), causal_(causal),
                                                                    now_(p.sig) {}

  void run() {
    for (uint32_t y0 = 0; y0 < p_.height; y0 += 4)
      for (uint32_t x0 = 0; x0 < p_.width; x0 += 4) group(x0, y0);
  }

 private:
  bool significant_neighbour(uint32_t x, uint32_t y, uint32_t stripe_end) const {
    for (int dy = -1; dy <= 1; ++dy) {
      const int64_t ny = int64_t(y) + dy;
      if (ny < 0 || ny >= int64_t(p_.height)) continue;
      const bool next_stripe = uint32_t(ny) >= stripe_end;
      if (next_stripe && causal_) continue;
      for (int dx = -1; dx <= 1; ++dx) {
        const int64_t nx = int64_t(x) + dx;
        if ((dx == 0 && dy == 0) || nx < 0 || nx >= int64_t(p_.width)) continue;
        const size_t at = size_t(ny) * p_.width + size_t(nx);
        if (next_stripe ? p_.sig[at] != 0 : now_[at] != 0) return true;
      }
    }
    return false;
  }

  void group(uint32_t x0, uint32_t y0) {
    const uint32_t x1 = std::min(x0 + 4, p_.width), y1 = std::min(y0 + 4, p_.height);
    const uint32_t stripe_end = y0 + 4;
    bool any = false;
    for (uint32_t x = x0; x < x1; ++x)
      for (uint32_t y = y0; y < y1; ++y) {
        const size_t at = size_t(y) * p_.width + x;
        if (p_.sig[at] || !significant_neighbour(x, y, stripe_end)) continue;
        p_.refined[at] = 1;
        if (bits_.get(1)) {
          now_[at] = 1;
          p_.low[at] = 1;
          any = true;
        }
      }
    if (!any) return;
    for (uint32_t x = x0; x < x1; ++x)
      for (uint32_t y = y0; y < y1; ++y) {
        const size_t at = size_t(y) * p_.width + x;
        if (now_[at] && !p_.sig[at]) p_.neg[at] = uint8_t(bits_.get(1));
      }
  }

  Planes& p_;
  ForwardBits bits_;
  bool causal_;
  std::vector<uint8_t> now_;  // significance as the pass goes
};

// MagRef: one bit per sample significant in the cleanup pass, stripes of 4 rows,
// each column top to bottom.
void mag_ref(Planes& p, const uint8_t* seg, size_t len) {
  BackwardBits bits(seg, len, true);
  for (uint32_t y0 = 0; y0 < p.height; y0 += 4) {
    const uint32_t y1 = std::min(y0 + 4, p.height);
    for (uint32_t x = 0; x < p.width; ++x)
      for (uint32_t y = y0; y < y1; ++y) {
        const size_t at = size_t(y) * p.width + x;
        if (!p.sig[at]) continue;
        p.low[at] = uint8_t(bits.get(1));
        p.refined[at] = 1;
      }
  }
}

}  // namespace

void decode_refinement(Planes& planes, const uint8_t* seg, size_t len, unsigned passes, bool vertically_causal) {
  static const uint8_t kNothing = 0;
  if (!seg) seg = &kNothing, len = 0;
  SigProp(planes, seg, len, vertically_causal).run();
  if (passes > 2) mag_ref(planes, seg, len);
}

}  // namespace ht_internal
}  // namespace htj2k
