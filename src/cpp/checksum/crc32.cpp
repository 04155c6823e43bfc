#include "checksum/crc32.hpp"

#include <isa-l/crc.h>

namespace htj2k {
namespace {

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
// ISA-L's AVX-512 CRC kernel (crc32_gzip_refl_by16_10, 2.30) returns without
// VZEROUPPER (callers are expected to add it: intel/isa-l#24). The dirty upper
// vector state then slows down the legacy-SSE code that follows (anything built
// without -mavx): ~3x for the level checksums, which CRC row by row. Clear it after
// each call when the CPU has AVX (VZEROUPPER is an AVX instruction).
__attribute__((target("avx"))) void zero_upper() { __builtin_ia32_vzeroupper(); }
bool has_avx() {
  static const bool avx = [] {
    __builtin_cpu_init();  // in case we run before libgcc's own initialiser
    return __builtin_cpu_supports("avx") != 0;
  }();
  return avx;
}
#endif

}  // namespace

uint32_t crc32_update(uint32_t crc, const void* data, size_t n) {
  // crc32_gzip_refl does zlib's pre/post inversion internally, so its seed and
  // result are zlib-compatible CRC values (not the raw register).
  if (n == 0) return crc;
  crc = crc32_gzip_refl(crc, static_cast<const unsigned char*>(data), n);
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  if (has_avx()) zero_upper();
#endif
  return crc;
}

}  // namespace htj2k
