// Our HT cleanup-pass block encoder (block/ht_block_encoder.hpp) and the CxtVLC
// tables (block/ht_vlc_table.hpp) on their own: argument refusals, the tables'
// shape, a block coded by hand, the int32 and int64 paths agreeing, and committed
// CRC-32s of the segments of a few fixed blocks (the same bytes on every build
// and with every kernel set).
// Whether the bytes decode is tests/native/test_ht_encoder.py's (OpenJPH, OpenJPEG).
// A gtest target of the CMake build (HTJ2K_BUILD_TESTING), run by ctest.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "block/ht_block_encoder.hpp"
#include "block/ht_encoder_kernels.hpp"
#include "block/ht_vlc_table.hpp"
#include "checksum/crc32.hpp"
#include "core/errors.hpp"

using namespace htj2k;

namespace {

// A deterministic block (64-bit LCG): magnitudes over `bits` bits, scaled down
// by a random shift (many small values, some zeros), random signs.
std::vector<int32_t> fixed_block(uint32_t w, uint32_t h, unsigned bits, uint32_t seed) {
  std::vector<int32_t> v(size_t(w) * h);
  uint64_t x = seed;
  for (auto& s : v) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const auto mag = int32_t(((x >> 32) & ((uint64_t(1) << bits) - 1)) >> ((x >> 8) % (bits + 1)));
    s = (x >> 20) & 1 ? -mag : mag;
  }
  return v;
}

uint32_t crc(const std::vector<uint8_t>& b) { return crc32_update(0, b.data(), b.size()); }

}  // namespace

TEST(HtVlcTable, ShapeOfTheStandardsTables) {
  size_t n0 = 0, n1 = 0, n2 = 7;
  const HtVlcEntry* t0 = ht_vlc_table(0, &n0);
  const HtVlcEntry* t1 = ht_vlc_table(1, &n1);
  EXPECT_EQ(n0, 444u);
  EXPECT_EQ(n1, 358u);
  EXPECT_EQ(ht_vlc_table(2, &n2), nullptr);
  EXPECT_EQ(n2, 0u);
  for (const auto& [t, n] : {std::make_pair(t0, n0), std::make_pair(t1, n1)}) {
    for (unsigned c = 0; c < 8; ++c) {
      // Within a context the codewords are prefix-free (read LSB first), and each
      // rho has exactly one u_off = 0 entry (none for c = 0, rho = 0: MEL codes it).
      std::vector<std::pair<unsigned, unsigned>> words;
      for (unsigned rho = 0; rho < 16; ++rho) {
        int u0 = 0;
        for (size_t j = 0; j < n; ++j)
          if (t[j].context == c && t[j].rho == rho && t[j].u_off == 0) ++u0;
        EXPECT_EQ(u0, c == 0 && rho == 0 ? 0 : 1) << "c " << c << " rho " << rho;
      }
      for (size_t j = 0; j < n; ++j) {
        const HtVlcEntry& e = t[j];
        ASSERT_LT(e.context, 8);
        ASSERT_GE(e.length, 1);
        ASSERT_LE(e.length, 7);
        EXPECT_EQ(e.e_1 & ~e.e_k, 0);
        EXPECT_EQ(e.e_k & ~e.rho, 0);
        if (!e.u_off) EXPECT_EQ(e.e_k, 0);
        if (e.context == c) words.emplace_back(e.codeword, e.length);
      }
      for (size_t a = 0; a < words.size(); ++a)
        for (size_t b = 0; b < words.size(); ++b) {
          if (a == b || words[a].second > words[b].second) continue;
          const unsigned mask = (1u << words[a].second) - 1;
          EXPECT_NE(words[a].first & mask, words[b].first & mask) << "c " << c << ": a prefix";
        }
    }
  }
}

// For every context, rho and EMB pattern (the significant samples whose exponent
// is U) with u_off = 1, the entries that fit it ((emb & e_k) == e_1) include
// exactly one signalling most exponents (the encoder's choice, as OpenJPH's), and
// no other fitting entry costs fewer bits (codeword + MagSgn bits saved).
TEST(HtVlcTable, OneBestCodewordPerPattern) {
  for (int which = 0; which < 2; ++which) {
    size_t n = 0;
    const HtVlcEntry* t = ht_vlc_table(which, &n);
    for (unsigned c = 0; c < 8; ++c)
      for (unsigned rho = 1; rho < 16; ++rho)
        for (unsigned emb = 1; emb < 16; ++emb) {
          if (emb & ~rho) continue;
          int best_known = -1, ties = 0, best_cost = 99, min_cost = 99;
          for (size_t j = 0; j < n; ++j) {
            const HtVlcEntry& e = t[j];
            if (e.context != c || e.rho != rho || !e.u_off || (emb & e.e_k) != e.e_1) continue;
            const int known = __builtin_popcount(e.e_k), cost = e.length - known;
            min_cost = std::min(min_cost, cost);
            if (known > best_known) {
              best_known = known;
              ties = 0;
              best_cost = cost;
            } else if (known == best_known) {
              ++ties;
            }
          }
          ASSERT_GE(best_known, 0) << "no codeword: table " << which << " c " << c << " rho " << rho;
          EXPECT_EQ(ties, 0) << "table " << which << " c " << c << " rho " << rho << " emb " << emb;
          EXPECT_EQ(best_cost, min_cost) << "table " << which << " c " << c << " rho " << rho << " emb " << emb;
        }
  }
}

TEST(HtBlockEncoder, RefusesBadArguments) {
  std::vector<int32_t> v(8192, 1);
  EXPECT_THROW(encode_ht_block(static_cast<const int32_t*>(nullptr), 4, 4, 4, 8), InvalidArgument);
  EXPECT_THROW(encode_ht_block(v.data(), 0, 4, 4, 8), InvalidArgument);
  EXPECT_THROW(encode_ht_block(v.data(), 4, 0, 4, 8), InvalidArgument);
  EXPECT_THROW(encode_ht_block(v.data(), 1025, 1, 1025, 8), InvalidArgument);
  EXPECT_THROW(encode_ht_block(v.data(), 1, 1025, 1, 8), InvalidArgument);
  EXPECT_THROW(encode_ht_block(v.data(), 65, 64, 65, 8), InvalidArgument);  // area 4160
  EXPECT_THROW(encode_ht_block(v.data(), 8, 4, 7, 8), InvalidArgument);     // stride < width
  EXPECT_THROW(encode_ht_block(v.data(), 4, 4, 4, 32), InvalidArgument);    // kmax above 31
  EXPECT_THROW(encode_ht_block(v.data(), 4, 4, 4, 0), InvalidArgument);
  std::vector<int64_t> w(16, 1);
  EXPECT_THROW(encode_ht_block(w.data(), 4, 4, 4, 63), InvalidArgument);
  EXPECT_NO_THROW(encode_ht_block(v.data(), 1024, 4, 1024, 8));
  EXPECT_NO_THROW(encode_ht_block(v.data(), 1, 1024, 1, 8));
  // Magnitudes of 2^kmax or more, either sign, anywhere in the block.
  std::vector<int32_t> big(64, 3);
  big[37] = 256;
  EXPECT_THROW(encode_ht_block(big.data(), 8, 8, 8, 8), InvalidArgument);
  big[37] = -256;
  EXPECT_THROW(encode_ht_block(big.data(), 8, 8, 8, 8), InvalidArgument);
  big[37] = -255;
  EXPECT_NO_THROW(encode_ht_block(big.data(), 8, 8, 8, 8));
  big[63] = std::numeric_limits<int32_t>::min();
  EXPECT_THROW(encode_ht_block(big.data(), 8, 8, 8, 31), InvalidArgument);
  big[63] = std::numeric_limits<int32_t>::max();
  EXPECT_NO_THROW(encode_ht_block(big.data(), 8, 8, 8, 31));
  EXPECT_THROW(encode_ht_block(big.data(), 8, 8, 8, 30), InvalidArgument);
  // Samples beyond the width (in the stride's gap) are not read as part of the block.
  std::vector<int32_t> gap(16, 0);
  gap[3] = 1000;
  const HtEncodedBlock g = encode_ht_block(gap.data(), 3, 4, 4, 4);
  EXPECT_EQ(g.passes, 0u);
}

TEST(HtBlockEncoder, BlockOfZerosIsNotIncluded) {
  std::vector<int32_t> v(4096, 0);
  for (auto [w, h] : {std::make_pair(1u, 1u), std::make_pair(64u, 64u), std::make_pair(5u, 3u)}) {
    const HtEncodedBlock b = encode_ht_block(v.data(), w, h, w, 12);
    EXPECT_EQ(b.passes, 0u);
    EXPECT_TRUE(b.bytes.empty());
    EXPECT_EQ(b.missing_msbs, 11u);
  }
}

// One sample +1 in a 1x1 block, kmax 8. By hand: quad 0 of the initial row has
// context 0, rho 1, U 1, u 0: codeword 0x06 (4 bits) after VLC's 0xF nibble
// gives the VLC byte 0x6F; MEL event 1 in state 0 is the bit 0; MagSgn sends
// v = 0 in 1 bit, padded with 1s: 0xFE. MEL's partial byte (0x00) has its own
// byte. Scup = 1 + 2 = 3 into the last two bytes: FE 00 63 00. Zblk = kmax - 1.
TEST(HtBlockEncoder, OneSampleCodedByHand) {
  const int32_t one = 1;
  const HtEncodedBlock b = encode_ht_block(&one, 1, 1, 1, 8);
  EXPECT_EQ(b.passes, 1u);
  EXPECT_EQ(b.missing_msbs, 7u);
  EXPECT_EQ(b.bytes, (std::vector<uint8_t>{0xFE, 0x00, 0x63, 0x00}));
}

TEST(HtBlockEncoder, Int64PathMatchesInt32Path) {
  for (auto [w, h, bits] : {std::make_tuple(64u, 64u, 12u), std::make_tuple(7u, 5u, 30u),
                            std::make_tuple(1u, 33u, 16u), std::make_tuple(1024u, 3u, 8u)}) {
    const std::vector<int32_t> v = fixed_block(w, h, bits, w * 31 + h);
    const std::vector<int64_t> v64(v.begin(), v.end());
    const HtEncodedBlock a = encode_ht_block(v.data(), w, h, w, 31);
    const HtEncodedBlock b = encode_ht_block(v64.data(), w, h, w, 31);
    EXPECT_EQ(a.bytes, b.bytes);
    EXPECT_EQ(a.missing_msbs, b.missing_msbs);
    // The same encoder reused, and a fresh one, give the same bytes.
    HtBlockEncoder enc;
    EXPECT_EQ(enc.encode(v.data(), w, h, w, 31).bytes, a.bytes);
    EXPECT_EQ(enc.encode(v.data(), w, h, w, 31).bytes, a.bytes);
  }
}

// Blocks that push each stream to its worst case (every sample at the largest
// magnitude, alternating signs; a checkerboard of the largest magnitude and 1,
// which maximises u_q and the U-VLC bits; long narrow blocks) stay within the
// scratch buffers (ASan build) and within Scup's range, for both sample widths.
TEST(HtBlockEncoder, WorstCaseBlocksStayInBounds) {
  for (auto [w, h] : {std::make_pair(64u, 64u), std::make_pair(1024u, 4u), std::make_pair(4u, 1024u),
                      std::make_pair(3u, 1024u), std::make_pair(1024u, 3u), std::make_pair(1u, 1024u)}) {
    for (int pattern = 0; pattern < 3; ++pattern) {
      std::vector<int32_t> v(size_t(w) * h);
      std::vector<int64_t> v64(v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        const bool odd = ((i % w) + (i / w)) & 1;
        const int64_t big = pattern == 2 ? (odd ? 1 : INT32_MAX) : INT32_MAX;
        v[i] = int32_t((i & 1) && pattern != 1 ? -big : big);
        v64[i] = (int64_t(1) << 62) - 1;
        if (pattern == 2 && odd) v64[i] = 1;
        if (i & 1) v64[i] = -v64[i];
      }
      const HtEncodedBlock a = encode_ht_block(v.data(), w, h, w, 31);
      const HtEncodedBlock b = encode_ht_block(v64.data(), w, h, w, 62);
      for (const HtEncodedBlock* r : {&a, &b}) {
        ASSERT_GE(r->bytes.size(), 2u);
        const unsigned scup = r->bytes.back() * 16u + (r->bytes[r->bytes.size() - 2] & 0xF);
        EXPECT_GE(scup, 2u);
        EXPECT_LE(scup, 4079u);
        EXPECT_LE(scup, r->bytes.size());
        EXPECT_NE(r->bytes.back(), 0xFF);
      }
      EXPECT_GT(b.bytes.size(), a.bytes.size());
    }
  }
}

// No 0xFF byte of a segment is followed by one above 0x8F (a marker code), for
// blocks rich in 0xFF runs (magnitudes of all ones).
TEST(HtBlockEncoder, NoMarkerCodesInSegments) {
  for (unsigned bits : {8u, 9u, 15u, 16u, 24u, 31u}) {
    std::vector<int32_t> v(4096);
    for (size_t i = 0; i < v.size(); ++i) v[i] = int32_t(((1u << bits) - 1) >> (i % 3 == 0 ? 0 : i % 5));
    const HtEncodedBlock b = encode_ht_block(v.data(), 64, 64, 64, bits);
    for (size_t i = 0; i + 1 < b.bytes.size(); ++i)
      if (b.bytes[i] == 0xFF) EXPECT_LE(b.bytes[i + 1], 0x8F) << "bits " << bits << " at " << i;
  }
}

// The segments of a few fixed blocks, as CRC-32s: the same bytes from every
// build and platform (and, measured with OpenJPH 0.9.0's exported block coder
// and through its codestreams, the bytes OpenJPH writes for the same samples).
struct DigestCase {
  uint32_t w, h;
  unsigned bits, kmax;
  uint32_t seed, size, crc;
};
constexpr DigestCase kDigestCases[] = {
    {4, 4, 8, 9, 1, 19, 0xA73835D7},        {64, 64, 12, 13, 2, 5488, 0x7B82A1CF},
    {64, 64, 16, 17, 3, 7222, 0x2CEAA50B},  {1, 64, 8, 9, 4, 84, 0x3A70195F},
    {64, 1, 8, 9, 5, 71, 0xDC7275CF},       {7, 5, 30, 31, 6, 115, 0x844DB2EB},
    {1024, 4, 10, 11, 7, 4868, 0xC681D988}, {4, 1024, 10, 11, 8, 4724, 0xC25D751D},
    {33, 17, 3, 4, 9, 242, 0x411C5E7B},
};

TEST(HtBlockEncoder, CommittedDigests) {
  for (const DigestCase& c : kDigestCases) {
    const std::vector<int32_t> v = fixed_block(c.w, c.h, c.bits, c.seed);
    const HtEncodedBlock b = encode_ht_block(v.data(), c.w, c.h, c.w, c.kmax);
    EXPECT_EQ(b.bytes.size(), c.size) << c.w << "x" << c.h << " seed " << c.seed;
    EXPECT_EQ(crc(b.bytes), c.crc) << c.w << "x" << c.h << " seed " << c.seed;
  }
}

// The same bytes with the kernels of every SIMD target this CPU runs and the
// scalar twins (block/ht_encoder_kernels.hpp).
TEST(HtBlockEncoder, CommittedDigestsEveryKernelSet) {
  const std::vector<HtEncodeKernels> sets = ht_encode_kernel_sets();
  ASSERT_EQ(sets.back().target, "scalar");
  for (const HtEncodeKernels& k : sets) {
    HtBlockEncoder encoder(&k);
    for (const DigestCase& c : kDigestCases) {
      const std::vector<int32_t> v = fixed_block(c.w, c.h, c.bits, c.seed);
      const HtEncodedBlock b = encoder.encode(v.data(), c.w, c.h, c.w, c.kmax);
      EXPECT_EQ(crc(b.bytes), c.crc) << k.target << " " << c.w << "x" << c.h << " seed " << c.seed;
    }
  }
}
