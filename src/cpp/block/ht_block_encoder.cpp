// HT cleanup-pass encoder of one code-block (ISO/IEC 15444-15, the cleanup
// pass of clause 7 with bit-plane p = 0). Three stages per quad row (two lines):
//   load:    the two lines interleaved (sample (x, line l) at 2x + l, so quad q
//            is entries 4q..4q+3 in the standard's scan order) as exponents
//            E = bit_width(2 mu - 1) and MagSgn values v = 2 (mu - 1) + sign;
//   prepare: per quad from the exponents of this row and the one above: rho,
//            context, kappa, U, u, EMB pattern, packed in 32 bits (ht_quad);
//   code:    the serial quad loop: CxtVLC codeword, MEL event, MagSgn bits,
//            then U-VLC per quad pair.
// load and prepare are data-parallel: Highway kernels with runtime dispatch
// (block/ht_encoder_kernels.*, scalar twins in ht_encoder_scalar.hpp).
// The segment is MagSgn | MEL | VLC (VLC written backwards), Scup patched into
// its last two bytes.
#include "block/ht_block_encoder.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "block/ht_bitstream_writers.hpp"
#include "block/ht_encoder_kernels.hpp"
#include "block/ht_encoder_scalar.hpp"
#include "block/ht_vlc_table.hpp"
#include "core/errors.hpp"
#include "core/limits.hpp"

namespace htj2k {
namespace {

// ---- code tables derived from the standard's ------------------------------------

// The codeword for (row kind, context, rho, EMB pattern), and its e_k (the samples
// whose exponent it signals: they send one MagSgn bit fewer).
struct VlcCode {
  uint8_t bits = 0, length = 0, known = 0;
};
constexpr size_t vlc_index(unsigned which, unsigned c, unsigned rho, unsigned emb) {
  return (size_t(which) << 11) | (c << 8) | (rho << 4) | emb;
}

// For u_off = 0 the one entry of (c, rho). For u_off = 1 and an EMB pattern emb
// (the significant samples whose exponent equals U): the entries whose signalled
// bits agree with it ((emb & e_k) == e_1), the one signalling most exponents
// (fewest MagSgn bits, as OpenJPH chooses; the standard's tables have no tie).
std::array<VlcCode, 4096> build_vlc_lookup() {
  std::array<VlcCode, 4096> t{};
  std::array<int, 4096> best;
  best.fill(-1);
  for (unsigned which = 0; which < 2; ++which) {
    size_t n = 0;
    const HtVlcEntry* table = ht_vlc_table(int(which), &n);
    for (size_t j = 0; j < n; ++j) {
      const HtVlcEntry& e = table[j];
      const VlcCode code{e.codeword, e.length, e.e_k};
      for (unsigned emb = 0; emb < 16; ++emb) {
        const bool fits = e.u_off ? emb != 0 && (emb & ~unsigned(e.rho)) == 0 && (emb & e.e_k) == e.e_1
                                  : emb == 0;
        const size_t i = vlc_index(which, e.context, e.rho, emb);
        const int known = __builtin_popcount(e.e_k);
        if (fits && known > best[i]) {
          best[i] = known;
          t[i] = code;
        }
      }
    }
  }
  return t;
}

const VlcCode* vlc_lookup() {
  static const std::array<VlcCode, 4096> table = build_vlc_lookup();
  return table.data();
}

// U-VLC code of u >= 1: prefix "1", "01", "001" (u 3..4, 1 suffix bit) or "000"
// (5 suffix bits; from u = 33 on the suffix is 28..31 and 4 extension bits).
struct UvlcCode {
  uint8_t prefix = 0, prefix_len = 0, suffix = 0, suffix_len = 0, ext = 0, ext_len = 0;
};
constexpr unsigned kMaxU = 96;  // 5 + 31 + 4 * 15

std::array<UvlcCode, kMaxU + 1> build_uvlc() {
  std::array<UvlcCode, kMaxU + 1> t{};
  t[1] = {1, 1, 0, 0, 0, 0};
  t[2] = {2, 2, 0, 0, 0, 0};
  for (unsigned u = 3; u <= kMaxU; ++u) {
    if (u <= 4)
      t[u] = {4, 3, uint8_t(u - 3), 1, 0, 0};
    else if (u <= 32)
      t[u] = {0, 3, uint8_t(u - 5), 5, 0, 0};
    else
      t[u] = {0, 3, uint8_t(28 + ((u - 33) & 3)), 5, uint8_t((u - 33) >> 2), 4};
  }
  return t;
}

const UvlcCode* uvlc_lookup() {
  static const std::array<UvlcCode, kMaxU + 1> table = build_uvlc();
  return table.data();
}

// The U-VLC bits of a pair (u0, u1), both at most kPairU (no extension bits): the
// prefixes, then the suffixes, packed as bits | length << 24 (at most 16 bits), in
// one lookup instead of six variable-length adds.
constexpr unsigned kPairU = 32;

std::array<uint32_t, (kPairU + 1) * (kPairU + 1)> build_uvlc_pairs() {
  std::array<uint32_t, (kPairU + 1) * (kPairU + 1)> t{};
  const UvlcCode* c = uvlc_lookup();
  for (unsigned u0 = 0; u0 <= kPairU; ++u0)
    for (unsigned u1 = 0; u1 <= kPairU; ++u1) {
      const UvlcCode &a = c[u0], &b = c[u1];
      uint32_t bits = a.prefix;
      unsigned n = a.prefix_len;
      bits |= uint32_t(b.prefix) << n, n += b.prefix_len;
      bits |= uint32_t(a.suffix) << n, n += a.suffix_len;
      bits |= uint32_t(b.suffix) << n, n += b.suffix_len;
      t[u0 * (kPairU + 1) + u1] = bits | uint32_t(n) << 24;
    }
  return t;
}

const uint32_t* uvlc_pair_lookup() {
  static const std::array<uint32_t, (kPairU + 1) * (kPairU + 1)> table = build_uvlc_pairs();
  return table.data();
}

// ---- samples: int32 through the kernels, int64 (beyond 31 bits) scalar -----

uint32_t block_or(const HtEncodeKernels& k, const int32_t* v, uint32_t w, uint32_t h, size_t stride) {
  return k.magnitudes_or(v, w, h, stride);
}
uint64_t block_or(const HtEncodeKernels&, const int64_t* v, uint32_t w, uint32_t h, size_t stride) {
  return ht_scalar::magnitudes_or(v, w, h, stride);
}
void load_pair(const HtEncodeKernels& k, const int32_t* line0, const int32_t* line1, uint32_t width,
               uint32_t* mags, uint8_t* exps) {
  k.load_pair(line0, line1, width, mags, exps);
}
void load_pair(const HtEncodeKernels&, const int64_t* line0, const int64_t* line1, uint32_t width,
               uint64_t* mags, uint8_t* exps) {
  ht_scalar::load_pair(line0, line1, 0, width, mags, exps);
}

// ---- the quad loop --------------------------------------------------------------

// The 16-bit slot of each set bit of a 4-bit sample mask (a quad's four MagSgn
// values side by side in 64 bits).
constexpr uint64_t slots(unsigned mask) {
  return (mask & 1 ? 0xFFFFull : 0) | (mask & 2 ? 0xFFFFull << 16 : 0) | (mask & 4 ? 0xFFFFull << 32 : 0) |
         (mask & 8 ? 0xFFFFull << 48 : 0);
}
constexpr uint64_t kSlots[16] = {slots(0),  slots(1),  slots(2),  slots(3), slots(4),  slots(5),
                                 slots(6),  slots(7),  slots(8),  slots(9), slots(10), slots(11),
                                 slots(12), slots(13), slots(14), slots(15)};

#if defined(__x86_64__)
// BMI2's parallel bit extract, as an instruction: only run where kernels.bmi2
// says the CPU has it (an intrinsic would need the whole caller built for BMI2).
inline uint64_t pext64(uint64_t v, uint64_t mask) {
  uint64_t r;
  asm("pextq %2, %1, %0" : "=r"(r) : "r"(v), "r"(mask));
  return r;
}
constexpr bool kHavePext = true;
#else
inline uint64_t pext64(uint64_t, uint64_t) { return 0; }
constexpr bool kHavePext = false;
#endif

template <typename Mag, bool kBmi2>
struct RowCoder {
  const VlcCode* vlc;   // this row kind's codewords (vlc_index(which, 0, 0, 0) onwards)
  const UvlcCode* uvlc;
  const uint32_t* uvlc_pairs;  // uvlc_pair_lookup()
  bool initial;         // the first quad row: its own table, contexts, kappa = 1, U-VLC pair rule
  const uint32_t* quads;  // packed quad descriptions of this row (ht_quad)
  const Mag* mags;        // MagSgn values of this row, quad q at mags + 4 q
  ht::MagSgnWriter& ms;
  ht::MelWriter& mel;
  ht::VlcWriter& vlc_out;

  void put_mag(Mag v, unsigned len) {
    if (sizeof(Mag) > 4 && len > 32) {
      ms.put(uint64_t(v) & 0xFFFFFFFFu, 32);
      ms.put(uint64_t(v) >> 32, len - 32);
    } else {
      ms.put(uint64_t(v), len);
    }
  }

  // VLC bits gathered for one put, the first in bit 0: a pair's two codewords
  // (at most 14 bits) and its U-VLC (at most 24).
  struct VlcBits {
    uint64_t bits = 0;
    unsigned n = 0;
    void add(uint32_t v, unsigned len) {  // v < 2^len
      bits |= uint64_t(v) << n;
      n += len;
    }
  };

  // Codes quad q's MEL event and MagSgn bits; its CxtVLC codeword (at most 7
  // bits) joins the pair's VLC bits `v`. Returns its u_q.
  unsigned code_quad(uint32_t q, VlcBits& v) {
    const uint32_t d = quads[q];
    const unsigned rho = (d >> ht_quad::kRhoShift) & 0xF, U = (d >> ht_quad::kUShift) & 0xFF;
    const VlcCode cw = vlc[d & ht_quad::kVlcIndexMask];
    v.add(cw.bits, cw.length);
    if (((d >> ht_quad::kContextShift) & 7) == 0) mel.encode(rho != 0);
    put_quad_mags(mags + 4 * q, rho, U, cw.known);
    return d >> ht_quad::kSmallUShift;
  }

  // The MagSgn bits of a quad's significant samples, U each (U - 1 for those
  // whose exponent the codeword signals). Up to 16 bits a sample (4 U <= 64):
  // gathered without a branch per sample and written in one put (two beyond 32
  // bits); the writer's bytes do not depend on how the bits are split into puts.
  // m < 2^U (2 (mu - 1) + sign < 2^E), 0 for an insignificant sample, so no mask
  // is needed but for a signalled sample's bit U - 1 (1 when E = U, implied).
  void put_quad_mags(const Mag* m, unsigned rho, unsigned U, unsigned known) {
    if (kBmi2 && kHavePext && sizeof(Mag) == 4 && U <= 16) {
      // The four values in 16-bit slots (each below 2^U <= 2^16), kept: the low U
      // bits of a significant sample's slot, U - 1 of a signalled one's.
      const uint64_t packed = uint64_t(m[0]) | uint64_t(m[1]) << 16 | uint64_t(m[2]) << 32 | uint64_t(m[3]) << 48;
      const uint64_t rep = 0x0001000100010001ull;
      const uint64_t low = ((uint64_t(1) << U) - 1) * rep, top = (uint64_t(1) << (U - 1)) * rep;
      const uint64_t keep = (low & kSlots[rho]) & ~(top & kSlots[known]);
      const unsigned n = unsigned(__builtin_popcount(rho)) * U - unsigned(__builtin_popcount(rho & known));
      const uint64_t bits = pext64(packed, keep);
      if (n <= 32) return ms.put_clean(bits, n);
      ms.put_clean(bits & 0xFFFFFFFFu, 32);
      ms.put_clean(bits >> 32, n - 32);
      return;
    }
    if (sizeof(Mag) == 4 && U <= 16) {
      const unsigned top = U - 1;  // U >= 1: some sample is significant when rho != 0
      uint64_t bits = 0;
      unsigned n = 0;
      for (unsigned i = 0; i < 4; ++i) {
        const unsigned kn = (known >> i) & 1;
        bits |= uint64_t(m[i] & ~(uint32_t(kn) << top)) << n;
        n += (U - kn) & (0u - ((rho >> i) & 1));
      }
      if (n <= 32) return ms.put_clean(bits, n);
      ms.put_clean(bits & 0xFFFFFFFFu, 32);
      ms.put_clean(bits >> 32, n - 32);
      return;
    }
    for (unsigned i = 0; i < 4; ++i)
      if (rho >> i & 1) put_mag(m[i], U - ((known >> i) & 1));
  }

  void put_vlc(const VlcBits& v) {
    if (v.n <= 32) return vlc_out.put_clean(uint32_t(v.bits), v.n);
    vlc_out.put_clean(uint32_t(v.bits), 32);
    vlc_out.put_clean(uint32_t(v.bits >> 32), v.n - 32);
  }

  // Prefixes, suffixes, then extensions of a pair (u0, u1).
  void add_uvlc(unsigned u0, unsigned u1, VlcBits& v) const {
    if (u0 <= kPairU && u1 <= kPairU) {
      const uint32_t e = uvlc_pairs[u0 * (kPairU + 1) + u1];
      return v.add(e & 0xFFFFFF, e >> 24);
    }
    const UvlcCode &a = uvlc[u0], &b = uvlc[u1];
    v.add(a.prefix, a.prefix_len);
    v.add(b.prefix, b.prefix_len);
    v.add(a.suffix, a.suffix_len);
    v.add(b.suffix, b.suffix_len);
    v.add(a.ext, a.ext_len);
    v.add(b.ext, b.ext_len);
  }

  // U-VLC of a quad pair (u1 = 0 for a lone last quad). In the initial row, when
  // both quads have u_off = 1, a MEL event says whether both u exceed 2: then
  // both are sent as u - 2; otherwise, if u0 > 2, u1 (1 or 2) is one bit.
  void code_pair(unsigned u0, unsigned u1, VlcBits& v) {
    if (initial && u0 && u1) {
      const bool both_big = std::min(u0, u1) > 2;
      mel.encode(both_big);
      if (both_big) return add_uvlc(u0 - 2, u1 - 2, v);
      if (u0 > 2) {
        const UvlcCode& a = uvlc[u0];
        v.add(a.prefix, a.prefix_len);
        v.add(u1 - 1, 1);
        v.add(a.suffix, a.suffix_len);
        v.add(a.ext, a.ext_len);
        return;
      }
    }
    add_uvlc(u0, u1, v);
  }

  void run(uint32_t quads) {
    for (uint32_t q = 0; q < quads; q += 2) {
      VlcBits v;
      const unsigned u0 = code_quad(q, v);
      const unsigned u1 = q + 1 < quads ? code_quad(q + 1, v) : 0;
      code_pair(u0, u1, v);
      put_vlc(v);
    }
  }
};

// ---- termination ----------------------------------------------------------------

// Ends MEL and VLC where they meet: MEL's partial last byte (bits from the top)
// and VLC's (bits from the bottom) share one byte when their bits do not clash,
// the result is not 0xFF and VLC holds more than its first byte; otherwise each
// gets a byte of its own.
void finish_mel_vlc(ht::MelWriter& mel, ht::VlcWriter& vlc) {
  mel.close_run();
  vlc.drain();
  const uint8_t mb = mel.pending_byte(), mm = mel.pending_mask();
  const uint8_t vb = vlc.pending_byte(), vm = vlc.pending_mask();
  if ((mm | vm) == 0) return;
  const uint8_t fused = uint8_t(mb | vb);
  if (((fused ^ mb) & mm) == 0 && ((fused ^ vb) & vm) == 0 && fused != 0xFF && vlc.size() > 1) {
    mel.append(fused);
  } else {
    mel.append(mb);
    vlc.append(vb);
  }
}

void check_arguments(const void* values, uint32_t width, uint32_t height, size_t stride, unsigned kmax,
                     unsigned max_kmax) {
  const char* where = "encode_ht_block: ";
  if (!values) throw InvalidArgument(std::string(where) + "values is null");
  if (width == 0 || height == 0 || width > kMaxBlockSide || height > kMaxBlockSide ||
      uint64_t(width) * height > kMaxBlockArea)
    throw InvalidArgument(std::string(where) + "a code-block of " + std::to_string(width) + "x" +
                          std::to_string(height) + " (sides 1.." + std::to_string(kMaxBlockSide) + ", area at most " +
                          std::to_string(kMaxBlockArea) + ")");
  if (stride < width)
    throw InvalidArgument(std::string(where) + "stride " + std::to_string(stride) + " is below the width " +
                          std::to_string(width));
  if (kmax < 1 || kmax > max_kmax)
    throw InvalidArgument(std::string(where) + "kmax " + std::to_string(kmax) + " is outside 1.." +
                          std::to_string(max_kmax));
}

// Every quad row in order: load (an odd width's last column stays 0), prepare, code.
template <typename Sample, typename Mag, bool kBmi2>
inline __attribute__((always_inline)) void code_rows(const HtEncodeKernels& k, HtBlockEncoder::Scratch& s,
                                                     std::vector<Mag>& mag_buf, const Sample* values, uint32_t width,
                                                     uint32_t height, size_t stride, ht::MagSgnWriter& ms,
                                                     ht::MelWriter& mel, ht::VlcWriter& vlc) {
  const uint32_t quads = (width + 1) / 2, rows = (height + 1) / 2;
  for (auto& e : s.exps) e.assign(4 * (size_t(quads) + 2), 0);
  mag_buf.assign(4 * size_t(quads), Mag(0));
  s.quads.resize(quads);
  const VlcCode* vlc_table = vlc_lookup();
  for (uint32_t r = 0; r < rows; ++r) {
    uint8_t* cur = s.exps[r & 1].data();
    const Sample* line0 = values + size_t(2 * r) * stride;
    load_pair(k, line0, 2 * r + 1 < height ? line0 + stride : nullptr, width, mag_buf.data(), cur + 4);
    k.prepare_quads(cur, s.exps[(r + 1) & 1].data(), quads, r == 0, s.quads.data());
    RowCoder<Mag, kBmi2> coder{vlc_table + vlc_index(r == 0 ? 0 : 1, 0, 0, 0), uvlc_lookup(), uvlc_pair_lookup(),
                        r == 0, s.quads.data(), mag_buf.data(), ms, mel, vlc};
    coder.run(quads);
  }
}

// The quad rows compiled for BMI2 (PEXT, SHLX/SHRX): called only where the
// kernel set says the CPU has it.
__attribute__((target("bmi2,popcnt"))) void code_rows_bmi2(const HtEncodeKernels& k, HtBlockEncoder::Scratch& s,
                                                          std::vector<uint32_t>& mag_buf, const int32_t* values,
                                                          uint32_t width, uint32_t height, size_t stride,
                                                          ht::MagSgnWriter& ms, ht::MelWriter& mel,
                                                          ht::VlcWriter& vlc) {
  code_rows<int32_t, uint32_t, true>(k, s, mag_buf, values, width, height, stride, ms, mel, vlc);
}

// The whole block in order: checks, buffers, the quad rows, termination, and the
// segment assembled as MagSgn | MEL | VLC with Scup in its last two bytes.
// `out` is overwritten (its buffer's capacity kept).
template <typename Sample, typename Mag>
void encode_block(const HtEncodeKernels& k, HtBlockEncoder::Scratch& s, std::vector<Mag>& mag_buf,
                  const Sample* values, uint32_t width, uint32_t height, size_t stride, unsigned kmax,
                  unsigned max_kmax, HtEncodedBlock& out) {
  check_arguments(values, width, height, stride, kmax, max_kmax);
  const Mag all = block_or(k, values, width, height, stride);
  if (all >> kmax)
    throw InvalidArgument("encode_ht_block: a magnitude is 2^kmax or more (kmax " + std::to_string(kmax) + ")");
  out.bytes.clear();
  out.missing_msbs = kmax - 1;  // the cleanup pass at bit-plane Mb - 1 - Zblk = 0
  out.passes = 0;
  if (all == 0) return;
  out.passes = 1;

  const size_t all_quads = size_t((width + 1) / 2) * ((height + 1) / 2);
  // Worst cases: every sample sends all its bits (7 a byte after stuffing); at
  // most 6 MEL bits per quad and pair event; 7 + 12 + 1 VLC bits per quad.
  const size_t ms_cap = (size_t(width) * height * (8 * sizeof(Mag)) + 6) / 7 + 8;
  const size_t mel_cap = 2 * all_quads + 8, vlc_cap = 3 * all_quads + 8;
  if (s.streams.size() < ms_cap + mel_cap + vlc_cap) s.streams.resize(ms_cap + mel_cap + vlc_cap);
  uint8_t* base = s.streams.data();
  ht::MagSgnWriter ms(base);
  ht::MelWriter mel(base + ms_cap);
  ht::VlcWriter vlc(base + ms_cap + mel_cap + vlc_cap);
  if constexpr (sizeof(Sample) == 4) {
    if (k.bmi2) {
      code_rows_bmi2(k, s, mag_buf, values, width, height, stride, ms, mel, vlc);
    } else {
      code_rows<Sample, Mag, false>(k, s, mag_buf, values, width, height, stride, ms, mel, vlc);
    }
  } else {
    code_rows<Sample, Mag, false>(k, s, mag_buf, values, width, height, stride, ms, mel, vlc);
  }
  ms.finish();
  finish_mel_vlc(mel, vlc);

  const size_t scup = mel.size() + vlc.size();
  if (scup > 4079)  // Scup's range (15444-15); the worst case above stays far below
    throw EncodeFailure("encode_ht_block: MEL + VLC of " + std::to_string(scup) + " bytes");
  out.bytes.resize(ms.size() + scup);
  uint8_t* dst = out.bytes.data();
  std::memcpy(dst, base, ms.size());
  std::memcpy(dst + ms.size(), base + ms_cap, mel.size());
  std::memcpy(dst + ms.size() + mel.size(), vlc.begin(), vlc.size());
  const size_t n = out.bytes.size();
  dst[n - 1] = uint8_t(scup >> 4);
  dst[n - 2] = uint8_t((dst[n - 2] & 0xF0) | (scup & 0xF));
}

}  // namespace

HtBlockEncoder::HtBlockEncoder(const HtEncodeKernels* kernels)
    : kernels_(kernels ? kernels : &ht_encode_kernels()) {}

void HtBlockEncoder::encode(const int32_t* values, uint32_t width, uint32_t height, size_t stride, unsigned kmax,
                            HtEncodedBlock& out) {
  encode_block(*kernels_, scratch_, scratch_.mags32, values, width, height, stride, kmax, kHtMaxKmax32, out);
}

HtEncodedBlock HtBlockEncoder::encode(const int32_t* values, uint32_t width, uint32_t height, size_t stride,
                                      unsigned kmax) {
  HtEncodedBlock out;
  encode(values, width, height, stride, kmax, out);
  return out;
}

HtEncodedBlock HtBlockEncoder::encode(const int64_t* values, uint32_t width, uint32_t height, size_t stride,
                                      unsigned kmax) {
  HtEncodedBlock out;
  encode_block(*kernels_, scratch_, scratch_.mags64, values, width, height, stride, kmax, kHtMaxKmax64, out);
  return out;
}

HtEncodedBlock encode_ht_block(const int32_t* values, uint32_t width, uint32_t height, size_t stride,
                               unsigned kmax) {
  thread_local HtBlockEncoder encoder;
  return encoder.encode(values, width, height, stride, kmax);
}

void encode_ht_block(const int32_t* values, uint32_t width, uint32_t height, size_t stride, unsigned kmax,
                     HtEncodedBlock& out) {
  thread_local HtBlockEncoder encoder;
  encoder.encode(values, width, height, stride, kmax, out);
}

HtEncodedBlock encode_ht_block(const int64_t* values, uint32_t width, uint32_t height, size_t stride,
                               unsigned kmax) {
  thread_local HtBlockEncoder encoder;
  return encoder.encode(values, width, height, stride, kmax);
}

}  // namespace htj2k
