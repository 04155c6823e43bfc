#include "checksum/level_stream.hpp"

#include <algorithm>
#include <utility>

#include "checksum/crc32.hpp"
#include "codec/errors.hpp"
#include "simd/convert.hpp"
#include "simd/dwt53.hpp"

namespace htj2k {

// One level: takes the rows of level r-1 (w x h) in order and makes the rows of
// level r (ceil(w/2) x ceil(h/2)), with whole-sample symmetric extension at the
// edges, exactly as 15444-1 F.4.8.2 (vertical lifting, then horizontal on the
// low rows; parity 0 throughout: low samples at even positions).
struct LevelStream::Stage {
  uint32_t level = 0;
  uint32_t w = 0, h = 0;    // input
  uint32_t ow = 0, oh = 0;  // output
  uint32_t rows_in = 0, rows_out = 0;
  bool wanted = false;
  Stage* next = nullptr;

  // vertical window: E = last even row, O = last odd row, Dp/Dc = high rows
  std::vector<int32_t> E, O, Dp, Dc, L;
  bool have_dp = false;
  // horizontal: even samples (+1 mirror slot), odd samples, high band (+2 mirror slots), low band
  std::vector<int32_t> hE, hO, hD, low;
  // serialisation
  std::vector<uint8_t> bytes;
  SampleType type = SampleType::U16;
  int64_t lo = 0, hi = 0;
  uint32_t crc = 0;

  Stage(uint32_t r, uint32_t width, uint32_t height, bool want, SampleType t, int64_t l, int64_t u)
      : level(r), w(width), h(height), ow((width + 1) / 2), oh((height + 1) / 2), wanted(want),
        type(t), lo(l), hi(u) {
    for (auto* v : {&E, &O, &Dp, &Dc, &L}) v->resize(w);
    hE.resize(size_t(ow) + 1);
    hO.resize(w / 2 + 1);
    hD.resize(w / 2 + 2);
    low.resize(ow);
    if (wanted) bytes.resize(size_t(ow) * sample_bytes(t));
  }

  void push(const int32_t* x) {
    const uint32_t j = rows_in++;
    if (j >= h) throw InvalidArgument("LevelStream: more rows than the image height");
    if (h == 1) return emit(x);  // a single row is its own low band
    if (j & 1) {
      std::copy(x, x + w, O.data());
      return;
    }
    if (j == 0) {
      std::copy(x, x + w, E.data());
      return;
    }
    // j = 2k >= 2: O = X[2k-1], E = X[2k-2] -> D[k-1], then L[k-1].
    dwt53_predict(Dc.data(), O.data(), E.data(), x, w);
    dwt53_update(L.data(), E.data(), have_dp ? Dp.data() : Dc.data(), Dc.data(), w);
    std::swap(Dp, Dc);
    have_dp = true;
    std::copy(x, x + w, E.data());
    emit(L.data());
  }

  void finish() {
    if (rows_in != h) throw InvalidArgument("LevelStream: fewer rows than the image height");
    if (h > 1) {
      if (h % 2 == 0) {
        // last row odd: X[h] mirrors to X[h-2] = E
        dwt53_predict(Dc.data(), O.data(), E.data(), E.data(), w);
        dwt53_update(L.data(), E.data(), have_dp ? Dp.data() : Dc.data(), Dc.data(), w);
      } else {
        // last row even: D[k] mirrors to D[k-1] = Dp
        dwt53_update(L.data(), E.data(), Dp.data(), Dp.data(), w);
      }
      emit(L.data());
    }
    if (next) next->finish();
  }

  // A low row of the vertical pass: horizontal lifting, then the level's row.
  void emit(const int32_t* x) {
    const int32_t* ll = horizontal(x);
    ++rows_out;
    if (wanted) {
      store_clamped(ll, ow, bytes.data(), 1, type, lo, hi);
      crc = crc32_update(crc, bytes.data(), bytes.size());
    }
    if (next) next->push(ll);
  }

  const int32_t* horizontal(const int32_t* x) {
    if (w == 1) return x;
    const uint32_t nl = ow, nh = w / 2;
    dwt53_split(x, nh, hE.data(), hO.data());
    if (w & 1)
      hE[nl - 1] = x[w - 1];
    else
      hE[nl] = hE[nl - 1];  // x[w] mirrors to x[w-2]
    int32_t* D = hD.data();
    dwt53_predict(D + 1, hO.data(), hE.data(), hE.data() + 1, nh);
    D[0] = D[1];            // D[-1] mirrors to D[0]
    D[nh + 1] = D[nh];      // D[nh] mirrors to D[nh-1] (used when w is odd)
    dwt53_update(low.data(), hE.data(), D, D + 1, nl);
    return low.data();
  }
};

LevelStream::LevelStream(uint32_t width, uint32_t height, uint32_t max_level,
                         const std::vector<bool>& wanted, SampleType out_type, int64_t lo, int64_t hi) {
  if (width == 0 || height == 0) throw InvalidArgument("LevelStream: empty image");
  if (wanted.size() != size_t(max_level) + 1) throw InvalidArgument("LevelStream: wanted[0..max_level]");
  uint32_t w = width, h = height;
  for (uint32_t r = 1; r <= max_level; ++r) {
    stages_.push_back(std::make_unique<Stage>(r, w, h, wanted[r], out_type, lo, hi));
    w = (w + 1) / 2;
    h = (h + 1) / 2;
  }
  for (size_t i = 0; i + 1 < stages_.size(); ++i) stages_[i]->next = stages_[i + 1].get();
}

LevelStream::~LevelStream() = default;

void LevelStream::push(const int32_t* row) {
  if (!stages_.empty()) stages_.front()->push(row);
}

std::vector<LevelCrc> LevelStream::finish() {
  std::vector<LevelCrc> out;
  if (stages_.empty()) return out;
  stages_.front()->finish();
  for (auto it = stages_.rbegin(); it != stages_.rend(); ++it) {
    const Stage& s = **it;
    if (s.wanted) out.push_back(LevelCrc{s.ow, s.oh, s.crc, s.level});
  }
  return out;
}

bool LevelStream::applicable(uint32_t bit_depth, uint64_t x0, uint64_t y0, uint32_t max_level) {
  if (bit_depth == 0 || bit_depth > 24 || max_level > 32) return false;
  const uint64_t align = uint64_t(1) << max_level;
  return x0 % align == 0 && y0 % align == 0;
}

}  // namespace htj2k
