// Which decoder decodes a codestream: OpenJPH (HTJ2K, the default), or OpenJPEG
// where OpenJPH cannot decode it correctly and OpenJPEG can.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "codestream/header.hpp"

namespace htj2k {

enum class DecoderKind : uint8_t {
  Auto,      // OpenJPH when it can decode the codestream correctly, else OpenJPEG when it can
  OpenJPH,   // OpenJPH only
  OpenJPEG,  // OpenJPEG only (UnsupportedCodestream when built without it)
};

// "auto", "openjph", "openjpeg"
const char* decoder_name(DecoderKind d);
// Inverse of decoder_name; throws InvalidArgument naming the accepted values.
DecoderKind parse_decoder(const std::string& name);

// True when htj2k_core was built with OpenJPEG (HTJ2K_HAVE_OPENJPEG).
bool have_openjpeg();
// Version of the linked libopenjp2 ("2.5.0"), or "" without OpenJPEG.
std::string openjpeg_version_string();

// The decoder that will decode `h` at `level` when `requested` is asked for:
// OpenJPH or OpenJPEG, never Auto. Throws what validate_for_openjph /
// validate_for_openjpeg throw for the decoder(s) concerned. In Auto mode an
// UnsupportedCodestream from OpenJPH leads to OpenJPEG when OpenJPEG accepts the
// codestream; when both refuse, the message gives OpenJPH's reason and, in
// parentheses, OpenJPEG's. Invalid codestreams and bad levels are never retried.
// `cs`/`cs_size`: the codestream bytes (optional; see validate_for_openjpeg).
DecoderKind choose_decoder(const CodestreamHeader& h, uint32_t level, DecoderKind requested,
                           const uint8_t* cs = nullptr, size_t cs_size = 0);

// For a refusal by OpenJPH found only while decoding (not by our validation): true
// when OpenJPEG may decode instead (Auto requested, OpenJPEG accepts the codestream);
// false when the caller should rethrow `why` as it is; throws UnsupportedCodestream
// with both reasons when OpenJPEG refuses too.
bool openjpeg_can_take_over(const CodestreamHeader& h, uint32_t level, DecoderKind requested,
                            const std::string& why, const uint8_t* cs = nullptr,
                            size_t cs_size = 0);

// For a decode OpenJPH started and then failed (an error or a failed assertion
// on a codestream our checks accepted; OpenJPH 0.9 fails on some valid ones):
// true when Auto was requested and OpenJPEG accepts the codestream, so the
// caller may decode it again from the start with OpenJPEG.
bool openjpeg_may_retry(const CodestreamHeader& h, uint32_t level, DecoderKind requested,
                        const uint8_t* cs, size_t cs_size);

}  // namespace htj2k
