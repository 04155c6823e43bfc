// The rules of the C++ core that Python needs to know, exported once so that no
// Python module repeats them: progression names, default levels, the limits the
// encoder and decoder check, and the sample layout of decoded arrays/checksums.
#include <pybind11/pybind11.h>

#include <string>

#include "backends/openjph/openjph_compat.hpp"
#include "bindings/register.hpp"
#include "core/errors.hpp"
#include "core/limits.hpp"
#include "core/sample_types.hpp"
#include "decode/frame_decoder.hpp"

namespace py = pybind11;
using namespace htj2k;

namespace htj2k_bindings {
namespace {

// Bit depths of the samples htj2k reads and writes (sample types up to 32 bits).
constexpr uint32_t kMaxSampleBitDepth = 32;

void check_bit_depth(uint32_t bits) {
  if (bits < 1 || bits > kMaxSampleBitDepth)
    throw InvalidArgument("bits: must be in 1.." + std::to_string(kMaxSampleBitDepth) + ", got " +
                          std::to_string(bits));
}

}  // namespace

void register_constants(py::module_& m) {
  py::tuple progressions(kNumProgressions);
  for (unsigned i = 0; i < kNumProgressions; ++i) progressions[i] = py::str(kProgressionNames[i]);
  m.attr("PROGRESSIONS") = progressions;  // by Sgcod value: index = the code in COD
  m.attr("DEFAULT_LEVELS") = kDefaultLevels;
  m.attr("MAX_LEVELS") = kMaxLevels;
  m.attr("DEFAULT_MAX_PIXELS") = kDefaultMaxPixels;
  m.attr("DEFAULT_MAX_MEMORY") = kDefaultMaxMemory;
  m.attr("MAX_COMPONENTS") = kMaxComponents;
  m.attr("MAX_TILES") = kMaxTiles;
  m.attr("MIN_BLOCK_SIDE") = kMinBlockSide;
  m.attr("MAX_BLOCK_SIDE") = kMaxBlockSide;
  m.attr("MAX_BLOCK_AREA") = kMaxBlockArea;
  m.attr("MIN_PRECINCT_SIDE") = kMinPrecinctSide;
  m.attr("MAX_PRECINCT_SIDE") = kMaxPrecinctSide;
  m.attr("MAX_SAMPLE_BIT_DEPTH") = kMaxSampleBitDepth;
  // Deepest samples encode() writes with the linked OpenJPH (openjph_compat.hpp).
  m.attr("MAX_ENCODE_BIT_DEPTH") = kOjphMaxEncodeBitDepth;
  // Deepest samples the linked OpenJPH decodes; deeper ones go to OpenJPEG ("auto").
  m.attr("OPENJPH_MAX_DECODE_BIT_DEPTH") = kOjphMaxBitDepth;

  m.def("sample_bytes", [](uint32_t bits) {
    check_bit_depth(bits);
    return bytes_for_bit_depth(bits);
  }, py::arg("bits"),
     "Bytes of the smallest little-endian integer holding `bits` (1, 2 or 4): the sample size of "
     "decoded arrays and of checksum bytes.");
  m.def("nominal_range", [](uint32_t bits, bool is_signed) {
    check_bit_depth(bits);
    const Range r = nominal_range(bits, is_signed);
    return py::make_tuple(r.lo, r.hi);
  }, py::arg("bits"), py::arg("signed"),
     "(lo, hi): the nominal range of a `bits`-bit component (15444-1 Annex G: 0..2^B-1, or "
     "-2^(B-1)..2^(B-1)-1 when signed).");
}

}  // namespace htj2k_bindings
