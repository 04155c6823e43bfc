#include "codestream/ht_checks.hpp"

#include <algorithm>
#include <vector>

#include "codestream/markers.hpp"
#include "core/errors.hpp"
#include "codestream/header.hpp"
#include "codestream/packets.hpp"

namespace htj2k {

namespace {

inline uint32_t be16(const uint8_t* p) { return uint32_t((p[0] << 8) | p[1]); }


}  // namespace

std::vector<ProgressionChange> main_header_pocs(const uint8_t* cs, size_t size, const CodestreamHeader& h) {
  std::vector<ProgressionChange> pocs;
  const size_t ncomp = h.components.size();
  const size_t room = ncomp <= 256 ? 1 : 2;
  const size_t entry = 5 + 2 * room;
  const size_t end = std::min(size, h.main_header_length);
  size_t pos = 2;  // after SOC; parse_header() walked these segments already
  while (pos + 4 <= end) {
    const uint32_t m = be16(cs + pos), len = be16(cs + pos + 2);
    if (m == kSOT) break;
    if (m == 0xFF5F) {
      if (len < 2 || pos + 2 + len > end || (len - 2) % entry != 0 || len == 2)
        throw InvalidCodestream("POC marker segment at byte " + std::to_string(pos) + " of length " +
                                std::to_string(len) + " does not hold whole entries");
      for (const uint8_t* e = cs + pos + 4; e < cs + pos + 2 + len; e += entry) {
        ProgressionChange p;
        p.res_start = e[0];
        p.comp_start = room == 1 ? e[1] : be16(e + 1);
        p.layer_end = std::min<uint32_t>(be16(e + 1 + room), h.cod.layers);
        p.res_end = e[3 + room];
        p.comp_end = std::min<uint32_t>(room == 1 ? e[4 + room] : be16(e + 4 + room), uint32_t(ncomp));
        p.progression = e[4 + 2 * room];
        if (p.progression > 4)
          throw InvalidCodestream("POC entry at byte " + std::to_string(e - cs) + " has progression order " +
                                  std::to_string(p.progression) + " (0..4)");
        pocs.push_back(p);
      }
    }
    pos += 2 + size_t(len);
  }
  return pocs;
}

void check_before_openjpeg(const uint8_t* cs, size_t size, bool mel_init_asserts, const std::string& opj_name) {
  // From 2.5.1 on no assert() is reachable from the bytes (ht_checks.hpp): OpenJPEG
  // then reads the packets itself, as it always did.
  if (!mel_init_asserts) return;
  const CodestreamHeader h = parse_header(cs, size);
  bool any_ht = (h.cod.cb_style & 0x40) != 0;
  for (const auto& o : h.overrides) any_ht |= o.cod.present && (o.cod.cb_style & 0x40);
  if (!any_ht) return;  // Part 1: no assert reachable (ht_checks.hpp)

  // Layouts our packet walk does not follow.
  std::string why;
  if (h.cod.layers > 1) why = std::to_string(h.cod.layers) + " quality layers";
  if (h.has_ppm) why = "PPM (packed packet headers)";
  for (const auto& tp : h.tile_parts)
    for (const auto& m : tp.header_markers)
      if (why.empty() && (m == "PPT" || m == "POC" || m == "COD" || m == "COC"))
        why = m + " in tile-part header of tile " + std::to_string(tp.tile);
  if (!why.empty())
    throw UnsupportedCodestream("HT code-blocks with " + why + ": their cleanup segments cannot be checked for " +
                                "what " + opj_name + " asserts on (mel_init); not handed to it");
  const std::vector<ProgressionChange> pocs =
      h.has_poc ? main_header_pocs(cs, size, h) : std::vector<ProgressionChange>();
  check_packets_for_openjpeg(cs, size, h, pocs, true);
}

}  // namespace htj2k
