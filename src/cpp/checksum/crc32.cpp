#include "checksum/crc32.hpp"

#include <isa-l/crc.h>

namespace htj2k {
namespace {

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
// ISA-L's AVX-512 CRC kernel (crc32_gzip_refl_by16_10, at least up to 2.30) returns
// without VZEROUPPER. The dirty upper vector state then slows down every legacy-SSE
// instruction that follows (code built without -mavx), e.g. 4x for the level
// serialisation between per-row CRC calls. Clear it after each call when the CPU
// has AVX (VZEROUPPER is an AVX instruction).
__attribute__((target("avx"))) void zero_upper() { __builtin_ia32_vzeroupper(); }
const bool kHasAvx = __builtin_cpu_supports("avx");
#endif

}  // namespace

uint32_t crc32_update(uint32_t crc, const void* data, size_t n) {
  // crc32_gzip_refl does zlib's pre/post inversion internally, so its seed and
  // result are zlib-compatible CRC values (not the raw register).
  if (n == 0) return crc;
  crc = crc32_gzip_refl(crc, static_cast<const unsigned char*>(data), n);
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  if (kHasAvx) zero_upper();
#endif
  return crc;
}

}  // namespace htj2k
