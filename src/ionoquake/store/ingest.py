"""One ``ingest`` for every kind of file: recognise it, then store it where it belongs.

The file is recognised by :func:`ionoquake.sources.registry.sniff` (its content, not its
name), and stored by the function of its reader's *kind* in :data:`STORE_BY_KIND`: maps
(IONEX, CDAWeb GIM CDF, ...) go to the Zarr map archive (:mod:`ionoquake.store.maps`),
space-weather index files to the index tables (:mod:`ionoquake.store.indices`),
two-line element sets to the TLE table (:mod:`ionoquake.store.tles`), earthquake
catalogues to the catalogue table (:mod:`ionoquake.store.catalogs`).
Each is idempotent and atomic on its own. The registry asks the sniffs kind by kind
(:data:`ionoquake.sources.registry.KINDS`): the TLE sniff (a ``1 NNNNN`` line followed
by its ``2 NNNNN`` line) comes after the map and index sniffs and before the catalogue
ones, which would only reject a TLE file. Along-track satellite files are recognised
but not stored: ingesting one is refused with a message that says what can be ingested.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ionoquake.errors import IonoquakeError
from ionoquake.sources import registry
from ionoquake.store import catalogs, maps, tables, tles
from ionoquake.store.indices import ingest_indices
from ionoquake.store.location import check_name

StorePath = str | os.PathLike[str]


@dataclass(frozen=True)
class Ingested:
    """What ingesting one file did: its kind (``maps``, ``indices``, ``tle``, ``catalog``),
    ``status``."""

    path: Path
    kind: str
    status: str  # "added", "replaced", "unchanged" or "refused" (``detail`` says why)
    detail: str


def _table_status(changed: bool, rows_added: int) -> str:
    return "unchanged" if not changed else ("added" if rows_added else "replaced")


def _ingest_maps(store: StorePath, path: Path, product: str | None,
                 catalog_name: str) -> Ingested:
    r = maps.ingest_file(store, path, product=product)
    return Ingested(path, "maps", r.status, f"{r.product} {r.day}: {r.n_maps} maps")


def _ingest_indices(store: StorePath, path: Path, product: str | None,
                    catalog_name: str) -> Ingested:
    (w,) = ingest_indices(store, [path])
    return Ingested(path, "indices", _table_status(w.changed, w.rows_added),
                    f"{w.path.stem}: {w.rows_total} hours")


def _ingest_tle(store: StorePath, path: Path, product: str | None,
                catalog_name: str) -> Ingested:
    w = tles.ingest_tle_files(store, [path])
    return Ingested(path, "tle", _table_status(w.changed, w.rows_added),
                    f"{w.rows_total} element sets")


def _ingest_catalog(store: StorePath, path: Path, product: str | None,
                    catalog_name: str) -> Ingested:
    w = catalogs.ingest_files(store, [path], name=catalog_name)
    return Ingested(path, "catalog", _table_status(w.changed, w.rows_added),
                    f"{catalog_name}: {w.rows_total} events")


def _ingest_tec(store: StorePath, path: Path, product: str | None,
                catalog_name: str) -> Ingested:
    """Line-of-sight TEC (the Madrigal export) into the receiver-TEC archive; the network
    is ``product`` or the reader's name of it (``madrigal``)."""
    import json

    from ionoquake.store import gnss_tec
    from ionoquake.store.provenance import sha256_of

    tec = registry.read(path)
    network = product or str(tec.attrs.get("network", "madrigal"))
    sha = sha256_of(path)
    day = tec["time"].values[0]
    if gnss_tec.day_path(store, network, day).is_file():
        stored = gnss_tec.read_day(store, network, day).attrs.get("provenance", "{}")
        if sha in json.dumps(json.loads(stored)):
            return Ingested(path, "tec", "unchanged", f"{network}: already stored")
    written = gnss_tec.write(store, tec, network=network)
    return Ingested(path, "tec", "added",
                    f"{network}: {tec.sizes['receiver']} receivers, {len(written)} day(s)")


#: How each kind of the reader registry is stored: ``(store, path, product, catalog_name)``.
STORE_BY_KIND: dict[registry.Kind, Callable[[StorePath, Path, str | None, str], Ingested]] = {
    "maps": _ingest_maps,
    "indices": _ingest_indices,
    "tle": _ingest_tle,
    "catalog": _ingest_catalog,
    "tec": _ingest_tec,
}


def ingestable() -> str:
    """What can be ingested, in words: each stored kind with the registry's formats of it."""
    return "; ".join(f"{registry.KIND_NAMES[kind]}: {', '.join(registry.formats(kind))}"
                     for kind in registry.KINDS if kind in STORE_BY_KIND)


def ingest_path(store: StorePath, path: str | os.PathLike[str], *,
                product: str | None = None, catalog_name: str = "events") -> Ingested:
    """Recognise ``path`` and ingest it into ``store``."""
    path = Path(path)
    if product is not None:
        check_name("product", product)
    check_name("table name", catalog_name)
    if not path.is_file():
        raise IonoquakeError(f"{path}: no such file")
    reader = registry.sniff(path)
    if reader is None:
        raise IonoquakeError(f"{path}: not a file ionoquake can ingest ({ingestable()})")
    if reader.kind not in STORE_BY_KIND:
        raise IonoquakeError(
            f"{path}: {reader.name} ({reader.description}): the archive does not store "
            f"{registry.KIND_NAMES[reader.kind]}; ionoquake can ingest {ingestable()}")
    return STORE_BY_KIND[reader.kind](store, path, product, catalog_name)


def ingest_paths(store: StorePath, paths: Sequence[str | os.PathLike[str]], *,
                 product: str | None = None, catalog_name: str = "events",
                 advance: Callable[[], None] | None = None,
                 keep_going: bool = False) -> list[Ingested]:
    """:func:`ingest_path` for each file in turn, after finishing what killed ingests left.

    ``advance`` is called after each file (a progress bar). With ``keep_going``, a file
    that cannot be ingested (an :class:`~ionoquake.errors.IonoquakeError`) is reported
    as ``status="refused"`` with the error in ``detail`` and the next file is ingested;
    without it the error is raised (the files before it stay ingested).
    """
    if product is not None:
        check_name("product", product)
    check_name("table name", catalog_name)
    maps.clean(store)
    tables.clean(store)
    results = []
    for path in paths:
        try:
            results.append(ingest_path(store, path, product=product,
                                       catalog_name=catalog_name))
        except IonoquakeError as exc:
            if not keep_going:
                raise
            results.append(Ingested(Path(path), "", "refused", str(exc)))
        if advance is not None:
            advance()
    return results
