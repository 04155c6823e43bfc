// Decoding a frame (bare codestream or JPH/JP2 file) with OpenJPH, straight
// into caller memory, samples clamped to each component's nominal range.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "decode/dispatch.hpp"
#include "codestream/header.hpp"
#include "decode/memory.hpp"
#include "core/sample_types.hpp"

namespace htj2k {

// Default guard against codestreams declaring absurd sizes: 2^31 samples
// (e.g. 46341 x 46341 x 1) before any allocation happens.
constexpr uint64_t kDefaultMaxPixels = uint64_t(1) << 31;
// Default memory budget of one decode: 2 GiB of estimated working memory (output
// image + the decoder's own; decode/memory.hpp), checked before any allocation.
constexpr uint64_t kDefaultMaxMemory = uint64_t(2) << 30;

struct DecodeOptions {
  uint32_t level = 0;                       // resolution levels to discard
  uint64_t max_pixels = kDefaultMaxPixels;  // samples (width*height*components) at full size
  // Estimated working memory in bytes (decode/memory.hpp): refused with LimitExceeded
  // at construction when the decoder chosen would need more. In Auto mode an
  // OpenJPEG fallback that would need more is not attempted.
  uint64_t max_memory = kDefaultMaxMemory;
  // Whether the caller holds a whole output image (false: streamed lines only, e.g.
  // checksums); only changes the estimate.
  bool output_image = true;
  // Auto by default (as htj2k.decode's decoder="auto"): OpenJPEG where OpenJPH
  // cannot decode correctly and OpenJPEG can (see decode/dispatch.hpp).
  DecoderKind decoder = DecoderKind::Auto;
};

struct PlaneLayout {
  uint32_t width = 0, height = 0;  // at the requested level
  uint32_t bit_depth = 0;
  bool is_signed = false;
  SampleType type = SampleType::U8;  // smallest type holding bit_depth
};

// Called with each completed output row of the interleaved image (for fused
// checksumming). bytes = width * components * sample size. Rows complete in
// order from 0; row 0 arriving again means the decode restarted (decoder retry).
using RowObserver = std::function<void(uint32_t row, const uint8_t* bytes, size_t n)>;

class FrameDecoder {
 public:
  // Locates, parses and validates; throws InvalidCodestream, UnsupportedCodestream,
  // InvalidArgument (level) or LimitExceeded. Nothing is decoded yet.
  FrameDecoder(const uint8_t* data, size_t size, const DecodeOptions& options);

  const CodestreamHeader& header() const { return header_; }
  const CodestreamSpan& span() const { return span_; }
  uint32_t level() const { return level_; }
  // The decoder that decodes (OpenJPH or OpenJPEG; chosen at construction, and
  // switched to OpenJPEG when OpenJPH refuses while reading headers in Auto mode).
  DecoderKind decoder() const { return decoder_; }
  const std::vector<PlaneLayout>& planes() const { return planes_; }

  // True when all components share size and signedness, so one (H, W, C) array holds them.
  bool interleavable() const { return interleave_error_.empty(); }
  const std::string& interleave_error() const { return interleave_error_; }
  SampleType interleaved_type() const { return interleaved_type_; }
  uint32_t width() const { return planes_[0].width; }
  uint32_t height() const { return planes_[0].height; }
  uint32_t num_components() const { return uint32_t(planes_.size()); }

  // out: height rows, row_stride bytes apart, each width*components samples of
  // interleaved_type(). observer (optional) sees each row once it is complete.
  // clamped (optional) is set when any sample lay outside its nominal range.
  void decode_interleaved(void* out, size_t row_stride, const RowObserver& observer = nullptr,
                          bool* clamped = nullptr);
  // planes[c]: planes()[c].height rows, strides[c] bytes apart, of planes()[c].type.
  void decode_planar(const std::vector<void*>& planes, const std::vector<size_t>& strides);

  // The raw decoded lines (int32, not clamped), each once, in the decoder's pull
  // order (see decode_interleaved); for consumers that need no output image
  // (streamed checksums). The line is valid during the call only.
  using LineSink = std::function<void(uint32_t comp, uint32_t row, const int32_t* line)>;
  // on_restart (optional) is called when OpenJPH fails part-way and the decode
  // starts again from the first line with OpenJPEG (decoder "auto"): state built
  // from the lines seen so far must be dropped.
  void decode_lines(const LineSink& sink, const std::function<void()>& on_restart = nullptr);

 private:
  void run(const LineSink& sink);
  std::function<void()> restart_;  // called before a decoder retry rewrites the output
  void run_openjph(class OjphMessageScope& scope, const LineSink& sink);
  void run_openjpeg(const LineSink& sink);

  const uint8_t* data_;
  CodestreamSpan span_;
  CodestreamHeader header_;
  uint32_t level_;
  DecoderKind requested_ = DecoderKind::OpenJPH;
  DecoderKind decoder_ = DecoderKind::OpenJPH;
  std::vector<PlaneLayout> planes_;
  std::string interleave_error_;
  SampleType interleaved_type_ = SampleType::U8;
};

}  // namespace htj2k
