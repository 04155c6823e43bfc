"""``htj2k.dicom``: the pydicom decoder plugin, frames with their checksum
parameters, and HTJ2K transcoding, on the DICOM files shipped in the pydicom wheel
(never downloaded) and the shared CT fixture."""

from __future__ import annotations

import copy
import os
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom")

import htj2k  # noqa: E402
import htj2k.dicom as hd  # noqa: E402
from pydicom.pixels.decoders.base import get_decoder  # noqa: E402

TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
HAVE_PYLIBJPEG_OPENJPEG = "pylibjpeg" in get_decoder(hd.HTJ2K_LOSSLESS).available_plugins

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def read(name: str):
    path = TEST_FILES / name
    if not path.is_file():
        pytest.skip(f"{name} is not in this pydicom wheel")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path, force=True)


def pixels(ds, plugin: str = ""):
    """pixel_array with pydicom's default processing, optionally forcing a plugin."""
    ds = copy.deepcopy(ds)
    if plugin:
        ds.pixel_array_options(decoding_plugin=plugin)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ds.pixel_array


def save_and_read(ds, tmp_path: Path, name: str = "out.dcm"):
    path = tmp_path / name
    ds.save_as(path, enforce_file_format=True)
    return pydicom.dcmread(path)


# --------------------------------------------------------------------------- plugin


def test_plugin_registered_for_htj2k_syntaxes():
    for uid in hd.HTJ2K_TRANSFER_SYNTAXES:
        dec = get_decoder(uid)
        assert hd.PLUGIN_LABEL in dec.available_plugins
    assert hd.is_available(hd.HTJ2K) and not hd.is_available(pydicom.uid.JPEG2000Lossless)


def test_register_is_idempotent_and_unregister_works():
    try:
        hd.register_pydicom_plugin()
        hd.register_pydicom_plugin()
        assert list(get_decoder(hd.HTJ2K_LOSSLESS)._available).count(hd.PLUGIN_LABEL) == 1
        hd.unregister_pydicom_plugin()
        assert hd.PLUGIN_LABEL not in get_decoder(hd.HTJ2K_LOSSLESS).available_plugins
    finally:
        hd.register_pydicom_plugin()
    assert hd.PLUGIN_LABEL in get_decoder(hd.HTJ2K_LOSSLESS).available_plugins


# files: (name, expected photometric interpretation after transcoding)
TRANSCODE_CASES = [
    ("CT_small.dcm", "MONOCHROME2"),  # 16-bit signed, explicit VR LE
    ("MR_small_bigendian.dcm", "MONOCHROME2"),  # big endian source
    ("MR_small_RLE.dcm", "MONOCHROME2"),  # RLE source
    ("MR_small_jp2klossless.dcm", "MONOCHROME2"),  # JPEG 2000 source
    ("SC_rgb_rle_2frame.dcm", "RGB"),  # multi-frame colour
    ("SC_rgb_small_odd.dcm", "RGB"),  # 3x3
    ("SC_ybr_full_422_uncompressed.dcm", "YBR_FULL"),  # native 4:2:2 -> full resolution YBR
    ("examples_jpeg2k.dcm", "RGB"),  # YBR_RCT JPEG 2000 source -> RGB
    ("examples_palette.dcm", "PALETTE COLOR"),
    ("liver_1frame.dcm", "MONOCHROME2"),  # 1-bit packed
    ("image_dfl.dcm", "MONOCHROME2"),  # deflated
    ("examples_overlay.dcm", "MONOCHROME2"),  # 12 of 16 bits
]


@pytest.mark.parametrize("name,pi", TRANSCODE_CASES, ids=[c[0] for c in TRANSCODE_CASES])
def test_to_htj2k_dataset_decodes_back_with_both_plugins(name, pi, tmp_path):
    ds = read(name)
    src = pixels(ds)
    out = hd.to_htj2k_dataset(ds)
    back = save_and_read(out, tmp_path)
    assert back.file_meta.TransferSyntaxUID == hd.htj2k_transfer_syntax() == "1.2.840.10008.1.2.4.202"
    assert back.PhotometricInterpretation == pi
    assert back.SOPInstanceUID == ds.SOPInstanceUID
    assert int(back.get("NumberOfFrames", 1)) == int(ds.get("NumberOfFrames", 1))
    if int(ds.SamplesPerPixel) > 1:
        assert back.PlanarConfiguration == 0
    else:
        assert "PlanarConfiguration" not in back
    ours = pixels(back, "htj2k")
    assert ours.shape == src.shape
    assert np.array_equal(ours, src)
    if HAVE_PYLIBJPEG_OPENJPEG:  # pydicom's own HTJ2K decoding agrees
        assert np.array_equal(pixels(back, "pylibjpeg"), src)
    # pydicom's default plugin order (its own first, then htj2k)
    assert np.array_equal(pixels(back), src)


def test_transcoded_attributes_kept(tmp_path):
    ds = read("CT_small.dcm")
    back = save_and_read(hd.to_htj2k_dataset(ds), tmp_path)
    for elem in ds:
        if elem.keyword in ("PixelData",) or elem.tag.group == 0x0002:
            continue
        assert elem.tag in back, elem
        assert back[elem.tag].value == elem.value, elem
    assert back["PixelData"].is_undefined_length


def test_shared_ct_fixture_checksums(shared_dir, tmp_path):
    path = shared_dir / "data" / "dicom" / "CT1_UNC.dcm"
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"missing {path}")
        pytest.skip(f"missing {path}")
    ds = pydicom.dcmread(path)
    (f,) = list(hd.frames(ds))
    assert (f.bit_depth, f.signed, f.colour_transform, f.levels) == (16, True, False, 5)
    assert f.range_error() is None
    sums = f.pixel_checksums()
    assert [(s.width, s.height) for s in sums] == [(16, 16), (32, 32), (64, 64), (128, 128), (256, 256), (512, 512)]
    # full resolution: zlib CRC-32 of the little-endian int16 samples
    assert sums[-1].checksum == zlib.crc32(ds.pixel_array.astype("<i2").tobytes())
    back = save_and_read(hd.to_htj2k_dataset(ds), tmp_path)
    (g,) = list(hd.frames(back))
    assert g.codestream is not None and htj2k.info(g.codestream).levels == 5
    assert htj2k.checksums(g.codestream) == sums
    assert g.pixel_checksums() == sums
    assert np.array_equal(back.pixel_array, ds.pixel_array)


# --------------------------------------------------------------------------- frames


def test_frames_parameters():
    (f,) = list(hd.frames(read("CT_small.dcm")))
    assert (f.number, f.width, f.height, f.bit_depth, f.signed, f.colour_transform) == (1, 128, 128, 16, True, False)
    assert f.photometric_interpretation == "MONOCHROME2" and f.levels == 5
    assert f.frame_size == 128 * 128 * 2

    fs = list(hd.frames(read("SC_rgb_rle_16bit_2frame.dcm")))
    assert [f.number for f in fs] == [1, 2]
    assert all(f.pixels.shape == (100, 100, 3) and f.colour_transform and f.bit_depth == 16 for f in fs)

    (y,) = list(hd.frames(read("SC_ybr_full_422_uncompressed.dcm")))
    assert y.photometric_interpretation == "YBR_FULL" and not y.colour_transform

    (j,) = list(hd.frames(read("examples_jpeg2k.dcm")))  # YBR_RCT in the dataset
    assert j.photometric_interpretation == "RGB" and j.colour_transform

    (b,) = list(hd.frames(read("liver_1frame.dcm")))
    assert b.bit_depth == 1 and int(b.pixels.max()) == 1


def test_frames_indices_and_planar_configuration():
    ds = read("SC_rgb_rle_2frame.dcm")
    full = pixels(ds)
    (second,) = list(hd.frames(ds, indices=[1]))
    assert second.number == 2 and np.array_equal(second.pixels, full[1])
    with pytest.raises(IndexError):
        list(hd.frames(ds, indices=[2]))


def test_frames_pixel_checksums_equal_codestream_checksums():
    for name in ("MR_small.dcm", "SC_rgb_small_odd.dcm", "SC_rgb_rle_16bit.dcm"):
        for f in hd.frames(read(name)):
            cs = htj2k.encode(
                f.pixels.astype(f.pixels.dtype.newbyteorder("=")),
                levels=f.levels,
                bit_depth=f.bit_depth,
                colour_transform=f.colour_transform if f.samples_per_pixel >= 3 else None,
            )
            assert htj2k.checksums(cs) == f.pixel_checksums(), name


def test_values_above_bits_stored_are_reported_not_clipped():
    ds = read("MR_small.dcm")  # BitsStored 16, signed
    ds.BitsStored = 10
    ds.HighBit = 9
    (f,) = list(hd.frames(ds))
    err = f.range_error()
    assert err and "exceed BitsStored 10" in err and "-512..511" in err
    assert int(f.pixels.max()) == 2145  # not masked to 10 bits
    with pytest.raises(hd.DicomImageError, match="exceed BitsStored 10"):
        hd.to_htj2k_dataset(ds)


@pytest.mark.parametrize("name", ["rtplan.dcm", "test-SR.dcm", "waveform_ecg.dcm"])
def test_non_image_datasets(name):
    with pytest.raises(hd.NotAnImageError, match="no Pixel Data"):
        list(hd.frames(read(name)))


def test_missing_decoder_reported():
    ds = read("SC_rgb_jpeg_dcmtk.dcm")  # JPEG Baseline
    if get_decoder(pydicom.uid.JPEGBaseline8Bit).is_available:
        assert len(list(hd.frames(ds))) == 1
    else:
        with pytest.raises(hd.DecoderUnavailableError, match="no installed decoder for JPEG Baseline"):
            list(hd.frames(ds))


def test_transfer_syntax_of_files_without_meta():
    ds = read("ExplVR_BigEndNoMeta.dcm")
    assert hd.transfer_syntax(ds) == pydicom.uid.ExplicitVRBigEndian


# --------------------------------------------------------------------------- plugin edge cases


def _htj2k_dataset(tmp_path, pi="MONOCHROME2", rgb=False):
    ds = read("SC_rgb_small_odd.dcm" if rgb else "MR_small.dcm")
    out = hd.to_htj2k_dataset(ds)
    out.PhotometricInterpretation = pi
    return save_and_read(out, tmp_path)


def test_plugin_returns_rgb_for_ybr_rct(tmp_path):
    src = pixels(read("SC_rgb_small_odd.dcm"))
    ds = _htj2k_dataset(tmp_path, "YBR_RCT", rgb=True)
    arr, props = next(get_decoder(ds.file_meta.TransferSyntaxUID).iter_array(ds, decoding_plugin="htj2k"))
    assert props["photometric_interpretation"] == "RGB"
    assert np.array_equal(arr, src)


def test_plugin_rejects_wrong_dimensions(tmp_path):
    ds = _htj2k_dataset(tmp_path)
    ds.Rows = ds.Rows + 1
    ds.pixel_array_options(decoding_plugin="htj2k")
    with pytest.raises(RuntimeError, match="htj2k: the HTJ2K frame is 64x64"):
        ds.pixel_array


def test_plugin_reports_corrupt_codestream(tmp_path):
    ds = _htj2k_dataset(tmp_path)
    from pydicom.encaps import encapsulate, get_frame

    frame = get_frame(ds.PixelData, 0, number_of_frames=1)
    ds.PixelData = encapsulate([frame[: len(frame) // 2]])
    ds.pixel_array_options(decoding_plugin="htj2k")
    with pytest.raises(RuntimeError, match="htj2k:"):
        ds.pixel_array


def test_rpcl_transfer_syntax_only_for_frames_that_qualify():
    """PS3.5 10.18: .202 needs RPCL, TLM and a base resolution at most 64 wide or high."""
    import numpy as np

    import htj2k
    from htj2k import dicom as hdicom

    img = (np.arange(200 * 200, dtype=np.uint16).reshape(200, 200) * 3) % 4096
    kw = dict(bit_depth=12, progression="RPCL", tlm=True, tileparts="R")
    thumb = htj2k.encode(img, levels=2, **kw)   # base 50x50
    coarse = htj2k.encode(img, levels=1, **kw)  # base 100x100
    assert hdicom.transfer_syntax_of([thumb]) == hdicom.HTJ2K_LOSSLESS_RPCL
    assert hdicom.transfer_syntax_of([thumb, coarse]) == hdicom.HTJ2K_LOSSLESS
    assert hdicom.transfer_syntax_of([htj2k.encode(img, levels=2, bit_depth=12)]) == hdicom.HTJ2K_LOSSLESS  # no TLM
    assert hdicom.transfer_syntax_of([htj2k.encode(img, levels=2, bit_depth=12, qstep=0.01)]) == hdicom.HTJ2K
