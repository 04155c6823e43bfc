// Shared by the header/validation gtests (tests/native/test_header_*.cpp): builders
// of hand-made codestreams (segment by segment), an OpenJPH encoder of small test
// images, and EXPECT_THROW_WITH (the exception type and a piece of its message).
#pragma once
// ojph_arch.h first: 0.9's ojph_codestream.h uses OJPH_EXPORT without including it.
#include <openjph/ojph_arch.h>
#include <openjph/ojph_codestream.h>
#include <openjph/ojph_file.h>
#include <openjph/ojph_mem.h>
#include <openjph/ojph_message.h>
#include <openjph/ojph_params.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "backends/openjph/openjph_compat.hpp"
#include "codestream/header.hpp"
#include "codestream/validate.hpp"
#include "core/errors.hpp"

namespace header_test {

using namespace htj2k;
using Bytes = std::vector<uint8_t>;

// Runs fn, expecting exception E whose message contains `needle`.
template <class E>
void expect_throw_with(const char* file, int line, const std::function<void()>& fn,
                       const std::string& needle) {
  try {
    fn();
  } catch (const E& e) {
    if (std::string(e.what()).find(needle) == std::string::npos)
      ADD_FAILURE_AT(file, line) << "message \"" << e.what() << "\" lacks \"" << needle << "\"";
    return;
  } catch (const std::exception& e) {
    ADD_FAILURE_AT(file, line) << "wrong exception type: \"" << e.what() << "\" (wanted \"" << needle << "\")";
    return;
  }
  ADD_FAILURE_AT(file, line) << "no exception (wanted \"" << needle << "\")";
}
#define EXPECT_THROW_WITH(E, expr, needle) \
  ::header_test::expect_throw_with<E>(__FILE__, __LINE__, [&] { expr; }, needle)

// OpenJPH prints INFO/WARN messages; keep the test output readable.
inline const bool kOpenjphQuiet = [] {
  if (FILE* devnull = std::fopen("/dev/null", "w")) {
    ojph::set_info_stream(devnull);
    ojph::set_warning_stream(devnull);
  }
  return true;
}();

inline CodestreamHeader parse(const Bytes& b) { return parse_header(b.data(), b.size()); }

inline bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

inline std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// ---------------------------------------------------------------------------
// Hand-built codestreams

inline void put8(Bytes& b, uint32_t v) { b.push_back(uint8_t(v)); }
inline void put16(Bytes& b, uint32_t v) { put8(b, v >> 8); put8(b, v); }
inline void put32(Bytes& b, uint32_t v) { put16(b, v >> 16); put16(b, v); }
inline void append(Bytes& b, const Bytes& x) { b.insert(b.end(), x.begin(), x.end()); }

inline Bytes seg(uint16_t marker, const Bytes& body) {
  Bytes b;
  put16(b, marker);
  put16(b, uint32_t(body.size() + 2));
  append(b, body);
  return b;
}

struct Comp { uint8_t ssiz = 7, dx = 1, dy = 1; };

struct Spec {
  uint16_t rsiz = 0x4000;
  uint32_t xsiz = 16, ysiz = 16, x0 = 0, y0 = 0, tw = 16, th = 16, tx0 = 0, ty0 = 0;
  std::vector<Comp> comps = {Comp{}};
  int csiz = -1;          // written Csiz when >= 0 (else comps.size())
  int lsiz_delta = 0;     // added to the correct Lsiz
  bool cap = true;
  uint8_t scod = 0, prog = 0, mct = 0;
  uint16_t layers = 1;
  uint8_t levels = 2, xcb = 4, ycb = 4, cb_style = 0x40, transform = 1;
  bool cod = true, qcd = true;
  uint8_t sqcd = 0x20;    // 1 guard bit, no quantization
  int nsteps = -1;        // number of SPqcd entries (default: what the levels need)
  std::vector<Bytes> main_extra;   // segments after QCD
  std::vector<Bytes> tile_header;  // segments in each tile-part header
  size_t payload = 8;              // bytes of "packet data" per tile-part
  bool eoc = true;
};

struct Built {
  Bytes b;
  size_t cod = 0, qcd = 0, first_sot = 0;
  std::vector<size_t> sots;
};

inline Bytes siz_body(const Spec& s) {
  Bytes b;
  put16(b, s.rsiz);
  for (uint32_t v : {s.xsiz, s.ysiz, s.x0, s.y0, s.tw, s.th, s.tx0, s.ty0}) put32(b, v);
  put16(b, s.csiz >= 0 ? uint32_t(s.csiz) : uint32_t(s.comps.size()));
  for (const Comp& c : s.comps) {
    put8(b, c.ssiz);
    put8(b, c.dx);
    put8(b, c.dy);
  }
  return b;
}

inline Bytes cod_body(const Spec& s) {
  Bytes b;
  put8(b, s.scod);
  put8(b, s.prog);
  put16(b, s.layers);
  put8(b, s.mct);
  for (uint8_t v : {s.levels, s.xcb, s.ycb, s.cb_style, s.transform}) put8(b, v);
  if (s.scod & 1)
    for (int r = 0; r <= s.levels; ++r) put8(b, 0x77);
  return b;
}

inline Bytes quant_body(uint8_t sq, int nsteps, unsigned levels) {
  Bytes b;
  put8(b, sq);
  const int style = sq & 0x1F;
  if (nsteps < 0) nsteps = style == 1 ? 1 : int(3 * levels + 1);
  for (int i = 0; i < nsteps; ++i) {
    if (style == 0)
      put8(b, 9 << 3);
    else
      put16(b, 0x4800);
  }
  return b;
}

inline Bytes tile_part(uint16_t tile, uint8_t tp, uint8_t tn, const std::vector<Bytes>& hdr,
                       size_t payload, bool psot_zero = false) {
  Bytes h;
  for (const Bytes& m : hdr) append(h, m);
  Bytes b;
  put16(b, 0xFF90);
  put16(b, 10);
  put16(b, tile);
  put32(b, psot_zero ? 0 : uint32_t(12 + h.size() + 2 + payload));
  put8(b, tp);
  put8(b, tn);
  append(b, h);
  put16(b, 0xFF93);
  for (size_t i = 0; i < payload; ++i) put8(b, uint8_t(0x11 * (i % 7)));
  return b;
}

inline Built build(const Spec& s) {
  Built r;
  Bytes& b = r.b;
  put16(b, 0xFF4F);
  Bytes siz = seg(0xFF51, siz_body(s));
  uint16_t lsiz = uint16_t(siz[2] << 8 | siz[3]);
  lsiz = uint16_t(lsiz + s.lsiz_delta);
  siz[2] = uint8_t(lsiz >> 8);
  siz[3] = uint8_t(lsiz);
  append(b, siz);
  if (s.cap) {
    Bytes cap;
    put32(cap, 0x00020000);
    put16(cap, 0x0003);
    append(b, seg(0xFF50, cap));
  }
  if (s.cod) {
    r.cod = b.size();
    append(b, seg(0xFF52, cod_body(s)));
  }
  if (s.qcd) {
    r.qcd = b.size();
    append(b, seg(0xFF5C, quant_body(s.sqcd, s.nsteps, s.levels)));
  }
  for (const Bytes& m : s.main_extra) append(b, m);
  r.first_sot = b.size();
  uint64_t nx = s.tw ? (uint64_t(s.xsiz) - s.tx0 + s.tw - 1) / s.tw : 1;
  uint64_t ny = s.th ? (uint64_t(s.ysiz) - s.ty0 + s.th - 1) / s.th : 1;
  for (uint64_t t = 0; t < nx * ny && t < 64; ++t) {
    r.sots.push_back(b.size());
    append(b, tile_part(uint16_t(t), 0, 1, s.tile_header, s.payload));
  }
  if (s.eoc) put16(b, 0xFFD9);
  return r;
}

// Segment with a component index sized by Csiz (8-bit when Csiz < 257).
inline Bytes comp_seg(uint16_t marker, size_t csiz, uint16_t comp, const Bytes& rest) {
  Bytes body;
  if (csiz < 257)
    put8(body, comp);
  else
    put16(body, comp);
  append(body, rest);
  return seg(marker, body);
}

inline Bytes coc_rest(uint8_t levels, uint8_t cb_style = 0x40, uint8_t transform = 1) {
  Bytes b;
  put8(b, 0);  // Scoc
  for (uint8_t v : {levels, uint8_t(4), uint8_t(4), cb_style, transform}) put8(b, v);
  return b;
}

// ---------------------------------------------------------------------------
// Codestreams from OpenJPH's encoder

struct Enc {
  uint32_t w = 32, h = 24, x0 = 0, y0 = 0;
  uint32_t ncomp = 1, bit_depth = 8;
  bool is_signed = false;
  std::vector<std::pair<uint32_t, uint32_t>> sub;  // per component (dx, dy), default 1x1
  uint32_t levels = 5, cbw = 64, cbh = 64;
  const char* prog = "RPCL";
  bool color = false, reversible = true;
  float qstep = 0.005f;
  uint32_t tw = 0, th = 0, tx0 = 0, ty0 = 0;
  bool precincts = false;
};

inline Bytes encode(const Enc& e) {
  ojph::codestream cs;
  ojph::param_siz siz = cs.access_siz();
  siz.set_image_extent(ojph::point(e.x0 + e.w, e.y0 + e.h));
  siz.set_image_offset(ojph::point(e.x0, e.y0));
  if (e.tw) {
    siz.set_tile_size(ojph::size(e.tw, e.th));
    siz.set_tile_offset(ojph::point(e.tx0, e.ty0));
  }
  siz.set_num_components(e.ncomp);
  std::vector<uint32_t> cw(e.ncomp), ch(e.ncomp);
  for (uint32_t c = 0; c < e.ncomp; ++c) {
    uint32_t dx = c < e.sub.size() ? e.sub[c].first : 1, dy = c < e.sub.size() ? e.sub[c].second : 1;
    siz.set_component(c, ojph::point(dx, dy), e.bit_depth, e.is_signed);
    cw[c] = (e.x0 + e.w + dx - 1) / dx - (e.x0 + dx - 1) / dx;
    ch[c] = (e.y0 + e.h + dy - 1) / dy - (e.y0 + dy - 1) / dy;
  }
  ojph::param_cod cod = cs.access_cod();
  cod.set_num_decomposition(e.levels);
  cod.set_block_dims(e.cbw, e.cbh);
  cod.set_progression_order(e.prog);
  cod.set_color_transform(e.color);
  cod.set_reversible(e.reversible);
  if (e.precincts) {
    std::vector<ojph::size> p(e.levels + 1, ojph::size(128, 128));
    cod.set_precinct_size(int(p.size()), p.data());
  }
  if (!e.reversible) cs.access_qcd().set_irrev_quant(e.qstep);
  cs.set_planar(!e.color);

  ojph::mem_outfile out;
  out.open();
  cs.write_headers(&out);
  ojph::ui32 next = 0;
  ojph::line_buf* line = cs.exchange(nullptr, next);
  std::vector<uint32_t> row(e.ncomp, 0);
  uint64_t total = 0;
  for (uint32_t c = 0; c < e.ncomp; ++c) total += ch[c];
  const int32_t lo = e.is_signed ? -(1 << (e.bit_depth - 1)) : 0;
  const int32_t span = 1 << e.bit_depth;
  for (uint64_t i = 0; i < total; ++i) {
    const uint32_t y = row[next]++;
    for (uint32_t x = 0; x < cw[next]; ++x)
      line->i32[x] = lo + int32_t((x * 7 + y * 13 + next * 50 + ((x * y) % 11)) % uint32_t(span));
    line = cs.exchange(line, next);
  }
  cs.flush();
  Bytes b(out.get_data(), out.get_data() + out.tell());
  cs.close();
  return b;
}

// Width/height OpenJPH reconstructs for component c after skipping r levels.
inline std::pair<uint32_t, uint32_t> ojph_recon_size(const Bytes& b, uint32_t c, uint32_t r) {
  ojph::codestream cs;
  ojph::mem_infile in;
  in.open(b.data(), b.size());
  cs.read_headers(&in);
  cs.restrict_input_resolution(r, r);
  cs.create();
  ojph::param_siz siz = cs.access_siz();
  std::pair<uint32_t, uint32_t> s{siz.get_recon_width(c), siz.get_recon_height(c)};
  cs.close();
  return s;
}

}  // namespace header_test
