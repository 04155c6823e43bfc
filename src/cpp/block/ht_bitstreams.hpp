// Internal to the HT block decoder: the bit-stream readers of 15444-15. All read
// only within their byte range and continue past its end with a fill value, so a
// truncated or damaged segment costs wrong bits, never a read outside the buffer.
#pragma once
#include <cstddef>
#include <cstdint>

namespace htj2k {
namespace ht_internal {

inline uint64_t low_bits(uint64_t v, unsigned n) { return n >= 64 ? v : v & ((uint64_t(1) << n) - 1); }

// Forward stream, bits LSB first (MagSgn, SigProp): after a 0xFF byte the next
// byte's MSB is a stuffed 0 and carries no data.
class ForwardBits {
 public:
  ForwardBits(const uint8_t* data, size_t size, uint8_t fill) : data_(data), size_(size), fill_(fill) {}
  // n <= 32
  uint32_t get(unsigned n) {
    if (n_ < n) refill();
    const uint32_t v = uint32_t(low_bits(buf_, n));
    buf_ >>= n;
    n_ -= n;
    return v;
  }
  // n <= 64
  uint64_t get_wide(unsigned n) {
    if (n <= 32) return get(n);
    const uint64_t lo = get(32);
    return lo | (uint64_t(get(n - 32)) << 32);
  }

 private:
  void refill() {
    while (n_ <= 56) {
      const uint8_t b = pos_ < size_ ? data_[pos_++] : fill_;
      const unsigned nb = stuffed_ ? 7 : 8;
      buf_ |= low_bits(b, nb) << n_;
      n_ += nb;
      stuffed_ = b == 0xFF;
    }
  }
  const uint8_t* data_;
  size_t size_, pos_ = 0;
  uint8_t fill_;
  uint64_t buf_ = 0;
  unsigned n_ = 0;
  bool stuffed_ = false;
};

// Backward stream, bits LSB first, bytes from the last to the first (VLC,
// MagRef), 0s past the start: when the byte read before was > 0x8F and this one's
// low 7 bits are all 1, its MSB is a stuffed 0.
class BackwardBits {
 public:
  // Reads data[0, size) from data[size - 1] down. `after_big`: whether the byte
  // before the first one counts as > 0x8F. `first_bits`/`first_count`: bits that
  // come before those bytes (the VLC's half byte).
  BackwardBits(const uint8_t* data, size_t size, bool after_big, uint32_t first_bits = 0, unsigned first_count = 0)
      : data_(data), left_(size), buf_(first_bits), n_(first_count), after_big_(after_big) {}
  uint32_t peek(unsigned n) {  // n <= 32
    if (n_ < n) refill();
    return uint32_t(low_bits(buf_, n));
  }
  void skip(unsigned n) {  // n <= bits peeked
    buf_ >>= n;
    n_ -= n;
  }
  uint32_t get(unsigned n) {
    const uint32_t v = peek(n);
    skip(n);
    return v;
  }

 private:
  void refill() {
    while (n_ <= 56) {
      const uint8_t b = left_ ? data_[--left_] : 0;
      const unsigned nb = after_big_ && (b & 0x7F) == 0x7F ? 7 : 8;
      buf_ |= low_bits(b, nb) << n_;
      n_ += nb;
      after_big_ = b > 0x8F;
    }
  }
  const uint8_t* data_;
  size_t left_;
  uint64_t buf_;
  unsigned n_;
  bool after_big_;
};

// The MEL stream, bits MSB first: Scup - 1 bytes from the start of the MEL
// segment, the last with its low nibble (Scup's) read as 1s, then 0xFF bytes;
// after 0xFF the next byte's MSB is a stuffed 0.
class MelBits {
 public:
  MelBits(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  unsigned bit() {
    if (avail_ == 0) {
      uint8_t b = 0xFF;
      if (pos_ < size_) {
        b = data_[pos_++];
        if (pos_ == size_) b |= 0x0F;
      }
      avail_ = stuffed_ ? 7 : 8;
      stuffed_ = b == 0xFF;
      byte_ = b;
    }
    return (byte_ >> --avail_) & 1u;
  }

 private:
  const uint8_t* data_;
  size_t size_, pos_ = 0;
  uint8_t byte_ = 0;
  unsigned avail_ = 0;
  bool stuffed_ = false;
};

// The MEL decoder (adaptive run-length code of the zero-context quads' events).
class MelDecoder {
 public:
  MelDecoder(const uint8_t* data, size_t size) : bits_(data, size) {}
  unsigned event() {
    static const uint8_t kExponent[13] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5};
    if (run_ == 0 && !one_) {
      const unsigned e = kExponent[k_];
      if (bits_.bit()) {
        run_ = 1u << e;  // a full run of 0 events
        k_ = k_ < 12 ? k_ + 1 : 12;
      } else {
        run_ = 0;
        for (unsigned i = 0; i < e; ++i) run_ = (run_ << 1) | bits_.bit();
        k_ = k_ > 0 ? k_ - 1 : 0;
        one_ = true;  // the run ends with a 1 event
      }
    }
    if (run_ > 0) {
      --run_;
      return 0;
    }
    one_ = false;
    return 1;
  }

 private:
  MelBits bits_;
  unsigned k_ = 0, run_ = 0;
  bool one_ = false;
};

}  // namespace ht_internal
}  // namespace htj2k
