#include "checksum/level_stream.hpp"

#include <algorithm>
#include <utility>

#include "checksum/crc32.hpp"
#include "core/errors.hpp"
#include "simd/convert.hpp"
#include "simd/dwt53.hpp"

namespace htj2k {

// One level r: its rows arrive from each component's stage in turn (component
// 0 of row k, component 1 of row k, ...); each complete row is turned back to
// the output colour space, clamped, interleaved and CRC'd.
struct LevelStream::Level {
  uint32_t r = 0;
  uint32_t ow = 0, oh = 0;  // size of level r
  bool wanted = false;
  bool rct = false;
  SampleType type = SampleType::U16;
  std::vector<int64_t> lo, hi;
  std::vector<std::vector<int32_t>> rows;  // the current row of each component (nc > 1)
  std::vector<uint8_t> bytes;              // its serialisation
  uint32_t expect = 0;                     // next component
  uint32_t rows_done = 0;
  uint32_t crc = 0;
  std::vector<std::unique_ptr<Stage>> stages;  // per component: level r-1 -> level r

  void put(uint32_t c, const int32_t* ll) {
    if (!wanted) return;
    const uint32_t nc = uint32_t(lo.size());
    if (c != expect) throw InvalidArgument("LevelStream: components out of order");
    if (nc == 1) {
      store_clamped(ll, ow, bytes.data(), 1, type, lo[0], hi[0]);
    } else {
      std::copy(ll, ll + ow, rows[c].data());
      if (++expect < nc) return;
      expect = 0;
      if (rct) rct_inverse(rows[0].data(), rows[1].data(), rows[2].data(), ow);
      std::vector<const int32_t*> ptrs(nc);
      for (uint32_t k = 0; k < nc; ++k) ptrs[k] = rows[k].data();
      store_clamped_interleaved(ptrs.data(), nc, ow, bytes.data(), type, lo.data(), hi.data());
    }
    crc = crc32_update(crc, bytes.data(), bytes.size());
    ++rows_done;
  }
};

// One component, one level: takes the rows of level r-1 (w x h) in order and
// makes the rows of level r (ceil(w/2) x ceil(h/2)), with whole-sample symmetric
// extension at the edges, as 15444-1 F.4.8.2 (vertical lifting, then horizontal
// on the low rows; parity 0: low samples at even positions).
struct LevelStream::Stage {
  uint32_t comp = 0;
  uint32_t w = 0, h = 0;  // input
  uint32_t ow = 0;        // output width
  uint32_t rows_in = 0;
  Level* level = nullptr;  // where the output rows go
  Stage* next = nullptr;   // the same component's next level

  // vertical window: E = last even row, O = last odd row, Dp/Dc = high rows
  std::vector<int32_t> E, O, Dp, Dc, L;
  bool have_dp = false;
  // horizontal: even samples (+1 mirror slot), odd samples, high band (+2 mirror slots), low band
  std::vector<int32_t> hE, hO, hD, low;

  Stage(uint32_t c, uint32_t width, uint32_t height, Level* lv)
      : comp(c), w(width), h(height), ow((width + 1) / 2), level(lv) {
    for (auto* v : {&E, &O, &Dp, &Dc, &L}) v->resize(w);
    hE.resize(size_t(ow) + 1);
    hO.resize(w / 2 + 1);
    hD.resize(w / 2 + 2);
    low.resize(ow);
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

  // The same for a row the caller hands over: x's buffer (w samples) is swapped
  // into the window instead of copied; x gets back a spare buffer of the same size.
  void push_owned(std::vector<int32_t>& x) {
    if (h == 1 || rows_in >= h) return push(x.data());
    const uint32_t j = rows_in++;
    if (j & 1) return std::swap(O, x);
    if (j == 0) return std::swap(E, x);
    dwt53_predict(Dc.data(), O.data(), E.data(), x.data(), w);
    dwt53_update(L.data(), E.data(), have_dp ? Dp.data() : Dc.data(), Dc.data(), w);
    std::swap(Dp, Dc);
    have_dp = true;
    std::swap(E, x);
    emit(L.data());
  }

  // Emits the last row (the caller finishes the next level afterwards).
  void finish() {
    if (rows_in != h) throw InvalidArgument("LevelStream: fewer rows than the image height");
    if (h == 1) return;
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

  // A low row of the vertical pass: horizontal lifting, then level r's row.
  void emit(const int32_t* x) {
    const int32_t* ll = horizontal(x);
    level->put(comp, ll);
    if (next) {
      if (ll == low.data())
        next->push_owned(low);  // low is ow = next->w samples
      else
        next->push(ll);
    }
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
    D[0] = D[1];        // D[-1] mirrors to D[0]
    D[nh + 1] = D[nh];  // D[nh] mirrors to D[nh-1] (used when w is odd)
    dwt53_update(low.data(), hE.data(), D, D + 1, nl);
    return low.data();
  }
};

LevelStream::LevelStream(uint32_t width, uint32_t height, uint32_t max_level,
                         const std::vector<bool>& wanted, SampleType out_type,
                         const std::vector<Range>& ranges, bool rct)
    : nc_(uint32_t(ranges.size())), rct_(rct), width_(width) {
  if (width == 0 || height == 0 || ranges.empty()) throw InvalidArgument("LevelStream: empty image");
  if (wanted.size() != size_t(max_level) + 1) throw InvalidArgument("LevelStream: wanted[0..max_level]");
  if (rct && nc_ < 3) throw InvalidArgument("LevelStream: the RCT needs 3 components");
  if (rct) ycc_.assign(3, std::vector<int32_t>(width));
  uint32_t w = width, h = height;
  for (uint32_t r = 1; r <= max_level; ++r) {
    auto lv = std::make_unique<Level>();
    lv->r = r;
    lv->ow = (w + 1) / 2;
    lv->oh = (h + 1) / 2;
    lv->wanted = wanted[r];
    lv->rct = rct;
    lv->type = out_type;
    for (const Range& g : ranges) {
      lv->lo.push_back(g.lo);
      lv->hi.push_back(g.hi);
    }
    if (lv->wanted) {
      lv->bytes.resize(size_t(lv->ow) * nc_ * sample_bytes(out_type));
      if (nc_ > 1) lv->rows.assign(nc_, std::vector<int32_t>(lv->ow));
    }
    for (uint32_t c = 0; c < nc_; ++c) lv->stages.push_back(std::make_unique<Stage>(c, w, h, lv.get()));
    if (!levels_.empty())
      for (uint32_t c = 0; c < nc_; ++c) levels_.back()->stages[c]->next = lv->stages[c].get();
    levels_.push_back(std::move(lv));
    w = (w + 1) / 2;
    h = (h + 1) / 2;
  }
}

LevelStream::~LevelStream() = default;

void LevelStream::push(const int32_t* const* rows) {
  if (levels_.empty()) return;
  std::vector<const int32_t*> in(rows, rows + nc_);
  if (rct_) {
    for (int c = 0; c < 3; ++c) std::copy(rows[c], rows[c] + width_, ycc_[c].data());
    rct_forward(ycc_[0].data(), ycc_[1].data(), ycc_[2].data(), width_);
    for (int c = 0; c < 3; ++c) in[c] = ycc_[c].data();
  }
  for (uint32_t c = 0; c < nc_; ++c) levels_.front()->stages[c]->push(in[c]);
}

std::vector<LevelCrc> LevelStream::finish() {
  // Level by level, every component in turn: each last row cascades at most one
  // row into each coarser level, so every level keeps receiving its rows
  // component 0, 1, ... of the same row.
  for (auto& lv : levels_)
    for (auto& st : lv->stages) st->finish();
  std::vector<LevelCrc> out;
  for (auto it = levels_.rbegin(); it != levels_.rend(); ++it) {
    const Level& lv = **it;
    if (!lv.wanted) continue;
    if (lv.rows_done != lv.oh) throw InvalidArgument("LevelStream: incomplete level");
    out.push_back(LevelCrc{lv.ow, lv.oh, lv.crc, lv.r});
  }
  return out;
}

bool LevelStream::applicable(uint32_t max_bit_depth, uint64_t x0, uint64_t y0, uint32_t max_level) {
  if (max_bit_depth == 0 || max_bit_depth > 24 || max_level > 32) return false;
  const uint64_t align = uint64_t(1) << max_level;
  return x0 % align == 0 && y0 % align == 0;
}

}  // namespace htj2k
