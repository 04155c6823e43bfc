// The memory budget of a decode (DecodeOptions::max_memory): an estimate, from the
// parsed header alone and before anything is allocated, of the working memory a
// decode needs -- the output image, and the working memory of the library that
// decodes (OpenJPH or OpenJPEG). See memory.cpp for the formula and the
// measurements it was checked against.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "decode/dispatch.hpp"
#include "codestream/header.hpp"

namespace htj2k {

struct MemoryEstimate {
  uint64_t output = 0;    // the output image at the requested level (0 when none is kept)
  uint64_t openjph = 0;   // OpenJPH's working memory (0 when OpenJPH does not run)
  uint64_t openjpeg = 0;  // OpenJPEG's (0 when OpenJPEG does not run)
  uint64_t after = 0;     // held with the output once the decoder is done (checksum level pyramid)
  // Peak: the output lives throughout; the decoders run one after the other (a
  // retry starts after OpenJPH's memory is freed), then `after` is built.
  uint64_t total() const;
};

// Bytes of the output image a decode at `level` returns: every component at its
// level size, in the smallest type of the largest bit depth (1, 2 or 4 bytes).
uint64_t output_image_bytes(const CodestreamHeader& h, uint32_t level);

// The estimate for a decode at `level` by `decoder`: OpenJPH, OpenJPEG, or Auto
// meaning that either may run (the larger of the two counts). `output_image`:
// whether an output image is held (false for streamed checksums).
// `codestream_bytes`: the codestream's length (the decoders copy its packet data).
MemoryEstimate estimate_decode_memory_parts(const CodestreamHeader& h, uint32_t level,
                                            DecoderKind decoder, bool output_image = true,
                                            size_t codestream_bytes = 0);

// estimate_decode_memory_parts(...).total()
uint64_t estimate_decode_memory(const CodestreamHeader& h, uint32_t level,
                                DecoderKind decoder_that_may_run, bool output_image = true,
                                size_t codestream_bytes = 0);

// "decoding needs an estimated N MiB of working memory, more than max_memory=M
// bytes (B bytes: output image .. MiB + OpenJPH .. MiB)"; `what` replaces
// "decoding" (e.g. "decoding with OpenJPEG (...)").
std::string memory_refusal(const MemoryEstimate& e, uint64_t max_memory,
                           const std::string& what = "decoding");

// Throws LimitExceeded(memory_refusal(e, max_memory, what)) when e.total() > max_memory.
void check_memory_budget(const MemoryEstimate& e, uint64_t max_memory,
                         const std::string& what = "decoding");

}  // namespace htj2k
