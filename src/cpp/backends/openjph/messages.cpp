#include "backends/openjph/messages.hpp"

#include <cstdarg>
#include <cstdio>
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

class InfoHandler : public ojph::message_info {
 public:
  void operator()(int code, const char*, int, const char* fmt, ...) override {
    va_list ap;
    va_start(ap, fmt);
    t_messages.push_back({1, code, vformat(fmt, ap)});
    va_end(ap);
  }
};

class WarningHandler : public ojph::message_warning {
 public:
  void operator()(int code, const char*, int, const char* fmt, ...) override {
    va_list ap;
    va_start(ap, fmt);
    t_messages.push_back({2, code, vformat(fmt, ap)});
    va_end(ap);
  }
};

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

void OjphMessageScope::raise_if_pixels_wrong() const {
  std::vector<OjphMessage> all = t_messages;
  if (!t_stream_text.empty()) all.push_back({2, 0, printed_text()});
  for (const auto& m : all) {
    // OpenJPH says "... not supported yet" / "... is not supported" when it skips
    // a marker and goes on; "terminated early" when data ran out (missing
    // code-blocks become zeros). Either way the pixels would be wrong.
    const std::string& t = m.text;
    if (t.find("terminated early") != std::string::npos)
      throw InvalidCodestream("codestream truncated (OpenJPH: " + t + ")");
    if (t.find("not supported") != std::string::npos || t.find("unsupported") != std::string::npos)
      throw UnsupportedCodestream("OpenJPH: " + t);
    if (m.level >= 2)
      throw InvalidCodestream("OpenJPH warning: " + t);
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
