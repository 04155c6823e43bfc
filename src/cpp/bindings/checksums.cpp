// htj2k._core checksum functions: crc32, checksums (of a codestream's levels),
// pixel_checksums (of an image's levels, without encoding).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <vector>

#include "bindings/convert.hpp"
#include "bindings/register.hpp"
#include "checksum/crc32.hpp"
#include "checksum/frame_checksums.hpp"
#include "decode/frame_decoder.hpp"

namespace py = pybind11;
using namespace htj2k;

namespace htj2k_bindings {

// (level, width, height, crc) tuples, in the order given.
py::list checksum_rows(const std::vector<LevelCrc>& v) {
  py::list out;
  for (const auto& e : v) out.append(py::make_tuple(e.level, e.width, e.height, e.crc32));
  return out;
}

// (rows, (min, max) or None): what checksums() returns for one frame.
py::tuple checksum_result(const FrameChecksums& r) {
  py::object range = r.has_range ? py::object(py::make_tuple(r.min, r.max)) : py::none();
  return py::make_tuple(checksum_rows(r.levels), range);
}

void register_checksums(py::module_& m) {
  m.def("crc32", [](py::object data, uint32_t crc) {
    InputBytes in = contiguous_bytes(data, "data");
    py::gil_scoped_release nogil;
    return crc32_update(crc, in.ptr, in.size);
  }, py::arg("data"), py::arg("crc") = 0);

  // -> (list of (level, w, h, crc) base first, (min, max) or None)
  m.def("checksums", [](py::object data, std::vector<uint32_t> levels, uint64_t max_pixels, bool with_range,
                        uint64_t max_memory) {
    InputBytes in = contiguous_bytes(data, "data");
    FrameChecksums result;
    {
      py::gil_scoped_release nogil;
      result = frame_checksums(in.ptr, in.size, levels, max_pixels, with_range, max_memory);
    }
    return checksum_result(result);
  }, py::arg("data"), py::arg("levels"), py::arg("max_pixels") = kDefaultMaxPixels,
     py::arg("with_range") = false, py::arg("max_memory") = kDefaultMaxMemory);

  m.def("pixel_checksums", [](py::array array, uint32_t max_level, uint32_t bit_depth, int is_signed,
                              bool rct) {
    ImageView v = image_view(array, "array");
    std::vector<LevelCrc> result;
    {
      py::gil_scoped_release nogil;
      result = pixel_checksums(v, max_level, bit_depth, is_signed, rct);
    }
    return checksum_rows(result);
  }, py::arg("array"), py::arg("max_level"), py::arg("bit_depth") = 0, py::arg("is_signed") = -1,
     py::arg("rct") = false);
}

}  // namespace htj2k_bindings
