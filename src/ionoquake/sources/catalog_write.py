"""Write a catalogue table to Parquet, CSV or QuakeML 1.2.

The format follows the file name's suffix (``.parquet``, ``.csv``, ``.xml`` or
``.quakeml``) unless given. Files are written atomically. CSV files carry the
table's own column names (times as :func:`ionoquake.times.iso_utc`, ``…Z`` with
milliseconds; Parquet timestamps UTC-aware), so that
:func:`ionoquake.sources.catalog.read` reads them back unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import pandas as pd

from ionoquake.atomic import atomic_path
from ionoquake.sources import quakeml
from ionoquake.sources.catalog_table import CORE_COLUMNS, CatalogError
from ionoquake.times import iso_utc_series

__all__ = ["write"]

Format = Literal["parquet", "csv", "quakeml"]
_SUFFIXES: dict[str, Format] = {".parquet": "parquet", ".csv": "csv", ".xml": "quakeml",
                                ".quakeml": "quakeml"}


def write(catalog: pd.DataFrame, path: str | os.PathLike[str], *,
          format: Format | None = None) -> Path:
    """Write ``catalog`` to ``path`` as Parquet, CSV or QuakeML 1.2; return the path.

    Raises
    ------
    CatalogError
        The table is not a catalogue table, or the format is unknown.
    """
    path = Path(path)
    missing = [c for c in CORE_COLUMNS if c not in catalog.columns]
    if missing:
        raise CatalogError(f"{path.name}: table to write lacks column(s) {missing}")
    fmt = format or _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise CatalogError(f"{path.name}: cannot tell the format from the suffix; "
                           f"use one of {', '.join(_SUFFIXES)} or pass format=")
    with atomic_path(path) as tmp:
        if fmt == "parquet":  # timestamps UTC-aware (the catalogue reader makes them naive)
            out = catalog.copy()
            for column in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[column]):
                    out[column] = pd.to_datetime(out[column], utc=True)
            out.to_parquet(tmp, index=False)
        elif fmt == "csv":
            out = catalog.copy()
            for column in out.columns:
                if pd.api.types.is_datetime64_any_dtype(out[column]):
                    out[column] = iso_utc_series(out[column]).to_numpy()
            out.to_csv(tmp, index=False, float_format="%.10g")
        else:
            quakeml.write(catalog, tmp)
    return path
