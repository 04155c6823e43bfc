// What the first bytes of a frame hold, and decoding from them (ISO/IEC 15444-1
// B.12: every packet of a resolution level the decoder keeps, wherever the
// progression puts it). The archive serves RPCL frames with one tile-part per
// resolution level, so a client can decode a thumbnail from the first kilobytes;
// OpenJPH decodes a prefix that lacks the tile-part a level needs without an error
// (missing code-blocks read as zero), so a prefix is completed here instead: the
// packets the level needs are kept and every later packet is replaced by an empty
// one (a zero-length packet header, B.10.3), which no decoder at that level reads.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "codestream/header.hpp"
#include "codestream/packets.hpp"

namespace htj2k {

class CodestreamPrefix {
 public:
  // `cs`/`size`: a codestream (SOC first) or its first bytes; `h` parsed from them;
  // `offset`: where the codestream starts in the caller's input (JPH boxes), for
  // the byte counts reported. Throws InvalidCodestream for malformed packet headers
  // before the end of the data, UnsupportedCodestream for several quality layers,
  // POC, PPM or PPT (the packet walk reads one layer in COD's order).
  CodestreamPrefix(const uint8_t* cs, size_t size, const CodestreamHeader& h, size_t offset = 0);

  // Decomposition levels every component has: levels 0..levels() can be decoded.
  uint32_t levels() const { return levels_; }
  // Whether the data holds everything level r (r resolution levels discarded) needs.
  bool complete(uint32_t r) const { return r <= levels_ && complete_[r]; }
  // The finest complete level (0 = full resolution); -1 when none is.
  int best() const;
  // Leading bytes of the input (offset included) that hold level r: exact when the
  // data holds it (the end of its last packet); otherwise from TLM when each tile
  // has one tile-part per resolution level in a resolution-major progression;
  // otherwise 0 (not known from these bytes).
  uint64_t needed(uint32_t r) const { return r <= levels_ ? end_[r] + (end_[r] ? offset_ : 0) : 0; }

  // A complete codestream equivalent to the full frame at level r: the main header
  // (without TLM/PLM), each tile as one tile-part holding the packets level r needs
  // (with whatever packets precede them in the progression) and an empty packet for
  // every later one, then EOC. Throws IncompleteCodestream when !complete(r).
  std::vector<uint8_t> completed(uint32_t r) const;

  // The IncompleteCodestream thrown for level r (what is missing, the bytes needed).
  [[noreturn]] void throw_incomplete(uint32_t r) const;

 private:
  void ends_from_packets();
  void ends_from_tlm();

  const uint8_t* cs_;
  size_t size_;
  const CodestreamHeader& h_;
  size_t offset_;
  uint32_t levels_ = 0;
  std::vector<TilePrefix> tiles_;
  // kept_[t][r]: how many leading packets of tile t level r needs.
  std::vector<std::vector<size_t>> kept_;
  std::vector<uint64_t> end_;  // per level, within the codestream; 0 = not known
  std::vector<bool> complete_;
};

}  // namespace htj2k
