#include "decode/dispatch.hpp"

#include "core/errors.hpp"
#include "codestream/validate.hpp"
#ifdef HTJ2K_HAVE_OPENJPEG
#include "backends/openjpeg/openjpeg_decoder.hpp"
#endif

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

// OpenJPEG's reason for refusing, or "" when it accepts. Invalid codestreams and
// bad levels propagate.
std::string openjpeg_refusal(const CodestreamHeader& h, uint32_t level, const uint8_t* cs,
                             size_t cs_size) {
#ifdef HTJ2K_HAVE_OPENJPEG
  try {
    validate_for_openjpeg(h, level, cs, cs_size);
    return "";
  } catch (const UnsupportedCodestream& e) {
    return e.what();
  }
#else
  (void)h, (void)level, (void)cs, (void)cs_size;
  return "htj2k was built without OpenJPEG";
#endif
}

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
  try {
    validate_for_openjph(h, level);
    return DecoderKind::OpenJPH;
  } catch (const UnsupportedCodestream& e) {
    const std::string why_not = openjpeg_refusal(h, level, cs, cs_size);
    if (why_not.empty()) return DecoderKind::OpenJPEG;
    both_refuse(e.what(), why_not);
  }
}

bool openjpeg_can_take_over(const CodestreamHeader& h, uint32_t level, DecoderKind requested,
                            const std::string& why, const uint8_t* cs, size_t cs_size) {
  if (requested != DecoderKind::Auto) return false;
  const std::string why_not = openjpeg_refusal(h, level, cs, cs_size);
  if (why_not.empty()) return true;
  both_refuse(why, why_not);
}

bool openjpeg_may_retry(const CodestreamHeader& h, uint32_t level, DecoderKind requested,
                        const uint8_t* cs, size_t cs_size) {
  return requested == DecoderKind::Auto && openjpeg_refusal(h, level, cs, cs_size).empty();
}

}  // namespace htj2k
