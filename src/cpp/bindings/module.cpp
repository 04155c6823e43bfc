// pybind11 module htj2k._core: a thin layer over the C++ core. Every call
// releases the GIL while C++ works; Python objects are touched only with it held.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <string>

#include "checksum/crc32.hpp"
#include "backends/openjph/assert_redirect.hpp"
#include "decode/frame_decoder.hpp"
#include "decode/dispatch.hpp"
#include "encode/encoder.hpp"
#include "bindings/convert.hpp"
#include "core/errors.hpp"
#include "codestream/header.hpp"
#include "backends/openjph/openjph_compat.hpp"
#include "codestream/validate.hpp"
#include "checksum/frame_checksums.hpp"
#include "bindings/extensions.hpp"

namespace py = pybind11;
using namespace htj2k;
using htj2k_bindings::dtype_for;
using htj2k_bindings::type_of;

namespace {

// Python exception classes live in htj2k._errors so they can be documented and
// subclassed in Python; looked up once.
py::object error_class(const char* name) {
  return py::module_::import("htj2k._errors").attr(name);
}

struct InputBytes {
  py::buffer_info info;
  const uint8_t* ptr;
  size_t size;
};

InputBytes input_bytes(const py::buffer& b, const char* what) {
  py::buffer_info info = b.request();
  if (info.ndim != 1 && info.ndim != 0) {
    // allow any C-contiguous buffer of bytes
  }
  if (info.itemsize != 1 && info.ndim > 1)
    throw py::type_error(std::string(what) + ": expected bytes-like data");
  size_t size = size_t(info.size) * size_t(info.itemsize);
  const auto* ptr = static_cast<const uint8_t*>(info.ptr);
  return {std::move(info), ptr, size};
}


// A numpy image (H, W) or (H, W, C) with contiguous rows, as an ImageView.
ImageView image_view(const py::array& a, const char* what) {
  if (a.ndim() != 2 && a.ndim() != 3)
    throw py::value_error(std::string(what) + ": expected a 2-D (H, W) or 3-D (H, W, C) array, got " +
                          std::to_string(a.ndim()) + "-D");
  ImageView v;
  v.type = type_of(a.dtype());
  v.height = uint32_t(a.shape(0));
  v.width = uint32_t(a.shape(1));
  v.num_components = a.ndim() == 3 ? uint32_t(a.shape(2)) : 1;
  const ssize_t item = a.itemsize();
  // Strides of axes of extent 1 carry no meaning (numpy leaves them arbitrary:
  // np.ascontiguousarray(x.T) of a 1xN image has strides (1, N)), so they are not checked.
  auto stride_ok = [&](int axis, ssize_t want) { return a.shape(axis) <= 1 || a.strides(axis) == want; };
  const bool inner_contiguous =
      (a.ndim() == 2 ? stride_ok(1, item)
                     : (stride_ok(2, item) && stride_ok(1, item * ssize_t(v.num_components))));
  if (!inner_contiguous ||
      (a.shape(0) > 1 && (a.strides(0) < 0 || size_t(a.strides(0)) < size_t(item) * v.width * v.num_components)))
    throw py::value_error(std::string(what) + ": rows must be C-contiguous (use numpy.ascontiguousarray)");
  v.row_stride = a.shape(0) > 1 ? size_t(a.strides(0)) : size_t(item) * v.width * v.num_components;
  v.data = a.data();
  return v;
}

py::dict style_dict(const CodingStyle& s) {
  py::dict d;
  static const char* kOrders[] = {"LRCP", "RLCP", "RPCL", "PCRL", "CPRL"};
  d["progression"] = s.progression < 5 ? kOrders[s.progression] : "?";
  d["layers"] = s.layers;
  d["mct"] = s.mct;
  d["levels"] = s.levels;
  d["block_size"] = py::make_tuple(1u << s.log2_cb_w, 1u << s.log2_cb_h);
  d["block_style"] = s.cb_style;
  d["reversible"] = s.transform == 1;
  py::list prec;
  for (uint8_t p : s.precincts) prec.append(py::make_tuple(1u << (p & 15), 1u << (p >> 4)));
  d["precincts"] = prec;  // from the lowest resolution up
  d["user_precincts"] = s.user_precincts;
  d["sop"] = s.sop;
  d["eph"] = s.eph;
  return d;
}

py::dict header_dict(const CodestreamHeader& h, const CodestreamSpan& span) {
  py::dict d;
  d["container"] = container_name(span.container);
  d["codestream_offset"] = span.offset;
  d["codestream_length"] = span.length;
  d["rsiz"] = h.rsiz;
  d["size"] = py::make_tuple(h.xsiz, h.ysiz);
  d["origin"] = py::make_tuple(h.x0, h.y0);
  d["tile_size"] = py::make_tuple(h.tile_w, h.tile_h);
  d["tile_origin"] = py::make_tuple(h.tile_x0, h.tile_y0);
  d["num_tiles"] = py::make_tuple(h.num_tiles_x(), h.num_tiles_y());
  py::list comps;
  for (const auto& c : h.components)
    comps.append(py::make_tuple(c.bit_depth, c.is_signed, c.dx, c.dy));
  d["components"] = comps;
  d["has_cap"] = h.has_cap;
  d["pcap"] = h.pcap;
  d["cod"] = style_dict(h.cod);
  py::dict q;
  q["style"] = h.qcd.style;
  q["guard_bits"] = h.qcd.guard_bits;
  d["qcd"] = q;
  py::list overrides;
  for (const auto& o : h.overrides) {
    py::dict od;
    od["component"] = o.component;
    od["cod"] = o.cod.present ? py::object(style_dict(o.cod)) : py::none();
    od["qcd_style"] = o.qcd.present ? py::object(py::int_(o.qcd.style)) : py::none();
    overrides.append(od);
  }
  d["overrides"] = overrides;
  d["has_rgn"] = h.has_rgn;
  d["has_poc"] = h.has_poc;
  d["has_tlm"] = h.has_tlm;
  d["has_plm"] = h.has_plm;
  d["has_plt"] = h.has_plt;
  d["has_ppm"] = h.has_ppm;
  d["has_crg"] = h.has_crg;
  d["comments"] = h.comments;
  d["num_tile_parts"] = h.tile_parts.size();
  d["main_header_length"] = h.main_header_length;
  d["truncated"] = h.truncated;
  d["has_eoc"] = h.has_eoc;
  py::list levels;  // per component, base (most discarded) first: (w, h)
  for (uint32_t c = 0; c < h.components.size(); ++c) {
    py::list l;
    const uint32_t L = h.style_for(c).levels;
    for (uint32_t r = L + 1; r-- > 0;) l.append(py::make_tuple(level_width(h, c, r), level_height(h, c, r)));
    levels.append(l);
  }
  d["level_sizes"] = levels;
  d["features"] = header_features(h);
  return d;
}

py::list checksum_list(const std::vector<LevelChecksum>& v) {
  py::list out;
  for (const auto& e : v) out.append(py::make_tuple(e.level, e.width, e.height, e.crc));
  return out;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "htj2k C++ core (OpenJPH, ISA-L, Highway)";

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InvalidArgument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const LimitExceeded& e) {
      PyErr_SetString(error_class("LimitExceededError").ptr(), e.what());
    } catch (const UnsupportedCodestream& e) {
      PyErr_SetString(error_class("UnsupportedCodestreamError").ptr(), e.what());
    } catch (const InvalidCodestream& e) {
      PyErr_SetString(error_class("InvalidCodestreamError").ptr(), e.what());
    } catch (const EncodeFailure& e) {
      PyErr_SetString(error_class("EncodeError").ptr(), e.what());
    } catch (const Error& e) {
      PyErr_SetString(error_class("Htj2kError").ptr(), e.what());
    } catch (const std::bad_alloc&) {
      PyErr_SetString(error_class("LimitExceededError").ptr(), "out of memory");
    } catch (const char* s) {  // OpenJPH's mem_fixed_allocator throws a string literal
      PyErr_SetString(error_class("Htj2kError").ptr(), s);
    }
  });

  m.def("openjph_version", [] {
    return py::make_tuple(OPENJPH_VERSION_MAJOR, OPENJPH_VERSION_MINOR, OPENJPH_VERSION_PATCH);
  });
  m.def("features", [] {
    py::dict d;
    d["tlm"] = kOjphHasTlm;
    d["tileparts"] = kOjphHasTlm;
    d["scalar_derived_quantization"] = kOjphDecodesScalarDerived;
    d["coc_qcc"] = kOjphHonoursCoc;
    d["max_bit_depth"] = kOjphMaxEncodeBitDepth;        // encode
    d["openjph_max_decode_bit_depth"] = kOjphMaxBitDepth;  // deeper ones go to OpenJPEG
    // The version gates of backends/openjph/openjph_compat.hpp in force for the linked
    // OpenJPH (each is a measured defect; tests/test_version_gates.py shows it).
    py::dict gates;
    gates["small_band_bugs"] = kOjphSmallBandBugs;
    gates["zero_level_lowest_value_bug"] = kOjphZeroLevelLowestValueBug;
    gates["signed_decode_uninitialised"] = kOjphSignedDecodeUninitialised;
    gates["honours_coc_qcc"] = kOjphHonoursCoc;
    gates["decodes_scalar_derived"] = kOjphDecodesScalarDerived;
    gates["has_tlm"] = kOjphHasTlm;
    gates["max_decode_bit_depth"] = kOjphMaxBitDepth;
    gates["max_encode_bit_depth"] = kOjphMaxEncodeBitDepth;
    d["openjph_gates"] = gates;
    // assert() redirect (backends/openjph/assert_redirect.hpp): only the exact libopenjph we link;
    // OpenJPEG is never hooked (its inputs are pre-checked, codestream/ht_checks.hpp)
    py::dict redirect;
    redirect["openjph"] = install_openjph_assert_hook().state;
    redirect["openjpeg"] = openjpeg_assert_policy();
    d["assert_redirect"] = redirect;
#ifdef HTJ2K_HAVE_OPENJPEG
    d["openjpeg"] = true;
#else
    d["openjpeg"] = false;
#endif
    d["openjpeg_version"] = have_openjpeg() ? py::object(py::str(openjpeg_version_string())) : py::none();
    return d;
  });

  m.def("parse_info", [](py::buffer data) {
    InputBytes in = input_bytes(data, "data");
    CodestreamSpan span;
    CodestreamHeader h;
    {
      py::gil_scoped_release nogil;
      span = locate_codestream(in.ptr, in.size);
      h = parse_header(in.ptr + span.offset, span.length);
    }
    return header_dict(h, span);
  }, py::arg("data"));


  // Which decoder decode(..., decoder=...) would use at `level`: "openjph" or
  // "openjpeg"; raises what decode would raise before decoding when neither can.
  m.def("select_decoder", [](py::buffer data, uint32_t level, const std::string& decoder) {
    InputBytes in = input_bytes(data, "data");
    const DecoderKind requested = parse_decoder(decoder);
    DecoderKind chosen;
    {
      py::gil_scoped_release nogil;
      CodestreamSpan span = locate_codestream(in.ptr, in.size);
      CodestreamHeader h = parse_header(in.ptr + span.offset, span.length);
      chosen = choose_decoder(h, level, requested, in.ptr + span.offset, span.length);
    }
    return std::string(decoder_name(chosen));
  }, py::arg("data"), py::arg("level") = 0, py::arg("decoder") = "auto");

  m.def("decode", [](py::buffer data, uint32_t level, uint64_t max_pixels, py::object out,
                     const std::string& decoder, uint64_t max_memory) {
    InputBytes in = input_bytes(data, "data");
    DecodeOptions opt;
    opt.level = level;
    opt.max_pixels = max_pixels;
    opt.max_memory = max_memory;
    opt.decoder = parse_decoder(decoder);
    std::unique_ptr<FrameDecoder> dec;
    {
      py::gil_scoped_release nogil;
      dec = std::make_unique<FrameDecoder>(in.ptr, in.size, opt);
    }
    if (!dec->interleavable()) throw UnsupportedCodestream(dec->interleave_error());
    const uint32_t h = dec->height(), w = dec->width(), nc = dec->num_components();
    py::dtype dt = dtype_for(dec->interleaved_type());
    std::vector<ssize_t> shape = {ssize_t(h), ssize_t(w)};
    if (nc > 1) shape.push_back(ssize_t(nc));
    py::array arr;
    if (out.is_none()) {
      arr = py::array(dt, shape);
    } else {
      if (!py::isinstance<py::array>(out)) throw py::type_error("out: expected a numpy array");
      arr = py::reinterpret_borrow<py::array>(out);
      if (!arr.dtype().equal(dt))
        throw py::value_error("out: dtype must be " + std::string(py::str(dt)) + ", got " +
                              std::string(py::str(arr.dtype())));
      bool same = arr.ndim() == ssize_t(shape.size());
      for (size_t i = 0; same && i < shape.size(); ++i) same = arr.shape(ssize_t(i)) == shape[i];
      if (!same) throw py::value_error("out: shape must be " + std::string(py::str(py::cast(shape))));
      if (!arr.writeable()) throw py::value_error("out: array is read-only");
    }
    ImageView v = image_view(arr, "out");
    {
      py::gil_scoped_release nogil;
      dec->decode_interleaved(const_cast<void*>(v.data), v.row_stride);
    }
    return arr;
  }, py::arg("data"), py::arg("level") = 0, py::arg("max_pixels") = kDefaultMaxPixels,
     py::arg("out") = py::none(), py::arg("decoder") = "auto", py::arg("max_memory") = kDefaultMaxMemory);

  m.def("decode_planes", [](py::buffer data, uint32_t level, uint64_t max_pixels,
                            const std::string& decoder, uint64_t max_memory) {
    InputBytes in = input_bytes(data, "data");
    DecodeOptions opt;
    opt.level = level;
    opt.max_pixels = max_pixels;
    opt.max_memory = max_memory;
    opt.decoder = parse_decoder(decoder);
    std::unique_ptr<FrameDecoder> dec;
    {
      py::gil_scoped_release nogil;
      dec = std::make_unique<FrameDecoder>(in.ptr, in.size, opt);
    }
    py::list planes;
    std::vector<void*> ptrs;
    std::vector<size_t> strides;
    for (const auto& p : dec->planes()) {
      py::array a(dtype_for(p.type), std::vector<ssize_t>{ssize_t(p.height), ssize_t(p.width)});
      ptrs.push_back(a.mutable_data());
      strides.push_back(size_t(a.strides(0)));
      planes.append(a);
    }
    {
      py::gil_scoped_release nogil;
      dec->decode_planar(ptrs, strides);
    }
    return planes;
  }, py::arg("data"), py::arg("level") = 0, py::arg("max_pixels") = kDefaultMaxPixels,
     py::arg("decoder") = "auto", py::arg("max_memory") = kDefaultMaxMemory);

  m.def("encode", [](py::array array, bool reversible, float qstep, int levels, uint32_t block_w,
                     uint32_t block_h, std::vector<std::pair<uint32_t, uint32_t>> precincts,
                     std::string progression, uint32_t tile_w, uint32_t tile_h, uint32_t bit_depth,
                     int colour_transform, bool tlm, std::string tileparts, bool jph,
                     bool check_tiles) {
    ImageView v = image_view(array, "array");
    EncodeOptions o;
    o.reversible = reversible;
    o.qstep = qstep;
    o.levels = levels;
    o.block_w = block_w;
    o.block_h = block_h;
    o.precincts = std::move(precincts);
    o.progression = std::move(progression);
    o.tile_w = tile_w;
    o.tile_h = tile_h;
    o.bit_depth = bit_depth;
    o.colour_transform = colour_transform;
    o.tlm = tlm;
    o.tileparts = std::move(tileparts);
    o.jph = jph;
    o.check_tiles = check_tiles;
    std::vector<uint8_t> result;
    {
      py::gil_scoped_release nogil;
      result = encode_image(v, o);
    }
    return py::bytes(reinterpret_cast<const char*>(result.data()), result.size());
  }, py::arg("array"), py::arg("reversible") = true, py::arg("qstep") = 0.0f, py::arg("levels") = -1,
     py::arg("block_w") = 64, py::arg("block_h") = 64,
     py::arg("precincts") = std::vector<std::pair<uint32_t, uint32_t>>{},
     py::arg("progression") = "RPCL", py::arg("tile_w") = 0, py::arg("tile_h") = 0,
     py::arg("bit_depth") = 0, py::arg("colour_transform") = -1, py::arg("tlm") = false,
     py::arg("tileparts") = "", py::arg("jph") = false,
     py::arg("check_tiles") = true);  // false: test hook to write vanishing edge tiles

  m.def("max_levels_for_size", &max_levels_for_size);

  m.def("crc32", [](py::buffer data, uint32_t crc) {
    InputBytes in = input_bytes(data, "data");
    py::gil_scoped_release nogil;
    return crc32_update(crc, in.ptr, in.size);
  }, py::arg("data"), py::arg("crc") = 0);

  // -> (list of (level, w, h, crc) base first, (min, max) or None)
  m.def("checksums", [](py::buffer data, std::vector<uint32_t> levels, uint64_t max_pixels, bool with_range,
                        uint64_t max_memory) {
    InputBytes in = input_bytes(data, "data");
    FrameChecksums result;
    {
      py::gil_scoped_release nogil;
      result = frame_checksums(in.ptr, in.size, levels, max_pixels, with_range, max_memory);
    }
    py::object range = result.has_range ? py::object(py::make_tuple(result.min, result.max)) : py::none();
    return py::make_tuple(checksum_list(result.levels), range);
  }, py::arg("data"), py::arg("levels"), py::arg("max_pixels") = kDefaultMaxPixels,
     py::arg("with_range") = false, py::arg("max_memory") = kDefaultMaxMemory);

  m.def("pixel_checksums", [](py::array array, uint32_t max_level, uint32_t bit_depth, int is_signed,
                              bool rct) {
    ImageView v = image_view(array, "array");
    std::vector<LevelChecksum> result;
    {
      py::gil_scoped_release nogil;
      result = pixel_checksums(v, max_level, bit_depth, is_signed, rct);
    }
    return checksum_list(result);
  }, py::arg("array"), py::arg("max_level"), py::arg("bit_depth") = 0, py::arg("is_signed") = -1,
     py::arg("rct") = false);

  // Batch operations (bindings/batch.cpp) and the _kernels test hook (bindings/kernels.cpp).
  htj2k_bindings::register_batch(m);
  htj2k_bindings::register_kernels(m);
}
