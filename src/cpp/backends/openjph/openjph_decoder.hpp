// The OpenJPH backend's decode: a validated codestream, line by line, into a sink.
// Whether OpenJPH may decode a codestream at all is validate_for_openjph()
// (codestream/validate.hpp) plus check_packets() (codestream/packets.hpp); the
// choice between the backends is decode/dispatch.hpp, the retry decode/frame_decoder.cpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codestream/header.hpp"

#include "core/errors.hpp"
#include "core/image.hpp"

namespace htj2k {

// The OpenJPH backend's "why not": nullopt when the linked OpenJPH decodes `h` at
// `level` correctly, else its reason (what validate_for_openjph throws as
// UnsupportedCodestream). Invalid codestreams and bad levels are thrown.
std::optional<std::string> openjph_why_not(const CodestreamHeader& h, uint32_t level);

// OpenJPH refused the codestream while reading its headers (a marker it skips, a
// message meaning the pixels would be wrong): nothing has reached the sink.
struct OpenjphRefusedHeaders : UnsupportedCodestream {
  using UnsupportedCodestream::UnsupportedCodestream;
};

// Decodes `cs` (a bare codestream of `size` bytes) at `level` (resolution levels
// discarded) with OpenJPH; planes: the expected layout of each component at that
// level (a mismatch with OpenJPH's is UnsupportedCodestream). Every line goes to
// sink once, in OpenJPH's pull order. Throws OpenjphRefusedHeaders (see above), or
// an htj2k::Error (InvalidCodestream for an OpenJPH error or failed assertion part-way).
void decode_with_openjph(const uint8_t* cs, size_t size, uint32_t level,
                         const std::vector<PlaneLayout>& planes, const LineSink& sink);

}  // namespace htj2k
