// The CxtVLC code tables of the HT cleanup pass (ISO/IEC 15444-15 Annex C): one
// for the initial quad row of a code-block, one for every other quad row. Data
// only; the block encoder (and decoder) derive their own lookups from it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace htj2k {

// One row of the standard's table: the quad's context c_q (0..7), significance
// pattern rho (bit i = sample i of the quad in scan order: top-left,
// bottom-left, top-right, bottom-right), u_off (1 when the quad's u_q is coded
// by U-VLC), the EMB patterns e_k (which samples' exponent is signalled) and e_1
// (the signalled bits), and the codeword of `length` bits (1..7), first bit sent
// in bit 0 (the VLC stream is read LSB first).
struct HtVlcEntry {
  uint8_t context, rho, u_off, e_k, e_1, codeword, length;
};

// which: 0 = the initial quad row, 1 = the other rows. Returns the table in the
// standard's order with its entry count in *count; nullptr (count 0) for any other
// `which`.
const HtVlcEntry* ht_vlc_table(int which, size_t* count);

}  // namespace htj2k
