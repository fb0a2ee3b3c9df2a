"""Values made fit for strict JSON (RFC 8259): no NaN, no ±inf, no numpy types.

The outputs of the jobs and the API answers are written with ``allow_nan=False``; this is the
one conversion they share. Non-finite floats become ``null`` (where ±inf must survive a round
trip, :mod:`ionoquake.evaluate.results` marks them beside the value); numpy scalars and arrays
become Python numbers and lists; mappings get string keys; any other object its ``str``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["strict"]


def strict(value: Any) -> Any:
    """``value`` with non-finite numbers as None and numpy values as Python ones.

    >>> strict({"a": np.float32("nan"), 1: [np.int64(2), float("inf")], "b": np.arange(2)})
    {'a': None, '1': [2, None], 'b': [0, 1]}
    """
    if isinstance(value, dict):
        return {str(k): strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [strict(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
