#include "decode/frame_decoder.hpp"

#include <algorithm>
#include <memory>
#include <string>

#include "core/errors.hpp"
#include "backends/openjph/openjph_decoder.hpp"
#include "decode/interleave.hpp"
#include "backends/openjpeg/openjpeg_decoder.hpp"
#include "backends/openjph/openjph_compat.hpp"
#include "codestream/layers.hpp"
#include "codestream/packets.hpp"
#include "codestream/prefix.hpp"
#include "codestream/validate.hpp"
#include "simd/convert.hpp"

namespace htj2k {

// What the decoders are given instead of the input: the completed codestream of a
// prefix, or the one-layer codestream of several layers.
void FrameDecoder::rewrite_input(const DecodeOptions& options) {
  if (header_.truncated) {
    // A prefix of a frame: decoded through a complete codestream that holds what
    // the level needs (OpenJPH would decode the missing code-blocks as zeros).
    std::unique_ptr<CodestreamPrefix> walked;
    try {
      walked = std::make_unique<CodestreamPrefix>(data_ + span_.offset, span_.length, header_, span_.offset);
    } catch (const UnsupportedCodestream& e) {  // several layers, POC, PPM/PPT: no prefix decoding
      throw IncompleteCodestream("codestream truncated (the data ends before EOC) and its first bytes cannot be "
                                 "decoded: " + std::string(e.what()), 0);
    }
    const CodestreamPrefix& prefix = *walked;
    if (options.best_level) {
      if (prefix.best() < 0) prefix.throw_incomplete(prefix.levels());
      level_ = uint32_t(prefix.best());
    }
    if (level_ <= prefix.levels()) {  // a level beyond is refused below as for any codestream
      completed_ = prefix.completed(level_);
      data_ = completed_.data();
      span_ = CodestreamSpan{0, completed_.size(), Container::Codestream};
      header_ = parse_header(data_, completed_.size());
    }
  } else if (needs_joining(header_)) {
    // Several quality layers with HT code-blocks: OpenJPH and OpenJPEG decode one,
    // so the layers asked for are joined into one first, without decoding a sample.
    // (Part 1 code-blocks in several layers are OpenJPEG's, which decodes them all.)
    // A region of interest (RGN) is undone there too, per code-block.
    joined_ = flatten_layers(data_ + span_.offset, span_.length, header_,
                             options.layers ? options.layers : header_.cod.layers);
    data_ = joined_.data();
    span_ = CodestreamSpan{0, joined_.size(), Container::Codestream};
    header_ = parse_header(data_, joined_.size());
  }

  if (options.layers && options.layers < header_.cod.layers && !layers_joined())
    throw UnsupportedCodestream("layers=" + std::to_string(options.layers) + " of a codestream with Part 1 "
                                "code-blocks (OpenJPEG decodes all " + std::to_string(header_.cod.layers) +
                                " of its layers)");
}

FrameDecoder::FrameDecoder(const uint8_t* data, size_t size, const DecodeOptions& options)
    : FrameDecoder(data, size, options, false) {}

FrameDecoder::FrameDecoder(const uint8_t* data, size_t size, const DecodeOptions& options, bool placeholders_joined)
    : data_(data), level_(options.level) {
  span_ = locate_codestream(data, size);
  header_ = parse_header(data + span_.offset, span_.length);
  rewrite_input(options);

  // Resource guard before anything is allocated for the image.
  uint64_t samples = 0;
  for (uint32_t c = 0; c < header_.components.size(); ++c)
    samples += uint64_t(level_width(header_, c, 0)) * level_height(header_, c, 0);
  if (samples > options.max_pixels)
    throw LimitExceeded("image declares " + std::to_string(samples) +
                        " samples, more than max_pixels=" + std::to_string(options.max_pixels));

  requested_ = options.decoder;
  decoder_ = choose_decoder(header_, level_, requested_, data_ + span_.offset, span_.length);

  // Memory budget (decode/memory.hpp), before any decoder allocates: the decoder
  // chosen must fit. In Auto mode OpenJPEG may still take over from OpenJPH (a
  // refusal found by the packet pre-parse or while OpenJPH reads its headers, or a
  // failure part-way, retried from the start); an image that fits with OpenJPH is
  // not refused because that fallback would not fit, but the fallback is then
  // not attempted (requested_ narrowed to OpenJPH below), so OpenJPH's own error is
  // reported instead of a decode that would exceed max_memory.
  const MemoryEstimate need = estimate_decode_memory_parts(header_, level_, decoder_,
                                                           options.output_image, span_.length);
  check_memory_budget(need, options.max_memory);
  bool openjpeg_over_budget = false;
  MemoryEstimate fallback;
  if (decoder_ == DecoderKind::OpenJPH && requested_ == DecoderKind::Auto) {
    fallback = estimate_decode_memory_parts(header_, level_, DecoderKind::OpenJPEG,
                                            options.output_image, span_.length);
    openjpeg_over_budget = fallback.total() > options.max_memory;
  }

  // OpenJPH 0.9 trusts packet headers (heap overflow, hangs on damaged ones): our
  // Tier-2 pre-parse reads them all first. A damaged one is refused here, before any
  // decoder runs (no OpenJPEG retry on bytes known to be corrupt); a valid stream
  // OpenJPH would misread goes to OpenJPEG when allowed.
  if (decoder_ == DecoderKind::OpenJPH) {
    bool placeholders = false;
    try {
      check_packets(data_ + span_.offset, span_.length, header_, &placeholders);
    } catch (const UnsupportedCodestream& e) {
      if (placeholders && !placeholders_joined && joined_.empty()) {
        // HT placeholder passes (which neither decoder reads): decoded through the
        // codestream with one HT set per code-block, chosen afresh for it.
        std::vector<uint8_t> joined = flatten_layers(data_ + span_.offset, span_.length, header_, 1);
        std::vector<uint8_t> completed = std::move(completed_);
        DecodeOptions again = options;
        again.level = level_;
        again.best_level = false;
        *this = FrameDecoder(joined.data(), joined.size(), again, /*placeholders_joined=*/true);
        joined_ = std::move(joined);  // the buffer data_ points into moves with it
        completed_ = std::move(completed);
        return;
      }
      if (!openjpeg_takes_over(header_, level_, requested_, e.what(), /*report_both=*/true, data_ + span_.offset,
                               span_.length))
        throw;
      if (openjpeg_over_budget)
        throw LimitExceeded(memory_refusal(fallback, options.max_memory,
                                           "decoding with OpenJPEG (" + std::string(e.what()) + ")"));
      decoder_ = DecoderKind::OpenJPEG;
    }
  }
  if (openjpeg_over_budget) requested_ = DecoderKind::OpenJPH;  // no OpenJPEG fallback

  lay_out_planes();
}

void FrameDecoder::lay_out_planes() {
  const size_t nc = header_.components.size();
  planes_.resize(nc);
  uint32_t max_bytes = 1;
  for (size_t c = 0; c < nc; ++c) {
    const auto& comp = header_.components[c];
    PlaneLayout& p = planes_[c];
    p.width = level_width(header_, uint32_t(c), level_);
    p.height = level_height(header_, uint32_t(c), level_);
    p.bit_depth = comp.bit_depth;
    p.is_signed = comp.is_signed;
    p.type = sample_type_for(comp.bit_depth, comp.is_signed);
    max_bytes = std::max<uint32_t>(max_bytes, uint32_t(sample_bytes(p.type)));
    if (p.width == 0 || p.height == 0)
      throw InvalidCodestream("component " + std::to_string(c) + " is empty at level " +
                              std::to_string(level_));
  }
  for (size_t c = 1; c < nc; ++c) {
    if (planes_[c].width != planes_[0].width || planes_[c].height != planes_[0].height) {
      interleave_error_ = "components differ in size (subsampled); use decode_planes()";
      break;
    }
    if (planes_[c].is_signed != planes_[0].is_signed) {
      interleave_error_ = "components differ in signedness; use decode_planes()";
      break;
    }
  }
  const uint32_t max_depth = max_bytes == 1 ? 8 : max_bytes == 2 ? 16 : 32;
  interleaved_type_ = sample_type_for(max_depth, planes_[0].is_signed);
}

namespace {

void decode_with_openjpeg_backend(const uint8_t* cs, size_t size, const CodestreamHeader& h, uint32_t level,
                                  const std::vector<PlaneLayout>& planes, const LineSink& sink) {
#ifdef HTJ2K_HAVE_OPENJPEG
  std::vector<std::pair<uint32_t, uint32_t>> subsampling;
  for (const auto& c : h.components) subsampling.emplace_back(c.dx, c.dy);
  decode_with_openjpeg(cs, size, level, planes, subsampling, sink);
#else
  (void)cs, (void)size, (void)h, (void)level, (void)planes, (void)sink;
  throw UnsupportedCodestream("htj2k was built without OpenJPEG");
#endif
}

}  // namespace

void FrameDecoder::run(const std::function<LineSink()>& begin) {
  const uint8_t* cs = data_ + span_.offset;
  if (decoder_ == DecoderKind::OpenJPEG)
    return decode_with_openjpeg_backend(cs, span_.length, header_, level_, planes_, begin());
  std::string ojph_error;
  try {
    decode_with_openjph(cs, span_.length, level_, planes_, begin());
    return;
  } catch (const OpenjphRefusedHeaders& e) {
    // Refused while reading headers: nothing was output. OpenJPEG takes over when
    // allowed (both reasons are reported when it refuses too).
    if (!openjpeg_takes_over(header_, level_, requested_, e.what(), /*report_both=*/true, cs, span_.length)) throw;
    decoder_ = DecoderKind::OpenJPEG;
    return decode_with_openjpeg_backend(cs, span_.length, header_, level_, planes_, begin());
  } catch (const InvalidCodestream& e) {
    // OpenJPH failed part-way on a codestream our checks accepted. 0.9 does so on
    // some valid ones (small code-blocks with LRCP, deep samples): OpenJPEG decodes
    // it from the start, into a new sink, when allowed; if it fails too, both
    // reasons are reported.
    if (!openjpeg_takes_over(header_, level_, requested_, e.what(), /*report_both=*/false, cs, span_.length)) throw;
    ojph_error = e.what();
  }
  decoder_ = DecoderKind::OpenJPEG;
  try {
    decode_with_openjpeg_backend(cs, span_.length, header_, level_, planes_, begin());
  } catch (const Error& e) {
    throw InvalidCodestream(ojph_error + " (OpenJPEG: " + e.what() + ")");
  }
}

void FrameDecoder::interleave(void* out, size_t row_stride,
                              const std::function<RowObserver()>& begin_observer, bool* clamped) {
  if (clamped) *clamped = false;
  if (!interleavable()) throw InvalidArgument(interleave_error_);
  std::unique_ptr<InterleavedWriter> writer;
  run([&]() -> LineSink {  // a fresh writer (and observer) for every attempt
    writer = std::make_unique<InterleavedWriter>(planes_, interleaved_type_, out, row_stride,
                                                 begin_observer ? begin_observer() : RowObserver(),
                                                 clamped != nullptr);
    InterleavedWriter* w = writer.get();
    return [w](uint32_t c, uint32_t row, const int32_t* line) { w->line(c, row, line); };
  });
  writer->finish();
  if (clamped) *clamped = writer->clamped();
}

void FrameDecoder::decode_planar(const std::vector<void*>& planes, const std::vector<size_t>& strides) {
  if (planes.size() != planes_.size() || strides.size() != planes_.size())
    throw InvalidArgument("one output plane per component is required");
  run([&]() -> LineSink {  // rewriting a plane row is idempotent: no state to reset
    return [&](uint32_t c, uint32_t row, const int32_t* line) {
    const PlaneLayout& p = planes_[c];
    const Range r = nominal_range(p.bit_depth, p.is_signed);
    uint8_t* dst = static_cast<uint8_t*>(planes[c]) + size_t(row) * strides[c];
    store_clamped(line, p.width, dst, 1, p.type, r.lo, r.hi);
    };
  });
}

}  // namespace htj2k
