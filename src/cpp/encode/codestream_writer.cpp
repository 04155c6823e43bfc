#include "encode/codestream_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "codestream/markers.hpp"
#include "codestream/tileparts.hpp"
#include "core/bytes.hpp"
#include "core/errors.hpp"
#include "encode/quantization.hpp"

namespace htj2k {
namespace {

// Beyond this many levels the BIBO gains no longer change at double precision's
// use here (the cascades converge); the filters are as long as 2^levels.
constexpr uint32_t kGainLevels = 20;

// Sum of |taps| of the filter f convolved with h upsampled by `step`.
std::vector<double> convolve_up(const std::vector<double>& f, const double* h, size_t nh, size_t step) {
  std::vector<double> out(f.size() + (nh - 1) * step, 0.0);
  for (size_t i = 0; i < f.size(); ++i)
    for (size_t k = 0; k < nh; ++k) out[i + k * step] += f[i] * h[k];
  return out;
}

double l1(const std::vector<double>& f) {
  double s = 0;
  for (double v : f) s += std::fabs(v);
  return s;
}

// gain_low[d]: the analysis low-pass cascaded d times; gain_high[d]: d low-pass
// steps then the high-pass (15444-1 F.4.8.2's 5/3 lifting as filters).
void bibo_gains(uint32_t levels, std::vector<double>& gain_low, std::vector<double>& gain_high) {
  static const double lo[5] = {-0.125, 0.25, 0.75, 0.25, -0.125};
  static const double hi[3] = {-0.5, 1.0, -0.5};
  const uint32_t n = std::min(levels, kGainLevels);
  std::vector<double> f = {1.0};
  gain_low.assign(levels + 1, 0.0);
  gain_high.assign(levels + 1, 0.0);
  for (uint32_t d = 0; d <= levels; ++d) {
    if (d <= n) {
      gain_low[d] = l1(f);
      gain_high[d] = l1(convolve_up(f, hi, 3, size_t(1) << d));
      if (d < n) f = convolve_up(f, lo, 5, size_t(1) << d);
    } else {
      gain_low[d] = gain_low[n];
      gain_high[d] = gain_high[n];
    }
  }
}

uint8_t extra_bits(double gain_product) { return uint8_t(std::ceil(std::log2(gain_product * 1.1))); }

void put_marker(std::vector<uint8_t>& out, uint16_t marker, const std::vector<uint8_t>& body) {
  put16(out, marker);
  put16(out, uint32_t(body.size() + 2));
  out.insert(out.end(), body.begin(), body.end());
}

unsigned log2_exact(uint32_t v) {
  unsigned k = 0;
  while ((uint32_t(1) << k) < v) ++k;
  return k;
}

// Ccap15's MAGB field (15444-15 A.3): the smallest code whose bound covers the
// largest Mb of the codestream.
uint16_t magb_code(unsigned mb) {
  if (mb <= 8) return 0;
  if (mb < 28) return uint16_t(mb - 8);
  if (mb <= 74) return uint16_t(std::min(31u, 19 + (mb - 27 + 3) / 4));
  return 31;
}

}  // namespace

std::vector<uint8_t> reversible_exponents(uint32_t levels, uint32_t B) {
  std::vector<double> gl, gh;
  bibo_gains(levels, gl, gh);
  std::vector<uint8_t> e;
  e.push_back(uint8_t(B + extra_bits(gl[levels] * gl[levels])));
  for (uint32_t d = levels; d > 0; --d) {
    const uint8_t hl = uint8_t(B + extra_bits(gl[d] * gh[d - 1]));
    e.push_back(hl);  // HL
    e.push_back(hl);  // LH
    e.push_back(uint8_t(B + extra_bits(gh[d - 1] * gh[d - 1])));  // HH
  }
  return e;
}

// Long by nature: the four marker segments field by field, in A.5-A.6's order.
std::vector<uint8_t> write_main_header(const MainHeaderParams& p) {
  std::vector<uint8_t> out;
  put16(out, kSOC);
  const uint32_t nc = uint32_t(p.components.size());
  std::vector<uint8_t> siz;
  put16(siz, 0x4000);  // Rsiz: 15444-15 capabilities (CAP present)
  put32(siz, p.width);
  put32(siz, p.height);
  put32(siz, 0);
  put32(siz, 0);
  put32(siz, p.tile_w);
  put32(siz, p.tile_h);
  put32(siz, 0);
  put32(siz, 0);
  put16(siz, nc);
  for (const auto& c : p.components) {
    siz.push_back(uint8_t((c.first - 1) | (c.second ? 0x80 : 0)));
    siz.push_back(1);
    siz.push_back(1);
  }
  put_marker(out, kSIZ, siz);

  uint32_t B = 0;
  for (const auto& c : p.components) B = std::max(B, c.first);
  if (p.colour) B += 1;  // the RCT's chroma needs one bit more
  const std::vector<uint8_t> exps = p.reversible ? reversible_exponents(p.levels, B) : std::vector<uint8_t>();
  const unsigned guard_bits = p.reversible ? 1 : kIrreversibleGuardBits;
  unsigned max_mb = 0;
  for (uint8_t e : exps) max_mb = std::max(max_mb, guard_bits + e - 1);
  if (!p.reversible) max_mb = irreversible_magb_bits(p.steps, p.levels);  // OpenJPH's bound for style 2
  std::vector<uint8_t> cap;
  put32(cap, 0x00020000);  // Pcap: Part 15
  // HTONLY, single HT set, no RGN, homogeneous; bit 5: irreversible
  put16(cap, uint32_t(magb_code(max_mb) | (p.reversible ? 0 : 0x20)));
  put_marker(out, kCAP, cap);

  std::vector<uint8_t> cod;
  cod.push_back(p.precincts.empty() ? 0 : 1);  // Scod: user precincts
  cod.push_back(p.progression);
  put16(cod, 1);  // one quality layer
  cod.push_back(p.colour ? 1 : 0);
  cod.push_back(uint8_t(p.levels));
  cod.push_back(uint8_t(log2_exact(p.block_w) - 2));
  cod.push_back(uint8_t(log2_exact(p.block_h) - 2));
  cod.push_back(0x40);  // HT code-blocks
  cod.push_back(p.reversible ? 1 : 0);  // reversible 5/3 or irreversible 9/7
  if (!p.precincts.empty())
    for (uint32_t r = 0; r <= p.levels; ++r) {  // from the lowest resolution; ours run from the highest
      const auto& pp = p.precincts[std::min<size_t>(p.levels - r, p.precincts.size() - 1)];
      cod.push_back(uint8_t(log2_exact(pp.first) | (log2_exact(pp.second) << 4)));
    }
  put_marker(out, kCOD, cod);

  std::vector<uint8_t> qcd;
  if (p.reversible) {
    qcd.push_back(uint8_t(guard_bits << 5));  // no quantization
    for (uint8_t e : exps) qcd.push_back(uint8_t(e << 3));
  } else {
    qcd.push_back(uint8_t(guard_bits << 5 | 2));  // scalar expounded
    for (uint16_t s : p.steps) put16(qcd, s);
  }
  put_marker(out, kQCD, qcd);

  std::vector<uint8_t> com;
  put16(com, 1);  // Latin-1 text
  com.insert(com.end(), kEncoderComment, kEncoderComment + std::strlen(kEncoderComment));
  put_marker(out, kCOM, com);
  return out;
}

size_t begin_tile_part(std::vector<uint8_t>& out, uint32_t tile) {
  const size_t at = out.size();
  write_sot(out, tile, 0, 0, 1);
  put16(out, kSOD);
  return at;
}

void end_tile_part(std::vector<uint8_t>& out, size_t at, uint32_t tile) {
  const uint64_t psot = uint64_t(out.size() - at);
  if (psot > UINT32_MAX)
    throw UnsupportedCodestream("tile " + std::to_string(tile) + " codes to " + std::to_string(psot) +
                                " bytes, more than one tile-part holds (2^32 - 1); use smaller tiles");
  for (unsigned i = 0; i < 4; ++i) out[at + 6 + i] = uint8_t(psot >> (24 - 8 * i));  // after SOT, Lsot, Isot
}

void append_tile_part(std::vector<uint8_t>& out, uint32_t tile, const std::vector<uint8_t>& body) {
  const size_t at = begin_tile_part(out, tile);
  out.insert(out.end(), body.begin(), body.end());
  end_tile_part(out, at, tile);
}

}  // namespace htj2k
