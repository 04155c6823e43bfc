// Rules with one home: every check in C++ uses these, and htj2k._core exports
// them (DEFAULT_LEVELS, MAX_LEVELS, MAX_COMPONENTS, ...) so Python never repeats them.
#pragma once
#include <cstdint>

namespace htj2k {

// Decomposition levels written when the caller asks for none in particular
// (capped to what the image size allows).
constexpr uint32_t kDefaultLevels = 5;
// The most decomposition levels a codestream may declare (15444-1 A.6.1, SPcod: 0..32).
constexpr uint32_t kMaxLevels = 32;
// The most components a codestream may declare (15444-1 A.5.1, Csiz: 1..16384).
constexpr uint32_t kMaxComponents = 16384;
// The most tiles a codestream may have (15444-1 A.4.2, Isot: 0..65534).
constexpr uint32_t kMaxTiles = 65535;
// Code-block sides (15444-1 A.6.1: xcb, ycb 2..10, xcb + ycb <= 12).
constexpr uint32_t kMinBlockSide = 4, kMaxBlockSide = 1024, kMaxBlockArea = 4096;
// Precinct sides the encoder writes (smaller ones shrink code-blocks under 4x4,
// which OpenJPH 0.9 decodes wrongly or not at all).
constexpr uint32_t kMinPrecinctSide = 8, kMaxPrecinctSide = 32768;

// Progression orders by their Sgcod value (15444-1 Table A.16).
constexpr const char* kProgressionNames[] = {"LRCP", "RLCP", "RPCL", "PCRL", "CPRL"};
constexpr unsigned kNumProgressions = 5;

}  // namespace htj2k
