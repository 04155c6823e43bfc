// Decoding a frame (bare codestream or JPH/JP2 file) with OpenJPH or OpenJPEG,
// straight into caller memory, samples clamped to each component's nominal range.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "decode/dispatch.hpp"
#include "codestream/header.hpp"
#include "decode/memory.hpp"
#include "core/image.hpp"
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
  // Instead of `level`: the finest level the data holds (0 unless it is a prefix of a
  // frame, codestream/prefix.hpp).
  bool best_level = false;
  // Quality layers to decode (0: all). A codestream with several layers is decoded
  // through the equivalent one-layer codestream of its first `layers`
  // (codestream/layers.hpp); so is one whose layers are cut to fewer.
  uint32_t layers = 0;
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

// Called with each completed output row of the interleaved image (for fused
// checksumming). bytes = width * components * sample size. Rows complete in
// order from 0, each once per attempt (see FrameDecoder: a retry starts a new
// observer, never replays rows into the old one).
using RowObserver = std::function<void(uint32_t row, const uint8_t* bytes, size_t n)>;

// Decodes one frame. The decoder is chosen at construction (decode/dispatch.hpp).
// The one retry point is run(): in Auto mode, when OpenJPH refuses while reading
// its headers or fails part-way, the frame is decoded again from the start with
// OpenJPEG. Every consumer state is made per attempt (the make/observer factories
// below), so a consumer sees each line or row once and never undoes anything:
// the state of a failed attempt is simply dropped.
class FrameDecoder {
 public:
  // Locates, parses and validates; throws InvalidCodestream, UnsupportedCodestream,
  // InvalidArgument (level) or LimitExceeded. Nothing is decoded yet.
  FrameDecoder(const uint8_t* data, size_t size, const DecodeOptions& options);

  const CodestreamHeader& header() const { return header_; }
  // The codestream decoded: in the input, or the completed prefix (prefix()).
  const CodestreamSpan& span() const { return span_; }
  // Whether the input was a prefix of a frame (data ending before EOC), decoded
  // through an equivalent complete codestream built from it (codestream/prefix.hpp).
  bool prefix() const { return !completed_.empty(); }
  // Whether the input had several quality layers, decoded through one joined layer.
  bool layers_joined() const { return !joined_.empty(); }
  uint32_t level() const { return level_; }
  // The decoder that decodes (OpenJPH or OpenJPEG; chosen at construction, and
  // switched to OpenJPEG by a retry in Auto mode).
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
  // interleaved_type(). clamped (optional) is set when any sample lay outside its
  // nominal range.
  void decode_interleaved(void* out, size_t row_stride, bool* clamped = nullptr) {
    interleave(out, row_stride, nullptr, clamped);
  }
  // The same, with an observer of the completed rows: make() returns a fresh
  // std::unique_ptr<Observer> (Observer callable as RowObserver) for each attempt;
  // the observer of the attempt that completed is returned.
  template <class Make>
  auto decode_interleaved(void* out, size_t row_stride, Make make, bool* clamped = nullptr)
      -> decltype(make()) {
    decltype(make()) observer;
    interleave(out, row_stride, [&]() -> RowObserver {
      observer = make();
      auto* o = observer.get();
      return [o](uint32_t row, const uint8_t* bytes, size_t n) { (*o)(row, bytes, n); };
    }, clamped);
    return observer;
  }
  // planes[c]: planes()[c].height rows, strides[c] bytes apart, of planes()[c].type.
  void decode_planar(const std::vector<void*>& planes, const std::vector<size_t>& strides);

  // The raw decoded lines (int32, not clamped), each once per attempt, in the
  // decoder's pull order; for consumers that need no output image (streamed
  // checksums). make() returns a fresh std::unique_ptr<Sink> (Sink callable as
  // LineSink) for each attempt; the sink of the attempt that completed is returned.
  // A line is valid during the call only.
  template <class Make>
  auto decode_lines(Make make) -> decltype(make()) {
    decltype(make()) sink;
    run([&]() -> LineSink {
      sink = make();
      auto* s = sink.get();
      return [s](uint32_t c, uint32_t row, const int32_t* line) { (*s)(c, row, line); };
    });
    return sink;
  }

 private:
  // placeholders_joined: the input is already the joined codestream of a stream with
  // HT placeholder passes (its own packet walk cannot send it there again).
  FrameDecoder(const uint8_t* data, size_t size, const DecodeOptions& options, bool placeholders_joined);

  // The one retry point: decodes with the chosen backend into begin()'s sink; in
  // Auto mode, when OpenJPH refuses at its headers or fails part-way, decodes again
  // with OpenJPEG into a new begin() sink.
  void run(const std::function<LineSink()>& begin);
  void rewrite_input(const DecodeOptions& options);  // completed_ / joined_, from the constructor
  void lay_out_planes();  // planes_, interleave_error_, interleaved_type_ from the header
  void interleave(void* out, size_t row_stride, const std::function<RowObserver()>& begin_observer,
                  bool* clamped);

  const uint8_t* data_;
  CodestreamSpan span_;
  std::vector<uint8_t> completed_;  // the completed prefix, when the input is one
  std::vector<uint8_t> joined_;     // the one-layer codestream, when the input has several layers
  CodestreamHeader header_;
  uint32_t level_;
  DecoderKind requested_ = DecoderKind::Auto;
  DecoderKind decoder_ = DecoderKind::OpenJPH;
  std::vector<PlaneLayout> planes_;
  std::string interleave_error_;
  SampleType interleaved_type_ = SampleType::U8;
};

}  // namespace htj2k
