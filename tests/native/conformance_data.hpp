// The ISO 15444-4 conformance codestreams for the native tests: the folder comes
// from HTJ2K_CONFORMANCE_DIR (set by CMake/ctest from HTJ2K_SHARED_DIR).
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace htj2k_test {

// The bytes of conformance codestream `name`; empty when the folder is not set or
// the file is missing (callers skip).
inline std::vector<uint8_t> conformance(const char* name) {
  const char* dir = std::getenv("HTJ2K_CONFORMANCE_DIR");
  std::vector<uint8_t> b;
  if (!dir) return b;
  FILE* f = std::fopen((std::string(dir) + "/" + name).c_str(), "rb");
  if (!f) return b;
  uint8_t buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) b.insert(b.end(), buf, buf + n);
  std::fclose(f);
  return b;
}

}  // namespace htj2k_test
