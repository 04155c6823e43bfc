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

// The decoder-choice policy, in one place. OpenJPH decodes what its "why not"
// (openjph_why_not) accepts. In Auto mode OpenJPEG decodes what OpenJPH gives up
// on -- refused by our validation, by the packet pre-parse, at OpenJPH's own
// headers, or by failing part-way -- when its "why not" (openjpeg_why_not)
// accepts it. Invalid codestreams and bad levels are never retried.

// The decoder that will decode `h` at `level` when `requested` is asked for:
// OpenJPH or OpenJPEG, never Auto. Throws what validate_for_openjph /
// validate_for_openjpeg throw for the decoder(s) concerned; in Auto mode, when
// both refuse, UnsupportedCodestream with OpenJPH's reason and, in parentheses,
// OpenJPEG's. `cs`/`cs_size`: the codestream bytes (optional; see validate_for_openjpeg).
DecoderKind choose_decoder(const CodestreamHeader& h, uint32_t level, DecoderKind requested,
                           const uint8_t* cs = nullptr, size_t cs_size = 0);

// After OpenJPH gave up on a codestream (for reason `why`): true when OpenJPEG
// decodes it instead (Auto requested and OpenJPEG accepts). False when the
// request rules a fallback out, or when OpenJPEG refuses too and `report_both` is
// false: the caller then reports OpenJPH's error as it is. With `report_both`,
// OpenJPEG's refusal throws UnsupportedCodestream naming both reasons.
bool openjpeg_takes_over(const CodestreamHeader& h, uint32_t level, DecoderKind requested,
                         const std::string& why, bool report_both, const uint8_t* cs = nullptr,
                         size_t cs_size = 0);

}  // namespace htj2k
