// A single-tile-part codestream as OpenJPH writes it (encode without tlm/tileparts)
// of a random 8-bit image, for the native tests of the codestream writers.
#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "encode/encoder.hpp"

namespace htj2k_test {

inline std::vector<uint8_t> encoded_u8(uint32_t w, uint32_t h, uint32_t tile, int levels, const char* prog = "RPCL",
                                       uint32_t seed = 0) {
  std::vector<uint8_t> px(size_t(w) * h);
  std::mt19937 rng(seed ? seed : w * 131 + h);
  for (auto& v : px) v = uint8_t(rng());
  htj2k::ImageView im;
  im.data = px.data();
  im.width = w;
  im.height = h;
  im.num_components = 1;
  im.row_stride = w;
  im.type = htj2k::SampleType::U8;
  htj2k::EncodeOptions o;
  o.levels = levels;
  o.progression = prog;
  o.tile_w = o.tile_h = tile;
  return htj2k::encode_image(im, o);
}

}  // namespace htj2k_test
