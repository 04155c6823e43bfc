// Re-layout of a codestream without decoding pixels (ISO/IEC 15444-1 B.12 progression
// orders, A.4.2 SOT, A.7.1 TLM, A.7.3 PLT): packets reordered into another progression
// within each tile, tile-parts divided anew, TLM and PLT written or dropped. With one
// quality layer every packet is self-contained (its tag trees start afresh), so a
// packet's bytes are carried over unchanged; only their order and the markers around
// them change, and the decoded pixels are the same at every level.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace htj2k {

struct TranscodeOptions {
  int progression = -1;      // 0 LRCP .. 4 CPRL; -1 keeps the input's
  // tile-part divisions (codestream/tileparts.hpp TilePartRule): bit 0 by resolution,
  // bit 1 by component (1 "R", 2 "C", 3 "RC"); 0: one tile-part per tile; -1 keeps the input's
  int tile_parts = -1;
  int tlm = -1;              // 1 write TLM, 0 none, -1 as the input
  int plt = -1;              // 1 write PLT (packet lengths) in every tile-part, 0 none, -1 as the input
  // Quality layers to keep, joined into one first (codestream/layers.hpp: also
  // drops SOP/EPH); 0 keeps the input's, which must then have one.
  uint32_t layers = 0;
};

// The codestream `cs` (bare, SOC first, whole) re-emitted as `o` asks. Throws
// InvalidCodestream for malformed or incomplete input (the packet walk's checks) and
// UnsupportedCodestream naming the feature for what it cannot re-emit: several
// quality layers (unless `layers` joins them), POC (likewise), PPM/PPT, PLM, SOP markers when packets move (their sequence
// numbers), tile-part COD/COC, a precinct without code-blocks before one with them
// (OpenJPH and the standard disagree on its header), tile-part divisions the target
// order does not keep contiguous (tile_part_division_refusal: a tile-part per
// resolution with PCRL or CPRL, per component with RPCL or PCRL).
std::vector<uint8_t> transcode(const uint8_t* cs, size_t size, const TranscodeOptions& o);

}  // namespace htj2k
