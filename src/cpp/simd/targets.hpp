// The kernel sets of every Highway target compiled in and supported by this CPU,
// best first: for the tests and benchmarks that compare each target with the
// scalar twins. Included by the dispatch sources once (HWY_ONCE), after highway.h.
#pragma once
#include <hwy/highway.h>

#include <cstdint>
#include <vector>

namespace htj2k {

// table: HWY_DISPATCH_TABLE of a HWY_EXPORTed function returning a Set.
template <class Set, class Table>
std::vector<Set> kernel_sets_per_target(const Table& table) {
  std::vector<Set> out;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    // The dispatch table's index of a target, as ChosenTarget::GetIndex computes it.
    const int64_t bits = HWY_CHOSEN_TARGET_SHIFT(target);
    const size_t index = bits ? hwy::Num0BitsBelowLS1Bit_Nonzero64(uint64_t(bits))
                              : size_t(HWY_MAX_DYNAMIC_TARGETS + 1);
    if (auto fn = table[index]) out.push_back(fn());
  }
  return out;
}

}  // namespace htj2k
