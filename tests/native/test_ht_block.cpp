// The HT code-block decoder (block/ht_block_decoder.hpp), its CxtVLC tables
// (block/ht_vlc_table.hpp) and the code-block enumeration (codestream/code_blocks.hpp):
// the tables are complete prefix codes with consistent EMB patterns, OpenJPH's
// lossless 0-level encodes decode to their samples, and damaged, truncated or random
// segments raise InvalidCodestream without reading outside them (under ASan).
// A gtest target of the CMake build (HTJ2K_BUILD_TESTING), run by ctest.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "block/ht_block_decoder.hpp"
#include "block/ht_vlc_table.hpp"
#include "codestream/code_blocks.hpp"
#include "codestream/header.hpp"
#include "codestream/layers.hpp"
#include "core/errors.hpp"
#include "conformance_data.hpp"
#include "encoded_image.hpp"

using namespace htj2k;

namespace {

using htj2k_test::conformance;

HtDecodedBlock decode(const std::vector<uint8_t>& cs, const CodeBlockInfo& c) {
  return decode_ht_block(cs.data() + c.cleanup_offset, c.cleanup_length, cs.data() + c.refine_offset,
                         c.refine_length, c.passes, uint32_t(c.x1 - c.x0), uint32_t(c.y1 - c.y0),
                         c.zero_bitplanes + 1, c.vertically_causal);
}

// Decodes copies of exactly the given bytes (so ASan sees any read past them);
// true when decoded, false when refused with InvalidCodestream.
bool try_decode(const std::vector<uint8_t>& cleanup, const std::vector<uint8_t>& refine, unsigned passes,
                uint32_t w, uint32_t h, unsigned bits, bool causal) {
  std::unique_ptr<uint8_t[]> c(new uint8_t[cleanup.size() + 1]), r(new uint8_t[refine.size() + 1]);
  std::copy(cleanup.begin(), cleanup.end(), c.get());
  std::copy(refine.begin(), refine.end(), r.get());
  try {
    decode_ht_block(c.get(), cleanup.size(), r.get(), refine.size(), passes, w, h, bits, causal);
    return true;
  } catch (const InvalidCodestream&) {
    return false;
  }
}

}  // namespace

TEST(HtVlcTable, CompletePrefixCodesWithConsistentPatterns) {
  const size_t expected[2] = {444, 358};
  for (int t = 0; t < 2; ++t) {
    size_t n = 0;
    const HtVlcEntry* e = ht_vlc_table(t, &n);
    ASSERT_EQ(n, expected[t]);
    for (unsigned ctx = 0; ctx < 8; ++ctx) {
      double kraft = 0;
      bool has_rho0 = false;
      for (size_t i = 0; i < n; ++i) {
        if (e[i].context != ctx) continue;
        ASSERT_GE(e[i].length, 1);
        ASSERT_LE(e[i].length, 7);
        ASSERT_LT(e[i].codeword, 1u << e[i].length);
        EXPECT_EQ(e[i].e_1 & ~e[i].e_k, 0) << "table " << t << " entry " << i;
        EXPECT_EQ(e[i].e_k & ~e[i].rho, 0) << "table " << t << " entry " << i;
        if (!e[i].u_off) EXPECT_EQ(e[i].e_k, 0) << "table " << t << " entry " << i;
        has_rho0 = has_rho0 || e[i].rho == 0;
        kraft += 1.0 / double(1u << e[i].length);
        for (size_t j = 0; j < n; ++j) {  // no codeword starts another (LSB first)
          if (j == i || e[j].context != ctx || e[j].length < e[i].length) continue;
          EXPECT_NE(e[j].codeword & ((1u << e[i].length) - 1), e[i].codeword) << "table " << t << " " << i << "/" << j;
        }
      }
      EXPECT_DOUBLE_EQ(kraft, 1.0) << "table " << t << " context " << ctx;
      EXPECT_EQ(has_rho0, ctx != 0) << "context 0 codes rho 0 with MEL";
    }
  }
}

TEST(HtBlockDecoder, MelOfOnesIsAnEmptyBlock) {
  const uint8_t seg[2] = {0xF2, 0x00};  // Scup 2; MEL all 1s: runs of 0 events
  for (uint32_t w : {1u, 3u, 64u, 1024u})
    for (uint32_t h : {1u, 4u, 64u}) {
      if (w * h > 4096) continue;
      const HtDecodedBlock b = decode_ht_block(seg, 2, nullptr, 0, 3, w, h, 10, false);
      ASSERT_EQ(b.value.size(), size_t(w) * h);
      for (int64_t v : b.value) ASSERT_EQ(v, 0);
    }
}

TEST(HtBlockDecoder, RefusesBadArguments) {
  const uint8_t seg[2] = {0xF2, 0x00};
  EXPECT_THROW(decode_ht_block(seg, 2, nullptr, 0, 0, 4, 4, 8, false), InvalidArgument);
  EXPECT_THROW(decode_ht_block(seg, 2, nullptr, 0, 4, 4, 4, 8, false), InvalidArgument);
  EXPECT_THROW(decode_ht_block(seg, 2, nullptr, 0, 1, 0, 4, 8, false), InvalidArgument);
  EXPECT_THROW(decode_ht_block(seg, 2, nullptr, 0, 1, 2048, 2, 8, false), InvalidArgument);
  EXPECT_THROW(decode_ht_block(seg, 2, nullptr, 0, 1, 128, 64, 8, false), InvalidArgument);
  EXPECT_THROW(decode_ht_block(seg, 2, nullptr, 0, 1, 4, 4, 0, false), InvalidArgument);
  EXPECT_THROW(decode_ht_block(seg, 2, nullptr, 0, 1, 4, 4, kHtMaxMagnitudeBits + 1, false), InvalidArgument);
  EXPECT_THROW(decode_ht_block(seg, 1, nullptr, 0, 1, 4, 4, 8, false), InvalidCodestream);
  const uint8_t bad_scup[2] = {0x03, 0x00};  // Scup 3 > Lcup 2
  EXPECT_THROW(decode_ht_block(bad_scup, 2, nullptr, 0, 1, 4, 4, 8, false), InvalidCodestream);
}

TEST(HtBlockDecoder, LosslessZeroLevelsGiveTheSamples) {
  for (uint32_t w : {1u, 7u, 64u, 130u}) {
    const uint32_t h = 67;
    const std::vector<uint8_t> cs = htj2k_test::encoded_u8(w, h, 1024, 0, "RPCL", w + 1);
    std::vector<uint8_t> px(size_t(w) * h);  // encoded_u8's image, drawn again
    std::mt19937 rng(w + 1);
    for (auto& v : px) v = uint8_t(rng());
    const CodestreamHeader hd = parse_header(cs.data(), cs.size());
    const std::vector<CodeBlockInfo> blocks = code_blocks(cs.data(), cs.size(), hd);
    ASSERT_FALSE(blocks.empty());
    for (const CodeBlockInfo& c : blocks) {
      ASSERT_EQ(c.passes, 1u);
      const int p = c.magnitude_bits - 1 - int(c.zero_bitplanes);
      ASSERT_GE(p, 0);
      const HtDecodedBlock d = decode(cs, c);
      for (uint64_t y = c.y0; y < c.y1; ++y)
        for (uint64_t x = c.x0; x < c.x1; ++x) {
          const int64_t v = d.value[size_t((y - c.y0) * d.width + (x - c.x0))];
          const int64_t coef = (v < 0 ? -1 : 1) * ((v < 0 ? -v : v) >> 1 << p);
          ASSERT_EQ(coef, int64_t(px[size_t(y) * w + x]) - 128) << "at " << x << "," << y;
        }
    }
  }
}

// Every code-block of `cs`, damaged: bytes flipped, segments cut, the pass count and
// magnitude bound changed. Returns how many decodes were refused.
size_t damage_blocks(const std::vector<uint8_t>& cs, uint32_t seed, size_t trials) {
  const CodestreamHeader hd = parse_header(cs.data(), cs.size());
  std::mt19937 rng(seed);
  size_t refused = 0;
  for (const CodeBlockInfo& c : code_blocks(cs.data(), cs.size(), hd)) {
    const uint32_t w = uint32_t(c.x1 - c.x0), h = uint32_t(c.y1 - c.y0);
    for (size_t t = 0; t < trials; ++t) {
      std::vector<uint8_t> cleanup(cs.begin() + long(c.cleanup_offset),
                                   cs.begin() + long(c.cleanup_offset + c.cleanup_length));
      std::vector<uint8_t> refine(cs.begin() + long(c.refine_offset), cs.begin() + long(c.refine_offset + c.refine_length));
      std::vector<uint8_t>& seg = refine.empty() || t % 3 ? cleanup : refine;
      if (t % 4 == 0) seg.resize(rng() % (seg.size() + 1));
      else if (!seg.empty()) seg[rng() % seg.size()] ^= uint8_t(1 + rng() % 255);
      const unsigned passes = t % 5 == 0 ? 1 + rng() % 3 : c.passes;
      const unsigned bits = t % 7 == 0 ? 1 + rng() % kHtMaxMagnitudeBits : c.zero_bitplanes + 1;
      if (!try_decode(cleanup, refine, passes, w, h, bits, t % 2)) ++refused;
    }
  }
  return refused;
}

TEST(HtBlockDecoder, DamagedSegmentsNeverReadOutside) {
  EXPECT_GT(damage_blocks(htj2k_test::encoded_u8(150, 90, 1024, 2, "RPCL", 3), 1, 60), 0u);
  const std::vector<uint8_t> conf = conformance("ds0_ht_10_b11.j2k");
  if (conf.empty()) GTEST_SKIP() << "HTJ2K_CONFORMANCE_DIR not set";
  const CodestreamHeader hd = parse_header(conf.data(), conf.size());
  EXPECT_GT(damage_blocks(flatten_layers(conf.data(), conf.size(), hd, 2), 2, 30), 0u);
}

TEST(HtBlockDecoder, RandomSegmentsNeverReadOutside) {
  std::mt19937 rng(7);
  size_t refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::vector<uint8_t> cleanup(2 + rng() % 300), refine(rng() % 40);
    for (auto& b : cleanup) b = uint8_t(rng());
    for (auto& b : refine) b = uint8_t(rng());
    if (i % 2) cleanup[cleanup.size() - 1] = uint8_t(rng() % 20);  // a plausible Scup
    const uint32_t w = 1 + rng() % 64, h = 1 + rng() % 64;
    if (!try_decode(cleanup, refine, 1 + rng() % 3, w, h, 1 + rng() % kHtMaxMagnitudeBits, i % 3 == 0)) ++refused;
  }
  EXPECT_GT(refused, 0u);
}

TEST(CodeBlocks, ConformanceLayersJoined) {
  const std::vector<uint8_t> conf = conformance("ds0_ht_10_b11.j2k");
  if (conf.empty()) GTEST_SKIP() << "HTJ2K_CONFORMANCE_DIR not set";
  const CodestreamHeader hd = parse_header(conf.data(), conf.size());
  EXPECT_THROW(code_blocks(conf.data(), conf.size(), hd), UnsupportedCodestream);
  const std::vector<uint8_t> flat = flatten_layers(conf.data(), conf.size(), hd, 2);
  const CodestreamHeader fh = parse_header(flat.data(), flat.size());
  const std::vector<CodeBlockInfo> blocks = code_blocks(flat.data(), flat.size(), fh);
  size_t three = 0;
  for (const CodeBlockInfo& c : blocks) {
    ASSERT_LE(c.refine_offset + c.refine_length, flat.size());
    EXPECT_EQ(c.refine_length > 0, c.passes > 1);
    three += c.passes == 3;
    EXPECT_NO_THROW(decode(flat, c));
  }
  EXPECT_EQ(blocks.size(), 120u);
  EXPECT_EQ(three, 36u);
}
