#include "decode/dispatch.hpp"

#include "core/errors.hpp"
#include "backends/openjph/openjph_decoder.hpp"
#include "backends/openjpeg/openjpeg_decoder.hpp"
#include "codestream/validate.hpp"

namespace htj2k {

const char* decoder_name(DecoderKind d) {
  switch (d) {
    case DecoderKind::OpenJPH: return "openjph";
    case DecoderKind::OpenJPEG: return "openjpeg";
    default: return "auto";
  }
}

DecoderKind parse_decoder(const std::string& name) {
  if (name == "auto") return DecoderKind::Auto;
  if (name == "openjph") return DecoderKind::OpenJPH;
  if (name == "openjpeg") return DecoderKind::OpenJPEG;
  throw InvalidArgument("decoder: expected 'auto', 'openjph' or 'openjpeg', got '" + name + "'");
}

bool have_openjpeg() {
#ifdef HTJ2K_HAVE_OPENJPEG
  return true;
#else
  return false;
#endif
}

std::string openjpeg_version_string() {
#ifdef HTJ2K_HAVE_OPENJPEG
  return openjpeg_version();
#else
  return "";
#endif
}

namespace {

[[noreturn]] void both_refuse(const std::string& ojph, const std::string& opj) {
  throw UnsupportedCodestream(ojph + " (OpenJPEG: " + opj + ")");
}

}  // namespace

DecoderKind choose_decoder(const CodestreamHeader& h, uint32_t level, DecoderKind requested,
                           const uint8_t* cs, size_t cs_size) {
  switch (requested) {
    case DecoderKind::OpenJPH:
      validate_for_openjph(h, level);
      return DecoderKind::OpenJPH;
    case DecoderKind::OpenJPEG: {
#ifdef HTJ2K_HAVE_OPENJPEG
      validate_for_openjpeg(h, level, cs, cs_size);
      return DecoderKind::OpenJPEG;
#else
      throw UnsupportedCodestream("decoder 'openjpeg' requested; htj2k was built without OpenJPEG");
#endif
    }
    default:
      break;
  }
  const std::optional<std::string> why = openjph_why_not(h, level);
  if (!why) return DecoderKind::OpenJPH;
  openjpeg_takes_over(h, level, requested, *why, /*report_both=*/true, cs, cs_size);
  return DecoderKind::OpenJPEG;
}

bool openjpeg_takes_over(const CodestreamHeader& h, uint32_t level, DecoderKind requested,
                         const std::string& why, bool report_both, const uint8_t* cs, size_t cs_size) {
  if (requested != DecoderKind::Auto) return false;
  const std::optional<std::string> why_not = openjpeg_why_not(h, level, cs, cs_size);
  if (!why_not) return true;
  if (report_both) both_refuse(why, *why_not);
  return false;
}

}  // namespace htj2k
