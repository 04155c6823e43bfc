#include "backends/openjph/openjph_decoder.hpp"

#include <string>

#include "backends/openjph/ojph.hpp"  // the OpenJPH headers, in an order every release compiles

#include "backends/openjph/messages.hpp"
#include "backends/openjph/openjph_compat.hpp"
#include "codestream/validate.hpp"

namespace htj2k {
namespace {

// OpenJPH's decode itself, inside the message scope of one call. (About 90 lines:
// one pass over OpenJPH's API, kept together so its order of calls is readable.)
void decode_in_scope(OjphMessageScope& scope, const uint8_t* stream, size_t size, uint32_t level,
                     const std::vector<PlaneLayout>& planes, const LineSink& sink) {
  // kOjphSignedDecodeUninitialised: OpenJPH decodes a copy whose SIZ declares the
  // signed components unsigned (Ssiz of component c at offset 42 + 3c, 15444-1
  // A.5.1; signedness changes nothing but the DC level shift, G.1.2), and their
  // lines are shifted back by 2^(B-1) below: the same samples, exactly.
  std::vector<uint8_t> unsigned_copy;
  std::vector<int64_t> shift_back(planes.size(), 0);
  if (kOjphSignedDecodeUninitialised) {
    for (size_t c = 0; c < planes.size(); ++c) {
      if (!planes[c].is_signed) continue;
      if (unsigned_copy.empty()) unsigned_copy.assign(stream, stream + size);
      unsigned_copy.at(42 + 3 * c) &= 0x7F;
      shift_back[c] = int64_t(1) << (planes[c].bit_depth - 1);
    }
    if (!unsigned_copy.empty()) stream = unsigned_copy.data();
  }
  std::vector<int32_t> shifted;
  ojph::mem_infile in;
  in.open(stream, size);
  ojph::codestream cs;
  try {
    cs.read_headers(&in);
    scope.raise_if_pixels_wrong();
  } catch (const UnsupportedCodestream& e) {
    // OpenJPH refused something our validation let through; nothing is output yet.
    throw OpenjphRefusedHeaders(e.what());
  }
  if (level) cs.restrict_input_resolution(level, level);
  cs.create();

  const uint32_t nc = uint32_t(planes.size());
  ojph::param_siz siz = cs.access_siz();
  uint64_t total_lines = 0;
  for (uint32_t c = 0; c < nc; ++c) {
    // Our size computation must agree with OpenJPH's, or the output would be wrong.
    if (siz.get_recon_width(c) != planes[c].width || siz.get_recon_height(c) != planes[c].height)
      throw UnsupportedCodestream(
          "OpenJPH reconstructs component " + std::to_string(c) + " as " +
          std::to_string(siz.get_recon_width(c)) + "x" + std::to_string(siz.get_recon_height(c)) +
          ", expected " + std::to_string(planes[c].width) + "x" +
          std::to_string(planes[c].height));
    total_lines += planes[c].height;
  }

  std::vector<uint32_t> rows(nc, 0);
  for (uint64_t i = 0; i < total_lines; ++i) {
    ojph::ui32 c = 0;
    ojph::line_buf* line = cs.pull(c);
    if (line == nullptr || c >= nc || rows[c] >= planes[c].height)
      throw InvalidCodestream("OpenJPH returned an unexpected line");
#if HTJ2K_OJPH_AT_LEAST(0, 18)
    if (!(line->flags & ojph::line_buf::LFT_32BIT) || !(line->flags & ojph::line_buf::LFT_INTEGER))
      throw UnsupportedCodestream("bit depth needs 64-bit samples; not supported yet");
#endif
    if (shift_back[c]) {
      const uint32_t w = planes[c].width;
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

}  // namespace

std::optional<std::string> openjph_why_not(const CodestreamHeader& h, uint32_t level) {
  try {
    validate_for_openjph(h, level);
    return std::nullopt;
  } catch (const UnsupportedCodestream& e) {
    return std::string(e.what());
  }
}

void decode_with_openjph(const uint8_t* cs, size_t size, uint32_t level,
                         const std::vector<PlaneLayout>& planes, const LineSink& sink) {
  OjphMessageScope scope;
  try {
    decode_in_scope(scope, cs, size, level, planes, sink);
  } catch (const OpenjphRefusedHeaders&) {
    throw;
  } catch (...) {
    scope.rethrow_as_htj2k(std::current_exception());
  }
}

}  // namespace htj2k
