// libFuzzer entry point over the C++ core: parse, validate, decode (full and
// reduced, interleaved and planar) and checksum arbitrary bytes. htj2k::Error
// is the expected outcome for bad input; anything else (crash, abort, other
// exception, sanitizer report) is a bug. Built and run by `make fuzz`.
// Every decoder is driven: OpenJPEG forced (its assert()s are live, so our
// HT code-block checks must refuse what would reach them), Auto (OpenJPH, then
// OpenJPEG as fallback) and OpenJPH.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "checksum/frame_checksums.hpp"
#include "decode/frame_decoder.hpp"
#include "core/errors.hpp"
#include "codestream/header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace htj2k;
  for (DecoderKind kind : {DecoderKind::OpenJPEG, DecoderKind::Auto, DecoderKind::OpenJPH})
  for (uint32_t level : {0u, 1u}) {
    try {
      DecodeOptions opt;
      opt.level = level;
      opt.decoder = kind;
      opt.max_pixels = 1u << 22;  // keep each input cheap
      FrameDecoder dec(data, size, opt);
      if (dec.interleavable()) {
        std::vector<uint8_t> out(size_t(dec.width()) * dec.height() * dec.num_components() *
                                 sample_bytes(dec.interleaved_type()));
        dec.decode_interleaved(out.data(), size_t(dec.width()) * dec.num_components() *
                                               sample_bytes(dec.interleaved_type()));
      } else {
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
    } catch (const Error&) {
    }
  }
  try {
    frame_checksums(data, size, {}, 1u << 22);
  } catch (const Error&) {
  }
  return 0;
}
