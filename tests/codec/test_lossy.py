"""Irreversible (9/7) encoding: quality at a stated quantisation step, headers,
reduced-resolution decodes, and agreement with OpenJPEG.

The image is a smooth synthetic field (a slow sinusoid plus a ramp) of 200 x 264
samples. PSNR uses the bit depth's peak (2**B - 1). Bounds were measured on
OpenJPH 0.9.0 and set about 3-4 dB below the measurements (in brackets):

    qstep   8-bit grey  8-bit RGB  12-bit grey 12-bit RGB 16-bit grey 16-bit RGB
    0.001   lossless    66.7       78.0        75.3       81.2        76.9
    0.01    58.2        56.2       64.2        61.2       64.3        61.3

Reduced levels are compared with the image subsampled by 2**r (the 9/7 low-pass
band of a smooth field is close to its even samples); measured >= 56 / 54.6 /
48.1 dB at r = 1 / 2 / 3.
"""

from __future__ import annotations

import numpy as np
import pytest

import htj2k

from helpers.images import psnr, smooth_field
from helpers.openjpeg import OPJ_DECOMPRESS, opj_decompress

H, W = 200, 264

# (bit_depth, components, qstep) -> minimum PSNR in dB
PSNR_BOUNDS = {
    (8, 1, 0.001): 70.0,  # lossless in practice (inf)
    (8, 3, 0.001): 63.0,
    (12, 1, 0.001): 74.0,
    (12, 3, 0.001): 72.0,
    (16, 1, 0.001): 77.0,
    (16, 3, 0.001): 73.0,
    (8, 1, 0.01): 55.0,
    (8, 3, 0.01): 53.0,
    (12, 1, 0.01): 61.0,
    (12, 3, 0.01): 58.0,
    (16, 1, 0.01): 61.0,
    (16, 3, 0.01): 58.0,
}
REDUCED_BOUNDS = {1: 52.0, 2: 50.0, 3: 44.0}


def smooth_image(bit_depth: int, nc: int, signed: bool = False) -> np.ndarray:
    return smooth_field(H, W, bit_depth, nc, signed)


@pytest.mark.parametrize("bit_depth,nc,qstep", sorted(PSNR_BOUNDS))
def test_psnr_at_stated_qstep(bit_depth, nc, qstep):
    signed = bit_depth == 12  # one signed family too
    img = smooth_image(bit_depth, nc, signed)
    data = htj2k.encode(img, qstep=qstep, bit_depth=bit_depth)
    info = htj2k.info(data)
    assert info.reversible is False
    assert info.quantization == "scalar expounded"
    assert info.colour_transform == (nc == 3)
    assert info.components[0].signed == signed
    out = htj2k.decode(data)
    assert out.dtype == img.dtype and out.shape == img.shape
    value = psnr(out, img, bit_depth)
    bound = PSNR_BOUNDS[(bit_depth, nc, qstep)]
    assert value >= bound, f"PSNR {value:.2f} dB < {bound} dB at qstep={qstep}"


@pytest.mark.parametrize("bit_depth,nc", [(8, 1), (8, 3), (12, 1), (16, 3)])
def test_smaller_qstep_is_better(bit_depth, nc):
    img = smooth_image(bit_depth, nc)
    values, sizes = [], []
    for q in (0.1, 0.01, 0.001):
        data = htj2k.encode(img, qstep=q, bit_depth=bit_depth)
        sizes.append(len(data))
        values.append(psnr(htj2k.decode(data), img, bit_depth))
    assert values[0] < values[1] <= values[2], values
    assert sizes[0] < sizes[1] < sizes[2], sizes


def test_reversible_false_without_qstep_is_irreversible():
    img = smooth_image(12, 1)
    data = htj2k.encode(img, reversible=False, bit_depth=12)
    info = htj2k.info(data)
    assert info.reversible is False
    assert "9/7" in info.features
    assert psnr(htj2k.decode(data), img, 12) > 40.0


@pytest.mark.parametrize("bit_depth,nc,qstep", [(8, 1, 0.01), (8, 3, 0.01), (12, 1, 0.001), (16, 3, 0.001)])
def test_lossy_reduced_levels(isolated, bit_depth, nc, qstep):
    img = smooth_image(bit_depth, nc)
    data = htj2k.encode(img, qstep=qstep, bit_depth=bit_depth, levels=5)
    assert htj2k.info(data).levels == 5
    levels = isolated.call("decode_levels", data, (1, 2, 3, 4, 5)).unwrap()
    lo, hi = 0, (1 << bit_depth) - 1
    for r, arr in levels.items():
        want = (-(-H // (1 << r)), -(-W // (1 << r))) + (() if nc == 1 else (nc,))
        assert arr.shape == want, f"level {r}"
        assert arr.dtype == img.dtype
        assert lo <= int(arr.min()) and int(arr.max()) <= hi
        if r in REDUCED_BOUNDS:
            ref = img[:: 1 << r, :: 1 << r]
            value = psnr(arr, ref, bit_depth)
            assert value >= REDUCED_BOUNDS[r], f"level {r}: PSNR {value:.2f} dB < {REDUCED_BOUNDS[r]} dB"


@pytest.mark.skipif(OPJ_DECOMPRESS is None, reason="opj_decompress not installed")
@pytest.mark.parametrize("bit_depth,nc,qstep", [(8, 3, 0.01), (12, 1, 0.001), (16, 1, 0.01)])
def test_lossy_matches_openjpeg_within_one(isolated, bit_depth, nc, qstep):
    """Floating-point 9/7 implementations may round differently, by at most 1."""
    img = smooth_image(bit_depth, nc)
    data = htj2k.encode(img, qstep=qstep, bit_depth=bit_depth, levels=4)
    ours = isolated.call("decode_levels", data, (0, 1, 2, 3)).unwrap()
    for r in (0, 1, 2, 3):
        theirs, diag = opj_decompress(data, reduce=r)
        assert theirs is not None, diag
        assert theirs.shape == ours[r].shape
        worst = int(np.abs(theirs - ours[r].astype(np.int64)).max())
        assert worst <= 1, f"level {r}: htj2k and OpenJPEG differ by up to {worst}"
