#include "codec/messages.hpp"

#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "codec/ojph.hpp"

#include "codec/errors.hpp"

namespace htj2k {
namespace {

thread_local std::vector<OjphMessage> t_messages;

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

void install_openjph_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    ojph::configure_info(&g_info);
    ojph::configure_warning(&g_warning);
    ojph::configure_error(&g_error);
  });
}

OjphMessageScope::OjphMessageScope() {
  install_openjph_handlers();
  t_messages.clear();
}

OjphMessageScope::~OjphMessageScope() { t_messages.clear(); }

const std::vector<OjphMessage>& OjphMessageScope::messages() const { return t_messages; }

void OjphMessageScope::raise_if_pixels_wrong() const {
  for (const auto& m : t_messages) {
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

}  // namespace htj2k
