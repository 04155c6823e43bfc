// The irreversible path of our encoder between loading a tile and coding its
// code-blocks: int32 DC-shifted samples to float, the ICT (15444-1 G.3) on
// components 0..2, the forward 9/7 DWT (F.4.8.2; simd/dwt97_lift.hpp) into the
// bands' Mallat layout with the geometry of the 5/3 path (ht_encoder.cpp's
// transform), then every band quantized (encode/quantization.hpp) back into the
// int32 plane, ready for the HT block coder. The same bytes for every thread count.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace htj2k {

// One tile-component: `plane` (w x h, rows `stride` apart) holds the DC-shifted
// samples on entry and the quantized coefficients in Mallat layout on return;
// w[d], h[d] (d = 0..levels) receive the size of level d's LL.
struct IrreversiblePlane {
  int32_t* plane = nullptr;
  size_t stride = 0;
  std::vector<uint32_t>* w = nullptr;
  std::vector<uint32_t>* h = nullptr;
};

// The tile (x0, y0)-(x1, y1) on the reference grid: ICT with `colour`, `levels` of
// 9/7, quantization with `steps` (irreversible_steps: LL, then HL, LH, HH from the
// lowest resolution up) for components of `bit_depth` bits.
void irreversible_tile(std::vector<IrreversiblePlane>& comps, uint64_t x0, uint64_t y0, uint64_t x1, uint64_t y1,
                       uint32_t levels, bool colour, const std::vector<uint16_t>& steps, uint32_t bit_depth,
                       size_t threads);

}  // namespace htj2k
