// PacketChecker (packet_checker.hpp): tile-part bodies, the geometry of a tile
// (resolutions, precincts, bands) and the order of its packets (15444-1 B.6-B.12).
#include "codestream/packet_checker.hpp"

namespace htj2k {
namespace packets_internal {

Part PacketChecker::locate_body(const TilePartInfo& tp) const {
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

void PacketChecker::tile_geometry(uint32_t t) {
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

void PacketChecker::layout_tile(uint32_t t, TileLayout& out) {
  tile_geometry(t);
  order_packets(t, ~u64(0) >> 2);  // no packet data to bound the count: the geometry's own
  out.x0 = tx0_, out.y0 = ty0_, out.x1 = tx1_, out.y1 = ty1_;
  out.res = res_;
  out.packets = packets_;
}

void PacketChecker::order_packets(uint32_t t, u64 data_bytes) {
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

// Long by nature: the five progression orders of 15444-1 B.12.1 side by side, each
// reduced to groups of resolutions merged in position order by one heap.
void PacketChecker::append_volume(uint8_t prog, uint32_t r0, uint32_t r1, uint32_t c0, uint32_t c1,
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

PacketRef PacketChecker::make_packet(uint32_t i, u64 px, u64 py) const {
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

}  // namespace packets_internal
}  // namespace htj2k
