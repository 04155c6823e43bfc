// Our own parser of JPEG 2000 / HTJ2K codestream headers (ISO/IEC 15444-1 Annex A,
// 15444-15 for CAP), and the JP2-family box walker that finds the codestream in a
// JPH/JP2 file. Used by info() and, before any byte reaches OpenJPH, by validation.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace htj2k {

enum class Container { Codestream, JPH, JP2 };
const char* container_name(Container c);  // "j2c", "jph", "jp2"

struct CodestreamSpan {
  size_t offset = 0;  // of the SOC marker within the input
  size_t length = 0;  // bytes of the codestream (to the end of the jp2c box)
  Container container = Container::Codestream;
};

// Finds the codestream: bytes starting with SOC (FF4F FF51) are a bare codestream;
// bytes starting with the JP2 signature box are walked box by box to 'jp2c'
// ('ftyp' brand 'jph ' => JPH, otherwise JP2). Throws InvalidCodestream.
CodestreamSpan locate_codestream(const uint8_t* data, size_t size);

struct ComponentSiz {
  uint32_t bit_depth = 0;  // 1..38
  bool is_signed = false;
  uint32_t dx = 1, dy = 1;  // subsampling
};

// COD (or COC for one component): coding style.
struct CodingStyle {
  bool present = false;
  uint8_t progression = 0;       // 0 LRCP, 1 RLCP, 2 RPCL, 3 PCRL, 4 CPRL
  uint16_t layers = 1;
  uint8_t mct = 0;               // multiple component transform in use
  uint8_t levels = 0;            // decomposition levels
  uint8_t log2_cb_w = 6, log2_cb_h = 6;  // code-block size exponents (xcb+2, ycb+2)
  uint8_t cb_style = 0;          // SPcod code-block style byte; bit 6 (0x40) = HT
  uint8_t transform = 1;         // 1 = reversible 5/3, 0 = irreversible 9/7
  bool user_precincts = false;   // Scod bit 0
  bool sop = false, eph = false; // Scod bits 1, 2
  std::vector<uint8_t> precincts;  // per resolution 0..levels: PPx | PPy << 4 (15/15 when default)
};

// QCD / QCC: quantization.
struct Quantization {
  bool present = false;
  uint8_t style = 0;       // 0 none (reversible), 1 scalar derived, 2 scalar expounded
  uint8_t guard_bits = 0;
  std::vector<uint16_t> steps;  // raw SPqcd values (8-bit exponents for style 0, 16-bit otherwise)
};

struct ComponentOverride {  // a COC or QCC in the main header
  uint16_t component = 0;
  CodingStyle cod;          // valid when cod.present
  Quantization qcd;         // valid when qcd.present
};

// RGN (15444-1 A.6.3): the region-of-interest shift of one component (Srgn 0, the
// max-shift method, is the only style Part 1 defines; others are kept to be refused).
struct RoiShift {
  uint16_t component = 0;
  uint8_t style = 0;  // Srgn
  uint8_t shift = 0;  // SPrgn: ROI coefficients are scaled up by 2^shift
};

struct TilePartInfo {
  uint16_t tile = 0;
  uint32_t psot = 0;        // tile-part length from SOT (0 = to EOC)
  uint8_t tpsot = 0, tnsot = 0;
  size_t offset = 0;        // of SOT within the codestream
  std::vector<std::string> header_markers;  // names of markers in its header ("COD","QCD","PLT",...)
  std::vector<RoiShift> rgn;                // its RGN segments
};

struct TlmEntry {  // one tile-part listed by TLM (15444-1 A.7.1)
  uint32_t tile = 0;    // Ttlm (implied by position when ST = 0)
  uint32_t length = 0;  // Ptlm: the tile-part's Psot
};

struct CodestreamHeader {
  // SIZ
  uint16_t rsiz = 0;
  uint32_t xsiz = 0, ysiz = 0, x0 = 0, y0 = 0;  // reference grid
  uint32_t tile_w = 0, tile_h = 0, tile_x0 = 0, tile_y0 = 0;
  std::vector<ComponentSiz> components;
  // CAP (15444-15)
  bool has_cap = false;
  uint32_t pcap = 0;
  std::vector<uint16_t> ccap;
  // COD / QCD and per-component overrides in the main header
  CodingStyle cod;
  Quantization qcd;
  std::vector<ComponentOverride> overrides;  // COC / QCC
  // presence of other main-header markers
  std::vector<RoiShift> rgn;  // main-header RGN segments
  bool has_rgn = false, has_poc = false, has_tlm = false, has_plm = false, has_ppm = false,
       has_crg = false;
  // TLM entries of every TLM segment in Ztlm order; tlm_ok false when a segment is
  // malformed or the Ztlm are not 0, 1, 2... (decoders ignore TLM, so this is no error).
  std::vector<TlmEntry> tlm;
  bool tlm_ok = true;
  uint32_t tlm_segments = 0;  // well-formed TLM segments read (the next Ztlm expected)
  std::vector<std::string> comments;  // COM, Latin-1 ones only
  size_t main_header_length = 0;      // bytes from SOC to the first SOT
  // tile-parts, walked via SOT/Psot
  std::vector<TilePartInfo> tile_parts;
  bool has_plt = false;               // in any tile-part header
  bool has_eoc = false;               // EOC found where the last tile-part ends
  bool truncated = false;             // a tile-part runs past the end of the data, or no EOC

  uint32_t width() const { return xsiz - x0; }
  uint32_t height() const { return ysiz - y0; }
  uint32_t num_tiles_x() const;
  uint32_t num_tiles_y() const;
  // true when every code-block style (COD and COCs) has the HT bit set
  bool all_ht() const;
  // true when some code-block style (COD or COC) has the HT bit and some does not
  bool mixed_ht() const;
  // coding style for component c (COC override or COD)
  const CodingStyle& style_for(uint32_t c) const;
  const Quantization& quant_for(uint32_t c) const;
  // The RGN of component c in tile t: its first tile-part's, else the main header's;
  // nullptr when none (15444-1 A.6.3: a tile-part RGN overrides the main one).
  const RoiShift* roi_for(uint32_t t, uint32_t c) const;
  // Some RGN (main or tile-part header) has a non-zero shift.
  bool has_roi() const;
};

// Parses the main header and walks tile-parts. Throws InvalidCodestream with a
// precise reason (marker, offset) on malformed input. Never reads out of bounds.
CodestreamHeader parse_header(const uint8_t* cs, size_t size);

// Size of resolution level r (r levels discarded) of component c, as a decoder
// reconstructs it: ceil(ceil(X1/dx)/2^r) - ceil(ceil(X0/dx)/2^r), same for Y.
uint32_t level_width(const CodestreamHeader& h, uint32_t c, uint32_t r);
uint32_t level_height(const CodestreamHeader& h, uint32_t c, uint32_t r);

}  // namespace htj2k
