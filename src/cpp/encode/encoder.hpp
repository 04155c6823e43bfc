// Encoding an image with OpenJPH to an HTJ2K codestream or JPH file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "checksum/levels.hpp"
#include "core/image.hpp"

namespace htj2k {

struct EncodeStageTimes;  // encode/stage_times.hpp

struct EncodeOptions {
  bool reversible = true;
  float qstep = 0.0f;        // irreversible only; 0 = OpenJPH default
  int levels = -1;           // -1 = default 5, capped to what the size allows
  uint32_t block_w = 64, block_h = 64;
  // Precinct sizes (w, h), powers of two, from the highest resolution down; the
  // last one repeats for lower resolutions. Empty = maximal precincts.
  std::vector<std::pair<uint32_t, uint32_t>> precincts;
  std::string progression = "RPCL";
  uint32_t tile_w = 0, tile_h = 0;  // 0 = one tile
  uint32_t bit_depth = 0;           // 0 = full width of the sample type
  int colour_transform = -1;        // -1 = on for 3 components, else 0/1
  bool tlm = false;                 // TLM marker (OpenJPH >= 0.10)
  std::string tileparts;            // "", "R", "C" or "RC" tile-part divisions (>= 0.10)
  bool plt = false;                 // PLT packet lengths in every tile-part (our codestream writer)
  bool jph = false;                 // wrap in a JPH file
  bool check_tiles = true;          // refuse edge tiles that vanish at a reduced level
  // Which encoder: ours (encode/ht_encoder.hpp) where it supports the options
  // (Auto), ours or an error naming the option (Htj2k), or the linked OpenJPH.
  enum class Encoder { Auto, Htj2k, Openjph } encoder = Encoder::Auto;
  uint32_t threads = 1;             // threads of our encoder within the frame (0 = all cores)
  bool checksums = false;           // the caller asks for the level checksums too (encode_image's level_crcs)
  EncodeStageTimes* stage_times = nullptr;  // test-only profile of our encoder (encode/stage_times.hpp)
};

// encoder="auto" picks ours (encode/ht_encoder.hpp) for every option it supports.
constexpr bool kAutoPicksOurs = true;
bool auto_picks_ours();

// A progression order's Sgcod value (core/limits.hpp kProgressionNames);
// kNumProgressions for a name that is none of them.
uint8_t progression_index(const std::string& name);

// "auto", "htj2k", "openjph" -> Encoder; InvalidArgument otherwise.
EncodeOptions::Encoder parse_encoder(const std::string& name);

// Largest number of decomposition levels for a w x h image: each level must
// leave at least one sample in every dimension that has more than one.
uint32_t max_levels_for_size(uint32_t w, uint32_t h);

// Throws InvalidArgument for bad options, EncodeFailure for values outside the
// declared bit depth and for OpenJPH failures, UnsupportedCodestream for
// features the linked OpenJPH lacks.
// With level_crcs (encode(..., checksums=True)): also the checksums of levels
// L..0 (base first) of what the result decodes to -- from our encoder's own DWT
// pass for lossless encodes, else from the samples or by decoding the result.
std::vector<uint8_t> encode_image(const ImageView& image, const EncodeOptions& options,
                                  std::vector<LevelCrc>* level_crcs = nullptr);

// Wraps a codestream in a minimal JPH file (signature, ftyp 'jph ', jp2h with
// ihdr/colr[/bpcc], jp2c).
std::vector<uint8_t> wrap_jph(const std::vector<uint8_t>& codestream, uint32_t width, uint32_t height,
                              const std::vector<std::pair<uint32_t, bool>>& depth_signed,
                              bool colour);

// A bare codestream wrapped the same way, its size, bit depths and signedness read from
// its header (sRGB for 3 or more components, else greyscale). Throws InvalidCodestream.
std::vector<uint8_t> wrap_jph(const uint8_t* codestream, size_t size);

}  // namespace htj2k
