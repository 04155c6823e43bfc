"""The second decoder: OpenJPEG decodes what OpenJPH cannot (``decoder="auto"``),
and only what it decodes correctly.

* Classic JPEG 2000 Part 1 codestreams written by ``opj_compress`` (quality layers,
  progression orders, POC, RGN, tiles and tile-parts, mode switches, SOP/EPH,
  precincts, offsets, subsampling, 9/7, JP2) and the DICOM JPEG 2000 files shipped
  with pydicom decode through the fallback bit-exactly like ``opj_decompress``
  (system OpenJPEG) and ``imagecodecs.jpeg2k_decode`` (its own OpenJPEG build), at
  full and reduced resolution; lossless ones also equal their source pixels.
* Single-layer HTJ2K codestreams with COC / QCC / POC markers (which OpenJPH 0.9
  skips) decode through OpenJPEG to the same pixels OpenJPH gives without them.
* OpenJPEG's known gaps are refused before it is called, its errors and warnings
  become our exceptions, it prints nothing.

Every htj2k call that reaches a decoder runs in a forked child (``isolated``).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pytest

import htj2k
from htj2k import IncompleteCodestreamError, InvalidCodestreamError, LimitExceededError, UnsupportedCodestreamError

from helpers.codestream import find_marker
from helpers.images import make_image
from helpers.openjpeg import OPJ_DECOMPRESS, opj_decompress

OPJ_COMPRESS = shutil.which("opj_compress")
def _pydicom_test_files() -> Path:
    """pydicom's wheel ships its test files inside the package, whatever the Python."""
    try:
        import pydicom
    except ImportError:
        return Path("pydicom-is-not-installed")
    return Path(pydicom.__file__).resolve().parent / "data" / "test_files"


PYDICOM_FILES = _pydicom_test_files()


def _require(ok: bool, reason: str) -> None:
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module", autouse=True)
def _openjpeg_built_in():
    _require(htj2k.features()["openjpeg"], "htj2k was built without OpenJPEG (libopenjp2-7-dev)")


@pytest.fixture(scope="module")
def tools():
    _require(OPJ_COMPRESS is not None and OPJ_DECOMPRESS is not None,
             "opj_compress / opj_decompress not found (Debian package libopenjp2-tools)")


def _call(isolated, func: str, *args: Any, **kwargs: Any) -> Any:
    return isolated.call(func, *args, **kwargs).unwrap()


def _raises(isolated, func: str, *args: Any, **kwargs: Any) -> BaseException:
    r = isolated.call(func, *args, **kwargs)
    assert r.kind == "raised", f"expected an exception; the call {r.describe()}"
    assert r.output == "", f"the decoder printed: {r.output!r}"
    return r.exception


# --------------------------------------------------------------------------- Part 1 corpus


def opj_compress(tmp: Path, planes: Sequence[np.ndarray], bits: int, signed: bool, args: Sequence[str],
                 subsampling: Optional[Sequence[Tuple[int, int]]] = None, suffix: str = ".j2k") -> bytes:
    """Encode component planes (full size first) with opj_compress from planar big-endian RAW."""
    h, w = planes[0].shape
    raw = tmp / "in.raw"
    with open(raw, "wb") as f:
        for p in planes:
            f.write(p.astype((">i" if signed else ">u") + ("1" if bits <= 8 else "2")).tobytes())
    fmt = f"{w},{h},{len(planes)},{bits},{'s' if signed else 'u'}"
    if subsampling:
        fmt += "@" + ":".join(f"{dx}x{dy}" for dx, dy in subsampling)
    out = tmp / ("out" + suffix)
    proc = subprocess.run([OPJ_COMPRESS, "-i", str(raw), "-o", str(out), "-F", fmt, *args],
                          capture_output=True, timeout=120)
    assert proc.returncode == 0 and out.exists(), proc.stdout.decode()[-800:] + proc.stderr.decode()[-800:]
    return out.read_bytes()


RGB = ((61, 77, 3), "u1", 8)
GREY16 = ((96, 64), "u2", 16)

# name -> (shape, dtype, bits, opj_compress args, lossless, features that must be present)
CORPUS: Dict[str, Tuple[Tuple[int, ...], str, int, List[str], bool, Tuple[str, ...]]] = {
    "grey8": ((64, 80), "u1", 8, [], True, ("Part 1",)),
    "grey16-4res": (GREY16[0], "u2", 16, ["-n", "4"], True, ("3 levels",)),
    "signed12-cb16": ((50, 70), "i2", 12, ["-n", "3", "-b", "16,16"], True, ("cb 16x16",)),
    "rgb-rct": (RGB[0], "u1", 8, [], True, ("RCT",)),
    "rgb-rpcl-precincts": (RGB[0], "u1", 8, ["-mct", "0", "-p", "RPCL", "-c", "[32,32],[16,16]"], True,
                           ("RPCL", "precincts")),
    "layers-lossless": (RGB[0], "u1", 8, ["-r", "40,10,1"], True, ("3 layers",)),
    "layers-psnr": (GREY16[0], "u2", 16, ["-q", "40,60"], False, ("2 layers",)),
    "irreversible": (RGB[0], "u1", 8, ["-I"], False, ("9/7", "ICT")),
    "irreversible-layers": (GREY16[0], "u2", 16, ["-I", "-r", "20,5"], False, ("9/7", "2 layers")),
    "rlcp-layers": ((64, 80), "u1", 8, ["-p", "RLCP", "-r", "20,1"], True, ("RLCP", "2 layers")),
    "pcrl-layers": (RGB[0], "u1", 8, ["-p", "PCRL", "-r", "20,1", "-c", "[32,32]"], True, ("PCRL",)),
    "cprl-layers": (RGB[0], "u1", 8, ["-p", "CPRL", "-r", "20,1"], True, ("CPRL",)),
    "poc": (RGB[0], "u1", 8, ["-POC", "T1=0,0,1,3,3,CPRL/T1=3,0,1,6,3,LRCP"], True, ("tile-part POC",)),
    "rgn": (RGB[0], "u1", 8, ["-ROI", "c=0,U=3"], True, ("RGN",)),
    "rgn-lossy": (GREY16[0], "u2", 16, ["-ROI", "c=0,U=5", "-I", "-r", "10"], False, ("RGN", "9/7")),
    "tiles-tileparts-plt-tlm": (RGB[0], "u1", 8, ["-t", "32,32", "-TP", "R", "-PLT", "-TLM"], True,
                                ("tiles 3x2", "TLM", "PLT")),
    "offsets": (RGB[0], "u1", 8, ["-d", "5,3", "-t", "32,32", "-T", "2,1"], True, ("image offset",)),
    "modes-sop-eph": (RGB[0], "u1", 8, ["-M", "63", "-SOP", "-EPH"], True, ("SOP", "EPH")),
    "bypass-layers": (GREY16[0], "u2", 16, ["-M", "1", "-r", "8,1"], True, ("2 layers",)),
    "vsc-cb32x8": ((64, 80), "u1", 8, ["-M", "8", "-b", "32,8"], True, ("cb 32x8",)),
    "no-dwt": ((33, 47), "u1", 8, ["-n", "1"], True, ("0 levels",)),
}


def _source(shape, dtype, bits, seed) -> np.ndarray:
    pattern = "smooth" if seed % 2 else "random"
    img = make_image(shape, dtype, bits, pattern, seed=seed)
    if pattern == "smooth":  # add texture so every pass has something to code
        noise = make_image(shape, dtype, max(bits - 4, 1), "random", seed=seed).astype(np.int64)
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if dtype[0] == "i" else (0, (1 << bits) - 1)
        img = np.clip(img.astype(np.int64) + noise - noise.mean().astype(np.int64), lo, hi).astype(dtype)
    return img


def _planes(img: np.ndarray) -> List[np.ndarray]:
    return [img] if img.ndim == 2 else [img[:, :, c] for c in range(img.shape[2])]


def _imagecodecs():
    try:
        import imagecodecs
    except ImportError:  # pragma: no cover - part of the test extras
        _require(False, "imagecodecs is not installed (pip install '.[test]')")
    _require(bool(getattr(imagecodecs, "JPEG2K", None)) and imagecodecs.JPEG2K.available,
             "imagecodecs was built without JPEG2K")
    return imagecodecs


def _check_against_openjpeg(isolated, data: bytes, levels: int, suffix: str = ".j2k",
                            imagecodecs_too: bool = True) -> np.ndarray:
    """decode(auto) == opj_decompress at every level, == imagecodecs at full size."""
    full = None
    for r in range(levels + 1):
        ours = _call(isolated, "htj2k.decode", data, level=r)
        ref, diag = opj_decompress(data, reduce=r, suffix=suffix)
        assert ref is not None, diag
        assert ours.shape == ref.shape, (r, ours.shape, ref.shape)
        np.testing.assert_array_equal(ours.astype(np.int64), ref, err_msg=f"level {r} vs opj_decompress")
        if r == 0:
            full = ours
    if imagecodecs_too:
        ic = _imagecodecs().jpeg2k_decode(data)
        np.testing.assert_array_equal(full.astype(np.int64), np.asarray(ic).astype(np.int64).reshape(full.shape),
                                      err_msg="vs imagecodecs.jpeg2k_decode")
    return full


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_part1_corpus_decodes_like_openjpeg(isolated, tools, tmp_path, name):
    shape, dtype, bits, args, lossless, must_have = CORPUS[name]
    img = _source(shape, dtype, bits, seed=sorted(CORPUS).index(name))
    data = opj_compress(tmp_path, _planes(img), bits, dtype[0] == "i", args)

    info = htj2k.info(data)
    for f in must_have:
        assert f in info.features, (f, info.features)
    assert info.supported and info.decoder == "openjpeg", info
    assert isinstance(_raises(isolated, "htj2k.decode", data, decoder="openjph"), UnsupportedCodestreamError)

    full = _check_against_openjpeg(isolated, data, min(info.levels, 3))
    assert full.dtype == img.dtype and full.shape == img.shape
    if lossless:
        np.testing.assert_array_equal(full, img)
    # decode_planes, out= and decoder="openjpeg" give the same samples
    planes = _call(isolated, "htj2k.decode_planes", data, decoder="openjpeg")
    np.testing.assert_array_equal(np.stack(planes, axis=-1).reshape(full.shape), full)
    buf = np.zeros_like(full)
    np.testing.assert_array_equal(_call(isolated, "htj2k.decode", data, out=buf), full)


def test_part1_jp2_container(isolated, tools, tmp_path):
    img = _source(RGB[0], "u1", 8, seed=3)
    data = opj_compress(tmp_path, _planes(img), 8, False, ["-r", "20,1"], suffix=".jp2")
    info = htj2k.info(data)
    assert info.container == "jp2" and info.decoder == "openjpeg"
    full = _check_against_openjpeg(isolated, data, 2, suffix=".jp2", imagecodecs_too=False)
    np.testing.assert_array_equal(full, img)


def test_part1_subsampled_components(isolated, tools, tmp_path):
    # 4 components: with 3, opj_decompress takes 4:2:0-like ones for sYCC and converts to RGB
    y = make_image((64, 80), "u1", 8, "smooth", seed=1)
    u = make_image((32, 40), "u1", 8, "random", seed=2)
    v = make_image((32, 40), "u1", 8, "ramp", seed=3)
    a = make_image((64, 40), "u1", 8, "random", seed=4)
    srcs = (y, u, v, a)
    data = opj_compress(tmp_path, list(srcs), 8, False, ["-n", "4"],
                        subsampling=[(1, 1), (2, 2), (2, 2), (2, 1)])
    assert "subsampled" in htj2k.info(data).features
    for r in range(4):
        planes = _call(isolated, "htj2k.decode_planes", data, level=r)
        ref, diag = opj_decompress_planes(data, r)
        assert ref is not None, diag
        assert [p.shape for p in planes] == [p.shape for p in ref]
        for ours, theirs in zip(planes, ref):
            np.testing.assert_array_equal(ours.astype(np.int64), theirs)
        if r == 0:
            for ours, src in zip(planes, srcs):
                np.testing.assert_array_equal(ours, src)
    e = _raises(isolated, "htj2k.decode", data)
    assert isinstance(e, UnsupportedCodestreamError) and "decode_planes" in str(e)


def opj_decompress_planes(data: bytes, reduce: int):
    """opj_decompress to one PGX per component, without stacking (sizes differ)."""
    import glob
    import re
    import tempfile

    from helpers.openjpeg import read_pgx

    with tempfile.TemporaryDirectory(prefix="htj2k-opj-") as tmp:
        src = os.path.join(tmp, "in.j2k")
        Path(src).write_bytes(data)
        cmd = [OPJ_DECOMPRESS, "-i", src, "-o", os.path.join(tmp, "out.pgx"), "-quiet", "-r", str(reduce)]
        proc = subprocess.run(cmd, capture_output=True, timeout=120)
        files = sorted(glob.glob(os.path.join(tmp, "out*.pgx")),
                       key=lambda p: int(re.search(r"_(\d+)\.pgx$", p).group(1)))
        if proc.returncode != 0 or not files:
            return None, proc.stderr.decode()[-800:]
        return [read_pgx(f).astype(np.int64) for f in files], ""


# --------------------------------------------------------------------------- DICOM files

DICOM_LOSSLESS_SOURCES = {"MR_small_jp2klossless.dcm": "MR_small.dcm"}
DICOM_FILES = [
    "JPEG2000.dcm",  # 9/7, 16-bit signed
    "MR_small_jp2klossless.dcm",  # 5/3, 16-bit signed
    "693_J2KI.dcm",  # 14-bit, 3 layers
    "SC_rgb_gdcm_KY.dcm",  # RGB with tile-part COC/QCC
    "examples_jpeg2k.dcm",  # RGB with RCT
    "J2K_pixelrep_mismatch.dcm",  # codestream unsigned, DICOM header signed
]


def _first_frame(path: Path) -> bytes:
    pydicom = pytest.importorskip("pydicom")
    from pydicom.encaps import generate_frames

    ds = pydicom.dcmread(str(path))
    return next(generate_frames(ds.PixelData, number_of_frames=int(getattr(ds, "NumberOfFrames", 1) or 1)))


@pytest.mark.parametrize("name", DICOM_FILES)
def test_dicom_jpeg2000_files(isolated, tools, name):
    path = PYDICOM_FILES / name
    _require(path.exists(), f"{path} not found (pydicom's test files)")
    frame = _first_frame(path)
    info = htj2k.info(frame)
    assert "Part 1" in info.features and info.decoder == "openjpeg", info
    full = _check_against_openjpeg(isolated, frame, min(info.levels, 2))
    if name in DICOM_LOSSLESS_SOURCES:
        import pydicom

        src = pydicom.dcmread(str(PYDICOM_FILES / DICOM_LOSSLESS_SOURCES[name])).pixel_array
        np.testing.assert_array_equal(full, src)


# --------------------------------------------------------------------------- HTJ2K via OpenJPEG


def _segment(code: int, body: bytes) -> bytes:
    return struct.pack(">HH", code, len(body) + 2) + body


def _inject(cs: bytes, *segments: bytes) -> bytes:
    """Insert marker segments at the end of the main header (before the first SOT)."""
    sot = find_marker(cs, 0xFF90)
    return cs[: sot.offset] + b"".join(segments) + cs[sot.offset :]


def _ht_rgb() -> Tuple[np.ndarray, bytes]:
    img = make_image((70, 90, 3), "u2", 12, "smooth", seed=5)
    return img, htj2k.encode(img, bit_depth=12, levels=3, colour_transform=False, block_size=(32, 32))


def _coc_qcc_poc(cs: bytes) -> Dict[str, bytes]:
    """COC / QCC / POC segments restating what COD / QCD already say (same pixels)."""
    cod = find_marker(cs, 0xFF52)
    codb = cs[cod.offset : cod.end]
    qcd = find_marker(cs, 0xFF5C)
    qcdb = cs[qcd.offset : qcd.end]
    scod, progression, levels = codb[4], codb[5], codb[9]
    return {
        "COC": _segment(0xFF53, bytes([1, scod & 1]) + codb[9:]),  # component 1
        "QCC": _segment(0xFF5D, bytes([2]) + qcdb[4:]),  # component 2
        "POC": _segment(0xFF5F, struct.pack(">BBHBBB", 0, 0, 1, levels + 1, 3, progression)),
    }


@pytest.mark.parametrize("markers", [("COC",), ("QCC",), ("POC",), ("COC", "QCC", "POC")])
def test_ht_with_markers_openjph_skips_goes_to_openjpeg(isolated, markers):
    """OpenJPH ignores POC always and COC/QCC before 0.11 (gate honours_coc_qcc):
    those go to OpenJPEG; from 0.11 on (measured 0.21.2) OpenJPH decodes COC/QCC
    itself, bit-exactly."""
    img, cs = _ht_rgb()
    segs = _coc_qcc_poc(cs)
    data = _inject(cs, *(segs[m] for m in markers))
    info = htj2k.info(data)
    ojph_can = "POC" not in markers and htj2k.features()["openjph_gates"]["honours_coc_qcc"]
    assert info.ht and info.supported and info.decoder == ("openjph" if ojph_can else "openjpeg"), info
    if ojph_can:
        np.testing.assert_array_equal(_call(isolated, "htj2k.decode", data, decoder="openjph"), img)
    else:
        e = _raises(isolated, "htj2k.decode", data, decoder="openjph")
        assert isinstance(e, UnsupportedCodestreamError) and any(m in str(e) for m in markers), e
    np.testing.assert_array_equal(_call(isolated, "htj2k.decode", data), img)
    for r in range(1, 4):
        np.testing.assert_array_equal(_call(isolated, "htj2k.decode", data, level=r),
                                      _call(isolated, "htj2k.decode", cs, level=r))


def test_single_layer_ht_openjpeg_equals_openjph(isolated):
    img, cs = _ht_rgb()
    assert htj2k.info(cs).decoder == "openjph"
    for r in range(4):
        a = _call(isolated, "htj2k.decode", cs, level=r, decoder="openjpeg")
        b = _call(isolated, "htj2k.decode", cs, level=r, decoder="openjph")
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------------------------- refusals


def _inject_in_tile_part(cs: bytes, *segments: bytes) -> bytes:
    """Insert marker segments into the first tile-part header (after SOT; Psot fixed)."""
    sot = find_marker(cs, 0xFF90)
    body = b"".join(segments)
    psot = struct.unpack(">I", cs[sot.offset + 6 : sot.offset + 10])[0]
    head = cs[: sot.offset + 6] + struct.pack(">I", psot + len(body)) + cs[sot.offset + 10 : sot.offset + 12]
    return head + body + cs[sot.offset + 12 :]


def test_both_refuse_names_both_reasons(isolated):
    _, cs = _ht_rgb()
    cod = find_marker(cs, 0xFF52)
    data = _inject_in_tile_part(cs, cs[cod.offset : cod.end])  # the same COD again, in a tile-part header
    info = htj2k.info(data)
    assert not info.supported and info.decoder is None
    for e in (_raises(isolated, "htj2k.decode", data), _raises(isolated, "htj2k.decode_planes", data)):
        assert isinstance(e, UnsupportedCodestreamError)
        msg = str(e)
        assert msg.startswith("COD in tile-part header") and "(OpenJPEG: " in msg, msg
    e = _raises(isolated, "htj2k.decode", data, decoder="openjpeg")
    assert isinstance(e, UnsupportedCodestreamError) and "OpenJPH" not in str(e)


@pytest.mark.parametrize("shift", [0, 3, 9])
def test_rgn_on_a_plain_stream_decodes_as_the_standard_says(isolated, shift):
    """RGN (max-shift s) put into OpenJPH's lossless output, whose code-blocks code every
    bit-plane from Zblk = Mb - 1: read with Mb + s bit-planes, every non-zero coefficient
    is 2^s times its value, so a region one, scaled back down -- the same pixels. OpenJPH
    ignores RGN and OpenJPEG refuses it with HT code-blocks; htj2k undoes the shift per
    code-block (codestream/roi.hpp), in the main header or in a tile-part header."""
    img, cs = _ht_rgb()
    rgn = _segment(0xFF5E, bytes([1, 0, shift]))  # component 1, max-shift
    for data in (_inject(cs, rgn), _inject_in_tile_part(cs, rgn)):
        assert htj2k.info(data).supported
        np.testing.assert_array_equal(_call(isolated, "htj2k.decode", data), img)
        np.testing.assert_array_equal(_call(isolated, "htj2k.decode", data, level=2), htj2k.decode(cs, level=2))


def test_part2_and_unknown_markers_refused(isolated, tools, tmp_path):
    img = _source(RGB[0], "u1", 8, seed=1)
    cs = opj_compress(tmp_path, _planes(img), 8, False, [])
    part2 = cs[:6] + struct.pack(">H", 0x8000) + cs[8:]  # Rsiz: Part 2 extensions
    e = _raises(isolated, "htj2k.decode", part2)
    assert isinstance(e, UnsupportedCodestreamError) and "Part 2 extensions" in str(e), e
    mct = _inject(cs, _segment(0xFF74, bytes(8)))  # a Part 2 MCT segment
    e = _raises(isolated, "htj2k.decode", mct, decoder="openjpeg")
    assert isinstance(e, UnsupportedCodestreamError) and "marker 0xFF74" in str(e), e


def test_bit_depth_limit(isolated):
    ic = _imagecodecs()
    for bits, ok in ((23, True), (24, False)):
        img = make_image((40, 48, 3), "u4", bits, "extremes", seed=bits)
        data = ic.jpeg2k_encode(img, level=0, codecformat="J2K", bitspersample=bits, reversible=True)
        if ok:
            np.testing.assert_array_equal(_call(isolated, "htj2k.decode", data), img)
        else:
            e = _raises(isolated, "htj2k.decode", data)
            assert isinstance(e, UnsupportedCodestreamError) and f"bit depth {bits}" in str(e), e


def test_openjpeg_errors_become_exceptions_and_print_nothing(isolated, tools, tmp_path):
    img = _source(RGB[0], "u1", 8, seed=2)
    cs = opj_compress(tmp_path, _planes(img), 8, False, ["-SOP", "-EPH"])
    sod = find_marker(cs, 0xFF93)
    eph = cs.index(b"\xff\x92", sod.offset)
    broken = cs[: eph + 1] + b"\x00" + cs[eph + 2 :]  # an EPH marker damaged
    for decoder in ("auto", "openjpeg"):
        e = _raises(isolated, "htj2k.decode", broken, decoder=decoder)
        assert isinstance(e, InvalidCodestreamError), e
        assert str(e).startswith(f"OpenJPEG {htj2k.features()['openjpeg_version']}: ") and "EPH" in str(e), e
    sop = cs.index(b"\xff\x91", sod.offset)
    # a damaged SOP alone is only a warning to OpenJPEG: still refused
    cs2 = opj_compress(tmp_path, _planes(img), 8, False, ["-SOP"])
    sop = cs2.index(b"\xff\x91", find_marker(cs2, 0xFF93).offset)
    e = _raises(isolated, "htj2k.decode", cs2[: sop + 1] + b"\x90" + cs2[sop + 2 :])
    assert isinstance(e, (InvalidCodestreamError, UnsupportedCodestreamError)) and "SOP" in str(e), e


def test_truncated_part1_refused_before_openjpeg(isolated, tools, tmp_path):
    img = _source(RGB[0], "u1", 8, seed=4)
    cs = opj_compress(tmp_path, _planes(img), 8, False, ["-r", "20,1"])
    for cut in (len(cs) - 2, len(cs) - 100, len(cs) // 2):
        for decoder in ("auto", "openjpeg"):
            e = _raises(isolated, "htj2k.decode", cs[:cut], decoder=decoder)
            assert isinstance(e, IncompleteCodestreamError) and "truncated" in str(e), e


def test_guards_and_arguments(isolated, tools, tmp_path):
    img = _source((64, 80), "u1", 8, seed=6)
    cs = opj_compress(tmp_path, [img], 8, False, ["-n", "3"])
    e = _raises(isolated, "htj2k.decode", cs, max_pixels=64 * 80 - 1)
    assert isinstance(e, LimitExceededError), e
    e = _raises(isolated, "htj2k.decode", cs, level=3)
    assert isinstance(e, ValueError) and "level 3" in str(e), e
    with pytest.raises(ValueError, match="decoder"):
        htj2k.decode(cs, decoder="kakadu")
    with pytest.raises(TypeError, match="decoder"):
        htj2k.decode_planes(cs, decoder=None)
    e = _raises(isolated, "htj2k.decode", cs, decoder="openjph")
    assert isinstance(e, UnsupportedCodestreamError) and "Rsiz" in str(e) and "OpenJPEG" not in str(e), e
    np.testing.assert_array_equal(_call(isolated, "htj2k.decode", cs, decoder="openjpeg"), img)
    assert htj2k.features()["openjpeg_version"].startswith("2.")


# --------------------------------------------------------------------------- robustness

_FUZZ_CHILD = r"""
import pickle, random, sys
import htj2k
seeds = pickle.load(open(sys.argv[1], "rb"))
rng = random.Random(int(sys.argv[2]))
decoded = refused = 0
for i in range(int(sys.argv[3])):
    d = bytearray(rng.choice(seeds))
    kind = rng.choice(["flip", "header", "zero", "dup", "truncate"])
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            d[rng.randrange(len(d))] ^= 1 << rng.randrange(8)
    elif kind == "header":
        for _ in range(rng.randint(1, 4)):
            d[rng.randrange(min(len(d), 200))] = rng.randrange(256)
    elif kind == "zero":
        a = rng.randrange(len(d))
        d[a : a + 40] = bytes(len(d[a : a + 40]))
    elif kind == "dup":
        a = rng.randrange(len(d))
        b = a + rng.randint(1, 100)
        d = d[:b] + d[a:b] + d[b:]
    else:
        d = d[: rng.randint(0, len(d))]
    for level in (0, 1):
        try:
            htj2k.decode(bytes(d), level=level, max_pixels=1 << 22)
            decoded += 1
        except (htj2k.Htj2kError, ValueError):
            refused += 1
sys.stderr.write("FUZZ-DONE %d %d\n" % (decoded, refused))
"""


def test_mutated_part1_streams_never_crash_or_print(tools, tmp_path):
    """Mutations of Part 1 streams (which reach OpenJPEG): only our exceptions, no
    crash, no hang, nothing printed."""
    import pickle

    from helpers.isolation import run_python

    img = _source(RGB[0], "u1", 8, seed=9)
    seeds = [opj_compress(tmp_path, _planes(img), 8, False, args) for args in (
        [], ["-r", "40,10,1", "-SOP", "-EPH"], ["-t", "32,32", "-TP", "R", "-PLT", "-TLM", "-p", "RPCL"],
        ["-I", "-r", "20,5", "-M", "63"], ["-ROI", "c=0,U=3", "-POC", "T1=0,0,1,3,3,CPRL/T1=3,0,1,6,3,LRCP"])]
    path = tmp_path / "seeds.pkl"
    path.write_bytes(pickle.dumps(seeds))
    rc, out, err = run_python(_FUZZ_CHILD, timeout=240, args=(str(path), "20240531", "400"))
    assert rc == 0, f"child died (status {rc}): {err[-2000:]}"
    assert out == "" and err.startswith("FUZZ-DONE") and err.count("\n") == 1, (out[-500:], err[-500:])


@pytest.mark.parametrize("bits,dtype,components", [(19, "u4", 1), (20, "i4", 3), (23, "u4", 3), (23, "i4", 1)])
def test_deep_ht_through_openjpeg_all_levels(isolated, bits, dtype, components):
    """HTJ2K deeper than OpenJPH 0.9 decodes correctly goes to OpenJPEG (auto): the
    full image equals the source, and every reduced level equals the forward 5/3 DWT
    of the source (CRC-32 of htj2k.pixel_checksums, computed without any decoder)."""
    import zlib

    from htj2k import _core

    shape = (67, 53) if components == 1 else (67, 53, 3)
    img = make_image(shape, dtype, bits, "random", seed=bits)
    data = htj2k.encode(img, bit_depth=bits, levels=4)
    info = htj2k.info(data)
    if bits > htj2k.features()["max_bit_depth"]:
        assert info.decoder == "openjpeg", info
    expected = _core.pixel_checksums(img, 4, bits, int(dtype[0] == "i"), info.colour_transform)
    for level, w, h, crc in expected:
        out = _call(isolated, "htj2k.decode", data, level=level, decoder="openjpeg")
        assert out.shape[:2] == (h, w)
        if level == 0:
            np.testing.assert_array_equal(out, img)
        assert zlib.crc32(out.tobytes()) == crc, f"level {level}"


def test_part1_layers_are_not_joined(isolated, tools, tmp_path):
    """Several layers of Part 1 code-blocks are OpenJPEG's, which decodes them all:
    not joined (the joiner reads HT segments); asking for fewer is refused by name."""
    shape, dtype, bits, args, _, _ = CORPUS["layers-lossless"]
    img = _source(shape, dtype, bits, seed=3)
    data = opj_compress(tmp_path, _planes(img), bits, False, args)
    assert htj2k.info(data).layers == 3
    assert np.array_equal(_call(isolated, "htj2k.decode", data, layers=3), _call(isolated, "htj2k.decode", data))
    e = _raises(isolated, "htj2k.decode", data, layers=1)
    assert isinstance(e, UnsupportedCodestreamError) and "Part 1" in str(e), e
