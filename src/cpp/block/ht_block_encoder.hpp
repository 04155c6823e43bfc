// The HT cleanup-pass encoder of one code-block (ISO/IEC 15444-15), written from
// the standard: one cleanup pass coding every magnitude bit of the coefficients
// (bit-plane 0, what a lossless encode writes), no SigProp/MagRef passes.
//
// Zblk (missing_msbs) and the band's Mb (kmax, 15444-1 E.1: guard bits +
// exponent - 1): for an HT code-block the packet header's Zblk says at which
// bit-plane its cleanup pass lies, p = Mb - 1 - Zblk, and that one pass codes
// every magnitude bit from the most significant down to p (not the MSB plane
// alone as in Part 1). Coding every bit (p = 0) thus means Zblk = Mb - 1 whatever
// the block's largest magnitude, as OpenJPH writes; a decoder then accepts
// exponents U_q up to Zblk + 2 = Mb + 1, which |v| < 2^Mb guarantees. One pass
// is signalled. With placeholder passes or SigProp/MagRef (not written here)
// the relation changes (15444-15 packet header rules).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace htj2k {

struct HtEncodeKernels;  // block/ht_encoder_kernels.hpp

struct HtEncodedBlock {
  std::vector<uint8_t> bytes;  // the cleanup segment (Lcup bytes; empty when every sample is 0)
  unsigned missing_msbs = 0;   // Zblk for the packet header: kmax - 1 (also for a block of zeros)
  unsigned passes = 0;         // 1, or 0 when the block is not included (every sample 0)
};

// The largest kmax (Mb) accepted: magnitudes must be below 2^kmax.
constexpr unsigned kHtMaxKmax32 = 31;
constexpr unsigned kHtMaxKmax64 = 62;

// Reusable encoder: keeps its scratch buffers between calls (one per thread).
class HtBlockEncoder {
 public:
  // kernels: the data-parallel stages (block/ht_encoder_kernels.hpp); nullptr:
  // the best this CPU runs. Every set gives the same bytes (tests pick one).
  explicit HtBlockEncoder(const HtEncodeKernels* kernels = nullptr);

  // values: sign-magnitude coefficients as signed integers, |v| < 2^kmax, in
  // raster order, `stride` elements from one row to the next. width, height in
  // 1..1024, width * height <= 4096, kmax in 1..kHtMaxKmax32. Bad arguments
  // (also a value out of range) throw htj2k::InvalidArgument.
  HtEncodedBlock encode(const int32_t* values, uint32_t width, uint32_t height, size_t stride,
                        unsigned kmax);
  // The same into `out`, whose buffer's capacity is reused (no allocation per block
  // for a caller that keeps its blocks).
  void encode(const int32_t* values, uint32_t width, uint32_t height, size_t stride, unsigned kmax,
              HtEncodedBlock& out);
  // The same for magnitudes above 31 bits (kmax up to kHtMaxKmax64).
  HtEncodedBlock encode(const int64_t* values, uint32_t width, uint32_t height, size_t stride,
                        unsigned kmax);

  struct Scratch {
    std::vector<uint8_t> streams;    // MagSgn | MEL | VLC regions
    std::vector<uint8_t> exps[2];    // exponents of this and the previous quad row
    std::vector<uint32_t> mags32;    // 2(mu - 1) + sign of this quad row
    std::vector<uint64_t> mags64;
    std::vector<uint32_t> quads;     // packed quad descriptions of this quad row (ht_quad)
  };

 private:
  const HtEncodeKernels* kernels_;
  Scratch scratch_;
};

// One call, one block: a thread-local HtBlockEncoder.
HtEncodedBlock encode_ht_block(const int32_t* values, uint32_t width, uint32_t height, size_t stride,
                               unsigned kmax);
void encode_ht_block(const int32_t* values, uint32_t width, uint32_t height, size_t stride, unsigned kmax,
                     HtEncodedBlock& out);
HtEncodedBlock encode_ht_block(const int64_t* values, uint32_t width, uint32_t height, size_t stride,
                               unsigned kmax);

}  // namespace htj2k
