// htj2k_testing: a test-only Python extension, built by CMake with
// -DHTJ2K_BUILD_TESTING=ON into its build directory and never installed
// (tests/helpers/native_build.py builds and locates it). It holds what must not
// ship in the wheel:
//   kernels          the SIMD kernels per Highway target and their scalar twins
//                    (tests/native/test_kernels.py, benches/)
//   encode_ht_block  our HT cleanup-pass block encoder (block/ht_block_encoder.hpp)
//   encode_stage_times
//                    seconds per stage of our encoder (encode/stage_times.hpp)
//   encode_unchecked encode() without the edge-tile check (writes codestreams with
//                    tiles that vanish at a reduced level, as other encoders do)
//   ht_block_coefficients, ht_decode_block
//                    the core's HT code-block decoder (tests/native/test_ht_block.py)
// It links its own copy of the C++ core: encode_unchecked installs that copy's
// OpenJPH message handlers, which are process-global in libopenjph, so call it in
// a process that does not also use htj2k._core (native_build.encode_unchecked does).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <utility>
#include <vector>

#include "bindings/convert.hpp"
#include "bindings/errors.hpp"
#include "bindings/encode_options.hpp"
#include "encode/encoder.hpp"

namespace py = pybind11;

namespace htj2k_testing {
void register_kernels(py::module_& m);     // kernels.cpp
void register_ht_block(py::module_& m);    // ht_block.cpp
void register_ht_encoder(py::module_& m);  // ht_encoder.cpp
void register_encode_stages(py::module_& m);  // encode_stages.cpp
}

PYBIND11_MODULE(htj2k_testing, m) {
  m.doc() = "htj2k test-only native hooks (never installed)";
  py::register_exception_translator(&htj2k_bindings::translate_exception);
  htj2k_testing::register_kernels(m);
  htj2k_testing::register_ht_block(m);
  htj2k_testing::register_ht_encoder(m);
  htj2k_testing::register_encode_stages(m);
  m.def("encode_unchecked", [](py::array array, const py::dict& options) {
    htj2k::ImageView v = htj2k_bindings::image_view(array, "array");
    htj2k::EncodeOptions o = htj2k_bindings::encode_options(options);
    o.check_tiles = false;
    std::vector<uint8_t> result;
    {
      py::gil_scoped_release nogil;
      result = htj2k::encode_image(v, o);
    }
    return py::bytes(reinterpret_cast<const char*>(result.data()), result.size());
  }, py::arg("array"), py::arg("options") = py::dict(),
     "_core.encode (the same options) with the edge-tile check off.");
}
