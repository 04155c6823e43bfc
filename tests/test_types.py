"""The result records (htj2k._types): info() builds CodestreamInfo in one step
(build_record), which must give exactly what the dataclass constructor gives."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import htj2k
from htj2k._types import CodestreamInfo, ComponentInfo, build_record


def test_build_record_equals_the_constructor():
    info = htj2k.info(htj2k.encode(np.arange(48, dtype=np.uint8).reshape(6, 8)))
    values = {f.name: getattr(info, f.name) for f in dataclasses.fields(info)}
    assert build_record(CodestreamInfo, **values) == CodestreamInfo(**values) == info
    short = {k: v for k, v in values.items() if k not in ("supported", "decoder", "comments")}
    assert build_record(CodestreamInfo, **short) == CodestreamInfo(**short)  # defaults filled in
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.width = 3


@pytest.mark.parametrize("values", [{"bit_depth": 8}, {"bit_depth": 8, "signed": False, "nope": 1}])
def test_build_record_refuses_missing_and_unknown_fields(values):
    with pytest.raises(TypeError):
        ComponentInfo(**values)
    with pytest.raises(TypeError):
        build_record(ComponentInfo, **values)
