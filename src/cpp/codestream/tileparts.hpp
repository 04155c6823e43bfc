// Our own tile-part writer (ISO/IEC 15444-1 A.4.2 SOT, A.7.1 TLM): re-emits a
// codestream whose tiles have one tile-part each (what OpenJPH and our encoder write)
// with its tiles divided into tile-parts by resolution and/or component and/or a TLM
// marker segment. No packet byte changes; only SOT segments are rewritten and TLM is
// added to the main header. Used after our encoder, and after OpenJPH where the linked
// one cannot divide tile-parts or write TLM.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "codestream/header.hpp"
#include "codestream/packets.hpp"

namespace htj2k {

// Tile-part divisions (ISO/IEC 15444-1 A.4.2; encode's tileparts "R", "C", "RC";
// OpenJPH >= 0.10's set_tilepart_divisions(res, comp)): walking a tile's packets in
// progression order, a new tile-part starts wherever the packet's resolution (R)
// and/or component (C) changes. The one home of that rule: the encoder's tile-part
// writer below and the transcoder (codestream/transcode.hpp) both use it.
struct TilePartDivision {
  bool resolution = false;
  bool component = false;
  bool any() const { return resolution || component; }
  const char* name() const { return resolution ? (component ? "RC" : "R") : (component ? "C" : "none"); }
};

// nullptr when progression `prog` (0 LRCP .. 4 CPRL, one quality layer) keeps the
// packets of each tile-part of `d` contiguous within a tile (LRCP/RLCP: R, C, RC;
// RPCL: R; CPRL: C); otherwise why not: the division would mean a tile-part per
// precinct (RPCL with C, PCRL with any, CPRL with R), as OpenJPH >= 0.10 says too.
const char* tile_part_division_refusal(uint8_t prog, TilePartDivision d);

// The tile-parts of every tile under division `d` in progression `prog` (which must
// fit: tile_part_division_refusal), numbered as OpenJPH >= 0.10 numbers them (TPsot):
// with LRCP/RLCP a component division divides resolutions too (components change
// within every resolution), r * nc + c; R alone: r; CPRL with C: c. Every tile has
// all `count` tile-parts (TNsot), empty ones where a tile has no packet of that
// resolution/component.
struct TilePartRule {
  TilePartDivision division;  // as written (LRCP/RLCP: C implies R)
  uint32_t nres = 1, nc = 1;
  TilePartRule(uint8_t prog, TilePartDivision d, uint32_t num_resolutions, uint32_t num_components);
  uint32_t count() const { return (division.resolution ? nres : 1u) * (division.component ? nc : 1u); }
  uint32_t index(uint32_t resolution, uint32_t component) const {
    return (division.resolution ? resolution : 0u) * (division.component ? nc : 1u) +
           (division.component ? component : 0u);
  }
};

// The division a codestream's tile-parts show, given how many tile-parts each of
// its `num_tiles` tiles has (`per_tile`) and its progression: the one whose rule
// gives that count in every tile, as written (none when no division does).
TilePartDivision detect_division(uint8_t prog, const std::vector<uint32_t>& per_tile, uint32_t nres, uint32_t nc);

// Where each tile-part of a tile starts: packets [start[k], start[k + 1]) of the
// tile's packets in progression order are tile-part k's, given `part_of`, each
// packet's tile-part (TilePartRule::index). Tile-parts without packets are empty.
// Throws UnsupportedCodestream when a packet's tile-part comes before the previous
// packet's (the division is not contiguous in this order).
std::vector<size_t> tile_part_starts(const TilePartRule& rule, const std::vector<uint32_t>& part_of, uint64_t tile);

struct TilePartLayout {
  // The tile-parts of `division` (TilePartRule), division-major: every tile's
  // tile-part 0, then every tile's tile-part 1, ... so that each prefix ending at a
  // tile-part boundary holds, for every tile, everything the earlier tile-parts hold
  // (for R: everything resolution r needs). No division: one tile-part per tile.
  TilePartDivision division;
  bool tlm = false;  // a TLM segment (Ttlm and Ptlm of every tile-part) in the main header
};

// The codestream `cs` (bare, SOC first) re-emitted in `layout`. Throws
// InvalidCodestream for malformed input (the packet walk's checks, codestream/packets.hpp)
// and UnsupportedCodestream, naming the feature, for input it cannot re-emit: several
// tile-parts in a tile, several quality layers, POC, PPM/PPT, PLM/PLT (packet lengths
// would need splitting), an existing TLM, tile-part COD/COC, a division the progression
// does not keep contiguous (tile_part_division_refusal), more than 255 tile-parts in a
// tile, or more tile-parts than TLM can list.
// Appends the TLM segments listing `parts` (tile index and Psot of every tile-part,
// in codestream order; A.7.1): Ttlm on 1 byte when every tile index fits 0..254,
// else 2; Ptlm on 2 bytes when every Psot fits, else 4. UnsupportedCodestream when
// more than 256 segments would be needed.
void write_tlm(std::vector<uint8_t>& out, const std::vector<TlmEntry>& parts, uint64_t num_tiles);

// Appends an SOT marker segment (A.4.2: Lsot 10, Isot, Psot, TPsot, TNsot).
void write_sot(std::vector<uint8_t>& out, uint32_t tile, uint32_t psot, uint8_t tpsot, uint8_t tnsot);

std::vector<uint8_t> rewrite_tile_parts(const uint8_t* cs, size_t size, const TilePartLayout& layout);

}  // namespace htj2k
