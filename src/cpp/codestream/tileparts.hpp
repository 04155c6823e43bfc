// Our own tile-part writer (ISO/IEC 15444-1 A.4.2 SOT, A.7.1 TLM): re-emits a
// codestream whose tiles have one tile-part each (what OpenJPH writes) with one
// tile-part per resolution level per tile and/or a TLM marker segment. No packet
// byte changes; only SOT segments are rewritten and TLM is added to the main header.
// Used by the encoder where the linked OpenJPH cannot divide tile-parts or write TLM.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "codestream/header.hpp"

namespace htj2k {

struct TilePartLayout {
  // One tile-part per resolution level per tile, in resolution-major order: every
  // tile's tile-part of resolution 0, then every tile's of resolution 1, ... so that
  // each prefix ending at a tile-part boundary of resolution r holds, for every
  // tile, everything resolution r needs. Otherwise one tile-part per tile.
  bool by_resolution = false;
  bool tlm = false;  // a TLM segment (Ttlm and Ptlm of every tile-part) in the main header
};

// nullptr when progression `prog` (0 LRCP .. 4 CPRL, one quality layer) keeps the
// packets of each resolution contiguous within a tile, so that a tile-part per
// resolution holds whole packets in progression order; otherwise why not.
const char* resolution_tile_parts_refusal(uint8_t prog);

// The codestream `cs` (bare, SOC first) re-emitted in `layout`. Throws
// InvalidCodestream for malformed input (the packet walk's checks, codestream/packets.hpp)
// and UnsupportedCodestream, naming the feature, for input it cannot re-emit: several
// tile-parts in a tile, several quality layers, POC, PPM/PPT, PLM/PLT (packet lengths
// would need splitting), an existing TLM, tile-part COD/COC, a progression refused by
// resolution_tile_parts_refusal (with by_resolution), or more tile-parts than TLM can list.
// Appends the TLM segments listing `parts` (tile index and Psot of every tile-part,
// in codestream order; A.7.1): Ttlm on 1 byte when every tile index fits 0..254,
// else 2; Ptlm on 2 bytes when every Psot fits, else 4. UnsupportedCodestream when
// more than 256 segments would be needed.
void write_tlm(std::vector<uint8_t>& out, const std::vector<TlmEntry>& parts, uint64_t num_tiles);

// Appends an SOT marker segment (A.4.2: Lsot 10, Isot, Psot, TPsot, TNsot).
void write_sot(std::vector<uint8_t>& out, uint32_t tile, uint32_t psot, uint8_t tpsot, uint8_t tnsot);

std::vector<uint8_t> rewrite_tile_parts(const uint8_t* cs, size_t size, const TilePartLayout& layout);

}  // namespace htj2k
