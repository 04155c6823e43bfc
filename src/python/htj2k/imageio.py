"""An imageio v3 plugin (``pip install 'htj2k[imageio]'``): HTJ2K codestreams and JPH files.

    >>> import imageio.v3 as iio, htj2k.imageio          # doctest: +SKIP
    >>> img = iio.imread("frame.jph", plugin="htj2k")     # doctest: +SKIP
    >>> thumb = iio.imread("frame.jph", plugin="htj2k", level=2)  # doctest: +SKIP
    >>> iio.imwrite("out.jph", img, plugin="htj2k", bit_depth=12)  # doctest: +SKIP
    >>> data = iio.imwrite("<bytes>", img, plugin="htj2k", extension=".j2c")  # doctest: +SKIP

imageio has no entry points for plugins; its documented registry is the dict
``imageio.config.known_plugins`` of ``PluginConfig`` (lazy: module and class
names). :func:`register` adds ``"htj2k"`` there and is called when this module
is imported. The plugin is also put first for ``.jph``/``.jhc`` in imageio's
extension table (``imageio.config.known_extensions``), so ``iio.imread("x.jph")``
finds it without ``plugin=``.

Reading: ``level=`` (resolution levels discarded), ``layers=``, ``decoder=``,
``max_pixels=``/``max_memory=`` as :func:`htj2k.decode`; ``iio.immeta`` gives
:func:`htj2k.info`'s fields. Writing: the keyword arguments of
:func:`htj2k.encode`; ``.jph`` gets a JPH file, any other name a codestream.
"""

from __future__ import annotations

import functools
from typing import Any, Dict, Iterator, Optional

import numpy as np

from ._errors import InvalidCodestreamError
from .codec import decode, encode, info

__all__ = ["PLUGIN_NAME", "register", "HTJ2KPlugin"]

PLUGIN_NAME = "htj2k"
EXTENSIONS = (".jph", ".jhc", ".j2c", ".j2k")


def _read_bytes(request: Any) -> bytes:
    return request.get_file().read()


@functools.lru_cache(maxsize=None)
def _plugin_class() -> type:
    from imageio.core.request import URI_BYTES, InitializationError, IOMode
    from imageio.core.v3_plugin_api import ImageProperties, PluginV3

    class HTJ2KPlugin(PluginV3):  # type: ignore[misc, valid-type]
        """imageio v3 plugin over :func:`htj2k.decode` / :func:`htj2k.encode`."""

        def __init__(self, request: Any) -> None:
            super().__init__(request)
            self._data: Optional[bytes] = None
            if request.mode.io_mode == IOMode.read:
                data = _read_bytes(request)
                try:
                    info(data)
                except InvalidCodestreamError as e:
                    raise InitializationError(f"htj2k cannot read {request.raw_uri}: {e}") from None
                self._data = data
            elif (request.extension or request.format_hint or ".j2c") not in EXTENSIONS:
                raise InitializationError(f"htj2k writes {', '.join(EXTENSIONS)}, not {request.extension}")

        def read(self, *, index: Optional[int] = None, **kwargs: Any) -> np.ndarray:
            if index not in (None, 0, Ellipsis):
                raise IndexError(f"an HTJ2K file holds one image; index {index}")
            arr = decode(self._data, **kwargs)
            return arr[None] if index is Ellipsis else arr

        def iter(self, **kwargs: Any) -> Iterator[np.ndarray]:
            yield self.read(**kwargs)

        def write(self, ndimage: Any, *, is_batch: bool = False, **kwargs: Any) -> Optional[bytes]:
            arrays = list(ndimage) if is_batch else [ndimage]
            if len(arrays) != 1:
                raise ValueError(f"an HTJ2K file holds one image, not {len(arrays)}")
            ext = self.request.extension or self.request.format_hint
            kwargs.setdefault("container", "jph" if ext == ".jph" else "j2c")
            data = encode(np.asarray(arrays[0]), **kwargs)
            if self.request._uri_type == URI_BYTES:
                return data
            self.request.get_file().write(data)
            return None

        def properties(self, index: Optional[int] = None) -> Any:
            inf = info(self._data)
            shape = tuple(inf.shape)
            if index is Ellipsis:
                shape = (1,) + shape
            return ImageProperties(shape=shape, dtype=np.dtype(inf.dtype) if inf.dtype else None,
                                   n_images=1 if index is Ellipsis else None, is_batch=index is Ellipsis)

        def metadata(self, index: Optional[int] = None, exclude_applied: bool = True) -> Dict[str, Any]:
            return info(self._data).as_dict()

    HTJ2KPlugin.__module__ = __name__
    HTJ2KPlugin.__qualname__ = "HTJ2KPlugin"
    return HTJ2KPlugin


def register() -> None:
    """Add the plugin to imageio's registry (``plugin="htj2k"``) and put it first
    for .jph/.jhc. Idempotent; called on import."""
    from imageio.config import FileExtension, PluginConfig, known_extensions, known_plugins

    known_plugins[PLUGIN_NAME] = PluginConfig(name=PLUGIN_NAME, class_name="HTJ2KPlugin", module_name=__name__)
    for ext in (".jph", ".jhc"):
        entries = known_extensions.setdefault(ext, [])
        if not any(PLUGIN_NAME in e.priority for e in entries):
            entries.insert(0, FileExtension(extension=ext, priority=[PLUGIN_NAME], name="HTJ2K",
                                            description="High-Throughput JPEG 2000 (htj2k)"))


def __getattr__(name: str) -> Any:
    if name == "HTJ2KPlugin":  # an imageio PluginV3 subclass, made when first asked for
        return _plugin_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


register()
