// One layer from several (see layers.hpp): the packets come from
// PacketChecker::run_layers (layer_flatten.cpp); here the codestream around them.
#include "codestream/layers.hpp"

#include <algorithm>
#include <string>

#include "codestream/markers.hpp"
#include "codestream/packet_checker.hpp"
#include "codestream/packets.hpp"
#include "codestream/tileparts.hpp"
#include "core/bytes.hpp"
#include "core/errors.hpp"

namespace htj2k {
namespace {

std::string str(uint64_t v) { return std::to_string(v); }

[[noreturn]] void refuse(const CodestreamHeader& h, const std::string& why) {
  throw UnsupportedCodestream(h.cod.layers > 1 ? str(h.cod.layers) + " quality layers cannot be joined into one: " + why
                                               : "the region of interest (RGN) cannot be undone: " + why);
}

void check_input(const CodestreamHeader& h) {
  auto refuse = [&](const std::string& why) { ::htj2k::refuse(h, why); };
  if (h.truncated || !h.has_eoc)
    refuse("the codestream is cut short (no EOC after the last tile-part); several layers are not decoded from a prefix");
  if (!h.all_ht())
    refuse(std::string(h.mixed_ht() ? "mixed-mode" : "Part 1 (non-HT)") + " code-blocks");
  for (const auto& o : h.overrides)
    if (o.cod.present && (o.cod.cb_style & 0x80)) refuse("mixed-mode code-blocks (COC of component " + str(o.component) + ")");
  if (h.cod.cb_style & 0x80) refuse("mixed-mode code-blocks");
  if (h.has_ppm) refuse("PPM (packet headers in the main header)");
  for (const TilePartInfo& tp : h.tile_parts)
    for (const std::string& m : tp.header_markers)
      if (m == "COD" || m == "COC" || m == "POC" || m == "PPT") refuse(m + " in the tile-part header of tile " + str(tp.tile));
  // RGN: only the max-shift method (Srgn 0) exists in Part 1; the band's bit-planes
  // must come from the main header to place each code-block's cleanup pass.
  auto check_roi = [&](const RoiShift& roi) {
    if (roi.style != 0) refuse("RGN style " + str(roi.style) + " (Part 1 defines only 0, max-shift)");
  };
  for (const RoiShift& roi : h.rgn) check_roi(roi);
  for (const TilePartInfo& tp : h.tile_parts) {
    for (const RoiShift& roi : tp.rgn) check_roi(roi);
    if (h.has_roi())
      for (const std::string& m : tp.header_markers)
        if (m == "QCD" || m == "QCC") refuse("RGN with " + m + " in the tile-part header of tile " + str(tp.tile));
  }
}

}  // namespace

bool needs_joining(const CodestreamHeader& h) {
  if (!has_ht_code_blocks(h)) return false;
  bool rgn = h.has_rgn;  // even a shift of 0: written without it, nobody has to ignore it
  for (const TilePartInfo& tp : h.tile_parts) rgn = rgn || !tp.rgn.empty();
  return h.cod.layers > 1 || rgn;
}

bool has_ht_code_blocks(const CodestreamHeader& h) {
  if (h.cod.cb_style & 0x40) return true;
  for (const auto& o : h.overrides)
    if (o.cod.present && (o.cod.cb_style & 0x40)) return true;
  return false;
}

std::vector<uint8_t> flatten_layers(const uint8_t* cs, size_t size, const CodestreamHeader& h, uint32_t keep_layers) {
  check_input(h);
  if (keep_layers == 0) throw InvalidArgument("layers must be at least 1");
  const std::vector<ProgressionChange> pocs =
      h.has_poc ? main_header_pocs(cs, size, h) : std::vector<ProgressionChange>();
  packets_internal::PacketChecker checker(cs, size, h, false, &pocs);
  std::vector<packets_internal::PacketChecker::FlatTile> tiles;
  checker.run_layers(keep_layers, tiles);

  std::vector<uint8_t> out;
  out.reserve(size);
  put16(out, kSOC);
  for (size_t q = 2; q + 2 <= h.main_header_length;) {  // the main header, one layer
    const uint16_t m = be16(cs + q);
    const size_t len = is_lengthless(m) ? 2 : 2 + size_t(be16(cs + q + 2));
    const size_t at = out.size();
    if (m != kTLM && m != kPLM && m != kPOC && m != kRGN) out.insert(out.end(), cs + q, cs + q + len);
    if (m == kCOD) {
      out[at + 4] &= uint8_t(~0x06);  // Scod: no SOP, no EPH
      out[at + 6] = 0;                // SGcod layers: 1
      out[at + 7] = 1;
    }
    q += len;
  }
  for (size_t t = 0; t < tiles.size(); ++t) {
    const auto& tile = tiles[t];
    if (!tile.present) continue;
    std::vector<uint8_t> header;
    for (size_t q = tile.header_begin; q + 2 <= tile.header_end;) {  // its first tile-part's, without PLT
      const uint16_t m = be16(cs + q);
      const size_t len = is_lengthless(m) ? 2 : 2 + size_t(be16(cs + q + 2));
      if (m != kPLT && m != kRGN) header.insert(header.end(), cs + q, cs + std::min(tile.header_end, q + len));
      q += len;
    }
    const uint64_t psot = 12 + header.size() + 2 + tile.body.size();
    if (psot > 0xFFFFFFFFu) refuse(h, "tile " + str(t) + " would exceed 2^32 bytes in one tile-part");
    write_sot(out, uint32_t(t), uint32_t(psot), 0, 1);
    out.insert(out.end(), header.begin(), header.end());
    put16(out, kSOD);
    out.insert(out.end(), tile.body.begin(), tile.body.end());
  }
  put16(out, kEOC);
  return out;
}

}  // namespace htj2k
