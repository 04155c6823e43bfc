// code_blocks (codestream/code_blocks.hpp): PacketChecker's packet walk, each
// included code-block recorded with its place and segments.
#include "codestream/code_blocks.hpp"

#include "codestream/packet_checker.hpp"

namespace htj2k {
namespace packets_internal {

void PacketChecker::run_blocks(std::vector<BlockRecord>& out) {
  const u64 num_tiles = u64(h_.num_tiles_x()) * h_.num_tiles_y();
  std::vector<std::vector<Part>> parts(num_tiles);
  set_loose_mb();
  for (const auto& tp : h_.tile_parts)
    if (tp.tile < num_tiles) parts[tp.tile].push_back(locate_body(tp));
  for (u64 t = 0; t < num_tiles; ++t) {
    if (parts[t].empty()) continue;
    tile_geometry(uint32_t(t));
    u64 data_bytes = 0;
    for (const Part& p : parts[t]) data_bytes += p.end - p.begin;
    order_packets(uint32_t(t), data_bytes);
    size_t last_with_cb = packets_.size();
    for (size_t i = packets_.size(); i-- > 0;)
      if (packets_[i].has_cb) {
        last_with_cb = i;
        break;
      }
    if (last_with_cb == packets_.size()) continue;
    std::vector<Block> blocks;
    walk_tile(uint32_t(t), parts[t], false, &blocks, last_with_cb);
    for (const Block& b : blocks) {
      const ResGeom& g = res_[packets_[b.packet].res];
      const BandGeom& bd = g.band[b.band];
      BlockRecord r;
      r.tile = uint32_t(t);
      r.component = g.c;
      r.resolution = g.r;
      r.band = bd.kind;
      block_extent(bd, b.cbx, b.cby, r.x0, r.y0, r.x1, r.y1);
      r.zbp = b.zbp;
      r.passes = b.passes;
      r.offset = b.offset;
      r.len0 = b.len0;
      r.len1 = b.len1;
      r.mb = bd.mb;
      r.cb_style = style_[g.c]->cb_style;
      out.push_back(r);
    }
  }
}

}  // namespace packets_internal

std::vector<CodeBlockInfo> code_blocks(const uint8_t* cs, size_t size, const CodestreamHeader& h) {
  using packets_internal::str;
  if (h.cod.layers > 1)
    throw UnsupportedCodestream(str(h.cod.layers) + " quality layers: join them first (flatten_layers)");
  if (!h.all_ht() || (h.cod.cb_style & 0x80)) throw UnsupportedCodestream("code-blocks that are not all HT");
  for (const auto& o : h.overrides)
    if (o.cod.present && (o.cod.cb_style & 0x80)) throw UnsupportedCodestream("mixed-mode code-blocks");
  if (h.has_ppm) throw UnsupportedCodestream("PPM (packet headers in the main header)");
  for (const TilePartInfo& tp : h.tile_parts)
    for (const std::string& m : tp.header_markers)
      if (m == "COD" || m == "COC" || m == "POC" || m == "PPT")
        throw UnsupportedCodestream(m + " in the tile-part header of tile " + str(tp.tile));
  const std::vector<ProgressionChange> pocs =
      h.has_poc ? main_header_pocs(cs, size, h) : std::vector<ProgressionChange>();
  packets_internal::PacketChecker checker(cs, size, h, false, &pocs);
  std::vector<packets_internal::PacketChecker::BlockRecord> records;
  checker.run_blocks(records);
  std::vector<CodeBlockInfo> out;
  out.reserve(records.size());
  for (const auto& r : records) {
    if (r.passes > 3)
      throw UnsupportedCodestream("tile " + str(r.tile) + ", component " + str(r.component) + ", resolution " +
                                  str(r.resolution) + ": a code-block with " + str(r.passes) +
                                  " coding passes (HT placeholder passes): join its HT sets first (flatten_layers)");
    CodeBlockInfo c;
    c.tile = r.tile;
    c.component = r.component;
    c.resolution = r.resolution;
    c.band = r.band;
    c.x0 = r.x0, c.y0 = r.y0, c.x1 = r.x1, c.y1 = r.y1;
    c.zero_bitplanes = r.zbp;
    c.passes = r.passes;
    c.cleanup_offset = r.offset;
    c.cleanup_length = size_t(r.len0);
    c.refine_offset = r.offset + size_t(r.len0);
    c.refine_length = size_t(r.len1);
    c.magnitude_bits = r.mb;
    c.vertically_causal = (r.cb_style & 0x08) != 0;
    c.rgn = h.has_rgn;
    out.push_back(c);
  }
  return out;
}

}  // namespace htj2k
