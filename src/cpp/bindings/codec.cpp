// htj2k._core codec functions: versions and features, header info, decoder
// choice, decode, decode_planes, encode.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <string>

#include "backends/openjph/assert_redirect.hpp"
#include "backends/openjph/openjph_compat.hpp"
#include "bindings/convert.hpp"
#include "bindings/encode_options.hpp"
#include "bindings/register.hpp"
#include "checksum/frame_checksums.hpp"
#include "codestream/header.hpp"
#include "codestream/prefix.hpp"
#include "codestream/layers.hpp"
#include "codestream/transcode.hpp"
#include "codestream/validate.hpp"
#include "core/errors.hpp"
#include "core/limits.hpp"
#include "decode/dispatch.hpp"
#include "decode/frame_decoder.hpp"
#include "encode/encoder.hpp"
#include "encode/ht_encoder.hpp"

namespace py = pybind11;
using namespace htj2k;
using htj2k_bindings::contiguous_bytes;
using htj2k_bindings::dtype_for;
using htj2k_bindings::image_view;
using htj2k_bindings::InputBytes;

namespace {

py::dict style_dict(const CodingStyle& s) {
  py::dict d;
  d["progression"] = s.progression < kNumProgressions ? kProgressionNames[s.progression] : "?";
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

struct LevelRanges {
  std::vector<uint64_t> needed;  // per level r (0 = full): leading bytes of the input that hold it, 0 unknown
  int best = -1;                 // the finest level the data holds
  std::string error;             // why the ranges are not known (empty when they are)
};

// What prefix of the input holds each level (codestream/prefix.hpp); never throws
// for what the packet walk cannot read: the ranges are then unknown, with the reason.
LevelRanges level_ranges(const uint8_t* cs, const CodestreamHeader& h, const CodestreamSpan& span) {
  LevelRanges out;
  try {
    const CodestreamPrefix prefix(cs, span.length, h, span.offset);
    for (uint32_t r = 0; r <= prefix.levels(); ++r) out.needed.push_back(prefix.needed(r));
    out.best = prefix.best();
  } catch (const htj2k::Error& e) {
    out.error = e.what();
    if (!h.truncated) out.best = 0;
  }
  return out;
}

// parse_info(): the header fields, and where each level lies (base first, as level_sizes).
// Which decoder decode(..., decoder=requested) would use at `level` for the parsed
// frame; throws what decode would throw before decoding when neither can. Call
// without the GIL.
DecoderKind decoder_for(const InputBytes& in, const CodestreamSpan& span, const CodestreamHeader& h, uint32_t level,
                        DecoderKind requested) {
  if (h.truncated || needs_joining(h)) {
    // a prefix, or several layers / RGN: the decoder of the completed or joined
    // codestream (codestream/prefix.hpp, codestream/layers.hpp)
    DecodeOptions opt;
    opt.level = level;
    opt.decoder = requested;
    return FrameDecoder(in.ptr, in.size, opt).decoder();
  }
  return choose_decoder(h, level, requested, in.ptr + span.offset, span.length);
}

// The header as a dict and the level ranges; with `with_decoder`, also the decoder
// decode(decoder="auto") uses (at the best level a prefix holds): "decoder", or None
// with "unsupported_reason" -- one parse for all of info(). (Joining several layers
// to tell the decoder is more than split_levels or a verify plan need.)
py::dict info_dict(py::object data, bool with_decoder) {
  InputBytes in = contiguous_bytes(data, "data");
  CodestreamSpan span;
  CodestreamHeader h;
  LevelRanges ranges;
  std::string decoder, unsupported;
  {
    py::gil_scoped_release nogil;
    span = locate_codestream(in.ptr, in.size);
    h = parse_header(in.ptr + span.offset, span.length);
    ranges = level_ranges(in.ptr + span.offset, h, span);
    const uint32_t level = h.truncated && ranges.best >= 0 ? uint32_t(ranges.best) : 0;
    if (with_decoder) {
      try {
        decoder = decoder_name(decoder_for(in, span, h, level, DecoderKind::Auto));
      } catch (const Error& e) {
        unsupported = e.what();
      }
    }
  }
  py::dict d = header_dict(h, span);
  if (with_decoder) {
    d["decoder"] = decoder.empty() ? py::object(py::none()) : py::object(py::str(decoder));
    d["unsupported_reason"] = unsupported.empty() ? py::object(py::none()) : py::object(py::str(unsupported));
  }
  py::list ends;  // base first, as level_sizes
  for (size_t i = ranges.needed.size(); i-- > 0;)
    ends.append(ranges.needed[i] ? py::object(py::int_(ranges.needed[i])) : py::none());
  d["level_ranges"] = ends;
  d["best_level"] = ranges.best >= 0 ? py::object(py::int_(ranges.best)) : py::none();
  d["level_ranges_error"] = ranges.error;
  return d;
}

// Parses and validates one frame with the GIL released.
std::unique_ptr<FrameDecoder> open_frame(const InputBytes& in, const DecodeOptions& opt) {
  py::gil_scoped_release nogil;
  return std::make_unique<FrameDecoder>(in.ptr, in.size, opt);
}

// What encoder="htj2k" (our encoder) supports, and what "auto" picks.
py::dict ht_encoder_features() {
  py::dict e;
  e["encoders"] = py::make_tuple("auto", "htj2k", "openjph");
  e["auto"] = auto_picks_ours() ? "htj2k where it supports the options, else openjph" : "openjph";
  py::dict ours;
  ours["reversible"] = true;
  ours["irreversible"] = true;  // ICT, 9/7, QCD style 2 with OpenJPH's qstep step sizes
  ours["colour_transforms"] = py::make_tuple("RCT", "ICT");
  // as deep as it codes and a linked decoder reads (everything we write we can decode)
  ours["max_bit_depth"] = std::min<unsigned>(kHtEncoderMaxBitDepth, kOjphMaxEncodeBitDepth);
  ours["signed"] = true;
  ours["progressions"] = py::make_tuple("LRCP", "RLCP", "RPCL", "PCRL", "CPRL");
  ours["tiles"] = true;
  ours["precincts"] = true;
  ours["tileparts"] = py::make_tuple("R", "C", "RC");
  ours["tlm"] = true;
  ours["plt"] = true;
  ours["threads"] = true;
  e["htj2k"] = ours;
  return e;
}

}  // namespace

namespace htj2k_bindings {

namespace {

void register_info(py::module_& m) {
  m.def("openjph_version", [] {
    return py::make_tuple(OPENJPH_VERSION_MAJOR, OPENJPH_VERSION_MINOR, OPENJPH_VERSION_PATCH);
  });
  m.def("features", [] {
    py::dict d;
    // TLM and tile-part divisions: our tile-part writer (codestream/tileparts.hpp)
    // after our encoder, and after OpenJPH before 0.10; OpenJPH's own from 0.10.
    d["tlm"] = true;
    d["tileparts"] = true;
    py::list divisions;
    for (const char* name : {"R", "C", "RC"}) divisions.append(name);
    d["tilepart_divisions"] = divisions;
    d["scalar_derived_quantization"] = kOjphDecodesScalarDerived;
    d["coc_qcc"] = kOjphHonoursCoc;
    d["max_bit_depth"] = kOjphMaxEncodeBitDepth;        // encode
    d["openjph_max_decode_bit_depth"] = kOjphMaxBitDepth;  // deeper ones go to OpenJPEG
    // The version gates of backends/openjph/openjph_compat.hpp in force for the linked
    // OpenJPH (each is a measured defect; tests/codec/test_version_gates.py shows it).
    py::dict gates;
    gates["small_band_bugs"] = kOjphSmallBandBugs;
    gates["zero_level_lowest_value_bug"] = kOjphZeroLevelLowestValueBug;
    gates["signed_decode_uninitialised"] = kOjphSignedDecodeUninitialised;
    gates["honours_coc_qcc"] = kOjphHonoursCoc;
    gates["decodes_scalar_derived"] = kOjphDecodesScalarDerived;
    gates["decodes_scalar_derived_qcc"] = kOjphDecodesScalarDerivedQcc;
    gates["reads_placeholder_passes"] = kOjphReadsPlaceholderPasses;
    gates["has_tlm"] = kOjphHasTlm;
    gates["max_decode_bit_depth"] = kOjphMaxBitDepth;
    gates["max_encode_bit_depth"] = kOjphMaxEncodeBitDepth;
    d["openjph_gates"] = gates;
    // assert() redirect (backends/openjph/assert_redirect.hpp): only the exact libopenjph we link;
    // OpenJPEG is never hooked (its inputs are pre-checked, codestream/ht_checks.hpp)
    py::dict redirect;
    redirect["openjph"] = redirect_openjph_asserts().state;
    redirect["openjpeg"] = openjpeg_assert_policy();
    d["assert_redirect"] = redirect;
#ifdef HTJ2K_HAVE_OPENJPEG
    d["openjpeg"] = true;
#else
    d["openjpeg"] = false;
#endif
    d["openjpeg_version"] = have_openjpeg() ? py::object(py::str(openjpeg_version_string())) : py::none();
    d["encoder"] = ht_encoder_features();
    return d;
  });

  m.def("parse_info", &info_dict, py::arg("data"), py::arg("with_decoder") = false);


  // Which decoder decode(..., decoder=...) would use at `level`: "openjph" or
  // "openjpeg"; raises what decode would raise before decoding when neither can.
  m.def("select_decoder", [](py::object data, uint32_t level, const std::string& decoder) {
    InputBytes in = contiguous_bytes(data, "data");
    const DecoderKind requested = parse_decoder(decoder);
    DecoderKind chosen;
    {
      py::gil_scoped_release nogil;
      const CodestreamSpan span = locate_codestream(in.ptr, in.size);
      const CodestreamHeader h = parse_header(in.ptr + span.offset, span.length);
      chosen = decoder_for(in, span, h, level, requested);
    }
    return std::string(decoder_name(chosen));
  }, py::arg("data"), py::arg("level") = 0, py::arg("decoder") = "auto");

}

void register_decode(py::module_& m) {
  // best: decode the finest level the data holds (a prefix of a frame) and return
  // (array, level) instead of the array.
  // checksums: also the checksums of every level (checksum/frame_checksums.hpp
  // decode_with_checksums), returned as (array, rows); level 0 only.
  m.def("decode", [](py::object data, uint32_t level, uint64_t max_pixels, py::object out,
                     const std::string& decoder, uint64_t max_memory, bool best, uint32_t layers,
                     bool checksums) -> py::object {
    if (checksums && (best || level != 0))
      throw InvalidArgument("checksums: the level checksums come with a full-resolution decode (level 0)");
    InputBytes in = contiguous_bytes(data, "data");
    DecodeOptions opt = decode_options(level, max_pixels, decoder, max_memory);
    opt.best_level = best;
    opt.layers = layers;
    std::unique_ptr<FrameDecoder> dec = open_frame(in, opt);
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
    std::vector<LevelCrc> sums;
    {
      py::gil_scoped_release nogil;
      if (checksums) {
        sums = decode_with_checksums(*dec, const_cast<void*>(v.data), v.row_stride, in.ptr, in.size, opt);
      } else {
        dec->decode_interleaved(const_cast<void*>(v.data), v.row_stride);
      }
    }
    if (best) return py::make_tuple(arr, dec->level());
    if (checksums) return py::make_tuple(arr, checksum_rows(sums));
    return std::move(arr);
  }, py::arg("data"), py::arg("level") = 0, py::arg("max_pixels") = kDefaultMaxPixels,
     py::arg("out") = py::none(), py::arg("decoder") = "auto", py::arg("max_memory") = kDefaultMaxMemory,
     py::arg("best") = false, py::arg("layers") = 0, py::arg("checksums") = false);

  m.def("decode_planes", [](py::object data, uint32_t level, uint64_t max_pixels,
                            const std::string& decoder, uint64_t max_memory, bool best, uint32_t layers) -> py::object {
    InputBytes in = contiguous_bytes(data, "data");
    DecodeOptions opt = decode_options(level, max_pixels, decoder, max_memory);
    opt.best_level = best;
    opt.layers = layers;
    std::unique_ptr<FrameDecoder> dec = open_frame(in, opt);
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
    if (best) return py::make_tuple(planes, dec->level());
    return std::move(planes);
  }, py::arg("data"), py::arg("level") = 0, py::arg("max_pixels") = kDefaultMaxPixels,
     py::arg("decoder") = "auto", py::arg("max_memory") = kDefaultMaxMemory, py::arg("best") = false,
     py::arg("layers") = 0);

}

void register_transcode(py::module_& m) {
  // -1 keeps what the input has (see codestream/transcode.hpp).
  m.def("transcode", [](py::object data, int progression, int tile_parts, int tlm, int plt, uint32_t layers) {
    InputBytes in = contiguous_bytes(data, "data");
    TranscodeOptions o;
    o.progression = progression;
    o.tile_parts = tile_parts;
    o.tlm = tlm;
    o.plt = plt;
    o.layers = layers;
    std::vector<uint8_t> out;
    {
      py::gil_scoped_release nogil;
      out = transcode(in.ptr, in.size, o);
    }
    return py::bytes(reinterpret_cast<const char*>(out.data()), out.size());
  }, py::arg("data"), py::arg("progression") = -1, py::arg("tile_parts") = -1, py::arg("tlm") = -1,
     py::arg("plt") = -1, py::arg("layers") = 0);
}

void register_layers(py::module_& m) {
  // The bare one-layer codestream of the first `layers` layers (codestream/layers.hpp).
  m.def("flatten_layers", [](py::object data, uint32_t layers) {
    InputBytes in = contiguous_bytes(data, "data");
    std::vector<uint8_t> out;
    {
      py::gil_scoped_release nogil;
      const CodestreamSpan span = locate_codestream(in.ptr, in.size);
      const uint8_t* cs = in.ptr + span.offset;
      const CodestreamHeader h = parse_header(cs, span.length);
      out = flatten_layers(cs, span.length, h, layers ? layers : h.cod.layers);
    }
    return py::bytes(reinterpret_cast<const char*>(out.data()), out.size());
  }, py::arg("data"), py::arg("layers") = 0);
}

void register_encode(py::module_& m) {
  // A bare codestream in a JPH file (encode/encoder.hpp wrap_jph).
  m.def("wrap_jph", [](py::object data) {
    InputBytes in = contiguous_bytes(data, "data");
    std::vector<uint8_t> out;
    {
      py::gil_scoped_release nogil;
      out = wrap_jph(in.ptr, in.size);
    }
    return py::bytes(reinterpret_cast<const char*>(out.data()), out.size());
  }, py::arg("data"));

  m.def("encode", [](py::array array, const py::dict& options) {
    ImageView v = image_view(array, "array");
    const EncodeOptions o = encode_options(options);
    std::vector<uint8_t> result;
    std::vector<LevelCrc> sums;
    {
      py::gil_scoped_release nogil;
      result = encode_image(v, o, o.checksums ? &sums : nullptr);
    }
    py::bytes data(reinterpret_cast<const char*>(result.data()), result.size());
    if (!o.checksums) return py::object(std::move(data));
    return py::object(py::make_tuple(std::move(data), checksum_rows(sums)));
  }, py::arg("array"), py::arg("options") = py::dict(),
     "Encodes an image with encode()'s keyword options (Python names; None = the default): "
     "bytes, or (bytes, checksum rows (level, width, height, crc) base first) with checksums=True.");

  m.def("max_levels_for_size", &max_levels_for_size);
}

}  // namespace

void register_codec(py::module_& m) {
  register_info(m);
  register_decode(m);
  register_encode(m);
  register_transcode(m);
  register_layers(m);
}

}  // namespace htj2k_bindings
