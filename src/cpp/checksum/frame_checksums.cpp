#include "checksum/frame_checksums.hpp"

#include "core/limits.hpp"

#include <algorithm>
#include <memory>
#include <string>

#include "checksum/crc32.hpp"
#include "checksum/level_stream.hpp"
#include "checksum/levels.hpp"
#include "core/errors.hpp"
#include "simd/convert.hpp"

namespace htj2k {
namespace {

uint32_t codestream_levels(const CodestreamHeader& h) {
  uint32_t L = h.cod.levels;
  for (uint32_t c = 0; c < h.components.size(); ++c) L = std::min<uint32_t>(L, h.style_for(c).levels);
  return L;
}

// Lower levels can be derived from full resolution exactly when the whole image
// went through one reversible 5/3 DWT: single tile, no per-component coding
// style, equal component sizes. (Reversible lifting is a bijection on integers,
// so even a truncated reversible codestream satisfies LL_r = DWT^r(decoded) as
// long as nothing was clamped at full resolution; that is checked at decode.)
bool derivable(const CodestreamHeader& h) {
  if (h.cod.transform != 1) return false;
  if (h.num_tiles_x() * h.num_tiles_y() != 1) return false;
  for (const auto& o : h.overrides)
    if (o.cod.present) return false;
  for (const auto& c : h.components)
    if (c.dx != 1 || c.dy != 1) return false;
  // The pyramid's forward RCT needs components 0..2 of one format; a colour
  // transform over unequal bit depths (legal, decoders apply it as is) is
  // checksummed by decoding each level instead.
  if (h.cod.mct && h.components.size() >= 3)
    for (size_t c = 1; c < 3; ++c)
      if (h.components[c].bit_depth != h.components[0].bit_depth ||
          h.components[c].is_signed != h.components[0].is_signed)
        return false;
  return true;
}

struct Decoded {
  // The image, when kept (uninitialised: every byte is written by the decode).
  std::unique_ptr<uint8_t[]> pixels;
  size_t size = 0;
  uint32_t crc = 0;
  bool clamped = false;
  bool has_range = false;  // min/max of the (clamped) samples, when found while decoding
  int64_t min = 0, max = 0;
};

// Decodes one level, CRC-ing each row as soon as it is complete (still in cache).
// Single-component frames need no image for that: unless keep_pixels, their
// lines are clamped into one row buffer and hashed (no full-size buffer).
Decoded decode_level(FrameDecoder& dec, bool keep_pixels = true) {
  if (!dec.interleavable())
    throw UnsupportedCodestream("checksums are defined over interleaved components; " +
                                dec.interleave_error());
  Decoded d;
  const SampleType t = dec.interleaved_type();
  const size_t row = size_t(dec.width()) * dec.num_components() * sample_bytes(t);
  uint32_t crc = 0;
  if (!keep_pixels && dec.num_components() == 1) {
    const PlaneLayout& p = dec.planes()[0];
    const Range range = nominal_range(p.bit_depth, p.is_signed);
    const uint32_t w = dec.width();
    // One component: level 0 hashed line by line, with its range; a fresh one per
    // decode attempt (FrameDecoder::decode_lines).
    struct Level0 {
      uint32_t w;
      SampleType t;
      Range range;
      std::vector<uint8_t> buf;
      uint32_t crc = 0;
      int64_t mn = INT64_MAX, mx = INT64_MIN;
      void operator()(uint32_t, uint32_t, const int32_t* line) {
        min_max(line, w, 1, SampleType::I32, &mn, &mx);
        store_clamped(line, w, buf.data(), 1, t, range.lo, range.hi);
        crc = crc32_update(crc, buf.data(), buf.size());
      }
    };
    const auto sums = dec.decode_lines([&] { return std::make_unique<Level0>(Level0{w, t, range, std::vector<uint8_t>(row)}); });
    const int64_t mn = sums->mn, mx = sums->mx;
    crc = sums->crc;
    d.clamped = mn < range.lo || mx > range.hi;
    d.has_range = true;
    d.min = std::min(std::max(mn, range.lo), range.hi);  // of the clamped samples
    d.max = std::min(std::max(mx, range.lo), range.hi);
    d.crc = crc;
    return d;
  }
  d.size = row * dec.height();
  d.pixels.reset(new uint8_t[d.size]);
  struct RowCrc {  // the CRC of the rows of one decode attempt
    uint32_t crc = 0;
    void operator()(uint32_t, const uint8_t* bytes, size_t n) { crc = crc32_update(crc, bytes, n); }
  };
  d.crc = dec.decode_interleaved(d.pixels.get(), row, [] { return std::make_unique<RowCrc>(); }, &d.clamped)->crc;
  return d;
}

// The checksum bytes use the smallest type of the largest bit depth, which is
// exactly the decoder's interleaved output type, so the output rows are hashed as is.
// Level 0's CRC is already known (fused with the decode): only levels 1..max_level
// are serialised, and only those in `wanted` are hashed.
template <typename T>
std::vector<LevelCrc> derive_levels(const uint8_t* pixels, size_t row_stride, const FrameDecoder& dec,
                                    uint32_t max_level, const std::vector<uint32_t>& wanted) {
  const auto& h = dec.header();
  std::vector<SampleFormat> fmt;
  for (const auto& c : h.components) fmt.push_back(make_sample_format(c.bit_depth, c.is_signed));
  const bool rct = h.cod.mct && h.components.size() >= 3;
  LevelPyramid pyr(reinterpret_cast<const T*>(pixels), row_stride / sizeof(T), dec.width(), dec.height(),
                   dec.num_components(), fmt, rct, h.x0, h.y0);
  std::vector<LevelCrc> out;
  for (uint32_t r = 1; r <= max_level; ++r) {
    pyr.next_level();
    if (std::find(wanted.begin(), wanted.end(), r) != wanted.end())
      out.push_back(LevelCrc{pyr.width(), pyr.height(), pyr.crc32(), r});
  }
  return out;
}

// Levels 1..max_level (those in `wanted`) derived from the decoded full-resolution
// image `pixels` (interleaved rows row_stride bytes apart).
std::vector<LevelCrc> derive_any(const uint8_t* pixels, size_t row_stride, const FrameDecoder& dec,
                                 uint32_t max_level, const std::vector<uint32_t>& wanted) {
  switch (dec.interleaved_type()) {
    case SampleType::U8: return derive_levels<uint8_t>(pixels, row_stride, dec, max_level, wanted);
    case SampleType::I8: return derive_levels<int8_t>(pixels, row_stride, dec, max_level, wanted);
    case SampleType::U16: return derive_levels<uint16_t>(pixels, row_stride, dec, max_level, wanted);
    case SampleType::I16: return derive_levels<int16_t>(pixels, row_stride, dec, max_level, wanted);
    case SampleType::U32: return derive_levels<uint32_t>(pixels, row_stride, dec, max_level, wanted);
    default: return derive_levels<int32_t>(pixels, row_stride, dec, max_level, wanted);
  }
}

// Level 0 hashed row by row as decoded and the lower levels derived on the fly
// (checksum/level_stream.hpp): no image buffer at all. Needs the components of
// each row one after the other (one component, or OpenJPH/OpenJPEG decoding a
// colour-transformed image). Returns false when that order did not hold or a
// sample lay outside its nominal range (then the decoded image is not the level-0
// image the lower levels derive from): the caller decodes each level instead.
bool stream_levels(FrameDecoder& dec, const std::vector<uint32_t>& levels, bool with_range,
                   bool rct, FrameChecksums& result, std::vector<LevelCrc>& out) {
  if (!dec.interleavable())
    throw UnsupportedCodestream("checksums are defined over interleaved components; " +
                                dec.interleave_error());
  const uint32_t nc = dec.num_components(), w = dec.width(), top = levels.back();
  const SampleType t = dec.interleaved_type();
  std::vector<Range> ranges;
  std::vector<int64_t> lo, hi;
  for (const PlaneLayout& p : dec.planes()) {
    ranges.push_back(nominal_range(p.bit_depth, p.is_signed));
    lo.push_back(ranges.back().lo);
    hi.push_back(ranges.back().hi);
  }
  std::vector<bool> wanted(size_t(top) + 1, false);
  for (uint32_t r : levels) wanted[r] = true;
  // The state of one decode attempt (a retry gets a fresh one: FrameDecoder::decode_lines).
  struct Streamed {
    uint32_t nc, w, top;
    SampleType t;
    const std::vector<int64_t>& lo;
    const std::vector<int64_t>& hi;
    LevelStream stream;
    std::vector<uint8_t> row;
    std::vector<std::vector<int32_t>> held;
    std::vector<const int32_t*> lines;
    uint32_t crc = 0, next_c = 0, next_row = 0;
    bool clamped = false, broken = false;
    int64_t mn = INT64_MAX, mx = INT64_MIN;

    void operator()(uint32_t c, uint32_t y, const int32_t* line) {
      if (broken) return;
      if (c != next_c || y != next_row) {  // not row-interleaved
        broken = true;
        return;
      }
      int64_t a = INT64_MAX, b = INT64_MIN;
      min_max(line, w, 1, SampleType::I32, &a, &b);
      mn = std::min(mn, a);
      mx = std::max(mx, b);
      if (a < lo[c] || b > hi[c]) clamped = true;
      if (c + 1 < nc) {  // held until the row is complete
        std::copy(line, line + w, held[c].data());
        lines[c] = held[c].data();
        next_c = c + 1;
        return;
      }
      lines[c] = line;
      next_c = 0;
      ++next_row;
      store_clamped_interleaved(lines.data(), nc, w, row.data(), t, lo.data(), hi.data());
      crc = crc32_update(crc, row.data(), row.size());
      if (!clamped && top > 0) stream.push(lines.data());
    }
  };
  auto make = [&] {
    return std::unique_ptr<Streamed>(new Streamed{
        nc, w, top, t, lo, hi, LevelStream(w, dec.height(), top, wanted, t, ranges, rct),
        std::vector<uint8_t>(size_t(w) * nc * sample_bytes(t)),
        std::vector<std::vector<int32_t>>(nc - 1, std::vector<int32_t>(w)), std::vector<const int32_t*>(nc)});
  };
  const auto done = dec.decode_lines(make);
  const bool broken = done->broken, clamped = done->clamped;
  const int64_t mn = done->mn, mx = done->mx;
  const uint32_t crc = done->crc;
  LevelStream& stream = done->stream;
  if (broken || clamped) return false;
  if (with_range) {
    result.has_range = true;
    result.min = mn;
    result.max = mx;
  }
  out.push_back(LevelCrc{dec.width(), dec.height(), crc, 0});
  for (const LevelCrc& e : stream.finish()) out.push_back(e);
  return true;
}

}  // namespace

namespace {

// The requested levels checked against the codestream's L, sorted, unique; level 0
// added when the value range is wanted (it comes from the full image).
std::vector<uint32_t> checked_levels(const std::vector<uint32_t>& requested, uint32_t L, bool with_range) {
  std::vector<uint32_t> levels = requested;
  if (levels.empty())
    for (uint32_t r = 0; r <= L; ++r) levels.push_back(r);
  for (uint32_t r : levels)
    if (r > L)
      throw InvalidArgument("level " + std::to_string(r) + " requested; the codestream has " +
                            std::to_string(L) + " decomposition levels");
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  if (with_range && levels.front() != 0) levels.insert(levels.begin(), 0);
  return levels;
}

void note_range(FrameChecksums& result, const Decoded& d, SampleType type) {
  result.has_range = true;
  if (d.has_range) {
    result.min = d.min;
    result.max = d.max;
    return;
  }
  result.min = INT64_MAX;
  result.max = INT64_MIN;
  min_max(d.pixels.get(), d.size / sample_bytes(type), 1, type, &result.min, &result.max);
}

// The slow path: every level decoded by itself.
std::vector<LevelCrc> decode_each_level(const uint8_t* data, size_t size, DecodeOptions opt,
                                             const std::vector<uint32_t>& levels, bool with_range,
                                             FrameChecksums& result) {
  std::vector<LevelCrc> out;
  for (uint32_t r : levels) {
    opt.level = r;
    FrameDecoder dec(data, size, opt);
    Decoded d = decode_level(dec, /*keep_pixels=*/false);
    if (r == 0 && with_range) note_range(result, d, dec.interleaved_type());
    out.push_back(LevelCrc{dec.width(), dec.height(), d.crc, r});
  }
  return out;
}

// Opens the frame at full resolution; for the first bytes of a frame without it,
// at the finest level wanted, and by default (`wanted` empty) at the finest level
// they hold, filling `wanted` with the levels they hold.
std::unique_ptr<FrameDecoder> open_frame(const uint8_t* data, size_t size, DecodeOptions opt, bool with_range,
                                         std::vector<uint32_t>& wanted) {
  try {
    return std::make_unique<FrameDecoder>(data, size, opt);  // parses and validates once
  } catch (const IncompleteCodestream&) {
    // min/max come from full resolution: nothing to fall back to
    if (with_range || std::find(wanted.begin(), wanted.end(), 0u) != wanted.end()) throw;
    if (!wanted.empty()) {
      opt.level = *std::min_element(wanted.begin(), wanted.end());
      return std::make_unique<FrameDecoder>(data, size, opt);
    }
    opt.best_level = true;
    auto dec = std::make_unique<FrameDecoder>(data, size, opt);
    for (uint32_t r = dec->level(); r <= codestream_levels(dec->header()); ++r) wanted.push_back(r);
    return dec;
  }
}

}  // namespace

FrameChecksums frame_checksums(const uint8_t* data, size_t size, const std::vector<uint32_t>& requested,
                               uint64_t max_pixels, bool with_range, uint64_t max_memory) {
  DecodeOptions opt;
  opt.max_pixels = max_pixels;
  opt.max_memory = max_memory;
  // opt.decoder: Auto (the default), OpenJPEG steps in where OpenJPH cannot decode correctly
  // Budgeted without an output image: the streamed derivation holds none. The
  // paths that keep one (and the level pyramid) are checked below before they
  // allocate it.
  opt.output_image = false;
  std::vector<uint32_t> wanted = requested;
  const std::unique_ptr<FrameDecoder> opened = open_frame(data, size, opt, with_range, wanted);
  FrameDecoder& full = *opened;
  const CodestreamHeader& h = full.header();
  const uint32_t L = codestream_levels(h);

  const std::vector<uint32_t> levels = checked_levels(wanted, L, with_range);
  FrameChecksums result;
  std::vector<LevelCrc> out;
  bool done = false;
  // Streamed derivation where the decoder hands over the components of each row
  // together: one component, or the colour transform (OpenJPH pulls planes one
  // after the other otherwise).
  const bool rct = h.cod.mct && h.components.size() >= 3;
  uint32_t max_depth = 0;
  for (const auto& c : h.components) max_depth = std::max<uint32_t>(max_depth, c.bit_depth);
  const bool stream = levels.front() == 0 && derivable(h) && (full.num_components() == 1 || rct) &&
                      LevelStream::applicable(max_depth, h.x0, h.y0, levels.back());
  if (stream) done = stream_levels(full, levels, with_range, rct, result, out);
  if (!stream && levels.front() == 0 && derivable(h)) {
    // Keeps the full image, then derives the lower levels from a copy of it in
    // int32 (int64 above 24 bits; checksum/levels.cpp) once the decoder is done.
    MemoryEstimate need = estimate_decode_memory_parts(h, 0, full.decoder(), true, size);
    if (levels.size() > 1) {
      uint64_t samples = 0;
      for (uint32_t c = 0; c < h.components.size(); ++c)
        samples += uint64_t(level_width(h, c, 0)) * level_height(h, c, 0);
      const uint64_t bytes = max_depth > 24 ? 8 : 4;
      need.after = samples > UINT64_MAX / bytes ? UINT64_MAX : samples * bytes;
    }
    check_memory_budget(need, max_memory, "checksumming");
    Decoded d = decode_level(full);
    if (with_range) note_range(result, d, full.interleaved_type());
    if (!d.clamped) {
      const uint32_t top = levels.back();
      const size_t row = size_t(full.width()) * full.num_components() * sample_bytes(full.interleaved_type());
      std::vector<LevelCrc> derived =
          levels.size() > 1 ? derive_any(d.pixels.get(), row, full, top, levels) : std::vector<LevelCrc>{};
      for (uint32_t r : levels) {
        if (r == 0) {
          out.push_back(LevelCrc{full.width(), full.height(), d.crc, 0});
          continue;
        }
        auto it = std::find_if(derived.begin(), derived.end(), [&](const LevelCrc& e) { return e.level == r; });
        out.push_back(LevelCrc{it->width, it->height, it->crc32, r});
      }
      done = true;
    }
  }
  if (!done) {
    // decode_level() streams a single component's lines; several are interleaved
    // into an image of the level first.
    opt.output_image = full.num_components() != 1;
    out = decode_each_level(data, size, opt, levels, with_range, result);
  }
  // Base (most levels discarded) first, as the archive lists them.
  std::sort(out.begin(), out.end(), [](const LevelCrc& a, const LevelCrc& b) { return a.level > b.level; });
  if (with_range && std::find(requested.begin(), requested.end(), 0u) == requested.end() && !requested.empty())
    out.pop_back();  // level 0 was only decoded for min/max
  result.levels = std::move(out);
  return result;
}

std::vector<LevelCrc> decode_with_checksums(FrameDecoder& dec, void* out, size_t row_stride, const uint8_t* data,
                                           size_t size, const DecodeOptions& opt) {
  if (dec.level() != 0) throw InvalidArgument("checksums: need the full-resolution decode (level 0)");
  if (!dec.interleavable()) throw UnsupportedCodestream(dec.interleave_error());
  struct RowCrc {  // the CRC of the rows of one decode attempt
    uint32_t crc = 0;
    void operator()(uint32_t, const uint8_t* bytes, size_t n) { crc = crc32_update(crc, bytes, n); }
  };
  bool clamped = false;
  const uint32_t crc0 = dec.decode_interleaved(out, row_stride, [] { return std::make_unique<RowCrc>(); }, &clamped)->crc;
  const CodestreamHeader& h = dec.header();
  const uint32_t L = codestream_levels(h);
  std::vector<uint32_t> lower;
  for (uint32_t r = 1; r <= L; ++r) lower.push_back(r);
  std::vector<LevelCrc> out_levels;
  if (derivable(h) && !clamped && !lower.empty()) {
    out_levels = derive_any(static_cast<const uint8_t*>(out), row_stride, dec, L, lower);
  } else if (!lower.empty()) {  // decoded level by level, as checksums() does
    FrameChecksums unused;
    DecodeOptions each = opt;
    each.output_image = dec.num_components() != 1;
    out_levels = decode_each_level(data, size, each, lower, false, unused);
  }
  out_levels.push_back(LevelCrc{dec.width(), dec.height(), crc0, 0});
  std::sort(out_levels.begin(), out_levels.end(), [](const LevelCrc& a, const LevelCrc& b) { return a.level > b.level; });
  return out_levels;
}

namespace {
template <typename T>
std::vector<LevelCrc> pixel_levels(const ImageView& im, const std::vector<SampleFormat>& fmt, bool rct,
                                   uint32_t max_level) {
  const size_t stride_elems = im.row_stride / sizeof(T);
  return level_checksums_from_samples<T>(static_cast<const T*>(im.data), stride_elems, im.width, im.height,
                                         im.num_components, fmt, rct, max_level);
}
}  // namespace

std::vector<LevelCrc> pixel_checksums(const ImageView& im, uint32_t max_level, uint32_t bit_depth,
                                           int is_signed, bool rct) {
  if (im.width == 0 || im.height == 0 || im.num_components == 0) throw InvalidArgument("array: empty image");
  if (max_level > kMaxLevels) throw InvalidArgument("levels: at most " + std::to_string(kMaxLevels));
  if (im.row_stride % sample_bytes(im.type) != 0) throw InvalidArgument("array: misaligned rows");
  const uint32_t type_bits = uint32_t(sample_bytes(im.type) * 8);
  const uint32_t B = bit_depth ? bit_depth : type_bits;
  const bool sgn = is_signed < 0 ? sample_signed(im.type) : is_signed == 1;
  if (B < 1 || B > 32) throw InvalidArgument("bit_depth: must be in 1..32");
  if (rct && im.num_components < 3) throw InvalidArgument("colour_transform: needs 3 or more components");

  const Range range = nominal_range(B, sgn);
  int64_t mn = INT64_MAX, mx = INT64_MIN;
  for (uint32_t y = 0; y < im.height; ++y)
    min_max(static_cast<const uint8_t*>(im.data) + size_t(y) * im.row_stride, size_t(im.width) * im.num_components,
            1, im.type, &mn, &mx);
  if (mn < range.lo || mx > range.hi)
    throw InvalidArgument("array: values " + std::to_string(mn) + ".." + std::to_string(mx) + " exceed the " +
                          std::to_string(B) + "-bit " + (sgn ? "signed" : "unsigned") + " range " +
                          std::to_string(range.lo) + ".." + std::to_string(range.hi));

  std::vector<SampleFormat> fmt(im.num_components, make_sample_format(B, sgn));
  std::vector<LevelCrc> r;
  switch (im.type) {
    case SampleType::U8: r = pixel_levels<uint8_t>(im, fmt, rct, max_level); break;
    case SampleType::I8: r = pixel_levels<int8_t>(im, fmt, rct, max_level); break;
    case SampleType::U16: r = pixel_levels<uint16_t>(im, fmt, rct, max_level); break;
    case SampleType::I16: r = pixel_levels<int16_t>(im, fmt, rct, max_level); break;
    case SampleType::U32: r = pixel_levels<uint32_t>(im, fmt, rct, max_level); break;
    case SampleType::I32: r = pixel_levels<int32_t>(im, fmt, rct, max_level); break;
  }
  return r;
}

}  // namespace htj2k
