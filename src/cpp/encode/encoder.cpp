#include "encode/encoder.hpp"

#include "core/limits.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

#include "backends/openjph/ojph.hpp"

#include "decode/dispatch.hpp"
#include "core/bytes.hpp"
#include "core/errors.hpp"
#include "codestream/header.hpp"
#include "codestream/tileparts.hpp"
#include "codestream/transcode.hpp"
#include "backends/openjph/messages.hpp"
#include "backends/openjph/openjph_compat.hpp"
#include "parallel/thread_pool.hpp"
#include "simd/convert.hpp"
#include "encode/ht_encoder.hpp"
#include "encode/stage_times.hpp"
#include "checksum/frame_checksums.hpp"

namespace htj2k {
namespace {

bool is_pow2(uint32_t v) { return v && !(v & (v - 1)); }

// encode's tileparts ("", "R", "C", "RC") as a division (codestream/tileparts.hpp).
TilePartDivision division_of(const std::string& tileparts) {
  return TilePartDivision{tileparts.find('R') != std::string::npos, tileparts.find('C') != std::string::npos};
}

void check_options(const ImageView& im, const EncodeOptions& o, uint32_t bit_depth) {
  if (progression_index(o.progression) == kNumProgressions)
    throw InvalidArgument("progression: '" + o.progression + "' is not one of LRCP, RLCP, RPCL, PCRL, CPRL");
  if (!is_pow2(o.block_w) || !is_pow2(o.block_h) || o.block_w < kMinBlockSide || o.block_h < kMinBlockSide ||
      o.block_w > kMaxBlockSide || o.block_h > kMaxBlockSide || uint64_t(o.block_w) * o.block_h > kMaxBlockArea)
    throw InvalidArgument("block_size: each side a power of two in 4..1024, area at most 4096; got " +
                          std::to_string(o.block_w) + "x" + std::to_string(o.block_h));
  // Precincts below 8 shrink code-blocks under 4x4, which OpenJPH 0.9 decodes
  // wrongly or not at all; no imaging workflow needs them.
  for (auto& p : o.precincts)
    if (!is_pow2(p.first) || !is_pow2(p.second) || p.first < kMinPrecinctSide || p.second < kMinPrecinctSide ||
        p.first > kMaxPrecinctSide || p.second > kMaxPrecinctSide)
      throw InvalidArgument("precincts: sizes must be powers of two from 8 to 32768, got " +
                            std::to_string(p.first) + "x" + std::to_string(p.second));
  const size_t type_bits = sample_bytes(im.type) * 8;
  if (bit_depth < 1 || bit_depth > type_bits)
    throw InvalidArgument("bit_depth: " + std::to_string(bit_depth) + " does not fit the " +
                          std::to_string(type_bits) + "-bit sample type");
  if (o.colour_transform == 1 && im.num_components < 3)
    throw InvalidArgument("colour_transform: needs 3 or more components");
  if (!o.reversible && o.qstep < 0) throw InvalidArgument("qstep: must be positive");
  // Tile-part divisions must fit the progression order (15444-1 A.4.2: a tile-part
  // holds whole packets in progression order; codestream/tileparts.hpp has the rule).
  // Component divisions under RPCL, any division under PCRL and resolution divisions
  // under CPRL would mean a tile-part per precinct (at most 255 are allowed);
  // OpenJPH >= 0.10 silently drops such divisions with a warning, so they are refused
  // here, on every version, naming the combination. With LRCP/RLCP a component
  // division implies a resolution division too ("C" writes as "RC").
  if (!o.tileparts.empty() && o.tileparts != "R" && o.tileparts != "C" && o.tileparts != "RC")
    throw InvalidArgument("tileparts: expected 'R', 'C' or 'RC', got '" + o.tileparts + "'");
  if (const char* why = tile_part_division_refusal(progression_index(o.progression), division_of(o.tileparts)))
    throw InvalidArgument("tileparts: '" + o.tileparts + "' with " + o.progression + ": " + why);
}

// Why the linked OpenJPH cannot encode with these options ("" when it can).
std::string openjph_refusal(const EncodeOptions& o, uint32_t bit_depth) {
  if (bit_depth > kOjphMaxEncodeBitDepth)
    return "bit_depth: " + std::to_string(bit_depth) + " bits exceeds what the linked OpenJPH encodes correctly (" +
           std::to_string(kOjphMaxEncodeBitDepth) + ")";
  // Where the linked OpenJPH cannot divide tile-parts or write TLM, our tile-part
  // writer (codestream/tileparts.hpp) does both (rewrite_tile_parts_after).
  return "";
}

// TLM and tile-part divisions the linked OpenJPH cannot write, added by our writer.
bool rewrite_tile_parts_after(const EncodeOptions& o) { return !kOjphHasTlm && (o.tlm || !o.tileparts.empty()); }

}  // namespace

namespace {

// SIZ, COD, QCD and the tile-part/TLM requests of one encode.
void configure(ojph::codestream& cs, const ImageView& im, const EncodeOptions& o, uint32_t levels,
               uint32_t coded_depth, bool coded_signed, bool colour) {
  const uint32_t nc = im.num_components;
  ojph::param_siz siz = cs.access_siz();
  siz.set_image_extent(ojph::point(im.width, im.height));
  siz.set_num_components(nc);
  for (uint32_t c = 0; c < nc; ++c)
    siz.set_component(c, ojph::point(1, 1), coded_depth, coded_signed);
  siz.set_image_offset(ojph::point(0, 0));
  siz.set_tile_offset(ojph::point(0, 0));
  siz.set_tile_size(ojph::size(o.tile_w ? o.tile_w : im.width, o.tile_h ? o.tile_h : im.height));

  ojph::param_cod cod = cs.access_cod();
  cod.set_num_decomposition(levels);
  cod.set_block_dims(o.block_w, o.block_h);
  if (!o.precincts.empty()) {
    // OpenJPH indexes precincts from the lowest resolution; ours run from the highest.
    std::vector<ojph::size> p(levels + 1);
    for (uint32_t r = 0; r <= levels; ++r) {
      const size_t k = std::min<size_t>(levels - r, o.precincts.size() - 1);
      p[r] = ojph::size(o.precincts[k].first, o.precincts[k].second);
    }
    cod.set_precinct_size(int(levels + 1), p.data());
  }
  cod.set_progression_order(o.progression.c_str());
  cod.set_color_transform(colour);
  cod.set_reversible(o.reversible);
  if (!o.reversible && o.qstep > 0) cs.access_qcd().set_irrev_quant(o.qstep);
#if HTJ2K_OJPH_AT_LEAST(0, 10)
  if (o.tlm) cs.request_tlm_marker(true);
  if (!o.tileparts.empty())
    cs.set_tilepart_divisions(o.tileparts.find('R') != std::string::npos,
                              o.tileparts.find('C') != std::string::npos);
#endif
}

// Hands OpenJPH every line it asks for, `offset` added to each sample.
void push_lines(ojph::codestream& cs, const ImageView& im, int64_t offset) {
  const uint32_t nc = im.num_components;
  const size_t bytes = sample_bytes(im.type);
  const auto* base = static_cast<const uint8_t*>(im.data);
  std::vector<uint32_t> rows(nc, 0);
  ojph::ui32 c = 0;
  ojph::line_buf* line = cs.exchange(nullptr, c);
  const uint64_t total = uint64_t(im.height) * nc;
  for (uint64_t i = 0; i < total; ++i) {
    if (line == nullptr || c >= nc || rows[c] >= im.height)
      throw EncodeFailure("OpenJPH asked for an unexpected line");
    const uint8_t* src = base + size_t(rows[c]) * im.row_stride + size_t(c) * bytes;
#if HTJ2K_OJPH_AT_LEAST(0, 18)
    if (!(line->flags & ojph::line_buf::LFT_32BIT))
      throw UnsupportedCodestream("bit depth needs 64-bit samples; not supported yet");
#endif
    load_widen(src, im.width, nc, im.type, line->i32);
    if (offset)
      for (uint32_t x = 0; x < im.width; ++x) line->i32[x] = int32_t(int64_t(line->i32[x]) + offset);
    ++rows[c];
    line = cs.exchange(line, c);
  }
}

// Everything we encode we can decode, at every resolution level: a codestream that
// neither linked decoder reads correctly at some level is refused.
void check_decodable(const std::vector<uint8_t>& result, uint32_t levels) {
  try {
    const CodestreamHeader written = parse_header(result.data(), result.size());
    for (uint32_t r = 0; r <= levels; ++r) choose_decoder(written, r, DecoderKind::Auto, result.data(), result.size());
  } catch (const UnsupportedCodestream& e) {
    throw UnsupportedCodestream(std::string("these options give a codestream no linked decoder can decode: ") +
                                e.what());
  } catch (const InvalidCodestream& e) {
    throw EncodeFailure(std::string("OpenJPH wrote a codestream that does not parse: ") + e.what());
  }

}

}  // namespace

std::vector<uint8_t> encode_with_openjph(OjphMessageScope& scope, const ImageView& im,
                                         const EncodeOptions& o, uint32_t levels, uint32_t bit_depth,
                                         bool is_signed, bool colour);
std::vector<uint8_t> finish_codestream(std::vector<uint8_t> result, const ImageView& im, const EncodeOptions& o,
                                       uint32_t levels, uint32_t bit_depth, bool is_signed, bool ours);

bool auto_picks_ours() { return kAutoPicksOurs; }

uint8_t progression_index(const std::string& name) {
  return uint8_t(std::find(std::begin(kProgressionNames), std::end(kProgressionNames), name) -
                 std::begin(kProgressionNames));
}

EncodeOptions::Encoder parse_encoder(const std::string& name) {
  if (name == "auto") return EncodeOptions::Encoder::Auto;
  if (name == "htj2k") return EncodeOptions::Encoder::Htj2k;
  if (name == "openjph") return EncodeOptions::Encoder::Openjph;
  throw InvalidArgument("encoder: expected 'auto', 'htj2k' or 'openjph', got '" + name + "'");
}

uint32_t max_levels_for_size(uint32_t w, uint32_t h) {
  uint32_t m = std::min(w, h);
  uint32_t l = 0;
  while ((m >> (l + 1)) > 0 && l < kMaxLevels) ++l;  // floor(log2(min(w, h)))
  return l;
}

namespace {

// Values outside the declared range are an error, never silently clipped. Row
// bands on up to `threads` threads (a large frame's one serial pass otherwise).
void check_sample_range(const ImageView& im, uint32_t bit_depth, bool is_signed, size_t threads) {
  const uint32_t nc = im.num_components;
  const Range range = nominal_range(bit_depth, is_signed);
  constexpr uint32_t kBandRows = 128;
  const size_t bands = (size_t(im.height) + kBandRows - 1) / kBandRows;
  std::vector<std::pair<int64_t, int64_t>> found(bands, {INT64_MAX, INT64_MIN});
  parallel_for(bands, threads, [&](size_t b) {
    const uint32_t y1 = uint32_t(std::min<size_t>(im.height, (b + 1) * kBandRows));
    for (uint32_t y = uint32_t(b * kBandRows); y < y1; ++y)
      min_max(static_cast<const uint8_t*>(im.data) + size_t(y) * im.row_stride, size_t(im.width) * nc, 1,
              im.type, &found[b].first, &found[b].second);
  });
  int64_t mn = INT64_MAX, mx = INT64_MIN;
  for (const auto& f : found) {
    mn = std::min(mn, f.first);
    mx = std::max(mx, f.second);
  }
  if (mn < range.lo || mx > range.hi)
    throw EncodeFailure("sample values " + std::to_string(mn) + ".." + std::to_string(mx) +
                        " exceed the declared " + std::to_string(bit_depth) + "-bit " +
                        (is_signed ? "signed" : "unsigned") + " range " +
                        std::to_string(range.lo) + ".." + std::to_string(range.hi));
}

// OpenJPH's encode, its failures as htj2k errors, then the common steps.
std::vector<uint8_t> encode_openjph_checked(const ImageView& im, const EncodeOptions& o, uint32_t levels,
                                            uint32_t bit_depth, bool is_signed, bool colour) {
  const std::string ojph_not = openjph_refusal(o, bit_depth);
  if (!ojph_not.empty()) throw UnsupportedCodestream(ojph_not);
  OjphMessageScope scope;
  std::vector<uint8_t> result;
  try {
    result = encode_with_openjph(scope, im, o, levels, bit_depth, is_signed, colour);
  } catch (const EncodeFailure&) {
    throw;
  } catch (const InvalidArgument&) {
    throw;
  } catch (const UnsupportedCodestream&) {
    throw;
  } catch (...) {
    // Anything else from OpenJPH (its errors, failed assertions) is an encode failure.
    try {
      scope.rethrow_as_htj2k(std::current_exception());
    } catch (const Error& e) {
      throw EncodeFailure(e.what());
    }
  }
  return finish_codestream(std::move(result), im, o, levels, bit_depth, is_signed, false);
}

// encode(..., checksums=True) where the encoder did not compute them from its own
// DWT: from the samples for a lossless single-tile encode (the forward 5/3 of the
// whole image is what every level decodes to), else by decoding what was written.
std::vector<LevelCrc> checksums_after_encode(const ImageView& im, const EncodeOptions& o, uint32_t levels,
                                             uint32_t bit_depth, bool is_signed, bool colour,
                                             const std::vector<uint8_t>& written) {
  const bool one_tile = (!o.tile_w || o.tile_w >= im.width) && (!o.tile_h || o.tile_h >= im.height);
  return o.reversible && one_tile
          ? pixel_checksums(im, levels, bit_depth, is_signed ? 1 : 0, colour)
          : frame_checksums(written.data(), written.size(), {},
                            std::max<uint64_t>(kDefaultMaxPixels, uint64_t(im.width) * im.height),  // it was encoded
                            false, std::max<uint64_t>(kDefaultMaxMemory, uint64_t(im.width) * im.height * im.num_components * 16))
                .levels;
}

}  // namespace

std::vector<uint8_t> encode_image(const ImageView& im, const EncodeOptions& o, std::vector<LevelCrc>* level_crcs) {
  if (im.width == 0 || im.height == 0 || im.num_components == 0)
    throw InvalidArgument("image is empty");
  if (im.num_components > kMaxComponents) throw InvalidArgument("too many components");
  StageClock clock(o.stage_times);
  const bool is_signed = sample_signed(im.type);
  const uint32_t bit_depth = o.bit_depth ? o.bit_depth : uint32_t(sample_bytes(im.type) * 8);
  check_options(im, o, bit_depth);

  {
    const uint64_t tw = o.tile_w ? o.tile_w : im.width, th = o.tile_h ? o.tile_h : im.height;
    const uint64_t tiles = ((im.width + tw - 1) / tw) * ((im.height + th - 1) / th);
    if (tiles > kMaxTiles)
      throw InvalidArgument("tile_size: " + std::to_string(tw) + "x" + std::to_string(th) + " makes " +
                            std::to_string(tiles) + " tiles (at most " + std::to_string(kMaxTiles) + ")");
  }
  const uint32_t cap = max_levels_for_size(im.width, im.height);
  uint32_t levels;
  if (o.levels < 0) {
    levels = std::min<uint32_t>(kDefaultLevels, cap);
  } else {
    levels = uint32_t(o.levels);
    if (levels > cap)
      throw InvalidArgument("levels: " + std::to_string(levels) + " exceeds the " +
                            std::to_string(cap) + " a " + std::to_string(im.width) + "x" +
                            std::to_string(im.height) + " image allows");
  }
  // An edge tile narrower than 2^levels vanishes at a reduced resolution.
  // OpenJPH 0.9 cannot decode such a level (decode falls back to OpenJPEG),
  // and for irreversible codestreams OpenJPEG 2.5 fails on them too, so lossy
  // encodes with such tiles are refused.
  for (int axis = 0; axis < (o.check_tiles && !o.reversible ? 2 : 0); ++axis) {
    const uint64_t extent = axis == 0 ? im.width : im.height;
    const uint64_t t = axis == 0 ? (o.tile_w ? o.tile_w : im.width) : (o.tile_h ? o.tile_h : im.height);
    const uint64_t x0 = ((extent + t - 1) / t - 1) * t;  // start of the last tile
    for (uint32_t k = 1; k <= levels; ++k) {
      const uint64_t step = uint64_t(1) << k;
      if ((extent + step - 1) / step == (x0 + step - 1) / step)
        throw InvalidArgument("tile_size: the last tile " + std::string(axis == 0 ? "column" : "row") + " is " +
                              std::to_string(extent - x0) + " samples " + (axis == 0 ? "wide" : "high") +
                              " and vanishes at resolution level " + std::to_string(k) + " of " +
                              std::to_string(levels) + "; use a tile size that divides the image or leaves at "
                              "least 2^levels samples, or fewer levels");
    }
  }
  const bool colour = o.colour_transform < 0 ? im.num_components == 3 : o.colour_transform == 1;
  check_sample_range(im, bit_depth, is_signed, o.threads);

  const std::string ours_not = ht_encoder_refusal(o, bit_depth);
  if (o.encoder == EncodeOptions::Encoder::Htj2k && !ours_not.empty())
    throw UnsupportedCodestream("encoder 'htj2k': " + ours_not);
  const bool ours = o.encoder == EncodeOptions::Encoder::Htj2k ||
                    (o.encoder == EncodeOptions::Encoder::Auto && kAutoPicksOurs && ours_not.empty());
  // Our lossless encoder computes the level checksums from its own DWT pass.
  const bool fused = ours && o.reversible && level_crcs;
  std::vector<uint8_t> written;
  if (ours) {
    clock.mark(&EncodeStageTimes::checks);
    std::vector<uint8_t> bare =  // times its own stages
        encode_with_ht(im, o, levels, bit_depth, is_signed, colour, fused ? level_crcs : nullptr);
    clock.restart();
    written = finish_codestream(std::move(bare), im, o, levels, bit_depth, is_signed, true);
    clock.mark(&EncodeStageTimes::finish);
  } else {
    written = encode_openjph_checked(im, o, levels, bit_depth, is_signed, colour);
  }
  if (level_crcs && !fused)
    *level_crcs = checksums_after_encode(im, o, levels, bit_depth, is_signed, colour, written);
  return written;
}

std::vector<uint8_t> encode_with_openjph(OjphMessageScope& scope, const ImageView& im,
                                         const EncodeOptions& o, uint32_t levels, uint32_t bit_depth,
                                         bool is_signed, bool colour) {
  const uint32_t nc = im.num_components;
  // Some OpenJPH releases mis-code the lowest sample value of the coded range
  // (kOjphZeroLevelLowestValueBug: with 0 decomposition levels, in 1x1 tiles, in
  // 1-sample-wide signed tiles, ...), and 0.21.2's signed 0-level path reads
  // uninitialised memory (valgrind). On those releases every lossless encode hands
  // OpenJPH unsigned samples of coded_depth > bit_depth bits, offset so that after
  // its DC shift (v' - 2^(coded_depth-1)) they are exactly the real DC-shifted
  // samples (v - 2^(bit_depth-1) unsigned, v signed): the bottom of the coded range
  // is never reached, and since the reversible 5/3 DWT and RCT see the same
  // values, the coefficients are the same as for the real depth. SIZ is rewritten
  // to the real depth and signedness afterwards; the QCD exponents (one larger than
  // needed: one more zero bit-plane per code-block) stay valid for any decoder.
  // (At least 3 coded bits: 0.21.2 asserts on 1- and 2-bit 0-level images.)
  const bool widen = kOjphZeroLevelLowestValueBug && o.reversible;
  const uint32_t coded_depth = widen ? std::max<uint32_t>(bit_depth + 1, 3) : bit_depth;
  const int64_t offset =
      widen ? (int64_t(1) << (coded_depth - 1)) - (is_signed ? 0 : int64_t(1) << (bit_depth - 1)) : 0;
  ojph::codestream cs;
  configure(cs, im, o, levels, coded_depth, widen ? false : is_signed, colour);
  // Planar when no colour transform: OpenJPH then asks for whole components in turn.
  cs.set_planar(!colour);

  ojph::mem_outfile out;
  out.open(size_t(1) << 16);
  cs.write_headers(&out);

  push_lines(cs, im, offset);
  cs.flush();
  const size_t n = size_t(out.tell());
  std::vector<uint8_t> result(out.get_data(), out.get_data() + n);
  cs.close();
  for (const auto& m : scope.messages())
    if (m.level >= 2) throw EncodeFailure("OpenJPH: " + m.text);
  if (widen) {
    // SOC, then SIZ: Ssiz of component c at offset 42 + 3c (15444-1 A.5.1).
    if (result.size() < 42 + 3 * size_t(nc) || result[2] != 0xFF || result[3] != 0x51)
      throw EncodeFailure("OpenJPH wrote no SIZ after SOC");
    for (uint32_t c = 0; c < nc; ++c)
      result[42 + 3 * size_t(c)] = uint8_t((bit_depth - 1) | (is_signed ? 0x80 : 0));
  }
  return result;
}

// The steps after either encoder: "everything we write we can decode", tile-part
// divisions and TLM (our tile-part writer; OpenJPH >= 0.10 writes its own),
// PLT (our transcoder), the JPH box.
std::vector<uint8_t> finish_codestream(std::vector<uint8_t> result, const ImageView& im, const EncodeOptions& o,
                                       uint32_t levels, uint32_t bit_depth, bool is_signed, bool ours) {
  const char* who = ours ? "our" : "OpenJPH's";
  check_decodable(result, levels);
  if (ours ? (o.tlm || !o.tileparts.empty()) : rewrite_tile_parts_after(o)) {
    TilePartLayout layout;
    layout.division = division_of(o.tileparts);
    layout.tlm = o.tlm;
    try {
      result = rewrite_tile_parts(result.data(), result.size(), layout);
    } catch (const Error& e) {
      throw EncodeFailure(std::string("writing the tile-parts of ") + who + " codestream: " + e.what());
    }
    check_decodable(result, levels);
  }
  if (o.plt) {  // neither encoder writes PLT: packet lengths added by our transcoder, no packet byte changed
    TranscodeOptions t;
    t.plt = 1;
    const TilePartDivision d = division_of(o.tileparts);  // the tile-parts written above, kept
    t.tile_parts = (d.resolution ? 1 : 0) | (d.component ? 2 : 0);
    try {
      result = transcode(result.data(), result.size(), t);
    } catch (const UnsupportedCodestream& e) {
      throw UnsupportedCodestream(std::string("plt: ") + e.what());
    } catch (const Error& e) {
      throw EncodeFailure(std::string("writing the PLT of ") + who + " codestream: " + e.what());
    }
    check_decodable(result, levels);
  }
  if (o.jph) {
    const uint32_t nc = im.num_components;
    std::vector<std::pair<uint32_t, bool>> ds(nc, {bit_depth, is_signed});
    return wrap_jph(result, im.width, im.height, ds, nc >= 3);
  }
  return result;
}

namespace {
void put_box(std::vector<uint8_t>& out, const char* type, const std::vector<uint8_t>& payload) {
  put32(out, uint32_t(payload.size() + 8));
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), payload.begin(), payload.end());
}
}  // namespace

std::vector<uint8_t> wrap_jph(const std::vector<uint8_t>& codestream, uint32_t width, uint32_t height,
                              const std::vector<std::pair<uint32_t, bool>>& depth_signed, bool colour) {
  std::vector<uint8_t> out = {0, 0, 0, 12, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};
  std::vector<uint8_t> ftyp = {'j', 'p', 'h', ' ', 0, 0, 0, 0, 'j', 'p', 'h', ' '};
  put_box(out, "ftyp", ftyp);

  bool uniform = true;
  for (auto& d : depth_signed) uniform = uniform && d == depth_signed[0];
  auto bpc = [](const std::pair<uint32_t, bool>& d) { return uint8_t((d.first - 1) | (d.second ? 0x80 : 0)); };

  std::vector<uint8_t> ihdr;
  put32(ihdr, height);
  put32(ihdr, width);
  put16(ihdr, uint32_t(depth_signed.size()));
  ihdr.push_back(uniform ? bpc(depth_signed[0]) : 0xFF);
  ihdr.push_back(7);  // compression type: JPEG 2000
  ihdr.push_back(0);  // colourspace known
  ihdr.push_back(0);  // no intellectual property box
  std::vector<uint8_t> jp2h;
  put_box(jp2h, "ihdr", ihdr);
  if (!uniform) {
    std::vector<uint8_t> b;
    for (auto& d : depth_signed) b.push_back(bpc(d));
    put_box(jp2h, "bpcc", b);
  }
  std::vector<uint8_t> colr = {1, 0, 0};  // enumerated colourspace
  put32(colr, colour ? 16 : 17);          // sRGB or greyscale
  put_box(jp2h, "colr", colr);
  put_box(out, "jp2h", jp2h);
  put_box(out, "jp2c", codestream);
  return out;
}

std::vector<uint8_t> wrap_jph(const uint8_t* codestream, size_t size) {
  const CodestreamSpan span = locate_codestream(codestream, size);
  if (span.container != Container::Codestream)
    throw InvalidArgument(std::string("data is a ") + container_name(span.container) + " file already, not a bare codestream");
  const CodestreamHeader h = parse_header(codestream, size);
  std::vector<std::pair<uint32_t, bool>> ds;
  for (const auto& c : h.components) ds.emplace_back(c.bit_depth, c.is_signed);
  return wrap_jph(std::vector<uint8_t>(codestream, codestream + size), h.width(), h.height(), ds, ds.size() >= 3);
}

}  // namespace htj2k
