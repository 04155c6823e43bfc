// The layer joiner undoes a region of interest (RGN) per code-block: each kept
// code-block of a component with an RGN shift is re-coded (codestream/roi.hpp).
#include <algorithm>
#include <memory>

#include "codestream/layer_state.hpp"
#include "codestream/roi.hpp"

namespace htj2k {
namespace packets_internal {

// Every kept code-block of a component with an RGN shift, decoded, scaled down and
// coded again (codestream/roi.hpp); the joined codestream carries no RGN.
void PacketChecker::undo_roi(uint32_t t, std::vector<std::unique_ptr<PrecinctState>>& state,
                             const std::vector<u64>& first) {
  for (size_t i = 0; i < res_.size(); ++i) {
    const ResGeom& g = res_[i];
    const RoiShift* roi = h_.roi_for(t, g.c);
    if (!roi || !roi->shift) continue;
    RoiBlockInput in;
    in.shift = roi->shift;
    in.vertically_causal = (style_[g.c]->cb_style & 0x08) != 0;
    for (u64 j = first[i]; j < first[i + 1]; ++j) {  // the resolution's precincts
      PrecinctState* ps = state[size_t(j)].get();
      if (!ps) continue;
      for (unsigned k = 0; k < g.nbands; ++k) {
        BandState& bs = ps->bands[k];
        const BandGeom& bd = g.band[k];
        if (!bs.ncx) continue;
        if (bd.mb < 0) throw UnsupportedCodestream("RGN in a band whose magnitude bit-planes are not known");
        in.mb = unsigned(bd.mb);
        for (u64 yy = 0; yy < bs.ncy; ++yy)
          for (u64 xx = 0; xx < bs.ncx; ++xx) {
            LayerBlock& blk = bs.blocks[size_t(yy * bs.ncx + xx)];
            if (blk.cleanup_pass < 0) continue;
            u64 x0, y0, x1, y1;
            block_extent(bd, bs.cx0 + xx, bs.cy0 + yy, x0, y0, x1, y1);
            in.width = uint32_t(x1 - x0);
            in.height = uint32_t(y1 - y0);
            recode_roi_block(blk, in);
          }
      }
    }
  }
}

void PacketChecker::recode_roi_block(LayerBlock& blk, RoiBlockInput& in) const {
  const unsigned z = blk.zbp + unsigned(blk.cleanup_pass) / 3;
  if (z >= in.mb + in.shift)
    throw InvalidCodestream("RGN: " + str(z) + " missing bit-planes in a band of " + str(in.mb) + " + " +
                            str(in.shift) + " magnitude bit-planes");
  in.cleanup = cs_ + blk.cleanup_at;
  in.cleanup_len = blk.cleanup_len;
  in.cleanup_plane = in.mb + in.shift - 1 - z;
  in.refine.clear();
  for (const auto& piece : blk.refine) in.refine.insert(in.refine.end(), cs_ + piece.first, cs_ + piece.first + piece.second);
  in.passes = 1 + (in.refine.empty() ? 0 : blk.refine_passes);
  RoiBlockOutput o = undo_roi_shift(in);
  if (o.empty) {
    blk.cleanup_pass = -1;  // not included
    return;
  }
  blk.recoded = true;
  blk.recoded_zbp = uint16_t(o.zbp);
  blk.recoded_bytes = std::move(o.cleanup);
}

}  // namespace packets_internal
}  // namespace htj2k
