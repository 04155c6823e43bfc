// The transcoder (codestream/transcode.hpp) on its own: every target of a tiled
// codestream is parsed back with the packets our walk reads in the same number,
// transcoding is idempotent for a fully given target, and single-byte corruptions
// and truncations of the input never read past it (under ASan).
// A gtest target of the CMake build (HTJ2K_BUILD_TESTING), run by ctest.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "codestream/header.hpp"
#include "codestream/packets.hpp"
#include "codestream/transcode.hpp"
#include "core/errors.hpp"
#include "encode/encoder.hpp"
#include "encoded_image.hpp"

using namespace htj2k;

namespace {

std::vector<uint8_t> encoded(uint32_t w, uint32_t h, uint32_t tile, int levels) {
  return htj2k_test::encoded_u8(w, h, tile, levels, "LRCP", w + h);
}

size_t packets_read(const std::vector<uint8_t>& cs) {
  const CodestreamHeader h = parse_header(cs.data(), cs.size());
  size_t n = 0;
  for (const TilePrefix& t : packet_prefix(cs.data(), cs.size(), h)) n += t.parsed.size();
  return n;
}

}  // namespace

TEST(Transcode, EveryTargetReadsBack) {
  const std::vector<uint8_t> in = encoded(70, 60, 32, 3);
  const size_t packets = packets_read(in);
  for (int prog = 0; prog < 5; ++prog)
    for (int tp = 0; tp < 2; ++tp)
      for (int marks = 0; marks < 4; ++marks) {
        TranscodeOptions o;
        o.progression = prog;
        o.tile_parts = tp;
        o.tlm = marks & 1;
        o.plt = marks >> 1;
        if (tp && prog > 2) {
          EXPECT_THROW(transcode(in.data(), in.size(), o), UnsupportedCodestream);
          continue;
        }
        const std::vector<uint8_t> out = transcode(in.data(), in.size(), o);
        const CodestreamHeader h = parse_header(out.data(), out.size());
        EXPECT_EQ(h.cod.progression, prog);
        EXPECT_EQ(h.has_tlm, bool(o.tlm));
        EXPECT_EQ(h.has_plt, bool(o.plt));
        EXPECT_TRUE(h.has_eoc && !h.truncated);
        EXPECT_EQ(packets_read(out), packets);
        EXPECT_EQ(transcode(out.data(), out.size(), o), out) << "a second transcode to the same target changes it";
      }
}

TEST(Transcode, CorruptedAndCutInputsStayInBounds) {
  const std::vector<uint8_t> whole = encoded(40, 36, 16, 2);
  std::mt19937 rng(5);
  TranscodeOptions o;
  o.progression = 4;
  o.tlm = o.plt = 1;
  o.tile_parts = 0;
  for (int i = 0; i < 3000; ++i) {
    const size_t n = i % 3 ? whole.size() : 1 + rng() % (whole.size() - 1);
    std::vector<uint8_t> in(whole.begin(), whole.begin() + long(n));
    in[rng() % n] ^= uint8_t(1u << (rng() % 8));
    try {
      const std::vector<uint8_t> out = transcode(in.data(), in.size(), o);
      parse_header(out.data(), out.size());
    } catch (const Error&) {
    }
  }
}
