// Batch operations of htj2k._core: many frames on the C++ thread pool
// (parallel/thread_pool.hpp) with the GIL released. Each item either yields its
// result or its own exception, turned into the Python exception object the
// single-frame function would raise; one bad frame never loses the others.
// Results are in input order.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "bindings/convert.hpp"
#include "bindings/encode_options.hpp"
#include "bindings/errors.hpp"
#include "bindings/register.hpp"
#include "checksum/frame_checksums.hpp"
#include "decode/frame_decoder.hpp"
#include "decode/dispatch.hpp"
#include "encode/encoder.hpp"
#include "core/errors.hpp"
#include "parallel/thread_pool.hpp"

namespace py = pybind11;
using namespace htj2k;

namespace htj2k_bindings {
namespace {

// Bytes of one input (kept alive while workers read them), or why it was refused.
struct Input {
  InputBytes bytes;
  std::exception_ptr error;
};

std::vector<Input> inputs(const py::sequence& datas) {
  std::vector<Input> in(py::len(datas));
  for (size_t i = 0; i < in.size(); ++i) {
    try {
      in[i].bytes = contiguous_bytes(datas[i], "data");
    } catch (...) {
      in[i].error = std::current_exception();
    }
  }
  return in;
}

// A decoded frame in memory the worker allocated; handed to numpy without a copy.
struct Decoded {
  void* data = nullptr;
  std::vector<py::ssize_t> shape;
  SampleType type = SampleType::U8;
  std::exception_ptr error;
};

py::list decode_many(const py::sequence& datas, uint32_t level, uint64_t max_pixels,
                     const std::string& decoder, size_t threads, uint64_t max_memory) {
  const DecodeOptions opt = decode_options(level, max_pixels, decoder, max_memory);
  std::vector<Input> in = inputs(datas);
  std::vector<Decoded> out(in.size());
  {
    py::gil_scoped_release nogil;
    parallel_for(in.size(), threads, [&](size_t i) {
      Decoded& d = out[i];
      if (in[i].error) {
        d.error = in[i].error;
        return;
      }
      try {
        FrameDecoder dec(in[i].bytes.ptr, in[i].bytes.size, opt);
        if (!dec.interleavable()) throw UnsupportedCodestream(dec.interleave_error());
        const size_t row = size_t(dec.width()) * dec.num_components() * sample_bytes(dec.interleaved_type());
        // 64-byte aligned rows start for the vector stores; numpy frees it via the capsule.
        const size_t bytes = (row * dec.height() + 63) / 64 * 64;
        d.data = std::aligned_alloc(64, bytes == 0 ? 64 : bytes);
        if (d.data == nullptr) throw std::bad_alloc();
        d.type = dec.interleaved_type();
        d.shape = {py::ssize_t(dec.height()), py::ssize_t(dec.width())};
        if (dec.num_components() > 1) d.shape.push_back(py::ssize_t(dec.num_components()));
        dec.decode_interleaved(d.data, row);
      } catch (...) {
        std::free(d.data);
        d.data = nullptr;
        d.error = std::current_exception();
      }
    });
  }
  py::list result;
  for (Decoded& d : out) {
    if (d.error) {
      result.append(exception_object(d.error));
      continue;
    }
    py::capsule owner(d.data, [](void* p) { std::free(p); });
    d.data = nullptr;
    result.append(py::array(dtype_for(d.type), d.shape, owner.get_pointer(), owner));
  }
  return result;
}

struct Sums {
  FrameChecksums value;
  std::exception_ptr error;
};

// levels[i] and with_range[i] for frame i (one entry each: for every frame).
py::list checksums_many(const py::sequence& datas, const std::vector<std::vector<uint32_t>>& levels,
                        uint64_t max_pixels, const std::vector<bool>& with_range, size_t threads,
                        uint64_t max_memory) {
  std::vector<Input> in = inputs(datas);
  const size_t n = in.size();
  if (levels.size() != n && levels.size() != 1)
    throw py::value_error("levels: one list per frame, or one for all");
  if (with_range.size() != n && with_range.size() != 1)
    throw py::value_error("with_range: one flag per frame, or one for all");
  std::vector<Sums> out(n);
  {
    py::gil_scoped_release nogil;
    parallel_for(n, threads, [&](size_t i) {
      if (in[i].error) {
        out[i].error = in[i].error;
        return;
      }
      try {
        out[i].value = frame_checksums(in[i].bytes.ptr, in[i].bytes.size, levels[levels.size() == 1 ? 0 : i],
                                       max_pixels, with_range[with_range.size() == 1 ? 0 : i], max_memory);
      } catch (...) {
        out[i].error = std::current_exception();
      }
    });
  }
  py::list result;
  for (const Sums& s : out) {
    if (s.error) {
      result.append(exception_object(s.error));
      continue;
    }
    result.append(checksum_result(s.value));
  }
  return result;
}

struct Encoded {
  py::array keep;  // the source array, alive until the GIL is taken back
  ImageView view;
  EncodeOptions options;
  std::vector<uint8_t> bytes;
  std::vector<LevelCrc> sums;  // with the checksums option
  std::exception_ptr error;
};

// items[i] = (array, options dict with the keyword names of _core.encode).
py::list encode_many(const py::sequence& items, size_t threads) {
  const size_t n = py::len(items);
  std::vector<Encoded> work(n);
  for (size_t i = 0; i < n; ++i) {
    try {
      py::tuple item = items[i].cast<py::tuple>();
      if (item.size() != 2) throw py::value_error("encode_many: items are (array, options) pairs");
      work[i].keep = item[0].cast<py::array>();
      work[i].view = image_view(work[i].keep, "array");
      work[i].options = encode_options(item[1].cast<py::dict>());
    } catch (...) {
      work[i].error = std::current_exception();
    }
  }
  {
    py::gil_scoped_release nogil;
    parallel_for(n, threads, [&](size_t i) {
      if (work[i].error) return;
      try {
        work[i].bytes = encode_image(work[i].view, work[i].options, work[i].options.checksums ? &work[i].sums : nullptr);
      } catch (...) {
        work[i].error = std::current_exception();
      }
    });
  }
  py::list result;
  for (Encoded& e : work) {
    if (e.error)
      result.append(exception_object(e.error));
    else if (e.options.checksums)
      result.append(py::make_tuple(py::bytes(reinterpret_cast<const char*>(e.bytes.data()), e.bytes.size()),
                                   checksum_rows(e.sums)));
    else
      result.append(py::bytes(reinterpret_cast<const char*>(e.bytes.data()), e.bytes.size()));
    std::vector<uint8_t>().swap(e.bytes);
  }
  return result;
}

}  // namespace

void register_batch(py::module_& m) {
  m.def("decode_many", &decode_many, py::arg("datas"), py::arg("level") = 0,
        py::arg("max_pixels") = kDefaultMaxPixels, py::arg("decoder") = "auto",
        py::arg("threads") = 0, py::arg("max_memory") = kDefaultMaxMemory,
        "Decodes every frame on up to `threads` threads (0 = all cores); a list of arrays, "
        "with the exception object in the slot of each frame that failed.");
  m.def("checksums_many", &checksums_many, py::arg("datas"), py::arg("levels"),
        py::arg("max_pixels") = kDefaultMaxPixels, py::arg("with_range") = std::vector<bool>{false},
        py::arg("threads") = 0, py::arg("max_memory") = kDefaultMaxMemory,
        "checksums() of every frame: a list of (rows, range) or exception objects. levels and "
        "with_range hold one entry per frame, or one for all.");
  m.def("encode_many", &encode_many, py::arg("items"), py::arg("threads") = 0,
        "Encodes (array, options) pairs, options as for _core.encode: a list of bytes (or "
        "(bytes, checksum rows) with the checksums option) or exception objects.");
  m.def("batch_info", [] {
    py::dict d;
    d["default_threads"] = default_threads();
    d["pool_workers"] = pool_workers();
    d["max_threads"] = kMaxThreads;
    return d;
  });
}

}  // namespace htj2k_bindings
