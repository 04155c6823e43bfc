// The layer joiner (codestream/layers.hpp) on its own: OpenJPH's one-layer output
// is rewritten byte for byte, the joined multi-layer conformance codestreams are
// fixed points of it for every layer count, and single-byte corruptions and
// truncations of multi-layer input never read past it (under ASan).
// A gtest target of the CMake build (HTJ2K_BUILD_TESTING), run by ctest.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "codestream/header.hpp"
#include "codestream/layers.hpp"
#include "core/errors.hpp"
#include "conformance_data.hpp"
#include "encoded_image.hpp"

using namespace htj2k;

namespace {

std::vector<uint8_t> flatten(const std::vector<uint8_t>& cs, uint32_t keep) {
  const CodestreamHeader h = parse_header(cs.data(), cs.size());
  return flatten_layers(cs.data(), cs.size(), h, keep);
}

using htj2k_test::conformance;

const char* const kMultiLayer[] = {"ds0_ht_02_b11.j2k", "ds0_ht_04_b11.j2k", "ds0_ht_05_b11.j2k",
                                   "ds0_ht_08_b11.j2k", "ds0_ht_10_b11.j2k", "ds0_ht_16_b11.j2k",
                                   "ds0_ht_03_b11.j2k"};

}  // namespace

TEST(Layers, OpenJphOutputIsRewrittenByteForByte) {
  for (const char* prog : {"LRCP", "RLCP", "RPCL", "PCRL", "CPRL"})
    for (int levels : {0, 2, 5}) {
      const std::vector<uint8_t> in = htj2k_test::encoded_u8(97, 75, 0, levels, prog, 7);
      EXPECT_EQ(flatten(in, 1), in) << prog << " levels " << levels;
    }
}

TEST(Layers, JoinedConformanceStreamsAreFixedPoints) {
  int found = 0;
  for (const char* name : kMultiLayer) {
    const std::vector<uint8_t> in = conformance(name);
    if (in.empty()) continue;
    ++found;
    const CodestreamHeader h = parse_header(in.data(), in.size());
    ASSERT_GT(h.cod.layers, 1) << name;
    for (uint32_t k = 1; k <= h.cod.layers; ++k) {
      const std::vector<uint8_t> out = flatten(in, k);
      const CodestreamHeader o = parse_header(out.data(), out.size());
      EXPECT_EQ(o.cod.layers, 1) << name;
      EXPECT_FALSE(o.has_poc || o.has_tlm || o.cod.sop || o.cod.eph) << name;
      EXPECT_EQ(flatten(out, 1), out) << name << " layers " << k;
    }
  }
  if (std::getenv("CI") && std::string(std::getenv("CI")) == "true") EXPECT_EQ(found, 7);
}

TEST(Layers, CorruptAndTruncatedInputNeverReadsPastIt) {
  const std::vector<uint8_t> base = conformance("ds0_ht_16_b11.j2k");
  if (base.empty()) GTEST_SKIP() << "HTJ2K_CONFORMANCE_DIR not set";
  std::mt19937 rng(3);
  for (int i = 0; i < 400; ++i) {
    std::vector<uint8_t> b(base);
    b[rng() % b.size()] ^= uint8_t(1u << (rng() % 8));
    try {
      flatten(b, 1 + rng() % 3);
    } catch (const Error&) {
    }
  }
  for (size_t n = 0; n < base.size(); n += 7) {
    std::vector<uint8_t> cut(base.begin(), base.begin() + long(n));  // its own allocation: ASan sees overreads
    try {
      flatten(cut, 3);
    } catch (const Error&) {
    }
  }
}
