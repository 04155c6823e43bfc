// Parts of htj2k._core defined outside module.cpp; module.cpp calls each once.
#pragma once
#include <pybind11/pybind11.h>

namespace htj2k_bindings {

// decode_many, checksums_many, encode_many, batch_info (bindings/batch.cpp).
void register_batch(pybind11::module_& m);
// The _kernels submodule: SIMD conversion kernels per target, for tests and
// benchmarks (bindings/kernels.cpp).
void register_kernels(pybind11::module_& m);

}  // namespace htj2k_bindings
