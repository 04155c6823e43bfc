// The header parser (codestream/header.*) on hand-built and OpenJPH-encoded
// codestreams: fields, level sizes, main-header errors, tile-parts.
#include "header_builders.hpp"

namespace header_test {
namespace {

TEST(HeaderParse, EncodedBasic) {
  Enc e;
  e.w = 64;
  e.h = 48;
  Bytes b = encode(e);
  CodestreamHeader h = parse(b);
  EXPECT_EQ(h.xsiz, 64u);
  EXPECT_EQ(h.ysiz, 48u);
  EXPECT_EQ(h.width(), 64u);
  EXPECT_EQ(h.height(), 48u);
  EXPECT_EQ(h.components.size(), 1u);
  EXPECT_EQ(h.components[0].bit_depth, 8u);
  EXPECT_TRUE(!h.components[0].is_signed);
  EXPECT_TRUE(h.rsiz & 0x4000);
  EXPECT_TRUE(h.has_cap);
  EXPECT_EQ(h.pcap, 0x00020000u);
  EXPECT_TRUE(h.cod.present && h.qcd.present);
  EXPECT_EQ(h.cod.levels, 5);
  EXPECT_EQ(h.cod.log2_cb_w, 6);
  EXPECT_EQ(h.cod.log2_cb_h, 6);
  EXPECT_EQ(h.cod.progression, 2);
  EXPECT_EQ(h.cod.layers, 1);
  EXPECT_EQ(h.cod.transform, 1);
  EXPECT_TRUE(h.cod.cb_style & 0x40);
  EXPECT_EQ(h.cod.precincts.size(), 6u);
  EXPECT_EQ(h.qcd.style, 0);
  EXPECT_EQ(h.qcd.steps.size(), 16u);
  EXPECT_TRUE(h.all_ht());
  EXPECT_TRUE(!h.mixed_ht());
  EXPECT_EQ(h.num_tiles_x(), 1u);
  EXPECT_EQ(h.num_tiles_y(), 1u);
  EXPECT_EQ(h.tile_parts.size(), 1u);
  EXPECT_EQ(h.tile_parts[0].offset, h.main_header_length);
  EXPECT_EQ(h.tile_parts[0].offset + h.tile_parts[0].psot + 2, b.size());
  EXPECT_TRUE(h.has_eoc);
  EXPECT_TRUE(!h.truncated);
  EXPECT_EQ(h.comments.size(), 1u);  // OpenJPH writes "OpenJPH Ver ..."
  if (!h.comments.empty()) EXPECT_TRUE(h.comments[0].find("OpenJPH") != std::string::npos);
  for (uint32_t lvl = 0; lvl <= 5; ++lvl) validate_for_openjph(h, lvl, b.size());
  EXPECT_THROW_WITH(InvalidArgument, validate_for_openjph(h, 6, b.size()),
               "level 6 requested; the codestream has 5 decomposition levels");
  auto f = header_features(h);
  EXPECT_TRUE(has(f, "HT") && has(f, "RPCL") && has(f, "5 levels") && has(f, "5/3"));
  EXPECT_TRUE(!has(f, "truncated"));

  // locate_codestream on a bare codestream
  CodestreamSpan sp = locate_codestream(b.data(), b.size());
  EXPECT_EQ(sp.offset, 0u);
  EXPECT_EQ(sp.length, b.size());
  EXPECT_TRUE(sp.container == Container::Codestream);
}

TEST(HeaderParse, EncodedVariants) {
  {  // colour, 9/7, tiles, image and tile offsets, CPRL
    Enc e;
    e.w = 100;
    e.h = 70;
    e.x0 = 5;
    e.y0 = 3;
    e.ncomp = 3;
    e.color = true;
    e.reversible = false;
    e.prog = "CPRL";
    e.levels = 3;
    e.tw = 32;
    e.th = 32;
    e.tx0 = 2;
    e.ty0 = 1;
    Bytes b = encode(e);
    CodestreamHeader h = parse(b);
    EXPECT_EQ(h.x0, 5u);
    EXPECT_EQ(h.y0, 3u);
    EXPECT_EQ(h.width(), 100u);
    EXPECT_EQ(h.tile_x0, 2u);
    EXPECT_EQ(h.tile_y0, 1u);
    EXPECT_EQ(h.num_tiles_x(), 4u);  // ceil((105-2)/32)
    EXPECT_EQ(h.num_tiles_y(), 3u);  // ceil((73-1)/32)
    EXPECT_EQ(h.tile_parts.size(), 12u);
    for (size_t i = 0; i < h.tile_parts.size(); ++i) EXPECT_EQ(h.tile_parts[i].tile, i);
    EXPECT_EQ(h.cod.mct, 1);
    EXPECT_EQ(h.cod.transform, 0);
    EXPECT_EQ(h.cod.progression, 4);
    EXPECT_EQ(h.qcd.style, 2);
    EXPECT_EQ(h.qcd.steps.size(), 10u);
    EXPECT_TRUE(h.has_eoc && !h.truncated);
    validate_for_openjph(h, 3, b.size());
    auto f = header_features(h);
    EXPECT_TRUE(has(f, "9/7") && has(f, "ICT") && has(f, "CPRL") && has(f, "tiles 4x3") &&
          has(f, "image offset") && has(f, "3 components"));
  }
  {  // code-block and precinct sizes, signed 12-bit, LRCP
    Enc e;
    e.cbw = 32;
    e.cbh = 16;
    e.precincts = true;
    e.bit_depth = 12;
    e.is_signed = true;
    e.prog = "LRCP";
    e.levels = 2;
    Bytes b = encode(e);
    CodestreamHeader h = parse(b);
    EXPECT_EQ(h.cod.log2_cb_w, 5);
    EXPECT_EQ(h.cod.log2_cb_h, 4);
    EXPECT_TRUE(h.cod.user_precincts);
    EXPECT_EQ(h.cod.precincts.size(), 3u);
    if (h.cod.precincts.size() == 3) EXPECT_EQ(h.cod.precincts[2], 0x77);
    EXPECT_EQ(h.components[0].bit_depth, 12u);
    EXPECT_TRUE(h.components[0].is_signed);
    EXPECT_EQ(h.cod.progression, 0);
    validate_for_openjph(h, 0, b.size());
    EXPECT_TRUE(has(header_features(h), "cb 32x16"));
    EXPECT_TRUE(has(header_features(h), "precincts"));
  }
}

// level_width/height against hand arithmetic and against OpenJPH's own reconstruction.
TEST(HeaderParse, LevelSizes) {
  CodestreamHeader h;
  h.xsiz = 13;
  h.ysiz = 9;
  h.components.resize(2);
  h.components[1].dx = 2;
  h.components[1].dy = 3;
  EXPECT_EQ(level_width(h, 0, 0), 13u);
  EXPECT_EQ(level_width(h, 0, 1), 7u);
  EXPECT_EQ(level_width(h, 0, 2), 4u);
  EXPECT_EQ(level_width(h, 0, 40), 1u);
  EXPECT_EQ(level_height(h, 1, 0), 3u);
  h.x0 = 3;
  EXPECT_EQ(level_width(h, 1, 0), 5u);  // ceil(13/2) - ceil(3/2)
  EXPECT_EQ(level_width(h, 1, 1), 3u);  // 4 - 1
  EXPECT_EQ(level_width(h, 1, 2), 1u);  // 2 - 1
  h.xsiz = 0xFFFFFFFFu;
  h.x0 = 0;
  EXPECT_EQ(level_width(h, 0, 0), 0xFFFFFFFFu);
  EXPECT_EQ(level_width(h, 0, 32), 1u);
  EXPECT_THROW_WITH(InvalidArgument, level_width(h, 2, 0), "component 2");

  Enc e;
  e.w = 37;
  e.h = 29;
  e.x0 = 3;
  e.y0 = 5;
  e.ncomp = 3;
  e.sub = {{1, 1}, {2, 2}, {2, 1}};
  e.levels = 4;
  Bytes b = encode(e);
  CodestreamHeader p = parse(b);
  EXPECT_EQ(p.components[1].dx, 2u);
  EXPECT_EQ(p.components[2].dy, 1u);
  validate_for_openjph(p, 0, b.size());  // differing subsampling is fine
  EXPECT_TRUE(has(header_features(p), "subsampled"));
  for (uint32_t r = 0; r <= 4; ++r)
    for (uint32_t c = 0; c < 3; ++c) {
      auto o = ojph_recon_size(b, c, r);
      EXPECT_EQ(level_width(p, c, r), o.first);
      EXPECT_EQ(level_height(p, c, r), o.second);
    }
}

// A table of hand-built bad main headers, one EXPECT per case (long by design).
TEST(HeaderParse, MainHeaderErrors) {
  Spec s;
  Built good = build(s);
  {
    CodestreamHeader h = parse(good.b);
    EXPECT_TRUE(h.has_eoc && !h.truncated);
    EXPECT_EQ(h.tile_parts.size(), 1u);
    EXPECT_EQ(h.main_header_length, good.first_sot);
    validate_for_openjph(h, 2, good.b.size());
  }
  EXPECT_THROW_WITH(InvalidCodestream, parse_header(nullptr, 0), "no SOC marker at offset 0");
  // The first bytes of SOC SIZ: a codestream cut short.
  EXPECT_THROW_WITH(IncompleteCodestream, parse(Bytes{0xFF}), "inside the SOC/SIZ markers");
  EXPECT_THROW_WITH(IncompleteCodestream, parse(Bytes{0xFF, 0x4F, 0xFF}), "inside the SOC/SIZ markers");
  EXPECT_THROW_WITH(InvalidCodestream, parse(Bytes{0x00}), "no SOC marker at offset 0");
  EXPECT_THROW_WITH(InvalidCodestream, parse(Bytes{0xFF, 0x4F, 0xFF, 0x52}), "SIZ must follow SOC at offset 2");
  {
    Bytes b = good.b;
    b[3] = 0x52;  // SOC then COD
    EXPECT_THROW_WITH(InvalidCodestream, parse(b), "SIZ must follow SOC at offset 2");
  }
  {  // every cut inside the main header names what went wrong, never reads past it
    for (size_t n = 4; n < good.first_sot + 2; ++n) {
      Bytes b(good.b.begin(), good.b.begin() + n);
      EXPECT_THROW_WITH(InvalidCodestream, parse(b), "");
    }
    Bytes b(good.b.begin(), good.b.begin() + good.cod + 6);
    EXPECT_THROW_WITH(InvalidCodestream, parse(b),
                 "COD at offset " + std::to_string(good.cod) + ": length 12 runs past end of data");
    b.assign(good.b.begin(), good.b.begin() + good.first_sot);
    EXPECT_THROW_WITH(InvalidCodestream, parse(b), "main header not terminated by SOT: data ends at offset");
    b.assign(good.b.begin(), good.b.begin() + good.first_sot);
    put16(b, 0xFFD9);
    EXPECT_THROW_WITH(InvalidCodestream, parse(b),
                 "main header not terminated by SOT: EOC at offset " + std::to_string(good.first_sot));
    b.assign(good.b.begin(), good.b.begin() + good.first_sot);
    put16(b, 0x1234);
    EXPECT_THROW_WITH(InvalidCodestream, parse(b), "expected a marker at offset");
  }
  auto expect = [](const Spec& sp, const std::string& msg, int line) {
    Built bb = build(sp);
    expect_throw_with<InvalidCodestream>(__FILE__, line, [&] { parse(bb.b); }, msg);
  };
  Spec t;
  t.csiz = 0;
  t.comps.clear();
  expect(t, "SIZ at offset 2: Csiz 0", __LINE__);
  t = Spec();
  t.lsiz_delta = 3;
  expect(t, "SIZ at offset 2: Lsiz 44 inconsistent with Csiz 1 (expected 41)", __LINE__);
  t = Spec();
  t.csiz = 2;  // one component written, two declared
  expect(t, "SIZ at offset 2: Lsiz 41 inconsistent with Csiz 2", __LINE__);
  t = Spec();
  {
    // Csiz above 16384: the check comes before the length consistency one.
    Bytes b;
    put16(b, 0xFF4F);
    Bytes body = siz_body(Spec());
    body[34] = 0x40;  // Csiz = 0x4001
    body[35] = 0x01;
    append(b, seg(0xFF51, body));
    EXPECT_THROW_WITH(InvalidCodestream, parse(b), "SIZ at offset 2: Csiz 16385 (at most 16384)");
  }
  t.xsiz = 10;
  t.x0 = 10;
  t.tx0 = 0;
  expect(t, "SIZ at offset 2: Xsiz 10 <= XOsiz 10", __LINE__);
  t = Spec();
  t.ysiz = 4;
  t.y0 = 5;
  expect(t, "SIZ at offset 2: Ysiz 4 <= YOsiz 5", __LINE__);
  t = Spec();
  t.tw = 0;
  expect(t, "SIZ at offset 2: tile size 0x16", __LINE__);
  t = Spec();
  t.x0 = 4;
  t.tx0 = 5;
  expect(t, "SIZ at offset 2: tile origin XTOsiz 5 with XTsiz 16 does not cover XOsiz 4", __LINE__);
  t = Spec();
  t.y0 = 20;
  t.ysiz = 40;
  t.ty0 = 2;
  t.th = 16;  // 2 + 16 <= 20
  expect(t, "SIZ at offset 2: tile origin YTOsiz 2 with YTsiz 16 does not cover YOsiz 20", __LINE__);
  t = Spec();
  t.xsiz = 70000;
  t.ysiz = 1;
  t.tw = 1;
  t.th = 1;
  expect(t, "SIZ at offset 2: 70000 tiles (at most 65535)", __LINE__);
  t = Spec();
  t.comps[0].ssiz = 38;  // 39 bits
  expect(t, "SIZ at offset 2: component 0 bit depth 39 (at most 38)", __LINE__);
  t = Spec();
  t.comps.push_back(Comp{7, 0, 1});
  expect(t, "SIZ at offset 2: component 1 subsampling 0x1", __LINE__);

  // COD
  t = Spec();
  Built tb = build(t);
  const std::string cod_at = "COD at offset " + std::to_string(tb.cod) + ": ";
  const std::string qcd_at = "QCD at offset " + std::to_string(tb.qcd) + ": ";
  t.levels = 33;
  expect(t, cod_at + "33 decomposition levels (at most 32)", __LINE__);
  t = Spec();
  t.xcb = 9;
  expect(t, cod_at + "code-block size exponents 11x6 out of range", __LINE__);
  t = Spec();
  t.xcb = 5;
  t.ycb = 4;  // 7 + 6 > 12
  expect(t, cod_at + "code-block size exponents 7x6 out of range", __LINE__);
  t = Spec();
  t.xcb = 8;
  t.ycb = 0;  // 1024 x 4: allowed
  EXPECT_EQ(parse(build(t).b).cod.log2_cb_w, 10);
  t = Spec();
  t.prog = 5;
  expect(t, cod_at + "progression order 5", __LINE__);
  t = Spec();
  t.layers = 0;
  expect(t, cod_at + "0 quality layers", __LINE__);
  t = Spec();
  t.transform = 2;
  expect(t, cod_at + "wavelet transform 2", __LINE__);
  t = Spec();
  t.scod = 1;  // precincts: Lcod grows by levels + 1
  {
    CodestreamHeader h = parse(build(t).b);
    EXPECT_TRUE(h.cod.user_precincts);
    EXPECT_EQ(h.cod.precincts.size(), 3u);
  }
  {
    Built bb = build(Spec());
    bb.b[bb.cod + 4] |= 1;  // Scod says precincts, but Lcod has none
    EXPECT_THROW_WITH(InvalidCodestream, parse(bb.b), cod_at + "segment too short");
    bb = build(Spec());
    bb.b[bb.cod + 4] |= 6;  // SOP + EPH
    CodestreamHeader h = parse(bb.b);
    EXPECT_TRUE(h.cod.sop && h.cod.eph);
    validate_for_openjph(h, 0, bb.b.size());  // SOP/EPH are fine
  }
  t = Spec();
  t.cod = false;
  expect(t, "main header has no COD before the first SOT at offset", __LINE__);
  t = Spec();
  t.qcd = false;
  expect(t, "main header has no QCD before the first SOT at offset", __LINE__);
  t = Spec();
  t.nsteps = 4;
  expect(t, qcd_at + "4 step sizes for component 0 with 2 decomposition levels (need 7)", __LINE__);
  t = Spec();
  t.sqcd = 0x22;
  t.nsteps = 6;
  expect(t, qcd_at + "6 step sizes for component 0 with 2 decomposition levels (need 7)", __LINE__);
  t = Spec();
  t.sqcd = 0x21;
  t.nsteps = 0;
  expect(t, qcd_at + "0 step sizes for component 0 with 2 decomposition levels (need 1)", __LINE__);
  t = Spec();
  t.sqcd = 0x41;
  t.nsteps = 1;
  {
    CodestreamHeader h = parse(build(t).b);
    EXPECT_EQ(h.qcd.style, 1);
    EXPECT_EQ(h.qcd.guard_bits, 2);
    EXPECT_EQ(h.qcd.steps.size(), 1u);
    EXPECT_EQ(h.qcd.steps[0], 0x4800);
  }
  t = Spec();
  t.sqcd = 0x23;
  expect(t, qcd_at + "quantization style 3", __LINE__);

  // COC / QCC
  t = Spec();
  t.comps.resize(3);
  t.main_extra = {comp_seg(0xFF53, 3, 3, coc_rest(2))};
  expect(t, "COC at offset " + std::to_string(build(t).first_sot - 11) + ": component 3 >= Csiz 3",
         __LINE__);
  t.main_extra = {comp_seg(0xFF5D, 3, 7, quant_body(0x20, -1, 2))};
  expect(t, ": component 7 >= Csiz 3", __LINE__);
  t.main_extra = {comp_seg(0xFF53, 3, 1, coc_rest(1, 0x40, 1)),
                  comp_seg(0xFF5D, 3, 2, quant_body(0x22, -1, 2))};
  {
    CodestreamHeader h = parse(build(t).b);
    EXPECT_EQ(h.overrides.size(), 2u);
    EXPECT_EQ(h.style_for(1).levels, 1);
    EXPECT_EQ(h.style_for(1).progression, h.cod.progression);
    EXPECT_EQ(h.style_for(0).levels, 2);
    EXPECT_EQ(h.quant_for(2).style, 2);
    EXPECT_EQ(h.quant_for(1).style, 0);
    auto f = header_features(h);
    EXPECT_TRUE(has(f, "COC") && has(f, "QCC"));
    if (!kOjphHonoursCoc)
      EXPECT_THROW_WITH(UnsupportedCodestream, validate_for_openjph(h, 0), "COC in main header (component 1)");
    else
      EXPECT_THROW_WITH(InvalidArgument, validate_for_openjph(h, 2),
                   "level 2 requested; the codestream has 1 decomposition levels");
  }
  // A COC with more levels than the QCD provides steps for.
  t.main_extra = {comp_seg(0xFF53, 3, 1, coc_rest(4))};
  expect(t, "QCD at offset " + std::to_string(build(t).qcd) +
               ": 7 step sizes for component 1 with 4 decomposition levels (need 13)",
         __LINE__);
  // 16-bit component indices when Csiz >= 257.
  t = Spec();
  t.comps.resize(300);
  t.main_extra = {comp_seg(0xFF53, 300, 299, coc_rest(2, 0x40, 1)),
                  comp_seg(0xFF5E, 300, 298, Bytes{0, 5})};
  {
    CodestreamHeader h = parse(build(t).b);
    EXPECT_EQ(h.components.size(), 300u);
    EXPECT_EQ(h.overrides.size(), 1u);
    if (!h.overrides.empty()) EXPECT_EQ(h.overrides[0].component, 299);
    EXPECT_TRUE(h.has_rgn);
  }
  t.main_extra = {comp_seg(0xFF53, 300, 300, coc_rest(2))};
  expect(t, ": component 300 >= Csiz 300", __LINE__);

  // Other main-header markers are recorded; COM Latin-1 text becomes UTF-8.
  t = Spec();
  t.main_extra = {seg(0xFF55, Bytes{0, 0x40, 0, 0, 0, 0}), seg(0xFF57, Bytes{0, 1, 2}),
                  seg(0xFF63, Bytes{0, 0, 0, 0}), seg(0xFF64, Bytes{0, 1, 'c', 'a', 'f', 0xE9}),
                  seg(0xFF64, Bytes{0, 0, 1, 2, 3}), seg(0xFF59, Bytes{0, 1}),
                  seg(0xFF56, Bytes{0, 0}), seg(0xFF6F, Bytes{1, 2, 3})};
  {
    CodestreamHeader h = parse(build(t).b);
    EXPECT_TRUE(h.has_tlm && h.has_plm && h.has_crg);
    EXPECT_TRUE(!h.has_ppm && !h.has_rgn && !h.has_poc);
    EXPECT_EQ(h.comments.size(), 1u);
    if (!h.comments.empty()) EXPECT_TRUE(h.comments[0] == "caf\xC3\xA9");
    validate_for_openjph(h, 0);  // TLM, PLM, CRG, COM, CPF are all fine
  }
  t.main_extra = {seg(0xFF58, Bytes{0, 1})};
  expect(t, "PLT at offset", __LINE__);
  t.main_extra = {seg(0xFF51, siz_body(Spec()))};
  expect(t, "second SIZ", __LINE__);
  t.main_extra = {seg(0xFF52, cod_body(Spec()))};
  expect(t, "second COD in the main header", __LINE__);
  {  // CAP with Ccap for each Pcap bit
    Built bb = build(Spec());
    size_t cap = 2 + 2 + 41;
    CodestreamHeader h = parse(bb.b);
    EXPECT_EQ(h.ccap.size(), 1u);
    if (!h.ccap.empty()) EXPECT_EQ(h.ccap[0], 3);
    bb.b[cap + 4] = 0x80;  // second Pcap bit, but only one Ccap
    EXPECT_THROW_WITH(InvalidCodestream, parse(bb.b),
                 "CAP at offset " + std::to_string(cap) + ": length 8, expected 10");
  }
  {  // a segment length below 2
    Built bb = build(Spec());
    bb.b[bb.cod + 2] = 0;
    bb.b[bb.cod + 3] = 1;
    EXPECT_THROW_WITH(InvalidCodestream, parse(bb.b), cod_at + "length 1");
  }
}

// A table of tile-part layouts, one EXPECT per case (long by design).
TEST(HeaderParse, TileParts) {
  Spec s;
  s.xsiz = 32;
  s.ysiz = 16;
  s.tw = 16;  // 2 tiles
  {
    Built bb = build(s);
    Bytes b = bb.b;
    // Isot beyond the number of tiles
    b[bb.sots[1] + 5] = 2;
    EXPECT_THROW_WITH(InvalidCodestream, parse(b),
                 "SOT at offset " + std::to_string(bb.sots[1]) + ": tile index 2 >= number of tiles 2");
    b = bb.b;
    b[bb.sots[1] + 3] = 9;
    EXPECT_THROW_WITH(InvalidCodestream, parse(b), "Lsot 9 (must be 10)");
    b = bb.b;
    b[bb.sots[0] + 10] = 1;  // TPsot 1 with TNsot 1: tolerated (GDCM writes such files)
    parse(b);
    b = bb.b;
    b[bb.sots[0] + 9] = 13;  // Psot below SOT + SOD
    EXPECT_THROW_WITH(InvalidCodestream, parse(b), "Psot 13 shorter than SOT + SOD");
    b = bb.b;
    b[bb.sots[0] + 9] += 1;  // Psot one too long: lands inside the next SOT
    EXPECT_THROW_WITH(InvalidCodestream, parse(b), "expected SOT or EOC at offset " + std::to_string(bb.sots[1] + 1));
    b = bb.b;
    b[bb.sots[0] + 9] = 14;  // Psot 14 but the header holds more than SOD
    b[bb.sots[0] + 12] = 0xFF;
    b[bb.sots[0] + 13] = 0x64;  // COM where SOD was
    EXPECT_THROW_WITH(InvalidCodestream, parse(b), "");
  }
  {  // three tile-parts for tile 0, in tile order; markers in tile-part headers
    Bytes b;
    Built bb = build(s);
    b.assign(bb.b.begin(), bb.b.begin() + bb.first_sot);
    Bytes plt = seg(0xFF58, Bytes{0, 0x05, 0x07});
    Bytes com = seg(0xFF64, Bytes{0, 1, 'x'});
    std::vector<size_t> offs;
    offs.push_back(b.size());
    append(b, tile_part(0, 0, 3, {plt, com}, 5));
    offs.push_back(b.size());
    append(b, tile_part(1, 0, 1, {}, 9));
    offs.push_back(b.size());
    append(b, tile_part(0, 1, 3, {plt}, 3));
    offs.push_back(b.size());
    append(b, tile_part(0, 2, 3, {}, 4));
    put16(b, 0xFFD9);
    CodestreamHeader h = parse(b);
    EXPECT_EQ(h.tile_parts.size(), 4u);
    EXPECT_TRUE(h.has_eoc && !h.truncated && h.has_plt);
    if (h.tile_parts.size() == 4) {
      EXPECT_EQ(h.tile_parts[0].tnsot, 3);
      EXPECT_EQ(h.tile_parts[2].tpsot, 1);
      EXPECT_EQ(h.tile_parts[3].tpsot, 2);
      EXPECT_EQ(h.tile_parts[1].tile, 1);
      EXPECT_EQ(h.tile_parts[1].psot, 12u + 2 + 9);
      for (size_t i = 0; i < 4; ++i) EXPECT_EQ(h.tile_parts[i].offset, offs[i]);
      EXPECT_TRUE((h.tile_parts[0].header_markers == std::vector<std::string>{"PLT", "COM"}));
      EXPECT_TRUE(h.tile_parts[1].header_markers.empty());
    }
    validate_for_openjph(h, 0, b.size());
    auto f = header_features(h);
    EXPECT_TRUE(has(f, "PLT") && has(f, "tiles 2x1") && has(f, "4 tile-parts"));

    // Drop tile-part 2 of tile 0 (keep EOC): complete syntax, missing data.
    Bytes partial(b.begin(), b.begin() + offs[3]);
    put16(partial, 0xFFD9);
    h = parse(partial);
    EXPECT_TRUE(h.has_eoc && !h.truncated);
    EXPECT_THROW_WITH(InvalidCodestream, validate_for_openjph(h, 0),
                 "codestream incomplete: tile 0 has 2 tile-parts, TNsot says 3");
    // Drop tile 1 entirely.
    Bytes no_tile1(b.begin(), b.begin() + offs[1]);
    append(no_tile1, Bytes(b.begin() + offs[2], b.end()));
    EXPECT_THROW_WITH(InvalidCodestream, validate_for_openjph(parse(no_tile1), 0),
                 "codestream incomplete: tile 1 has no tile-parts");
  }
  {  // Psot 0: runs to EOC at end - 2, or to the end of data
    Built bb = build(Spec());
    Bytes b(bb.b.begin(), bb.b.begin() + bb.first_sot);
    append(b, tile_part(0, 0, 1, {seg(0xFF58, Bytes{0, 1})}, 10, true));
    Bytes with_eoc = b;
    put16(with_eoc, 0xFFD9);
    CodestreamHeader h = parse(with_eoc);
    EXPECT_TRUE(h.has_eoc && !h.truncated);
    EXPECT_EQ(h.tile_parts.size(), 1u);
    EXPECT_EQ(h.tile_parts[0].psot, 0u);
    validate_for_openjph(h, 0, with_eoc.size());
    h = parse(b);
    EXPECT_TRUE(!h.has_eoc && h.truncated);
    EXPECT_THROW_WITH(InvalidCodestream, validate_for_openjph(h, 0, b.size()),
                 "codestream truncated: tile-part 0 of tile 0 runs to the end of the data (Psot 0)");
  }
  {  // tile-part header segment running past the tile-part
    Spec t;
    t.tile_header = {seg(0xFF58, Bytes{0, 1, 2, 3})};
    Built bb = build(t);
    Bytes b = bb.b;
    b[bb.sots[0] + 15] = 40;  // Lplt 40 in a 12 + 6 + 2 + 8 byte tile-part
    EXPECT_THROW_WITH(InvalidCodestream, parse(b),
                 "PLT at offset " + std::to_string(bb.sots[0] + 12) + ": length 40 runs past the end of the tile-part");
    b = bb.b;
    b[bb.sots[0] + 12] = 0x12;  // not a marker
    EXPECT_THROW_WITH(InvalidCodestream, parse(b), "expected a marker at offset " + std::to_string(bb.sots[0] + 12));
    b = bb.b;
    b[bb.sots[0] + 13] = 0x51;  // SIZ in a tile-part header
    EXPECT_THROW_WITH(InvalidCodestream, parse(b), "SIZ at offset " + std::to_string(bb.sots[0] + 12));
  }
}

}  // namespace
}  // namespace header_test
