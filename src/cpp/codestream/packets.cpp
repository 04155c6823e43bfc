// Tier-2 packet-header pre-parse (see packets.hpp). Written from ISO/IEC 15444-1
// Annex B (B.6 precincts, B.7 code-blocks, B.9-B.10 packet headers, B.12 progression
// orders) and 15444-15 (HT codeword segments); OpenJPH's reader was consulted only to
// confirm which bits it consumes, so that our packet boundaries are its boundaries.
//
// Everything runs on untrusted bytes: every read is bounds-checked against the end of
// the tile-part, every loop is bounded by the declared geometry or by the bytes it
// consumes, and sizes are combined in uint64_t.
#include "codestream/packets.hpp"

#include "codestream/packet_checker.hpp"

#include "codestream/markers.hpp"
#include "core/bytes.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "backends/openjph/openjph_compat.hpp"

namespace htj2k {

namespace {

using namespace packets_internal;

// ---------------------------------------------------------------- OpenJPH's marker scan

// OpenJPH 0.9.0 does not walk marker segments by their lengths: it scans for the next
// 0xFF byte followed by a code it is looking for (comparing the low byte only), and
// skips or reads only the segments it knows. After a tile-part it seeks to
// SOT + Psot, but with Psot 0 to the start of the tile-part's header, and scans on for
// SOT or EOC through its packet data (while parsing its packets with an unbounded
// byte count). Our packet check protects OpenJPH only if it sees the same marker
// segments and tile-parts as we do, so its scan is replayed here.
class OjphMarkerScan {
 public:
  OjphMarkerScan(const uint8_t* cs, size_t size, const CodestreamHeader& h) : cs_(cs), size_(size), h_(h) {}

  void run() {
    // Main header: SOC, SIZ (read whole), then the listed markers up to the first SOT.
    static const uint8_t kMain[] = {0x50, 0x56, 0x59, 0x52, 0x53, 0x5C, 0x5D, 0x5E,
                                    0x5F, 0x60, 0x55, 0x57, 0x63, 0x64, 0x90};
    segments(2, h_.main_header_length);
    pos_ = 4 + be16(cs_ + 4);  // past SIZ
    follow(kMain, sizeof kMain, h_.main_header_length, "the main header");
    static const uint8_t kFirst[] = {0x52, 0x53, 0x5C, 0x5D, 0x5E, 0x5F, 0x61, 0x58, 0x64, 0x93};
    static const uint8_t kOther[] = {0x5F, 0x61, 0x58, 0x64, 0x93};
    for (size_t i = 0; i < h_.tile_parts.size(); ++i) {
      const TilePartInfo& tp = h_.tile_parts[i];
      const std::string name = "tile-part " + str(tp.tpsot) + " of tile " + str(tp.tile);
      // its header, from after SOT to SOD
      const size_t sod = segments(tp.offset + 12, tp.psot ? size_t(tp.offset) + tp.psot : size_);
      pos_ = tp.offset + 12;
      if (tp.tpsot)
        follow(kOther, sizeof kOther, sod, "the header of " + name);
      else
        follow(kFirst, sizeof kFirst, sod, "the header of " + name);
      // then SOT or EOC where this tile-part ends
      const size_t next = i + 1 < h_.tile_parts.size() ? h_.tile_parts[i + 1].offset
                          : tp.psot                      ? size_t(tp.offset) + tp.psot  // EOC
                                                         : size_ - 2;
      pos_ = tp.psot ? size_t(tp.offset) + tp.psot : size_t(tp.offset) + 12;
      static const uint8_t kNext[] = {0x90, 0xD9};
      const size_t p = find(kNext, sizeof kNext);
      if (p == next) continue;
      const std::string found = p == kNone ? "no SOT or EOC" : "marker 0x" + hex4(be16(cs_ + p)) + " at byte " + str(p);
      if (!tp.psot && p != kNone && p >= sod + 2)
        throw InvalidCodestream(name + " (Psot 0, so " + kOjph + " scans its packet data for the next tile-part): " +
                                found + " inside the packet data, where no marker code may be");
      throw UnsupportedCodestream(name + ": " + kOjph + " looks for the next SOT or EOC at byte " + str(next) +
                                  " and finds " + found);
    }
  }

 private:
  static constexpr size_t kNone = ~size_t(0);

  static std::string hex4(uint16_t v) {
    static const char* hex = "0123456789ABCDEF";
    std::string s;
    for (int shift = 12; shift >= 0; shift -= 4) s += hex[(v >> shift) & 15];
    return s;
  }

  // Records the marker segments from `from` up to SOT/SOD (or `limit`); returns
  // where the walk stopped (the SOT or SOD).
  size_t segments(size_t from, size_t limit) {
    starts_.clear();
    ends_.clear();
    size_t q = from;
    while (q + 2 <= std::min(limit, size_)) {
      const uint16_t m = be16(cs_ + q);
      if (m == kSOD || m == kSOT) break;
      size_t len = 2;
      if (!(m >= 0xFF30 && m <= 0xFF3F)) {
        if (q + 4 > size_) break;
        len = 2 + size_t(be16(cs_ + q + 2));
      }
      starts_.push_back(q);
      ends_.push_back(q + len);
      q += len;
    }
    return q;
  }

  size_t find(const uint8_t* codes, size_t n) {
    while (pos_ < size_) {
      if (cs_[pos_++] != 0xFF) continue;
      if (pos_ >= size_) return kNone;
      const uint8_t c = cs_[pos_++];
      for (size_t i = 0; i < n; ++i)
        if (codes[i] == c) return pos_ - 2;
    }
    return kNone;
  }

  // Replays the scan through the segments recorded by segments() until it reaches
  // `target` (SOT or SOD); every marker it finds must start one of them.
  void follow(const uint8_t* codes, size_t n, size_t target, const std::string& where) {
    while (true) {
      const size_t p = find(codes, n);
      if (p == target) return;
      const auto it = std::lower_bound(starts_.begin(), starts_.end(), p);
      if (p == kNone || it == starts_.end() || *it != p) {
        std::string inside;
        if (p != kNone) {
          const auto seg = std::upper_bound(starts_.begin(), starts_.end(), p);
          if (seg != starts_.begin())
            inside = " inside the marker segment 0x" + hex4(be16(cs_ + *(seg - 1))) + " at byte " + str(*(seg - 1));
        }
        throw UnsupportedCodestream(
            kOjph + std::string(" scans ") + where + " for markers instead of skipping segments by their length, and " +
            (p == kNone ? std::string("finds none") : "finds 0x" + hex4(be16(cs_ + p)) + " at byte " + str(p) + inside));
      }
      pos_ = ends_[size_t(it - starts_.begin())];
    }
  }

  const uint8_t* cs_;
  size_t size_;
  const CodestreamHeader& h_;
  size_t pos_ = 0;
  std::vector<size_t> starts_, ends_;
};

}  // namespace

void check_packets(const uint8_t* cs, size_t size, const CodestreamHeader& h, bool* placeholder_passes) {
  if (!cs || h.components.empty() || h.tile_parts.empty() || size < 4) return;
  OjphMarkerScan(cs, size, h).run();
  PacketChecker checker(cs, size, h);
  checker.run();
  if (placeholder_passes) *placeholder_passes = checker.placeholders_;
  if (!checker.unsupported_.empty()) throw UnsupportedCodestream(checker.unsupported_);
}

void check_packets_for_openjpeg(const uint8_t* cs, size_t size, const CodestreamHeader& h,
                                const std::vector<ProgressionChange>& pocs, bool check_mel) {
  if (!cs || h.components.empty() || h.tile_parts.empty() || size < 4) return;
  PacketChecker checker(cs, size, h, true, &pocs, check_mel);
  checker.run();  // OpenJPH's quirks (unsupported_) do not matter here
}

std::vector<TilePackets> packet_spans(const uint8_t* cs, size_t size, const CodestreamHeader& h) {
  const uint64_t num_tiles = uint64_t(h.num_tiles_x()) * h.num_tiles_y();
  std::vector<TilePackets> spans(size_t(h.components.empty() ? 0 : num_tiles));
  if (!cs || h.components.empty() || h.tile_parts.empty() || size < 4) return spans;
  PacketChecker checker(cs, size, h, true, nullptr, false);
  checker.spans_ = &spans;
  checker.run();
  return spans;
}

}  // namespace htj2k
