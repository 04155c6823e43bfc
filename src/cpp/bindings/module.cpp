// pybind11 module htj2k._core: a thin layer over the C++ core. Every call
// releases the GIL while C++ works; Python objects are touched only with it held.
// This file only registers; the functions live in codec.cpp, checksums.cpp,
// batch.cpp and constants.cpp, the conversions in convert.hpp and the exception
// mapping in errors.hpp. Nothing test-only is compiled in (see tests/native/testing).
#include <pybind11/pybind11.h>

#include "bindings/errors.hpp"
#include "bindings/register.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "htj2k C++ core (OpenJPH, OpenJPEG, ISA-L, Highway)";
  pybind11::register_exception_translator(&htj2k_bindings::translate_exception);
  htj2k_bindings::register_constants(m);
  htj2k_bindings::register_codec(m);
  htj2k_bindings::register_checksums(m);
  htj2k_bindings::register_batch(m);
}
