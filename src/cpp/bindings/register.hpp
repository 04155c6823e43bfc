// The parts of htj2k._core; bindings/module.cpp calls each once.
#pragma once
#include <pybind11/pybind11.h>

#include <vector>

#include "checksum/frame_checksums.hpp"

namespace htj2k_bindings {

// openjph_version, features, parse_info, select_decoder, decode, decode_planes,
// encode, max_levels_for_size (bindings/codec.cpp).
void register_codec(pybind11::module_& m);
// crc32, checksums, pixel_checksums (bindings/checksums.cpp).
void register_checksums(pybind11::module_& m);
// decode_many, checksums_many, encode_many, batch_info (bindings/batch.cpp).
void register_batch(pybind11::module_& m);
// The rules Python needs to know: PROGRESSIONS, DEFAULT_LEVELS, limits,
// sample_bytes(), nominal_range() (bindings/constants.cpp).
void register_constants(pybind11::module_& m);

// What checksums() returns for one frame: ([(level, w, h, crc)...], (min, max) or
// None); shared by checksums and checksums_many (bindings/checksums.cpp).
pybind11::list checksum_rows(const std::vector<htj2k::LevelCrc>& rows);
pybind11::tuple checksum_result(const htj2k::FrameChecksums& result);

}  // namespace htj2k_bindings
