// numpy dtype <-> SampleType, shared by the binding sources.
#pragma once
#include <pybind11/numpy.h>

#include <string>

#include "core/sample_types.hpp"

namespace htj2k_bindings {

namespace py = pybind11;
using htj2k::SampleType;

inline py::dtype dtype_for(SampleType t) {
  switch (t) {
    case SampleType::U8: return py::dtype::of<uint8_t>();
    case SampleType::I8: return py::dtype::of<int8_t>();
    case SampleType::U16: return py::dtype::of<uint16_t>();
    case SampleType::I16: return py::dtype::of<int16_t>();
    case SampleType::U32: return py::dtype::of<uint32_t>();
    default: return py::dtype::of<int32_t>();
  }
}

inline SampleType type_of(const py::dtype& dt) {
  const char kind = dt.kind();
  const auto size = dt.itemsize();
  if (kind == 'u' && size == 1) return SampleType::U8;
  if (kind == 'i' && size == 1) return SampleType::I8;
  if (kind == 'u' && size == 2) return SampleType::U16;
  if (kind == 'i' && size == 2) return SampleType::I16;
  if (kind == 'u' && size == 4) return SampleType::U32;
  if (kind == 'i' && size == 4) return SampleType::I32;
  if (kind == 'b') return SampleType::U8;
  throw py::type_error("array: dtype " + std::string(py::str(dt)) +
                       " is not supported; use uint8/int8/uint16/int16/uint32/int32");
}

}  // namespace htj2k_bindings
