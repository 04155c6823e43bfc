// CRC-32 (IEEE 802.3, reflected; the zlib / gzip / PNG CRC) backed by ISA-L.
#pragma once
#include <cstddef>
#include <cstdint>

namespace htj2k {

// Same value and chaining rule as zlib's crc32(crc, data, n): start from 0 and
// feed the previous result back in to continue over more bytes.
uint32_t crc32_update(uint32_t crc, const void* data, size_t n);

}  // namespace htj2k
