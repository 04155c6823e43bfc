// htj2k_testing.encode_ht_block (test-only, see module.cpp): our HT cleanup-pass
// block encoder (block/ht_block_encoder.hpp) over a 2-D numpy int32 or int64
// array of coefficients. `repeat` encodes the same block that many times in one
// call with the GIL released (benchmarks: call overhead does not count); `target`
// picks the set of data-parallel kernels (block/ht_encoder_kernels.hpp): a
// Highway target name, "scalar" (the twins) or "dispatch" (the encoder's own choice).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "block/ht_block_encoder.hpp"
#include "block/ht_encoder_kernels.hpp"

namespace py = pybind11;

namespace htj2k_testing {
namespace {

std::optional<htj2k::HtEncodeKernels> kernels_for(const std::string& target) {
  if (target == "dispatch") return std::nullopt;
  for (const htj2k::HtEncodeKernels& k : htj2k::ht_encode_kernel_sets())
    if (k.target == target) return k;
  throw py::value_error("target: '" + target + "' is not available; see ht_encode_targets()");
}

template <typename Sample>
py::tuple encode_block(const py::array& a, unsigned kmax, int repeat, const std::string& target) {
  const std::optional<htj2k::HtEncodeKernels> kernels = kernels_for(target);
  const Sample* data = static_cast<const Sample*>(a.data());
  const auto height = uint32_t(a.shape(0)), width = uint32_t(a.shape(1));
  const auto stride = size_t(a.strides(0) / ssize_t(sizeof(Sample)));
  htj2k::HtEncodedBlock out;
  {
    py::gil_scoped_release nogil;
    htj2k::HtBlockEncoder encoder(kernels ? &*kernels : nullptr);
    for (int i = 0; i < repeat; ++i) out = encoder.encode(data, width, height, stride, kmax);
  }
  return py::make_tuple(py::bytes(reinterpret_cast<const char*>(out.bytes.data()), out.bytes.size()),
                        out.missing_msbs, out.passes);
}

// Every block of a C-contiguous int32 stack (n, h, w) in turn, the whole stack
// `repeat` times: a benchmark over different blocks (repeating one block lets
// the branch predictors learn it). Returns the bytes of one pass.
size_t encode_stack(const py::array& a, unsigned kmax, int repeat, const std::string& target) {
  if (a.ndim() != 3 || a.dtype().kind() != 'i' || a.itemsize() != 4 ||
      !(a.flags() & py::array::c_style))
    throw py::value_error("blocks: expected a C-contiguous int32 array (n, h, w)");
  if (repeat < 1) throw py::value_error("repeat: at least 1");
  const std::optional<htj2k::HtEncodeKernels> kernels = kernels_for(target);
  const auto* data = static_cast<const int32_t*>(a.data());
  const auto n = size_t(a.shape(0));
  const auto height = uint32_t(a.shape(1)), width = uint32_t(a.shape(2));
  size_t bytes = 0;
  py::gil_scoped_release nogil;
  htj2k::HtBlockEncoder encoder(kernels ? &*kernels : nullptr);
  for (int i = 0; i < repeat; ++i) {
    bytes = 0;
    for (size_t b = 0; b < n; ++b)
      bytes += encoder.encode(data + b * height * width, width, height, width, kmax).bytes.size();
  }
  return bytes;
}

// One of the block encoder's data-parallel kernels (block/ht_encoder_kernels.hpp)
// over every block of a C-contiguous int32 stack (n, h, w), `repeat` times, as the
// encoder runs it: magnitudes_or once per block, load_pair per line pair,
// prepare_quads per quad row (its exponent rows loaded beforehand, untimed work
// outside the loop). Returns a checksum of the outputs (benchmarks; equal targets
// give equal sums).
uint64_t run_kernel(const std::string& kernel, const py::array& a, int repeat, const std::string& target) {
  if (a.ndim() != 3 || a.dtype().kind() != 'i' || a.itemsize() != 4 || !(a.flags() & py::array::c_style))
    throw py::value_error("blocks: expected a C-contiguous int32 array (n, h, w)");
  if (repeat < 1) throw py::value_error("repeat: at least 1");
  if (kernel != "magnitudes_or" && kernel != "load_pair" && kernel != "prepare_quads")
    throw py::value_error("kernel: magnitudes_or, load_pair or prepare_quads");
  const std::optional<htj2k::HtEncodeKernels> chosen = kernels_for(target);
  const htj2k::HtEncodeKernels& k = chosen ? *chosen : htj2k::ht_encode_kernels();
  const auto* data = static_cast<const int32_t*>(a.data());
  const auto n = size_t(a.shape(0));
  const auto h = uint32_t(a.shape(1)), w = uint32_t(a.shape(2));
  const uint32_t quads = (w + 1) / 2, rows = (h + 1) / 2;
  std::vector<uint32_t> mags(4 * size_t(quads)), out(quads);
  // exponent rows of every quad row of every block, each padded by a zero quad on either side
  std::vector<uint8_t> exps(n * rows * 4 * (size_t(quads) + 2), 0);
  const size_t row_len = 4 * (size_t(quads) + 2);
  if (kernel == "prepare_quads")
    for (size_t b = 0; b < n; ++b)
      for (uint32_t r = 0; r < rows; ++r) {
        const int32_t* l0 = data + (b * h + 2 * r) * w;
        k.load_pair(l0, 2 * r + 1 < h ? l0 + w : nullptr, w, mags.data(), exps.data() + (b * rows + r) * row_len + 4);
      }
  uint64_t sum = 0;
  py::gil_scoped_release nogil;
  for (int i = 0; i < repeat; ++i) {
    sum = 0;
    for (size_t b = 0; b < n; ++b) {
      const int32_t* block = data + b * h * w;
      if (kernel == "magnitudes_or") {
        sum += k.magnitudes_or(block, w, h, w);
        continue;
      }
      for (uint32_t r = 0; r < rows; ++r) {
        if (kernel == "load_pair") {
          const int32_t* l0 = block + size_t(2 * r) * w;
          k.load_pair(l0, 2 * r + 1 < h ? l0 + w : nullptr, w, mags.data(), exps.data() + 4);
          sum += mags[0] + exps[4];
        } else {
          const uint8_t* cur = exps.data() + (b * rows + r) * row_len;
          k.prepare_quads(cur, r ? cur - row_len : cur, quads, r == 0, out.data());
          sum += out[0];
        }
      }
    }
  }
  return sum;
}

}  // namespace

void register_ht_encoder(py::module_& m) {
  m.def("encode_ht_blocks", &encode_stack, py::arg("blocks"), py::arg("kmax"), py::arg("repeat") = 1,
        py::arg("target") = "dispatch", "Total segment bytes of a stack of blocks (benchmarks).");
  m.def("ht_encode_kernel", &run_kernel, py::arg("kernel"), py::arg("blocks"), py::arg("repeat") = 1,
        py::arg("target") = "dispatch",
        "One block-encoder kernel (magnitudes_or, load_pair, prepare_quads) over a stack of blocks (benchmarks).");
  m.def("ht_encode_targets", [] {
    std::vector<std::string> names;
    for (const htj2k::HtEncodeKernels& k : htj2k::ht_encode_kernel_sets()) names.push_back(k.target);
    return names;
  }, "Kernel sets of the HT block encoder: targets compiled in and supported here, best first, then 'scalar'.");
  m.def("ht_encode_active", [] { return htj2k::ht_encode_kernels().target; },
        "The target of the kernels the encoder uses by default.");
  m.def("encode_ht_block", [](const py::array& values, unsigned kmax, int repeat, const std::string& target) {
    if (values.ndim() != 2) throw py::value_error("values: expected a 2-D array");
    if (values.strides(1) != values.itemsize() || values.strides(0) < 0 ||
        values.strides(0) % values.itemsize() != 0)
      throw py::value_error("values: rows must be contiguous, at a positive stride");
    if (repeat < 1) throw py::value_error("repeat: at least 1");
    if (values.dtype().kind() == 'i' && values.itemsize() == 4) return encode_block<int32_t>(values, kmax, repeat, target);
    if (values.dtype().kind() == 'i' && values.itemsize() == 8) return encode_block<int64_t>(values, kmax, repeat, target);
    throw py::type_error("values: expected int32 or int64");
  }, py::arg("values"), py::arg("kmax"), py::arg("repeat") = 1, py::arg("target") = "dispatch",
     "(bytes, missing_msbs, passes) of the HT cleanup segment of one code-block.");
}

}  // namespace htj2k_testing
