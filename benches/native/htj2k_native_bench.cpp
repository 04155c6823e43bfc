// Native baseline for the benchmarks: OpenJPH alone, called the plain way a C++
// program would (no htj2k wrapper code, no Python), timed in-process.
//
//   htj2k_native_bench decode FILE.j2c [--level N] [--discard 1] [--min-time S] [--min-rounds N]
//   htj2k_native_bench encode FILE.raw --width W --height H [--components C]
//       --dtype u8|i8|u16|i16|u32|i32 [--bit-depth B] [--levels N] [--colour 0|1]
//       [--min-time S] [--min-rounds N]
//
// decode: bare codestream bytes in memory -> OpenJPH -> each line clamped to the
// bit depth and stored (a plain scalar loop) into a freshly allocated output
// buffer of the smallest sample type, components interleaved. --discard 1: the
// lines are pulled and dropped (no output at all: OpenJPH's own cost, the floor
// any wrapper can reach).
// encode: raw interleaved little-endian samples in memory -> each line widened
// to int32 (a plain loop) -> OpenJPH lossless (64x64 blocks, RPCL, `levels`
// decompositions, colour transform for 3 components unless --colour 0) -> memory.
// These are the settings htj2k.encode uses by default, so both produce the same
// codestream.
//
// Prints one JSON object: median/min/mean seconds per operation over the rounds
// run (at least --min-rounds, and until --min-time seconds have passed).
//
// For profiling htj2k's own C++ core without Python (perf, callgrind; the
// Python extension is stripped), two more operations go through htj2k_core:
//   htj2k_native_bench htj2k-decode FILE.j2c      FrameDecoder::decode_interleaved
//   htj2k_native_bench htj2k-checksums FILE.j2c   frame_checksums (all levels)
#include "checksum/frame_checksums.hpp"
#include "decode/frame_decoder.hpp"

#include <openjph/ojph_arch.h>
#include <openjph/ojph_codestream.h>
#include <openjph/ojph_file.h>
#include <openjph/ojph_mem.h>
#include <openjph/ojph_params.h>
#include <openjph/ojph_version.h>

#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

struct Args {
  std::string op, path, dtype = "u16";
  uint32_t level = 0, width = 0, height = 0, components = 1, bit_depth = 0;
  int levels = 5, colour = -1;
  bool discard = false;
  double min_time = 1.0;
  uint32_t min_rounds = 5;
};

Args parse(int argc, char** argv) {
  if (argc < 3) throw std::runtime_error("usage: htj2k_native_bench decode|encode FILE [options]");
  Args a;
  a.op = argv[1];
  a.path = argv[2];
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--level") a.level = uint32_t(std::atoi(v));
    else if (k == "--width") a.width = uint32_t(std::atoi(v));
    else if (k == "--height") a.height = uint32_t(std::atoi(v));
    else if (k == "--components") a.components = uint32_t(std::atoi(v));
    else if (k == "--dtype") a.dtype = v;
    else if (k == "--bit-depth") a.bit_depth = uint32_t(std::atoi(v));
    else if (k == "--levels") a.levels = std::atoi(v);
    else if (k == "--colour") a.colour = std::atoi(v);
    else if (k == "--discard") a.discard = std::atoi(v) != 0;
    else if (k == "--min-time") a.min_time = std::atof(v);
    else if (k == "--min-rounds") a.min_rounds = uint32_t(std::atoi(v));
    else throw std::runtime_error("unknown option " + k);
  }
  return a;
}

// ---- decode --------------------------------------------------------------------

template <typename T>
void store_line(const int32_t* src, uint32_t n, T* dst, uint32_t stride, int32_t lo, int32_t hi) {
  for (uint32_t i = 0; i < n; ++i) dst[size_t(i) * stride] = T(std::min(std::max(src[i], lo), hi));
}

size_t decode_once(const std::vector<uint8_t>& cs_bytes, uint32_t level, bool discard) {
  ojph::mem_infile in;
  in.open(cs_bytes.data(), cs_bytes.size());
  ojph::codestream cs;
  cs.read_headers(&in);
  if (level) cs.restrict_input_resolution(level, level);
  cs.create();
  ojph::param_siz siz = cs.access_siz();
  const uint32_t nc = siz.get_num_components();
  uint32_t max_depth = 0;
  bool is_signed = siz.is_signed(0);
  for (uint32_t c = 0; c < nc; ++c) max_depth = std::max(max_depth, siz.get_bit_depth(c));
  const size_t bytes = max_depth <= 8 ? 1 : max_depth <= 16 ? 2 : 4;
  const uint32_t w = siz.get_recon_width(0), h = siz.get_recon_height(0);
  const size_t row = size_t(w) * nc * bytes;
  if (discard) {
    int32_t sink = 0;
    for (uint64_t i = 0, total = uint64_t(h) * nc; i < total; ++i) {
      ojph::ui32 c = 0;
      sink += cs.pull(c)->i32[0];
    }
    cs.close();
    volatile int32_t keep = sink;
    (void)keep;
    return row * h;
  }
  std::unique_ptr<uint8_t[]> out(new uint8_t[row * h]);  // a new image, as a decoder returns
  std::vector<uint32_t> rows(nc, 0);
  for (uint64_t i = 0, total = uint64_t(h) * nc; i < total; ++i) {
    ojph::ui32 c = 0;
    ojph::line_buf* line = cs.pull(c);
    const uint32_t depth = siz.get_bit_depth(c);
    const int32_t lo = is_signed ? -(int32_t(1) << (depth - 1)) : 0;
    const int32_t hi = is_signed ? int32_t((int64_t(1) << (depth - 1)) - 1) : int32_t((int64_t(1) << depth) - 1);
    uint8_t* dst = out.get() + size_t(rows[c]++) * row + c * bytes;
    switch (bytes) {
      case 1:
        if (is_signed) store_line(line->i32, w, reinterpret_cast<int8_t*>(dst), nc, lo, hi);
        else store_line(line->i32, w, dst, nc, lo, hi);
        break;
      case 2:
        if (is_signed) store_line(line->i32, w, reinterpret_cast<int16_t*>(dst), nc, lo, hi);
        else store_line(line->i32, w, reinterpret_cast<uint16_t*>(dst), nc, lo, hi);
        break;
      default:
        store_line(line->i32, w, reinterpret_cast<int32_t*>(dst), nc, lo, hi);
        break;
    }
  }
  cs.close();
  volatile uint8_t sink = out[row * h / 2];  // keep the output alive until here
  (void)sink;
  return row * h;
}

// ---- encode --------------------------------------------------------------------

template <typename T>
void load_line(const T* src, uint32_t n, uint32_t stride, int32_t* dst) {
  for (uint32_t i = 0; i < n; ++i) dst[i] = int32_t(src[size_t(i) * stride]);
}

size_t encode_once(const std::vector<uint8_t>& raw, const Args& a) {
  const bool is_signed = a.dtype[0] == 'i';
  const size_t bytes = a.dtype == "u8" || a.dtype == "i8" ? 1 : a.dtype == "u16" || a.dtype == "i16" ? 2 : 4;
  const uint32_t depth = a.bit_depth ? a.bit_depth : uint32_t(bytes * 8);
  const uint32_t nc = a.components;
  const bool colour = a.colour < 0 ? nc == 3 : a.colour == 1;
  ojph::codestream cs;
  ojph::param_siz siz = cs.access_siz();
  siz.set_image_extent(ojph::point(a.width, a.height));
  siz.set_num_components(nc);
  for (uint32_t c = 0; c < nc; ++c) siz.set_component(c, ojph::point(1, 1), depth, is_signed);
  siz.set_image_offset(ojph::point(0, 0));
  siz.set_tile_offset(ojph::point(0, 0));
  siz.set_tile_size(ojph::size(a.width, a.height));
  ojph::param_cod cod = cs.access_cod();
  cod.set_num_decomposition(uint32_t(a.levels));
  cod.set_block_dims(64, 64);
  cod.set_progression_order("RPCL");
  cod.set_color_transform(colour);
  cod.set_reversible(true);
  cs.set_planar(!colour);
  ojph::mem_outfile out;
  out.open(size_t(1) << 16);
  cs.write_headers(&out);
  const size_t row = size_t(a.width) * nc * bytes;
  std::vector<uint32_t> rows(nc, 0);
  ojph::ui32 c = 0;
  ojph::line_buf* line = cs.exchange(nullptr, c);
  for (uint64_t i = 0, total = uint64_t(a.height) * nc; i < total; ++i) {
    const uint8_t* src = raw.data() + size_t(rows[c]++) * row + c * bytes;
    if (a.dtype == "u8") load_line(src, a.width, nc, line->i32);
    else if (a.dtype == "i8") load_line(reinterpret_cast<const int8_t*>(src), a.width, nc, line->i32);
    else if (a.dtype == "u16") load_line(reinterpret_cast<const uint16_t*>(src), a.width, nc, line->i32);
    else if (a.dtype == "i16") load_line(reinterpret_cast<const int16_t*>(src), a.width, nc, line->i32);
    else load_line(reinterpret_cast<const int32_t*>(src), a.width, nc, line->i32);
    line = cs.exchange(line, c);
  }
  cs.flush();
  const size_t n = size_t(out.tell());
  std::vector<uint8_t> result(out.get_data(), out.get_data() + n);  // the caller's copy
  cs.close();
  return result.size();
}

size_t htj2k_decode_once(const std::vector<uint8_t>& data) {
  htj2k::FrameDecoder dec(data.data(), data.size(), htj2k::DecodeOptions{});
  const size_t row = size_t(dec.width()) * dec.num_components() * htj2k::sample_bytes(dec.interleaved_type());
  std::unique_ptr<uint8_t[]> out(new uint8_t[row * dec.height()]);
  dec.decode_interleaved(out.get(), row);
  return row * dec.height();
}

size_t htj2k_checksums_once(const std::vector<uint8_t>& data) {
  return htj2k::frame_checksums(data.data(), data.size(), {}).levels.size();
}

}  // namespace

int main(int argc, char** argv) {
#if defined(M_MMAP_THRESHOLD)
  // Keep freed blocks in the heap. Otherwise glibc serves OpenJPH's multi-megabyte
  // buffers of the large frames with fresh mmaps, and a fresh process pays ~2500
  // page faults per decode (10 % of a DX decode) that a long-running process (the
  // Python benchmarks) does not: the baseline would look slower than it is.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  try {
    const Args a = parse(argc, argv);
    const std::vector<uint8_t> input = read_file(a.path);
    if (a.op == "encode") {
      const size_t bytes = a.dtype == "u8" || a.dtype == "i8" ? 1 : a.dtype == "u16" || a.dtype == "i16" ? 2 : 4;
      if (a.width == 0 || a.height == 0 || input.size() != size_t(a.width) * a.height * a.components * bytes)
        throw std::runtime_error("encode: --width/--height/--components/--dtype do not match the file size");
    } else if (a.op != "decode" && a.op != "htj2k-decode" && a.op != "htj2k-checksums") {
      throw std::runtime_error("op must be decode, encode, htj2k-decode or htj2k-checksums");
    }
    auto once = [&]() {
      if (a.op == "decode") return decode_once(input, a.level, a.discard);
      if (a.op == "htj2k-decode") return htj2k_decode_once(input);
      if (a.op == "htj2k-checksums") return htj2k_checksums_once(input);
      return encode_once(input, a);
    };
    size_t out_bytes = once();  // warm-up
    std::vector<double> t;
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      const auto t0 = std::chrono::steady_clock::now();
      out_bytes = once();
      const auto t1 = std::chrono::steady_clock::now();
      t.push_back(std::chrono::duration<double>(t1 - t0).count());
      const double total = std::chrono::duration<double>(t1 - start).count();
      if (t.size() >= a.min_rounds && total >= a.min_time) break;
      if (t.size() >= 100000) break;
    }
    std::vector<double> s = t;
    std::sort(s.begin(), s.end());
    const double median = s.size() % 2 ? s[s.size() / 2] : 0.5 * (s[s.size() / 2 - 1] + s[s.size() / 2]);
    const double mean = std::accumulate(s.begin(), s.end(), 0.0) / double(s.size());
    std::printf(
        "{\"op\": \"%s\", \"rounds\": %zu, \"median_s\": %.9f, \"min_s\": %.9f, \"mean_s\": %.9f, "
        "\"output_bytes\": %zu, \"openjph\": \"%d.%d.%d\"}\n",
        a.op.c_str(), s.size(), median, s.front(), mean, out_bytes, OPENJPH_VERSION_MAJOR,
        OPENJPH_VERSION_MINOR, OPENJPH_VERSION_PATCH);
    return 0;
  } catch (const std::exception& e) {  // htj2k::Error derives from std::runtime_error
    std::fprintf(stderr, "htj2k_native_bench: %s\n", e.what());
    return 2;
  } catch (const char* s) {
    std::fprintf(stderr, "htj2k_native_bench: OpenJPH: %s\n", s);
    return 2;
  }
}
