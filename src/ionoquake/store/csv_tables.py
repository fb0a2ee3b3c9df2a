"""CSV tables in the one time convention, and reading them back inside ionoquake.

Every CSV ionoquake writes goes through :func:`write_csv`: time columns (``datetime64``,
naive UTC inside ionoquake, or aware) become :func:`ionoquake.times.iso_utc_series` text,
``YYYY-MM-DDTHH:MM:SS.fffZ`` (24 characters, so ``pandas.to_datetime`` reads a column
without a format and gets UTC-aware times). :func:`read_csv` reads such a table back as
ionoquake works with it: the named time columns as naive UTC ``datetime64[ns]``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ionoquake.atomic import atomic_path
from ionoquake.times import as_datetime64, iso_utc_series

__all__ = ["read_csv", "with_iso_times", "write_csv"]


def with_iso_times(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose time columns are ISO 8601 UTC text (``…Z``, milliseconds)."""
    out = table.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = iso_utc_series(out[column]).to_numpy()
    return out


def write_csv(table: pd.DataFrame, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write ``table`` as CSV (atomically, no index), times as :func:`with_iso_times`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        with_iso_times(table).to_csv(tmp, index=False, **options)
    return path


def read_csv(path: str | os.PathLike[str], times: Sequence[str] = ()) -> pd.DataFrame:
    """Read a CSV ionoquake wrote; ``times`` columns as naive UTC ``datetime64[ns]``.

    Any ISO 8601 form is accepted (``Z``, an offset, or none: taken as UTC).
    """
    table = pd.read_csv(path)
    for column in times:
        if column in table.columns:
            table[column] = as_datetime64(table[column])
    return table
