"""DICOM files as input to ``info``, ``decode``, ``encode`` and ``checksums``, and
``htj2k extract``: the HTJ2K frames of a DICOM file written as codestream files.

    htj2k info ct.dcm                      # per frame: transfer syntax, size, codestream header
    htj2k decode ct.dcm frame2.npy --frame 2
    htj2k encode ct.dcm ct.jph             # every frame: ct-1.jph, ct-2.jph, ... (one frame: ct.jph)
    htj2k checksums ct.dcm --json          # per frame; native pixels at BitsStored/PixelRepresentation
    htj2k extract ct_htj2k.dcm frames/     # frames/ct_htj2k-1.j2c, ... as stored (--jph: .jph)

Frame numbers are 1-based, as in the archive's frame lists. Needs pydicom
(``pip install 'htj2k[dicom]'``); reading goes through :mod:`htj2k.dicom` only.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Any, Iterator, List, Optional

import numpy as np

from .. import io as image_io
from .. import progressive
from ._common import EXIT_OK, CliError, Command, positive_int, write_bytes

__all__ = ["COMMANDS", "is_dicom", "DicomInput", "open_dicom", "numbered_path"]


def is_dicom(path: str) -> bool:
    """A DICOM extension, or the ``DICM`` prefix (any other name but codestreams and images)."""
    return os.path.isfile(path) and image_io.is_dicom_path(path)


@dataclass
class DicomInput:
    """A DICOM file opened for a command: the dataset, its Image Pixel attributes,
    whether its frames are HTJ2K codestreams."""

    path: str
    dataset: Any
    params: Any  # htj2k.dicom.ImageParameters
    transfer_syntax_name: str
    htj2k: bool

    @property
    def number_of_frames(self) -> int:
        return int(self.params.number_of_frames)

    def indices(self, frame: Optional[int]) -> List[int]:
        """0-based indices of frame number ``frame`` (every frame when ``None``)."""
        n = self.number_of_frames
        if frame is None:
            return list(range(n))
        if not 1 <= frame <= n:
            raise CliError(f"{self.path}: --frame {frame}: the file has frame{'s 1..' if n > 1 else ' '}{n}")
        return [frame - 1]

    def codestreams(self, indices: List[int]) -> Iterator[bytes]:
        from .. import dicom as hdicom

        return hdicom.codestreams(self.dataset, indices)

    def frames(self, indices: List[int]) -> Iterator[Any]:
        """:class:`htj2k.dicom.DicomFrame` of each index (decoded by pydicom's plugins)."""
        from .. import dicom as hdicom

        try:
            yield from hdicom.frames(self.dataset, indices=indices)
        except hdicom.DicomImageError:
            raise
        except (RuntimeError, NotImplementedError) as e:  # pydicom's decoding failures
            raise CliError(f"{self.path}: cannot decode the pixel data: {' '.join(str(e).split())}") from None


def open_dicom(path: str) -> DicomInput:
    """Read a DICOM file (``DicomImageError``, a ``ValueError``: exit 2, one line)."""
    from .. import dicom as hdicom
    from pydicom.uid import UID

    try:
        ds = hdicom.read_dataset(path)
        params = hdicom.image_parameters(ds)
    except hdicom.DicomImageError as e:
        msg = str(e)
        raise CliError(msg if msg.startswith(path) else f"{path}: {msg}") from None
    ts = UID(params.transfer_syntax)
    return DicomInput(path, ds, params, f"{ts.name} ({ts})", ts in hdicom.HTJ2K_TRANSFER_SYNTAXES)


def numbered_path(path: str, number: int, count: int) -> str:
    """``out.jph`` for a single frame, ``out-2.jph`` for frame 2 of several."""
    if count == 1:
        return path
    stem, ext = os.path.splitext(path)
    return f"{stem}-{number}{ext}"


def frame_range_error(frame: Any, path: str) -> None:
    """Refuse a native frame whose stored values exceed BitsStored (never clipped)."""
    err = frame.range_error()
    if err:
        raise CliError(f"{path}: frame {frame.number}: {err}")


def frame_pixels(frame: Any) -> np.ndarray:
    return frame.pixels.view(np.uint8) if frame.pixels.dtype == np.bool_ else frame.pixels


# --------------------------------------------------------------------------- extract


def _add_extract_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="IN.dcm", help="DICOM file with HTJ2K pixel data (.201, .202, .203)")
    p.add_argument("out_dir", metavar="OUTDIR", help="folder for the frames (created if missing)")
    p.add_argument("--frame", type=positive_int, metavar="N", help="only frame N (1-based)")
    p.add_argument("--prefix", metavar="NAME", help="file names NAME-<frame>.j2c (default: the input's name)")
    p.add_argument("--jph", action="store_true",
                   help="write JPH files (NAME-<frame>.jph: the codestream in its boxes) instead of bare codestreams")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")


def _run_extract(args: argparse.Namespace) -> int:
    if not os.path.isfile(args.input):
        raise CliError(f"{args.input}: no such file")
    src = open_dicom(args.input)
    if not src.htj2k:
        raise CliError(
            f"{args.input}: pixel data are {src.transfer_syntax_name}, not HTJ2K; "
            "'htj2k encode' writes native frames as .jph"
        )
    if os.path.exists(args.out_dir) and not os.path.isdir(args.out_dir):
        raise CliError(f"{args.out_dir}: exists and is not a folder")
    os.makedirs(args.out_dir, exist_ok=True)
    prefix = args.prefix or os.path.splitext(os.path.basename(args.input))[0]
    indices = src.indices(args.frame)
    for i, data in zip(indices, src.codestreams(indices)):
        out = os.path.join(args.out_dir, f"{prefix}-{i + 1}.{'jph' if args.jph else 'j2c'}")
        write_bytes(out, progressive.to_jph(data) if args.jph else data)
        if not args.quiet:
            print(f"{args.input} frame {i + 1} -> {out}: {len(data)} bytes")
    return EXIT_OK


COMMANDS = (
    Command(
        "extract",
        "write the HTJ2K frames of a DICOM file as codestream files",
        _add_extract_arguments,
        _run_extract,
        "Write each HTJ2K frame of a DICOM file (transfer syntaxes .201, .202, .203) to "
        "OUTDIR/<name>-<frame>.j2c, byte for byte as stored (no decoding), or with --jph "
        "as JPH files (the same codestream in its boxes).",
    ),
)
