// The CxtVLC code tables of 15444-15 (HTJ2K) Annex C: for each quad context, the
// codewords of the significance pattern rho, the u-offset and the EMB patterns
// e_k, e_1 of a quad. One table for the initial quad row of a code-block, one for
// the other rows. Codewords are read from the VLC bit-stream LSB first: `codeword`
// holds the first bit read in its bit 0, `length` bits in all (1..7).
#pragma once
#include <cstddef>
#include <cstdint>

namespace htj2k {

struct HtVlcEntry {
  uint8_t context, rho, u_off, e_k, e_1, codeword, length;
};

// which: 0 the initial quad row, 1 the other rows (any other value: nullptr, count
// 0). *count receives the number of entries. The table lives for the whole program.
const HtVlcEntry* ht_vlc_table(int which /*0 initial row, 1 other rows*/, size_t* count);

}  // namespace htj2k
