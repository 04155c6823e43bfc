// Writers of the three bit-streams of an HT cleanup segment (ISO/IEC 15444-15):
// MagSgn (forward, bits from the LSB of each byte), MEL (forward, from the MSB)
// and VLC (backward from the end of the segment, from the LSB). Each has the
// bit-stuffing rule the standard gives it, so that no byte of the segment that is
// 0xFF is followed by one above 0x8F (a marker code). They write into a buffer the
// caller sized for the worst case; no bounds checks in the hot path.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace htj2k {
namespace ht {

constexpr uint64_t low_bits(unsigned n) { return n >= 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1; }

// MagSgn: 8 bits a byte, 7 after a 0xFF byte (its bit 7 then stays 0).
class MagSgnWriter {
 public:
  explicit MagSgnWriter(uint8_t* buf) : out_(buf) {}

  // The low `len` bits of `bits`, len <= 32. Bytes leave in 32-bit words: four
  // at once when none of them is 0xFF (no stuffing), else one by one.
  void put(uint64_t bits, unsigned len) { put_clean(bits & ((uint64_t(1) << len) - 1), len); }

  // The same when `bits` holds nothing above bit len - 1 (no masking).
  void put_clean(uint64_t bits, unsigned len) {
    acc_ |= bits << count_;
    count_ += len;
    if (count_ < 32) return;
    const uint32_t word = uint32_t(acc_);
    if (cap_ == 8 && !has_ff_byte(word)) {
      std::memcpy(out_ + size_, &word, 4);  // little-endian: byte 0 first
      size_ += 4;
      acc_ >>= 32;
      count_ -= 32;
      return;
    }
    drain();
  }

  // Pads the last byte with 1s; a final 0xFF is left out (decoders read 0xFF
  // past the end of MagSgn, and the segment must not end a byte run on 0xFF).
  void finish() {
    drain();
    if (count_ > 0) {
      const uint8_t b = uint8_t((acc_ | ~low_bits(count_)) & low_bits(cap_));
      if (b != 0xFF) out_[size_++] = b;
    } else if (cap_ == 7) {
      --size_;
    }
    acc_ = 0;
    count_ = 0;
  }

  size_t size() const { return size_; }

 private:
  static bool has_ff_byte(uint32_t w) {
    const uint32_t v = ~w;  // a 0xFF byte of w is a zero byte of v
    return ((v - 0x01010101u) & ~v & 0x80808080u) != 0;
  }

  // Every complete byte out, one by one (7 bits after a 0xFF).
  void drain() {
    while (count_ >= cap_) {
      const uint8_t b = uint8_t(acc_ & low_bits(cap_));
      out_[size_++] = b;
      acc_ >>= cap_;
      count_ -= cap_;
      cap_ = b == 0xFF ? 7 : 8;
    }
  }

  uint8_t* out_;
  size_t size_ = 0;
  uint64_t acc_ = 0;
  unsigned count_ = 0;  // bits pending in acc_
  unsigned cap_ = 8;    // bits the next byte holds
};

// MEL: the adaptive run-length coder of the quads' significance events
// (13 states; a run of 2^exp[k] zeros is one "1" bit, a one ends a shorter run
// with "0" and the run length in exp[k] bits). Bits fill bytes from the MSB,
// 7 bits after a 0xFF byte.
class MelWriter {
 public:
  explicit MelWriter(uint8_t* buf) : out_(buf) {}

  void encode(bool event) {
    static constexpr uint8_t kExp[13] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5};
    if (!event) {
      if (++run_ == (1u << kExp[state_])) {
        bit(1);
        run_ = 0;
        if (state_ < 12) ++state_;
      }
      return;
    }
    bit(0);
    for (unsigned t = kExp[state_]; t > 0; --t) bit((run_ >> (t - 1)) & 1);
    run_ = 0;
    if (state_ > 0) --state_;
  }

  // An unfinished run of zeros is closed as if it had reached its full length:
  // the decoder then sees at least as many zeros as were coded.
  void close_run() {
    if (run_ > 0) bit(1);
    run_ = 0;
  }

  // The partial last byte (bits at the top) and the mask of its bits in use.
  uint8_t pending_byte() const { return uint8_t(acc_ << free_); }
  uint8_t pending_mask() const { return uint8_t(0xFF << free_); }
  void append(uint8_t b) { out_[size_++] = b; }
  size_t size() const { return size_; }

 private:
  void bit(unsigned b) {
    acc_ = (acc_ << 1) | b;
    if (--free_ == 0) {
      out_[size_++] = uint8_t(acc_);
      free_ = acc_ == 0xFF ? 7 : 8;
      acc_ = 0;
    }
  }

  uint8_t* out_;
  size_t size_ = 0;
  unsigned acc_ = 0;
  unsigned free_ = 8;  // bits still free in the byte being filled
  unsigned state_ = 0;
  unsigned run_ = 0;
};

// VLC: written backwards, byte by byte, from `end`. The segment's last byte and
// the low nibble of the one before are the Scup field, patched in at the end;
// the stream starts as if they held 0xFF and 0xF. A byte after one above 0x8F
// whose low 7 bits are all 1 holds only those 7 bits (bit 7 stuffed with 0).
class VlcWriter {
 public:
  explicit VlcWriter(uint8_t* end) : end_(end) {
    end_[-1] = 0xFF;
    size_ = 1;
    acc_ = 0xF;
    count_ = 4;
    prev_big_ = true;
  }

  // The low `len` bits of `bits`, first bit sent in bit 0; len <= 32. Bytes
  // leave once 32 bits are pending (the stuffing depends on the bytes alone).
  void put(uint32_t bits, unsigned len) { put_clean(uint32_t(uint64_t(bits) & ((uint64_t(1) << len) - 1)), len); }

  // The same when `bits` holds nothing above bit len - 1 (no masking).
  void put_clean(uint32_t bits, unsigned len) {
    acc_ |= uint64_t(bits) << count_;
    count_ += len;
    if (count_ >= 32) drain_word();
  }

  // Every complete byte out; then pending_byte() holds the rest.
  void drain() {
    for (;;) {
      // (no branch on the stuffing: prev_big_ holds for ~44% of random bytes)
      const unsigned take = 8 - (unsigned(prev_big_) & unsigned((acc_ & 0x7F) == 0x7F));
      if (count_ < take) break;
      emit(uint8_t(acc_ & ((1u << take) - 1)));
      acc_ >>= take;
      count_ -= take;
    }
  }

  uint8_t pending_byte() const { return uint8_t(acc_); }
  uint8_t pending_mask() const { return uint8_t(low_bits(count_)); }
  void append(uint8_t b) { emit(b); }
  size_t size() const { return size_; }
  const uint8_t* begin() const { return end_ - size_; }

 private:
  // With 32 or more bits pending: four whole bytes at once when none of them has
  // its low 7 bits all 1 (then no byte is stuffed, whatever precedes it), else
  // byte by byte.
  void drain_word() {
    const uint32_t word = uint32_t(acc_);
    const uint32_t v = ~word & 0x7F7F7F7Fu;  // a zero byte: low 7 bits all 1
    if (((v - 0x01010101u) & ~v & 0x80808080u) != 0) return drain();
    const uint32_t backwards = __builtin_bswap32(word);  // byte 0 at the highest address
    size_ += 4;
    std::memcpy(end_ - size_, &backwards, 4);
    prev_big_ = (word >> 24) > 0x8F;
    acc_ >>= 32;
    count_ -= 32;
  }

  void emit(uint8_t b) {
    end_[-1 - static_cast<ptrdiff_t>(size_)] = b;
    ++size_;
    prev_big_ = b > 0x8F;
  }

  uint8_t* end_;
  size_t size_ = 0;
  uint64_t acc_ = 0;
  unsigned count_ = 0;
  bool prev_big_ = false;
};

}  // namespace ht
}  // namespace htj2k
