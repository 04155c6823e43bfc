// HT code-block decoder (block/ht_block_decoder.hpp), written from 15444-15: the
// cleanup pass here (segment layout, MEL, CxtVLC, U-VLC, MagSgn, exponent
// bounds), SigProp and MagRef in ht_refinement.cpp.
#include "block/ht_block_decoder.hpp"

#include <algorithm>
#include <string>

#include "block/ht_bitstreams.hpp"
#include "block/ht_refinement.hpp"
#include "block/ht_vlc_table.hpp"
#include "core/errors.hpp"

namespace htj2k {
namespace ht_internal {
namespace {

struct VlcCode {
  uint8_t rho = 0, u_off = 0, e_k = 0, e_1 = 0, length = 0;  // length 0: no codeword
};

// The CxtVLC tables as look-ups by (table, context, next 7 bits of the stream).
struct VlcLookup {
  VlcCode code[2][8][128];
  VlcLookup() {
    for (int t = 0; t < 2; ++t) {
      size_t n = 0;
      const HtVlcEntry* e = ht_vlc_table(t, &n);
      for (size_t i = 0; i < n; ++i)
        for (unsigned bits = 0; bits < 128; ++bits)
          if ((bits & ((1u << e[i].length) - 1)) == e[i].codeword)
            code[t][e[i].context & 7][bits] = VlcCode{e[i].rho, e[i].u_off, e[i].e_k, e[i].e_1, e[i].length};
    }
  }
};

const VlcLookup& vlc_lookup() {
  static const VlcLookup table;
  return table;
}

struct Quad {
  uint8_t rho = 0, u_off = 0, e_k = 0, e_1 = 0;
  uint32_t u = 0;  // the U-VLC value u_q
};

unsigned bit_length(uint64_t v) { return v ? 64 - unsigned(__builtin_clzll(v)) : 0; }

class CleanupDecoder {
 public:
  CleanupDecoder(const uint8_t* seg, size_t lcup, unsigned scup, Planes& out, unsigned max_bits)
      : mel_(seg + (lcup - scup), scup - 1),
        vlc_(seg + (lcup - scup), scup - 2, (seg[lcup - 2] | 0x0F) > 0x8F, first_nibble(seg[lcup - 2]) & 0xF,
             first_nibble(seg[lcup - 2]) >> 4),
        magsgn_(seg, lcup - scup, 0xFF),
        out_(out),
        max_bits_(max_bits) {}

  void run() {
    const uint32_t qw = (out_.width + 1) / 2, qh = (out_.height + 1) / 2;
    for (uint32_t qy = 0; qy < qh; ++qy) {
      for (uint32_t qx = 0; qx < qw; qx += 2) {
        const bool pair = qx + 1 < qw;
        Quad q[2];
        q[0] = significance(qx, qy);
        set_significance(qx, qy, q[0].rho);
        if (pair) {
          q[1] = significance(qx + 1, qy);
          set_significance(qx + 1, qy, q[1].rho);
        }
        residuals(q, pair, qy == 0);
        magnitudes(qx, qy, q[0]);
        if (pair) magnitudes(qx + 1, qy, q[1]);
      }
    }
  }

 private:
  // The VLC stream starts in the upper half of the byte before the last (the
  // rest holds Scup); its top bit is stuffed when the three below it are 1s.
  // Returns bits | count << 4.
  static uint32_t first_nibble(uint8_t byte) {
    const uint32_t nibble = byte >> 4;
    return (nibble & 7) == 7 ? (nibble & 7) | (3u << 4) : nibble | (4u << 4);
  }

  bool sig(int64_t x, int64_t y) const {
    if (x < 0 || y < 0 || x >= int64_t(out_.width) || y >= int64_t(out_.height)) return false;
    return out_.sig[size_t(y) * out_.width + size_t(x)] != 0;
  }
  unsigned expo(int64_t x, int64_t y) const {
    if (x < 0 || y < 0 || x >= int64_t(out_.width) || y >= int64_t(out_.height)) return 0;
    return out_.expo[size_t(y) * out_.width + size_t(x)];
  }

  // Quad context (15444-15 eq. 1 for the initial row, eq. 2 for the others).
  unsigned context(uint32_t qx, uint32_t qy) const {
    const int64_t x = 2 * int64_t(qx), y = 2 * int64_t(qy);
    if (qy == 0) return unsigned(sig(x - 2, 0) | sig(x - 2, 1)) | unsigned(sig(x - 1, 0)) << 1 | unsigned(sig(x - 1, 1)) << 2;
    return unsigned(sig(x - 1, y - 1) | sig(x, y - 1)) | unsigned(sig(x - 1, y) | sig(x - 1, y + 1)) << 1 |
           unsigned(sig(x + 1, y - 1) | sig(x + 2, y - 1)) << 2;
  }

  // rho, u_off and the EMB patterns of quad (qx, qy): with context 0 a MEL event
  // says first whether the quad has any significant sample.
  Quad significance(uint32_t qx, uint32_t qy) {
    const unsigned c = context(qx, qy);
    Quad q;
    if (c == 0 && mel_.event() == 0) return q;
    const VlcCode& code = vlc_lookup().code[qy == 0 ? 0 : 1][c][vlc_.peek(7)];
    if (code.length == 0) throw InvalidCodestream("HT cleanup: no CxtVLC codeword matches the VLC bits");
    vlc_.skip(code.length);
    q.rho = code.rho;
    q.u_off = code.u_off;
    q.e_k = code.e_k;
    q.e_1 = code.e_1;
    return q;
  }

  // Bit i of rho: sample (2qx + (i >> 1), 2qy + (i & 1)).
  void set_significance(uint32_t qx, uint32_t qy, unsigned rho) {
    for (unsigned i = 0; i < 4; ++i) {
      if (!((rho >> i) & 1)) continue;
      const uint32_t x = 2 * qx + (i >> 1), y = 2 * qy + (i & 1);
      if (x >= out_.width || y >= out_.height)
        throw InvalidCodestream("HT cleanup: a sample outside the " + std::to_string(out_.width) + "x" +
                                std::to_string(out_.height) + " code-block is significant");
      out_.sig[size_t(y) * out_.width + x] = 1;
    }
  }

  unsigned u_prefix() {
    const uint32_t b = vlc_.peek(3);
    if (b & 1) return vlc_.skip(1), 1;
    if (b & 2) return vlc_.skip(2), 2;
    vlc_.skip(3);
    return b & 4 ? 3 : 5;
  }
  unsigned u_suffix(unsigned prefix) { return prefix < 3 ? 0 : prefix == 3 ? vlc_.get(1) : vlc_.get(5); }
  unsigned u_extension(unsigned suffix) { return suffix >= 28 ? vlc_.get(4) : 0; }

  // u_q of a quad pair (15444-15 U-VLC; the initial row's pairs with both offsets
  // use a MEL event, and without it a first prefix above 2 leaves the second
  // quad a single bit).
  void residuals(Quad* q, bool pair, bool initial) {
    const bool both = pair && q[0].u_off && q[1].u_off;
    if (both && initial) {
      if (mel_.event()) {
        const unsigned p0 = u_prefix(), p1 = u_prefix(), s0 = u_suffix(p0), s1 = u_suffix(p1);
        const unsigned x0 = u_extension(s0), x1 = u_extension(s1);
        q[0].u = 2 + p0 + s0 + 4 * x0;
        q[1].u = 2 + p1 + s1 + 4 * x1;
        return;
      }
      const unsigned p0 = u_prefix();
      if (p0 > 2) {
        q[1].u = 1 + vlc_.get(1);
        const unsigned s0 = u_suffix(p0);
        q[0].u = p0 + s0 + 4 * u_extension(s0);
        return;
      }
      const unsigned p1 = u_prefix(), s0 = u_suffix(p0), s1 = u_suffix(p1);
      const unsigned x0 = u_extension(s0), x1 = u_extension(s1);
      q[0].u = p0 + s0 + 4 * x0;
      q[1].u = p1 + s1 + 4 * x1;
      return;
    }
    if (both) {
      const unsigned p0 = u_prefix(), p1 = u_prefix(), s0 = u_suffix(p0), s1 = u_suffix(p1);
      const unsigned x0 = u_extension(s0), x1 = u_extension(s1);
      q[0].u = p0 + s0 + 4 * x0;
      q[1].u = p1 + s1 + 4 * x1;
      return;
    }
    for (int i = 0; i < (pair ? 2 : 1); ++i) {
      if (!q[i].u_off) continue;
      const unsigned p = u_prefix(), s = u_suffix(p);
      q[i].u = p + s + 4 * u_extension(s);
    }
  }

  // Exponent bound U_q = u_q + kappa_q: kappa is 1 in the initial row and for
  // quads with at most one significant sample, else max(1, E_max - 1) over the
  // samples above the quad (columns 2qx - 1 .. 2qx + 2).
  unsigned exponent_bound(uint32_t qx, uint32_t qy, const Quad& q) const {
    unsigned kappa = 1;
    if (qy > 0 && __builtin_popcount(q.rho) > 1) {
      const int64_t x = 2 * int64_t(qx), y = 2 * int64_t(qy) - 1;
      unsigned emax = 0;
      for (int64_t dx = -1; dx <= 2; ++dx) emax = std::max(emax, expo(x + dx, y));
      kappa = emax > 2 ? emax - 1 : 1;
    }
    return q.u + kappa;
  }

  // MagSgn: each significant sample has m = U_q - (its e_k bit) bits, LSB first,
  // completed by its e_1 bit at bit m: v = 2 (mu - 1) + sign.
  void magnitudes(uint32_t qx, uint32_t qy, const Quad& q) {
    if (!q.rho) return;
    const unsigned bound = exponent_bound(qx, qy, q);
    if (bound > max_bits_ + 1)
      throw InvalidCodestream("HT cleanup: exponent bound " + std::to_string(bound) + " of quad (" +
                              std::to_string(qx) + "," + std::to_string(qy) + ") exceeds " +
                              std::to_string(max_bits_ + 1) + " (" + std::to_string(max_bits_) +
                              " magnitude bit-planes from the cleanup pass up)");
    for (unsigned i = 0; i < 4; ++i) {
      if (!((q.rho >> i) & 1)) continue;
      const unsigned m = bound - ((q.e_k >> i) & 1);
      const uint64_t v = magsgn_.get_wide(m) | (uint64_t((q.e_1 >> i) & 1) << m);
      const uint64_t mu = (v >> 1) + 1;
      if (bit_length(mu) > max_bits_)
        throw InvalidCodestream("HT cleanup: a magnitude of " + std::to_string(bit_length(mu)) +
                                " bits exceeds the code-block's " + std::to_string(max_bits_));
      const size_t at = size_t(2 * qy + (i & 1)) * out_.width + (2 * qx + (i >> 1));
      out_.mu[at] = mu;
      out_.neg[at] = uint8_t(v & 1);
      out_.expo[at] = uint8_t(bit_length(v | 1));
    }
  }

  MelDecoder mel_;
  BackwardBits vlc_;
  ForwardBits magsgn_;
  Planes& out_;
  unsigned max_bits_;
};

}  // namespace
}  // namespace ht_internal

HtDecodedBlock decode_ht_block(const uint8_t* cleanup, size_t cleanup_len, const uint8_t* refine, size_t refine_len,
                               unsigned passes, uint32_t width, uint32_t height, unsigned max_magnitude_bits,
                               bool vertically_causal) {
  using namespace ht_internal;
  if (width == 0 || height == 0 || width > 1024 || height > 1024 || uint64_t(width) * height > 4096)
    throw InvalidArgument("HT code-block of " + std::to_string(width) + "x" + std::to_string(height) +
                          " samples (1..1024 a side, at most 4096)");
  if (passes < 1 || passes > 3) throw InvalidArgument("HT code-block with " + std::to_string(passes) + " passes (1..3)");
  if (max_magnitude_bits < 1 || max_magnitude_bits > kHtMaxMagnitudeBits)
    throw InvalidArgument("max_magnitude_bits " + std::to_string(max_magnitude_bits) + " (1.." +
                          std::to_string(kHtMaxMagnitudeBits) + ")");
  if (!cleanup || cleanup_len < 2)
    throw InvalidCodestream("HT cleanup segment of " + std::to_string(cleanup_len) + " bytes (at least 2)");
  if (passes > 1 && !refine && refine_len) throw InvalidArgument("refinement segment without data");
  const unsigned scup = (unsigned(cleanup[cleanup_len - 1]) << 4) | (cleanup[cleanup_len - 2] & 15u);
  if (scup < 2 || scup > cleanup_len || scup > 4079)
    throw InvalidCodestream("HT cleanup segment of " + std::to_string(cleanup_len) + " bytes ends with Scup " +
                            std::to_string(scup) + " (2..min(Lcup, 4079))");
  Planes planes(width, height);
  CleanupDecoder(cleanup, cleanup_len, scup, planes, max_magnitude_bits).run();
  if (passes > 1) decode_refinement(planes, refine, refine_len, passes, vertically_causal);
  HtDecodedBlock out;
  out.width = width;
  out.height = height;
  out.value.resize(planes.mu.size());
  out.refined = planes.refined;
  for (size_t i = 0; i < planes.mu.size(); ++i) {
    const int64_t mag = int64_t(2 * planes.mu[i] + planes.low[i]);
    out.value[i] = planes.neg[i] ? -mag : mag;
  }
  return out;
}

}  // namespace htj2k
