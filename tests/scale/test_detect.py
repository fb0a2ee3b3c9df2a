"""Distributed detection equals the in-process detection on the real 55-day JPL series.

Reference: :func:`ionoquake.detect.anomalies.detect_anomalies` on
``ionoquake.store.maps.open_maps`` of the same archive (N = 15 days, quartile bounds);
every variable is compared with ``DataArray.equals`` (bit for bit, NaN where NaN).
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ionoquake.detect.anomalies import detect_anomalies
from ionoquake.scale.detect import detect_archive, open_anomalies
from ionoquake.store import maps
from tests.scale.conftest import Cluster

N_DAYS = 55
#: The span of the killed-worker run: 24 days, 8 tasks of 3 days.
FIRST, LAST = "2000-12-01", "2000-12-24"


@cache
def _reference(store: Path) -> xr.Dataset:
    return detect_anomalies(maps.open_maps(store, "jplg"))


def _assert_equal_to_reference(root: Path, store: Path) -> None:
    got = open_anomalies(root).load()
    ref = _reference(store).sel(time=slice(got["time"].values[0], got["time"].values[-1]))
    assert np.array_equal(got["time"].values, ref["time"].values)
    for name in ref.data_vars:
        assert got[name].equals(ref[name]), name


def _journal(root: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in (root / "writes.jsonl").read_text().splitlines()]


@pytest.mark.parametrize(("period", "block_days", "start", "end"), [
    ("day", 1, "2000-12-06", "2000-12-09"),  # one-day tasks, each with its 17-day halo
    ("day", 4, "2000-11-30", "2000-12-12"),  # the first days (no full window yet) included
    ("month", 62, None, None)])  # two months in one task; one a task: the rerun test
def test_no_block_boundary_changes_a_value(jpl_store: Path, period: str, block_days: int,
                                           start: str | None, end: str | None,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # Latitude bands of 5 rows too, so that the band boundaries are exercised as well.
    monkeypatch.setattr("ionoquake.scale.detect.BAND_SAMPLES", 5 * 73 * 300)
    run = detect_archive(jpl_store, "jplg", period=period, block_days=block_days,  # type: ignore[arg-type]
                         start=start, end=end)
    try:
        if start is None:
            assert run.samples == N_DAYS * 12 * 71 * 73
            assert run.n_positive == _reference(jpl_store).attrs["n_positive"]
        _assert_equal_to_reference(run.output, jpl_store)
    finally:
        shutil.rmtree(run.output)


def test_a_rerun_writes_nothing_and_a_killed_run_resumes(jpl_store: Path) -> None:
    first = detect_archive(jpl_store, "jplg")
    try:
        assert first.written == ("2000-11", "2000-12", "2001-01")
        again = detect_archive(jpl_store, "jplg")
        assert again.written == () and again.skipped == first.written
        # A killed run: one partition missing, a half-written temporary left behind.
        shutil.rmtree(first.output / "2000" / "2000-12.zarr")
        stale = first.output / "2000" / ".2000-12.zarr.tmp-deadbeef"
        stale.mkdir()
        resumed = detect_archive(jpl_store, "jplg")
        assert resumed.written == ("2000-12",) and not stale.exists()
        assert [j["partition"] for j in _journal(first.output)] == [
            "2000-11", "2000-12", "2001-01", "2000-12"]
        _assert_equal_to_reference(first.output, jpl_store)
    finally:
        shutil.rmtree(first.output)


def test_distributed_detection_survives_a_killed_worker(jpl_store: Path, cluster: Cluster
                                                        ) -> None:
    from distributed import Client

    done: list[int] = []
    with Client(cluster.address, timeout="30s") as client:
        result: dict[str, object] = {}

        def run() -> None:
            result["run"] = detect_archive(jpl_store, "jplg", period="day", block_days=3,
                                           start=FIRST, end=LAST,
                                           client=client, on_progress=lambda i, n: done.append(i))

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + 60

        def holders() -> set[str]:  # the workers holding a finished task's summary
            return {w for ws in client.who_has().values() for w in ws}

        # each worker has written a partition: on a loaded machine one worker may end two
        # tasks before the other ends its first, and 2 tasks done would not say it
        while (len(done) < 2 or len(holders()) < 2) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(done) >= 2 and len(holders()) == 2, "the distributed run made no progress"
        cluster.kill(1)
        killed_at = time.time()
        thread.join(120)
        assert not thread.is_alive()
        workers = client.scheduler_info()["workers"]
    assert len(workers) == 1, "the killed worker is still known to the scheduler"
    run_ = result["run"]
    root = run_.output  # type: ignore[attr-defined]
    try:
        partitions = sorted(p.name for p in root.glob("*/*.zarr") if not p.name.startswith("."))
        assert len(partitions) == 24
        journal = _journal(root)
        # Nothing written twice: one journal line per partition, each partition once.
        assert sorted(f"{j['partition']}.zarr" for j in journal) == partitions
        writers = {j["written_by"] for j in journal}
        assert len(writers) == 2, "both workers should have written partitions"
        # Partitions written by the killed worker date from before its death; their
        # provenance is the journal's (none was rewritten by the survivor).
        dead = cluster.workers[1].pid
        for j in journal:
            if j["written_by"].endswith(f":{dead}"):
                assert time.mktime(time.strptime(j["written_at"][:19], "%Y-%m-%dT%H:%M:%S")) \
                    - time.timezone <= killed_at + 1
        _assert_equal_to_reference(root, jpl_store)
    finally:
        shutil.rmtree(root)


def test_blocks_are_sized_by_the_grid(jpl_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ionoquake.scale import detect

    first = np.datetime64("2000-11-21", "D")
    # JPL of 2000: 12 maps (odd hours) of 71 x 73 a day, 0.25 MB: the 92-day cap.
    assert detect.auto_block_days(jpl_store, "jplg", first, 15) == 92
    day_bytes = 4 * 12 * 71 * 73
    monkeypatch.setattr(detect, "TASK_INPUT_BYTES", 25 * day_bytes)
    assert detect.auto_block_days(jpl_store, "jplg", first, 15) == 25 - 17
    monkeypatch.setattr(detect, "TASK_INPUT_BYTES", 5 * day_bytes)
    assert detect.auto_block_days(jpl_store, "jplg", first, 15) == 1  # at least a day


def _damage(store: Path, day: str) -> Path:
    """A stored day's TEC chunk cut to 20 bytes, as a full disk or a killed copy leaves it."""
    part = next(store.rglob(f"{day}.zarr"))
    chunk = next(p for p in (part / "tec" / "c").rglob("*") if p.is_file())
    chunk.write_bytes(chunk.read_bytes()[:20])
    return chunk


def test_a_damaged_day_is_named_on_the_workers_and_in_process(jpl_store: Path, tmp_path: Path,
                                                              cluster: Cluster) -> None:
    from distributed import Client

    from ionoquake.errors import StoreError

    store = tmp_path / "store"
    shutil.copytree(jpl_store, store)
    chunk = _damage(store, "2000-12-10")
    with Client(cluster.address, timeout="30s") as client:
        # returned by the task, raised here: no retry, no traceback in the worker's log
        with pytest.raises(StoreError, match=rf"{chunk}: damaged chunk, cannot be decoded "
                                             r"\(RuntimeError: .*\); delete its day"):
            detect_archive(store, "jplg", period="day", block_days=3, start="2000-12-08",
                           end="2000-12-12", client=client)
    with pytest.raises(StoreError, match=r"2000-12-10.zarr: damaged, cannot be decoded"):
        maps.open_maps(store, "jplg")
