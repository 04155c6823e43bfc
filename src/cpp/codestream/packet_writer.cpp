// write_packet_header (codestream/packet_writer.hpp): B.10 for one quality layer.
#include "codestream/packet_writer.hpp"

namespace htj2k {
namespace packet_writer {
namespace {

unsigned floor_log2_u(unsigned v) {
  unsigned k = 0;
  while (v >>= 1) ++k;
  return k;
}

unsigned bit_width(uint64_t v) {
  unsigned w = 0;
  while (w < 64 && (v >> w)) ++w;
  return w;
}

// Tag-tree values of one band: inclusion 0 (in this one layer) or 1; zero
// bit-planes of the included blocks (the others above every value, so the minima
// are theirs).
void fill_trees(const BandContributions& bs, TagTree& inc, TagTree& zbp) {
  inc.init(bs.ncx, bs.ncy);
  zbp.init(bs.ncx, bs.ncy);
  inc.value.assign(inc.low.size(), 0xFFFF);
  zbp.value.assign(zbp.low.size(), 0xFFFF);
  for (uint64_t y = 0; y < bs.ncy; ++y)
    for (uint64_t x = 0; x < bs.ncx; ++x) {
      const BlockContribution& blk = bs.blocks[size_t(y * bs.ncx + x)];
      const unsigned z = blk.included ? std::min(blk.zbp, 0xFFFFu) : 0xFFFFu;
      for (unsigned lv = 0; lv < inc.levels; ++lv) {
        uint16_t& a = inc.value[inc.node(lv, x, y)];
        a = std::min<uint16_t>(a, blk.included ? 0 : 1);
        uint16_t& c = zbp.value[zbp.node(lv, x, y)];
        c = std::min<uint16_t>(c, uint16_t(z));
      }
    }
}

}  // namespace

bool write_packet_header(const std::vector<BandContributions>& bands, std::vector<uint8_t>& out) {
  bool any = false;
  for (const BandContributions& bs : bands)
    for (uint64_t i = 0; i < bs.ncx * bs.ncy; ++i) any = any || bs.blocks[i].included;
  if (!any) {
    out.push_back(0);  // an empty packet: its zero-length bit
    return true;
  }
  BitWriter bw{out};
  bw.put(1);
  TagTree inc, zbp;
  for (const BandContributions& bs : bands) {
    if (!bs.ncx || !bs.ncy) continue;
    fill_trees(bs, inc, zbp);
    for (uint64_t y = 0; y < bs.ncy; ++y)
      for (uint64_t x = 0; x < bs.ncx; ++x) {
        const BlockContribution& blk = bs.blocks[size_t(y * bs.ncx + x)];
        encode_tag(inc, x, y, 1, bw);
        if (!blk.included) continue;
        encode_tag(zbp, x, y, 0x10000, bw);
        // SigProp/MagRef passes without a byte are left out: decoders refuse or
        // skip a refinement segment of length 0 (OpenJPEG: "malformed codeblock").
        const unsigned rp = blk.refine_len ? blk.refine_passes : 0;
        const unsigned passes = 1u + rp;  // 1..3 (Table B.4)
        if (passes == 1) bw.put(0);
        else if (passes == 2) bw.put_bits(2, 2);   // 10
        else bw.put_bits(12, 4);                   // 11 00
        const unsigned extra = rp ? floor_log2_u(rp) : 0;
        unsigned lblock = std::max(3u, bit_width(blk.cleanup_len));
        if (rp) lblock = std::max(lblock, bit_width(blk.refine_len) > extra ? bit_width(blk.refine_len) - extra : 0u);
        if (lblock + extra > 32) return false;
        for (unsigned i = 3; i < lblock; ++i) bw.put(1);  // Lblock increments (B.10.7.1), from 3
        bw.put(0);
        bw.put_bits(uint32_t(blk.cleanup_len), lblock);
        if (rp) bw.put_bits(uint32_t(blk.refine_len), lblock + extra);
      }
  }
  bw.finish();
  return true;
}

}  // namespace packet_writer
}  // namespace htj2k
