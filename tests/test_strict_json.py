"""ionoquake.strict_json: what every job and API answer writes with ``allow_nan=False``."""

from __future__ import annotations

import json
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from ionoquake.strict_json import strict

leaves = (st.floats(allow_nan=True, allow_infinity=True) | st.integers(-2**53, 2**53)
          | st.booleans() | st.none() | st.text(max_size=5)
          | st.floats(width=32).map(np.float32) | st.integers(-100, 100).map(np.int64))
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=4) | st.integers(0, 9), inner,
                                        max_size=4), max_leaves=20)


@given(values)
def test_strict_json_writes_and_keeps_finite_values(value: object) -> None:
    text = json.dumps(strict(value), allow_nan=False)  # raises on NaN, inf or numpy types

    def same(a: object, b: object) -> bool:
        if isinstance(a, dict):
            return isinstance(b, dict) and all(same(v, b[str(k)]) for k, v in a.items())
        if isinstance(a, list):
            return isinstance(b, list) and len(a) == len(b) and all(map(same, a, b))
        if isinstance(a, np.generic):
            a = a.item()
        if isinstance(a, float) and not math.isfinite(a):
            return b is None
        return a == b

    assert same(value, json.loads(text))


def test_strict_json_arrays_and_unknown_objects() -> None:
    assert strict(np.array([1.5, np.nan])) == [1.5, None]
    assert strict((np.datetime64("2024-01-01T07:10:09"),)) == ["2024-01-01 07:10:09"]
