#include "decode/frame_decoder.hpp"

#include <algorithm>
#include <string>

#include "backends/openjph/ojph.hpp"

#include "core/errors.hpp"
#include "backends/openjph/messages.hpp"
#include "backends/openjpeg/openjpeg_decoder.hpp"
#include "backends/openjph/openjph_compat.hpp"
#include "codestream/packets.hpp"
#include "codestream/validate.hpp"
#include "simd/convert.hpp"

namespace htj2k {

FrameDecoder::FrameDecoder(const uint8_t* data, size_t size, const DecodeOptions& options)
    : data_(data), level_(options.level) {
  span_ = locate_codestream(data, size);
  header_ = parse_header(data + span_.offset, span_.length);

  // Resource guard before anything is allocated for the image.
  uint64_t samples = 0;
  for (uint32_t c = 0; c < header_.components.size(); ++c)
    samples += uint64_t(level_width(header_, c, 0)) * level_height(header_, c, 0);
  if (samples > options.max_pixels)
    throw LimitExceeded("image declares " + std::to_string(samples) +
                        " samples, more than max_pixels=" + std::to_string(options.max_pixels));

  requested_ = options.decoder;
  decoder_ = choose_decoder(header_, level_, requested_, data + span_.offset, span_.length);

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
    try {
      check_packets(data + span_.offset, span_.length, header_);
    } catch (const UnsupportedCodestream& e) {
      if (!openjpeg_can_take_over(header_, level_, requested_, e.what(), data + span_.offset, span_.length))
        throw;
      if (openjpeg_over_budget)
        throw LimitExceeded(memory_refusal(fallback, options.max_memory,
                                           "decoding with OpenJPEG (" + std::string(e.what()) + ")"));
      decoder_ = DecoderKind::OpenJPEG;
    }
  }
  if (openjpeg_over_budget) requested_ = DecoderKind::OpenJPH;  // no OpenJPEG fallback

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

void FrameDecoder::run_openjpeg(const LineSink& sink) {
#ifdef HTJ2K_HAVE_OPENJPEG
  std::vector<std::pair<uint32_t, uint32_t>> subsampling;
  for (const auto& c : header_.components) subsampling.emplace_back(c.dx, c.dy);
  decode_with_openjpeg(data_ + span_.offset, span_.length, level_, planes_, subsampling, sink);
#else
  (void)sink;
  throw UnsupportedCodestream("htj2k was built without OpenJPEG");
#endif
}

void FrameDecoder::run(const LineSink& sink) {
  if (decoder_ == DecoderKind::OpenJPEG) return run_openjpeg(sink);
  std::string ojph_error;
  {
    OjphMessageScope scope;
    try {
      run_openjph(scope, sink);
      return;
    } catch (...) {
      try {
        scope.rethrow_as_htj2k(std::current_exception());
      } catch (const InvalidCodestream& e) {
        // OpenJPH failed part-way on a codestream our checks accepted. 0.9 does so
        // on some valid ones (small code-blocks with LRCP, deep samples): let
        // OpenJPEG decode it from the start when allowed; if it fails too, both
        // reasons are reported.
        if (!openjpeg_may_retry(header_, level_, requested_, data_ + span_.offset, span_.length)) throw;
        ojph_error = e.what();
      }
    }
  }
  decoder_ = DecoderKind::OpenJPEG;
  if (restart_) restart_();
  try {
    run_openjpeg(sink);
  } catch (const Error& e) {
    throw InvalidCodestream(ojph_error + " (OpenJPEG: " + e.what() + ")");
  }
}

void FrameDecoder::run_openjph(OjphMessageScope& scope, const LineSink& sink) {
  const uint8_t* stream = data_ + span_.offset;
  // kOjphSignedDecodeUninitialised: OpenJPH decodes a copy whose SIZ declares the
  // signed components unsigned (Ssiz of component c at offset 42 + 3c, 15444-1
  // A.5.1; signedness changes nothing but the DC level shift, G.1.2), and their
  // lines are shifted back by 2^(B-1) below: the same samples, exactly.
  std::vector<uint8_t> unsigned_copy;
  std::vector<int64_t> shift_back(planes_.size(), 0);
  if (kOjphSignedDecodeUninitialised) {
    for (size_t c = 0; c < planes_.size(); ++c) {
      if (!planes_[c].is_signed) continue;
      if (unsigned_copy.empty()) unsigned_copy.assign(stream, stream + span_.length);
      unsigned_copy.at(42 + 3 * c) &= 0x7F;
      shift_back[c] = int64_t(1) << (planes_[c].bit_depth - 1);
    }
    if (!unsigned_copy.empty()) stream = unsigned_copy.data();
  }
  std::vector<int32_t> shifted;
  ojph::mem_infile in;
  in.open(stream, span_.length);
  ojph::codestream cs;
  try {
    cs.read_headers(&in);
    scope.raise_if_pixels_wrong();
  } catch (const UnsupportedCodestream& e) {
    // OpenJPH refused something our validation let through; nothing is output yet.
    if (!openjpeg_can_take_over(header_, level_, requested_, e.what(), data_ + span_.offset,
                                span_.length))
      throw;
    decoder_ = DecoderKind::OpenJPEG;
    return run_openjpeg(sink);
  }
  if (level_) cs.restrict_input_resolution(level_, level_);
  cs.create();

  const uint32_t nc = uint32_t(planes_.size());
  ojph::param_siz siz = cs.access_siz();
  uint64_t total_lines = 0;
  for (uint32_t c = 0; c < nc; ++c) {
    // Our size computation must agree with OpenJPH's, or the output would be wrong.
    if (siz.get_recon_width(c) != planes_[c].width || siz.get_recon_height(c) != planes_[c].height)
      throw UnsupportedCodestream(
          "OpenJPH reconstructs component " + std::to_string(c) + " as " +
          std::to_string(siz.get_recon_width(c)) + "x" + std::to_string(siz.get_recon_height(c)) +
          ", expected " + std::to_string(planes_[c].width) + "x" +
          std::to_string(planes_[c].height));
    total_lines += planes_[c].height;
  }

  std::vector<uint32_t> rows(nc, 0);
  for (uint64_t i = 0; i < total_lines; ++i) {
    ojph::ui32 c = 0;
    ojph::line_buf* line = cs.pull(c);
    if (line == nullptr || c >= nc || rows[c] >= planes_[c].height)
      throw InvalidCodestream("OpenJPH returned an unexpected line");
#if HTJ2K_OJPH_AT_LEAST(0, 18)
    if (!(line->flags & ojph::line_buf::LFT_32BIT) || !(line->flags & ojph::line_buf::LFT_INTEGER))
      throw UnsupportedCodestream("bit depth needs 64-bit samples; not supported yet");
#endif
    if (shift_back[c]) {
      const uint32_t w = planes_[c].width;
      shifted.resize(w);
      for (uint32_t x = 0; x < w; ++x) shifted[x] = int32_t(int64_t(line->i32[x]) - shift_back[c]);
      sink(c, rows[c]++, shifted.data());
      continue;
    }
    sink(c, rows[c]++, line->i32);
  }
  cs.close();
  scope.raise_if_pixels_wrong();
}

void FrameDecoder::decode_interleaved(void* out, size_t row_stride, const RowObserver& observer,
                                      bool* clamped) {
  if (clamped) *clamped = false;
  if (!interleavable()) throw InvalidArgument(interleave_error_);
  const uint32_t nc = num_components(), w = width();
  const size_t bytes = sample_bytes(interleaved_type_);
  std::vector<int64_t> lo(nc), hi(nc);
  for (uint32_t c = 0; c < nc; ++c) {
    const Range r = nominal_range(planes_[c].bit_depth, planes_[c].is_signed);
    lo[c] = r.lo;
    hi[c] = r.hi;
  }
  std::vector<uint32_t> done(height(), 0);  // components written per row
  auto* base = static_cast<uint8_t*>(out);
  auto row_ptr = [&](uint32_t row) { return base + size_t(row) * row_stride; };
  auto completed = [&](uint32_t row) {
    if (observer && ++done[row] == nc) observer(row, row_ptr(row), size_t(w) * nc * bytes);
  };
  // One component's line, written with a stride of nc samples.
  auto store_line = [&](uint32_t c, uint32_t row, const int32_t* line) {
    store_clamped(line, w, row_ptr(row) + size_t(c) * bytes, nc, interleaved_type_, lo[c], hi[c]);
    completed(row);
  };
  // When the components of a row arrive one after the other (OpenJPH with the
  // colour transform pulls c0 y, c1 y, c2 y, c0 y+1, ...), lines 0..nc-2 are held
  // in a row-sized scratch and the row is written in one vectorised interleaving
  // pass; in any other order (planar) lines are stored with a stride as they come.
  bool gather = nc >= 2 && nc <= 4;
  std::vector<int32_t> held(gather ? size_t(nc - 1) * w : 0);
  uint32_t held_row = 0, held_count = 0;
  // A retry with OpenJPEG rewrites every row from the start: every piece of
  // per-row state goes back to its initial value, lines held aside from the failed
  // decoder included (flushing one of those completed a row whose other
  // components were never written: uninitialised bytes reached the observer).
  const bool gather_initially = gather;
  restart_ = [&] {
    std::fill(done.begin(), done.end(), 0u);
    if (clamped) *clamped = false;
    held_count = 0;
    held_row = 0;
    gather = gather_initially;
  };
  struct ClearRestart {
    std::function<void()>& f;
    ~ClearRestart() { f = nullptr; }
  } clear_restart{restart_};
  auto flush_held = [&] {
    for (uint32_t k = 0; k < held_count; ++k) store_line(k, held_row, held.data() + size_t(k) * w);
    held_count = 0;
  };
  run([&](uint32_t c, uint32_t row, const int32_t* line) {
    if (clamped && !*clamped) {
      int64_t mn = INT64_MAX, mx = INT64_MIN;
      min_max(line, w, 1, SampleType::I32, &mn, &mx);
      *clamped = mn < lo[c] || mx > hi[c];
    }
    if (gather) {
      if (held_count > 0 && (c != held_count || row != held_row)) {
        flush_held();
        gather = false;  // not row-interleaved: stop copying lines aside
      }
      if (gather && c == held_count) {
        if (c + 1 < nc) {
          std::copy(line, line + w, held.data() + size_t(c) * w);
          held_row = row;
          held_count = c + 1;
          return;
        }
        const int32_t* srcs[4];
        for (uint32_t k = 0; k + 1 < nc; ++k) srcs[k] = held.data() + size_t(k) * w;
        srcs[nc - 1] = line;
        store_clamped_interleaved(srcs, nc, w, row_ptr(row), interleaved_type_, lo.data(),
                                  hi.data());
        held_count = 0;
        if (observer) {
          done[row] = nc;
          observer(row, row_ptr(row), size_t(w) * nc * bytes);
        }
        return;
      }
    }
    store_line(c, row, line);
  });
  flush_held();
}

void FrameDecoder::decode_lines(const LineSink& sink, const std::function<void()>& on_restart) {
  restart_ = on_restart;
  struct ClearRestart {
    std::function<void()>& f;
    ~ClearRestart() { f = nullptr; }
  } clear_restart{restart_};
  run(sink);
}

void FrameDecoder::decode_planar(const std::vector<void*>& planes, const std::vector<size_t>& strides) {
  if (planes.size() != planes_.size() || strides.size() != planes_.size())
    throw InvalidArgument("one output plane per component is required");
  run([&](uint32_t c, uint32_t row, const int32_t* line) {
    const PlaneLayout& p = planes_[c];
    const Range r = nominal_range(p.bit_depth, p.is_signed);
    uint8_t* dst = static_cast<uint8_t*>(planes[c]) + size_t(row) * strides[c];
    store_clamped(line, p.width, dst, 1, p.type, r.lo, r.hi);
  });
}

}  // namespace htj2k
