// The second decoder: OpenJPEG (libopenjp2 2.5.x), used where the linked OpenJPH
// cannot decode a codestream correctly (Part 1 code-blocks, several quality layers,
// COC/QCC, POC, RGN, PPM/PPT, tile-part coding styles...). Like OpenJPH, it only ever
// sees codestreams that validate_for_openjpeg() accepted: its known gaps are refused
// before any byte reaches it, and any error or warning it reports is turned into an
// exception (it decodes partial or damaged data silently otherwise).
//
// Everything here exists only when htj2k_core was built with OpenJPEG
// (HTJ2K_HAVE_OPENJPEG, set by CMake when openjpeg.h and libopenjp2 are found).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "codestream/header.hpp"

namespace htj2k {
// The OpenJPEG backend's "why not": nullopt when OpenJPEG decodes `h` at `level`
// correctly, else its reason (what validate_for_openjpeg throws as
// UnsupportedCodestream; "built without OpenJPEG" without it). Invalid codestreams
// and bad levels are thrown, not returned.
std::optional<std::string> openjpeg_why_not(const CodestreamHeader& h, uint32_t level,
                                            const uint8_t* cs = nullptr, size_t cs_size = 0);
}  // namespace htj2k

#ifdef HTJ2K_HAVE_OPENJPEG

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/image.hpp"
#include "codestream/header.hpp"

namespace htj2k {

// "2.5.0": the version of the libopenjp2 in use (opj_version()).
std::string openjpeg_version();

// Throws, with a one-line message naming the feature:
//  - InvalidCodestream when the codestream is truncated or incomplete, or uses the
//    9/7 transform without quantization;
//  - UnsupportedCodestream when it uses something the linked OpenJPEG refuses or
//    mis-decodes: HT code-blocks in several quality layers, mixed HT/Part 1
//    code-blocks, HT with RGN, Part 2 extensions, samples deeper than it decodes
//    exactly, markers it does not know...;
//  - InvalidArgument when `level` exceeds the decomposition levels of some component.
// `cs`/`cs_size`, when given, are the codestream bytes the header was parsed from:
// the main header is then scanned for marker segments outside Part 1 / Part 15.
void validate_for_openjpeg(const CodestreamHeader& h, uint32_t level, const uint8_t* cs = nullptr,
                           size_t cs_size = 0);

// Called once per row of each component, with the row's samples (int32, after the
// inverse transforms and DC shift, within the component's nominal range).

// Decodes the bare codestream [cs, cs + size) with OpenJPEG, `level` resolution
// levels discarded, single-threaded, strict (partial data is an error). Every
// component must come out with exactly the layout in `planes` (size, bit depth,
// signedness) and `subsampling` ((dx, dy) per component), or UnsupportedCodestream
// is thrown. Rows go to `sink` row by row (all components of row y before row y+1)
// when components share a height, component by component otherwise. OpenJPEG's
// errors and warnings become InvalidCodestream / UnsupportedCodestream carrying its
// message; nothing is printed.
void decode_with_openjpeg(const uint8_t* cs, size_t size, uint32_t level,
                          const std::vector<PlaneLayout>& planes,
                          const std::vector<std::pair<uint32_t, uint32_t>>& subsampling,
                          const LineSink& sink);

}  // namespace htj2k

#endif  // HTJ2K_HAVE_OPENJPEG
