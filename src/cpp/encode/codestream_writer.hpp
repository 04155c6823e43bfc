// Our encoder's codestream (15444-1 Annex A, 15444-15 A.3): the main header as
// OpenJPH writes it for the same options (SIZ, CAP, COD, QCD, then our COM), and
// the tile-parts that carry the packets (encode/ht_encoder.cpp).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace htj2k {

struct MainHeaderParams {
  uint32_t width = 0, height = 0;
  uint32_t tile_w = 0, tile_h = 0;
  std::vector<std::pair<uint32_t, bool>> components;  // bit depth, signed
  uint32_t levels = 0;
  uint32_t block_w = 64, block_h = 64;
  // Precinct sizes from the highest resolution down, the last repeating (EncodeOptions').
  std::vector<std::pair<uint32_t, uint32_t>> precincts;
  uint8_t progression = 2;  // Sgcod order, 0 LRCP .. 4 CPRL
  bool colour = false;      // RCT (ICT when irreversible) on components 0..2
  // Irreversible 9/7 with scalar expounded quantization: the SPqcd of every band
  // (encode/quantization.hpp's irreversible_steps), one guard bit.
  bool reversible = true;
  std::vector<uint16_t> steps;
};

// The comment our encoder writes (COM, Latin-1): fixed, so that the same pixels and
// options give the same bytes from every build and release.
constexpr const char* kEncoderComment = "htj2k HT encoder";

// The exponents epsilon_b of a reversible QCD (15444-1 A.6.4, style 0) for
// `levels` decompositions of B-bit samples (B counts the RCT's extra bit): LL first,
// then HL, LH, HH from the lowest resolution up. As OpenJPH chooses them: B plus
// ceil(log2(1.1 g^2)), g the band's BIBO gain (the L1 norms of the cascaded 5/3
// analysis filters), with one guard bit; so Mb = G + epsilon_b - 1 = epsilon_b.
std::vector<uint8_t> reversible_exponents(uint32_t levels, uint32_t B);

// SOC, SIZ, CAP, COD, QCD, COM of a one-layer HT codestream: reversible (QCD
// style 0, exponents from the 5/3 BIBO gains) or irreversible (CAP's irreversible
// flag, the 9/7 in COD, QCD style 2 with p.steps), as OpenJPH writes them.
std::vector<uint8_t> write_main_header(const MainHeaderParams& p);

// Appends tile t's one tile-part: SOT (Psot covering it all), SOD, `body`.
// UnsupportedCodestream when the tile-part exceeds 2^32 - 1 bytes.
void append_tile_part(std::vector<uint8_t>& out, uint32_t tile, const std::vector<uint8_t>& body);
// The same in two steps, the body appended to `out` in between (no copy of it):
// begin writes SOT (Psot 0) and SOD and returns where the tile-part starts; end
// patches Psot (UnsupportedCodestream beyond 2^32 - 1 bytes).
size_t begin_tile_part(std::vector<uint8_t>& out, uint32_t tile);
void end_tile_part(std::vector<uint8_t>& out, size_t at, uint32_t tile);

}  // namespace htj2k
