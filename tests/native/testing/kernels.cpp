// htj2k_testing.kernels (test-only, see module.cpp): the sample-conversion kernels of simd/convert.hpp for
// each SIMD target this CPU supports, the dispatched versions and the scalar
// references, over numpy arrays. Tests compare them on random data (unaligned
// starts, odd lengths); benchmarks time them (`repeat` runs the kernel that many
// times in one call, the GIL released, so call overhead does not count).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bindings/convert.hpp"
#include "checksum/crc32.hpp"
#include "simd/convert.hpp"
#include "simd/dwt53.hpp"

namespace py = pybind11;
using namespace htj2k;

namespace htj2k_testing {
namespace {

// "dispatch" = the runtime-dispatched functions; "scalar" = the references;
// otherwise a Highway target name from targets().
ConvertKernels kernels_for(const std::string& target) {
  if (target == "dispatch")
    return ConvertKernels{"dispatch", &store_clamped, &store_clamped_interleaved, &load_widen,
                          &min_max};
  for (const ConvertKernels& k : convert_kernel_sets())
    if (k.target == target) return k;
  throw py::value_error("target: '" + target + "' is not available; see kernels.targets()");
}

SampleType sample_type(const py::array& a) { return htj2k_bindings::type_of(a.dtype()); }

Dwt53Kernels dwt_kernels_for(const std::string& target) {
  if (target == "dispatch")
    return Dwt53Kernels{"dispatch", &dwt53_predict, &dwt53_update, &dwt53_split, &rct_forward, &rct_inverse};
  for (const Dwt53Kernels& k : dwt53_kernel_sets())
    if (k.target == target) return k;
  throw py::value_error("target: '" + target + "' is not available; see kernels.targets()");
}

void require_flat(const py::array& a, const char* what) {
  if (a.ndim() != 1 || (a.size() > 1 && a.strides(0) != a.itemsize()))
    throw py::value_error(std::string(what) + ": expected a contiguous 1-D array");
}

const int32_t* int32_data(const py::array& a, const char* what) {
  require_flat(a, what);
  if (a.dtype().kind() != 'i' || a.itemsize() != 4) throw py::type_error(std::string(what) + ": expected int32");
  return static_cast<const int32_t*>(a.data());
}

}  // namespace

// Long by nature: one m.def per kernel, each a few lines of argument checks.
void register_kernels(py::module_& parent) {
  py::module_ m = parent.def_submodule("kernels", "SIMD kernels per target (tests, benchmarks)");

  m.def("targets", [] {
    std::vector<std::string> names;
    for (const ConvertKernels& k : convert_kernel_sets()) names.push_back(k.target);
    return names;
  }, "Targets compiled in and supported here, best first, then 'scalar' (the references).");
  m.def("active", &convert_active_target, "The target the dispatched kernels use.");

  m.def("store_clamped", [](const std::string& target, py::array src, py::array dst, size_t stride,
                            int64_t lo, int64_t hi, size_t repeat) {
    const ConvertKernels k = kernels_for(target);
    const int32_t* s = int32_data(src, "src");
    require_flat(dst, "dst");
    const size_t n = size_t(src.size());
    if (stride == 0) throw py::value_error("stride: must be >= 1");
    if (n > 0 && size_t(dst.size()) < (n - 1) * stride + 1) throw py::value_error("dst: too short");
    if (!dst.writeable()) throw py::value_error("dst: read-only");
    const SampleType t = sample_type(dst);
    void* d = dst.mutable_data();
    py::gil_scoped_release nogil;
    for (size_t r = 0; r < repeat; ++r) k.store_clamped(s, n, d, stride, t, lo, hi);
  }, py::arg("target"), py::arg("src"), py::arg("dst"), py::arg("stride"), py::arg("lo"), py::arg("hi"),
     py::arg("repeat") = 1);

  m.def("store_clamped_interleaved", [](const std::string& target, std::vector<py::array> srcs,
                                        py::array dst, std::vector<int64_t> lo, std::vector<int64_t> hi,
                                        size_t repeat) {
    const ConvertKernels k = kernels_for(target);
    const size_t nc = srcs.size();
    if (nc == 0 || lo.size() != nc || hi.size() != nc)
      throw py::value_error("srcs, lo, hi: one entry per component");
    std::vector<const int32_t*> ptrs;
    for (const py::array& s : srcs) {
      ptrs.push_back(int32_data(s, "srcs"));
      if (s.size() != srcs[0].size()) throw py::value_error("srcs: equal lengths required");
    }
    require_flat(dst, "dst");
    const size_t n = size_t(srcs[0].size());
    if (size_t(dst.size()) < n * nc) throw py::value_error("dst: too short");
    if (!dst.writeable()) throw py::value_error("dst: read-only");
    const SampleType t = sample_type(dst);
    void* d = dst.mutable_data();
    py::gil_scoped_release nogil;
    for (size_t r = 0; r < repeat; ++r)
      k.store_clamped_interleaved(ptrs.data(), nc, n, d, t, lo.data(), hi.data());
  }, py::arg("target"), py::arg("srcs"), py::arg("dst"), py::arg("lo"), py::arg("hi"),
     py::arg("repeat") = 1);

  m.def("load_widen", [](const std::string& target, py::array src, size_t n, size_t stride,
                         py::array dst, size_t repeat) {
    const ConvertKernels k = kernels_for(target);
    require_flat(src, "src");
    if (stride == 0) throw py::value_error("stride: must be >= 1");
    if (n > 0 && size_t(src.size()) < (n - 1) * stride + 1) throw py::value_error("src: too short");
    int32_data(dst, "dst");
    if (size_t(dst.size()) < n) throw py::value_error("dst: too short");
    if (!dst.writeable()) throw py::value_error("dst: read-only");
    const SampleType t = sample_type(src);
    const void* s = src.data();
    auto* d = static_cast<int32_t*>(dst.mutable_data());
    py::gil_scoped_release nogil;
    for (size_t r = 0; r < repeat; ++r) k.load_widen(s, n, stride, t, d);
  }, py::arg("target"), py::arg("src"), py::arg("n"), py::arg("stride"), py::arg("dst"),
     py::arg("repeat") = 1);

  m.def("min_max", [](const std::string& target, py::array src, size_t n, size_t stride, size_t repeat) {
    const ConvertKernels k = kernels_for(target);
    require_flat(src, "src");
    if (stride == 0) throw py::value_error("stride: must be >= 1");
    if (n > 0 && size_t(src.size()) < (n - 1) * stride + 1) throw py::value_error("src: too short");
    const SampleType t = sample_type(src);
    const void* s = src.data();
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    {
      py::gil_scoped_release nogil;
      for (size_t r = 0; r < repeat; ++r) {
        mn = INT64_MAX;
        mx = INT64_MIN;
        k.min_max(s, n, stride, t, &mn, &mx);
      }
    }
    return py::make_tuple(mn, mx);
  }, py::arg("target"), py::arg("src"), py::arg("n"), py::arg("stride"), py::arg("repeat") = 1,
     "(min, max); (INT64_MAX, INT64_MIN) when n == 0.");

  // 5/3 lifting rows (simd/dwt53.hpp), int32 arrays: out = x - ((a + b) >> 1) and
  // out = x + ((a + b + 2) >> 2); split: even/odd samples of src.
  // predict and update differ only in the kernel they run.
  using LiftingRow = void (*Dwt53Kernels::*)(int32_t*, const int32_t*, const int32_t*, const int32_t*, size_t);
  auto lifting = [](LiftingRow kernel) {
    return [kernel](const std::string& target, py::array out, py::array x, py::array a, py::array b,
                    size_t repeat) {
      const Dwt53Kernels k = dwt_kernels_for(target);
      const size_t n = size_t(x.size());
      for (const py::array* v : {&out, &a, &b})
        if (size_t(v->size()) < n) throw py::value_error("arrays: at least len(x) samples each");
      int32_data(out, "out");
      auto* o = static_cast<int32_t*>(out.mutable_data());
      const int32_t *px = int32_data(x, "x"), *pa = int32_data(a, "a"), *pb = int32_data(b, "b");
      py::gil_scoped_release nogil;
      for (size_t r = 0; r < repeat; ++r) (k.*kernel)(o, px, pa, pb, n);
    };
  };
  m.def("dwt53_predict", lifting(&Dwt53Kernels::predict), py::arg("target"), py::arg("out"), py::arg("x"),
        py::arg("a"), py::arg("b"), py::arg("repeat") = 1);
  m.def("dwt53_update", lifting(&Dwt53Kernels::update), py::arg("target"), py::arg("out"), py::arg("x"),
        py::arg("a"), py::arg("b"), py::arg("repeat") = 1);
  m.def("dwt53_split", [](const std::string& target, py::array src, py::array even, py::array odd,
                          size_t repeat) {
    const Dwt53Kernels k = dwt_kernels_for(target);
    const size_t pairs = size_t(src.size()) / 2;
    if (size_t(even.size()) < pairs || size_t(odd.size()) < pairs) throw py::value_error("even/odd: too short");
    const int32_t* s = int32_data(src, "src");
    int32_data(even, "even");
    auto* e = static_cast<int32_t*>(even.mutable_data());
    int32_data(odd, "odd");
    auto* o = static_cast<int32_t*>(odd.mutable_data());
    py::gil_scoped_release nogil;
    for (size_t r = 0; r < repeat; ++r) k.split(s, pairs, e, o);
  }, py::arg("target"), py::arg("src"), py::arg("even"), py::arg("odd"), py::arg("repeat") = 1);

  // The reversible colour transform of three int32 rows, in place. repeat > 1
  // (benchmarks) runs forward and inverse alternately, repeat times in all.
  m.def("rct", [](const std::string& target, bool inverse, py::array c0, py::array c1, py::array c2,
                  size_t repeat) {
    const Dwt53Kernels k = dwt_kernels_for(target);
    const size_t n = size_t(c0.size());
    if (size_t(c1.size()) != n || size_t(c2.size()) != n) throw py::value_error("c0, c1, c2: equal lengths");
    int32_t* p[3];
    py::array* arrs[3] = {&c0, &c1, &c2};
    for (int i = 0; i < 3; ++i) {
      int32_data(*arrs[i], "c");
      p[i] = static_cast<int32_t*>(arrs[i]->mutable_data());
    }
    py::gil_scoped_release nogil;
    for (size_t r = 0; r < repeat; ++r)
      ((r % 2 == 0) == inverse ? k.rct_inverse : k.rct_forward)(p[0], p[1], p[2], n);
  }, py::arg("target"), py::arg("inverse"), py::arg("c0"), py::arg("c1"), py::arg("c2"),
     py::arg("repeat") = 1);

  m.def("crc32", [](py::object data, size_t repeat) {
    htj2k_bindings::InputBytes in = htj2k_bindings::contiguous_bytes(data, "data");
    const uint8_t* p = in.ptr;
    const size_t n = in.size;
    uint32_t crc = 0;
    py::gil_scoped_release nogil;
    for (size_t r = 0; r < repeat; ++r) crc = crc32_update(0, p, n);
    return crc;
  }, py::arg("data"), py::arg("repeat") = 1, "ISA-L CRC-32 of data, computed `repeat` times (benchmarks).");
}

}  // namespace htj2k_testing
