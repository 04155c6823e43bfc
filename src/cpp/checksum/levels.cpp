#include "checksum/levels.hpp"

#include "core/limits.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>

#include "checksum/crc32.hpp"
#include "core/errors.hpp"
#include "simd/convert.hpp"
#include "simd/dwt53_lift.hpp"

namespace htj2k {
namespace {


// Bit depths up to this are transformed in int32. With the RCT the chroma has
// |v| <= 2^B; the 5/3 low band of any number of 2D levels stays within ~2.95x of
// its input (L1 norm of the cascaded low-pass, squared: 1.716^2), and a lifting
// step sums at most ~4x that (d[n-1] + d[n] + 2): 4 * 3 * 2^24 < 2^28 << 2^31.
constexpr uint32_t kMaxInt32BitDepth = 24;

#if defined(__GNUC__)
#define HTJ2K_ALWAYS_INLINE inline __attribute__((always_inline))
#define HTJ2K_NOINLINE __attribute__((noinline))
#else
#define HTJ2K_ALWAYS_INLINE inline
#define HTJ2K_NOINLINE
#endif

// Runs f(i) for i < n in blocks of 16 then a scalar tail. All inner loops go
// through this: GCC at -O2 (its "very cheap" vectoriser cost model) only
// vectorises loops whose trip count is a known multiple of the vector length,
// which the fixed-size block is. At -O3 and with Clang it changes nothing.
template <typename F>
HTJ2K_ALWAYS_INLINE void for_blocked(size_t n, F&& f) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (size_t j = i; j < i + 16; ++j) f(j);
  for (; i < n; ++i) f(i);
}

// The 5/3 lifting rows are simd/dwt53_lift.hpp's (Highway kernels for int32 work,
// the scalar definition for int64); the RCT rows likewise.
using dwt53_lift::horizontal;
using dwt53_lift::low_count;
using dwt53_lift::mirror_index;
using dwt53_lift::predict_row;
using dwt53_lift::update_row;
inline void rct_forward_row(int32_t* r, int32_t* g, int32_t* b, size_t n) { rct_forward(r, g, b, n); }
inline void rct_forward_row(int64_t* r, int64_t* g, int64_t* b, size_t n) { dwt53_scalar::rct_forward(r, g, b, n); }
inline void rct_inverse_row(int32_t* y, int32_t* cb, int32_t* cr, size_t n) { rct_inverse(y, cb, cr, n); }
inline void rct_inverse_row(int64_t* y, int64_t* cb, int64_t* cr, size_t n) { dwt53_scalar::rct_inverse(y, cb, cr, n); }

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

// o[x * step] = clamp(src[x] + DC shift) in OutT (modular conversion = the two's
// complement bytes of the value for signed components).
template <typename T, typename OutT>
HTJ2K_NOINLINE void store_row(OutT* __restrict o, size_t step, const T* __restrict src, size_t n,
                              const CompRange& rg) {
  const T lo = T(rg.lo), hi = T(rg.hi), shift = T(rg.shift);
  auto clamp = [&](T v) {
    v += shift;
    return OutT(v < lo ? lo : (v > hi ? hi : v));
  };
  if (step == 1)
    for_blocked(n, [&](size_t x) { o[x] = clamp(src[x]); });
  else
    for_blocked(n, [&](size_t x) { o[x * step] = clamp(src[x]); });
}

// Checksum bytes are little-endian: swapped in place on a big-endian machine.
template <typename OutT>
void to_little_endian(OutT* ob, size_t n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  if (sizeof(OutT) > 1)
    for (size_t i = 0; i < n; ++i) {
      uint8_t* b = reinterpret_cast<uint8_t*>(ob + i);
      std::reverse(b, b + sizeof(OutT));
    }
#else
  (void)ob;
  (void)n;
#endif
}

// rgb[0..3m) = the inverse RCT, (Y, Cb, Cr) -> (R, G, B), of rows 0..2 (left as they are).
template <typename T>
void inverse_rct_rows(const T* const* rows, T* rgb, size_t m) {
  for (uint32_t k = 0; k < 3; ++k) std::copy(rows[k], rows[k] + m, rgb + k * m);
  rct_inverse_row(rgb, rgb + m, rgb + 2 * m, m);
}

// Components serialised by the vectorised path of serialise_row (simd/convert's
// interleaving kernel covers 1..4; more go through the scalar loop).
constexpr uint32_t kFastComponents = 4;

// One row of checksum bytes of a level image held in the transform domain
// (DC-shifted, components 0..2 after the forward RCT when rct): rows[c] holds
// component c's w samples; the inverse RCT, un-shift and clamp a decoder applies,
// components interleaved into ob (w * nc samples). rgb: 3 * w scratch samples.
template <typename T, typename OutT>
void serialise_row(const T* const* rows, uint32_t w, uint32_t nc, bool rct, const CompRange* ranges, T* rgb,
                   OutT* ob) {
  const size_t m = w;
  if constexpr (std::is_same_v<T, int32_t>) {
    if (nc <= kFastComponents) {
      // clamp(v + shift, lo, hi) = clamp(v, lo - shift, hi - shift) + shift: the clamp
      // and interleave by simd/convert's kernel into the signed type of OutT's size
      // (the shifted range fits it), then the shift added modulo 2^bits (the
      // unsigned value's bytes).
      const int32_t* src[kFastComponents];
      int64_t lo[kFastComponents], hi[kFastComponents];
      for (uint32_t c = 0; c < nc; ++c) {
        src[c] = rows[c];
        lo[c] = ranges[c].lo - ranges[c].shift;
        hi[c] = ranges[c].hi - ranges[c].shift;
      }
      if (rct) {
        inverse_rct_rows(rows, rgb, m);
        for (uint32_t k = 0; k < 3; ++k) src[k] = rgb + k * m;
      }
      constexpr SampleType kSigned =
          sizeof(OutT) == 1 ? SampleType::I8 : sizeof(OutT) == 2 ? SampleType::I16 : SampleType::I32;
      store_clamped_interleaved(src, nc, m, ob, kSigned, lo, hi);
      for (uint32_t c = 0; c < nc; ++c)
        if (const OutT shift = OutT(ranges[c].shift)) {
          if (nc == 1)
            for_blocked(m, [&](size_t x) { ob[x] = OutT(ob[x] + shift); });
          else
            for (size_t x = 0; x < m; ++x) ob[x * nc + c] = OutT(ob[x * nc + c] + shift);
        }
      to_little_endian(ob, m * nc);
      return;
    }
  }
  uint32_t c = 0;
  if (rct) {
    inverse_rct_rows(rows, rgb, m);
    for (; c < 3; ++c) store_row<T, OutT>(ob + c, nc, rgb + c * m, m, ranges[c]);
  }
  for (; c < nc; ++c) store_row<T, OutT>(ob + c, nc, rows[c], m, ranges[c]);
  to_little_endian(ob, m * nc);
}

// serialise_row over the w x h corner of nc planes (rows `stride` apart), one
// row per call of fn. out: w * nc * sizeof(OutT) bytes.
template <typename T, typename OutT>
void serialise_planes(const T* const* planes, size_t stride, uint32_t w, uint32_t h, uint32_t nc, bool rct,
                      const CompRange* ranges, T* rgb, uint8_t* out, const LevelPyramid::RowFn& fn) {
  std::vector<const T*> rows(nc);
  for (uint32_t y = 0; y < h; ++y) {
    for (uint32_t c = 0; c < nc; ++c) rows[c] = planes[c] + y * stride;
    serialise_row<T, OutT>(rows.data(), w, nc, rct, ranges, rgb, reinterpret_cast<OutT*>(out));
    fn(out, size_t(w) * nc * sizeof(OutT));
  }
}

// crc32 of the W-wide rows put together from `rects` (grouped in tile rows).
template <typename OutT>
uint32_t mosaic_crc32_as(const std::vector<TransformRect>& rects, uint32_t W, uint32_t nc, bool rct,
                         const CompRange* ranges) {
  std::vector<int32_t> rgb(3 * size_t(W));
  std::vector<OutT> out(size_t(W) * nc);
  std::vector<const int32_t*> rows(nc);
  uint32_t crc = 0;
  for (size_t first = 0; first < rects.size();) {
    size_t end = first;
    while (end < rects.size() && rects[end].y0 == rects[first].y0) ++end;
    for (uint32_t y = 0; y < rects[first].h; ++y) {
      for (size_t i = first; i < end; ++i) {
        const TransformRect& r = rects[i];
        for (uint32_t c = 0; c < nc; ++c) rows[c] = r.planes[c] + y * r.stride;
        serialise_row<int32_t, OutT>(rows.data(), r.w, nc, rct, ranges, rgb.data(), out.data() + r.x0 * nc);
      }
      crc = crc32_update(crc, out.data(), out.size() * sizeof(OutT));
    }
    first = end;
  }
  return crc;
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
  std::vector<T> scratch;  // lifting and serialisation rows
  std::vector<uint8_t> out;  // one row of checksum bytes

  T* plane_ptr(uint32_t c) { return data.data() + c * plane; }

  template <typename In>
  void load(const In* samples, size_t row_stride) {
    stride = w;
    plane = size_t(w) * h;
    data.resize(plane * nc);
    // vertical pass: 2 rows; horizontal pass: 3 * (w/2 + 3); serialisation: 3 rows.
    scratch.resize(4 * size_t(w) + 16);
    out.resize(size_t(w) * nc * bytes);
    for (uint32_t y = 0; y < h; ++y) {  // row by row: the input row stays in cache
      for (uint32_t c = 0; c < nc; ++c)
        load_row<In>(plane_ptr(c) + y * stride, samples + y * row_stride + c, nc, w, ranges[c]);
      if (rct)
        rct_forward_row(plane_ptr(0) + y * stride, plane_ptr(1) + y * stride,
                        plane_ptr(2) + y * stride, w);
    }
  }

  // dst[x] = clamp(src[x * step]) - DC shift.
  template <typename In>
  HTJ2K_NOINLINE static void load_row(T* __restrict dst, const In* __restrict src, size_t step,
                                      size_t n, const CompRange& rg) {
    // Compare in T unless In does not fit in it (uint32 samples, int32 work).
    using W =
        std::conditional_t<(sizeof(In) >= sizeof(T) && !std::is_signed_v<In>), int64_t, T>;
    const W lo = W(rg.lo), hi = W(rg.hi);
    const T shift = T(rg.shift);
    auto clamp = [&](W v) { return T((v < lo ? lo : (v > hi ? hi : v))) - shift; };
    if (step == 1)
      for_blocked(n, [&](size_t x) { dst[x] = clamp(W(src[x])); });
    else
      for_blocked(n, [&](size_t x) { dst[x] = clamp(W(src[x * step])); });
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
    T* hscratch = scratch.data() + 2 * m;
    auto horiz = [&](T* r) {
      if (m > 1) horizontal<T>(r, w, px, hscratch, false);  // else px == 0: r is its low band
    };
    if (h == 1) {  // py == 0: a single even row is its own low band
      horiz(p);
      return;
    }
    auto mirror = [&](int64_t j) { return mirror_index(j, h); };  // of local rows
    auto row = [&](int64_t j) -> T* { return p + size_t(mirror(j)) * stride; };
    auto predict = [&](T* d, int64_t j) {  // high row j (mirrored) into d
      j = mirror(j);
      predict_row(d, row(j), row(j - 1), row(j + 1), m);
    };
    T* dl = dbuf[0];
    T* dr = dbuf[1];
    for (uint32_t k = 0; k < nl; ++k) {
      const int64_t j = int64_t(py) + 2 * int64_t(k);
      if (k == 0) predict(dl, j - 1);
      // d[h] mirrors to d[h-2] = dl; recomputing it would read rows already replaced.
      const bool last_mirrored = j + 1 >= int64_t(h);
      if (!last_mirrored) predict(dr, j + 1);
      T* o = p + size_t(k) * stride;
      T* x = row(j);
      update_row(o, x, dl, last_mirrored ? dl : dr, m);  // o == x when k == 0 and py == 0
      horiz(o);
      std::swap(dl, dr);
    }
  }

  template <typename OutT>
  void serialise_as(const LevelPyramid::RowFn& fn) {
    std::vector<const T*> planes(nc);
    for (uint32_t c = 0; c < nc; ++c) planes[c] = plane_ptr(c);
    serialise_planes<T, OutT>(planes.data(), stride, w, h, nc, rct, ranges.data(), scratch.data(), out.data(), fn);
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

uint32_t mosaic_crc32(std::vector<TransformRect> rects, uint32_t width, uint32_t height, uint32_t nc,
                      const SampleFormat& fmt, bool rct) {
  if (fmt.bit_depth < 1 || fmt.bit_depth > kMaxInt32BitDepth)
    throw InvalidArgument("transform planes of bit depth " + std::to_string(fmt.bit_depth) + " (int32 holds 1.." +
                          std::to_string(kMaxInt32BitDepth) + ")");
  if (rct && nc < 3) throw InvalidArgument("the RCT needs 3 components");
  // Empty rectangles hold nothing; the others must tile width x height in tile rows.
  rects.erase(std::remove_if(rects.begin(), rects.end(), [](const TransformRect& r) { return !r.w || !r.h; }),
              rects.end());
  std::sort(rects.begin(), rects.end(),
            [](const TransformRect& a, const TransformRect& b) { return a.y0 != b.y0 ? a.y0 < b.y0 : a.x0 < b.x0; });
  const std::string not_tiled = "mosaic: the rectangles do not tile the " + std::to_string(width) + "x" +
                                std::to_string(height) + " level";
  uint64_t y = 0;
  for (size_t first = 0, end; first < rects.size(); first = end) {  // one tile row
    uint64_t x = 0;
    for (end = first; end < rects.size() && rects[end].y0 == rects[first].y0; ++end) {
      const TransformRect& r = rects[end];
      if (r.y0 != y || r.x0 != x || r.h != rects[first].h) throw InvalidArgument(not_tiled);
      x += r.w;
    }
    if (x != width) throw InvalidArgument(not_tiled);
    y += rects[first].h;
  }
  if (rects.empty() ? width && height : y != height) throw InvalidArgument(not_tiled);
  if (rects.empty()) return 0;
  const uint32_t bytes = fmt.bytes ? fmt.bytes : bytes_for_bit_depth(fmt.bit_depth);
  const std::vector<CompRange> ranges(nc, range_of(fmt));
  switch (bytes) {
    case 1: return mosaic_crc32_as<uint8_t>(rects, width, nc, rct, ranges.data());
    case 2: return mosaic_crc32_as<uint16_t>(rects, width, nc, rct, ranges.data());
    default: return mosaic_crc32_as<uint32_t>(rects, width, nc, rct, ranges.data());
  }
}

uint32_t samples_crc32(const ImageView& im, uint32_t bytes) {
  const size_t size = sample_bytes(im.type);
  if (bytes > size) throw InvalidArgument("checksum samples of " + std::to_string(bytes) + " bytes from " +
                                          std::to_string(size) + "-byte samples");
  const size_t n = size_t(im.width) * im.num_components;
  const auto* base = static_cast<const uint8_t*>(im.data);
  uint32_t crc = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (bytes == size) {  // the samples are the checksum bytes
    for (uint32_t y = 0; y < im.height; ++y) crc = crc32_update(crc, base + size_t(y) * im.row_stride, n * size);
    return crc;
  }
#endif
  std::vector<uint8_t> row(n * bytes);
  for (uint32_t y = 0; y < im.height; ++y) {
    const uint8_t* src = base + size_t(y) * im.row_stride;
    for (size_t i = 0; i < n; ++i) {
      uint64_t v = 0;
      std::memcpy(&v, src + i * size, size);  // native order: the value's low bytes first on little-endian
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
      v >>= 8 * (8 - size);
#endif
      for (uint32_t b = 0; b < bytes; ++b) row[i * bytes + b] = uint8_t(v >> (8 * b));
    }
    crc = crc32_update(crc, row.data(), row.size());
  }
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
