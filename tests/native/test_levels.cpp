// Tests of checksum/crc32 and checksum/levels against zlib and a plain scalar
// reference of the 15444-1 reversible 5/3 forward DWT written independently here.
// A gtest target of the CMake build (HTJ2K_BUILD_TESTING), run by ctest.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdarg>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "checksum/crc32.hpp"
#include "checksum/levels.hpp"
#include "core/errors.hpp"

using namespace htj2k;

// CHECK(cond, printf-style message): a gtest expectation with a formatted message.
static std::string message(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static std::string message(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}
#define CHECK(cond, ...) EXPECT_TRUE(cond) << message(__VA_ARGS__)

// ---------------------------------------------------------------- reference
namespace ref {

int64_t floordiv(int64_t a, int64_t b) {  // b > 0
  int64_t q = a / b;
  if ((a % b) != 0 && a < 0) --q;
  return q;
}

// 15444-1 F.4.8: 1D_SD of X(i0..i1-1) with PSE (F.3.7), returning the low band
// Y(2n), i0 <= 2n < i1. Works in absolute coordinates, no tricks.
std::vector<int64_t> low_1d(const std::vector<int64_t>& x, int64_t i0) {
  const int64_t n = int64_t(x.size()), i1 = i0 + n;
  std::vector<int64_t> low;
  if (n == 1) {
    if (i0 % 2 == 0) low.push_back(x[0]);  // odd i0: the sample goes to the high band
    return low;
  }
  auto X = [&](int64_t i) {  // PSE: period 2(i1-i0-1), reflection about i0 and i1-1
    const int64_t period = 2 * (n - 1);
    int64_t k = (i - i0) % period;
    if (k < 0) k += period;
    if (k >= n) k = period - k;
    return x[size_t(k)];
  };
  auto Yodd = [&](int64_t i) {  // i odd
    return X(i) - floordiv(X(i - 1) + X(i + 1), 2);
  };
  for (int64_t i = i0; i < i1; ++i) {
    if (i % 2 != 0) continue;
    low.push_back(X(i) + floordiv(Yodd(i - 1) + Yodd(i + 1) + 2, 4));
  }
  return low;
}

// One 2D level on a w x h plane (row-major) at origin (x0, y0): columns then rows
// (2D_SD, F.4.2) unless rows_first.
std::vector<int64_t> ll_2d(const std::vector<int64_t>& p, uint32_t w, uint32_t h, int64_t x0,
                           int64_t y0, uint32_t& ow, uint32_t& oh, bool rows_first) {
  auto ceil2 = [](int64_t v) { return (v + 1) / 2; };
  ow = uint32_t(ceil2(x0 + w) - ceil2(x0));
  oh = uint32_t(ceil2(y0 + h) - ceil2(y0));
  std::vector<int64_t> out(size_t(ow) * oh);
  if (ow == 0 || oh == 0) return out;
  if (!rows_first) {
    std::vector<int64_t> mid(size_t(w) * oh);  // vertical low band, full width
    for (uint32_t x = 0; x < w; ++x) {
      std::vector<int64_t> col(h);
      for (uint32_t y = 0; y < h; ++y) col[y] = p[size_t(y) * w + x];
      auto l = low_1d(col, y0);
      for (uint32_t y = 0; y < oh; ++y) mid[size_t(y) * w + x] = l[y];
    }
    for (uint32_t y = 0; y < oh; ++y) {
      std::vector<int64_t> row(mid.begin() + size_t(y) * w, mid.begin() + size_t(y + 1) * w);
      auto l = low_1d(row, x0);
      for (uint32_t x = 0; x < ow; ++x) out[size_t(y) * ow + x] = l[x];
    }
  } else {
    std::vector<int64_t> mid(size_t(ow) * h);
    for (uint32_t y = 0; y < h; ++y) {
      std::vector<int64_t> row(p.begin() + size_t(y) * w, p.begin() + size_t(y + 1) * w);
      auto l = low_1d(row, x0);
      for (uint32_t x = 0; x < ow; ++x) mid[size_t(y) * ow + x] = l[x];
    }
    for (uint32_t x = 0; x < ow; ++x) {
      std::vector<int64_t> col(h);
      for (uint32_t y = 0; y < h; ++y) col[y] = mid[size_t(y) * ow + x];
      auto l = low_1d(col, y0);
      for (uint32_t y = 0; y < oh; ++y) out[size_t(y) * ow + x] = l[y];
    }
  }
  return out;
}

struct Level {
  uint32_t w, h;
  std::vector<uint8_t> bytes;
};

// All levels 0..R as checksum bytes.
template <typename In>
std::vector<Level> levels(const In* s, size_t stride, uint32_t w, uint32_t h, uint32_t nc,
                          const std::vector<SampleFormat>& fmt, bool rct, uint32_t R,
                          int64_t x0, int64_t y0, bool rows_first = false) {
  uint32_t bytes = 1;
  for (auto& f : fmt) bytes = std::max(bytes, f.bytes ? f.bytes : bytes_for_bit_depth(f.bit_depth));
  std::vector<int64_t> lo(nc), hi(nc), sh(nc);
  for (uint32_t c = 0; c < nc; ++c) {
    const int64_t half = int64_t(1) << (fmt[c].bit_depth - 1);
    lo[c] = fmt[c].is_signed ? -half : 0;
    hi[c] = fmt[c].is_signed ? half - 1 : 2 * half - 1;
    sh[c] = fmt[c].is_signed ? 0 : half;
  }
  std::vector<std::vector<int64_t>> P(nc, std::vector<int64_t>(size_t(w) * h));
  for (uint32_t c = 0; c < nc; ++c)
    for (uint32_t y = 0; y < h; ++y)
      for (uint32_t x = 0; x < w; ++x)
        P[c][size_t(y) * w + x] =
            std::clamp<int64_t>(int64_t(s[y * stride + x * nc + c]), lo[c], hi[c]) - sh[c];
  if (rct)
    for (size_t i = 0; i < size_t(w) * h; ++i) {
      int64_t R_ = P[0][i], G = P[1][i], B = P[2][i];
      P[0][i] = floordiv(R_ + 2 * G + B, 4);
      P[1][i] = B - G;
      P[2][i] = R_ - G;
    }
  std::vector<Level> out;
  uint32_t cw = w, ch = h;
  for (uint32_t r = 0; r <= R; ++r) {
    if (r > 0) {
      uint32_t nw = 0, nh = 0;
      for (uint32_t c = 0; c < nc; ++c) P[c] = ll_2d(P[c], cw, ch, x0, y0, nw, nh, rows_first);
      cw = nw;
      ch = nh;
      x0 = (x0 + 1) / 2;
      y0 = (y0 + 1) / 2;
    }
    Level L{cw, ch, {}};
    for (size_t i = 0; i < size_t(cw) * ch; ++i) {
      std::vector<int64_t> v(nc);
      for (uint32_t c = 0; c < nc; ++c) v[c] = P[c][i];
      if (rct) {
        int64_t G = v[0] - floordiv(v[1] + v[2], 4);
        int64_t R_ = v[2] + G, B = v[1] + G;
        v[0] = R_;
        v[1] = G;
        v[2] = B;
      }
      for (uint32_t c = 0; c < nc; ++c) {
        int64_t u = std::clamp<int64_t>(v[c] + sh[c], lo[c], hi[c]);
        for (uint32_t b = 0; b < bytes; ++b) L.bytes.push_back(uint8_t(uint64_t(u) >> (8 * b)));
      }
    }
    out.push_back(std::move(L));
  }
  return out;
}

}  // namespace ref

// ---------------------------------------------------------------- helpers
static uint32_t zcrc(const std::vector<uint8_t>& b) {
  return uint32_t(crc32(0L, b.data(), uInt(b.size())));
}

static std::mt19937_64 rng(12345);

enum class Pattern { Uniform, Extremes, Checker, Impulses, OutOfRange };
static const char* pattern_name(Pattern p) {
  switch (p) {
    case Pattern::Uniform: return "uniform";
    case Pattern::Extremes: return "extremes";
    case Pattern::Checker: return "checker";
    case Pattern::Impulses: return "impulses";
    default: return "out-of-range";
  }
}

template <typename In>
std::vector<In> make_image(uint32_t w, uint32_t h, uint32_t nc, size_t stride,
                           const std::vector<SampleFormat>& fmt, Pattern pat) {
  std::vector<In> img(std::max<size_t>(stride * h, 1), In(0));
  for (uint32_t y = 0; y < h; ++y)
    for (uint32_t x = 0; x < w; ++x)
      for (uint32_t c = 0; c < nc; ++c) {
        const int64_t half = int64_t(1) << (fmt[c].bit_depth - 1);
        int64_t lo = fmt[c].is_signed ? -half : 0, hi = fmt[c].is_signed ? half - 1 : 2 * half - 1;
        // keep within the input type
        lo = std::max<int64_t>(lo, std::numeric_limits<In>::min());
        hi = std::min<int64_t>(hi, std::numeric_limits<In>::max());
        int64_t v = 0;
        switch (pat) {
          case Pattern::Uniform:
            v = lo + int64_t(rng() % uint64_t(hi - lo + 1));
            break;
          case Pattern::Extremes:
            v = (rng() & 1) ? hi : lo;
            break;
          case Pattern::Checker:  // maximal overshoot of the low-pass filters
            v = (((x ^ y) + c) & 1) ? hi : lo;
            break;
          case Pattern::Impulses:
            v = (rng() % 17 == 0) ? ((rng() & 1) ? hi : lo) : (lo + hi) / 2;
            break;
          case Pattern::OutOfRange:  // anything the input type can hold: clamped first
            v = std::numeric_limits<In>::min() +
                int64_t(rng() % (uint64_t(int64_t(std::numeric_limits<In>::max()) -
                                          std::numeric_limits<In>::min()) + 1));
            break;
        }
        img[y * stride + x * nc + c] = In(v);
      }
  return img;
}

template <typename In>
void run_case(uint32_t w, uint32_t h, uint32_t nc, const std::vector<SampleFormat>& fmt,
              bool rct, uint32_t R, uint32_t x0, uint32_t y0, Pattern pat, size_t pad = 0) {
  const size_t stride = size_t(w) * nc + pad;
  auto img = make_image<In>(w, h, nc, stride, fmt, pat);
  auto want = ref::levels(img.data(), stride, w, h, nc, fmt, rct, R, x0, y0);
  char what[256];
  std::snprintf(what, sizeof what, "%ux%u nc=%u B=%u%s rct=%d origin=(%u,%u) in=%zu%s %s", w,
                h, nc, fmt[0].bit_depth, fmt[0].is_signed ? "s" : "u", int(rct), x0, y0,
                sizeof(In), std::is_signed<In>::value ? "s" : "u", pattern_name(pat));
  // level images, byte for byte
  LevelPyramid pyr(img.data(), stride, w, h, nc, fmt, rct, x0, y0);
  for (uint32_t r = 0; r <= R; ++r) {
    if (r > 0) pyr.next_level();
    std::vector<uint8_t> got;
    pyr.serialise([&](const uint8_t* b, size_t n) {
      CHECK(n == pyr.row_bytes(), "%s r=%u row bytes", what, r);
      got.insert(got.end(), b, b + n);
    });
    CHECK(pyr.level() == r, "%s", what);
    CHECK(pyr.width() == want[r].w && pyr.height() == want[r].h, "%s r=%u size %ux%u want %ux%u",
          what, r, pyr.width(), pyr.height(), want[r].w, want[r].h);
    if (got != want[r].bytes) {
      size_t i = 0;
      while (i < std::min(got.size(), want[r].bytes.size()) && got[i] == want[r].bytes[i]) ++i;
      CHECK(false, "%s r=%u bytes differ at %zu of %zu/%zu", what, r, i, got.size(),
            want[r].bytes.size());
      return;
    }
  }
  // checksums
  auto crcs = level_checksums_from_samples(img.data(), stride, w, h, nc, fmt, rct, R, x0, y0);
  CHECK(crcs.size() == R + 1, "%s", what);
  for (uint32_t i = 0; i <= R; ++i) {
    const uint32_t r = R - i;
    CHECK(crcs[i].level == r && crcs[i].width == want[r].w && crcs[i].height == want[r].h &&
              crcs[i].crc32 == zcrc(want[r].bytes),
          "%s r=%u crc %08x want %08x", what, r, crcs[i].crc32, zcrc(want[r].bytes));
  }
}

static std::vector<SampleFormat> fmts(uint32_t nc, uint32_t B, bool s) {
  return std::vector<SampleFormat>(nc, make_sample_format(B, s));
}

TEST(Levels, CrcMatchesZlib) {
  for (size_t n : {0, 1, 2, 3, 7, 15, 16, 17, 63, 64, 65, 255, 256, 1000, 4096, 65537}) {
    std::vector<uint8_t> b(n + 1);  // + 1: never a null pointer (zlib returns 0 for one)
    b.resize(n);
    for (auto& v : b) v = uint8_t(rng());
    CHECK(crc32_update(0, b.data(), n) == zcrc(b), "crc n=%zu", n);
    // chaining over a split
    for (size_t cut : {size_t(0), n / 3, n}) {
      uint32_t c = crc32_update(0, b.data(), cut);
      c = crc32_update(c, b.data() + cut, n - cut);
      CHECK(c == zcrc(b), "chained crc n=%zu cut=%zu", n, cut);
    }
    // seeded like zlib
    const uint32_t seed = 0xdeadbeef;
    CHECK(crc32_update(seed, b.data(), n) == uint32_t(crc32(seed, b.data(), uInt(n))),
          "seeded crc n=%zu", n);
  }
  CHECK(crc32_update(0, "123456789", 9) == 0xCBF43926u, "check value");
}

TEST(Levels, BadArgumentsThrow) {
  uint16_t px[4] = {0, 1, 2, 3};
  auto expect_throw = [](auto fn, const char* what) {
    bool thrown = false;
    try {
      fn();
    } catch (const InvalidArgument&) {
      thrown = true;
    }
    CHECK(thrown, "%s should throw InvalidArgument", what);
  };
  expect_throw([&] { LevelPyramid p(px, 2, 2, 2, 1, fmts(2, 8, false), false); }, "fmt count");
  expect_throw([&] { LevelPyramid p(px, 2, 2, 2, 1, fmts(1, 0, false), false); }, "B=0");
  expect_throw([&] { LevelPyramid p(px, 2, 2, 2, 1, fmts(1, 33, false), false); }, "B=33");
  expect_throw([&] { LevelPyramid p(px, 1, 2, 2, 1, fmts(1, 8, false), false); }, "stride");
  expect_throw([&] { LevelPyramid p(px, 4, 1, 1, 1, fmts(1, 8, false), true); }, "rct nc=1");
  expect_throw(
      [&] {
        std::vector<SampleFormat> f = fmts(3, 8, false);
        f[2].bit_depth = 9;
        LevelPyramid p(px, 3, 1, 1, 3, f, true);
      },
      "rct mixed");
  expect_throw(
      [&] {
        std::vector<SampleFormat> f = fmts(1, 12, false);
        f[0].bytes = 1;
        LevelPyramid p(px, 2, 2, 2, 1, f, false);
      },
      "bytes too small");
  expect_throw([&] { level_checksums_from_samples(px, 2, 2, 2, 1, fmts(1, 8, false), false, 33); },
               "max_level");
  // empty image
  auto e = level_checksums_from_samples(px, 0, 0, 0, 1, fmts(1, 8, false), false, 2);
  CHECK(e.size() == 3 && e[0].width == 0 && e[2].crc32 == 0, "empty image");
}

// 'bytes' wider than needed widens the checksum samples of the whole image.
TEST(Levels, MixedFormats) {
  std::vector<SampleFormat> f = {make_sample_format(5, false), make_sample_format(12, true)};
  run_case<int16_t>(9, 7, 2, f, false, 4, 0, 0, Pattern::Uniform);
  run_case<int16_t>(9, 7, 2, f, false, 4, 0, 0, Pattern::OutOfRange);
  f = {make_sample_format(8, false), make_sample_format(8, false), make_sample_format(8, false),
       make_sample_format(3, true)};
  run_case<int8_t>(13, 6, 4, f, true, 4, 0, 0, Pattern::Checker);
  run_case<uint8_t>(13, 6, 4, f, true, 4, 1, 1, Pattern::Uniform, 5);
  f = {SampleFormat{8, false, 4}};
  run_case<uint8_t>(6, 6, 1, f, false, 3, 0, 0, Pattern::Uniform);
}

// Timings only (nothing checked): run with --gtest_also_run_disabled_tests.
TEST(Levels, DISABLED_Timing) {
  const uint32_t w = 512, h = 512;
  std::vector<int16_t> img(size_t(w) * h);
  // a smooth-ish CT-like image with noise
  for (uint32_t y = 0; y < h; ++y)
    for (uint32_t x = 0; x < w; ++x) {
      double dx = x - 256.0, dy = y - 256.0;
      int v = (dx * dx + dy * dy < 200.0 * 200.0) ? 1000 + int(rng() % 200) : -1000;
      img[size_t(y) * w + x] = int16_t(v);
    }
  auto f = fmts(1, 16, true);
  for (int rct = 0; rct < 1; ++rct) {
    double best = 1e9;
    uint32_t sink = 0;
    for (int it = 0; it < 50; ++it) {
      auto t0 = std::chrono::steady_clock::now();
      auto c = level_checksums_from_samples(img.data(), w, w, h, 1, f, false, 5);
      auto t1 = std::chrono::steady_clock::now();
      sink += c[0].crc32;
      best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::printf("timing: 512x512 int16, levels 0..5: best %.3f ms (sink %08x)\n", best, sink);
  }
  {
    std::vector<uint8_t> rgb(size_t(w) * h * 3);
    for (auto& v : rgb) v = uint8_t(rng());
    auto f3 = fmts(3, 8, false);
    double best = 1e9;
    for (int it = 0; it < 20; ++it) {
      auto t0 = std::chrono::steady_clock::now();
      auto c = level_checksums_from_samples(rgb.data(), w * 3, w, h, 3, f3, true, 5);
      auto t1 = std::chrono::steady_clock::now();
      best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
      (void)c;
    }
    std::printf("timing: 512x512 RGB8 + RCT, levels 0..5: best %.3f ms\n", best);
  }
}

// Every size/depth/origin/pattern combination against the scalar reference: one
// table-driven sweep (a long body by design; each case reports itself on failure).
TEST(Levels, MatchReferenceEverywhere) {
  const std::vector<std::pair<uint32_t, uint32_t>> sizes = {
      {1, 1},  {1, 2},  {2, 1},  {1, 9},  {9, 1},   {2, 2},  {3, 3},   {7, 5},  {5, 7},
      {4, 4},  {6, 2},  {8, 8},  {15, 17}, {16, 16}, {64, 33}, {33, 64}, {31, 1}, {1, 31},
      {2, 13}, {13, 2}, {3, 40}, {70, 3}};
  std::vector<uint32_t> depths;
  for (uint32_t b = 1; b <= 16; ++b) depths.push_back(b);
  depths.push_back(24);
  const Pattern pats[] = {Pattern::Uniform, Pattern::Extremes, Pattern::Checker,
                          Pattern::Impulses, Pattern::OutOfRange};
  const std::pair<uint32_t, uint32_t> origins[] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {3, 6}, {5, 7}};
  int n = 0;
  for (auto [w, h] : sizes)
    for (uint32_t B : depths)
      for (bool s : {false, true}) {
        const Pattern pat = pats[n % 5];
        const auto org = (n % 3 == 0) ? origins[(n / 3) % 6] : origins[0];
        const uint32_t R = 1 + n % 7;
        ++n;
        // 1 component, input type by depth
        if (B <= 8) {
          if (s) run_case<int8_t>(w, h, 1, fmts(1, B, s), false, R, org.first, org.second, pat);
          else run_case<uint8_t>(w, h, 1, fmts(1, B, s), false, R, org.first, org.second, pat);
        }
        if (B <= 16) {
          if (s) run_case<int16_t>(w, h, 1, fmts(1, B, s), false, R, org.first, org.second, pat);
          else run_case<uint16_t>(w, h, 1, fmts(1, B, s), false, R, org.first, org.second, pat);
        }
        run_case<int32_t>(w, h, 1, fmts(1, B, s), false, R, org.first, org.second, pat, n % 3);
        // 3 components with and without RCT
        for (bool rct : {false, true}) {
          if (B <= 16) {
            if (s) run_case<int16_t>(w, h, 3, fmts(3, B, s), rct, R, org.first, org.second, pat);
            else run_case<uint16_t>(w, h, 3, fmts(3, B, s), rct, R, org.first, org.second, pat);
          } else {
            run_case<int32_t>(w, h, 3, fmts(3, B, s), rct, R, org.first, org.second, pat);
          }
        }
      }
  // deep (int64 path) samples, also the full 32-bit unsigned range
  for (uint32_t B : {25u, 28u, 31u, 32u})
    for (auto [w, h] : {std::pair<uint32_t, uint32_t>{7, 5}, {33, 20}, {1, 6}})
      for (Pattern pat : pats) {
        run_case<int32_t>(w, h, 1, fmts(1, B, true), false, 4, 0, 0, pat);
        run_case<uint32_t>(w, h, 1, fmts(1, B, false), false, 4, 1, 0, pat);
        run_case<int32_t>(w, h, 3, fmts(3, B, true), true, 4, 0, 0, pat);
        run_case<uint32_t>(w, h, 3, fmts(3, B, false), true, 3, 0, 1, pat);
      }
  // many levels beyond 1x1, and a larger image
  run_case<uint16_t>(5, 3, 1, fmts(1, 12, false), false, 8, 0, 0, Pattern::Uniform);
  run_case<uint16_t>(200, 131, 3, fmts(3, 16, false), true, 6, 0, 0, Pattern::Checker);
  run_case<uint8_t>(257, 129, 3, fmts(3, 8, false), true, 6, 0, 0, Pattern::Extremes);
  run_case<int16_t>(257, 129, 1, fmts(1, 16, true), false, 9, 0, 0, Pattern::Checker);
}
