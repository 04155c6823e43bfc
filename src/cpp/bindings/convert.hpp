// Python <-> C++ conversion for the binding sources (htj2k._core and the test-only
// htj2k_testing module): numpy dtype <-> SampleType, bytes-like input, numpy images.
// Every buffer the native code reads goes through contiguous_bytes() or
// image_view(), which refuse memory laid out otherwise than they read it
// (ValueError), so no strided or reversed view is ever read past its end.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/sample_types.hpp"
#include "core/image.hpp"
#include "decode/dispatch.hpp"
#include "decode/frame_decoder.hpp"

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

// True when the buffer's items lie back to back in C order (axes of extent 1 may
// have any stride: numpy leaves them arbitrary).
inline bool c_contiguous(const py::buffer_info& info) {
  py::ssize_t want = info.itemsize;
  for (py::ssize_t axis = info.ndim; axis-- > 0;) {
    const py::ssize_t extent = info.shape[size_t(axis)];
    if (extent == 0) return true;  // empty: nothing is read
    if (extent != 1 && info.strides[size_t(axis)] != want) return false;
    want *= extent;
  }
  return true;
}

// The bytes of a bytes-like object (bytes, bytearray, memoryview, numpy array),
// kept alive by `info` while native code reads them.
struct InputBytes {
  std::unique_ptr<py::buffer_info> info;
  const uint8_t* ptr = nullptr;
  size_t size = 0;
};

// TypeError when `obj` is no buffer (or a multi-dimensional one of items wider than
// a byte); ValueError when it is not C-contiguous.
inline InputBytes contiguous_bytes(const py::handle& obj, const char* what) {
  if (!PyObject_CheckBuffer(obj.ptr()))
    throw py::type_error(std::string(what) + ": expected bytes-like data, got " +
                         std::string(py::str(py::type::of(obj).attr("__name__"))));
  auto info = std::make_unique<py::buffer_info>(py::reinterpret_borrow<py::buffer>(obj).request());
  if (info->itemsize != 1 && info->ndim > 1)
    throw py::type_error(std::string(what) + ": expected bytes-like data");
  if (!c_contiguous(*info))
    throw py::value_error(std::string(what) +
                          ": expected C-contiguous bytes, got a strided or reversed view "
                          "(pass bytes(view) or numpy.ascontiguousarray(view))");
  InputBytes in;
  in.ptr = static_cast<const uint8_t*>(info->ptr);
  in.size = size_t(info->size) * size_t(info->itemsize);
  in.info = std::move(info);
  return in;
}

// A numpy image (H, W) or (H, W, C) as an ImageView. Each row must be C-contiguous
// and rows must follow each other at a positive stride of at least one row (row
// padding, e.g. a[:, :w] of a wider array, is read through the row stride, never
// past the array); anything else is a ValueError.
inline htj2k::ImageView image_view(const py::array& a, const char* what) {
  if (a.ndim() != 2 && a.ndim() != 3)
    throw py::value_error(std::string(what) + ": expected a 2-D (H, W) or 3-D (H, W, C) array, got " +
                          std::to_string(a.ndim()) + "-D");
  htj2k::ImageView v;
  v.type = type_of(a.dtype());
  v.height = uint32_t(a.shape(0));
  v.width = uint32_t(a.shape(1));
  v.num_components = a.ndim() == 3 ? uint32_t(a.shape(2)) : 1;
  const py::ssize_t item = a.itemsize();
  // Strides of axes of extent 1 carry no meaning (numpy leaves them arbitrary:
  // np.ascontiguousarray(x.T) of a 1xN image has strides (1, N)), so they are not checked.
  auto stride_ok = [&](int axis, py::ssize_t want) { return a.shape(axis) <= 1 || a.strides(axis) == want; };
  const bool inner_contiguous =
      (a.ndim() == 2 ? stride_ok(1, item)
                     : (stride_ok(2, item) && stride_ok(1, item * py::ssize_t(v.num_components))));
  const size_t row_bytes = size_t(item) * v.width * v.num_components;
  if (!inner_contiguous || (a.shape(0) > 1 && (a.strides(0) < 0 || size_t(a.strides(0)) < row_bytes)))
    throw py::value_error(std::string(what) + ": rows must be C-contiguous (use numpy.ascontiguousarray)");
  v.row_stride = a.shape(0) > 1 ? size_t(a.strides(0)) : row_bytes;
  v.data = a.data();
  return v;
}

// decode()'s keyword arguments as DecodeOptions (InvalidArgument for an unknown decoder).
inline htj2k::DecodeOptions decode_options(uint32_t level, uint64_t max_pixels, const std::string& decoder,
                                           uint64_t max_memory) {
  htj2k::DecodeOptions opt;
  opt.level = level;
  opt.max_pixels = max_pixels;
  opt.max_memory = max_memory;
  opt.decoder = htj2k::parse_decoder(decoder);
  return opt;
}

}  // namespace htj2k_bindings
