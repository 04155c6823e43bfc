// Test data files for the native tests: the ISO 15444-4 conformance codestreams
// come from HTJ2K_CONFORMANCE_DIR (set by CMake/ctest from HTJ2K_SHARED_DIR).
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace htj2k_test {

// The bytes of the file at `path`; empty when it cannot be opened.
inline std::vector<uint8_t> read_file(const std::string& path) {
  std::vector<uint8_t> b;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return b;
  uint8_t buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) b.insert(b.end(), buf, buf + n);
  std::fclose(f);
  return b;
}

// The bytes of conformance codestream `name`; empty when the folder is not set or
// the file is missing (callers skip).
inline std::vector<uint8_t> conformance(const char* name) {
  const char* dir = std::getenv("HTJ2K_CONFORMANCE_DIR");
  return dir ? read_file(std::string(dir) + "/" + name) : std::vector<uint8_t>();
}

}  // namespace htj2k_test
