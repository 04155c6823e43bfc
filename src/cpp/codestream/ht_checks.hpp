// What keeps OpenJPEG's assert()s unreachable. OpenJPEG (libopenjp2) is not
// hooked (backends/openjph/assert_redirect.hpp): a failed assert() in it aborts the process, so
// every assert() it can reach while decoding a codestream from memory -- single
// threaded, strict mode, the whole image at some reduction, as
// decode_with_openjpeg() drives it -- must be kept away by our own checks. All 431
// assert() sites of Debian 12's libopenjp2 2.5.0 (read from the binary: its
// __assert_fail calls and their expression/file/line strings) and every assert()
// in the 2.5.0 and 2.5.3 sources were considered:
//
// Reachable from codestream bytes, and what refuses those bytes first:
//  - ht_dec.c mel_init() "melp->unstuff == OPJ_FALSE || melp->data[0] <= 0x8F"
//    (2.5.0 only; 2.5.1 returns an error, PR #1436): an HT cleanup segment whose
//    MEL segment has a byte > 0x8F after a 0xFF within its first 4 bytes. Checked
//    by check_before_openjpeg(): our packet-header walk (packets.hpp) finds every
//    cleanup segment OpenJPEG will decode and replays mel_init()'s reads.
//
// Kept unreachable by checks OpenJPEG or we already make (an error, not an
// assert, when they fail):
//  - ht_dec.c / t1.c opj_t1_allocate_buffers "w <= 1024", "h <= 1024",
//    "w * h <= 4096": code-block size from COD/COC, refused by OpenJPEG's
//    SPCod/SPCoc reader (xcb, ycb <= 10, xcb + ycb <= 12) and by our parser.
//  - ht_dec.c rev_advance/rev_advance_mrp/frwd_advance "num_bits <= ...->bits",
//    frwd_read "msp->bits <= 32", frwd_init "X == 0 || X == 0xFF": the readers
//    refill with zeros (or 0xFF) past the end of their segment, so after each
//    fetch they hold >= 32 bits, and one fetch is consumed by at most 30 (VLC: two
//    7-bit codewords + 16 bits of u), 31 (MagSgn: m_n <= U_q <= Mb + 1, Mb <= 30
//    refused first with an error), or 32 bits (SigProp, MagRef: 32 flags per
//    fetch): independent of the data. Scup, Lcup, Lref, the pass count and the
//    zero bit-planes are checked with error returns before the readers start.
//  - ht_dec.c "dp[..] != 0" (MagRef) and "dp[..] == 0" (SigProp): significant
//    samples are written as (v_n + 2) << (p - 1) with v_n odd and p >= 1, never
//    0; all others are 0 (the buffer is cleared and insignificant samples are
//    set to 0); VLC significance outside the code-block is an error first.
//  - t1.c "cblk->decoded_data != NULL || tilec->data != NULL", "numchunks == 0"
//    (2.5.3), tcd.c opj_tcd_dc_level_shift_decode buffer-size assert, dwt.c
//    "ret" (sparse-array partial decode) and job-size asserts: whole-tile decoding
//    only (no decode area is set), no worker threads; internal invariants.
//  - j2k.c read_SPCod_SPCoc/read_SQcd_SQcc "compno < numcomps": COC/QCC
//    component index checked by their callers; read_ppm/read_ppt/merge_ppm
//    marker-count asserts, read_sot "m_tile_ind_to_dec >= 0",
//    update_image_data "res_x0 >= 0", move_data_from_codec_to_output_image,
//    2.5.3's TLM index asserts (tile numbers are checked in read_tlm): internal
//    bookkeeping; cio.c stream asserts: our stream never seeks/skips past its
//    length, which OpenJPEG is told (mem_skip/mem_seek in openjpeg_decoder.cpp).
//  - bio.c opj_bio_read "n > 0": packet-header fields are 1..32 bits (> 32 is an
//    error); pi.c "tileno < tw * th": internal; opj_intmath.h ceildiv "b": SIZ
//    subsampling and tile sizes are refused when 0.
//  - Encoder, JP2-box (we pass bare codestreams, OPJ_CODEC_J2K) and thread-pool
//    asserts: not on this path.
// The fuzz harness (make fuzz) drives the same decode path with OpenJPEG's
// asserts live, so a regression here shows as an abort.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace htj2k {

// Run on the bare codestream [cs, cs + size) right before OpenJPEG sees it (it
// passed validate_for_openjpeg()). With `mel_init_asserts` (OpenJPEG < 2.5.1; from
// 2.5.1 on nothing is checked: no assert is reachable) and HT code-blocks: walks
// every packet header (packets.hpp check_packets_for_openjpeg, main-header POC
// followed) and throws InvalidCodestream for a malformed one -- past it, the
// segments OpenJPEG would decode cannot be located -- or for a cleanup segment
// whose MEL segment mel_init() asserts on; layouts the walk cannot follow (PPM,
// PPT, POC or COD/COC in tile-part headers, several layers) are refused as
// UnsupportedCodestream naming `opj_name`, since their segments cannot be checked.
// Part 1 codestreams: nothing to check (see above).
void check_before_openjpeg(const uint8_t* cs, size_t size, bool mel_init_asserts, const std::string& opj_name);

}  // namespace htj2k
