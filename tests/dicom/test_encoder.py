"""``htj2k.dicom``'s pydicom encoder plugin: ``ds.compress(HTJ2K..., encoding_plugin="htj2k")``
on the native DICOM files shipped in the pydicom wheel, decoded back by pydicom with our
decoder and with pylibjpeg-openjpeg."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

import pydicom  # noqa: E402  (in the test extra: never skipped)

import htj2k  # noqa: E402
import htj2k.dicom as hd  # noqa: E402
from htj2k.dicom import encoder as henc  # noqa: E402
from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.pixels.decoders.base import get_decoder  # noqa: E402
from pydicom.pixels.encoders.base import Encoder, get_encoder  # noqa: E402
from pydicom.uid import HTJ2K, HTJ2KLossless, HTJ2KLosslessRPCL, RLELossless  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
HAVE_PYLIBJPEG_OPENJPEG = "pylibjpeg" in get_decoder(HTJ2KLossless).available_plugins
LOSSLESS = (HTJ2KLossless, HTJ2KLosslessRPCL)


def read(name: str):
    path = get_testdata_file(name, download=False)
    if path is None:
        pytest.fail(f"{name} is not in the pydicom wheel")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pydicom.dcmread(path)


def decoded(ds, plugin: str):
    """The stored values (no YBR -> RGB conversion), decoded by ``plugin``."""
    ds = copy.deepcopy(ds)
    ds.pixel_array_options(decoding_plugin=plugin, as_rgb=False)
    return ds.pixel_array


def decoders():
    return ["htj2k"] + (["pylibjpeg"] if HAVE_PYLIBJPEG_OPENJPEG else [])


def compressed(ds, uid, **kw):
    out = copy.deepcopy(ds)
    out.compress(uid, encoding_plugin="htj2k", **kw)
    return out


def rgb_planar(ds):
    """``ds`` with its colour Pixel Data rearranged to Planar Configuration 1."""
    ds = copy.deepcopy(ds)
    arr = ds.pixel_array
    planes = arr.transpose(*((0, 3, 1, 2) if arr.ndim == 4 else (2, 0, 1)))
    ds.PixelData = np.ascontiguousarray(planes).astype(arr.dtype.newbyteorder("<")).tobytes()
    ds.PlanarConfiguration = 1
    return ds


def decompressed(name):
    ds = read(name)
    ds.decompress()
    return ds


# (case, dataset factory, Photometric Interpretation to set before compress)
CASES = {
    "CT_small int16": (lambda: read("CT_small.dcm"), None),
    "MR_small int16": (lambda: read("MR_small.dcm"), None),
    "overlay 12 of 16 bits": (lambda: read("examples_overlay.dcm"), None),
    "palette": (lambda: read("examples_palette.dcm"), None),
    "RGB, no MCT": (lambda: read("examples_rgb_color.dcm"), None),
    "RGB with RCT (YBR_RCT)": (lambda: read("examples_rgb_color.dcm"), "YBR_RCT"),
    "YBR_FULL": (lambda: read("examples_rgb_color.dcm"), "YBR_FULL"),
    "RGB odd 3x3": (lambda: read("SC_rgb_small_odd.dcm"), None),
    "RGB 2 frames": (lambda: decompressed("SC_rgb_rle_2frame.dcm"), "YBR_RCT"),
    "RGB 16-bit 2 frames": (lambda: decompressed("SC_rgb_rle_16bit_2frame.dcm"), None),
}


@pytest.mark.parametrize("uid", LOSSLESS, ids=["201", "202"])
@pytest.mark.parametrize("case", list(CASES))
def test_lossless_compress_decodes_to_the_original(case, uid, tmp_path):
    make, pi = CASES[case]
    ds = make()
    src = ds.pixel_array
    if pi:
        ds.PhotometricInterpretation = pi
    out = compressed(ds, uid)
    path = tmp_path / "out.dcm"
    out.save_as(path, enforce_file_format=True)
    back = pydicom.dcmread(path)
    assert back.file_meta.TransferSyntaxUID == uid
    nframes = int(ds.get("NumberOfFrames", 1))
    cs = [bytes(f) for f in pydicom.encaps.generate_frames(back.PixelData, number_of_frames=nframes)]
    assert len(cs) == nframes
    inf = htj2k.info(cs[0])
    assert inf.bit_depth == int(ds.BitsStored) and inf.signed == (ds.PixelRepresentation == 1)
    assert inf.reversible and inf.colour_transform == (ds.PhotometricInterpretation == "YBR_RCT")
    assert hd.transfer_syntax_of(cs) == (HTJ2KLosslessRPCL if uid == HTJ2KLosslessRPCL else hd.transfer_syntax_of(cs))
    for plugin in decoders():
        got = decoded(back, plugin)
        assert got.shape == src.shape, plugin
        assert np.array_equal(got, src), plugin


@pytest.mark.parametrize("name", ["examples_rgb_color.dcm", "SC_rgb_rle_16bit_2frame.dcm"])
def test_planar_configuration_1_refused_with_the_recipe_that_works(name):
    ds = rgb_planar(decompressed(name) if "rle" in name else read(name))
    arr = ds.pixel_array
    with pytest.raises(RuntimeError, match="Planar Configuration 0"):
        compressed(ds, HTJ2KLossless)
    ds.PlanarConfiguration = 0
    ds.compress(HTJ2KLossless, arr, encoding_plugin="htj2k")
    for plugin in decoders():
        assert np.array_equal(decoded(ds, plugin), arr), plugin


def test_rpcl_meets_ps35_even_where_the_profile_levels_do_not():
    # 5 levels leave a 2200x2200 base at 69x69: .202 needs a sixth
    assert henc.rpcl_levels(2200, 2200) == 6 and henc.rpcl_levels(512, 512) == 5
    assert henc.rpcl_levels(3000, 40) == henc.rpcl_levels(3000, 40, None) == 5
    ds = read("examples_palette.dcm")
    ds.PhotometricInterpretation = "MONOCHROME2"
    del ds.RedPaletteColorLookupTableDescriptor
    arr = (np.arange(2200 * 2200, dtype=np.uint32) % 251).astype(np.uint8).reshape(2200, 2200)
    ds.Rows = ds.Columns = 2200
    ds.PixelData = arr.tobytes()
    out = compressed(ds, HTJ2KLosslessRPCL)
    (cs,) = [bytes(f) for f in pydicom.encaps.generate_frames(out.PixelData, number_of_frames=1)]
    inf = htj2k.info(cs)
    assert inf.levels == 6 and inf.progression == "RPCL" and inf.has_tlm and inf.tile_parts == 7
    assert max(inf.level_sizes[0]) <= 64
    assert np.array_equal(decoded(out, "htj2k"), arr)


def test_unused_high_bits_of_the_source_are_ignored_as_pixel_array_does():
    ds = read("CT_small.dcm")
    arr = ds.pixel_array
    ds.BitsStored = 12
    values = np.clip(arr, -2048, 2047).astype("<i2")
    noisy = values.view("<u2") & 0x0FFF | 0x5000  # high bits set, not sign-extended
    ds.PixelData = noisy.astype("<u2").tobytes()
    expected = ds.pixel_array  # pydicom's own view of 12 signed bits
    assert np.array_equal(expected, values)
    out = compressed(ds, HTJ2KLossless)
    for plugin in decoders():
        assert np.array_equal(decoded(out, plugin), values), plugin


def test_lossy_needs_qstep_and_decodes_close():
    ds = read("examples_rgb_color.dcm")
    src = ds.pixel_array.astype(float)
    with pytest.raises(RuntimeError, match="htj2k_qstep"):
        compressed(ds, HTJ2K)
    with pytest.raises(RuntimeError, match="lossy option"):
        compressed(ds, HTJ2KLossless, htj2k_qstep=0.01)
    ds.PhotometricInterpretation = "YBR_ICT"
    fine = compressed(ds, HTJ2K, htj2k_qstep=0.002)
    coarse = compressed(ds, HTJ2K, htj2k_qstep=0.05)
    (cs,) = pydicom.encaps.generate_frames(fine.PixelData, number_of_frames=1)
    inf = htj2k.info(bytes(cs))
    assert not inf.reversible and inf.colour_transform
    assert len(coarse.PixelData) < len(fine.PixelData)
    for plugin in decoders():
        got = decoded(fine, plugin).astype(float)
        psnr = 10 * np.log10(255**2 / np.mean((got - src) ** 2))
        assert psnr > 38, (plugin, psnr)


@pytest.mark.parametrize(
    "pi,uid,match",
    [
        ("YBR_FULL_422", HTJ2KLossless, "cannot be encoded as HTJ2K"),
        ("YBR_RCT", HTJ2K, "not allowed with"),
        ("YBR_ICT", HTJ2KLossless, "not allowed with"),
        ("MONOCHROME2", HTJ2KLossless, "needs 1 sample"),
    ],
)
def test_photometric_interpretations_refused(pi, uid, match):
    ds = read("examples_rgb_color.dcm")
    ds.PhotometricInterpretation = pi
    with pytest.raises(RuntimeError, match=match):
        compressed(ds, uid, htj2k_qstep=0.01 if uid == HTJ2K else None)


def test_bits_stored_beyond_the_encoder_is_a_clear_error():
    ds = read("rtdose.dcm")  # 32 bits stored, 15 frames
    with pytest.raises(RuntimeError, match="32 bits"):
        compressed(ds, HTJ2KLossless)


def test_every_frame_of_a_multiframe_grey_dataset(tmp_path):
    ds = read("rtdose.dcm")
    arr = ds.pixel_array  # (15, 10, 10) uint32, values < 2**21
    ds.BitsStored = 21
    ds.BitsAllocated = 32
    out = compressed(ds, HTJ2KLosslessRPCL)
    assert len(list(pydicom.encaps.generate_frames(out.PixelData, number_of_frames=15))) == 15
    for plugin in decoders():
        assert np.array_equal(decoded(out, plugin), arr), plugin


def test_compress_from_an_array_argument():
    ds = read("MR_small.dcm")
    arr = ds.pixel_array[::-1].copy()
    ds.compress(HTJ2KLossless, arr, encoding_plugin="htj2k")
    assert np.array_equal(decoded(ds, "htj2k"), arr)


# --------------------------------------------------------------------------- registration


def test_pydicom_encoder_table_is_what_register_needs():
    """Fails loudly when pydicom changes the one private name we use."""
    table = henc._pydicom_encoder_table()
    enc, version = table[RLELossless]
    assert isinstance(enc, Encoder) and isinstance(version, str)
    for uid in hd.HTJ2K_TRANSFER_SYNTAXES:
        assert table[uid][0] is get_encoder(uid)
        assert hd.PLUGIN_LABEL in get_encoder(uid).available_plugins


def test_register_encoder_is_idempotent():
    before = {uid: get_encoder(uid) for uid in hd.HTJ2K_TRANSFER_SYNTAXES}
    assert hd.register_pydicom_encoder() == [str(u) for u in hd.HTJ2K_TRANSFER_SYNTAXES]
    for uid, enc in before.items():
        assert get_encoder(uid) is enc and enc.available_plugins == (hd.PLUGIN_LABEL,)


def test_decoder_registered_without_reordering_pydicoms_plugins():
    for uid in hd.HTJ2K_TRANSFER_SYNTAXES:
        plugins = list(get_decoder(uid)._available)  # the order pydicom tries them in
        assert plugins[-1] == hd.PLUGIN_LABEL  # added last, through add_plugin
        if HAVE_PYLIBJPEG_OPENJPEG:
            assert plugins.index("pylibjpeg") < plugins.index(hd.PLUGIN_LABEL)


def test_import_registers_in_a_fresh_interpreter(python_subprocess):
    rc, out, err = python_subprocess(
        "import pydicom, numpy as np\n"
        "from pydicom.data import get_testdata_file\n"
        "from pydicom.uid import HTJ2KLosslessRPCL\n"
        "import htj2k.dicom\n"
        "ds = pydicom.dcmread(get_testdata_file('CT_small.dcm'))\n"
        "a = ds.pixel_array\n"
        "ds.compress(HTJ2KLosslessRPCL, encoding_plugin='htj2k')\n"
        "ds.pixel_array_options(decoding_plugin='htj2k')\n"
        "print(np.array_equal(ds.pixel_array, a))\n"
    )
    assert rc == 0, err
    assert out.strip().endswith("True")
