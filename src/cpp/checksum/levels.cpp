#include "checksum/levels.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "checksum/crc32.hpp"
#include "codec/errors.hpp"

namespace htj2k {
namespace {

constexpr uint32_t kMaxLevels = 32;  // the most decomposition levels of 15444-1

// Bit depths up to this are transformed in int32: with the RCT the chroma needs
// B+1 bits, the 5/3 low band of any number of 2D levels stays within ~2.95x of
// its input (L1 norm of the cascaded low-pass, squared), and within a lifting
// step the sum d[n-1]+d[n]+2 reaches ~4x that: 3 * 2^25 * 4 < 2^31.
constexpr uint32_t kMaxInt32BitDepth = 24;

// Floor division by 2^k of a signed value (arithmetic shift; guaranteed by GCC,
// Clang and MSVC, and by the standard from C++20).
template <typename T>
inline T floor_shift(T v, int k) {
  return v >> k;
}

// ---- 5/3 forward lifting kernels ----------------------------------------------
// Written as plain loops over contiguous rows so that the compiler vectorises them.

// d = x - floor((a + b) / 2), one high-pass row from its neighbours a, b.
template <typename T>
void predict_row(T* __restrict d, const T* x, const T* a, const T* b, size_t n) {
  for (size_t i = 0; i < n; ++i) d[i] = x[i] - floor_shift<T>(a[i] + b[i], 1);
}

// out = x + floor((dl + dr + 2) / 4), one low-pass row; out may equal x.
template <typename T>
void update_row(T* out, const T* x, const T* __restrict dl, const T* __restrict dr,
                size_t n) {
  if (out == x) {
    for (size_t i = 0; i < n; ++i) out[i] += floor_shift<T>(dl[i] + dr[i] + 2, 2);
  } else {
    T* __restrict o = out;
    const T* __restrict xx = x;
    for (size_t i = 0; i < n; ++i) o[i] = xx[i] + floor_shift<T>(dl[i] + dr[i] + 2, 2);
  }
}

// Number of low-pass samples of n samples whose first has coordinate parity p.
inline uint32_t low_count(uint32_t n, uint32_t p) { return n > p ? (n - p + 1) / 2 : 0; }

// Horizontal forward 5/3 on row r[0..m) (first coordinate parity p), keeping the
// low band: r[0..low_count(m,p)) receives it. hp needs m/2 + 3 elements, lp m/2 + 1.
template <typename T>
void horizontal_low(T* __restrict r, uint32_t m, uint32_t p, T* __restrict hp,
                    T* __restrict lp) {
  if (m == 1) return;  // p == 0: the sample is its own low band (p == 1 never gets here)
  const uint32_t nl = low_count(m, p), nh = m - nl;
  // hp[h + 1] = high sample h, at position i = (1 - p) + 2h, with mirrored ends
  // (x[-1] = x[1], x[m] = x[m-2]); hp[0] and hp[nh + 1] mirror the high band.
  T* d = hp + 1;
  uint32_t h0 = 0, h1 = nh;
  if (p == 1) {  // position 0 is high: x[-1] = x[1]
    d[0] = r[0] - r[1];
    h0 = 1;
  }
  if (((m - 1) & 1) != p) {  // position m-1 is high: x[m] = x[m-2]
    d[nh - 1] = r[m - 1] - r[m - 2];
    h1 = nh - 1;
  }
  {
    const T* x = r + (1 - p);  // x[2h] is high sample h; a[2h], b[2h] its neighbours
    const T* a = x - 1;
    const T* b = x + 1;
    for (uint32_t h = h0; h < h1; ++h)
      d[h] = x[2 * h] - floor_shift<T>(a[2 * h] + b[2 * h], 1);
  }
  hp[0] = hp[1];        // d[-1] = d[0] (only read when p == 0)
  hp[nh + 1] = hp[nh];  // d[nh] = d[nh-1] (read when the last position is low)
  // low sample k at position j = p + 2k: neighbours d[k - 1 + p], d[k + p].
  const T* x = r + p;
  const T* dl = hp + p;  // dl[k] = d[k - 1 + p]
  for (uint32_t k = 0; k < nl; ++k)
    lp[k] = x[2 * k] + floor_shift<T>(dl[k] + dl[k + 1] + 2, 2);
  std::memcpy(r, lp, nl * sizeof(T));
}

template <typename In>
constexpr bool kSupportedInput =
    std::is_same_v<In, uint8_t> || std::is_same_v<In, int8_t> ||
    std::is_same_v<In, uint16_t> || std::is_same_v<In, int16_t> ||
    std::is_same_v<In, uint32_t> || std::is_same_v<In, int32_t>;

struct CompRange {
  int64_t lo, hi, shift;  // nominal range, and the DC shift subtracted before the DWT
};

CompRange range_of(const SampleFormat& f) {
  const int64_t half = int64_t(1) << (f.bit_depth - 1);
  if (f.is_signed) return {-half, half - 1, 0};
  return {0, 2 * half - 1, half};
}

}  // namespace

// Polymorphic over the working integer type.
struct LevelPyramid::Impl {
  virtual ~Impl() = default;
  virtual void next_level() = 0;
  virtual void serialise(const RowFn& fn) = 0;

  uint32_t level = 0;
  uint32_t w = 0, h = 0;    // current level size
  uint64_t x0 = 0, y0 = 0;  // current level origin (only parities matter)
  uint32_t nc = 0;
  uint32_t bytes = 1;
  bool rct = false;
  std::vector<CompRange> ranges;
};

namespace {

template <typename T>
struct ImplT final : LevelPyramid::Impl {
  size_t stride = 0;   // of each plane, in elements (the level 0 width)
  size_t plane = 0;    // elements per plane
  std::vector<T> data;  // nc planes; the current level in each top-left corner
  std::vector<T> scratch;  // vertical d rows, horizontal hp/lp, serialisation rows
  std::vector<uint8_t> out;  // one row of checksum bytes

  T* plane_ptr(uint32_t c) { return data.data() + c * plane; }

  template <typename In>
  void load(const In* samples, size_t row_stride) {
    stride = w;
    plane = size_t(w) * h;
    data.resize(plane * nc);
    // vertical: 2 rows; horizontal: m/2+3 + m/2+1; serialisation: 3 rows.
    scratch.resize(std::max<size_t>(3 * size_t(w) + 8, 8));
    out.resize(size_t(w) * nc * bytes);
    for (uint32_t c = 0; c < nc; ++c) {
      const CompRange rg = ranges[c];
      T* dst = plane_ptr(c);
      for (uint32_t y = 0; y < h; ++y) {
        const In* src = samples + y * row_stride + c;
        T* d = dst + y * stride;
        for (uint32_t x = 0; x < w; ++x) {
          const int64_t v = std::clamp<int64_t>(src[size_t(x) * nc], rg.lo, rg.hi);
          d[x] = T(v - rg.shift);
        }
      }
    }
    if (rct) {  // forward RCT (15444-1 G.2): Y = floor((R+2G+B)/4), Cb = B-G, Cr = R-G
      for (uint32_t y = 0; y < h; ++y) {
        T* r = plane_ptr(0) + y * stride;
        T* g = plane_ptr(1) + y * stride;
        T* b = plane_ptr(2) + y * stride;
        for (uint32_t x = 0; x < w; ++x) {
          const T R = r[x], G = g[x], B = b[x];
          r[x] = floor_shift<T>(R + 2 * G + B, 2);
          g[x] = B - G;
          b[x] = R - G;
        }
      }
    }
  }

  void next_level() override {
    const uint32_t px = uint32_t(x0 & 1), py = uint32_t(y0 & 1);
    const uint32_t nw = low_count(w, px), nh = low_count(h, py);
    if (nw > 0 && nh > 0) {
      for (uint32_t c = 0; c < nc; ++c) transform_plane(plane_ptr(c), px, py, nh);
    }
    x0 = (x0 + 1) >> 1;
    y0 = (y0 + 1) >> 1;
    w = nw;
    h = nh;
    ++level;
  }

  // One 2D level on the w x h corner of a plane: vertical pass (15444-1 F.4.2
  // 2D_SD: columns first), fused with the horizontal pass of each low row as soon
  // as it is produced. Low row k (local row j = py + 2k) overwrites row k, which is
  // never read again: later steps read rows >= j + 1 > k.
  void transform_plane(T* p, uint32_t px, uint32_t py, uint32_t nl) {
    const size_t m = w;
    T* dbuf[2] = {scratch.data(), scratch.data() + m};
    T* hp = scratch.data() + 2 * m;
    T* lp = hp + m / 2 + 3;
    auto row = [&](int64_t j) -> T* {  // local row with whole-sample symmetric extension
      if (j < 0) j = -j;
      if (j >= int64_t(h)) j = 2 * (int64_t(h) - 1) - j;
      return p + size_t(j) * stride;
    };
    auto predict = [&](T* d, int64_t j) {  // high row j (mirrored) into d
      if (j < 0) j = -j;
      if (j >= int64_t(h)) j = 2 * (int64_t(h) - 1) - j;
      predict_row<T>(d, row(j), row(j - 1), row(j + 1), m);
    };
    if (h == 1) {  // a single even row is its own low band
      horizontal_low<T>(p, w, px, hp, lp);
      return;
    }
    T* dl = dbuf[0];
    T* dr = dbuf[1];
    for (uint32_t k = 0; k < nl; ++k) {
      const int64_t j = int64_t(py) + 2 * int64_t(k);
      if (k == 0) predict(dl, j - 1);
      // d[h] mirrors to d[h-2] = dl; recomputing it would read rows already replaced.
      const bool last_mirrored = j + 1 >= int64_t(h);
      if (!last_mirrored) predict(dr, j + 1);
      T* o = p + size_t(k) * stride;
      update_row<T>(o, row(j), dl, last_mirrored ? dl : dr, m);
      horizontal_low<T>(o, w, px, hp, lp);
      std::swap(dl, dr);
    }
  }

  template <typename OutT>
  void store_component(uint8_t* out_bytes, uint32_t c, const T* src, size_t m) {
    const CompRange rg = ranges[c];
    const T lo = T(rg.lo), hi = T(rg.hi), shift = T(rg.shift);
    OutT* o = reinterpret_cast<OutT*>(out_bytes) + c;
    for (size_t i = 0; i < m; ++i) {
      T v = src[i] + shift;
      v = v < lo ? lo : (v > hi ? hi : v);
      o[i * nc] = OutT(v);  // modular conversion = two's complement bytes
    }
  }

  template <typename OutT>
  void serialise_as(const LevelPyramid::RowFn& fn) {
    const size_t m = w;
    T* rgb = scratch.data();  // 3 rows
    for (uint32_t y = 0; y < h; ++y) {
      uint8_t* ob = out.data();
      uint32_t c = 0;
      if (rct) {  // inverse RCT: G = Y - floor((Cb+Cr)/4), R = Cr + G, B = Cb + G
        const T* Y = plane_ptr(0) + y * stride;
        const T* Cb = plane_ptr(1) + y * stride;
        const T* Cr = plane_ptr(2) + y * stride;
        T* __restrict R = rgb;
        T* __restrict G = rgb + m;
        T* __restrict B = rgb + 2 * m;
        for (size_t i = 0; i < m; ++i) {
          const T g = Y[i] - floor_shift<T>(Cb[i] + Cr[i], 2);
          G[i] = g;
          R[i] = Cr[i] + g;
          B[i] = Cb[i] + g;
        }
        for (; c < 3; ++c) store_component<OutT>(ob, c, rgb + c * m, m);
      }
      for (; c < nc; ++c) store_component<OutT>(ob, c, plane_ptr(c) + y * stride, m);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
      if (sizeof(OutT) > 1) {
        OutT* o = reinterpret_cast<OutT*>(ob);
        for (size_t i = 0; i < m * nc; ++i) {
          uint8_t* b = reinterpret_cast<uint8_t*>(o + i);
          std::reverse(b, b + sizeof(OutT));
        }
      }
#endif
      fn(ob, m * nc * sizeof(OutT));
    }
  }

  void serialise(const LevelPyramid::RowFn& fn) override {
    if (w == 0 || h == 0) return;
    switch (bytes) {
      case 1: serialise_as<uint8_t>(fn); break;
      case 2: serialise_as<uint16_t>(fn); break;
      default: serialise_as<uint32_t>(fn); break;
    }
  }
};

}  // namespace

template <typename In>
LevelPyramid::LevelPyramid(const In* samples, size_t row_stride, uint32_t width,
                           uint32_t height, uint32_t num_components,
                           const std::vector<SampleFormat>& formats, bool rct, uint32_t x0,
                           uint32_t y0) {
  static_assert(kSupportedInput<In>, "unsupported sample type");
  if (num_components == 0) throw InvalidArgument("num_components must be >= 1");
  if (formats.size() != num_components)
    throw InvalidArgument("got " + std::to_string(formats.size()) + " sample formats for " +
                          std::to_string(num_components) + " components");
  uint32_t bytes = 1, max_depth = 0;
  for (const SampleFormat& f : formats) {
    if (f.bit_depth < 1 || f.bit_depth > 32)
      throw InvalidArgument("bit depth " + std::to_string(f.bit_depth) + " not in 1..32");
    const uint32_t need = bytes_for_bit_depth(f.bit_depth);
    const uint32_t b = f.bytes ? f.bytes : need;
    if ((b != 1 && b != 2 && b != 4) || b < need)
      throw InvalidArgument("sample size of " + std::to_string(b) + " bytes for bit depth " +
                            std::to_string(f.bit_depth));
    bytes = std::max(bytes, b);
    max_depth = std::max(max_depth, f.bit_depth);
  }
  if (rct) {
    if (num_components < 3) throw InvalidArgument("the RCT needs 3 components");
    for (int c = 1; c < 3; ++c)
      if (formats[c].bit_depth != formats[0].bit_depth ||
          formats[c].is_signed != formats[0].is_signed)
        throw InvalidArgument("the RCT needs components 0..2 of the same format");
  }
  const uint64_t pixels = uint64_t(width) * height;
  if (pixels > 0) {
    if (samples == nullptr) throw InvalidArgument("null samples");
    if (row_stride < uint64_t(width) * num_components)
      throw InvalidArgument("row stride shorter than a row");
    if (pixels > std::numeric_limits<size_t>::max() / 8 / num_components)
      throw LimitExceeded("image too large");
  }

  std::unique_ptr<Impl> impl;
  if (max_depth <= kMaxInt32BitDepth)
    impl = std::make_unique<ImplT<int32_t>>();
  else
    impl = std::make_unique<ImplT<int64_t>>();
  impl->w = width;
  impl->h = height;
  impl->x0 = x0;
  impl->y0 = y0;
  impl->nc = num_components;
  impl->bytes = bytes;
  impl->rct = rct;
  for (const SampleFormat& f : formats) impl->ranges.push_back(range_of(f));
  if (max_depth <= kMaxInt32BitDepth)
    static_cast<ImplT<int32_t>*>(impl.get())->load(samples, row_stride);
  else
    static_cast<ImplT<int64_t>*>(impl.get())->load(samples, row_stride);
  impl_ = std::move(impl);
}

LevelPyramid::~LevelPyramid() = default;
LevelPyramid::LevelPyramid(LevelPyramid&&) noexcept = default;
LevelPyramid& LevelPyramid::operator=(LevelPyramid&&) noexcept = default;

uint32_t LevelPyramid::level() const { return impl_->level; }
uint32_t LevelPyramid::width() const { return impl_->w; }
uint32_t LevelPyramid::height() const { return impl_->h; }
uint32_t LevelPyramid::num_components() const { return impl_->nc; }
uint32_t LevelPyramid::bytes_per_sample() const { return impl_->bytes; }
size_t LevelPyramid::row_bytes() const {
  return size_t(impl_->w) * impl_->nc * impl_->bytes;
}
void LevelPyramid::next_level() { impl_->next_level(); }
void LevelPyramid::serialise(const RowFn& fn) { impl_->serialise(fn); }

uint32_t LevelPyramid::crc32() {
  uint32_t crc = 0;
  impl_->serialise([&](const uint8_t* b, size_t n) { crc = crc32_update(crc, b, n); });
  return crc;
}

template <typename In>
std::vector<LevelCrc> level_checksums_from_samples(const In* samples, size_t row_stride,
                                                   uint32_t w, uint32_t h, uint32_t ncomp,
                                                   const std::vector<SampleFormat>& fmt,
                                                   bool rct, uint32_t max_level, uint32_t x0,
                                                   uint32_t y0) {
  if (max_level > kMaxLevels)
    throw InvalidArgument("max_level " + std::to_string(max_level) + " > 32");
  LevelPyramid pyr(samples, row_stride, w, h, ncomp, fmt, rct, x0, y0);
  std::vector<LevelCrc> out(max_level + 1);
  for (uint32_t r = 0;; ++r) {
    out[max_level - r] = LevelCrc{pyr.width(), pyr.height(), pyr.crc32(), r};
    if (r == max_level) break;
    pyr.next_level();
  }
  return out;
}

#define HTJ2K_LEVELS_INSTANTIATE(In)                                                        \
  template LevelPyramid::LevelPyramid(const In*, size_t, uint32_t, uint32_t, uint32_t,      \
                                      const std::vector<SampleFormat>&, bool, uint32_t,     \
                                      uint32_t);                                            \
  template std::vector<LevelCrc> level_checksums_from_samples<In>(                          \
      const In*, size_t, uint32_t, uint32_t, uint32_t, const std::vector<SampleFormat>&,    \
      bool, uint32_t, uint32_t, uint32_t);
HTJ2K_LEVELS_INSTANTIATE(uint8_t)
HTJ2K_LEVELS_INSTANTIATE(int8_t)
HTJ2K_LEVELS_INSTANTIATE(uint16_t)
HTJ2K_LEVELS_INSTANTIATE(int16_t)
HTJ2K_LEVELS_INSTANTIATE(uint32_t)
HTJ2K_LEVELS_INSTANTIATE(int32_t)
#undef HTJ2K_LEVELS_INSTANTIATE

}  // namespace htj2k
