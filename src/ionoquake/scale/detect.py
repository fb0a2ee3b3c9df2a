"""Anomaly detection over the whole archive as a Dask graph, written back by partition.

The background of UT day ``d`` uses the days ``d-N .. d-1`` only
(:mod:`ionoquake.detect.background`), and every cell is computed on its own. So the
archive is cut into **blocks of consecutive UT days**; the task of a block reads
its days plus a halo of the ``N + 1`` days before it
(:func:`ionoquake.detect.background.preceding_days`: one more for a 24:00 map filed
under the previous day) and one day after (whose 00:00 map replaces a 24:00 one, as
:func:`ionoquake.sources.gim.combine_days` does), runs the in-process
:func:`ionoquake.detect.anomalies.detect_anomalies` on it, band of latitudes by band
of latitudes to bound its memory, and keeps only the epochs of its own days. No
block or band boundary can change a value: the results equal the in-process run on
the whole series bit for bit (``tests/scale``).

Output, one Zarr partition per UT month (default) or UT day of the epochs::

    <store>/anomalies/<product>/<run id>/<YYYY>/<YYYY-MM>.zarr   (or <YYYY-MM-DD>.zarr)
    <store>/anomalies/<product>/<run id>/run.json      the settings behind the run id
    <store>/anomalies/<product>/<run id>/writes.jsonl  one line per partition written

The run id is a hash of the settings (background configuration, tolerance, quiet
rules, index table), so runs with other settings never mix. Each partition records
a signature of the map partitions it was computed from; it is written atomically
(:func:`ionoquake.atomic.atomic_path`) and skipped when present with the same
signature: a rerun writes nothing, a killed run resumes where it stopped, and a
worker lost mid-block costs only that block's unwritten days (Dask reruns the task
elsewhere; the partitions it had written are not written again).

Why months by default: creating a Zarr partition costs ~0.03-0.1 s of metadata
whatever its size (16 arrays; :class:`ionoquake.scale.anomaly_partitions.PartitionWriter`),
several times the detection of a day of a 2.5° x 5° grid. For 1°, 15-minute maps
(~0.3 GB per day for all output variables) use ``period="day"``.

I/O: a task reads its days' chunk files directly (:func:`ionoquake.scale.archive.read_span`)
and writes each band as whole chunk files (:mod:`ionoquake.scale.zarr_chunks`), in a
second thread while the next band is detected; the floats are written uncompressed
(``anomaly_partitions.FLOAT_COMPRESSORS``: they are noise in their low bits).

Worker memory: with numba installed the tasks run the compiled background kernel
(:mod:`ionoquake.detect.background_kernel`, the same numbers bit for bit), whose numba
and LLVM libraries add ~155 MiB of resident memory to each worker process; set
``IONOQUAKE_KERNEL=numpy`` in the workers' environment where memory is tighter than
speed. :attr:`DetectionRun.phases` says where the tasks' time went (read, detect,
write, finish).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.atomic import atomic_path, remove_stale_temporaries, write_bytes_atomic
from ionoquake.detect.anomalies import (
    DEFAULT_RULES,
    ON_BOUND_TOLERANCE_TECU,
    detect_anomalies,
)
from ionoquake.detect.background import DEFAULT_CONFIG, BackgroundConfig, preceding_days
from ionoquake.detect.quiet import QuietRules
from ionoquake.errors import StoreError
from ionoquake.scale.anomaly_partitions import PartitionWriter, journal
from ionoquake.scale.archive import local_path, read_span
from ionoquake.scale.cluster import errors_returned, raise_returned, reused_heap
from ionoquake.store import maps as map_store

_DAY = np.timedelta64(1, "D")
Period = Literal["day", "month"]
#: Epoch-by-cell values per latitude band of a task (bounds a task's memory, ~4 MB a variable).
BAND_SAMPLES = 1 << 20
#: Input a task aims at, its halo included (bytes): see :func:`auto_block_days`.
TASK_INPUT_BYTES = 1 << 30


@dataclass(frozen=True)
class DetectionSettings:
    """Everything a detection result depends on besides the maps."""

    config: BackgroundConfig = DEFAULT_CONFIG
    rules: QuietRules = DEFAULT_RULES
    tolerance_tecu: float = ON_BOUND_TOLERANCE_TECU
    indices_digest: str = "none"

    def run_id(self) -> str:
        """A short hash naming the output folder of these settings."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]

    def to_dict(self) -> dict[str, Any]:
        return {"background": asdict(self.config), "rules": asdict(self.rules),
                "tolerance_tecu": self.tolerance_tecu, "indices": self.indices_digest}


@dataclass(frozen=True)
class DetectionRun:
    """What :func:`detect_archive` did: where, which days, how many samples, how fast."""

    output: Path
    written: tuple[str, ...]
    skipped: tuple[str, ...]
    samples: int
    n_positive: int
    n_negative: int
    seconds: float
    #: Seconds spent by the tasks in each phase: ``read`` (maps in), ``detect``
    #: (background and anomalies), ``write`` (band writes into the Zarr partitions, in a
    #: second thread overlapping the next band's detection), ``finish`` (attributes,
    #: consolidation, journal); summed over all tasks.
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def samples_per_second(self) -> float:
        return self.samples / self.seconds if self.seconds > 0 else float("nan")


def indices_digest(indices: pd.DataFrame | None) -> str:
    """A content hash of the index table (part of the run id), or ``"none"``."""
    if indices is None:
        return "none"
    hashed = pd.util.hash_pandas_object(indices, index=True).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()[:16]


def output_root(store: str | os.PathLike[str], product: str, settings: DetectionSettings) -> Path:
    """The folder of the detection run of ``settings`` on ``product``."""
    return local_path(store) / "anomalies" / product / settings.run_id()


def period_key(day: np.datetime64, period: Period) -> str:
    """The partition name of a UT day: ``YYYY-MM`` (month) or ``YYYY-MM-DD`` (day)."""
    return str(day.astype("datetime64[M]" if period == "month" else "datetime64[D]"))


def output_partition(root: Path, key: str) -> Path:
    """The Zarr folder of partition ``key`` (``YYYY-MM`` or ``YYYY-MM-DD``)."""
    return root / key[:4] / f"{key}.zarr"


def _signatures(store: str | os.PathLike[str], product: str, units: dict[str, list[np.datetime64]],
                window_days: int) -> dict[str, str]:
    """Per partition: a hash of the SHA-256s of the map partitions it is computed from."""
    table = map_store.partitions(local_path(store), product)
    sha = {np.datetime64(d.date(), "D"): s for d, s in zip(table["day"], table["sha256"],
                                                           strict=True)}
    out = {}
    for key, days in units.items():
        span = np.arange(days[0] - preceding_days(window_days) * _DAY, days[-1] + 2 * _DAY,
                         _DAY)
        text = ",".join(f"{d}:{sha.get(d, '-')}" for d in span)
        out[key] = hashlib.sha256(text.encode()).hexdigest()[:16]
    return out


def stored_signature(partition: Path) -> str | None:
    """The input signature of a written output partition (None if absent or unreadable)."""
    meta = partition / "zarr.json"
    if not meta.exists():
        return None
    try:
        prov = json.loads(json.loads(meta.read_text())["attributes"]["provenance"])
        return str(prov["inputs"])
    except (KeyError, ValueError, TypeError):
        return None


def _band_slices(n_time: int, n_lat: int, n_lon: int) -> list[slice]:
    rows = max(1, BAND_SAMPLES // max(1, n_time * n_lon))
    return [slice(r, r + rows) for r in range(0, n_lat, rows)]


def detect_block(store: str, product: str, units: dict[str, list[np.datetime64]],
                 signatures: dict[str, str], settings: DetectionSettings,
                 indices: pd.DataFrame | None = None, threads: int = 1) -> dict[str, Any]:
    """The task: detect and write the output partitions ``units`` (key -> its UT days).

    The units must be consecutive. Partitions already there with the same signature
    are skipped. The block is detected latitude band by latitude band and each band
    written straight into the partitions' temporaries (in a second thread, while the
    next band is detected), which are renamed into place together at the end (a
    killed task leaves none of them). Returns ``{"written":
    [...], "skipped": [...], "samples", "n_positive", "n_negative", "phases"}``.
    In a Dask worker the task keeps its freed memory while it runs
    (:func:`ionoquake.scale.cluster.reused_heap`).
    """
    with reused_heap():
        return _detect_block(store, product, units, signatures, settings, indices, threads)


def _detect_block(store: str, product: str, units: dict[str, list[np.datetime64]],
                  signatures: dict[str, str], settings: DetectionSettings,
                  indices: pd.DataFrame | None, threads: int) -> dict[str, Any]:
    root = output_root(store, product, settings)
    todo = {k: v for k, v in units.items()
            if stored_signature(output_partition(root, k)) != signatures[k]}
    phases = dict.fromkeys(("read", "detect", "write", "finish"), 0.0)
    summary: dict[str, Any] = {"written": [], "skipped": [k for k in units if k not in todo],
                               "samples": 0, "n_positive": 0, "n_negative": 0,
                               "phases": phases}
    if not todo:
        return summary
    first = min(v[0] for v in todo.values())
    last = max(v[-1] for v in todo.values())
    halo = preceding_days(settings.config.window_days)
    clock = time.perf_counter()
    maps = read_span(store, product, first - halo * _DAY, last + _DAY, variables=("tec",))
    if maps is None:
        return summary
    tec = maps["tec"].load()
    phases["read"] += time.perf_counter() - clock
    bands = _band_slices(tec.sizes["time"], tec.sizes["lat"], tec.sizes["lon"])
    extra = {k: v for k, v in maps.attrs.items() if not isinstance(v, list)}
    written: list[tuple[str, dict[str, Any]]] = []
    with ExitStack() as stack:  # renames every partition written into place, or none

        def opener(key: str) -> Callable[[], Path]:
            return lambda: stack.enter_context(atomic_path(output_partition(root, key)))

        prototypes: dict[str, dict[str, Any]] = {}  # array metadata shared by the writers
        writers = {key: PartitionWriter(opener(key), tec["lat"], bands[0].stop, prototypes)
                   for key in todo}

        def write_band(found: xr.Dataset, band: slice) -> None:
            clock = time.perf_counter()
            epoch_days = found["time"].values.astype("datetime64[D]")  # sorted
            for key, days in todo.items():
                writers[key].write(found.isel(time=slice(
                    np.searchsorted(epoch_days, days[0]),
                    np.searchsorted(epoch_days, days[-1], side="right"))), band)
            phases["write"] += time.perf_counter() - clock

        # Band i is written in a second thread while band i+1 is detected (at most one
        # band waits: one more band of results in memory); the writes are in band order.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending: Future[None] | None = None
            try:
                for band in bands:
                    clock = time.perf_counter()
                    found = detect_anomalies(tec.isel(lat=band), settings.config,
                                             indices=indices, rules=settings.rules,
                                             tolerance_tecu=settings.tolerance_tecu,
                                             workers=threads)
                    phases["detect"] += time.perf_counter() - clock
                    if pending is not None:
                        pending.result()
                    pending = pool.submit(write_band, found, band)
                    del found
                if pending is not None:
                    pending.result()
            finally:  # no write may outlive the temporaries it writes into
                if pending is not None:
                    wait([pending])
        clock = time.perf_counter()
        for key, writer in writers.items():
            if writer.created:  # a partition without an epoch in the block is not written
                written.append((key, writer.finish(extra, signatures[key], settings.run_id())))
                summary["samples"] += writer.counts["samples"]
    for key, attrs in written:
        journal(root, key, attrs["provenance"])
        summary["written"].append(key)
        summary["n_positive"] += attrs["n_positive"]
        summary["n_negative"] += attrs["n_negative"]
    phases["finish"] += time.perf_counter() - clock
    return summary


def auto_block_days(store: str | os.PathLike[str], product: str, day: np.datetime64,
                    window_days: int) -> int:
    """Days per task: as many as keep a task's input (with its halo) near TASK_INPUT_BYTES.

    At most 92 (a quarter: the 17-day halo then costs 18 % of the work, where a month
    spent 55 %), at least 1. A 2.5 x 5 degree hourly archive (0.5 MB a day) gets 92;
    a 1 degree, 15-minute one (25 MB a day) 23. Results are held one latitude band at
    a time, so the input is most of a task's memory.
    """
    part = map_store.partition_path(local_path(store), product, day)
    meta = json.loads((part / "tec" / "zarr.json").read_text())
    day_bytes = 4 * math.prod(meta["shape"])
    fits = TASK_INPUT_BYTES // max(day_bytes, 1) - (preceding_days(window_days) + 1)
    return int(min(92, max(1, fits)))


def plan_blocks(units: dict[str, list[np.datetime64]], block_days: int
                ) -> list[dict[str, list[np.datetime64]]]:
    """Consecutive partitions grouped into tasks of about ``block_days`` days (at least one)."""
    blocks: list[dict[str, list[np.datetime64]]] = []
    previous = None
    for key, days in units.items():
        size = sum(len(v) for v in blocks[-1].values()) if blocks else 0
        if blocks and previous is not None and days[0] - previous == _DAY and \
                size + len(days) <= block_days:
            blocks[-1][key] = days
        else:
            blocks.append({key: days})
        previous = days[-1]
    return blocks


def detect_archive(store: str | os.PathLike[str], product: str,
                   config: BackgroundConfig = DEFAULT_CONFIG, *, start: str | None = None,
                   end: str | None = None, indices: pd.DataFrame | None = None,
                   rules: QuietRules = DEFAULT_RULES,
                   tolerance_tecu: float = ON_BOUND_TOLERANCE_TECU, period: Period = "month",
                   block_days: int | None = None, client: Any = None,
                   threads_per_task: int = 1,
                   on_progress: Callable[[int, int], None] | None = None) -> DetectionRun:
    """Detect anomalies on every stored day of ``product`` and write them by partition.

    Parameters
    ----------
    store
        The archive (a local path or ``file://`` URL; see :mod:`ionoquake.scale.archive`).
    product
        The map series, e.g. ``"jplg"``.
    config, indices, rules, tolerance_tecu
        As for :func:`ionoquake.detect.anomalies.detect_anomalies`.
    start, end
        First and last UT day to write (inclusive); the halo before ``start`` is read.
    period
        ``"month"`` or ``"day"``: the output partition (see the module docstring).
    block_days
        Days per task, in whole partitions; None for :func:`auto_block_days`. A task
        also reads and detects ``preceding_days(window_days) + 1`` halo days.
    client
        A ``distributed.Client``; None runs the blocks one after the other in-process.
    threads_per_task
        Threads of the numpy kernel inside one task (1 on a worker with ``--nthreads 1``).
    on_progress
        Called with ``(blocks done, blocks)`` as blocks finish.

    Returns
    -------
    DetectionRun
        The output folder, the partitions written and skipped, samples, counts, wall time.
    """
    began = time.perf_counter()
    settings = DetectionSettings(config, rules, tolerance_tecu, indices_digest(indices))
    root = output_root(store, product, settings)
    stored = map_store.stored_days(local_path(store), product)
    if not stored:
        raise StoreError(f"{store}: no maps of product {product!r}")
    lo = np.datetime64(start, "D") if start else stored[0]
    hi = np.datetime64(end, "D") if end else stored[-1] + _DAY
    # Epochs are filed by their own UT day: a 24:00 map makes the next day an output day too.
    units: dict[str, list[np.datetime64]] = {}
    for day in np.arange(stored[0], stored[-1] + 2 * _DAY, _DAY):
        if lo <= day <= hi:
            units.setdefault(period_key(day, period), []).append(day)
    signatures = _signatures(store, product, units, config.window_days)
    root.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(root)  # of a killed run; one run per output folder at a time
    if not (root / "run.json").exists():
        write_bytes_atomic(root / "run.json", json.dumps(settings.to_dict(), indent=1).encode())
    todo = {k: v for k, v in units.items()
            if stored_signature(output_partition(root, k)) != signatures[k]}
    if block_days is None:
        block_days = auto_block_days(store, product, stored[0], config.window_days)
    blocks = plan_blocks(todo, block_days)
    args = (str(store), product)
    summaries: list[dict[str, Any]] = []
    if client is None:
        for i, block in enumerate(blocks):
            summaries.append(detect_block(*args, block, signatures, settings, indices,
                                          threads_per_task))
            if on_progress:
                on_progress(i + 1, len(blocks))
    else:
        from distributed import as_completed

        shared = (client.scatter(indices, broadcast=True, hash=False)
                  if indices is not None else None)
        task = errors_returned(detect_block)  # bad input: no retry, no worker traceback
        futures = [client.submit(task, *args, block, {k: signatures[k] for k in block},
                                 settings, shared, threads_per_task, pure=False,
                                 key=f"detect-{product}-{next(iter(block))}-{settings.run_id()}",
                                 retries=2)
                   for block in blocks]
        for i, future in enumerate(as_completed(futures)):
            summaries.append(raise_returned(future.result(), client, futures))
            if on_progress:
                on_progress(i + 1, len(blocks))
    written = tuple(sorted(k for s in summaries for k in s["written"]))
    skipped = tuple(sorted(set(units) - set(written)))
    phases = {name: sum(s["phases"][name] for s in summaries)
              for name in ("read", "detect", "write", "finish")}
    return DetectionRun(root, written, skipped, sum(s["samples"] for s in summaries),
                        sum(s["n_positive"] for s in summaries),
                        sum(s["n_negative"] for s in summaries), time.perf_counter() - began,
                        phases)


def open_anomalies(root: str | os.PathLike[str]) -> xr.Dataset:
    """The anomaly partitions of a detection run folder, concatenated lazily along time."""
    parts = sorted(p for p in Path(root).glob("*/*.zarr") if not p.name.startswith("."))
    if not parts:
        raise StoreError(f"{root}: no anomaly partitions")
    days = [xr.open_zarr(p, consolidated=True, chunks={}) for p in parts]
    return xr.concat(days, "time", data_vars="all", coords="minimal", compat="override",
                     join="override", combine_attrs="drop")
