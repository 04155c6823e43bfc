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
// 0.18 introduced 64-bit line buffers (line_buf::flags) and deep images.
constexpr bool kOjphHasLineFlags = HTJ2K_OJPH_AT_LEAST(0, 18);
// COC/QCC in the main header are honoured from 0.11 on; 0.9 skips them.
constexpr bool kOjphHonoursCoc = HTJ2K_OJPH_AT_LEAST(0, 11);
// Small-band defects (see validate.cpp check_small_bands): measured on 0.9.0
// (SIGSEGV in tile::pull, wrong pixels) and on 0.21.2 (SIGSEGV in
// avx2_rev_convert <- tile::pull, e.g. an 18x39 image in 37x42 tiles with 3
// levels decoded at level 2). No release is known to be free of them.
constexpr bool kOjphSmallBandBugs = true;
// Lossless encodes with 0 decomposition levels: 0.21.2 turns every sample equal
// to the lowest value of its range into the mid value (OpenJPH and OpenJPEG both
// decode the written bytes that way), and asserts (missing_msbs > 0) on 1-bit
// images. 0.9.0 encodes them correctly. Releases between were not measured and
// are treated as affected. The encoder works around it (encoder.cpp).
constexpr bool kOjphZeroLevelLowestValueBug = HTJ2K_OJPH_AT_LEAST(0, 10);
// Largest bit depth the linked OpenJPH encodes and decodes correctly. Measured on
// 0.9.0: from 20 bits up some sizes fail with "Error decoding a codeblock" (a 6x7
// checkerboard of extremes at 20 bits), abort on an assertion, or (29-30 bits)
// produce wrong pixels silently; 17..19 bits round-trip over every pattern tried,
// and we keep one bit of margin. 0.18 added 64-bit line buffers.
constexpr unsigned kOjphMaxBitDepth = kOjphHasLineFlags ? 32 : 18;
// Largest bit depth the linked OpenJPH *encodes* correctly. 0.9.0 writes valid
// codestreams up to 26 bits (OpenJPEG decodes them bit-exactly; deeper ones hit
// an assertion or come out wrong). Codestreams deeper than kOjphMaxBitDepth are
// decoded by OpenJPEG (decoder="auto"), which we use up to 23 bits, so we write
// no deeper than that: everything we encode we can decode.
constexpr unsigned kOjphMaxEncodeBitDepth = kOjphHasLineFlags ? 32 : 23;
}  // namespace htj2k
