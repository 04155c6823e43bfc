// Our own Tier-2 packet-header pre-parse (ISO/IEC 15444-1 B.9-B.12, HT code-block
// lengths per 15444-15), run over every packet of every tile-part before OpenJPH
// sees the data. OpenJPH 0.9.0's packet parser trusts what it reads: a corrupted
// code-block length overflows a 32-bit byte count inside it (heap overflow), and
// some corrupted headers make it spin. Here every length is checked against the
// bytes left in its tile-part, with work bounded by the declared geometry.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "codestream/header.hpp"

namespace htj2k {

// For codestreams that passed validate_for_openjph() (HT code-blocks, one quality
// layer, no POC/PPM/PPT, no tile-part COD/COC/QCD). `cs`/`size` is the codestream
// `h` was parsed from. First replays OpenJPH 0.9.0's marker scan (it searches for
// markers instead of skipping segments by length, and with Psot 0 rescans the packet
// data for SOT/EOC), so that it sees the same tile-parts as we do; then walks the
// packets of each tile in progression order across its tile-parts, reading each
// header bit by bit exactly as OpenJPH does (15444-1 B.10), and throws
//  - InvalidCodestream (one line: tile, component, resolution, precinct, band and
//    code-block, byte offset) when a packet header is malformed (bad bit-stuffing,
//    SOP/EPH, zero bit-planes beyond the band's magnitude bits, a length field wider
//    than 32 bits, HT cleanup segment without a valid Scup), when the code-block bytes
//    of a packet exceed what is left in its tile-part, when the tile's data ends before
//    its last packet, or when a Psot-0 tile-part has a SOT/EOC code in its packet data;
//  - UnsupportedCodestream for valid codestreams the linked OpenJPH reads differently
//    from the standard (HT placeholder passes before 0.23; a precinct without
//    code-blocks followed by packets OpenJPH would then misread, since it reads no
//    header for it; a marker code inside a segment OpenJPH scans through).
// Costs a few microseconds per frame (2.5 us for a 512x512 16-bit frame; 0.4 ms with
// 8x8 precincts and code-blocks, ~6% of that decode): only headers are read.
// With `placeholder_passes`, it is set when some code-block has HT placeholder
// passes (read per the standard; OpenJPH misreads them), so that the caller may
// decode through the codestream joined to one HT set per code-block instead
// (codestream/layers.hpp), which every decoder reads.
void check_packets(const uint8_t* cs, size_t size, const CodestreamHeader& h, bool* placeholder_passes = nullptr);

// One POC entry (15444-1 A.6.6) as OpenJPEG 2.5 applies it: resolutions
// [res_start, res_end), components [comp_start, comp_end) (CEpoc 0 is 0 there),
// layers [0, layer_end), progression 0..4.
struct ProgressionChange {
  uint32_t res_start = 0, res_end = 0, comp_start = 0, comp_end = 0, layer_end = 0;
  uint8_t progression = 0;
};

// The main header's POC segments, as OpenJPEG 2.5 reads them (j2k.c
// opj_j2k_read_poc): entries of 7 bytes (9 with more than 256 components), LYEpoc
// capped to the layers of COD, CEpoc to the components (0 stays 0). Throws
// InvalidCodestream for a segment that does not hold whole entries.
std::vector<ProgressionChange> main_header_pocs(const uint8_t* cs, size_t size, const CodestreamHeader& h);

// The same walk for HT codestreams OpenJPEG decodes (codestream/ht_checks.hpp), with
// the progression given by `pocs` when not empty (main-header POC); one quality
// layer, no PPM/PPT. Nothing OpenJPH-specific is replayed or refused; throws
// InvalidCodestream for malformed packet headers, code-block lengths past the
// tile-part, cleanup segments without a valid Scup and, with check_mel, a MEL
// segment OpenJPEG 2.5.0's mel_init() asserts on; UnsupportedCodestream for HT
// placeholder passes (OpenJPEG decodes at most 3 passes).
void check_packets_for_openjpeg(const uint8_t* cs, size_t size, const CodestreamHeader& h,
                                const std::vector<ProgressionChange>& pocs, bool check_mel);

// One packet as the standard reads it: its bytes (SOP, header, EPH, body) are
// [begin, end) of the codestream; `resolution` is its resolution level r (0 lowest).
struct PacketSpan {
  uint32_t resolution = 0;
  size_t begin = 0, end = 0;
  uint32_t component = 0;
};

// The packets of one tile in progression order. Packets after the last one with
// code-blocks are not read (a packet without code-blocks is at most a zero-length
// header), so [packets.back().end, body_end) may hold such headers.
struct TilePackets {
  size_t body_begin = 0, body_end = 0;  // the packet data of its tile-parts (one tile-part: one range)
  std::vector<PacketSpan> packets;
};

// The packet walk of check_packets_for_openjpeg (the standard's reading, same bounds
// checks and errors, progression from COD) reporting every packet's place, one entry
// per tile. For one-layer codestreams without POC/PPM/PPT whose tiles have one
// tile-part each; throws InvalidCodestream / UnsupportedCodestream as that walk does.
std::vector<TilePackets> packet_spans(const uint8_t* cs, size_t size, const CodestreamHeader& h);

// One packet of a tile in progression order: its component and resolution, and
// whether its precinct has code-blocks at all (otherwise OpenJPH reads no header).
struct PacketEntry {
  uint16_t component = 0;
  uint8_t resolution = 0;
  bool has_cb = false;
  uint32_t precinct = 0;  // index in its resolution, raster order
};

// What the data holds of one tile when it may end early (a prefix of a frame).
struct TilePrefix {
  bool header = false;            // the header of its first tile-part (SOT..SOD) is in the data
  size_t header_begin = 0;        // its marker segments between SOT and SOD: [header_begin, header_end)
  size_t header_end = 0;
  size_t body_begin = 0;          // the first byte after that SOD
  std::vector<PacketEntry> order; // every packet of the tile, in progression order
  std::vector<PacketSpan> parsed; // order[0..parsed.size()) wholly in the data, where each lies
};

// The standard's packet walk (as packet_spans) over data that may end anywhere
// after the main header: each tile's packets are read in order across its
// tile-parts until one does not fit in the data or the tile's tile-parts present
// run out. Malformed packet headers before the end of the data still throw
// InvalidCodestream; a tile declaring more packets than 2^20 plus the bytes of its
// tile-parts (as Psot declares them) throws too, so work stays bounded. One
// quality layer, no POC/PPM/PPT (the callers check first).
std::vector<TilePrefix> packet_prefix(const uint8_t* cs, size_t size, const CodestreamHeader& h);

// The packet order of every tile that `h` declares (its COD progression), from the
// geometry alone; a tile with more than `max_packets` packets throws InvalidCodestream.
std::vector<std::vector<PacketEntry>> packet_orders(const CodestreamHeader& h, uint64_t max_packets);

}  // namespace htj2k
