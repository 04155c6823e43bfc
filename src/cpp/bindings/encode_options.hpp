// encode()'s keyword options, as the Python API names them, to EncodeOptions: the
// one conversion, shared by _core.encode and _core.encode_many. Python has checked
// the types (htj2k/_args.py); the values are checked here and in check_options
// (encode/encoder.cpp), once.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "core/errors.hpp"
#include "core/limits.hpp"
#include "encode/encoder.hpp"
#include "parallel/thread_pool.hpp"

namespace htj2k_bindings {

namespace py = pybind11;

inline std::pair<uint32_t, uint32_t> size_option(const py::handle& v, const char* name) {
  const auto p = v.cast<std::pair<int64_t, int64_t>>();
  if (p.first <= 0 || p.second <= 0 || p.first > UINT32_MAX || p.second > UINT32_MAX)
    throw htj2k::InvalidArgument(std::string(name) + ": sizes must be positive, got " + std::to_string(p.first) +
                                 "x" + std::to_string(p.second));
  return {uint32_t(p.first), uint32_t(p.second)};
}

inline std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::toupper(c)); });
  return s;
}

// Keys: reversible, qstep, levels, block_size, precincts, progression, tile_size,
// bit_depth, colour_transform, tlm, tileparts, plt, container, encoder, threads,
// checksums
// (None = the default).
inline htj2k::EncodeOptions encode_options(const py::dict& d) {
  static const char* const kKeys[] = {"reversible", "qstep",     "levels",           "block_size",
                                      "precincts",  "progression", "tile_size",      "bit_depth",
                                      "colour_transform", "tlm", "tileparts",        "plt", "container",
                                      "encoder",    "threads",     "checksums"};
  for (const auto& kv : d) {
    const std::string key = py::str(kv.first);
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys))
      throw py::type_error("encode: unknown option '" + key + "'");
  }
  auto get = [&](const char* k) -> py::object {
    return d.contains(k) ? py::reinterpret_borrow<py::object>(d[k]) : py::none();
  };
  htj2k::EncodeOptions o;
  const py::object reversible = get("reversible"), qstep = get("qstep");
  if (!qstep.is_none()) {
    const double q = qstep.cast<double>();
    if (!reversible.is_none() && reversible.cast<bool>())
      throw htj2k::InvalidArgument("qstep: only applies to irreversible encoding (reversible=False)");
    if (!(q > 0 && q <= 2))  // NaN fails too
      throw htj2k::InvalidArgument("qstep: must be in (0, 2], got " + std::string(py::str(qstep)));
    o.qstep = float(q);
    o.reversible = false;
  } else {
    o.reversible = reversible.is_none() || reversible.cast<bool>();
  }
  if (!get("levels").is_none()) {
    const int64_t levels = get("levels").cast<int64_t>();
    if (levels < 0 || levels > htj2k::kMaxLevels)
      throw htj2k::InvalidArgument("levels: must be in 0.." + std::to_string(htj2k::kMaxLevels) + ", got " +
                                   std::to_string(levels));
    o.levels = int(levels);
  }
  if (!get("block_size").is_none()) std::tie(o.block_w, o.block_h) = size_option(get("block_size"), "block_size");
  if (!get("precincts").is_none())
    for (const auto& p : get("precincts")) o.precincts.push_back(size_option(p, "precincts"));
  if (!get("progression").is_none()) o.progression = upper(get("progression").cast<std::string>());
  if (!get("tile_size").is_none()) std::tie(o.tile_w, o.tile_h) = size_option(get("tile_size"), "tile_size");
  if (!get("bit_depth").is_none()) {
    const int64_t b = get("bit_depth").cast<int64_t>();
    // 0 would mean "the sample type's width" inside; the upper bound is check_options'
    if (b < 1 || b > 64) throw htj2k::InvalidArgument("bit_depth: must be at least 1, got " + std::to_string(b));
    o.bit_depth = uint32_t(b);
  }
  if (!get("colour_transform").is_none()) o.colour_transform = get("colour_transform").cast<bool>() ? 1 : 0;
  o.tlm = !get("tlm").is_none() && get("tlm").cast<bool>();
  o.plt = !get("plt").is_none() && get("plt").cast<bool>();
  o.checksums = !get("checksums").is_none() && get("checksums").cast<bool>();
  if (!get("tileparts").is_none()) {
    o.tileparts = upper(get("tileparts").cast<std::string>());
    if (o.tileparts == "CR") o.tileparts = "RC";  // the allowed values are check_options'
  }
  if (!get("container").is_none()) {
    const std::string c = get("container").cast<std::string>();
    if (c != "j2c" && c != "j2k" && c != "jph")
      throw htj2k::InvalidArgument("container: expected 'j2c' or 'jph', got '" + c + "'");
    o.jph = c == "jph";
  }
  if (!get("encoder").is_none()) o.encoder = htj2k::parse_encoder(get("encoder").cast<std::string>());
  if (!get("threads").is_none()) {
    const int64_t t = get("threads").cast<int64_t>();
    if (t < 0 || t > int64_t(htj2k::kMaxThreads))
      throw htj2k::InvalidArgument("threads: must be in 0.." + std::to_string(htj2k::kMaxThreads) +
                                   " (0 = all cores), got " + std::to_string(t));
    o.threads = uint32_t(t);
  }
  return o;
}

}  // namespace htj2k_bindings
