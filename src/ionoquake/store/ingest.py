"""One ``ingest`` for every kind of file: recognise it, then store it where it belongs.

IONEX and CDF maps go to the Zarr map archive (:mod:`ionoquake.store.maps`),
space-weather index files to the index tables (:mod:`ionoquake.store.indices`),
two-line element sets to the TLE table (:mod:`ionoquake.store.tles`), earthquake
catalogues to the catalogue table (:mod:`ionoquake.store.catalogs`).
Each is idempotent and atomic on its own. The TLE sniff (a ``1 NNNNN`` line followed
by its ``2 NNNNN`` line) comes after the map and index sniffs and before the catalogue
one, which would only reject a TLE file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ionoquake.errors import IonoquakeError
from ionoquake.sources import catalog, indices, tle
from ionoquake.sources.catalog_table import CatalogError
from ionoquake.store import catalogs, maps, tles
from ionoquake.store.indices import ingest_indices


@dataclass(frozen=True)
class Ingested:
    """What ingesting one file did: its kind (``maps``, ``indices``, ``tle``, ``catalog``),
    ``status``."""

    path: Path
    kind: str
    status: str  # "added", "replaced" or "unchanged"
    detail: str


def ingest_path(store: str | os.PathLike[str], path: str | os.PathLike[str], *,
                product: str | None = None, catalog_name: str = "events") -> Ingested:
    """Recognise ``path`` and ingest it into ``store``."""
    path = Path(path)
    if not path.is_file():
        raise IonoquakeError(f"{path}: no such file")
    if maps.is_map_file(path):
        r = maps.ingest_file(store, path, product=product)
        return Ingested(path, "maps", r.status, f"{r.product} {r.day}: {r.n_maps} maps")
    if indices.can_read(path):
        (w,) = ingest_indices(store, [path])
        status = "unchanged" if not w.changed else ("added" if w.rows_added else "replaced")
        return Ingested(path, "indices", status, f"{w.path.stem}: {w.rows_total} hours")
    if tle.can_read(path):
        w = tles.ingest_tle_files(store, [path])
        status = "unchanged" if not w.changed else ("added" if w.rows_added else "replaced")
        return Ingested(path, "tle", status, f"{w.rows_total} element sets")
    try:
        catalog.sniff(path)
    except CatalogError:
        raise IonoquakeError(
            f"{path}: not a file ionoquake can ingest (IONEX or CDF maps; space-weather "
            f"indices: {', '.join(indices.FORMATS)}; two-line element sets; earthquake "
            f"catalogues: {', '.join(catalog.FORMATS)})") from None
    w = catalogs.ingest_files(store, [path], name=catalog_name)
    status = "unchanged" if not w.changed else ("added" if w.rows_added else "replaced")
    return Ingested(path, "catalog", status, f"{catalog_name}: {w.rows_total} events")


def ingest_paths(store: str | os.PathLike[str], paths: Sequence[str | os.PathLike[str]], *,
                 product: str | None = None, catalog_name: str = "events",
                 advance: Callable[[], None] | None = None) -> list[Ingested]:
    """:func:`ingest_path` for each file in turn, after removing leftovers of killed ingests.

    ``advance`` is called after each file (a progress bar).
    """
    maps.clean(store)
    results = []
    for path in paths:
        results.append(ingest_path(store, path, product=product, catalog_name=catalog_name))
        if advance is not None:
            advance()
    return results
