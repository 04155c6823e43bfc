// PacketChecker (packet_checker.hpp): the packet walk over a prefix of a codestream
// (packets.hpp packet_prefix), for decoding and verifying what the first bytes of a
// frame hold (codestream/prefix.hpp).
#include "codestream/packet_checker.hpp"

namespace htj2k {
namespace packets_internal {
namespace {

// Packets a tile may declare beyond the bytes its tile-parts declare: a prefix
// does not hold the Psot of tile-parts that are not in it.
constexpr u64 kPrefixPacketAllowance = u64(1) << 20;

}  // namespace

bool PacketChecker::locate_body_in_prefix(const TilePartInfo& tp, Part& out) const {
  const u64 declared = tp.psot ? u64(tp.offset) + tp.psot : u64(size_);
  u64 end = std::min<u64>(declared, size_);
  const bool to_eoc = !tp.psot && h_.has_eoc && size_ >= 2 && be16(cs_ + size_ - 2) == kEOC;
  if (to_eoc) end = size_ - 2;
  size_t q = tp.offset + 12;  // past SOT
  while (true) {
    if (u64(q) + 2 > end) return false;
    const uint16_t m = be16(cs_ + q);
    if (m == kSOD) break;
    if (m >= 0xFF30 && m <= 0xFF3F) {
      q += 2;
      continue;
    }
    if (u64(q) + 4 > end) return false;
    q += 2 + size_t(be16(cs_ + q + 2));
  }
  out.begin = q + 2;
  out.end = size_t(end);
  out.tpsot = tp.tpsot;
  out.clipped = declared > size_ || (!tp.psot && !to_eoc);
  out.declared_end = tp.psot ? declared : end;
  return out.begin <= out.end;
}

void PacketChecker::run_prefix(std::vector<TilePrefix>& out) {
  const u64 num_tiles = u64(h_.num_tiles_x()) * h_.num_tiles_y();
  out.assign(size_t(num_tiles), TilePrefix{});
  std::vector<std::vector<Part>> parts(num_tiles);
  std::vector<uint8_t> stopped(num_tiles, 0);  // a tile-part of the tile is cut: later ones are not usable
  for (const TilePartInfo& tp : h_.tile_parts) {
    if (tp.tile >= num_tiles || stopped[tp.tile]) continue;
    Part p;
    if (!locate_body_in_prefix(tp, p)) {
      stopped[tp.tile] = 1;
      continue;
    }
    TilePrefix& tile = out[tp.tile];
    if (parts[tp.tile].empty()) {
      tile.header = true;
      tile.header_begin = tp.offset + 12;
      tile.header_end = p.begin - 2;
      tile.body_begin = p.begin;
    }
    if (p.clipped) stopped[tp.tile] = 1;
    parts[tp.tile].push_back(p);
  }
  for (u64 t = 0; t < num_tiles; ++t) {
    tile_geometry(uint32_t(t));
    u64 declared = 0;
    for (const Part& p : parts[t]) declared += p.declared_end - p.begin;
    order_packets(uint32_t(t), declared + kPrefixPacketAllowance);
    TilePrefix& tile = out[size_t(t)];
    list_order(tile.order);
    walk_prefix(uint32_t(t), parts[t], tile);
  }
}

void PacketChecker::list_order(std::vector<PacketEntry>& out) const {
  out.reserve(packets_.size());
  for (const PacketRef& pk : packets_) {
    const ResGeom& g = res_[pk.res];
    out.push_back(PacketEntry{uint16_t(g.c), uint8_t(g.r), pk.has_cb, uint32_t(u64(pk.py) * g.npx + pk.px)});
  }
}

void PacketChecker::run_orders(std::vector<std::vector<PacketEntry>>& out, u64 max_packets) {
  const u64 num_tiles = u64(h_.num_tiles_x()) * h_.num_tiles_y();
  out.assign(size_t(num_tiles), {});
  for (u64 t = 0; t < num_tiles; ++t) {
    tile_geometry(uint32_t(t));
    order_packets(uint32_t(t), max_packets);
    list_order(out[size_t(t)]);
  }
}

void PacketChecker::walk_prefix(uint32_t t, const std::vector<Part>& parts, TilePrefix& out) {
  if (parts.empty()) return;
  size_t last_with_cb = packets_.size();
  for (size_t i = packets_.size(); i-- > 0;)
    if (packets_[i].has_cb) {
      last_with_cb = i;
      break;
    }
  if (last_with_cb == packets_.size()) return;  // no code-blocks: nothing to read
  size_t pi = 0, pos = parts[0].begin;
  Context x;
  x.tile = t;
  for (size_t i = 0; i <= last_with_cb; ++i) {
    const PacketRef& pk = packets_[i];
    while (pos >= parts[pi].end && pi + 1 < parts.size()) pos = parts[++pi].begin;
    if (pos >= parts[pi].end) return;  // the tile-parts in the data end here
    x.g = &res_[pk.res];
    x.pk = &pk;
    x.band = -1;
    x.part = &parts[pi];
    size_t end;
    try {
      end = parse_packet(x, pos);
    } catch (const InvalidCodestream&) {
      if (parts[pi].clipped) return;  // the data ends inside this packet
      throw;
    }
    out.parsed.push_back(PacketSpan{x.g->r, pos, end, x.g->c});
    pos = end;
  }
}

}  // namespace packets_internal

std::vector<std::vector<PacketEntry>> packet_orders(const CodestreamHeader& h, uint64_t max_packets) {
  std::vector<std::vector<PacketEntry>> orders;
  if (h.components.empty()) return orders;
  packets_internal::PacketChecker checker(nullptr, 0, h, true, nullptr, false);
  checker.run_orders(orders, max_packets);
  return orders;
}

std::vector<TilePrefix> packet_prefix(const uint8_t* cs, size_t size, const CodestreamHeader& h) {
  std::vector<TilePrefix> tiles;
  if (!cs || h.components.empty() || size < 4) return tiles;
  packets_internal::PacketChecker checker(cs, size, h, true, nullptr, false);
  checker.run_prefix(tiles);
  return tiles;
}

}  // namespace htj2k
