// Exception types of the C++ core. The bindings map each to a Python class
// (Htj2kError and subclasses); native tools catch them by base class.
#pragma once
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
