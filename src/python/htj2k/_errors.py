"""Exception hierarchy of htj2k. Every error about the data is an :class:`Htj2kError`."""

from __future__ import annotations

from typing import Optional

__all__ = [
    "Htj2kError",
    "InvalidCodestreamError",
    "IncompleteCodestreamError",
    "UnsupportedCodestreamError",
    "EncodeError",
    "LimitExceededError",
]


class Htj2kError(Exception):
    """Base class of all htj2k errors about images and codestreams."""


class InvalidCodestreamError(Htj2kError, ValueError):
    """The bytes are not a valid or complete HTJ2K codestream / JPH file."""


class IncompleteCodestreamError(InvalidCodestreamError):
    """The data is the first bytes of a frame and lacks what was asked for.

    ``bytes_needed`` is how many leading bytes of the frame would hold it, when the
    data tells (a TLM marker lists the tile-parts); ``None`` otherwise.
    """

    def __init__(self, message: str, bytes_needed: Optional[int] = None) -> None:
        super().__init__(message)
        self.bytes_needed = bytes_needed

    def __reduce__(self):  # keeps bytes_needed across processes (batch workers)
        return (type(self), (str(self), self.bytes_needed))


class UnsupportedCodestreamError(Htj2kError):
    """A valid codestream that uses a feature the linked decoder cannot decode correctly.

    The message names the feature, e.g. ``"7 quality layers; OpenJPH decodes 1"``.
    """


class EncodeError(Htj2kError):
    """Encoding failed, e.g. sample values outside the declared bit depth."""


class LimitExceededError(Htj2kError):
    """A resource guard refused the input (``max_pixels``) or memory ran out."""
