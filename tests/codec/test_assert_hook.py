"""The assert() redirect (src/cpp/codec/assert_hook.hpp) touches only the exact
libopenjph object htj2k is linked against, found from one of its functions; no
OpenJPEG is hooked, neither the libopenjp2 htj2k links nor another copy loaded in
the same process: both keep glibc's __assert_fail (read straight from the GOT
slots of the loaded objects, and seen by making each of them fail an assert()).
OpenJPEG's crash-safety rests on our own checks instead (codec/ht_checks.hpp):
the inputs that reach its assert()s are refused before it sees them, which the
last tests replay in child processes, so that a regression fails the test rather
than killing pytest."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import htj2k

HERE = Path(__file__).parent
REGRESSIONS = HERE.parent / "fuzz" / "regressions"
needs_openjpeg = pytest.mark.skipif(not htj2k.features()["openjpeg"], reason="built without OpenJPEG")

CHILD = textwrap.dedent(r'''
    import ctypes, os, shutil, struct, sys, tempfile
    import numpy as np, htj2k

    def assert_fail_slots(path):
        """r_offset of every relocation of __assert_fail in the ELF file at path."""
        b = open(path, "rb").read()
        shoff, = struct.unpack_from("<Q", b, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", b, 0x3A)
        secs = [struct.unpack_from("<IIQQQQIIQQ", b, shoff + i * shentsize) for i in range(shnum)]
        out = []
        for name, typ, flags, addr, off, size, link, info, align, entsize in secs:
            if typ != 4:  # SHT_RELA
                continue
            symtab = secs[link]
            strtab = secs[symtab[6]]
            for k in range(size // 24):
                r_offset, r_info, _ = struct.unpack_from("<QQq", b, off + 24 * k)
                st_name, = struct.unpack_from("<I", b, symtab[4] + 24 * (r_info >> 32))
                s = b[strtab[4] + st_name: b.index(b"\0", strtab[4] + st_name)]
                if s == b"__assert_fail":
                    out.append(r_offset)
        return out

    def base_of(path):
        real = os.path.realpath(path)
        for line in open("/proc/self/maps"):
            parts = line.split()
            if len(parts) >= 6 and os.path.realpath(parts[5]) == real and int(parts[2], 16) == 0:
                return int(parts[0].split("-")[0], 16)
        raise SystemExit("not mapped: " + path)

    def slots(path):
        base = base_of(path)
        return [ctypes.c_void_p.from_address(base + off).value for off in assert_fail_slots(path)]

    htj2k.decode(htj2k.encode(np.zeros((8, 8), np.uint8)))  # OpenJPH: redirect installed
    feats = htj2k.features()["assert_redirect"]
    ojph = feats["openjph"].split("installed in ", 1)[1]
    # the libopenjp2 htj2k links (the only one mapped so far)
    opj = next(line.split()[5] for line in open("/proc/self/maps")
               if len(line.split()) >= 6 and "libopenjp2" in line.split()[5])
    # someone else's copy of OpenJPEG, loaded after htj2k installed its redirect
    tmp = tempfile.mkdtemp()
    copy = os.path.join(tmp, "libopenjp2-someone-else.so.7")
    shutil.copy(opj, copy)
    lib = ctypes.CDLL(copy, mode=os.RTLD_NOW | os.RTLD_LOCAL)
    htj2k.decode(htj2k.encode(np.zeros((8, 8), np.uint8)), decoder="openjpeg")  # after the copy is loaded
    libc = ctypes.CDLL(None)
    glibc = ctypes.cast(libc.__assert_fail, ctypes.c_void_p).value
    print(repr({"ojph": slots(ojph), "opj": slots(opj), "copy": slots(copy), "glibc": glibc}))
''')


def test_redirect_is_reported():
    feats = htj2k.features()["assert_redirect"]
    assert feats["openjph"].startswith("installed in ") and "libopenjph" in feats["openjph"], feats
    if htj2k.features()["openjpeg"]:
        assert feats["openjpeg"].startswith("not redirected: OpenJPEG "), feats
    else:
        assert feats["openjpeg"] == "not built with OpenJPEG", feats


@needs_openjpeg
def test_no_libopenjp2_in_the_process_is_touched():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    got = eval(out.stdout.strip().splitlines()[-1])
    hook = set(got["ojph"])
    assert len(hook) == 1 and None not in hook and hook != {got["glibc"]}, got  # our handler in libopenjph
    assert got["opj"] and set(got["opj"]) == {got["glibc"]}, got  # the libopenjp2 we link: glibc's
    assert got["copy"] and set(got["copy"]) == {got["glibc"]}, got  # the copy: glibc's too


# Makes libopenjp2 fail one of its own assert()s through its public API (a
# precinct-size encoder parameter without sizes: j2k.c "res_spec > 0", issue 189;
# in 2.5.0 and 2.5.3), after htj2k has decoded with both libraries.
ABORT_CHILD = textwrap.dedent(r'''
    import ctypes, os, shutil, sys, tempfile
    import numpy as np, htj2k

    data = htj2k.encode(np.arange(64, dtype=np.uint8).reshape(8, 8))
    htj2k.decode(data, decoder="openjph")
    htj2k.decode(data, decoder="openjpeg")
    assert htj2k.features()["assert_redirect"]["openjph"].startswith("installed in ")
    name = "libopenjp2.so.7"  # the one htj2k links: dlopen returns the loaded object
    if sys.argv[1] == "copy":
        name = os.path.join(tempfile.mkdtemp(), "libopenjp2-someone-else.so.7")
        shutil.copy(next(line.split()[5] for line in open("/proc/self/maps")
                         if len(line.split()) >= 6 and "libopenjp2" in line.split()[5]), name)
    lib = ctypes.CDLL(name, mode=os.RTLD_NOW | os.RTLD_LOCAL)
    params = ctypes.create_string_buffer(1 << 16)  # opj_cparameters_t is 18720 bytes in 2.5
    lib.opj_set_default_encoder_parameters(params)
    field = lambda offset: ctypes.c_int32.from_buffer(params, offset)
    # the stable start of opj_cparameters_t: csty at 48; numresolution, cblockw_init,
    # ..., roi_compno, roi_shift, res_spec from 5600 (defaults 6, 64, ..., -1, 0, 0)
    assert (field(5600).value, field(5604).value, field(5620).value) == (6, 64, -1), "layout"

    class Cmpt(ctypes.Structure):
        _fields_ = [(n, ctypes.c_uint32) for n in ("dx", "dy", "w", "h", "x0", "y0", "prec", "bpp", "sgnd")]

    cmpt = Cmpt(1, 1, 8, 8, 0, 0, 8, 8, 0)
    lib.opj_image_create.restype = ctypes.c_void_p
    image = lib.opj_image_create(1, ctypes.byref(cmpt), 1)
    lib.opj_create_compress.restype = ctypes.c_void_p
    codec = lib.opj_create_compress(0)
    field(48).value = 1     # csty: J2K_CCP_CSTY_PRT (user precincts)...
    field(5628).value = 0   # ...with res_spec 0
    field(5600).value = 2
    sys.stdout.write("calling\n")
    sys.stdout.flush()
    lib.opj_setup_encoder(ctypes.c_void_p(codec), params, ctypes.c_void_p(image))
    print("returned")
''')


@needs_openjpeg
@pytest.mark.parametrize("which", ["linked", "copy"])
def test_openjpeg_asserts_still_abort(which):
    """OpenJPEG's assert() is glibc's: the process aborts (SIGABRT) with glibc's
    message, in the libopenjp2 htj2k links as in someone else's copy."""
    out = subprocess.run([sys.executable, "-c", ABORT_CHILD, which], capture_output=True, text=True, timeout=120)
    assert "calling" in out.stdout, out.stderr[-3000:]
    assert out.returncode == -signal.SIGABRT, (out.returncode, out.stdout, out.stderr[-3000:])
    assert "Assertion `res_spec > 0' failed" in out.stderr, out.stderr[-3000:]


# --- inputs that reach an OpenJPEG assert() are refused before it sees them ----


def _mel_init_crafted() -> bytes:
    """ht_dec.c mel_init() (OpenJPEG 2.5.0): "melp->unstuff == OPJ_FALSE ||
    melp->data[0] <= 0x8F". One 16x16 code-block, levels=0: its cleanup segment
    ends right before EOC; the first four bytes of its MEL segment (Scup bytes
    before that end) become 0xFF, so whichever 2..4 bytes mel_init() reads (it
    depends on the buffer's address) hold a byte > 0x8F after a 0xFF.
    (opj_decompress 2.5.0 aborts on it.)"""
    img = np.random.default_rng(7).integers(0, 256, (16, 16), dtype=np.uint8)
    cs = bytearray(htj2k.encode(img, levels=0))
    end = len(cs) - 2  # EOC
    scup = (cs[end - 1] << 4) | (cs[end - 2] & 15)
    assert 6 <= scup < end, scup  # the MEL bytes are clear of the Scup bytes
    cs[end - scup:end - scup + 4] = b"\xff\xff\xff\xff"
    return bytes(cs)


REFUSE_CHILD = textwrap.dedent(r'''
    import sys, htj2k
    for path in sys.argv[1:]:
        data = open(path, "rb").read()
        for decoder in ("openjpeg", "auto"):
            for level in (0, 1):
                try:
                    htj2k.decode(data, decoder=decoder, level=level)
                    print("decoded", path, decoder, level, flush=True)
                except ValueError as e:  # a bad level is a ValueError too
                    print("refused", path, decoder, level, type(e).__name__, e, flush=True)
                except htj2k.Htj2kError as e:
                    print("refused", path, decoder, level, type(e).__name__, e, flush=True)
    print("done", flush=True)
''')


def _refuse_in_child(paths):
    out = subprocess.run([sys.executable, "-c", REFUSE_CHILD, *map(str, paths)], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0 and out.stdout.rstrip().endswith("done"), (out.returncode, out.stdout[-3000:],
                                                                          out.stderr[-3000:])
    return out.stdout.splitlines()[:-1]


@needs_openjpeg
def test_crafted_mel_init_input_is_refused(tmp_path):
    path = tmp_path / "mel.j2c"
    path.write_bytes(_mel_init_crafted())
    # (the stored regression is the Debian 12 encoder's output; other OpenJPH
    # releases write other bytes, so it is replayed by the test below instead)
    lines = _refuse_in_child([path])
    assert len(lines) == 4 and all(line.startswith("refused") for line in lines), lines
    opj = tuple(int(x) for x in htj2k.features()["openjpeg_version"].split(".")[:3])
    for line in lines:
        if " openjpeg 0 " in line and opj < (2, 5, 1):  # forced OpenJPEG 2.5.0: our own check says why
            assert "InvalidCodestreamError" in line and "MEL segment" in line, line


@needs_openjpeg
def test_openjpeg_assert_regressions_are_refused():
    """Every fuzzer find that once reached an OpenJPEG assert(), forced to OpenJPEG
    and through decoder="auto" (where OpenJPH tries first and OpenJPEG may retry)."""
    paths = sorted(REGRESSIONS.glob("openjpeg-assert-*.j2c"))
    assert paths
    lines = _refuse_in_child(paths)
    assert len(lines) == 4 * len(paths), lines
    # OpenJPEG never sees them; with "auto", OpenJPH may decode a reduced level that
    # leaves the damaged code-block out
    bad = [ln for ln in lines if not ln.startswith("refused") and not ln.endswith(" auto 1")]
    assert not bad, bad
