// htj2k_testing: the HT code-block decoder of the core (block/ht_block_decoder.hpp)
// over every code-block of a codestream (codestream/code_blocks.hpp), for
// tests/native/test_ht_block.py.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "bindings/convert.hpp"
#include "block/ht_block_decoder.hpp"
#include "codestream/code_blocks.hpp"
#include "codestream/header.hpp"

namespace py = pybind11;

namespace htj2k_testing {
namespace {

const char* const kBands[4] = {"LL", "HL", "LH", "HH"};

py::dict block_dict(const htj2k::CodeBlockInfo& c, const htj2k::HtDecodedBlock& d) {
  py::dict r;
  r["tile"] = c.tile;
  r["component"] = c.component;
  r["resolution"] = c.resolution;
  r["band"] = kBands[c.band & 3];
  r["x0"] = c.x0, r["y0"] = c.y0, r["x1"] = c.x1, r["y1"] = c.y1;
  r["zblk"] = c.zero_bitplanes;
  r["passes"] = c.passes;
  r["mb"] = c.magnitude_bits;
  r["causal"] = c.vertically_causal;
  r["cleanup"] = py::make_tuple(c.cleanup_offset, c.cleanup_length);
  r["refine"] = py::make_tuple(c.refine_offset, c.refine_length);
  py::array_t<int64_t> values({py::ssize_t(d.height), py::ssize_t(d.width)});
  py::array_t<uint8_t> refined({py::ssize_t(d.height), py::ssize_t(d.width)});
  std::copy(d.value.begin(), d.value.end(), values.mutable_data());
  std::copy(d.refined.begin(), d.refined.end(), refined.mutable_data());
  r["values"] = values;
  r["refined"] = refined;
  return r;
}

// Every code-block of `data` (a codestream or JPH/JP2 file) decoded: the cleanup
// pass's plane is p = Mb - 1 - Zblk, so mu has Zblk + 1 bits at most.
py::list ht_block_coefficients(const py::bytes& data) {
  const std::string s = data;
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(s.data());
  const htj2k::CodestreamSpan span = htj2k::locate_codestream(bytes, s.size());
  const uint8_t* cs = bytes + span.offset;
  const htj2k::CodestreamHeader h = htj2k::parse_header(cs, span.length);
  const std::vector<htj2k::CodeBlockInfo> blocks = htj2k::code_blocks(cs, span.length, h);
  py::list out;
  for (const htj2k::CodeBlockInfo& c : blocks) {
    const htj2k::HtDecodedBlock d = htj2k::decode_ht_block(
        cs + c.cleanup_offset, c.cleanup_length, cs + c.refine_offset, c.refine_length, c.passes,
        uint32_t(c.x1 - c.x0), uint32_t(c.y1 - c.y0), c.zero_bitplanes + 1, c.vertically_causal);
    out.append(block_dict(c, d));
  }
  return out;
}

}  // namespace

void register_ht_block(py::module_& m) {
  m.def("ht_block_coefficients", &ht_block_coefficients, py::arg("codestream"),
        "Every code-block of a one-layer HT codestream, decoded by the core's HT block decoder: a list of "
        "dicts (tile, component, resolution, band, x0, y0, x1, y1 in band coordinates, zblk, passes, mb, "
        "causal, cleanup/refine (offset, length), values: int64 (h, w) of 2*mu + the bit below, signed, "
        "refined: uint8 (h, w)).");
  m.def(
      "ht_decode_block",
      [](const py::bytes& cleanup, const py::bytes& refine, unsigned passes, uint32_t width, uint32_t height,
         unsigned max_bits, bool causal) {
        const std::string c = cleanup, r = refine;
        const htj2k::HtDecodedBlock d =
            htj2k::decode_ht_block(reinterpret_cast<const uint8_t*>(c.data()), c.size(),
                                   reinterpret_cast<const uint8_t*>(r.data()), r.size(), passes, width, height,
                                   max_bits, causal);
        py::array_t<int64_t> values({py::ssize_t(d.height), py::ssize_t(d.width)});
        std::copy(d.value.begin(), d.value.end(), values.mutable_data());
        return values;
      },
      py::arg("cleanup"), py::arg("refine"), py::arg("passes"), py::arg("width"), py::arg("height"),
      py::arg("max_bits"), py::arg("causal") = false, "decode_ht_block on one code-block's segments.");
}

}  // namespace htj2k_testing
