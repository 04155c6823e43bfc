"""The assert() redirect (src/cpp/codec/assert_hook.hpp) touches only the exact
OpenJPH and OpenJPEG objects htj2k is linked against, found from one of their
functions: another copy of libopenjp2 loaded in the same process keeps glibc's
__assert_fail. Read straight from the GOT slots of the loaded objects."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import textwrap

import htj2k

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

    feats = htj2k.features()["assert_redirect"]
    ojph = feats["openjph"].split("installed in ", 1)[1]
    opj = feats["openjpeg"].split("installed in ", 1)[1]
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
        assert feats["openjpeg"].startswith("installed in ") and "libopenjp2" in feats["openjpeg"], feats


def test_another_libopenjp2_in_the_process_is_untouched():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    got = eval(out.stdout.strip().splitlines()[-1])
    hook = set(got["ojph"])
    assert len(hook) == 1 and None not in hook, got  # our handler, in every slot of libopenjph
    assert set(got["opj"]) == hook, got             # and in the libopenjp2 we link
    assert got["copy"] and set(got["copy"]) == {got["glibc"]}, got  # the copy calls glibc's, untouched
