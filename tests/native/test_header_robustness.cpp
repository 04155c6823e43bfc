// The header parser on damaged input: truncation at every byte, random
// mutations (only htj2k::Error may escape; ASan/UBSan watch the rest), and the
// JP2-family box walker (locate_codestream).
#include "header_builders.hpp"

namespace header_test {
namespace {

void fuzz_one(const Bytes& base);

// Every prefix of a valid codestream parses without UB and is refused somewhere.
TEST(HeaderRobustness, TruncationEveryByte) {
  Enc e;
  e.w = 24;
  e.h = 20;
  e.ncomp = 3;
  e.color = true;
  e.levels = 2;
  e.tw = 16;
  e.th = 16;
  Bytes b = encode(e);
  CodestreamHeader full = parse(b);
  EXPECT_EQ(full.tile_parts.size(), 4u);
  validate_for_openjph(full, 0, b.size());
  int parsed = 0, refused = 0;
  for (size_t n = 0; n < b.size(); ++n) {
    Bytes cut(b.begin(), b.begin() + n);  // own allocation so ASan sees overreads
    try {
      CodestreamHeader h = parse_header(cut.data(), cut.size());
      ++parsed;
      EXPECT_TRUE(h.truncated);
      EXPECT_TRUE(!h.has_eoc);
      header_features(h);
      EXPECT_THROW_WITH(InvalidCodestream, validate_for_openjph(h, 0, n), "codestream truncated");
      EXPECT_THROW_WITH(InvalidCodestream, validate_for_openjph(h, 0), "codestream truncated");
    } catch (const InvalidCodestream&) {
      ++refused;
      EXPECT_TRUE(n < full.main_header_length + 2);  // only the main header cut is an error
    }
  }
  EXPECT_TRUE(parsed > 0 && refused > 0);
  EXPECT_EQ(size_t(parsed + refused), b.size());

  // Messages for the main kinds of truncation.
  const TilePartInfo& t2 = full.tile_parts[2];
  size_t n = t2.offset + 20;
  CodestreamHeader h = parse_header(b.data(), n);
  EXPECT_THROW_WITH(InvalidCodestream, validate_for_openjph(h, 0, n),
               "codestream truncated: tile-part 0 of tile 2 ends at byte " +
                   std::to_string(t2.offset + t2.psot) + ", data has " + std::to_string(n));
  n = b.size() - 2;  // everything but EOC
  h = parse_header(b.data(), n);
  EXPECT_TRUE(h.truncated && h.tile_parts.size() == 4);
  EXPECT_THROW_WITH(InvalidCodestream, validate_for_openjph(h, 0, n), "no EOC after tile-part 0 of tile 3");

  // The same at every byte of the JPH-wrapped file.
  Bytes jph = {0, 0, 0, 12, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};
  Bytes ftyp;
  append(ftyp, {'j', 'p', 'h', ' ', 0, 0, 0, 0, 'j', 'p', 'h', ' '});
  put32(jph, 8 + uint32_t(ftyp.size()));
  append(jph, {'f', 't', 'y', 'p'});
  append(jph, ftyp);
  put32(jph, 8 + uint32_t(b.size()));
  append(jph, {'j', 'p', '2', 'c'});
  append(jph, b);
  for (size_t k = 0; k <= jph.size(); ++k) {
    Bytes cut(jph.begin(), jph.begin() + k);
    try {
      CodestreamSpan sp = locate_codestream(cut.data(), cut.size());
      EXPECT_TRUE(sp.container == Container::JPH);
      CodestreamHeader hh = parse_header(cut.data() + sp.offset, sp.length);
      validate_for_openjph(hh, 0, sp.length);
      EXPECT_EQ(k, jph.size());
    } catch (const InvalidCodestream&) {
      EXPECT_TRUE(k < jph.size());
    }
  }
}

// Random corruption: nothing may crash, overread or hit UB; only htj2k::Error escapes.
TEST(HeaderRobustness, FuzzMutations) {
  Enc e;
  e.w = 20;
  e.h = 18;
  e.ncomp = 2;
  e.levels = 2;
  e.tw = 8;
  e.th = 8;
  // A second seed with most marker kinds, main header and tile-part headers.
  Spec s;
  s.comps.resize(3);
  s.xsiz = s.ysiz = 32;
  s.tw = s.th = 16;
  s.scod = 7;
  s.main_extra = {comp_seg(0xFF53, 3, 1, coc_rest(1)), comp_seg(0xFF5D, 3, 2, quant_body(0x22, -1, 2)),
                  comp_seg(0xFF5E, 3, 0, Bytes{0, 2}), seg(0xFF5F, Bytes{0, 0, 0, 1, 3, 1, 0, 0, 1, 2, 2, 1, 2, 0}),
                  seg(0xFF55, Bytes{0, 0x50, 0, 0, 0, 1, 0, 0, 0, 2}), seg(0xFF63, Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                  seg(0xFF64, Bytes{0, 1, 'h', 'i'})};
  s.tile_header = {seg(0xFF58, Bytes{0, 3, 4}), seg(0xFF64, Bytes{0, 1, 'x'})};
  for (const Bytes& base : {encode(e), build(s).b}) fuzz_one(base);
}

void fuzz_one(const Bytes& base) {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int parsed = 0, refused = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes m = base;
    // Mutate the first 200 bytes mostly: that is where the headers are.
    int flips = 1 + int(next() % 4);
    for (int k = 0; k < flips; ++k) {
      size_t pos = next() % std::min<size_t>(m.size(), (next() & 1) ? 200 : m.size());
      switch (next() % 4) {
        case 0: m[pos] = uint8_t(next()); break;
        case 1: m[pos] ^= uint8_t(1u << (next() % 8)); break;
        case 2: m[pos] = (next() & 1) ? 0xFF : 0x00; break;
        case 3: m.resize(pos); break;
      }
      if (m.empty()) break;
    }
    const Bytes b(m);  // exact-size allocation, so ASan catches any overread
    try {
      CodestreamHeader h = parse_header(b.data(), b.size());
      ++parsed;
      header_features(h);
      for (uint32_t c = 0; c < h.components.size() && c < 4; ++c) {
        level_width(h, c, h.style_for(c).levels);
        level_height(h, c, 0);
      }
      try {
        validate_for_openjph(h, 1, b.size());
      } catch (const Error&) {
      }
    } catch (const InvalidCodestream&) {
      ++refused;
    }
    try {
      locate_codestream(b.data(), b.size());
    } catch (const InvalidCodestream&) {
    }
  }
  EXPECT_TRUE(parsed > 0 && refused > 0);
}

// A table of JP2-family box layouts, one EXPECT per case (long by design).
TEST(HeaderRobustness, Locate) {
  Spec s;
  const Bytes cs = build(s).b;
  const Bytes sig = {0, 0, 0, 12, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};
  auto box = [](const char* type, const Bytes& payload) {
    Bytes b;
    put32(b, uint32_t(8 + payload.size()));
    append(b, Bytes(type, type + 4));
    append(b, payload);
    return b;
  };
  const Bytes ftyp_jph = box("ftyp", {'j', 'p', 'h', ' ', 0, 0, 0, 0, 'j', 'p', 'h', ' '});
  const Bytes ftyp_jp2 = box("ftyp", {'j', 'p', '2', ' ', 0, 0, 0, 0, 'j', 'p', '2', ' '});
  const Bytes jp2h = box("jp2h", box("ihdr", Bytes(14, 0)));
  {
    Bytes f = sig;
    append(f, ftyp_jph);
    append(f, jp2h);
    size_t at = f.size();
    append(f, box("jp2c", cs));
    CodestreamSpan sp = locate_codestream(f.data(), f.size());
    EXPECT_TRUE(sp.container == Container::JPH);
    EXPECT_EQ(sp.offset, at + 8);
    EXPECT_EQ(sp.length, cs.size());
    EXPECT_TRUE(std::string(container_name(sp.container)) == "jph");
    parse_header(f.data() + sp.offset, sp.length);
  }
  {  // JP2 brand; jp2c with XLBox; a trailing box after it
    Bytes f = sig;
    append(f, ftyp_jp2);
    size_t at = f.size();
    put32(f, 1);
    append(f, Bytes{'j', 'p', '2', 'c'});
    put32(f, 0);
    put32(f, uint32_t(16 + cs.size()));
    append(f, cs);
    append(f, box("xml ", Bytes{'<', '/', '>'}));
    CodestreamSpan sp = locate_codestream(f.data(), f.size());
    EXPECT_TRUE(sp.container == Container::JP2);
    EXPECT_EQ(sp.offset, at + 16);
    EXPECT_EQ(sp.length, cs.size());
  }
  {  // LBox 0: jp2c runs to the end of the file
    Bytes f = sig;
    append(f, ftyp_jph);
    put32(f, 0);
    append(f, Bytes{'j', 'p', '2', 'c'});
    append(f, cs);
    CodestreamSpan sp = locate_codestream(f.data(), f.size());
    EXPECT_EQ(sp.length, cs.size());
    EXPECT_TRUE(!parse_header(f.data() + sp.offset, sp.length).truncated);
  }
  EXPECT_TRUE(std::string(container_name(Container::Codestream)) == "j2c");
  EXPECT_TRUE(std::string(container_name(Container::JP2)) == "jp2");
  const std::string not_j2k = "not a JPEG 2000 codestream or JP2-family file";
  EXPECT_THROW_WITH(InvalidCodestream, locate_codestream(nullptr, 0), not_j2k);
  // The first 11 bytes of a signature box: a frame cut short, not garbage.
  EXPECT_THROW_WITH(IncompleteCodestream, locate_codestream(sig.data(), 11), "inside the JP2 signature box");
  {
    Bytes f = {'G', 'I', 'F', '8', '9', 'a', 0, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_THROW_WITH(InvalidCodestream, locate_codestream(f.data(), f.size()), not_j2k);
    f = {0xFF, 0x4F, 0xFF, 0x52};
    EXPECT_THROW_WITH(InvalidCodestream, locate_codestream(f.data(), f.size()), not_j2k);
  }
  {
    Bytes f = sig;
    append(f, ftyp_jph);
    put32(f, 4);
    append(f, Bytes{'j', 'p', '2', 'h'});
    EXPECT_THROW_WITH(InvalidCodestream, locate_codestream(f.data(), f.size()),
                 "box 'jp2h' at offset 32: invalid length 4");
  }
  {
    Bytes f = sig;
    append(f, ftyp_jph);
    put32(f, 1000);
    append(f, Bytes{'j', 'p', '2', 'h', 0, 0});
    EXPECT_THROW_WITH(InvalidCodestream, locate_codestream(f.data(), f.size()),
                 "box 'jp2h' at offset 32: length 1000 runs past end of file");
    f = sig;
    append(f, ftyp_jph);
    put32(f, 1);
    append(f, Bytes{'j', 'p', '2', 'c', 0, 0, 0, 0, 0, 0, 0, 9});
    EXPECT_THROW_WITH(InvalidCodestream, locate_codestream(f.data(), f.size()), "invalid length 9");
  }
  {
    Bytes f = sig;
    append(f, ftyp_jph);
    append(f, jp2h);
    EXPECT_THROW_WITH(InvalidCodestream, locate_codestream(f.data(), f.size()), "before a jp2c (codestream) box");
    append(f, box("jp2c", Bytes{1, 2, 3, 4, 5}));
    EXPECT_THROW_WITH(InvalidCodestream, locate_codestream(f.data(), f.size()),
                 "payload does not start with SOC and SIZ");
  }
  {  // a jp2c box cut short is clipped; the codestream parser reports the truncation
    Bytes f = sig;
    append(f, ftyp_jph);
    append(f, box("jp2c", cs));
    f.resize(f.size() - 5);
    CodestreamSpan sp = locate_codestream(f.data(), f.size());
    EXPECT_EQ(sp.length, cs.size() - 5);
    EXPECT_TRUE(parse_header(f.data() + sp.offset, sp.length).truncated);
  }
}

}  // namespace
}  // namespace header_test
