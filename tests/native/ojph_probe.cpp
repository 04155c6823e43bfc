// Drives the linked OpenJPH directly, with none of htj2k's validation, so that
// tests/codec/test_version_gates.py can show each defect a version gate in
// src/cpp/backends/openjph/openjph_compat.hpp guards against (and see when one is gone).
//
//   ojph_probe decode FILE LEVEL        prints "WxH crc" per component (CRC-32 of
//                                       the samples as little-endian int32)
//   ojph_probe encode OUT W H DEPTH SIGNED LEVELS V0 V1 ...
//                                       one component, samples V0.. row by row
// A crash or failed assertion inside OpenJPH ends the process by a signal.
#include <zlib.h>
#include "backends/openjph/ojph.hpp"  // the OpenJPH headers, in an order every release compiles

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

static int decode(const char* path, unsigned level) {
  std::ifstream f(path, std::ios::binary);
  std::vector<unsigned char> data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ojph::mem_infile in;
  in.open(data.data(), data.size());
  ojph::codestream cs;
  cs.read_headers(&in);
  if (level) cs.restrict_input_resolution(level, level);
  cs.create();
  ojph::param_siz siz = cs.access_siz();
  const unsigned nc = siz.get_num_components();
  std::vector<unsigned long> crc(nc, crc32(0, nullptr, 0));
  unsigned long total = 0;
  for (unsigned c = 0; c < nc; ++c) total += siz.get_recon_height(c);
  for (unsigned long i = 0; i < total; ++i) {
    ojph::ui32 c = 0;
    ojph::line_buf* line = cs.pull(c);
    const unsigned w = siz.get_recon_width(c);
    std::vector<unsigned char> le(size_t(w) * 4);
    for (unsigned x = 0; x < w; ++x) {
      const unsigned v = unsigned(line->i32[x]);
      for (int b = 0; b < 4; ++b) le[size_t(x) * 4 + b] = (unsigned char)(v >> (8 * b));
    }
    crc[c] = crc32(crc[c], le.data(), unsigned(le.size()));
  }
  cs.close();
  for (unsigned c = 0; c < nc; ++c)
    std::printf("%ux%u %lu\n", siz.get_recon_width(c), siz.get_recon_height(c), crc[c]);
  return 0;
}

static int encode(int argc, char** argv) {
  const char* out_path = argv[2];
  const unsigned w = unsigned(std::atoi(argv[3])), h = unsigned(std::atoi(argv[4]));
  const unsigned depth = unsigned(std::atoi(argv[5]));
  const bool is_signed = std::atoi(argv[6]) != 0;
  const unsigned levels = unsigned(std::atoi(argv[7]));
  if (argc != 8 + int(w * h)) {
    std::fprintf(stderr, "need %u sample values\n", w * h);
    return 2;
  }
  ojph::codestream cs;
  ojph::param_siz siz = cs.access_siz();
  siz.set_image_extent(ojph::point(w, h));
  siz.set_num_components(1);
  siz.set_component(0, ojph::point(1, 1), depth, is_signed);
  siz.set_image_offset(ojph::point(0, 0));
  siz.set_tile_size(ojph::size(w, h));
  siz.set_tile_offset(ojph::point(0, 0));
  ojph::param_cod cod = cs.access_cod();
  cod.set_num_decomposition(levels);
  cod.set_color_transform(false);
  cod.set_reversible(true);
  cs.set_planar(true);
  ojph::mem_outfile out;
  out.open();
  cs.write_headers(&out);
  ojph::ui32 c = 0;
  ojph::line_buf* line = cs.exchange(nullptr, c);
  for (unsigned y = 0; y < h; ++y) {
    for (unsigned x = 0; x < w; ++x) line->i32[x] = std::atoi(argv[8 + y * w + x]);
    line = cs.exchange(line, c);
  }
  cs.flush();
  std::ofstream f(out_path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(out.get_data()), std::streamsize(out.tell()));
  cs.close();
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 4 && std::strcmp(argv[1], "decode") == 0) return decode(argv[2], unsigned(std::atoi(argv[3])));
  if (argc >= 8 && std::strcmp(argv[1], "encode") == 0) return encode(argc, argv);
  std::fprintf(stderr, "usage: ojph_probe decode FILE LEVEL | encode OUT W H DEPTH SIGNED LEVELS V...\n");
  return 2;
}
