// OpenJPH reports through process-global message handlers. We install ours once;
// they record into thread-local state of the calling thread, so concurrent calls
// never see each other's messages, and nothing is printed.
#pragma once
#include <exception>
#include <string>
#include <vector>

namespace htj2k {

struct OjphMessage {
  int level;  // 1 info, 2 warning, 3 error
  int code;
  std::string text;
};

// Installs the handlers (idempotent, thread-safe).
void install_openjph_handlers();

// RAII scope for one encode/decode call on this thread: clears the thread's
// message list on entry. OpenJPH errors are thrown as htj2k::Error subclasses
// by the handler itself (OpenJPH expects its error handler to throw).
class OjphMessageScope {
 public:
  OjphMessageScope();
  ~OjphMessageScope();
  const std::vector<OjphMessage>& messages() const;
  // What OpenJPH printed to its message streams during this scope (one line).
  std::string printed_text() const;
  // Converts an exception escaping OpenJPH into an htj2k error: our own types
  // pass through; OpenJPH's std::runtime_error("ojph error") from handlers we
  // could not replace becomes InvalidCodestream with the text it printed.
  [[noreturn]] void rethrow_as_htj2k(std::exception_ptr e) const;
  // Throws UnsupportedCodestream/InvalidCodestream when a recorded message means
  // the pixels would be wrong, classified by OpenJPH's numeric code (messages.cpp
  // lists them): a skipped marker segment (warning), a codestream that ended early
  // (info), or any other warning.
  void raise_if_pixels_wrong() const;
};

}  // namespace htj2k
