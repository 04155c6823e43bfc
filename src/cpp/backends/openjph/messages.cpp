#include "backends/openjph/messages.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "backends/openjph/ojph.hpp"

#include "backends/openjph/assert_redirect.hpp"
#include "core/errors.hpp"

namespace htj2k {
namespace {

thread_local std::vector<OjphMessage> t_messages;
// Text OpenJPH prints to its message streams. Some call sites in OpenJPH 0.9.0
// bypass the configured handlers (the compiler devirtualised the call to the
// default handler, which prints and throws std::runtime_error("ojph error")),
// so the streams themselves are redirected into this per-thread buffer too.
thread_local std::string t_stream_text;

#ifdef __GLIBC__
ssize_t capture_write(void*, const char* buf, size_t n) {
  if (t_stream_text.size() < 4096) t_stream_text.append(buf, n);
  return ssize_t(n);
}
FILE* open_capture_stream() {
  cookie_io_functions_t io = {nullptr, capture_write, nullptr, nullptr};
  FILE* f = fopencookie(nullptr, "w", io);
  if (f) setvbuf(f, nullptr, _IONBF, 0);  // write through at once, on the calling thread
  return f;
}
#else
FILE* open_capture_stream() { return std::fopen("/dev/null", "w"); }
#endif

std::string vformat(const char* fmt, va_list ap) {
  char buf[512];
  va_list ap2;
  va_copy(ap2, ap);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap2);
  va_end(ap2);
  if (n < 0) return fmt;
  std::string s(buf, static_cast<size_t>(n) < sizeof buf ? static_cast<size_t>(n) : sizeof buf - 1);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Records an info (level 1) or warning (level 2) on the calling thread.
template <class Base, int kLevel>
class RecordingHandler : public Base {
 public:
  void operator()(int code, const char*, int, const char* fmt, ...) override {
    va_list ap;
    va_start(ap, fmt);
    t_messages.push_back({kLevel, code, vformat(fmt, ap)});
    va_end(ap);
  }
};
using InfoHandler = RecordingHandler<ojph::message_info, 1>;
using WarningHandler = RecordingHandler<ojph::message_warning, 2>;

class ErrorHandler : public ojph::message_error {
 public:
  void operator()(int code, const char*, int, const char* fmt, ...) override {
    va_list ap;
    va_start(ap, fmt);
    std::string text = vformat(fmt, ap);
    va_end(ap);
    t_messages.push_back({3, code, text});
    // OpenJPH relies on the error handler not returning.
    throw InvalidCodestream("OpenJPH: " + text);
  }
};

InfoHandler g_info;
WarningHandler g_warning;
ErrorHandler g_error;

}  // namespace

AssertRedirect redirect_openjph_asserts() {
  // ojph::configure_error lives in the libopenjph we are linked against
  return redirect_asserts_in_object(reinterpret_cast<const void*>(&ojph::configure_error), "OpenJPH");
}

void install_openjph_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    redirect_openjph_asserts();
    if (FILE* f = open_capture_stream()) {
      ojph::set_info_stream(f);
      ojph::set_warning_stream(f);
      ojph::set_error_stream(f);
    }
    ojph::configure_info(&g_info);
    ojph::configure_warning(&g_warning);
    ojph::configure_error(&g_error);
  });
}

OjphMessageScope::OjphMessageScope() {
  install_openjph_handlers();
  t_messages.clear();
  t_stream_text.clear();
}

OjphMessageScope::~OjphMessageScope() {
  t_messages.clear();
  t_stream_text.clear();
}

std::string OjphMessageScope::printed_text() const {
  std::string s = t_stream_text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& ch : s)
    if (ch == '\n') ch = ' ';
  return s;
}

const std::vector<OjphMessage>& OjphMessageScope::messages() const { return t_messages; }

namespace {

// OpenJPH's message codes for what a decode must not go on from (its sources,
// ojph_codestream*.cpp; the same in 0.9.0 and 0.21.2 unless noted):
//   0x00030001  a marker segment skipped (skip_marker): as a warning, "X is not
//               supported yet" (COC, QCC, RGN, POC, PPM, tile-part COD/COC/QCD/
//               QCC/RGN/POC/PPT): pixels would be wrong. As an info, "CRG has been
//               ignored" (harmless).
//   0x00030021  "file terminated early" before 0.10 (later releases use the code
//               for an encoder-side info about tile-part divisions, never during
//               a decode, so it is safe to read it so on every release);
//   0x00030067  "File terminated early" in later releases (0.21.2).
constexpr int kSkippedMarker = 0x00030001;
constexpr int kTerminatedEarlyOld = 0x00030021;
constexpr int kTerminatedEarly = 0x00030067;

// A message printed by OpenJPH's default handlers (call sites that bypass ours):
// "ojph info|warning|error 0x%08X at FILE:LINE: TEXT". Level and code are read
// back from the prefix; text without it is a warning of unknown code.
OjphMessage parse_printed(const std::string& text) {
  OjphMessage m{2, 0, text};
  static const struct { const char* prefix; int level; } kPrefixes[] = {
      {"ojph info 0x", 1}, {"ojph warning 0x", 2}, {"ojph error 0x", 3}};
  for (const auto& p : kPrefixes) {
    const size_t at = text.find(p.prefix);
    if (at == std::string::npos) continue;
    m.level = p.level;
    m.code = int(std::strtoul(text.c_str() + at + std::strlen(p.prefix), nullptr, 16));
    break;
  }
  return m;
}

}  // namespace

void OjphMessageScope::raise_if_pixels_wrong() const {
  std::vector<OjphMessage> all = t_messages;
  // What OpenJPH printed past our handlers, one message per line.
  size_t start = 0;
  while (start < t_stream_text.size()) {
    size_t end = t_stream_text.find('\n', start);
    if (end == std::string::npos) end = t_stream_text.size();
    const std::string line = t_stream_text.substr(start, end - start);
    if (line.find_first_not_of(' ') != std::string::npos) all.push_back(parse_printed(line));
    start = end + 1;
  }
  for (const auto& m : all) {
    if (m.code == kTerminatedEarly || m.code == kTerminatedEarlyOld)  // missing code-blocks become zeros
      throw InvalidCodestream("codestream truncated (OpenJPH: " + m.text + ")");
    if (m.code == kSkippedMarker && m.level >= 2) throw UnsupportedCodestream("OpenJPH: " + m.text);
    if (m.level >= 2) throw InvalidCodestream("OpenJPH warning: " + m.text);
  }
}

void OjphMessageScope::rethrow_as_htj2k(std::exception_ptr e) const {
  try {
    std::rethrow_exception(e);
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& ex) {
    const std::string text = printed_text();
    throw InvalidCodestream("OpenJPH: " + (text.empty() ? std::string(ex.what()) : text));
  } catch (const char* s) {  // OpenJPH's allocator throws a string literal
    throw LimitExceeded(std::string("OpenJPH: ") + s);
  }
}

}  // namespace htj2k
