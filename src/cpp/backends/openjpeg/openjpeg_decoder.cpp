#include "backends/openjpeg/openjpeg_decoder.hpp"

#ifdef HTJ2K_HAVE_OPENJPEG

#include <openjpeg.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>

#include "backends/openjph/assert_redirect.hpp"
#include "codestream/markers.hpp"
#include "core/errors.hpp"
#include "codestream/ht_checks.hpp"
#include "codestream/validate.hpp"

namespace htj2k {

namespace {

std::string str(uint64_t v) { return std::to_string(v); }

std::string hex(uint32_t v, int digits) {
  static const char* kHex = "0123456789ABCDEF";
  std::string s = "0x";
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) s += kHex[(v >> shift) & 0xF];
  return s;
}

const std::string& opj_name() {
  static const std::string name = "OpenJPEG " + std::string(opj_version());
  return name;
}

// OpenJPEG before 2.5.1 asserts in mel_init() (ht_dec.c) on a damaged HT cleanup
// segment; 2.5.1 made it an error return (uclouvain/openjpeg PR #1436). The
// version is the library's at run time, not the header's.
bool openjpeg_mel_init_asserts() {
  static const bool asserts = [] {
    unsigned major = 0, minor = 0, patch = 0;
    if (std::sscanf(opj_version(), "%u.%u.%u", &major, &minor, &patch) < 2) return true;  // unknown: check
    return major < 2 || (major == 2 && (minor < 5 || (minor == 5 && patch < 1)));
  }();
  return asserts;
}

[[noreturn]] void unsupported(const std::string& msg) { throw UnsupportedCodestream(msg); }

// Deepest samples verified to decode exactly through OpenJPEG: lossless 5/3 Part 1
// streams of full-range data (random, min/max checkerboard, smooth, ramp, constant;
// signed and unsigned; 1 and 3 components with the RCT; 0..7 levels) round-trip
// through it up to 23 bits. At 24 bits with the RCT they do not (OpenJPEG's encoder
// or decoder overflows its 32-bit integers; which one cannot be told apart here),
// and it refuses more than 31 bits itself. See tests/codec/test_openjpeg_fallback.py.
constexpr uint32_t kOpjMaxBitDepth = 23;

// Main-header marker segments of Part 1 and Part 15. Anything else (Part 2's MCT,
// MCC, MCO, CBD, ADS, ATK, DCO, NLT...) would change the decoding in ways nobody
// checked here.
bool known_main_header_marker(uint16_t m) {
  switch (m) {
    case 0xFF50:  // CAP
    case 0xFF51:  // SIZ
    case 0xFF52:  // COD
    case 0xFF53:  // COC
    case 0xFF55:  // TLM
    case 0xFF56:  // PRF
    case 0xFF57:  // PLM
    case 0xFF59:  // CPF
    case 0xFF5C:  // QCD
    case 0xFF5D:  // QCC
    case 0xFF5E:  // RGN
    case 0xFF5F:  // POC
    case 0xFF60:  // PPM
    case 0xFF63:  // CRG
    case 0xFF64:  // COM
      return true;
    default:
      return false;
  }
}

// parse_header() already walked the main header, so the segments lie in the data.
void check_main_header_markers(const uint8_t* cs, size_t size, size_t header_length) {
  size_t pos = 2;  // after SOC
  const size_t end = std::min(size, header_length);
  while (pos + 4 <= end) {
    const uint16_t m = uint16_t((cs[pos] << 8) | cs[pos + 1]);
    const uint16_t len = uint16_t((cs[pos + 2] << 8) | cs[pos + 3]);
    if (m == kSOT) break;
    if (!known_main_header_marker(m))
      unsupported("marker " + hex(m, 4) + " in the main header (not Part 1 or Part 15); " +
                  "not handed to " + opj_name());
    pos += size_t(len) + 2;
  }
}

void check_code_block_style(uint8_t cb, const std::string& where) {
  if ((cb & 0xC0) == 0xC0)
    unsupported("mixed-mode HT code-blocks" + where + "; " + opj_name() +
                " refuses them (\"Unsupported Mixed HT code-block style\")");
  if ((cb & 0xC0) == 0x80)
    unsupported("reserved code-block style " + hex(cb, 2) + where);
}

}  // namespace

std::string openjpeg_version() { return opj_version(); }

void validate_for_openjpeg(const CodestreamHeader& h, uint32_t level, const uint8_t* cs,
                           size_t cs_size) {
  // A truncated codestream decodes as zeros in OpenJPEG's default mode; strict mode
  // is set too, but refuse it here with our own precise message first.
  check_codestream_complete(h, cs_size);

  const uint32_t ncomp = uint32_t(h.components.size());
  for (uint32_t c = 0; c < ncomp; ++c)
    if (h.style_for(c).transform == 0 && h.quant_for(c).style == 0)
      throw InvalidCodestream("irreversible 9/7 transform without quantization (QCD style 0) for component " +
                              str(c));

  if (h.rsiz & 0x8000)
    unsupported("Part 2 extensions (Rsiz " + hex(h.rsiz, 4) + "); not handed to " + opj_name());
  if (h.has_cap && (h.pcap & ~uint32_t(0x00020000)))
    unsupported("CAP declares parts other than Part 15 (Pcap " + hex(h.pcap, 8) + "); not handed to " +
                opj_name());

  check_code_block_style(h.cod.cb_style, "");
  for (const auto& o : h.overrides)
    if (o.cod.present)
      check_code_block_style(o.cod.cb_style, " (COC for component " + str(o.component) + ")");

  bool any_ht = (h.cod.cb_style & 0x40) != 0;
  for (const auto& o : h.overrides) any_ht |= o.cod.present && (o.cod.cb_style & 0x40);
  if (h.mixed_ht())
    unsupported("HT code-blocks in some components and Part 1 in others; not handed to " + opj_name() +
                " (unverified)");
  if (any_ht) {
    // Measured on the ISO/IEC 15444-4 streams: 2.5.0 fails on every multi-layer HT
    // codestream ("Expected EPH marker", "segment too long", "more than 3 coding
    // passes", "Malformed HT codeblock").
    if (h.cod.layers > 1)
      unsupported(str(h.cod.layers) + " quality layers with HT code-blocks; " + opj_name() +
                  " decodes single-layer HT only");
    bool rgn = h.has_rgn;
    for (const auto& tp : h.tile_parts)
      for (const auto& m : tp.header_markers) rgn |= m == "RGN";
    if (rgn)
      unsupported("RGN (region of interest) with HT code-blocks; " + opj_name() +
                  " refuses it (\"We do not support ROI in decoding HT codeblocks\")");
  }
  // Tile-part COD/COC may change the layers or code-block style of a tile; our header
  // parser does not read them, so in an HTJ2K codestream they cannot be checked.
  if (any_ht || (h.rsiz & 0x4000))
    for (const auto& tp : h.tile_parts)
      for (const auto& m : tp.header_markers)
        if (m == "COD" || m == "COC")
          unsupported(m + " in tile-part header of tile " + str(tp.tile) +
                      " of an HTJ2K codestream; its code-block style and layers cannot be checked "
                      "for what " + opj_name() + " mis-decodes");

  static const std::set<std::string> kTileHeaderMarkers = {"COD", "COC", "QCD", "QCC", "RGN",
                                                           "POC", "PPT", "PLT", "COM"};
  for (const auto& tp : h.tile_parts)
    for (const auto& m : tp.header_markers)
      if (!kTileHeaderMarkers.count(m))
        unsupported("marker " + m + " in tile-part header of tile " + str(tp.tile) +
                    " (not Part 1 or Part 15); not handed to " + opj_name());
  if (cs) check_main_header_markers(cs, cs_size, h.main_header_length);

  for (uint32_t c = 0; c < ncomp; ++c)
    if (h.components[c].bit_depth > kOpjMaxBitDepth)
      unsupported("bit depth " + str(h.components[c].bit_depth) + " (component " + str(c) + "); " +
                  opj_name() + " is used up to " + str(kOpjMaxBitDepth) + " bits");

  uint32_t min_levels = h.cod.levels;
  for (uint32_t c = 0; c < ncomp; ++c) min_levels = std::min<uint32_t>(min_levels, h.style_for(c).levels);
  if (level > min_levels)
    throw InvalidArgument("level " + str(level) + " requested; the codestream has " + str(min_levels) +
                          " decomposition levels");
}

namespace {

// --- memory stream over the caller's bytes (no copy) ------------------------

struct MemSource {
  const uint8_t* data;
  size_t size;
  size_t pos;
};

OPJ_SIZE_T mem_read(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* s = static_cast<MemSource*>(user);
  if (s->pos >= s->size) return OPJ_SIZE_T(-1);  // end of stream
  const size_t k = std::min<size_t>(n, s->size - s->pos);
  std::memcpy(buffer, s->data + s->pos, k);
  s->pos += k;
  return k;
}

OPJ_OFF_T mem_skip(OPJ_OFF_T n, void* user) {
  auto* s = static_cast<MemSource*>(user);
  if (n < 0) {
    const size_t back = std::min<size_t>(size_t(-n), s->pos);
    s->pos -= back;
    return -OPJ_OFF_T(back);
  }
  if (s->pos >= s->size) return OPJ_OFF_T(-1);
  const size_t k = std::min<size_t>(size_t(n), s->size - s->pos);
  s->pos += k;
  return OPJ_OFF_T(k);
}

OPJ_BOOL mem_seek(OPJ_OFF_T to, void* user) {
  auto* s = static_cast<MemSource*>(user);
  if (to < 0 || uint64_t(to) > s->size) return OPJ_FALSE;
  s->pos = size_t(to);
  return OPJ_TRUE;
}

// --- messages, collected per call --------------------------------------------

struct Messages {
  std::vector<std::string> errors, warnings;
};

std::string trimmed(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

void on_error(const char* msg, void* user) { static_cast<Messages*>(user)->errors.push_back(trimmed(msg)); }
void on_warning(const char* msg, void* user) {
  static_cast<Messages*>(user)->warnings.push_back(trimmed(msg));
}
void on_info(const char*, void*) {}

bool says_unsupported(const std::string& s) {
  std::string l = s;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char ch) { return char(std::tolower(ch)); });
  return l.find("not support") != std::string::npos || l.find("unsupported") != std::string::npos;
}

// Throws for a failed (or suspicious) OpenJPEG call: its own messages, most
// specific first, the generic "Failed to decode..." ones after; `what` when it
// said nothing.
[[noreturn]] void fail(const Messages& m, const std::string& what) {
  std::vector<std::string> all;
  auto add = [&](const std::string& s, const char* prefix) {
    const std::string t = prefix + s;
    if (!s.empty() && std::find(all.begin(), all.end(), t) == all.end()) all.push_back(t);
  };
  for (const auto& e : m.errors)
    if (e.rfind("Failed to decode", 0) != 0) add(e, "");
  for (const auto& w : m.warnings) add(w, "warning: ");
  for (const auto& e : m.errors)
    if (e.rfind("Failed to decode", 0) == 0) add(e, "");
  std::string text;
  bool unsup = false;
  for (size_t i = 0; i < all.size() && i < 3; ++i) {
    text += (i ? "; " : "") + all[i];
    unsup |= says_unsupported(all[i]);
  }
  if (all.size() > 3) text += "; ...";
  if (text.empty()) text = what;
  const std::string msg = opj_name() + ": " + text;
  if (unsup) throw UnsupportedCodestream(msg);
  throw InvalidCodestream(msg);
}

struct CodecDeleter {
  void operator()(opj_codec_t* c) const { opj_destroy_codec(c); }
};
struct StreamDeleter {
  void operator()(opj_stream_t* s) const { opj_stream_destroy(s); }
};
struct ImageDeleter {
  void operator()(opj_image_t* i) const { opj_image_destroy(i); }
};

}  // namespace

std::string openjpeg_assert_policy() {
  return "not redirected: " + opj_name() +
         " keeps glibc's __assert_fail; inputs that reach its assert()s are refused by htj2k's own checks "
         "before it sees them (codestream/ht_checks.hpp)";
}

void decode_with_openjpeg(const uint8_t* cs, size_t size, uint32_t level,
                          const std::vector<PlaneLayout>& planes,
                          const std::vector<std::pair<uint32_t, uint32_t>>& subsampling,
                          const LineSink& sink) {
  // OpenJPEG's assert()s are not redirected (assert_hook.hpp): whatever would reach
  // one must be refused here, before any byte reaches it.
  check_before_openjpeg(cs, size, openjpeg_mel_init_asserts(), opj_name());
  Messages msgs;
  std::unique_ptr<opj_codec_t, CodecDeleter> codec(opj_create_decompress(OPJ_CODEC_J2K));
  if (!codec) throw std::bad_alloc();
  opj_set_info_handler(codec.get(), on_info, &msgs);
  opj_set_warning_handler(codec.get(), on_warning, &msgs);
  opj_set_error_handler(codec.get(), on_error, &msgs);

  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  if (!opj_setup_decoder(codec.get(), &params)) fail(msgs, "decoder set-up failed");
  if (!opj_decoder_set_strict_mode(codec.get(), OPJ_TRUE)) fail(msgs, "cannot set strict mode");
  // 0 = no worker threads: everything runs on the calling thread, with its
  // messages collected in `msgs` (ht_checks.hpp relies on no threaded code paths).
  if (!opj_codec_set_threads(codec.get(), 0)) fail(msgs, "cannot select single-threaded decoding");

  MemSource src{cs, size, 0};
  const OPJ_SIZE_T chunk = OPJ_SIZE_T(std::min<size_t>(std::max<size_t>(size, 1), OPJ_J2K_STREAM_CHUNK_SIZE));
  std::unique_ptr<opj_stream_t, StreamDeleter> stream(opj_stream_create(chunk, OPJ_TRUE));
  if (!stream) throw std::bad_alloc();
  opj_stream_set_read_function(stream.get(), mem_read);
  opj_stream_set_skip_function(stream.get(), mem_skip);
  opj_stream_set_seek_function(stream.get(), mem_seek);
  opj_stream_set_user_data(stream.get(), &src, nullptr);
  opj_stream_set_user_data_length(stream.get(), OPJ_UINT64(size));

  opj_image_t* raw = nullptr;
  const bool header_ok = opj_read_header(stream.get(), codec.get(), &raw);
  std::unique_ptr<opj_image_t, ImageDeleter> image(raw);
  if (!header_ok || !image) fail(msgs, "cannot read the main header");
  if (level && !opj_set_decoded_resolution_factor(codec.get(), level))
    fail(msgs, "cannot discard " + str(level) + " resolution levels");
  if (!opj_decode(codec.get(), stream.get(), image.get())) fail(msgs, "decoding failed");
  if (!opj_end_decompress(codec.get(), stream.get())) fail(msgs, "decoding failed at the end");
  // A warning means OpenJPEG skipped or guessed something: the pixels may be wrong.
  if (!msgs.errors.empty() || !msgs.warnings.empty()) fail(msgs, "");

  // What OpenJPEG reconstructed must be exactly what our header says.
  const uint32_t nc = uint32_t(planes.size());
  if (image->numcomps != nc)
    unsupported(opj_name() + " decoded " + str(image->numcomps) + " components, expected " + str(nc));
  bool same_height = true;
  for (uint32_t c = 0; c < nc; ++c) {
    const opj_image_comp_t& comp = image->comps[c];
    const PlaneLayout& p = planes[c];
    const std::string which = " for component " + str(c);
    if (comp.w != p.width || comp.h != p.height)
      unsupported(opj_name() + " reconstructs component " + str(c) + " as " + str(comp.w) + "x" +
                  str(comp.h) + ", expected " + str(p.width) + "x" + str(p.height));
    if (comp.prec != p.bit_depth || (comp.sgnd != 0) != p.is_signed)
      unsupported(opj_name() + " reports " + str(comp.prec) + (comp.sgnd ? "-bit signed" : "-bit unsigned") +
                  which + ", the codestream declares " + str(p.bit_depth) +
                  (p.is_signed ? "-bit signed" : "-bit unsigned"));
    if (c < subsampling.size() && (comp.dx != subsampling[c].first || comp.dy != subsampling[c].second))
      unsupported(opj_name() + " reports subsampling " + str(comp.dx) + "x" + str(comp.dy) + which);
    if (comp.factor != level)
      unsupported(opj_name() + " decoded " + str(comp.factor) + " levels down" + which + ", expected " +
                  str(level));
    if (!comp.data) throw InvalidCodestream(opj_name() + " produced no samples" + which);
    same_height &= p.height == planes[0].height;
  }

  static_assert(sizeof(OPJ_INT32) == sizeof(int32_t), "OPJ_INT32 is int32_t");
  if (same_height) {
    for (uint32_t y = 0; y < planes[0].height; ++y)
      for (uint32_t c = 0; c < nc; ++c)
        sink(c, y, reinterpret_cast<const int32_t*>(image->comps[c].data) + size_t(y) * planes[c].width);
  } else {
    for (uint32_t c = 0; c < nc; ++c)
      for (uint32_t y = 0; y < planes[c].height; ++y)
        sink(c, y, reinterpret_cast<const int32_t*>(image->comps[c].data) + size_t(y) * planes[c].width);
  }
}

std::optional<std::string> openjpeg_why_not(const CodestreamHeader& h, uint32_t level, const uint8_t* cs,
                                            size_t cs_size) {
  try {
    validate_for_openjpeg(h, level, cs, cs_size);
    return std::nullopt;
  } catch (const UnsupportedCodestream& e) {
    return std::string(e.what());
  }
}

}  // namespace htj2k

#else
#include "backends/openjph/assert_redirect.hpp"
namespace htj2k {
std::string openjpeg_assert_policy() { return "not built with OpenJPEG"; }
std::optional<std::string> openjpeg_why_not(const CodestreamHeader&, uint32_t, const uint8_t*, size_t) {
  return std::string("htj2k was built without OpenJPEG");
}
}  // namespace htj2k
#endif  // HTJ2K_HAVE_OPENJPEG
