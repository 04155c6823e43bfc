// What the linked OpenJPH can decode correctly. OpenJPH (0.9.0 in particular) aborts
// via assert() on some valid codestreams, and skips markers it does not implement
// and then decodes wrong pixels without an error; every codestream passes through
// validate_for_openjph() before any byte reaches it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "codestream/header.hpp"

namespace htj2k {

// Throws, with a one-line message naming the feature:
//  - InvalidCodestream when the codestream is truncated or incomplete (a tile
//    without all its tile-parts), or uses the 9/7 transform without quantization;
//  - UnsupportedCodestream when it uses something the linked OpenJPH rejects,
//    aborts on or silently mis-decodes (quality layers, Part 1 or mixed code-blocks,
//    RGN, POC, PPM/PPT, COC/QCC or tile-part COD/QCD..., too deep samples...);
//  - InvalidArgument when `level` (resolution levels to discard) exceeds the
//    decomposition levels of some component.
// `data_size` is the length of the codestream the header was parsed from; when
// given, truncation messages say how many bytes the data has.
void validate_for_openjph(const CodestreamHeader& h, uint32_t level, size_t data_size = 0);

// The completeness checks of validate_for_openjph() alone (InvalidCodestream when the
// codestream is truncated or a tile lacks tile-parts); shared with the OpenJPEG path.
void check_codestream_complete(const CodestreamHeader& h, size_t data_size = 0);

// Short human names of the notable features, for reporting, e.g.
// {"HT", "5/3", "RCT", "RPCL", "5 levels", "7 layers", "tiles 4x4", "TLM", "PLT"}.
std::vector<std::string> header_features(const CodestreamHeader& h);

}  // namespace htj2k
