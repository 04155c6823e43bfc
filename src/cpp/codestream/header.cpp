// JPEG 2000 codestream header parser and JP2-family box walker (see header.hpp).
//
// Everything here runs on untrusted bytes before OpenJPH sees them, so every read
// is bounds-checked: marker segments are first checked to lie inside the data, and
// fields are then read through SegmentReader, which refuses to step past the
// segment. Offsets and lengths are combined in uint64_t so nothing can wrap.
#include "codestream/header.hpp"

#include "codestream/markers.hpp"
#include "core/bytes.hpp"
#include "core/limits.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "core/errors.hpp"

namespace htj2k {

namespace {

[[noreturn]] void fail(const std::string& msg) { throw InvalidCodestream(msg); }
// The data ends inside the main header: a prefix too short for anything.
[[noreturn]] void incomplete(const std::string& msg) {
  throw IncompleteCodestream("codestream incomplete: " + msg, 0);
}

// "COD at offset 123: "
std::string at(uint16_t marker, size_t offset) {
  return marker_name(marker) + " at offset " + std::to_string(offset) + ": ";
}

// Reads the fields of one marker segment whose bytes are known to lie in the data.
class SegmentReader {
 public:
  // `p` points at the marker; the segment is 2 (marker) + L bytes.
  SegmentReader(const uint8_t* p, size_t offset, size_t seg_len)
      : p_(p), offset_(offset), end_(seg_len), marker_(be16(p)), lmar_(be16(p + 2)) {}
  uint8_t u8() { need(1); return p_[pos_++]; }
  uint16_t u16() { need(2); uint16_t v = be16(p_ + pos_); pos_ += 2; return v; }
  uint32_t u32() { need(4); uint32_t v = be32(p_ + pos_); pos_ += 4; return v; }
  size_t remaining() const { return end_ - pos_; }
  const uint8_t* cursor() const { return p_ + pos_; }
  void skip(size_t n) { need(n); pos_ += n; }
  uint16_t lmar() const { return lmar_; }
  std::string where() const { return at(marker_, offset_); }
  [[noreturn]] void error(const std::string& what) const { fail(where() + what); }

 private:
  void need(size_t n) const {
    if (end_ - pos_ < n)
      error("segment too short (length field " + std::to_string(lmar_) + ")");
  }
  const uint8_t* p_;
  size_t offset_;
  size_t end_;
  size_t pos_ = 4;  // past marker and length
  uint16_t marker_;
  uint16_t lmar_;
};

uint32_t popcount32(uint32_t v) {
  uint32_t n = 0;
  for (; v; v &= v - 1) ++n;
  return n;
}


// COM text is Latin-1 (Rcom 1); store it as UTF-8 so it can cross into Python as str.
std::string latin1_to_utf8(const uint8_t* p, size_t n) {
  std::string s;
  s.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    uint8_t c = p[i];
    if (c < 0x80) {
      s += char(c);
    } else {
      s += char(0xC0 | (c >> 6));
      s += char(0x80 | (c & 0x3F));
    }
  }
  return s;
}

// Reads SPcod / SPcoc (decomposition levels .. precincts) into `cs`.
void read_spcod(SegmentReader& r, bool user_precincts, CodingStyle& cs) {
  cs.levels = r.u8();
  uint8_t xcb = r.u8(), ycb = r.u8();
  cs.cb_style = r.u8();
  cs.transform = r.u8();
  if (cs.levels > kMaxLevels)
    r.error(std::to_string(cs.levels) + " decomposition levels (at most " + std::to_string(kMaxLevels) + ")");
  // Exponents are stored minus 2; each must be 2..10 and their sum at most 12.
  if (xcb > 8 || ycb > 8 || xcb + ycb > 8)
    r.error("code-block size exponents " + std::to_string(xcb + 2) + "x" +
            std::to_string(ycb + 2) + " out of range (each 2..10, sum <= 12)");
  cs.log2_cb_w = uint8_t(xcb + 2);
  cs.log2_cb_h = uint8_t(ycb + 2);
  if (cs.transform > 1)
    r.error("wavelet transform " + std::to_string(cs.transform) + " (0 = 9/7, 1 = 5/3)");
  cs.user_precincts = user_precincts;
  cs.precincts.assign(size_t(cs.levels) + 1, 0xFF);  // 15/15: default maximal precincts
  if (user_precincts)
    for (auto& pp : cs.precincts) pp = r.u8();
  cs.present = true;
}

// Reads Sqcd/SPqcd (or the QCC equivalents) that remain in the segment.
void read_quant(SegmentReader& r, Quantization& q) {
  uint8_t s = r.u8();
  q.style = s & 0x1F;
  q.guard_bits = uint8_t(s >> 5);
  if (q.style > 2) r.error("quantization style " + std::to_string(q.style) + " (0, 1 or 2)");
  size_t n = r.remaining();
  q.steps.clear();
  if (q.style == 0) {
    for (size_t i = 0; i < n; ++i) q.steps.push_back(r.u8());
  } else {
    if (n % 2) r.error("odd number of bytes (" + std::to_string(n) + ") of 16-bit step sizes");
    for (size_t i = 0; i < n / 2; ++i) q.steps.push_back(r.u16());
  }
  q.present = true;
}

uint16_t read_component_index(SegmentReader& r, size_t csiz) {
  uint16_t c = csiz < 257 ? r.u8() : r.u16();
  if (c >= csiz)
    r.error("component " + std::to_string(c) + " >= Csiz " + std::to_string(csiz));
  return c;
}

void expect_length(const SegmentReader& r, size_t expected) {
  if (r.lmar() != expected)
    r.error("length " + std::to_string(r.lmar()) + ", expected " + std::to_string(expected));
}

RoiShift read_rgn(SegmentReader& r, size_t csiz) {
  RoiShift roi;
  roi.component = read_component_index(r, csiz);
  roi.style = r.u8();
  roi.shift = r.u8();
  expect_length(r, (csiz < 257 ? 1 : 2) + 4);
  return roi;
}

size_t subbands_needed(const Quantization& q, unsigned levels) {
  return q.style == 1 ? 1 : 3 * size_t(levels) + 1;
}

void parse_siz(SegmentReader& r, CodestreamHeader& h) {
  if (r.lmar() < 38) r.error("Lsiz " + std::to_string(r.lmar()) + " too short");
  h.rsiz = r.u16();
  h.xsiz = r.u32();
  h.ysiz = r.u32();
  h.x0 = r.u32();
  h.y0 = r.u32();
  h.tile_w = r.u32();
  h.tile_h = r.u32();
  h.tile_x0 = r.u32();
  h.tile_y0 = r.u32();
  uint32_t csiz = r.u16();
  if (csiz == 0) r.error("Csiz 0");
  if (csiz > kMaxComponents) r.error("Csiz " + std::to_string(csiz) + " (at most " + std::to_string(kMaxComponents) + ")");
  if (r.lmar() != 38 + 3 * csiz)
    r.error("Lsiz " + std::to_string(r.lmar()) + " inconsistent with Csiz " +
            std::to_string(csiz) + " (expected " + std::to_string(38 + 3 * csiz) + ")");
  if (h.xsiz <= h.x0)
    r.error("Xsiz " + std::to_string(h.xsiz) + " <= XOsiz " + std::to_string(h.x0));
  if (h.ysiz <= h.y0)
    r.error("Ysiz " + std::to_string(h.ysiz) + " <= YOsiz " + std::to_string(h.y0));
  if (h.tile_w == 0 || h.tile_h == 0)
    r.error("tile size " + std::to_string(h.tile_w) + "x" + std::to_string(h.tile_h));
  // The first tile must contain the image origin: XTOsiz <= XOsiz < XTOsiz + XTsiz.
  if (h.tile_x0 > h.x0 || uint64_t(h.tile_x0) + h.tile_w <= h.x0)
    r.error("tile origin XTOsiz " + std::to_string(h.tile_x0) + " with XTsiz " +
            std::to_string(h.tile_w) + " does not cover XOsiz " + std::to_string(h.x0));
  if (h.tile_y0 > h.y0 || uint64_t(h.tile_y0) + h.tile_h <= h.y0)
    r.error("tile origin YTOsiz " + std::to_string(h.tile_y0) + " with YTsiz " +
            std::to_string(h.tile_h) + " does not cover YOsiz " + std::to_string(h.y0));
  uint64_t tiles = uint64_t(h.num_tiles_x()) * h.num_tiles_y();
  if (tiles > kMaxTiles) r.error(std::to_string(tiles) + " tiles (at most " + std::to_string(kMaxTiles) + ")");
  h.components.resize(csiz);
  for (uint32_t c = 0; c < csiz; ++c) {
    uint8_t ssiz = r.u8();
    ComponentSiz& comp = h.components[c];
    comp.bit_depth = (ssiz & 0x7Fu) + 1;
    comp.is_signed = (ssiz & 0x80) != 0;
    comp.dx = r.u8();
    comp.dy = r.u8();
    if (comp.bit_depth > 38)
      r.error("component " + std::to_string(c) + " bit depth " +
              std::to_string(comp.bit_depth) + " (at most 38)");
    if (comp.dx == 0 || comp.dy == 0)
      r.error("component " + std::to_string(c) + " subsampling " + std::to_string(comp.dx) +
              "x" + std::to_string(comp.dy));
  }
}

void parse_cap(SegmentReader& r, CodestreamHeader& h) {
  h.pcap = r.u32();
  uint32_t n = popcount32(h.pcap);
  expect_length(r, 6 + 2 * size_t(n));
  h.ccap.clear();
  for (uint32_t i = 0; i < n; ++i) h.ccap.push_back(r.u16());
  h.has_cap = true;
}

void parse_cod(SegmentReader& r, CodingStyle& cs) {
  uint8_t scod = r.u8();
  cs.sop = (scod & 2) != 0;
  cs.eph = (scod & 4) != 0;
  cs.progression = r.u8();
  cs.layers = r.u16();
  cs.mct = r.u8();
  if (cs.progression > 4)
    r.error("progression order " + std::to_string(cs.progression) + " (at most 4)");
  if (cs.layers == 0) r.error("0 quality layers");
  read_spcod(r, scod & 1, cs);
  expect_length(r, 12 + (cs.user_precincts ? size_t(cs.levels) + 1 : 0));
}

// Where each main-header marker was, for messages about checks that can only be
// made once the whole main header is known.
struct MainHeaderOffsets {
  size_t cod = 0, qcd = 0;
  std::vector<size_t> qcc;     // parallel to CodestreamHeader::overrides
  std::vector<int32_t> index;  // per component: its entry in overrides, or -1
};

// Index of the COC/QCC override entry of component c, added if new. (Indexed, not
// searched: up to 16384 components could each have one.)
size_t override_for(CodestreamHeader& h, MainHeaderOffsets& off, uint16_t c) {
  if (off.index.size() < h.components.size()) off.index.resize(h.components.size(), -1);
  if (off.index[c] >= 0) return size_t(off.index[c]);
  off.index[c] = int32_t(h.overrides.size());
  h.overrides.emplace_back();
  h.overrides.back().component = c;
  off.qcc.push_back(0);
  return h.overrides.size() - 1;
}

// TLM (A.7.1): Ztlm, Stlm (ST = bits 4-5: Ttlm bytes, 0..2; SP = bit 6: Ptlm on 2 or
// 4 bytes), then (Ttlm, Ptlm) pairs. Never an error: a malformed one clears tlm_ok.
void parse_tlm(SegmentReader& r, CodestreamHeader& h) {
  h.has_tlm = true;
  if (!h.tlm_ok || r.remaining() < 2) {
    h.tlm_ok = false;
    return;
  }
  const uint8_t z = r.u8(), stlm = r.u8();
  const unsigned st = (stlm >> 4) & 3, sp = (stlm >> 6) & 1;
  const size_t entry = st + (sp ? 4 : 2);
  // Segments are read in codestream order, so their Ztlm must count 0, 1, 2...
  if (st == 3 || (stlm & 0x8F) || r.remaining() % entry || z != h.tlm_segments) {
    h.tlm_ok = false;
    return;
  }
  while (r.remaining()) {
    TlmEntry e;
    e.tile = st == 0 ? uint32_t(h.tlm.size()) : st == 1 ? r.u8() : r.u16();
    e.length = sp ? r.u32() : r.u16();
    h.tlm.push_back(e);
  }
  ++h.tlm_segments;
}

// Long by nature: one loop over the main-header marker segments, one case per marker (15444-1 A.2-A.9).
size_t parse_main_header(const uint8_t* cs, size_t size, CodestreamHeader& h) {
  static const uint8_t kSocSiz[4] = {0xFF, 0x4F, 0xFF, 0x51};
  if (size > 0 && size < 4 && std::memcmp(cs, kSocSiz, size) == 0)
    incomplete("the data ends after " + std::to_string(size) + " bytes, inside the SOC/SIZ markers");
  if (size < 2 || be16(cs) != kSOC) fail("not a JPEG 2000 codestream: no SOC marker at offset 0");
  if (size < 4 || be16(cs + 2) != kSIZ) fail("SIZ must follow SOC at offset 2");

  MainHeaderOffsets off;
  bool have_siz = false;
  size_t pos = 2;
  while (true) {
    if (size - pos < 2)
      incomplete("main header not terminated by SOT: data ends at offset " + std::to_string(size));
    uint16_t m = be16(cs + pos);
    if ((m >> 8) != 0xFF || m < 0xFF30)
      fail("main header not terminated by SOT: expected a marker at offset " +
           std::to_string(pos) + ", found " + hex16(m));
    if (m == kSOT) break;
    if (is_lengthless(m)) {
      if (m >= 0xFF30 && m <= 0xFF3F) {  // reserved, skip
        pos += 2;
        continue;
      }
      fail("main header not terminated by SOT: " + marker_name(m) + " at offset " +
           std::to_string(pos));
    }
    if (size - pos < 4) incomplete(at(m, pos) + "length field runs past end of data");
    uint16_t lmar = be16(cs + pos + 2);
    if (lmar < 2) fail(at(m, pos) + "length " + std::to_string(lmar));
    if (uint64_t(pos) + 2 + lmar > size)
      incomplete(at(m, pos) + "length " + std::to_string(lmar) + " runs past end of data (" +
           std::to_string(size) + " bytes)");
    SegmentReader r(cs + pos, pos, size_t(lmar) + 2);
    const size_t csiz = h.components.size();
    switch (m) {
      case kSIZ:
        if (have_siz) r.error("second SIZ");
        parse_siz(r, h);
        have_siz = true;
        break;
      case kCAP:
        if (h.has_cap) r.error("second CAP");
        parse_cap(r, h);
        break;
      case kCOD:
        if (h.cod.present) r.error("second COD in the main header");
        parse_cod(r, h.cod);
        off.cod = pos;
        break;
      case kCOC: {
        uint16_t c = read_component_index(r, csiz);
        ComponentOverride& o = h.overrides[override_for(h, off, c)];
        if (o.cod.present) r.error("second COC for component " + std::to_string(c));
        uint8_t scoc = r.u8();
        read_spcod(r, scoc & 1, o.cod);
        expect_length(r, (csiz < 257 ? 1 : 2) + 6 +
                             (o.cod.user_precincts ? size_t(o.cod.levels) + 1 : 0) + 2);
        break;
      }
      case kQCD:
        if (h.qcd.present) r.error("second QCD in the main header");
        read_quant(r, h.qcd);
        off.qcd = pos;
        break;
      case kQCC: {
        uint16_t c = read_component_index(r, csiz);
        size_t i = override_for(h, off, c);
        ComponentOverride& o = h.overrides[i];
        if (o.qcd.present) r.error("second QCC for component " + std::to_string(c));
        read_quant(r, o.qcd);
        off.qcc[i] = pos;
        break;
      }
      case kRGN:
        h.rgn.push_back(read_rgn(r, csiz));
        h.has_rgn = true;
        break;
      case kPOC: h.has_poc = true; break;
      case kTLM:
        parse_tlm(r, h);
        break;
      case kPLM: h.has_plm = true; break;
      case kPPM: h.has_ppm = true; break;
      case kCRG: h.has_crg = true; break;
      case kCOM: {
        uint16_t rcom = r.u16();
        if (rcom == 1) h.comments.push_back(latin1_to_utf8(r.cursor(), r.remaining()));
        break;
      }
      case kPLT:
      case kPPT:
        r.error("not allowed in the main header");
      default:  // CPF, PRF and unknown segments carry nothing we need
        break;
    }
    pos += size_t(lmar) + 2;
  }
  h.main_header_length = pos;

  if (!h.cod.present) fail("main header has no COD before the first SOT at offset " + std::to_string(pos));
  if (!h.qcd.present) fail("main header has no QCD before the first SOT at offset " + std::to_string(pos));

  // The colour transform combines components 0..2 sample by sample, so they must
  // be sampled alike (15444-1 G.2: same XRsiz/YRsiz). OpenJPH 0.9.0 spins forever
  // in codestream::pull on such streams (fuzzer find); refused for every decoder.
  if (h.cod.mct && h.components.size() >= 3)
    for (uint32_t c = 1; c < 3; ++c)
      if (h.components[c].dx != h.components[0].dx || h.components[c].dy != h.components[0].dy)
        fail(at(kCOD, off.cod) + "multiple component transform on components 0..2 with different " +
             "subsampling (component " + std::to_string(c) + " is " + std::to_string(h.components[c].dx) +
             "x" + std::to_string(h.components[c].dy) + ", component 0 " +
             std::to_string(h.components[0].dx) + "x" + std::to_string(h.components[0].dy) + ")");

  // A COC only carries SPcoc; progression, layers, MCT and SOP/EPH come from COD.
  for (auto& o : h.overrides) {
    if (!o.cod.present) continue;
    o.cod.progression = h.cod.progression;
    o.cod.layers = h.cod.layers;
    o.cod.mct = h.cod.mct;
    o.cod.sop = h.cod.sop;
    o.cod.eph = h.cod.eph;
  }
  // Each component's quantization must list a step for every subband it has.
  off.index.resize(h.components.size(), -1);
  for (uint32_t c = 0; c < h.components.size(); ++c) {
    const ComponentOverride* o = off.index[c] >= 0 ? &h.overrides[size_t(off.index[c])] : nullptr;
    const bool own_qcc = o && o->qcd.present;
    const Quantization& q = own_qcc ? o->qcd : h.qcd;
    const unsigned levels = (o && o->cod.present ? o->cod : h.cod).levels;
    const size_t need = subbands_needed(q, levels);
    if (q.steps.size() >= need) continue;
    fail(at(own_qcc ? kQCC : kQCD, own_qcc ? off.qcc[size_t(off.index[c])] : off.qcd) +
         std::to_string(q.steps.size()) + " step sizes for component " + std::to_string(c) +
         " with " + std::to_string(levels) + " decomposition levels (need " +
         std::to_string(need) + ")");
  }
  return pos;
}

// Walks tile-parts from the first SOT (at `pos`) via Psot.
// Long by nature: one loop over the tile-parts, each check beside the SOT/tile-part field it reads (A.4.2).
void walk_tile_parts(const uint8_t* cs, size_t size, size_t pos, CodestreamHeader& h) {
  const uint64_t num_tiles = uint64_t(h.num_tiles_x()) * h.num_tiles_y();
  while (true) {
    // `pos` is at an SOT marker.
    if (size - pos < 12) {  // SOT segment cut short
      h.truncated = true;
      return;
    }
    SegmentReader sot(cs + pos, pos, 12);
    if (sot.lmar() != 10) sot.error("Lsot " + std::to_string(sot.lmar()) + " (must be 10)");
    TilePartInfo tp;
    tp.offset = pos;
    tp.tile = sot.u16();
    tp.psot = sot.u32();
    tp.tpsot = sot.u8();
    tp.tnsot = sot.u8();
    if (tp.tile >= num_tiles)
      sot.error("tile index " + std::to_string(tp.tile) + " >= number of tiles " +
                std::to_string(num_tiles));
    // TPsot >= TNsot is tolerated: some writers (GDCM) get TNsot wrong, and
    // completeness is judged by validation (fewer tile-parts than TNsot).
    if (tp.psot != 0 && tp.psot < 14)
      sot.error("Psot " + std::to_string(tp.psot) + " shorter than SOT + SOD (14 bytes)");

    // Declared end of the tile-part; Psot 0 runs to the end of the data.
    const uint64_t end = tp.psot ? uint64_t(pos) + tp.psot : uint64_t(size);
    const std::string tile_ctx = " in the tile-part header of tile " + std::to_string(tp.tile) +
                                 " (SOT at offset " + std::to_string(pos) + ")";

    // Tile-part header: marker segments up to SOD.
    size_t q = pos + 12;
    bool cut = false;
    while (true) {
      if (tp.psot && end <= size && uint64_t(q) + 2 > end)
        fail(at(kSOT, pos) + "no SOD before the end of the tile-part at offset " +
             std::to_string(end));
      if (size - q < 2) {
        cut = true;
        break;
      }
      uint16_t m = be16(cs + q);
      if (m == kSOD) break;
      if ((m >> 8) != 0xFF || m < 0xFF30)
        fail("expected a marker at offset " + std::to_string(q) + tile_ctx + ", found " +
             hex16(m));
      if (m >= 0xFF30 && m <= 0xFF3F) {
        q += 2;
        continue;
      }
      switch (m) {
        case kSOC: case kSIZ: case kCAP: case kTLM: case kPLM: case kPPM: case kCRG:
        case kSOT: case kEOC: case kSOP: case kEPH:
          fail(marker_name(m) + " at offset " + std::to_string(q) + tile_ctx +
               " before SOD");
        default:
          break;
      }
      if (size - q < 4) {
        cut = true;
        break;
      }
      uint16_t lmar = be16(cs + q + 2);
      if (lmar < 2) fail(at(m, q) + "length " + std::to_string(lmar) + tile_ctx);
      const uint64_t seg_end = uint64_t(q) + 2 + lmar;
      if (tp.psot && seg_end > end)
        fail(at(m, q) + "length " + std::to_string(lmar) + " runs past the end of the tile-part" +
             tile_ctx + " at offset " + std::to_string(end));
      if (seg_end > size) {
        cut = true;
        break;
      }
      tp.header_markers.push_back(marker_name(m));
      if (m == kPLT) h.has_plt = true;
      if (m == kRGN) {
        SegmentReader r(cs + q, q, size_t(lmar) + 2);
        tp.rgn.push_back(read_rgn(r, h.components.size()));
      }
      q = size_t(seg_end);
    }
    h.tile_parts.push_back(std::move(tp));
    const TilePartInfo& last = h.tile_parts.back();

    if (cut) {  // data ended inside the tile-part header
      h.truncated = true;
      return;
    }
    if (last.psot == 0) {
      // Runs to the end of the data; EOC, if there, is its last two bytes.
      if (size - q >= 4 && be16(cs + size - 2) == kEOC)
        h.has_eoc = true;
      else
        h.truncated = true;
      return;
    }
    if (end >= size) {  // cut inside the tile-part, or no room for EOC after it
      h.truncated = true;
      return;
    }
    pos = size_t(end);
    if (size - pos < 2) {
      h.truncated = true;
      return;
    }
    uint16_t next = be16(cs + pos);
    if (next == kEOC) {
      h.has_eoc = true;  // bytes after EOC, if any, are not ours to judge
      return;
    }
    if (next != kSOT)
      fail("expected SOT or EOC at offset " + std::to_string(pos) + " after tile-part " +
           std::to_string(last.tpsot) + " of tile " + std::to_string(last.tile) +
           " (Psot " + std::to_string(last.psot) + "), found " + hex16(next));
  }
}

}  // namespace

CodestreamHeader parse_header(const uint8_t* cs, size_t size) {
  if (!cs) size = 0;
  CodestreamHeader h;
  size_t first_sot = parse_main_header(cs, size, h);
  walk_tile_parts(cs, size, first_sot, h);
  return h;
}

}  // namespace htj2k
