// libFuzzer entry point over the C++ core: parse, validate, decode (full and
// reduced, interleaved and planar) and checksum arbitrary bytes. htj2k::Error
// is the expected outcome for bad input; anything else (crash, abort, other
// exception, sanitizer report) is a bug. Built and run by `make fuzz`.
// Every decoder is driven: OpenJPEG forced (its assert()s are live, so our
// HT code-block checks must refuse what would reach them), Auto (OpenJPH, then
// OpenJPEG as fallback) and OpenJPH. Inputs that end early are the first bytes
// of a frame: decoded at the finest level they hold (codestream/prefix.hpp) too,
// and the prefix analysis, the tile-part writer, the transcoder and the layer joiner run on every input.
// Our HT block coder is driven on the raw bytes too: whatever decodes as a cleanup
// segment is coded again and must decode to the same values (a differential check).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "checksum/frame_checksums.hpp"
#include "decode/frame_decoder.hpp"
#include "core/errors.hpp"
#include "codestream/header.hpp"
#include "codestream/prefix.hpp"
#include "codestream/tileparts.hpp"
#include "codestream/layers.hpp"
#include "codestream/transcode.hpp"
#include "block/ht_block_decoder.hpp"
#include "block/ht_block_encoder.hpp"

namespace {

void decode_all(const uint8_t* data, size_t size, const htj2k::DecodeOptions& opt) {
  using namespace htj2k;
  FrameDecoder dec(data, size, opt);
  if (dec.interleavable()) {
    std::vector<uint8_t> out(size_t(dec.width()) * dec.height() * dec.num_components() *
                             sample_bytes(dec.interleaved_type()));
    dec.decode_interleaved(out.data(), size_t(dec.width()) * dec.num_components() *
                                           sample_bytes(dec.interleaved_type()));
    return;
  }
  std::vector<std::vector<uint8_t>> planes;
  std::vector<void*> ptrs;
  std::vector<size_t> strides;
  for (const auto& p : dec.planes()) {
    planes.emplace_back(size_t(p.width) * p.height * sample_bytes(p.type));
    ptrs.push_back(planes.back().data());
    strides.push_back(size_t(p.width) * sample_bytes(p.type));
  }
  dec.decode_planar(ptrs, strides);
}

// Bytes 0-2: block width, height, Zblk; the rest a cleanup segment.
void ht_block_round_trip(const uint8_t* data, size_t size) {
  using namespace htj2k;
  if (size < 5) return;
  const uint32_t w = 1 + data[0] % 64, h = 1 + data[1] % 64;
  const unsigned bits = 1 + data[2] % 30;  // what mu may have: Zblk + 1
  HtDecodedBlock d;
  try {
    d = decode_ht_block(data + 3, size - 3, nullptr, 0, 1, w, h, bits, false);
  } catch (const Error&) {
    return;
  }
  std::vector<int32_t> values(d.value.size());
  for (size_t i = 0; i < values.size(); ++i) values[i] = int32_t(d.value[i] / 2);  // 2 mu: no refinement
  const HtEncodedBlock e = encode_ht_block(values.data(), w, h, w, bits);
  if (e.passes == 0) {
    for (int32_t v : values)
      if (v) __builtin_trap();  // a non-zero block left out
    return;
  }
  const HtDecodedBlock again = decode_ht_block(e.bytes.data(), e.bytes.size(), nullptr, 0, 1, w, h, e.missing_msbs + 1, false);
  if (again.value != d.value) __builtin_trap();  // our encoder and decoder disagree
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace htj2k;
  for (DecoderKind kind : {DecoderKind::OpenJPEG, DecoderKind::Auto, DecoderKind::OpenJPH})
  for (uint32_t level : {0u, 1u}) {
    try {
      DecodeOptions opt;
      opt.level = level;
      opt.decoder = kind;
      opt.max_pixels = 1u << 22;  // keep each input cheap
      decode_all(data, size, opt);
    } catch (const Error&) {
    }
  }
  try {
    DecodeOptions opt;
    opt.best_level = true;
    opt.max_pixels = 1u << 22;
    decode_all(data, size, opt);
  } catch (const Error&) {
  }
  try {
    frame_checksums(data, size, {}, 1u << 22);
  } catch (const Error&) {
  }
  try {
    const CodestreamSpan span = locate_codestream(data, size);
    const CodestreamHeader h = parse_header(data + span.offset, span.length);
    const CodestreamPrefix prefix(data + span.offset, span.length, h, span.offset);
    for (uint32_t r = 0; r <= prefix.levels(); ++r)
      if (prefix.complete(r)) prefix.completed(r);
    TilePartLayout layout;
    layout.division.resolution = layout.tlm = true;
    rewrite_tile_parts(data + span.offset, span.length, layout);
  } catch (const Error&) {
  }
  // Quality layers joined into one (codestream/layers.hpp), then read again.
  for (uint32_t keep : {1u, 0xFFFFu}) {
    try {
      const CodestreamSpan span = locate_codestream(data, size);
      const CodestreamHeader h = parse_header(data + span.offset, span.length);
      const std::vector<uint8_t> out = flatten_layers(data + span.offset, span.length, h, keep);
      const CodestreamHeader again = parse_header(out.data(), out.size());
      flatten_layers(out.data(), out.size(), again, 1);
    } catch (const Error&) {
    }
  }
  for (int prog : {0, 2, 4}) {
    try {
      const CodestreamSpan span = locate_codestream(data, size);
      TranscodeOptions o;
      o.progression = prog;
      o.tile_parts = prog == 2;
      o.tlm = o.plt = 1;
      const std::vector<uint8_t> out = transcode(data + span.offset, span.length, o);
      parse_header(out.data(), out.size());
    } catch (const Error&) {
    }
  }
  ht_block_round_trip(data, size);
  return 0;
}
