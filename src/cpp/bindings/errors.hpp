// The one mapping of C++ exceptions to Python exceptions, used by the module's
// exception translator (a raised exception) and by the batch functions (an
// exception object in the slot of a failed item), so both always agree.
//
//   htj2k::InvalidArgument       -> ValueError
//   htj2k::LimitExceeded         -> htj2k.LimitExceededError (std::bad_alloc too)
//   htj2k::UnsupportedCodestream -> htj2k.UnsupportedCodestreamError
//   htj2k::IncompleteCodestream  -> htj2k.IncompleteCodestreamError (bytes_needed)
//   htj2k::InvalidCodestream     -> htj2k.InvalidCodestreamError
//   htj2k::EncodeFailure         -> htj2k.EncodeError
//   htj2k::Error, const char*    -> htj2k.Htj2kError (OpenJPH's allocator throws a string literal)
// Anything else is left to pybind11 (its own exception types, std::exception).
#pragma once
#include <pybind11/pybind11.h>

#include <exception>
#include <new>
#include <string>

#include "core/errors.hpp"

namespace htj2k_bindings {

namespace py = pybind11;

struct PythonError {
  py::object type;  // None when the exception is not one of ours
  std::string message;
  py::object bytes_needed = py::none();  // IncompleteCodestreamError's second argument

  py::object instance() const {
    return bytes_needed.is_none() ? type(message) : type(message, bytes_needed);
  }
};

// Python exception classes live in htj2k._errors so they can be documented and
// subclassed in Python.
inline py::object htj2k_error_class(const char* name) {
  return py::module_::import("htj2k._errors").attr(name);
}

inline PythonError python_error_for(std::exception_ptr p) {
  auto ours = [](const char* cls, const char* msg) { return PythonError{htj2k_error_class(cls), msg}; };
  try {
    std::rethrow_exception(p);
  } catch (const htj2k::InvalidArgument& e) {
    return {py::reinterpret_borrow<py::object>(PyExc_ValueError), e.what()};
  } catch (const htj2k::LimitExceeded& e) {
    return ours("LimitExceededError", e.what());
  } catch (const htj2k::IncompleteCodestream& e) {
    PythonError r = ours("IncompleteCodestreamError", e.what());
    if (e.needed) r.bytes_needed = py::int_(e.needed);
    return r;
  } catch (const htj2k::UnsupportedCodestream& e) {
    return ours("UnsupportedCodestreamError", e.what());
  } catch (const htj2k::InvalidCodestream& e) {
    return ours("InvalidCodestreamError", e.what());
  } catch (const htj2k::EncodeFailure& e) {
    return ours("EncodeError", e.what());
  } catch (const htj2k::Error& e) {
    return ours("Htj2kError", e.what());
  } catch (const std::bad_alloc&) {
    return ours("LimitExceededError", "out of memory");
  } catch (const char* s) {
    return ours("Htj2kError", s);
  } catch (...) {
    return {py::none(), ""};
  }
}

// For py::register_exception_translator: sets the Python error for our exceptions,
// rethrows anything else to pybind11's translators.
inline void translate_exception(std::exception_ptr p) {
  if (!p) return;
  PythonError e = python_error_for(p);
  if (e.type.is_none()) std::rethrow_exception(p);
  PyErr_SetObject(e.type.ptr(), e.instance().ptr());
}

// The exception object the single-item call would raise for `p` (GIL held).
inline py::object exception_object(std::exception_ptr p) {
  PythonError e = python_error_for(p);
  if (!e.type.is_none()) return e.instance();
  try {
    std::rethrow_exception(p);
  } catch (py::error_already_set& err) {
    return err.value();
  } catch (const py::builtin_exception& err) {  // py::value_error, py::type_error, ...
    err.set_error();
    return py::error_already_set().value();
  } catch (const std::exception& err) {
    return py::reinterpret_borrow<py::object>(PyExc_RuntimeError)(err.what());
  } catch (...) {
    return htj2k_error_class("Htj2kError")("unknown error");
  }
}

}  // namespace htj2k_bindings
