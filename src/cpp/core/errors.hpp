// Exception types of the C++ core. The bindings map each to a Python class
// (Htj2kError and subclasses); native tools catch them by base class.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace htj2k {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// The bytes are not a valid (or complete) codestream / JP2-family file.
struct InvalidCodestream : Error {
  using Error::Error;
};
// A prefix of a codestream (the data ends before EOC) that lacks what was asked
// for: `needed` is the number of leading bytes of the input that would hold it, 0
// when the data does not tell (no TLM).
struct IncompleteCodestream : InvalidCodestream {
  IncompleteCodestream(const std::string& what, uint64_t needed_bytes)
      : InvalidCodestream(what), needed(needed_bytes) {}
  uint64_t needed = 0;
};
// Valid, but uses a feature the linked decoder cannot decode correctly.
struct UnsupportedCodestream : Error {
  using Error::Error;
};
// Encoding failed (bad options for the image, value out of declared range...).
struct EncodeFailure : Error {
  using Error::Error;
};
// Caller passed an argument of the right type but a wrong value.
struct InvalidArgument : Error {
  using Error::Error;
};
// A resource guard refused the input (e.g. max_pixels).
struct LimitExceeded : Error {
  using Error::Error;
};

}  // namespace htj2k
