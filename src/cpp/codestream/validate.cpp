#include "codestream/validate.hpp"

#include <algorithm>
#include <set>

#include "core/errors.hpp"
#include "backends/openjph/openjph_compat.hpp"

namespace htj2k {

namespace {

#define HTJ2K_STR2(x) #x
#define HTJ2K_STR(x) HTJ2K_STR2(x)
const char* const kOjph = "OpenJPH " HTJ2K_STR(OPENJPH_VERSION_MAJOR) "." HTJ2K_STR(
    OPENJPH_VERSION_MINOR) "." HTJ2K_STR(OPENJPH_VERSION_PATCH);

std::string str(uint64_t v) { return std::to_string(v); }

std::string hex16(uint16_t v) {
  static const char* hex = "0123456789ABCDEF";
  std::string s = "0x";
  for (int shift = 12; shift >= 0; shift -= 4) s += hex[(v >> shift) & 0xF];
  return s;
}

[[noreturn]] void unsupported(const std::string& msg) { throw UnsupportedCodestream(msg); }
[[noreturn]] void invalid(const std::string& msg) { throw InvalidCodestream(msg); }

std::string tp_name(const TilePartInfo& tp) {
  return "tile-part " + str(tp.tpsot) + " of tile " + str(tp.tile);
}

// OpenJPH 0.9 decodes whatever it has and leaves missing code-blocks zero, so a
// stream cut short, or a tile lacking tile-parts, must be refused here.
void check_complete(const CodestreamHeader& h, size_t data_size) {
  if (h.truncated) {
    const std::string has = data_size ? ", data has " + str(data_size) : "";
    if (h.tile_parts.empty())
      invalid("codestream truncated: data ends in the first tile-part header (main header ends at byte " +
              str(h.main_header_length) + ")" + has);
    const TilePartInfo& last = h.tile_parts.back();
    if (last.psot == 0)
      invalid("codestream truncated: " + tp_name(last) +
              " runs to the end of the data (Psot 0) and no EOC follows" + has);
    const uint64_t end = uint64_t(last.offset) + last.psot;
    if (data_size == 0)
      invalid("codestream truncated: " + tp_name(last) + " ends at byte " + str(end) +
              ", past the end of the data or not followed by EOC");
    if (end > data_size)
      invalid("codestream truncated: " + tp_name(last) + " ends at byte " + str(end) +
              ", data has " + str(data_size));
    invalid("codestream truncated: no EOC after " + tp_name(last) + ", which ends at byte " +
            str(end) + has);
  }
  const uint64_t num_tiles = uint64_t(h.num_tiles_x()) * h.num_tiles_y();
  std::vector<uint32_t> count(num_tiles, 0), declared(num_tiles, 0);
  for (const auto& tp : h.tile_parts) {
    if (tp.tile >= num_tiles) continue;  // parse_header refuses these
    ++count[tp.tile];
    declared[tp.tile] = std::max<uint32_t>(declared[tp.tile], tp.tnsot);
  }
  for (uint64_t t = 0; t < num_tiles; ++t) {
    if (count[t] == 0) invalid("codestream incomplete: tile " + str(t) + " has no tile-parts");
    if (declared[t] && count[t] < declared[t])
      invalid("codestream incomplete: tile " + str(t) + " has " + str(count[t]) +
              " tile-parts, TNsot says " + str(declared[t]));
  }
}

void check_code_block_style(uint8_t cb, const std::string& where) {
  // 15444-15: bit 6 (0x40) = HT; with bit 7 (0x80) too, blocks may be HT or Part 1.
  if ((cb & 0xC0) == 0xC0) unsupported("mixed-mode HT code-blocks" + where + "; " + kOjph + " decodes HT code-blocks only");
  if (!(cb & 0x40)) unsupported("non-HT (Part 1) code-blocks" + where + "; " + kOjph + " decodes HT code-blocks only");
}

// style_for()/quant_for() of every component, in O(components + overrides):
// a codestream may have up to 16384 components, each with a COC and a QCC.
struct PerComponent {
  std::vector<const CodingStyle*> style;
  std::vector<const Quantization*> quant;
  explicit PerComponent(const CodestreamHeader& h)
      : style(h.components.size(), &h.cod), quant(h.components.size(), &h.qcd) {
    for (const auto& o : h.overrides) {
      if (o.component >= h.components.size()) continue;
      if (o.cod.present) style[o.component] = &o.cod;
      if (o.qcd.present) quant[o.component] = &o.qcd;
    }
  }
};

const char* progression_name(uint8_t p) {
  static const char* names[] = {"LRCP", "RLCP", "RPCL", "PCRL", "CPRL"};
  return p < 5 ? names[p] : "?";
}

// Tile-component bands OpenJPH < 0.18 gets wrong (measured on 0.9.0): it crashes
// (SIGSEGV in tile::pull) when a tile-component is empty at the requested level
// (odd origins, small edge tiles), and decodes wrong pixels when a 1x1 band is
// decomposed again (more levels than a small image or tile allows). Only
// distinct subsampling factors matter, and tile columns and rows are checked
// separately, so this stays cheap for any tile count.
void check_small_bands(const CodestreamHeader& h, uint32_t level) {
  auto ceil_div = [](uint64_t a, uint64_t b) { return (a + b - 1) / b; };
  const uint32_t ntx = h.num_tiles_x(), nty = h.num_tiles_y();
  // Precincts so small that code-blocks shrink below 4 samples on a side (the
  // code-block exponent is capped by PPx at resolution 0 and PPx-1 above) are
  // decoded wrongly or not at all by OpenJPH 0.9.
  for (uint32_t c = 0; c < h.components.size(); ++c) {
    const CodingStyle& st = h.style_for(c);
    if (!st.user_precincts) continue;
    for (uint32_t r = 0; r < st.precincts.size(); ++r) {
      const uint32_t ppx = st.precincts[r] & 15, ppy = st.precincts[r] >> 4;
      const uint32_t cbw = std::min<uint32_t>(st.log2_cb_w, r ? (ppx ? ppx - 1 : 0) : ppx);
      const uint32_t cbh = std::min<uint32_t>(st.log2_cb_h, r ? (ppy ? ppy - 1 : 0) : ppy);
      // only where a precinct does not already span the whole resolution on
      // that axis (a 128x1 image with 128x2 precincts decodes fine)
      const uint32_t L = st.levels, shift = L - std::min(L, r);
      const uint64_t res_w = (uint64_t(level_width(h, c, 0)) + (uint64_t(1) << shift) - 1) >> shift;
      const uint64_t res_h = (uint64_t(level_height(h, c, 0)) + (uint64_t(1) << shift) - 1) >> shift;
      const bool tiny_w = cbw < 2 && res_w > (uint64_t(1) << ppx);
      const bool tiny_h = cbh < 2 && res_h > (uint64_t(1) << ppy);
      if (tiny_w || tiny_h)
        unsupported("precincts of " + str(1u << ppx) + "x" + str(1u << ppy) + " at resolution " + str(r) +
                    " (component " + str(c) + ") make code-blocks smaller than 4x4; " + kOjph +
                    " decodes them wrongly");
    }
  }
  // Tile-component sizes: with subsampling factors that do not divide the tile
  // size they vary from tile to tile (a 1x64 image in 8x8 tiles with XRsiz 10 has
  // an empty tile-component in tile 4), so every tile column and row is looked at
  // (at most 65535 tiles: cheap). Widths depend on the column only, heights on the row.
  std::set<std::pair<uint32_t, uint32_t>> seen;
  for (uint32_t c = 0; c < h.components.size(); ++c) {
    const auto& comp = h.components[c];
    if (!seen.insert({comp.dx, comp.dy}).second) continue;
    const uint32_t L = h.style_for(c).levels;
    auto extent = [&](uint32_t t, uint64_t grid0, uint64_t tsize, uint64_t img0, uint64_t img1, uint32_t d,
                      uint32_t k) {
      const uint64_t a = std::max<uint64_t>(grid0 + uint64_t(t) * tsize, img0);
      const uint64_t b = std::min<uint64_t>(grid0 + uint64_t(t + 1) * tsize, img1);
      const uint64_t ca = ceil_div(a, d), cb = ceil_div(b, d);
      return ceil_div(cb, uint64_t(1) << k) - ceil_div(ca, uint64_t(1) << k);
    };
    auto w_at = [&](uint32_t tx, uint32_t k) { return extent(tx, h.tile_x0, h.tile_w, h.x0, h.xsiz, comp.dx, k); };
    auto h_at = [&](uint32_t ty, uint32_t k) { return extent(ty, h.tile_y0, h.tile_h, h.y0, h.ysiz, comp.dy, k); };
    auto where = [&](uint32_t tx, uint32_t ty) {
      return "tile " + str(uint64_t(ty) * ntx + tx) + " (component " + str(c) + ", " + str(w_at(tx, 0)) + "x" +
             str(h_at(ty, 0)) + ")";
    };
    for (uint32_t tx = 0; tx < ntx; ++tx)
      if (w_at(tx, level) == 0)
        unsupported(where(tx, 0) + " is empty at level " + str(level) + "; " + kOjph + " cannot decode it");
    for (uint32_t ty = 0; ty < nty; ++ty)
      if (h_at(ty, level) == 0)
        unsupported(where(0, ty) + " is empty at level " + str(level) + "; " + kOjph + " cannot decode it");
    // (a 1x1 tile of a multi-component image decoded wrongly too, so no
    // exception is made for 1x1 tiles)
    for (uint32_t k = 0; k < L; ++k) {
      uint32_t one_x = ntx, one_y = nty;
      for (uint32_t tx = 0; tx < ntx && one_x == ntx; ++tx)
        if (w_at(tx, k) == 1) one_x = tx;
      for (uint32_t ty = 0; ty < nty && one_y == nty; ++ty)
        if (h_at(ty, k) == 1) one_y = ty;
      if (one_x < ntx && one_y < nty)
        unsupported(where(one_x, one_y) + ": " + str(L) + " decomposition levels split a 1x1 band again; " +
                    kOjph + " decodes that wrongly");
    }
  }
}

}  // namespace

void check_codestream_complete(const CodestreamHeader& h, size_t data_size) {
  check_complete(h, data_size);
}

void validate_for_openjph(const CodestreamHeader& h, uint32_t level, size_t data_size) {
  check_complete(h, data_size);

  const uint32_t ncomp = uint32_t(h.components.size());
  const PerComponent pc(h);
  for (uint32_t c = 0; c < ncomp; ++c)
    if (pc.style[c]->transform == 0 && pc.quant[c]->style == 0)
      invalid("irreversible 9/7 transform without quantization (QCD style 0) for component " + str(c));

  // OpenJPH refuses codestreams whose Rsiz lacks the Part 15 capability bit.
  if (!(h.rsiz & 0x4000))
    unsupported("Rsiz " + hex16(h.rsiz) + " lacks the HTJ2K capability bit 14; " + kOjph +
                " reads HTJ2K (Part 15) codestreams only");
#if !HTJ2K_OJPH_AT_LEAST(0, 10)
  // 0.9 refuses any CAP other than Pcap^15 (HTJ2K) alone (measured on 0.9.0 only).
  if (h.has_cap && h.pcap != 0x00020000)
    unsupported("CAP with Pcap other than Part 15 alone; " + std::string(kOjph) + " refuses it");
#endif

  if (h.cod.layers > 1)
    unsupported(str(h.cod.layers) + " quality layers; OpenJPH decodes 1");
  check_code_block_style(h.cod.cb_style, "");
  for (const auto& o : h.overrides)
    if (o.cod.present) check_code_block_style(o.cod.cb_style, " (COC for component " + str(o.component) + ")");

  if (!kOjphDecodesScalarDerived && h.qcd.style == 1)
    unsupported("scalar-derived quantization (QCD style 1); " + std::string(kOjph) + " cannot decode it");
  if (!kOjphDecodesScalarDerived || !kOjphDecodesScalarDerivedQcc)
    for (const auto& o : h.overrides)
      if (o.qcd.present && o.qcd.style == 1)
        unsupported("scalar-derived quantization (QCC style 1, component " + str(o.component) +
                    "); " + kOjph + " cannot decode it");

  if (h.has_rgn) unsupported("RGN (region of interest) in main header; OpenJPH ignores it");
  if (h.has_poc) unsupported("POC (progression order change) in main header; OpenJPH ignores it");
  if (h.has_ppm) unsupported("PPM (packed packet headers) in main header; OpenJPH ignores it");

  if (!kOjphHonoursCoc) {
    for (const auto& o : h.overrides) {
      if (o.cod.present)
        unsupported("COC in main header (component " + str(o.component) + "); " + kOjph + " ignores it");
      if (o.qcd.present)
        unsupported("QCC in main header (component " + str(o.component) + "); " + kOjph +
                    " before 0.11 is not trusted with COC/QCC");
    }
  }

  static const std::set<std::string> kTileHeaderUnsupported = {"COD", "COC", "QCD", "QCC",
                                                               "RGN", "POC", "PPT"};
  for (const auto& tp : h.tile_parts)
    for (const auto& m : tp.header_markers)
      if (kTileHeaderUnsupported.count(m))
        unsupported(m + " in tile-part header of tile " + str(tp.tile) + "; OpenJPH ignores it");

  for (uint32_t c = 0; c < ncomp; ++c)
    if (h.components[c].bit_depth > kOjphMaxBitDepth)
      unsupported("bit depth " + str(h.components[c].bit_depth) + " (component " + str(c) + "); " +
                  kOjph + " decodes up to " + str(kOjphMaxBitDepth) + " bits");

  // OpenJPH 0.9 computes the tile grid and tile rectangles in 32 bits: tiles reaching
  // near 2^32 on the reference grid (XTsiz/YTsiz close to 2^32, found by the fuzzer)
  // leave it with no tiles (SIGSEGV parsing tile 0) or looping at reduced levels.
  const uint64_t grid_end = std::max(uint64_t(h.tile_x0) + uint64_t(h.num_tiles_x()) * h.tile_w,
                                     uint64_t(h.tile_y0) + uint64_t(h.num_tiles_y()) * h.tile_h);
  if (grid_end > (uint64_t(1) << 31))
    unsupported("tiles of " + str(h.tile_w) + "x" + str(h.tile_h) + " reaching " + str(grid_end) +
                " on the reference grid; " + kOjph + " overflows its 32-bit tile arithmetic");

  // `level` resolution levels are discarded; every component must have that many.
  uint32_t min_levels = h.cod.levels;
  for (uint32_t c = 0; c < ncomp; ++c) min_levels = std::min<uint32_t>(min_levels, pc.style[c]->levels);
  if (level > min_levels)
    throw InvalidArgument("level " + str(level) + " requested; the codestream has " + str(min_levels) +
                          " decomposition levels");
  if (kOjphSmallBandBugs) check_small_bands(h, level);
}

std::vector<std::string> header_features(const CodestreamHeader& h) {
  std::vector<std::string> f;
  auto add = [&](bool cond, const std::string& s) {
    if (cond) f.push_back(s);
  };
  const uint32_t ncomp = uint32_t(h.components.size());

  bool mixed_mode = (h.cod.cb_style & 0xC0) == 0xC0;
  for (const auto& o : h.overrides)
    if (o.cod.present && (o.cod.cb_style & 0xC0) == 0xC0) mixed_mode = true;
  if (mixed_mode || h.mixed_ht())
    f.push_back("mixed HT");
  else
    f.push_back(h.all_ht() ? "HT" : "Part 1");

  bool rev = false, irrev = false;
  (h.cod.transform ? rev : irrev) = true;
  for (const auto& o : h.overrides)
    if (o.cod.present) (o.cod.transform ? rev : irrev) = true;
  add(rev, "5/3");
  add(irrev, "9/7");
  add(h.cod.mct != 0, h.cod.transform ? "RCT" : "ICT");
  f.push_back(progression_name(h.cod.progression));
  f.push_back(str(h.cod.levels) + (h.cod.levels == 1 ? " level" : " levels"));
  add(h.cod.layers > 1, str(h.cod.layers) + " layers");
  add(h.cod.log2_cb_w != 6 || h.cod.log2_cb_h != 6,
      "cb " + str(1u << h.cod.log2_cb_w) + "x" + str(1u << h.cod.log2_cb_h));
  add(h.cod.user_precincts, "precincts");
  add(h.cod.sop, "SOP");
  add(h.cod.eph, "EPH");
  bool derived = h.qcd.style == 1;
  for (const auto& o : h.overrides) derived |= o.qcd.present && o.qcd.style == 1;
  add(derived, "derived quant");

  add(ncomp > 1, str(ncomp) + " components");
  bool subsampled = false;
  for (const auto& c : h.components) subsampled |= c.dx != 1 || c.dy != 1;
  add(subsampled, "subsampled");
  add(h.x0 || h.y0, "image offset");
  const uint64_t tiles = uint64_t(h.num_tiles_x()) * h.num_tiles_y();
  add(tiles > 1, "tiles " + str(h.num_tiles_x()) + "x" + str(h.num_tiles_y()));
  add(h.tile_parts.size() > tiles, str(h.tile_parts.size()) + " tile-parts");

  add(h.has_cap, "CAP");
  add(h.has_tlm, "TLM");
  add(h.has_plm, "PLM");
  add(h.has_plt, "PLT");
  add(h.has_ppm, "PPM");
  bool coc = false, qcc = false;
  for (const auto& o : h.overrides) {
    coc |= o.cod.present;
    qcc |= o.qcd.present;
  }
  add(coc, "COC");
  add(qcc, "QCC");
  add(h.has_rgn, "RGN");
  add(h.has_poc, "POC");
  add(h.has_crg, "CRG");
  // Markers in tile-part headers other than PLT (reported above) and COM.
  std::set<std::string> in_tiles;
  for (const auto& tp : h.tile_parts)
    for (const auto& m : tp.header_markers)
      if (m != "PLT" && m != "COM") in_tiles.insert(m);
  for (const auto& m : in_tiles) f.push_back("tile-part " + m);
  add(h.truncated, "truncated");
  return f;
}

}  // namespace htj2k
