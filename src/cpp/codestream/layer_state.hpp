// The state the layer joiner (layer_flatten.cpp) keeps per precinct while it reads
// every layer's packets, shared with the RGN re-coding (layer_roi.cpp).
#pragma once
#include <utility>
#include <vector>

#include "codestream/packet_checker.hpp"
#include "codestream/packet_writer.hpp"

namespace htj2k {
namespace packets_internal {

using packet_writer::TagTree;

// One code-block's state across layers, and what a decoder of the kept layers uses.
struct LayerBlock {
  bool included = false;
  bool placeholder = true;  // no HT cleanup pass with bytes yet: passes so far are placeholders
  uint8_t lblock = 3;
  uint16_t passes = 0;      // coding passes so far (from its first inclusion)
  uint16_t zbp = 0;         // missing bit-planes Zblk
  int cleanup_pass = -1;    // the last kept HT cleanup pass with bytes (pass index), -1 none
  size_t cleanup_at = 0;
  uint32_t cleanup_len = 0;
  uint8_t refine_passes = 0;  // kept SigProp/MagRef passes after it
  std::vector<std::pair<size_t, uint32_t>> refine;  // its refinement segment, piece by piece
  // RGN undone (codestream/roi.hpp): the block coded again, written instead.
  bool recoded = false;
  uint16_t recoded_zbp = 0;
  std::vector<uint8_t> recoded_bytes;

  unsigned flat_zbp() const { return recoded ? recoded_zbp : zbp + unsigned(cleanup_pass) / 3; }
};

struct BandState {
  u64 cx0 = 0, cy0 = 0, ncx = 0, ncy = 0;  // code-blocks of the band in the precinct
  TagTree inclusion, zero_planes;
  std::vector<LayerBlock> blocks;  // raster order
};

struct PacketChecker::PrecinctState {
  std::vector<BandState> bands;  // g.nbands entries; ncx == 0 where the band has none here
};

}  // namespace packets_internal
}  // namespace htj2k
