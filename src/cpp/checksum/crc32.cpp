#include "checksum/crc32.hpp"

#include <isa-l/crc.h>

namespace htj2k {

uint32_t crc32_update(uint32_t crc, const void* data, size_t n) {
  // crc32_gzip_refl does zlib's pre/post inversion internally, so its seed and
  // result are zlib-compatible CRC values (not the raw register).
  if (n == 0) return crc;
  return crc32_gzip_refl(crc, static_cast<const unsigned char*>(data), n);
}

}  // namespace htj2k
