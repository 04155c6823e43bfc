// Tier-2 packet-header pre-parse (see packets.hpp). Written from ISO/IEC 15444-1
// Annex B (B.6 precincts, B.7 code-blocks, B.9-B.10 packet headers, B.12 progression
// orders) and 15444-15 (HT codeword segments); OpenJPH's reader was consulted only to
// confirm which bits it consumes, so that our packet boundaries are its boundaries.
//
// Everything runs on untrusted bytes: every read is bounds-checked against the end of
// the tile-part, every loop is bounded by the declared geometry or by the bytes it
// consumes, and sizes are combined in uint64_t.
#include "codestream/packets.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "backends/openjph/openjph_compat.hpp"

namespace htj2k {

namespace {

using u64 = uint64_t;

constexpr uint16_t kSOD = 0xFF93, kSOP = 0xFF91, kEPH = 0xFF92, kEOC = 0xFFD9;

#define HTJ2K_PK_STR2(x) #x
#define HTJ2K_PK_STR(x) HTJ2K_PK_STR2(x)
const char* const kOjph = "OpenJPH " HTJ2K_PK_STR(OPENJPH_VERSION_MAJOR) "." HTJ2K_PK_STR(
    OPENJPH_VERSION_MINOR) "." HTJ2K_PK_STR(OPENJPH_VERSION_PATCH);

// OpenJPH reads the segment lengths of a code-block contributing more than 3 coding
// passes (HT placeholder passes) as if it had at most 3 (0.9.0 and 0.21.2 predate
// placeholder-pass decoding, aous72/OpenJPH PR #191, August 2025). No release we
// link has been measured to read them, so they are refused on every one until a
// measurement opens this gate.
constexpr bool kOjphReadsPlaceholderPasses = false;

// No sample has more magnitude bit-planes than G + epsilon - 1 <= 7 + 31 - 1.
constexpr int kMaxMagnitudeBits = 37;

inline uint16_t be16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }
std::string str(u64 v) { return std::to_string(v); }
inline u64 ceil_shift(u64 v, unsigned k) { return (v + (u64(1) << k) - 1) >> k; }  // k <= 40
inline u64 ceil_div(u64 a, u64 b) { return (a + b - 1) / b; }
unsigned ceil_log2(u64 v) {
  unsigned k = 0;
  while ((u64(1) << k) < v) ++k;
  return k;
}
unsigned floor_log2(u64 v) {
  unsigned k = 0;
  while (v >>= 1) ++k;
  return k;
}

const char* const kBandName[4] = {"LL", "HL", "LH", "HH"};

// One tile-part's packet data: from after SOD to the end given by Psot.
struct Part {
  size_t begin = 0, end = 0;
  uint32_t tpsot = 0;
};

struct BandGeom {
  uint8_t kind = 0;              // 0 LL, 1 HL, 2 LH, 3 HH
  u64 x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // extent in band coordinates
  unsigned cbw = 0, cbh = 0;     // code-block exponents xcb', ycb'
  int mb = kMaxMagnitudeBits;    // magnitude bit-planes Mb (bound on zero bit-planes)
};

// One resolution of one tile-component.
struct ResGeom {
  uint32_t c = 0, r = 0;
  u64 x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // extent in resolution coordinates
  unsigned ppx = 15, ppy = 15;         // precinct exponents (resolution coordinates)
  unsigned pbx = 15, pby = 15;         // precinct exponents in band coordinates
  u64 kx0 = 0, ky0 = 0;                // index of the first precinct across / down
  u64 npx = 0, npy = 0;                // precincts across / down
  u64 gx = 1, gy = 1;                  // reference-grid size of a resolution sample
  unsigned nbands = 0;
  BandGeom band[3];
};

struct PacketRef {
  uint32_t res = 0;    // index into the tile's ResGeom list
  uint32_t px = 0, py = 0;
  u64 y = 0, x = 0;    // reference-grid position of the precinct (B.12.1.3-5)
  bool has_cb = false;
};

// Magnitude bit-planes Mb = G + epsilon_b - 1 of band `kind` at resolution r
// (15444-1 E.1, E-5 for scalar derived); -1 when it cannot be told.
int magnitude_bits(const Quantization& q, unsigned levels, unsigned r, unsigned kind) {
  int eps;
  if (q.style == 1) {
    if (q.steps.empty()) return -1;
    const int nb = r == 0 ? int(levels) : int(levels - r + 1);
    eps = int(q.steps[0] >> 11) - int(levels) + nb;
  } else {
    const size_t idx = r == 0 ? 0 : 1 + 3 * size_t(r - 1) + (kind - 1);
    if (idx >= q.steps.size()) return -1;
    eps = q.style == 0 ? int(q.steps[idx] >> 3) : int(q.steps[idx] >> 11);
  }
  const int mb = int(q.guard_bits) + eps - 1;
  return mb < 0 ? -1 : std::min(mb, kMaxMagnitudeBits);
}

class PacketChecker {
 public:
  // opj: the walk for OpenJPEG (packets.hpp check_packets_for_openjpeg): `pocs` gives
  // the progression (empty: COD's), no OpenJPH quirk is looked for, and check_mel
  // adds the MEL check of ht_checks.hpp to every cleanup segment.
  PacketChecker(const uint8_t* cs, size_t size, const CodestreamHeader& h, bool opj = false,
                const std::vector<ProgressionChange>* pocs = nullptr, bool check_mel = false)
      : cs_(cs), size_(size), h_(h), opj_(opj), mel_(check_mel) {
    if (pocs) pocs_ = *pocs;
    const size_t nc = h.components.size();
    style_.assign(nc, &h.cod);
    quant_.assign(nc, &h.qcd);
    for (const auto& o : h.overrides) {
      if (o.component >= nc) continue;
      if (o.cod.present) style_[o.component] = &o.cod;
      if (o.qcd.present) quant_[o.component] = &o.qcd;
    }
  }

  void run() {
    const u64 num_tiles = u64(h_.num_tiles_x()) * h_.num_tiles_y();
    // Tile-parts of each tile in codestream order; packets continue across them.
    std::vector<std::vector<Part>> parts(num_tiles);
    for (const auto& tp : h_.tile_parts) {
      if (tp.tile >= num_tiles) continue;  // parse_header refuses these
      parts[tp.tile].push_back(locate_body(tp));
    }
    for (u64 t = 0; t < num_tiles; ++t) check_tile(uint32_t(t), parts[t]);
  }

 private:
  // ---------------------------------------------------------------- geometry

  Part locate_body(const TilePartInfo& tp) const {
    const std::string where = "tile-part " + str(tp.tpsot) + " of tile " + str(tp.tile) +
                              " (SOT at byte " + str(tp.offset) + ")";
    u64 end = tp.psot ? u64(tp.offset) + tp.psot : u64(size_);
    if (!tp.psot && h_.has_eoc && size_ >= 2 && be16(cs_ + size_ - 2) == kEOC) end = size_ - 2;
    if (end > size_) throw InvalidCodestream("codestream truncated: " + where + " ends at byte " + str(end));
    size_t q = tp.offset + 12;  // past SOT
    while (true) {
      if (u64(q) + 2 > end) throw InvalidCodestream(where + ": no SOD before the end of the tile-part");
      const uint16_t m = be16(cs_ + q);
      if (m == kSOD) break;
      if (m >= 0xFF30 && m <= 0xFF3F) {
        q += 2;
        continue;
      }
      if (u64(q) + 4 > end) throw InvalidCodestream(where + ": marker segment at byte " + str(q) + " runs past its end");
      q += 2 + size_t(be16(cs_ + q + 2));
    }
    Part p;
    p.begin = q + 2;
    p.end = size_t(end);
    p.tpsot = tp.tpsot;
    return p;
  }

  // Resolutions of every component of tile t (B.5, B.6, B.7, B.15), component-major.
  void tile_geometry(uint32_t t) {
    res_.clear();
    const uint32_t ntx = h_.num_tiles_x();
    const u64 p = t % ntx, q = t / ntx;
    tx0_ = std::max<u64>(u64(h_.tile_x0) + p * h_.tile_w, h_.x0);
    tx1_ = std::min<u64>(u64(h_.tile_x0) + (p + 1) * h_.tile_w, h_.xsiz);
    ty0_ = std::max<u64>(u64(h_.tile_y0) + q * h_.tile_h, h_.y0);
    ty1_ = std::min<u64>(u64(h_.tile_y0) + (q + 1) * h_.tile_h, h_.ysiz);
    for (uint32_t c = 0; c < h_.components.size(); ++c) {
      const ComponentSiz& comp = h_.components[c];
      const u64 tcx0 = ceil_div(tx0_, comp.dx), tcx1 = ceil_div(tx1_, comp.dx);
      const u64 tcy0 = ceil_div(ty0_, comp.dy), tcy1 = ceil_div(ty1_, comp.dy);
      if (tcx0 >= tcx1 || tcy0 >= tcy1) continue;  // empty tile-component: no packets
      const CodingStyle& st = *style_[c];
      const Quantization& qu = *quant_[c];
      const unsigned levels = st.levels;
      for (unsigned r = 0; r <= levels; ++r) {
        ResGeom g;
        g.c = c;
        g.r = r;
        const unsigned s = levels - r;
        g.x0 = ceil_shift(tcx0, s);
        g.x1 = ceil_shift(tcx1, s);
        g.y0 = ceil_shift(tcy0, s);
        g.y1 = ceil_shift(tcy1, s);
        const uint8_t pp = r < st.precincts.size() ? st.precincts[r] : 0xFF;
        g.ppx = pp & 15;
        g.ppy = pp >> 4;
        if (r > 0 && (g.ppx == 0 || g.ppy == 0))
          throw InvalidCodestream("precinct size exponents " + str(g.ppx) + "x" + str(g.ppy) + " at resolution " +
                                  str(r) + " of component " + str(c) +
                                  ": only the lowest resolution may have exponent 0 (15444-1 A.6.1)");
        g.pbx = r ? g.ppx - 1 : g.ppx;
        g.pby = r ? g.ppy - 1 : g.ppy;
        g.gx = u64(comp.dx) << s;
        g.gy = u64(comp.dy) << s;
        if (g.x1 > g.x0 && g.y1 > g.y0) {
          g.kx0 = g.x0 >> g.ppx;
          g.ky0 = g.y0 >> g.ppy;
          g.npx = ceil_shift(g.x1, g.ppx) - g.kx0;
          g.npy = ceil_shift(g.y1, g.ppy) - g.ky0;
        }
        const unsigned cbw = std::min<unsigned>(st.log2_cb_w, g.pbx);
        const unsigned cbh = std::min<unsigned>(st.log2_cb_h, g.pby);
        if (r == 0) {
          g.nbands = 1;
          BandGeom& b = g.band[0];
          b.kind = 0;
          b.x0 = g.x0, b.x1 = g.x1, b.y0 = g.y0, b.y1 = g.y1;
          b.cbw = cbw, b.cbh = cbh;
          b.mb = magnitude_bits(qu, levels, 0, 0);
        } else {
          g.nbands = 3;
          for (unsigned k = 1; k <= 3; ++k) {
            BandGeom& b = g.band[k - 1];
            const unsigned xo = k & 1, yo = k >> 1;
            b.kind = uint8_t(k);
            // ceil((trx - xo) / 2), the band's extent (B-15 at one level)
            b.x0 = (g.x0 + 1 - xo) >> 1;
            b.x1 = (g.x1 + 1 - xo) >> 1;
            b.y0 = (g.y0 + 1 - yo) >> 1;
            b.y1 = (g.y1 + 1 - yo) >> 1;
            b.cbw = cbw, b.cbh = cbh;
            b.mb = magnitude_bits(qu, levels, r, k);
          }
        }
        res_.push_back(g);
      }
    }
  }

  // Code-block index range of band b within precinct (kx, ky); false when empty.
  static bool precinct_blocks(const ResGeom& g, const BandGeom& b, u64 kx, u64 ky, u64& cx0, u64& cy0, u64& ncx,
                              u64& ncy) {
    const u64 x0 = std::max(kx << g.pbx, b.x0), x1 = std::min((kx + 1) << g.pbx, b.x1);
    const u64 y0 = std::max(ky << g.pby, b.y0), y1 = std::min((ky + 1) << g.pby, b.y1);
    if (x0 >= x1 || y0 >= y1) return false;
    cx0 = x0 >> b.cbw;
    cy0 = y0 >> b.cbh;
    ncx = ceil_shift(x1, b.cbw) - cx0;
    ncy = ceil_shift(y1, b.cbh) - cy0;
    return true;
  }

  // ---------------------------------------------------------------- progression

  // The tile's packets in progression order (B.12; one quality layer, so LRCP and
  // RLCP coincide). Position orders visit each precinct at the reference-grid
  // position of its top-left corner, clipped to the tile origin (B.12.1.3-5).
  void order_packets(uint32_t t, u64 data_bytes) {
    packets_.clear();
    // Every packet with code-blocks takes at least one byte (its first header bit);
    // only the last precinct of a resolution can lack code-blocks. Refuse before
    // listing packets the data cannot hold, so nothing here grows with a bogus size.
    u64 total = 0;
    const u64 limit = data_bytes + res_.size();
    for (const ResGeom& g : res_) {
      total += g.npx && g.npy ? std::min<u64>(g.npx * g.npy, limit + 1) : 0;  // npx, npy < 2^32
      if (total > limit)
        throw InvalidCodestream("tile " + str(t) + " has more packets than its " + str(data_bytes) +
                                " bytes of packet data can hold (component " + str(g.c) + ", resolution " +
                                str(g.r) + " alone has " + str(g.npx) + "x" + str(g.npy) + " precincts)");
    }
    packets_.reserve(size_t(total));
    if (pocs_.empty()) {
      append_volume(h_.cod.progression, 0, ~0u, 0, ~0u, nullptr);
      return;
    }
    // POC (B.12.2, as OpenJPEG 2.5 reads it): each entry walks its volume in its
    // own order; packets an earlier entry already walked are skipped, and packets
    // no entry covers are not read at all.
    std::vector<std::vector<uint8_t>> done(res_.size());
    for (size_t i = 0; i < res_.size(); ++i) done[i].assign(size_t(res_[i].npx * res_[i].npy), 0);
    for (const ProgressionChange& poc : pocs_)
      if (poc.layer_end > 0) append_volume(poc.progression, poc.res_start, poc.res_end, poc.comp_start, poc.comp_end, &done);
  }

  // The packets of resolutions [r0, r1) of components [c0, c1) in progression order
  // `prog` (B.12; one quality layer, so LRCP and RLCP coincide). Position orders visit
  // each precinct at the reference-grid position of its top-left corner, clipped to
  // the tile origin (B.12.1.3-5). With `done`, packets marked there are skipped and
  // the others marked.
  void append_volume(uint8_t prog, uint32_t r0, uint32_t r1, uint32_t c0, uint32_t c1,
                     std::vector<std::vector<uint8_t>>* done) {
    std::vector<uint32_t> sel;
    for (uint32_t i = 0; i < res_.size(); ++i)
      if (res_[i].r >= r0 && res_[i].r < r1 && res_[i].c >= c0 && res_[i].c < c1) sel.push_back(i);
    auto emit = [&](const PacketRef& pk) {
      if (done) {
        uint8_t& d = (*done)[pk.res][size_t(u64(pk.py) * res_[pk.res].npx + pk.px)];
        if (d) return;
        d = 1;
      }
      packets_.push_back(pk);
    };
    // Each resolution's precincts in raster order are in (y, x) order; the position
    // orders merge these streams, ties going to the lower (component, resolution),
    // which is the lower index in res_.
    unsigned max_r = 0;
    for (uint32_t i : sel) max_r = std::max(max_r, res_[i].r);
    std::vector<std::vector<uint32_t>> groups;
    switch (prog) {
      case 0:    // LRCP
      case 1: {  // RLCP: r, c, precincts in raster order
        std::vector<std::vector<uint32_t>> by_r(max_r + 1);
        for (uint32_t i : sel) by_r[res_[i].r].push_back(i);
        for (const auto& group : by_r)
          for (uint32_t i : group) {
            const ResGeom& g = res_[i];
            for (u64 py = 0; py < g.npy; ++py)
              for (u64 px = 0; px < g.npx; ++px) emit(make_packet(i, px, py));
          }
        return;
      }
      case 2:  // RPCL: r, then (y, x, c)
        groups.resize(max_r + 1);
        for (uint32_t i : sel) groups[res_[i].r].push_back(i);
        break;
      case 3:  // PCRL: (y, x, c, r)
        groups.resize(1);
        for (uint32_t i : sel) groups[0].push_back(i);
        break;
      default:  // CPRL: c, then (y, x, r)
        for (size_t k = 0; k < sel.size(); ++k) {
          if (k == 0 || res_[sel[k]].c != res_[sel[k - 1]].c) groups.emplace_back();
          groups.back().push_back(sel[k]);
        }
        break;
    }
    struct Stream {
      PacketRef next;
      u64 px, py;
    };
    std::vector<Stream> heap;
    // std::*_heap keep the greatest first: "less" means "comes later".
    auto later = [](const Stream& a, const Stream& b) {
      if (a.next.y != b.next.y) return a.next.y > b.next.y;
      if (a.next.x != b.next.x) return a.next.x > b.next.x;
      return a.next.res > b.next.res;
    };
    for (const auto& group : groups) {
      heap.clear();
      for (uint32_t i : group)
        if (res_[i].npx && res_[i].npy) heap.push_back(Stream{make_packet(i, 0, 0), 0, 0});
      std::make_heap(heap.begin(), heap.end(), later);
      while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), later);
        Stream& s = heap.back();
        emit(s.next);
        const ResGeom& g = res_[s.next.res];
        if (++s.px == g.npx) {
          s.px = 0;
          ++s.py;
        }
        if (s.py == g.npy) {
          heap.pop_back();
          continue;
        }
        s.next = make_packet(s.next.res, s.px, s.py);
        std::push_heap(heap.begin(), heap.end(), later);
      }
    }
  }

  PacketRef make_packet(uint32_t i, u64 px, u64 py) const {
    const ResGeom& g = res_[i];
    PacketRef pk;
    pk.res = i;
    pk.px = uint32_t(px);
    pk.py = uint32_t(py);
    pk.x = std::max(((g.kx0 + px) << g.ppx) * g.gx, tx0_);
    pk.y = std::max(((g.ky0 + py) << g.ppy) * g.gy, ty0_);
    for (unsigned k = 0; k < g.nbands && !pk.has_cb; ++k) {
      u64 a, b, n, m;
      pk.has_cb = precinct_blocks(g, g.band[k], g.kx0 + px, g.ky0 + py, a, b, n, m);
    }
    return pk;
  }

  // ---------------------------------------------------------------- packets

  struct Block {  // an included code-block of the packet being parsed
    u64 len0 = 0, len1 = 0;  // cleanup segment, SigProp/MagRef segment
    uint8_t band = 0;
    u64 cbx = 0, cby = 0;
    unsigned zbp = 0, passes = 0;
    size_t packet = 0, offset = 0;  // packet index in the tile, where its bytes start
    bool operator==(const Block& o) const {
      return len0 == o.len0 && len1 == o.len1 && band == o.band && cbx == o.cbx && cby == o.cby && zbp == o.zbp &&
             passes == o.passes && packet == o.packet && offset == o.offset;
    }
  };

  struct Context {
    uint32_t tile = 0;
    const ResGeom* g = nullptr;
    const PacketRef* pk = nullptr;
    const Part* part = nullptr;
    int band = -1;            // index into g->band, or -1
    u64 cbx = 0, cby = 0;     // code-block (absolute index in the band)
  };

  std::string describe(const Context& x) const {
    std::string s = "packet of tile " + str(x.tile) + ", component " + str(x.g->c) + ", resolution " + str(x.g->r) +
                    ", precinct " + str(u64(x.pk->py) * x.g->npx + x.pk->px);
    if (x.band >= 0)
      s += ", band " + std::string(kBandName[x.g->band[x.band].kind]) + " code-block (" + str(x.cbx) + "," +
           str(x.cby) + ")";
    return s;
  }

  [[noreturn]] void fail(const Context& x, size_t offset, const std::string& what) const {
    throw InvalidCodestream(describe(x) + " at byte " + str(offset) + ": " + what);
  }

  std::string part_end(const Context& x) const {
    return "tile-part " + str(x.part->tpsot) + " ends at byte " + str(x.part->end);
  }

  // Packet-header bit reader (B.10.1): after a 0xFF byte the next byte carries a
  // stuffed 0 in its MSB and 7 header bits.
  struct Bits {
    const uint8_t* cs;
    size_t pos, end;
    unsigned byte = 0;
    int avail = 0;
    bool after_ff = false;
  };

  [[noreturn]] __attribute__((noinline, cold)) void bad_byte(const Bits& b, const Context& x) const {
    if (b.pos >= b.end) fail(x, b.pos, "packet header runs past the end of the tile-part (" + part_end(x) + ")");
    fail(x, b.pos, "packet header byte 0x" + hex2(b.cs[b.pos]) +
                       " follows 0xFF without the stuffed 0 bit (15444-1 B.10.1)");
  }

  inline void next_byte(Bits& b, const Context& x) const {
    if (b.pos >= b.end) bad_byte(b, x);
    const unsigned v = b.cs[b.pos];
    if (b.after_ff) {
      if (v & 0x80) bad_byte(b, x);
      b.avail = 7;
    } else {
      b.avail = 8;
    }
    ++b.pos;
    b.byte = v;
    b.after_ff = v == 0xFF;
  }

  inline unsigned bit(Bits& b, const Context& x) const {
    if (b.avail == 0) next_byte(b, x);
    return (b.byte >> --b.avail) & 1u;
  }

  inline uint32_t bits(Bits& b, unsigned n, const Context& x) const {  // n <= 32
    uint32_t v = 0;
    while (n) {
      if (b.avail == 0) next_byte(b, x);
      const unsigned take = std::min<unsigned>(unsigned(b.avail), n);
      b.avail -= int(take);
      n -= take;
      v = uint32_t((u64(v) << take) | ((b.byte >> b.avail) & ((1u << take) - 1)));
    }
    return v;
  }

  // Reads 0 bits up to the next 1 bit and returns how many 0s there were; stops
  // early once more than `cap` 0s are seen (returns a count > cap).
  inline unsigned zeros_then_one(Bits& b, const Context& x, unsigned cap) const {
    unsigned n = 0;
    while (true) {
      if (b.avail == 0) next_byte(b, x);
      const unsigned window = b.byte & ((1u << b.avail) - 1);  // the unread bits
      if (window == 0) {
        n += unsigned(b.avail);
        b.avail = 0;
        if (n > cap) return n;
        continue;
      }
      const int top = 31 - __builtin_clz(window);  // the first 1 bit
      n += unsigned(b.avail - 1 - top);
      b.avail = top;
      return n;
    }
  }

  // Reads 1 bits up to the next 0 bit (a comma code); as above with cap.
  inline unsigned ones_then_zero(Bits& b, const Context& x, unsigned cap) const {
    unsigned n = 0;
    while (true) {
      if (b.avail == 0) next_byte(b, x);
      const unsigned window = ~b.byte & ((1u << b.avail) - 1);  // unread bits, inverted
      if (window == 0) {
        n += unsigned(b.avail);
        b.avail = 0;
        if (n > cap) return n;
        continue;
      }
      const int top = 31 - __builtin_clz(window);
      n += unsigned(b.avail - 1 - top);
      b.avail = top;
      return n;
    }
  }

  static std::string hex2(unsigned v) {
    static const char* hex = "0123456789ABCDEF";
    return std::string{hex[(v >> 4) & 15], hex[v & 15]};
  }

  // Parses the packet starting at `pos` in part x.part; returns where it ends.
  size_t parse_packet(Context& x, size_t pos) {
    const ResGeom& g = *x.g;
    const CodingStyle& st = *style_[g.c];
    const size_t end = x.part->end;
    const size_t start = pos;
    // SOP (optional per packet when Scod allows it): FF91, Lsop = 4, Nsop.
    if (st.sop && end - pos >= 2 && be16(cs_ + pos) == kSOP) {
      if (end - pos < 6) fail(x, pos, "SOP marker segment runs past the end of the tile-part (" + part_end(x) + ")");
      const uint16_t lsop = be16(cs_ + pos + 2);
      if (lsop != 4) fail(x, pos, "SOP length " + str(lsop) + " (must be 4)");
      pos += 6;
    }
    Bits b{cs_, pos, end};
    u64 body = 0;  // code-block bytes declared by the header
    blocks_.clear();
    if (bit(b, x)) {  // zero-length packet bit: 1 = non-empty
      for (unsigned k = 0; k < g.nbands; ++k) {
        u64 cx0, cy0, ncx, ncy;
        if (!precinct_blocks(g, g.band[k], g.kx0 + x.pk->px, g.ky0 + x.pk->py, cx0, cy0, ncx, ncy)) continue;
        x.band = int(k);
        parse_band(x, b, g.band[k], cx0, cy0, ncx, ncy, body);
      }
      x.band = -1;
    }
    // The header ends on a byte boundary; a final 0xFF is followed by a stuffed byte.
    if (b.after_ff) next_byte(b, x);
    pos = b.pos;
    if (st.eph) {
      if (end - pos < 2 || be16(cs_ + pos) != kEPH)
        fail(x, pos, end - pos < 2 ? "EPH marker missing: the tile-part ends (" + part_end(x) + ")"
                                   : "EPH marker expected after the packet header (Scod bit 2), found 0x" +
                                         hex2(cs_[pos]) + hex2(cs_[pos + 1]));
      pos += 2;
    }
    if (body > end - pos)
      fail(x, start,
           "packet header (" + str(pos - start) + " bytes) declares " + str(body) + " bytes of code-block data, only " +
               str(end - pos) + " are left (" + part_end(x) + ")");
    check_cleanup_segments(x, pos);
    return pos + size_t(body);
  }

  // Each HT cleanup segment ends with Scup, its MEL/VLC suffix length (15444-15):
  // Lcup >= 2 and 2 <= Scup <= min(Lcup, 4079). Bodies follow the header in the
  // order the header lists the code-blocks.
  void check_cleanup_segments(Context& x, size_t pos) {
    for (Block& blk : blocks_) {
      blk.offset = pos;
      x.band = blk.band;
      x.cbx = blk.cbx;
      x.cby = blk.cby;
      if (blk.len0 < 2) fail(x, pos, "HT cleanup segment of " + str(blk.len0) + " bytes (at least 2)");
      const size_t last = pos + size_t(blk.len0) - 1;
      const unsigned scup = (unsigned(cs_[last]) << 4) | (cs_[last - 1] & 15u);
      if (scup < 2 || scup > std::min<u64>(blk.len0, 4079))
        fail(x, last - 1, "HT cleanup segment of " + str(blk.len0) + " bytes ends with Scup " + str(scup) +
                              " (must be 2.." + str(std::min<u64>(blk.len0, 4079)) + ")");
      if (mel_) check_mel_start(x, pos, size_t(blk.len0), scup);
      pos += size_t(blk.len0 + blk.len1);
    }
    x.band = -1;
  }

  // OpenJPEG 2.5.0 mel_init() (ht_dec.c:319) reads the first 1..4 bytes of the MEL
  // segment, which starts Scup bytes before the end of the cleanup segment, one by
  // one -- how many depends on the address of its buffer -- and asserts
  // "melp->unstuff == OPJ_FALSE || melp->data[0] <= 0x8F": after a byte read as
  // 0xFF (the byte before the last of MEL+VLC counts with its low nibble set; once
  // the Scup-1 bytes are used up it reads 0xFF and keeps pointing at the last byte)
  // the next one must not exceed 0x8F. Its four reads are replayed here, a
  // superset of any alignment. A valid MEL segment never breaks this (15444-15
  // stuffs a 0 bit after every 0xFF), and OpenJPEG >= 2.5.1 refuses it too
  // ("Incorrect MEL segment sequence").
  void check_mel_start(const Context& x, size_t seg, size_t lcup, unsigned scup) const {
    size_t p = seg + lcup - scup;
    int left = int(scup) - 1;
    bool unstuff = false;
    for (int i = 0; i < 4; ++i) {
      if (unstuff && cs_[p] > 0x8F)
        fail(x, p, "HT MEL segment (Scup " + str(scup) + ") has byte 0x" + hex2(cs_[p]) +
                       " after one read as 0xFF, where a stuffed 0 bit is required (15444-15 MEL "
                       "bit-stuffing; OpenJPEG 2.5.0 asserts on it)");
      unsigned d = left > 0 ? cs_[p] : 0xFFu;
      if (left == 1) d |= 0xFu;
      if (left > 0) ++p;
      --left;
      unstuff = d == 0xFFu;
    }
  }

  // The code-blocks of band-precinct `bd` (ncx x ncy of them, from (cx0, cy0)):
  // inclusion tag tree (B.10.2, B.10.4) for layer 0, zero bit-plane tag tree (B.10.5),
  // coding passes (B.10.6), Lblock (B.10.7.1) and the HT segment lengths.
  void parse_band(Context& x, Bits& b, const BandGeom& bd, u64 cx0, u64 cy0, u64 ncx, u64 ncy, u64& body) {
    const unsigned levels = 1 + std::max(ceil_log2(ncx), ceil_log2(ncy));
    // Nodes above the leaves only (a leaf is visited once): level k has
    // ceil(ncx/2^k) x ceil(ncy/2^k) nodes. inc: 0 unknown, 1 value 0 (included),
    // 2 value >= 1 (not in layer 0). zbp: 0xFFFF unknown, else the value.
    size_t nodes = 0;
    for (unsigned k = 1; k < levels; ++k) {
      off_[k] = nodes;
      nodes += size_t(ceil_shift(ncx, k) * ceil_shift(ncy, k));
    }
    inc_.assign(nodes, 0);
    zbp_.assign(nodes, 0xFFFF);
    const size_t end = x.part->end;
    // (OpenJPEG: tile-part QCD/QCC may change Mb, and OpenJPEG refuses too many
    // missing bit-planes itself, so only the absolute bound applies.)
    const int limit = bd.mb >= 0 && !opj_ ? bd.mb : kMaxMagnitudeBits;
    for (u64 y = 0; y < ncy; ++y) {
      for (u64 xx = 0; xx < ncx;) {
        x.cbx = cx0 + xx;
        x.cby = cy0 + y;
        // Inclusion: walk down from the root; a node not in layer 0 excludes every
        // leaf below it, so the rest of its span on this row is skipped at once.
        bool included = true;
        unsigned skip_level = 0;
        for (unsigned k = levels; k-- > 0;) {
          if (k == 0) {
            included = bit(b, x) != 0;
            break;
          }
          uint8_t& node = inc_[off_[k] + size_t((y >> k) * ceil_shift(ncx, k) + (xx >> k))];
          if (node == 0) node = bit(b, x) ? 1 : 2;
          if (node == 2) {
            included = false;
            skip_level = k;
            break;
          }
        }
        if (!included) {
          xx = skip_level ? ((xx >> skip_level) + 1) << skip_level : xx + 1;
          continue;
        }
        // Zero bit-planes: each node's value is at least its parent's; 0 bits count up.
        unsigned value = 0;
        for (unsigned k = levels; k-- > 0;) {
          uint16_t* node = k ? &zbp_[off_[k] + size_t((y >> k) * ceil_shift(ncx, k) + (xx >> k))] : nullptr;
          if (node && *node != 0xFFFF) {
            value = *node;
            continue;
          }
          value += zeros_then_one(b, x, unsigned(limit) + 1 - value);
          if (int(value) > limit)
            fail(x, b.pos, "more than " + str(unsigned(limit)) + " missing bit-planes (the band has " +
                               str(unsigned(limit)) + " magnitude bit-planes)");
          if (node) *node = uint16_t(value);
        }
        // Number of coding passes (Table B.4).
        unsigned passes = 1;
        if (bit(b, x)) {
          passes = 2;
          if (bit(b, x)) {
            const unsigned v2 = bits(b, 2, x);
            passes = 3 + v2;
            if (v2 == 3) {
              const unsigned v5 = bits(b, 5, x);
              passes = 6 + v5;
              if (v5 == 31) passes = 37 + bits(b, 7, x);
            }
          }
        }
        // Lblock (comma code), then the HT segment lengths: the cleanup segment
        // (with any placeholder passes before it) and, for 2 or 3 passes of the
        // last HT set, the SigProp/MagRef segment.
        const unsigned lblock = 3 + ones_then_zero(b, x, 30);
        if (lblock > 32) fail(x, b.pos, "Lblock grows past 32 bits: code-block lengths cannot be that wide");
        unsigned bits0 = lblock, bits1 = 0;
        if (passes > 3 && opj_)
          throw UnsupportedCodestream(describe(x) + " at byte " + str(b.pos) + ": " + str(passes) +
                                      " coding passes (HT placeholder passes); OpenJPEG decodes at most 3");
        if (passes > 3) {
          // Read per the standard: when the rest is well-formed, the codestream is
          // valid and only the linked OpenJPH cannot read it.
          if (!kOjphReadsPlaceholderPasses)
            unsupported(describe(x) + " at byte " + str(b.pos) + ": " + str(passes) +
                        " coding passes (HT placeholder passes); " + kOjph + " reads their lengths wrongly");
          const unsigned placeholder = 3 * ((passes - 1) / 3), rest = passes - placeholder;
          bits0 = lblock + floor_log2(placeholder + 1);
          if (rest > 1) bits1 = lblock + floor_log2(rest - 1);
        } else if (passes > 1) {
          bits1 = lblock + (passes == 3 ? 1 : 0);
        }
        if (bits0 > 32 || bits1 > 32)
          fail(x, b.pos, "a code-block length field of " + str(std::max(bits0, bits1)) + " bits (at most 32)");
        const u64 len0 = bits(b, bits0, x);
        const u64 len1 = bits1 ? bits(b, bits1, x) : 0;
        body += len0 + len1;
        blocks_.emplace_back();
        Block& blk = blocks_.back();
        blk.len0 = len0;
        blk.len1 = len1;
        blk.band = uint8_t(x.band);
        blk.cbx = x.cbx;
        blk.cby = x.cby;
        blk.zbp = value;
        blk.passes = passes;
        // Early, precise refusal: the header only grows from here.
        if (body > end - b.pos)
          fail(x, b.pos,
               "code-block declares " + str(len0 + len1) + " bytes (" + str(passes) + " passes, lengths " + str(len0) +
                   (bits1 ? " + " + str(len1) : std::string()) + "); with the code-blocks before it the packet needs " +
                   str(body) + ", only " + str(end - b.pos) + " are left (" + part_end(x) + ")");
        ++xx;
      }
    }
  }

  void check_tile(uint32_t t, const std::vector<Part>& parts) {
    tile_geometry(t);
    u64 data_bytes = 0;
    for (const Part& p : parts) data_bytes += p.end - p.begin;
    order_packets(t, data_bytes);
    if (packets_.empty()) return;
    size_t last_with_cb = packets_.size();
    for (size_t i = packets_.size(); i-- > 0;)
      if (packets_[i].has_cb) {
        last_with_cb = i;
        break;
      }
    if (last_with_cb == packets_.size()) return;  // no code-blocks at all: no header is read
    if (parts.empty()) throw InvalidCodestream("tile " + str(t) + " has no tile-parts");
    // A precinct without code-blocks has a packet header in the standard (its
    // zero-length bit: one byte at least), but OpenJPH reads none for it, so its
    // view of every later packet of the tile is shifted. Harmless when no packet
    // with code-blocks follows (the byte is left over at the end) and when the
    // two readings assign the same bytes to the same code-blocks (e.g. only empty
    // packets follow); otherwise the codestream is valid but OpenJPH misreads it.
    size_t quirk = packets_.size();
    for (size_t i = 0; i < last_with_cb && quirk == packets_.size(); ++i)
      if (!packets_[i].has_cb) quirk = i;
    const bool compare = !opj_ && quirk < packets_.size();
    std::vector<Block> standard, ojph;
    walk_tile(t, parts, false, compare ? &standard : nullptr, last_with_cb);
    if (!compare) return;
    bool same = false;
    const std::string before = unsupported_;  // what OpenJPH's reading finds is not news
    try {
      walk_tile(t, parts, true, &ojph, last_with_cb);
      same = ojph == standard;
    } catch (const Error&) {
    }
    unsupported_ = before;
    if (!same) {
      Context x;
      x.tile = t;
      x.g = &res_[packets_[quirk].res];
      x.pk = &packets_[quirk];
      unsupported(describe(x) + ": the precinct has no code-blocks; " + kOjph +
                  " skips its packet header, which the standard requires, and misreads the packets after it");
    }
  }

  // Parses the packets of tile t in order: as the standard reads them, or (ojph_view)
  // as OpenJPH does, skipping precincts without code-blocks. Records the included
  // code-blocks in `record` when given.
  void walk_tile(uint32_t t, const std::vector<Part>& parts, bool ojph_view, std::vector<Block>* record,
                 size_t last_with_cb) {
    size_t pi = 0, pos = parts[0].begin;
    Context x;
    x.tile = t;
    for (size_t i = 0; i <= last_with_cb; ++i) {
      const PacketRef& pk = packets_[i];
      x.g = &res_[pk.res];
      x.pk = &pk;
      x.band = -1;
      if (!pk.has_cb && ojph_view) continue;
      while (pos >= parts[pi].end && pi + 1 < parts.size()) pos = parts[++pi].begin;
      x.part = &parts[pi];
      if (pos >= parts[pi].end)
        throw InvalidCodestream("tile " + str(t) + ": packet data ends (" + part_end(x) + ") before packet " +
                                str(i + 1) + " of " + str(packets_.size()) + " (" + describe(x) + ")");
      pos = parse_packet(x, pos);
      if (record)
        for (Block& blk : blocks_) {
          blk.packet = i;
          record->push_back(blk);
        }
    }
  }

  void unsupported(const std::string& why) {
    if (unsupported_.empty()) unsupported_ = why;
  }

 public:
  // The first valid feature the linked OpenJPH misreads, reported once every packet
  // has been found well-formed.
  std::string unsupported_;

 private:
  const uint8_t* cs_;
  size_t size_;
  const CodestreamHeader& h_;
  std::vector<const CodingStyle*> style_;
  std::vector<const Quantization*> quant_;
  u64 tx0_ = 0, tx1_ = 0, ty0_ = 0, ty1_ = 0;
  std::vector<ResGeom> res_;
  std::vector<PacketRef> packets_;
  std::vector<Block> blocks_;
  size_t off_[40] = {};
  std::vector<uint8_t> inc_;
  std::vector<uint16_t> zbp_;
  bool opj_ = false, mel_ = false;
  std::vector<ProgressionChange> pocs_;
};


// ---------------------------------------------------------------- OpenJPH's marker scan

// OpenJPH 0.9.0 does not walk marker segments by their lengths: it scans for the next
// 0xFF byte followed by a code it is looking for (comparing the low byte only), and
// skips or reads only the segments it knows. After a tile-part it seeks to
// SOT + Psot, but with Psot 0 to the start of the tile-part's header, and scans on for
// SOT or EOC through its packet data (while parsing its packets with an unbounded
// byte count). Our packet check protects OpenJPH only if it sees the same marker
// segments and tile-parts as we do, so its scan is replayed here.
class OjphMarkerScan {
 public:
  OjphMarkerScan(const uint8_t* cs, size_t size, const CodestreamHeader& h) : cs_(cs), size_(size), h_(h) {}

  void run() {
    // Main header: SOC, SIZ (read whole), then the listed markers up to the first SOT.
    static const uint8_t kMain[] = {0x50, 0x56, 0x59, 0x52, 0x53, 0x5C, 0x5D, 0x5E,
                                    0x5F, 0x60, 0x55, 0x57, 0x63, 0x64, 0x90};
    segments(2, h_.main_header_length);
    pos_ = 4 + be16(cs_ + 4);  // past SIZ
    follow(kMain, sizeof kMain, h_.main_header_length, "the main header");
    static const uint8_t kFirst[] = {0x52, 0x53, 0x5C, 0x5D, 0x5E, 0x5F, 0x61, 0x58, 0x64, 0x93};
    static const uint8_t kOther[] = {0x5F, 0x61, 0x58, 0x64, 0x93};
    for (size_t i = 0; i < h_.tile_parts.size(); ++i) {
      const TilePartInfo& tp = h_.tile_parts[i];
      const std::string name = "tile-part " + str(tp.tpsot) + " of tile " + str(tp.tile);
      // its header, from after SOT to SOD
      const size_t sod = segments(tp.offset + 12, tp.psot ? size_t(tp.offset) + tp.psot : size_);
      pos_ = tp.offset + 12;
      if (tp.tpsot)
        follow(kOther, sizeof kOther, sod, "the header of " + name);
      else
        follow(kFirst, sizeof kFirst, sod, "the header of " + name);
      // then SOT or EOC where this tile-part ends
      const size_t next = i + 1 < h_.tile_parts.size() ? h_.tile_parts[i + 1].offset
                          : tp.psot                      ? size_t(tp.offset) + tp.psot  // EOC
                                                         : size_ - 2;
      pos_ = tp.psot ? size_t(tp.offset) + tp.psot : size_t(tp.offset) + 12;
      static const uint8_t kNext[] = {0x90, 0xD9};
      const size_t p = find(kNext, sizeof kNext);
      if (p == next) continue;
      const std::string found = p == kNone ? "no SOT or EOC" : "marker 0x" + hex4(be16(cs_ + p)) + " at byte " + str(p);
      if (!tp.psot && p != kNone && p >= sod + 2)
        throw InvalidCodestream(name + " (Psot 0, so " + kOjph + " scans its packet data for the next tile-part): " +
                                found + " inside the packet data, where no marker code may be");
      throw UnsupportedCodestream(name + ": " + kOjph + " looks for the next SOT or EOC at byte " + str(next) +
                                  " and finds " + found);
    }
  }

 private:
  static constexpr size_t kNone = ~size_t(0);

  static std::string hex4(uint16_t v) {
    static const char* hex = "0123456789ABCDEF";
    std::string s;
    for (int shift = 12; shift >= 0; shift -= 4) s += hex[(v >> shift) & 15];
    return s;
  }

  // Records the marker segments from `from` up to SOT/SOD (or `limit`); returns
  // where the walk stopped (the SOT or SOD).
  size_t segments(size_t from, size_t limit) {
    starts_.clear();
    ends_.clear();
    size_t q = from;
    while (q + 2 <= std::min(limit, size_)) {
      const uint16_t m = be16(cs_ + q);
      if (m == kSOD || m == 0xFF90) break;
      size_t len = 2;
      if (!(m >= 0xFF30 && m <= 0xFF3F)) {
        if (q + 4 > size_) break;
        len = 2 + size_t(be16(cs_ + q + 2));
      }
      starts_.push_back(q);
      ends_.push_back(q + len);
      q += len;
    }
    return q;
  }

  size_t find(const uint8_t* codes, size_t n) {
    while (pos_ < size_) {
      if (cs_[pos_++] != 0xFF) continue;
      if (pos_ >= size_) return kNone;
      const uint8_t c = cs_[pos_++];
      for (size_t i = 0; i < n; ++i)
        if (codes[i] == c) return pos_ - 2;
    }
    return kNone;
  }

  // Replays the scan through the segments recorded by segments() until it reaches
  // `target` (SOT or SOD); every marker it finds must start one of them.
  void follow(const uint8_t* codes, size_t n, size_t target, const std::string& where) {
    while (true) {
      const size_t p = find(codes, n);
      if (p == target) return;
      const auto it = std::lower_bound(starts_.begin(), starts_.end(), p);
      if (p == kNone || it == starts_.end() || *it != p) {
        std::string inside;
        if (p != kNone) {
          const auto seg = std::upper_bound(starts_.begin(), starts_.end(), p);
          if (seg != starts_.begin())
            inside = " inside the marker segment 0x" + hex4(be16(cs_ + *(seg - 1))) + " at byte " + str(*(seg - 1));
        }
        throw UnsupportedCodestream(
            kOjph + std::string(" scans ") + where + " for markers instead of skipping segments by their length, and " +
            (p == kNone ? std::string("finds none") : "finds 0x" + hex4(be16(cs_ + p)) + " at byte " + str(p) + inside));
      }
      pos_ = ends_[size_t(it - starts_.begin())];
    }
  }

  const uint8_t* cs_;
  size_t size_;
  const CodestreamHeader& h_;
  size_t pos_ = 0;
  std::vector<size_t> starts_, ends_;
};

}  // namespace

void check_packets(const uint8_t* cs, size_t size, const CodestreamHeader& h) {
  if (!cs || h.components.empty() || h.tile_parts.empty() || size < 4) return;
  OjphMarkerScan(cs, size, h).run();
  PacketChecker checker(cs, size, h);
  checker.run();
  if (!checker.unsupported_.empty()) throw UnsupportedCodestream(checker.unsupported_);
}

void check_packets_for_openjpeg(const uint8_t* cs, size_t size, const CodestreamHeader& h,
                                const std::vector<ProgressionChange>& pocs, bool check_mel) {
  if (!cs || h.components.empty() || h.tile_parts.empty() || size < 4) return;
  PacketChecker checker(cs, size, h, true, &pocs, check_mel);
  checker.run();  // OpenJPH's quirks (unsupported_) do not matter here
}

}  // namespace htj2k
