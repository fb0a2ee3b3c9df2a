"""Ingest on a Dask cluster: map files parsed and written by the workers, tables by the caller.

Map files (IONEX, CDAWeb GIM CDF) are the slow part of an ingest (parsing, then
writing one Zarr partition per file) and independent of one another, so each
becomes a task. Files that land in the same ``(product, UT day)`` partition, e.g.
a rapid and a final version of one day, go into **one** task and are ingested one
after the other in the order given: two versions of a day are never written at
the same time, and the later one replaces the earlier exactly as in-process.
The partition is found from the IONEX header (``EPOCH OF FIRST MAP``) and the
header or file name (:func:`ionoquake.sources.ionex_product.product_of`); only CDF files, or IONEX
headers without that record, are read whole by the submitting process to find it.

Catalogue and index files write shared tables, so they are ingested in the
submitting process after the map tasks, in the order given.

A worker killed mid-task loses nothing that was written: each partition is written
under a temporary name and renamed into place (:func:`ionoquake.store.maps.ingest_file`),
so the store holds whole days only; the scheduler reruns the task on another
worker, which finds the days already written unchanged (same SHA-256) and writes
the rest. Task keys are derived from the files (path, size, modification time) and
the state of their target partition, so an ingest of the same files submitted
twice at once runs once, and a later rerun starts afresh.

The store must be on a file system that every worker sees at the same path (NFS,
Lustre, a shared volume); :func:`ingest_on` checks that the workers see it before
submitting anything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ionoquake.errors import IonoquakeError, StoreError
from ionoquake.sources import ionex, ionex_product
from ionoquake.store import maps
from ionoquake.store.ingest import Ingested, ingest_path
from ionoquake.store.location import split_url

__all__ = ["check_workers_see", "ingest_map_files", "ingest_on", "map_tasks", "partition_of",
           "shared_store"]



def shared_store(store: str | os.PathLike[str]) -> Path:
    """The store as an absolute local path, as the workers will be given it.

    A relative path is resolved against the current directory here: the workers'
    current directories are not this one. ``file://`` URLs are paths; other URLs
    (object stores) are refused: the workers write partitions by atomic rename.
    """
    scheme, path = split_url(store)
    if scheme not in (None, "file"):
        raise StoreError(f"{store}: distributed ingest writes the store from the workers, so "
                         "it must be a path on a file system they all share (not an object "
                         "store URL); see docs/scale.md")
    return Path(path).expanduser().resolve()


def partition_of(path: Path, product: str | None = None) -> tuple[str, str]:
    """``(product, UT day)`` of the archive partition a map file goes to.

    Cheap for IONEX (the header's first epoch and the file name, as
    :func:`ionoquake.store.maps.ingest_file` guesses them); other map files are read.
    """
    # The header sniff is the one ingest_file itself uses for its "unchanged" shortcut.
    day = maps.first_epoch_day(path) if ionex.can_read(path) else None
    if day is not None:
        return product or ionex_product.product_of(path), str(day)
    ds = maps.read_map_file(path)
    return product or str(ds.attrs["product"]), str(np.datetime64(ds["time"].values[0], "D"))


def map_tasks(paths: Sequence[Path], product: str | None = None
              ) -> dict[tuple[str, str], list[int]]:
    """Positions in ``paths`` of the map files of each partition, in the order given.

    One entry per task; the partitions appear in the order of their first file.
    """
    tasks: dict[tuple[str, str], list[int]] = {}
    for i, path in enumerate(paths):
        tasks.setdefault(partition_of(path, product), []).append(i)
    return tasks


def ingest_map_files(store: str, paths: list[str], product: str | None = None,
                     keep_going: bool = False) -> list[Ingested]:
    """The task: ingest map files of one partition, one after the other (on a worker).

    With ``keep_going`` a file that cannot be ingested is reported ``refused`` (as by
    :func:`ionoquake.store.ingest.ingest_paths`) instead of failing the task.
    """
    host = socket.gethostname()
    if not Path(store).is_dir():
        raise StoreError(f"{store}: no such folder on {host}: distributed ingest needs the "
                         "store on a file system shared by all workers")
    results = []
    for name in paths:
        if not Path(name).is_file():
            raise IonoquakeError(f"{name}: no such file on {host}: distributed ingest needs the "
                                 "input files on a file system shared by all workers")
        results.append(_ingest_one(store, name, keep_going, product=product))
    return results


def _ingest_one(store: str | os.PathLike[str], path: str | os.PathLike[str], keep_going: bool,
                **options: Any) -> Ingested:
    try:
        return ingest_path(store, path, **options)
    except IonoquakeError as exc:
        if not keep_going:
            raise
        return Ingested(Path(path), "", "refused", str(exc))


def _task_key(root: Path, partition: tuple[str, str], files: list[Path],
              product: str | None) -> str:
    """Deterministic key: the files (path, size, mtime) and their target's current state."""
    target = maps.partition_path(root, partition[0], np.datetime64(partition[1]))
    meta = target / "zarr.json"
    state = meta.stat().st_mtime_ns if meta.exists() else None
    described = [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    text = json.dumps([str(root), product, described, state])
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"ingest-{partition[0]}-{partition[1]}-{digest}"


def _reads_token(path: str, token: str) -> bool:
    try:
        return Path(path).read_text() == token
    except OSError:
        return False


def check_workers_see(client: Any, root: Path) -> None:
    """Raise unless every worker reads a file just written to ``root`` here."""
    root.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    probe = root / f".shared-check-{token[:8]}"
    probe.write_text(token)
    try:
        seen = client.run(_reads_token, str(probe), token)
    finally:
        probe.unlink(missing_ok=True)
    blind = sorted(worker for worker, ok in seen.items() if not ok)
    if blind:
        raise StoreError(f"{root}: not visible to the worker(s) {', '.join(blind)}; distributed "
                         "ingest needs the store on a file system all workers share, at the "
                         "same path")


def ingest_on(client: Any, store: str | os.PathLike[str],
              paths: Sequence[str | os.PathLike[str]], *, product: str | None = None,
              catalog_name: str = "events",
              progress: Callable[[int, int], None] | None = None,
              keep_going: bool = False) -> list[Ingested]:
    """Ingest ``paths`` into ``store``, the map files as tasks on ``client``.

    The store **and the input files** must be on a file system shared by the
    workers, at the same paths (see the module docstring); relative paths are
    resolved here before they are sent.

    Parameters
    ----------
    client
        A ``distributed.Client``.
    store
        The archive: a local path or ``file://`` URL on the shared file system.
    paths
        Files of any kind :func:`ionoquake.store.ingest.ingest_path` takes.
    product, catalog_name
        As for :func:`~ionoquake.store.ingest.ingest_path`.
    progress
        Called with ``(files done, files)`` as the scheduler reports tasks finished,
        then as each table file is ingested.
    keep_going
        Report a file that cannot be ingested as ``refused`` and go on with the others
        (as :func:`~ionoquake.store.ingest.ingest_paths` does), instead of raising.

    Returns
    -------
    list of Ingested
        One per file, in the order of ``paths``: what the in-process loop of
        :func:`~ionoquake.store.ingest.ingest_path` returns (a file whose task was
        rerun after its worker died after writing it reports ``unchanged``).
    """
    from distributed import as_completed

    root = shared_store(store)
    files = [Path(p) for p in paths]
    for path in files:
        if not path.is_file():
            raise IonoquakeError(f"{path}: no such file")
    is_map = [maps.is_map_file(path) for path in files]
    results: list[Ingested | None] = [None] * len(files)
    map_positions = []
    for i, m in enumerate(is_map):
        if not m:
            continue
        try:  # a header that cannot say its partition is refused here, not on a worker
            partition_of(files[i], product)
            map_positions.append(i)
        except IonoquakeError as exc:
            if not keep_going:
                raise
            results[i] = Ingested(files[i], "", "refused", str(exc))
    done = len(files) - len(map_positions) - sum(not m for m in is_map)
    if map_positions:
        tasks = {partition: [map_positions[j] for j in group] for partition, group
                 in map_tasks([files[i] for i in map_positions], product).items()}
        check_workers_see(client, root)
        futures = {}
        for partition, group in tasks.items():
            absolute = [files[i].resolve() for i in group]
            future = client.submit(ingest_map_files, str(root), [str(f) for f in absolute],
                                   product, keep_going,
                                   key=_task_key(root, partition, absolute, product),
                                   pure=False, retries=2)
            futures[future] = group
        try:
            for future in as_completed(futures):
                for i, got in zip(futures[future], future.result(), strict=True):
                    results[i] = dataclasses.replace(got, path=files[i])
                done += len(futures[future])
                if progress:
                    progress(done, len(files))
        finally:
            client.cancel([f for f in futures if not f.done()])
    for i, path in enumerate(files):
        if not is_map[i]:
            results[i] = _ingest_one(root, path, keep_going, product=product,
                                     catalog_name=catalog_name)
            done += 1
            if progress:
                progress(done, len(files))
    return [r for r in results if r is not None]
