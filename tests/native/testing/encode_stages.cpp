// htj2k_testing.encode_stage_times (test-only, see module.cpp): the per-stage
// profile of one encode with our encoder (encode/stage_times.hpp). The options are
// encode()'s; the encoder is ours whatever `encoder` says. `repeat` encodes that
// many times with the GIL released and returns each stage's total over them.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <vector>

#include "bindings/convert.hpp"
#include "bindings/encode_options.hpp"
#include "encode/encoder.hpp"
#include "encode/stage_times.hpp"

namespace py = pybind11;

namespace htj2k_testing {

void register_encode_stages(py::module_& m) {
  m.def("encode_stage_times", [](py::array array, const py::dict& options, int repeat) {
    if (repeat < 1) throw py::value_error("repeat: at least 1");
    const htj2k::ImageView v = htj2k_bindings::image_view(array, "array");
    htj2k::EncodeOptions o = htj2k_bindings::encode_options(options);
    o.encoder = htj2k::EncodeOptions::Encoder::Htj2k;
    htj2k::EncodeStageTimes t;
    o.stage_times = &t;
    size_t bytes = 0;
    {
      py::gil_scoped_release nogil;
      for (int i = 0; i < repeat; ++i) bytes = htj2k::encode_image(v, o).size();
    }
    py::dict d;
    d["checks"] = t.checks;
    d["header"] = t.header;
    d["load"] = t.load;
    d["dwt"] = t.dwt;
    d["blocks"] = t.blocks;
    d["packets"] = t.packets;
    d["finish"] = t.finish;
    d["bytes"] = bytes;
    return d;
  }, py::arg("array"), py::arg("options") = py::dict(), py::arg("repeat") = 1,
     "Seconds per stage of our encoder (checks, header, load, dwt, blocks, packets, finish; summed over "
     "`repeat` encodes) and the codestream's size in bytes.");
}

}  // namespace htj2k_testing
