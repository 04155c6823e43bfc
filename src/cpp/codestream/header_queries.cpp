// What a parsed header says: tile counts, code-block styles, the coding style,
// quantization and region of interest of each component, level sizes.
#include "codestream/header.hpp"

#include <algorithm>

#include "core/bytes.hpp"
#include "core/errors.hpp"

namespace htj2k {

uint32_t CodestreamHeader::num_tiles_x() const {
  if (tile_w == 0 || xsiz <= tile_x0) return 0;
  return uint32_t(ceil_div(uint64_t(xsiz) - tile_x0, tile_w));
}

uint32_t CodestreamHeader::num_tiles_y() const {
  if (tile_h == 0 || ysiz <= tile_y0) return 0;
  return uint32_t(ceil_div(uint64_t(ysiz) - tile_y0, tile_h));
}

bool CodestreamHeader::all_ht() const {
  if (!(cod.cb_style & 0x40)) return false;
  for (const auto& o : overrides)
    if (o.cod.present && !(o.cod.cb_style & 0x40)) return false;
  return true;
}

bool CodestreamHeader::mixed_ht() const {
  bool ht = false, part1 = false;
  auto note = [&](uint8_t s) { (s & 0x40 ? ht : part1) = true; };
  note(cod.cb_style);
  for (const auto& o : overrides)
    if (o.cod.present) note(o.cod.cb_style);
  return ht && part1;
}

const CodingStyle& CodestreamHeader::style_for(uint32_t c) const {
  for (const auto& o : overrides)
    if (o.component == c && o.cod.present) return o.cod;
  return cod;
}

const RoiShift* CodestreamHeader::roi_for(uint32_t t, uint32_t c) const {
  for (const auto& tp : tile_parts) {
    if (tp.tile != t) continue;
    for (const auto& roi : tp.rgn)
      if (roi.component == c) return &roi;
    break;  // RGN belongs in the tile's first tile-part header
  }
  for (const auto& roi : rgn)
    if (roi.component == c) return &roi;
  return nullptr;
}

bool CodestreamHeader::has_roi() const {
  for (const auto& roi : rgn)
    if (roi.shift) return true;
  for (const auto& tp : tile_parts)
    for (const auto& roi : tp.rgn)
      if (roi.shift) return true;
  return false;
}

const Quantization& CodestreamHeader::quant_for(uint32_t c) const {
  for (const auto& o : overrides)
    if (o.component == c && o.qcd.present) return o.qcd;
  return qcd;
}

namespace {
uint32_t level_extent(uint32_t lo, uint32_t hi, uint32_t sub, uint32_t r) {
  if (sub == 0) return 0;
  const uint64_t scale = uint64_t(sub) << std::min<uint32_t>(r, 32);  // >= 2^32 leaves 0 or 1
  return uint32_t(ceil_div(hi, scale) - ceil_div(lo, scale));
}
}  // namespace

uint32_t level_width(const CodestreamHeader& h, uint32_t c, uint32_t r) {
  if (c >= h.components.size())
    throw InvalidArgument("component " + std::to_string(c) + " out of range");
  return level_extent(h.x0, h.xsiz, h.components[c].dx, r);
}

uint32_t level_height(const CodestreamHeader& h, uint32_t c, uint32_t r) {
  if (c >= h.components.size())
    throw InvalidArgument("component " + std::to_string(c) + " out of range");
  return level_extent(h.y0, h.ysiz, h.components[c].dy, r);
}

}  // namespace htj2k
