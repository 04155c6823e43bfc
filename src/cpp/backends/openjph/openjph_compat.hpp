// Compile-time knowledge about the linked OpenJPH release.
#pragma once
#include <openjph/ojph_version.h>

#define HTJ2K_OJPH_VERSION_NUM \
  (OPENJPH_VERSION_MAJOR * 10000 + OPENJPH_VERSION_MINOR * 100 + OPENJPH_VERSION_PATCH)
#define HTJ2K_OJPH_AT_LEAST(maj, min) (HTJ2K_OJPH_VERSION_NUM >= ((maj) * 10000 + (min) * 100))

namespace htj2k {
// TLM markers and tile-part divisions on encode (codestream::request_tlm_marker,
// set_tilepart_divisions) arrived in 0.10.
constexpr bool kOjphHasTlm = HTJ2K_OJPH_AT_LEAST(0, 10);
// Before 0.10, scalar-derived quantization (Sqcd style 1) hits an assert().
constexpr bool kOjphDecodesScalarDerived = HTJ2K_OJPH_AT_LEAST(0, 10);
// ... in QCD only: 0.21.2 fails on a QCC with it ("Scalar derived quantization is not
// supported yet in QCC marker"). No release measured reads it: closed everywhere.
constexpr bool kOjphDecodesScalarDerivedQcc = false;
// OpenJPH reads the segment lengths of a code-block contributing more than 3 coding
// passes (HT placeholder passes) as if it had at most 3 (0.9.0 and 0.21.2 predate
// placeholder-pass decoding, aous72/OpenJPH PR #191, August 2025). No release we
// link has been measured to read them, so they are refused for it on every one (such codestreams are decoded through one HT set
// per code-block, codestream/layers.hpp) until a measurement opens this gate.
constexpr bool kOjphReadsPlaceholderPasses = false;

// 0.18 introduced 64-bit line buffers (line_buf::flags) and deep images.
constexpr bool kOjphHasLineFlags = HTJ2K_OJPH_AT_LEAST(0, 18);
// Main-header COC: 0.9.0 skips it ("COC is not supported yet") and decodes with
// COD's values (wrong pixels, or an assert); 0.21.2 honours it exactly (both
// measured; 0.11 is where support arrived). 0.9.0 does read main-header QCC
// correctly, but below this gate QCC goes to OpenJPEG along with COC.
constexpr bool kOjphHonoursCoc = HTJ2K_OJPH_AT_LEAST(0, 11);
// Small-band defects (see validate.cpp check_small_bands): measured on 0.9.0
// (SIGSEGV in tile::pull, wrong pixels) and on 0.21.2 (SIGSEGV in
// avx2_rev_convert <- tile::pull, e.g. an 18x39 image in 37x42 tiles with 3
// levels decoded at level 2). No release is known to be free of them.
constexpr bool kOjphSmallBandBugs = true;
// Lossless encodes: 0.21.2 turns samples equal to the lowest value of the coded
// range into the mid value with 0 decomposition levels (every bit depth 3..16,
// signed and unsigned), in 1x1 tiles and in 1-sample-wide signed tiles at any
// level count (OpenJPH and OpenJPEG both decode the written bytes that way); it
// asserts (missing_msbs > 0) on 1- and 2-bit 0-level images, and its signed
// 0-level path reads uninitialised memory. 0.9.0 encodes all of these correctly.
// Releases between were not measured and are treated as affected. The encoder
// works around it on every lossless encode (encoder.cpp).
constexpr bool kOjphZeroLevelLowestValueBug = HTJ2K_OJPH_AT_LEAST(0, 10);
// Decoding signed components: 0.21.2's tile::pull branches on uninitialised
// memory (valgrind: "conditional jump depends on uninitialised value" for every
// signed stream, none for the same samples stored unsigned), so the samples it
// returns depend on the heap's past. 0.9.0 is clean. The decoder works around it
// (decoder.cpp): signed components are decoded as unsigned and shifted back.
constexpr bool kOjphSignedDecodeUninitialised = HTJ2K_OJPH_AT_LEAST(0, 10);
// Largest bit depth the linked OpenJPH encodes and decodes correctly. Measured on
// 0.9.0: from 20 bits up some sizes fail with "Error decoding a codeblock" (a 6x7
// checkerboard of extremes at 20 bits), abort on an assertion, or (29-30 bits)
// produce wrong pixels silently; 17..19 bits round-trip over every pattern tried,
// and we keep one bit of margin. 0.18 added 64-bit line buffers; measured on
// 0.21.2: every depth up to 31 round-trips (grey and RGB, 0/1/5 levels, random
// and extreme samples), unsigned 32-bit comes back wrong with 1 or more levels.
constexpr unsigned kOjphMaxBitDepth = kOjphHasLineFlags ? 31 : 18;
// Largest bit depth the linked OpenJPH *encodes* correctly. 0.9.0 writes valid
// codestreams up to 26 bits (OpenJPEG decodes them bit-exactly; deeper ones hit
// an assertion or come out wrong). Codestreams deeper than kOjphMaxBitDepth are
// decoded by OpenJPEG (decoder="auto"), which we use up to 23 bits, so we write
// no deeper than that: everything we encode we can decode. From 0.18 on (measured
// 0.21.2) OpenJPH itself decodes what it writes up to 31 bits.
// (30 there: the workaround of kOjphZeroLevelLowestValueBug codes one bit more.)
constexpr unsigned kOjphMaxEncodeBitDepth = kOjphHasLineFlags ? 30 : 23;
}  // namespace htj2k
