// Writing one-layer HT packets (15444-1 B.9-B.10, 15444-15 codeword segments): the
// packet-header bit writer, tag trees and the header of a packet whose code-blocks
// each contribute one HT set. Shared by the layer joiner (layer_flatten.cpp) and
// our encoder (encode/codestream_writer.cpp); the headers are byte for byte those
// OpenJPH writes for one quality layer.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace htj2k {
namespace packet_writer {

inline unsigned ceil_log2_u64(uint64_t v) {
  unsigned k = 0;
  while ((uint64_t(1) << k) < v) ++k;
  return k;
}
inline uint64_t ceil_shift_u64(uint64_t v, unsigned k) { return (v + (uint64_t(1) << k) - 1) >> k; }

// A tag tree over ncx x ncy leaves (B.10.2): level 0 the leaves, each level above
// halving both sizes, up to one root. `low` is the lower bound known so far (the
// value once `known`); the writer also holds each node's `value`.
struct TagTree {
  unsigned levels = 0;
  std::vector<size_t> off;
  std::vector<uint64_t> width;
  std::vector<uint16_t> low, value;
  std::vector<uint8_t> known;

  void init(uint64_t ncx, uint64_t ncy) {
    levels = 1 + std::max(ceil_log2_u64(ncx), ceil_log2_u64(ncy));
    off.clear();
    width.clear();
    size_t n = 0;
    for (unsigned k = 0; k < levels; ++k) {
      off.push_back(n);
      width.push_back(ceil_shift_u64(ncx, k));
      n += size_t(ceil_shift_u64(ncx, k) * ceil_shift_u64(ncy, k));
    }
    low.assign(n, 0);
    known.assign(n, 0);
  }
  size_t node(unsigned k, uint64_t x, uint64_t y) const { return off[k] + size_t((y >> k) * width[k] + (x >> k)); }
};

// Packet-header bit writer (B.10.1): after a 0xFF byte the next byte carries 7 bits
// below a stuffed 0. The header never ends on 0xFF (a 0x00 byte is added).
struct BitWriter {
  std::vector<uint8_t>& out;
  unsigned acc = 0;
  int n = 0, cap = 8;
  void put(unsigned b) {
    acc = (acc << 1) | (b & 1u);
    if (++n == cap) emit();
  }
  void put_bits(uint32_t v, unsigned count) {
    while (count) put((v >> --count) & 1u);
  }
  void emit() {
    out.push_back(uint8_t(acc));
    cap = acc == 0xFF ? 7 : 8;
    acc = 0;
    n = 0;
  }
  void finish() {
    if (n) {
      acc <<= unsigned(cap - n);
      emit();
    }
    if (cap == 7) out.push_back(0);  // the last byte was 0xFF
  }
};

// Encodes leaf (x, y) of `tree` up to `threshold` (B.10.2): each node on the path
// from the root sends 0s while its lower bound is below both its value and the
// threshold, then a 1 once the bound reaches its value.
inline void encode_tag(TagTree& tree, uint64_t x, uint64_t y, unsigned threshold, BitWriter& bw) {
  unsigned parent = 0;
  for (unsigned k = tree.levels; k-- > 0;) {
    const size_t i = tree.node(k, x, y);
    if (!tree.known[i]) {
      if (tree.low[i] < parent) tree.low[i] = uint16_t(parent);
      while (tree.low[i] < threshold) {
        if (tree.low[i] >= tree.value[i]) {
          bw.put(1);
          tree.known[i] = 1;
          break;
        }
        bw.put(0);
        ++tree.low[i];
      }
      if (!tree.known[i]) return;
    }
    parent = tree.value[i];
  }
}

// One code-block's contribution to a one-layer packet: one HT set, a cleanup
// segment and optionally its SigProp/MagRef passes in one refinement segment.
struct BlockContribution {
  bool included = false;
  unsigned zbp = 0;              // missing bit-planes Zblk
  uint64_t cleanup_len = 0;
  unsigned refine_passes = 0;    // 0..2, counted only when refine_len > 0
  uint64_t refine_len = 0;
};

// The code-blocks of one band within the precinct, raster order.
struct BandContributions {
  uint64_t ncx = 0, ncy = 0;     // 0 when the band has no code-block in the precinct
  const BlockContribution* blocks = nullptr;
};

// Appends the header of a one-layer packet (B.10): a single 0 byte when no
// code-block is included, else inclusion and zero bit-plane tag trees, passes,
// Lblock and lengths of each included code-block, band by band. Returns false
// when a length needs more than 32 bits (nothing useful is written then).
bool write_packet_header(const std::vector<BandContributions>& bands, std::vector<uint8_t>& out);

}  // namespace packet_writer
}  // namespace htj2k
