// Prefixes of a codestream (codestream/prefix.hpp) on their own: at every cut of a
// tiled codestream with one tile-part per resolution and TLM, and of a single
// tile-part one, the levels reported complete are exactly those whose bytes are
// all there, their ranges are minimal, the completed codestream is one our own
// parser and packet walk accept, and no cut or single-byte corruption reads past
// the data (under ASan). TLM entries are read back as written.
// A gtest target of the CMake build (HTJ2K_BUILD_TESTING), run by ctest.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "codestream/header.hpp"
#include "codestream/packets.hpp"
#include "codestream/prefix.hpp"
#include "codestream/tileparts.hpp"
#include "core/errors.hpp"
#include "encode/encoder.hpp"
#include "encoded_image.hpp"

using namespace htj2k;

namespace {

std::vector<uint8_t> encoded(uint32_t w, uint32_t h, uint32_t tile, int levels, bool by_resolution) {
  std::vector<uint8_t> cs = htj2k_test::encoded_u8(w, h, tile, levels, "RPCL", w * 7 + h);
  if (!by_resolution) return cs;
  TilePartLayout layout;
  layout.division.resolution = layout.tlm = true;
  return rewrite_tile_parts(cs.data(), cs.size(), layout);
}

// Checks one cut; returns the best level (-1: none; -2: refused with an Error).
int check_cut(const std::vector<uint8_t>& whole, const std::vector<uint64_t>& ends, size_t n) {
  CodestreamHeader h;
  try {
    h = parse_header(whole.data(), n);
  } catch (const IncompleteCodestream&) {
    return -2;
  }
  const CodestreamPrefix p(whole.data(), n, h);
  for (uint32_t r = 0; r <= p.levels(); ++r) {
    EXPECT_EQ(p.complete(r), ends[r] <= n) << "cut " << n << " level " << r;
    if (!p.complete(r)) {
      EXPECT_THROW(p.completed(r), IncompleteCodestream);
      continue;
    }
    EXPECT_EQ(p.needed(r), ends[r]);
    const std::vector<uint8_t> cs = p.completed(r);
    const CodestreamHeader c = parse_header(cs.data(), cs.size());
    EXPECT_FALSE(c.truncated);
    EXPECT_TRUE(c.has_eoc);
    EXPECT_NO_THROW(packet_spans(cs.data(), cs.size(), c));
  }
  return p.best();
}

void check_every_cut(const std::vector<uint8_t>& whole) {
  const CodestreamHeader h = parse_header(whole.data(), whole.size());
  const CodestreamPrefix full(whole.data(), whole.size(), h);
  std::vector<uint64_t> ends;
  for (uint32_t r = 0; r <= full.levels(); ++r) {
    ASSERT_TRUE(full.complete(r));
    ends.push_back(full.needed(r));
    if (r) EXPECT_LE(ends[r], ends[r - 1]);
  }
  EXPECT_EQ(full.best(), 0);
  int last = int(full.levels()) + 1;
  for (size_t n = 1; n < whole.size(); ++n) {
    const int best = check_cut(whole, ends, n);
    if (best == -2) continue;
    const int held = best < 0 ? int(full.levels()) + 1 : best;
    EXPECT_LE(held, last) << "a longer prefix holds fewer levels at " << n;
    last = held;
  }
}

}  // namespace

TEST(Prefix, EveryCutOfTiledTlmCodestream) { check_every_cut(encoded(80, 72, 32, 3, true)); }

TEST(Prefix, EveryCutOfSingleTilePartCodestream) { check_every_cut(encoded(70, 66, 0, 4, false)); }

TEST(Prefix, TlmReadBack) {
  const std::vector<uint8_t> cs = encoded(80, 72, 32, 3, true);
  const CodestreamHeader h = parse_header(cs.data(), cs.size());
  ASSERT_TRUE(h.tlm_ok);
  ASSERT_EQ(h.tlm.size(), h.tile_parts.size());
  for (size_t i = 0; i < h.tlm.size(); ++i) {
    EXPECT_EQ(h.tlm[i].tile, h.tile_parts[i].tile);
    EXPECT_EQ(h.tlm[i].length, h.tile_parts[i].psot);
  }
  const CodestreamPrefix p(cs.data(), 400, parse_header(cs.data(), 400));
  for (uint32_t r = 0; r <= p.levels(); ++r) EXPECT_GT(p.needed(r), 0u) << "TLM tells every level's end";
}

TEST(Prefix, CorruptedCutsStayInBounds) {
  const std::vector<uint8_t> whole = encoded(48, 40, 16, 2, true);
  std::mt19937 rng(3);
  for (int i = 0; i < 3000; ++i) {
    const size_t n = 1 + rng() % (whole.size() - 1);
    std::vector<uint8_t> cut(whole.begin(), whole.begin() + long(n));  // its own allocation: ASan sees overreads
    cut[rng() % n] ^= uint8_t(1u << (rng() % 8));
    try {
      const CodestreamHeader h = parse_header(cut.data(), cut.size());
      const CodestreamPrefix p(cut.data(), cut.size(), h);
      if (p.best() >= 0) {
        const std::vector<uint8_t> cs = p.completed(uint32_t(p.best()));
        parse_header(cs.data(), cs.size());
      }
    } catch (const Error&) {
    }
  }
}
