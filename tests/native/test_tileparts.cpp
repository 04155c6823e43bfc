// The tile-part writer (codestream/tileparts.hpp) on its own: what it refuses, that
// it never reads past its input (every truncation and single-byte corruption of a
// valid codestream is refused or re-emitted, under ASan too), and that its output is
// parsed by our header parser with the declared tile-parts and TLM.
// A gtest target of the CMake build (HTJ2K_BUILD_TESTING), run by ctest.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "codestream/header.hpp"
#include "codestream/markers.hpp"
#include "codestream/packets.hpp"
#include "codestream/tileparts.hpp"
#include "core/errors.hpp"
#include "encode/encoder.hpp"
#include "encoded_image.hpp"

using namespace htj2k;

namespace {

std::vector<uint8_t> encoded(uint32_t w, uint32_t h, uint32_t tile, int levels, const char* prog = "RPCL") {
  return htj2k_test::encoded_u8(w, h, tile, levels, prog);
}

TilePartLayout by_resolution(bool tlm = true) {
  TilePartLayout l;
  l.division.resolution = true;
  l.tlm = tlm;
  return l;
}

}  // namespace

TEST(TileParts, OneTilePartPerResolutionAndTlm) {
  const std::vector<uint8_t> in = encoded(80, 72, 32, 3);
  const std::vector<uint8_t> out = rewrite_tile_parts(in.data(), in.size(), by_resolution());
  const CodestreamHeader h = parse_header(out.data(), out.size());
  EXPECT_TRUE(h.has_tlm);
  EXPECT_TRUE(h.has_eoc);
  EXPECT_FALSE(h.truncated);
  ASSERT_EQ(h.tile_parts.size(), 9u * 4u);
  for (size_t i = 0; i < h.tile_parts.size(); ++i) {
    EXPECT_EQ(h.tile_parts[i].tile, i % 9);
    EXPECT_EQ(h.tile_parts[i].tpsot, i / 9);
    EXPECT_EQ(h.tile_parts[i].tnsot, 4);
  }
  // The re-emitted codestream passes our own packet walk (tile-parts continue packets).
  check_packets_for_openjpeg(out.data(), out.size(), h, {}, false);
  // Packet spans of the input cover each tile body exactly, resolutions non-decreasing.
  const CodestreamHeader hin = parse_header(in.data(), in.size());
  for (const TilePackets& t : packet_spans(in.data(), in.size(), hin)) {
    ASSERT_FALSE(t.packets.empty());
    EXPECT_EQ(t.packets.front().begin, t.body_begin);
    for (size_t k = 1; k < t.packets.size(); ++k) {
      EXPECT_EQ(t.packets[k].begin, t.packets[k - 1].end);
      EXPECT_GE(t.packets[k].resolution, t.packets[k - 1].resolution);
    }
    EXPECT_LE(t.packets.back().end, t.body_end);
  }
}

TEST(TileParts, Refusals) {
  const std::vector<uint8_t> in = encoded(64, 64, 0, 2);
  const std::vector<uint8_t> twice = rewrite_tile_parts(in.data(), in.size(), by_resolution());
  // already TLM / already several tile-parts
  EXPECT_THROW(rewrite_tile_parts(twice.data(), twice.size(), by_resolution()), UnsupportedCodestream);
  const std::vector<uint8_t> divided = rewrite_tile_parts(in.data(), in.size(), by_resolution(false));
  EXPECT_THROW(rewrite_tile_parts(divided.data(), divided.size(), by_resolution(false)), UnsupportedCodestream);
  // PCRL / CPRL cannot be divided per resolution, but can get a TLM
  for (const char* prog : {"PCRL", "CPRL"}) {
    const std::vector<uint8_t> p = encoded(64, 64, 0, 2, prog);
    EXPECT_THROW(rewrite_tile_parts(p.data(), p.size(), by_resolution()), UnsupportedCodestream) << prog;
    TilePartLayout tlm_only;
    tlm_only.tlm = true;
    const std::vector<uint8_t> t = rewrite_tile_parts(p.data(), p.size(), tlm_only);
    EXPECT_TRUE(parse_header(t.data(), t.size()).has_tlm);
  }
  EXPECT_NE(tile_part_division_refusal(3, TilePartDivision{true, false}), nullptr);
  EXPECT_EQ(tile_part_division_refusal(2, TilePartDivision{true, false}), nullptr);
  // no EOC
  EXPECT_THROW(rewrite_tile_parts(in.data(), in.size() - 2, by_resolution()), InvalidCodestream);
}

// The division rule (OpenJPH >= 0.10's numbering): which progressions keep which
// divisions contiguous, TNsot and TPsot of (resolution, component).
TEST(TileParts, DivisionRule) {
  const TilePartDivision none{}, r{true, false}, c{false, true}, rc{true, true};
  for (uint8_t prog = 0; prog < 5; ++prog) EXPECT_EQ(tile_part_division_refusal(prog, none), nullptr);
  for (const TilePartDivision d : {r, c, rc}) {
    EXPECT_EQ(tile_part_division_refusal(0, d), nullptr);  // LRCP
    EXPECT_EQ(tile_part_division_refusal(1, d), nullptr);  // RLCP
    EXPECT_NE(tile_part_division_refusal(3, d), nullptr);  // PCRL
  }
  EXPECT_EQ(tile_part_division_refusal(2, r), nullptr);  // RPCL
  EXPECT_NE(tile_part_division_refusal(2, c), nullptr);
  EXPECT_NE(tile_part_division_refusal(2, rc), nullptr);
  EXPECT_EQ(tile_part_division_refusal(4, c), nullptr);  // CPRL
  EXPECT_NE(tile_part_division_refusal(4, r), nullptr);
  EXPECT_NE(tile_part_division_refusal(4, rc), nullptr);
  const TilePartRule lrcp_c(0, c, 4, 3), rlcp_rc(1, rc, 4, 3), rpcl_r(2, r, 4, 3), cprl_c(4, c, 4, 3);
  EXPECT_EQ(lrcp_c.count(), 12u);  // "C" with a resolution-major order divides resolutions too
  EXPECT_EQ(lrcp_c.index(2, 1), 7u);
  EXPECT_EQ(rlcp_rc.count(), 12u);
  EXPECT_EQ(rlcp_rc.index(3, 2), 11u);
  EXPECT_EQ(rpcl_r.count(), 4u);
  EXPECT_EQ(rpcl_r.index(2, 1), 2u);
  EXPECT_EQ(cprl_c.count(), 3u);
  EXPECT_EQ(cprl_c.index(3, 2), 2u);
  // packets of tile-parts 0, 0, 2, 2, 3: tile-part 1 empty
  EXPECT_EQ(tile_part_starts(rpcl_r, {0, 0, 2, 2, 3}, 0), (std::vector<size_t>{0, 2, 2, 4, 5}));
  EXPECT_THROW(tile_part_starts(rpcl_r, {0, 1, 0}, 0), UnsupportedCodestream);
  EXPECT_EQ(detect_division(4, {3, 3}, 4, 3).component, true);
  EXPECT_EQ(detect_division(0, {12}, 4, 3).resolution, true);
  EXPECT_EQ(detect_division(2, {4, 4}, 4, 3).component, false);
  EXPECT_FALSE(detect_division(2, {1, 1}, 4, 3).any());
}

TEST(TileParts, DamagedInputIsRefusedNeverReadPast) {
  const std::vector<uint8_t> in = encoded(40, 24, 16, 2);
  size_t refused = 0, emitted = 0;
  for (size_t n = 0; n < in.size(); ++n) {  // every truncation
    std::vector<uint8_t> cut(in.begin(), in.begin() + long(n));
    try {
      rewrite_tile_parts(cut.data(), cut.size(), by_resolution());
      ++emitted;
    } catch (const Error&) {
      ++refused;
    }
  }
  EXPECT_EQ(emitted, 0u);
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {  // single-byte corruptions
    std::vector<uint8_t> bad = in;
    bad[rng() % bad.size()] ^= uint8_t(1 + rng() % 255);
    try {
      const std::vector<uint8_t> out = rewrite_tile_parts(bad.data(), bad.size(), by_resolution());
      parse_header(out.data(), out.size());  // whatever is emitted parses
      ++emitted;
    } catch (const Error&) {
      ++refused;
    }
  }
  EXPECT_GT(refused, in.size());
}
