// Internal to the Tier-2 packet-header pre-parse (codestream/packets.hpp): the
// geometry of tiles, resolutions, precincts and code-blocks, and PacketChecker,
// which walks every packet header of every tile-part. Its members live in
// packet_geometry.cpp (geometry, packet order) and packet_headers.cpp (reading
// packet headers and code-block contributions); packets.cpp holds the entry points.
#pragma once
#include "codestream/packets.hpp"

#include "codestream/markers.hpp"
#include "core/bytes.hpp"
#include <algorithm>
#include <memory>
#include <string>
#include <vector>
#include "core/errors.hpp"
#include "backends/openjph/openjph_compat.hpp"

namespace htj2k {
struct RoiBlockInput;  // codestream/roi.hpp
namespace packets_internal {
struct LayerBlock;  // layer_flatten.cpp

using u64 = uint64_t;


#define HTJ2K_PK_STR2(x) #x
#define HTJ2K_PK_STR(x) HTJ2K_PK_STR2(x)
inline const char* const kOjph = "OpenJPH " HTJ2K_PK_STR(OPENJPH_VERSION_MAJOR) "." HTJ2K_PK_STR(
    OPENJPH_VERSION_MINOR) "." HTJ2K_PK_STR(OPENJPH_VERSION_PATCH);


// No sample has more magnitude bit-planes than G + epsilon - 1 <= 7 + 31 - 1.
constexpr int kMaxMagnitudeBits = 37;

inline std::string str(u64 v) { return std::to_string(v); }
inline u64 ceil_shift(u64 v, unsigned k) { return (v + (u64(1) << k) - 1) >> k; }  // k <= 40
inline unsigned ceil_log2(u64 v) {
  unsigned k = 0;
  while ((u64(1) << k) < v) ++k;
  return k;
}
inline unsigned floor_log2(u64 v) {
  unsigned k = 0;
  while (v >>= 1) ++k;
  return k;
}

inline const char* const kBandName[4] = {"LL", "HL", "LH", "HH"};

// One tile-part's packet data: from after SOD to the end given by Psot.
struct Part {
  size_t begin = 0, end = 0;
  uint32_t tpsot = 0;
  bool clipped = false;  // the data ends before the tile-part does (packet_prefix)
  u64 declared_end = 0;  // where its Psot says it ends
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
inline int magnitude_bits(const Quantization& q, unsigned levels, unsigned r, unsigned kind) {
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

  // packet_prefix (packets.hpp): the walk over data that may end early.
  void run_prefix(std::vector<TilePrefix>& out);
  // packet_orders (packets.hpp): the packet order of every tile, no data read.
  void run_orders(std::vector<std::vector<PacketEntry>>& out, u64 max_packets);

  // flatten_layers (layers.hpp): every layer of every tile read, each tile's
  // packets written again as one layer in COD's progression (layer_flatten.cpp).
  struct FlatTile {
    bool present = false;                       // the tile has tile-parts
    size_t header_begin = 0, header_end = 0;    // its first tile-part's marker segments (SOT..SOD)
    std::vector<uint8_t> body;                  // its packets, one layer
  };
  void run_layers(uint32_t keep_layers, std::vector<FlatTile>& out);

  // code_blocks (code_blocks.hpp): every included code-block of a one-layer
  // codestream, tile by tile in packet order (code_blocks.cpp).
  struct BlockRecord {
    uint32_t tile = 0, component = 0, resolution = 0;
    uint8_t band = 0, cb_style = 0;  // band kind 0 LL .. 3 HH; the component's code-block style
    u64 x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // in band coordinates
    unsigned zbp = 0, passes = 0;
    size_t offset = 0;  // of the cleanup segment; the refinement segment follows it
    u64 len0 = 0, len1 = 0;
    int mb = -1;
  };
  void run_blocks(std::vector<BlockRecord>& out);

  // Our encoder (encode/codestream_writer.cpp): the resolutions of every component
  // of tile t (component-major) and its packets in COD's progression, from the
  // geometry alone (packet_geometry.cpp).
  struct TileLayout {
    u64 x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // the tile on the reference grid
    std::vector<ResGeom> res;
    std::vector<PacketRef> packets;
  };
  void layout_tile(uint32_t t, TileLayout& out);

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

  void run() {
    const u64 num_tiles = u64(h_.num_tiles_x()) * h_.num_tiles_y();
    // Tile-parts of each tile in codestream order; packets continue across them.
    std::vector<std::vector<Part>> parts(num_tiles);
    for (const auto& tp : h_.tile_parts) {
      if (tp.tile >= num_tiles) continue;  // parse_header refuses these
      parts[tp.tile].push_back(locate_body(tp));
    }
    for (u64 t = 0; t < num_tiles; ++t) {
      if (spans_ && !parts[t].empty()) {
        if (parts[t].size() > 1)
          throw UnsupportedCodestream("tile " + str(t) + " has " + str(parts[t].size()) +
                                      " tile-parts; packet spans are reported for one tile-part per tile");
        (*spans_)[t].body_begin = parts[t][0].begin;
        (*spans_)[t].body_end = parts[t][0].end;
      }
      check_tile(uint32_t(t), parts[t]);
    }
  }

 private:
  // ---------------------------------------------------------------- geometry

  Part locate_body(const TilePartInfo& tp) const;
  // As locate_body, for data that may end early: false when the data ends before SOD.
  bool locate_body_in_prefix(const TilePartInfo& tp, Part& out) const;
  void walk_prefix(uint32_t t, const std::vector<Part>& parts, TilePrefix& out);
  void list_order(std::vector<PacketEntry>& out) const;

  // Resolutions of every component of tile t (B.5, B.6, B.7, B.15), component-major.
  void tile_geometry(uint32_t t);


  // Extent of code-block (cx, cy) of band b in band coordinates: its cell of the
  // code-block grid cut by the band. Precinct edges need no cut: xcb' <= PPx', so the
  // grid is aligned with the precinct partition.
  static void block_extent(const BandGeom& b, u64 cx, u64 cy, u64& x0, u64& y0, u64& x1, u64& y1) {
    x0 = std::max(cx << b.cbw, b.x0);
    x1 = std::min((cx + 1) << b.cbw, b.x1);
    y0 = std::max(cy << b.cbh, b.y0);
    y1 = std::min((cy + 1) << b.cbh, b.y1);
  }

  // run_layers, run_blocks: an RGN (its shift raises Mb) or a tile-part QCD/QCC makes
  // the band's Mb from the main header unreliable; only the absolute bound applies.
  void set_loose_mb() {
    loose_mb_ = h_.has_rgn;
    for (const auto& tp : h_.tile_parts)
      for (const std::string& m : tp.header_markers) loose_mb_ = loose_mb_ || m == "RGN" || m == "QCD" || m == "QCC";
  }

  // ---------------------------------------------------------------- progression

  // The tile's packets in progression order (B.12; one quality layer, so LRCP and
  // RLCP coincide). Position orders visit each precinct at the reference-grid
  // position of its top-left corner, clipped to the tile origin (B.12.1.3-5).
  void order_packets(uint32_t t, u64 data_bytes);

  // The packets of resolutions [r0, r1) of components [c0, c1) in progression order
  // `prog` (B.12; one quality layer, so LRCP and RLCP coincide). Position orders visit
  // each precinct at the reference-grid position of its top-left corner, clipped to
  // the tile origin (B.12.1.3-5). With `done`, packets marked there are skipped and
  // the others marked.
  void append_volume(uint8_t prog, uint32_t r0, uint32_t r1, uint32_t c0, uint32_t c1,
                     std::vector<std::vector<uint8_t>>* done);

  PacketRef make_packet(uint32_t i, u64 px, u64 py) const;

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

  std::string describe(const Context& x) const;

  [[noreturn]] void fail(const Context& x, size_t offset, const std::string& what) const {
    throw InvalidCodestream(describe(x) + " at byte " + str(offset) + ": " + what);
  }

  std::string part_end(const Context& x) const;

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
  size_t parse_packet(Context& x, size_t pos);

  // Each HT cleanup segment ends with Scup, its MEL/VLC suffix length (15444-15):
  // Lcup >= 2 and 2 <= Scup <= min(Lcup, 4079). Bodies follow the header in the
  // order the header lists the code-blocks.
  void check_cleanup_segments(Context& x, size_t pos);

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
  void check_mel_start(const Context& x, size_t seg, size_t lcup, unsigned scup) const;

  // The code-blocks of band-precinct `bd` (ncx x ncy of them, from (cx0, cy0)):
  // inclusion tag tree (B.10.2, B.10.4) for layer 0, zero bit-plane tag tree (B.10.5),
  // coding passes (B.10.6), Lblock (B.10.7.1) and the HT segment lengths.
  void parse_band(Context& x, Bits& b, const BandGeom& bd, u64 cx0, u64 cy0, u64 ncx, u64 ncy, u64& body);

  void check_tile(uint32_t t, const std::vector<Part>& parts);

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
      const size_t start = pos;
      pos = parse_packet(x, pos);
      if (spans_ && !ojph_view) (*spans_)[t].packets.push_back(PacketSpan{x.g->r, start, pos, x.g->c});
      if (record)
        for (Block& blk : blocks_) {
          blk.packet = i;
          record->push_back(blk);
        }
    }
  }

  // ---------------------------------------------------------------- layers (layer_flatten.cpp)

  struct PrecinctState;  // tag trees and code-block contributions of one precinct
  void undo_roi(uint32_t t, std::vector<std::unique_ptr<PrecinctState>>& state, const std::vector<u64>& first);
  void recode_roi_block(LayerBlock& blk, RoiBlockInput& in) const;
  void flatten_tile(uint32_t t, const std::vector<Part>& parts, uint32_t keep_layers, FlatTile& out);
  size_t read_layer_packet(Context& x, size_t pos, PrecinctState& ps, uint32_t layer, bool keep);
  void write_flat_packet(const PrecinctState* ps, const PacketRef& pk, std::vector<uint8_t>& out) const;

  void unsupported(const std::string& why) {
    if (unsupported_.empty()) unsupported_ = why;
  }

 public:
  // The first valid feature the linked OpenJPH misreads, reported once every packet
  // has been found well-formed.
  std::string unsupported_;
  // Some code-block has HT placeholder passes (more than 3 coding passes).
  bool placeholders_ = false;
  // When set (packet_spans), one entry per tile receives the packets walked.
  std::vector<TilePackets>* spans_ = nullptr;

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
  bool loose_mb_ = false;  // run_layers: RGN or tile-part QCD/QCC may raise Mb, only the absolute bound applies
  std::vector<ProgressionChange> pocs_;
};

}  // namespace packets_internal
}  // namespace htj2k
