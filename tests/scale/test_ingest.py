"""Distributed ingest equals the in-process ingest on the real 55-day JPL series.

Inputs: the 55 JPL IONEX files (../shared/data/ionex/jpl_2000326-2001014), a second
version of 2000-11-21 (the same file decompressed: same maps, another SHA-256, so it
must replace the first and never be written at the same time), and the bundled USGS
ComCat catalogue (data/catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv, 2244 events).
The reference is :func:`ionoquake.store.ingest.ingest_path` called file by file.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ionoquake.cli import app
from ionoquake.errors import IonoquakeError, StoreError
from ionoquake.scale.ingest import (
    check_workers_see,
    ingest_map_files,
    ingest_on,
    map_tasks,
    partition_of,
    shared_store,
)
from ionoquake.store import maps
from ionoquake.store.catalogs import read_catalog
from ionoquake.store.ingest import Ingested, ingest_path
from tests.conftest import BUNDLED_DATA, SHARED_DATA
from tests.scale.conftest import JPL_DIR, Cluster

CATALOG = BUNDLED_DATA / "catalogs" / "usgs_comcat_M4.5_2000-10-01_2001-02-28.csv"
CDF = SHARED_DATA / "ionex" / "other_formats" / "gps_tec15min_igs_20230303_v01.cdf"


def _jpl() -> list[Path]:
    files = sorted(JPL_DIR.glob("jplg*.gz"))
    assert len(files) == 55
    return files


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The catalogue first, the 55 days, then a second version of the first day."""
    first = JPL_DIR / "jplg3260.00i.gz"
    again = tmp_path_factory.mktemp("versions") / "jplg3260.00i"
    again.write_bytes(gzip.decompress(first.read_bytes()))
    return [CATALOG, *_jpl(), again]


@pytest.fixture(scope="module")
def in_process(inputs: list[Path], tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[Path, list[Ingested]]:
    store = tmp_path_factory.mktemp("in_process")
    return store, [ingest_path(store, path) for path in inputs]


def _provenance(store: Path) -> pd.DataFrame:
    return maps.partitions(store).drop(columns="ingested_at")


def _stored(store: Path, product: str = "jplg") -> dict[str, object]:
    """Every file of the map partitions, as bytes; each partition's metadata as JSON
    without the time of ingest. Equal stores hold the same values, encoded the same way."""
    out: dict[str, object] = {}
    for path in sorted((store / "maps" / product).rglob("*")):
        if not path.is_file():
            continue
        name = str(path.relative_to(store))
        if path.name == "zarr.json" and path.parent.name.endswith(".zarr"):
            meta = json.loads(path.read_text())
            provenance = json.loads(meta["attributes"].pop("provenance"))
            provenance.pop("ingested_at")
            out[name] = {**meta, "provenance": provenance}
        else:
            out[name] = path.read_bytes()
    return out


def _mtimes(store: Path) -> dict[str, int]:
    return {str(p.relative_to(store)): p.stat().st_mtime_ns
            for p in store.rglob("*") if p.is_file()}


def test_the_versions_of_one_day_are_one_task_in_the_order_given(inputs: list[Path]) -> None:
    tasks = map_tasks(inputs[1:])
    assert len(tasks) == 55
    first = inputs.index(JPL_DIR / "jplg3260.00i.gz") - 1
    assert tasks[("jplg", "2000-11-21")] == [first, 55]
    assert all(len(group) == 1 for key, group in tasks.items() if key[1] != "2000-11-21")
    assert partition_of(inputs[-1], product="mine") == ("mine", "2000-11-21")
    # CDF files have no header to sniff: read whole, the product from their variables.
    assert partition_of(CDF) == ("uqrg_cdaweb", "2023-03-03")


def test_a_distributed_ingest_equals_the_in_process_one_and_a_rerun_writes_nothing(
        inputs: list[Path], in_process: tuple[Path, list[Ingested]], cluster: Cluster,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import Client

    reference, expected = in_process
    store = tmp_path / "store"
    seen: list[tuple[int, int]] = []
    with Client(cluster.address, timeout="30s") as client:
        got = ingest_on(client, store, inputs, progress=lambda i, n: seen.append((i, n)))
    assert got == expected
    assert [r.status for r in got][-1] == "replaced"
    assert seen[-1] == (57, 57) and len(seen) == 56  # 55 map tasks, then the catalogue
    pd.testing.assert_frame_equal(_provenance(store), _provenance(reference))
    assert _stored(store) == _stored(reference)
    pd.testing.assert_frame_equal(read_catalog(store), read_catalog(reference))
    # Again, from the CLI on the scheduler named by the environment variable. (Listing the
    # superseded version of 2000-11-21 again would replace that day, in-process as well.)
    stamps = _mtimes(store)
    final = [p for p in inputs if p != JPL_DIR / "jplg3260.00i.gz"]
    monkeypatch.setenv("IONOQUAKE_SCHEDULER", cluster.address)
    cli = CliRunner().invoke(app, ["ingest", "--store", str(store), *map(str, final)])
    assert cli.exit_code == 0, cli.output
    assert f"Dask scheduler {cluster.address}: 2 workers, 2 threads" in cli.output
    assert cli.output.splitlines()[-1] == f"56 files: 0 added, 0 replaced, 56 unchanged -> {store}"
    assert _mtimes(store) == stamps, "a rerun wrote to the store"


def test_a_killed_worker_leaves_whole_days_and_the_run_completes(
        in_process: tuple[Path, list[Ingested]], cluster: Cluster, tmp_path: Path) -> None:
    from distributed import Client

    reference, _ = in_process
    store = tmp_path / "store"
    files = _jpl()[15:39]  # 2000-11-22 .. 2000-12-15: 24 days, one task each
    done: list[int] = []
    result: dict[str, list[Ingested]] = {}
    with Client(cluster.address, timeout="30s") as client:
        run = threading.Thread(target=lambda: result.setdefault("got", ingest_on(
            client, store, files, progress=lambda i, n: done.append(i))))
        run.start()
        deadline = time.monotonic() + 60
        while len(done) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(done) >= 4, "the distributed ingest made no progress"
        cluster.kill(1)
        run.join(120)
        assert not run.is_alive()
    got = result["got"]
    assert [r.path for r in got] == files
    assert {r.status for r in got} <= {"added", "unchanged"}
    # A write the killed worker had in progress is a hidden temporary, never a partition;
    # the next ingest (the CLI calls maps.clean first) removes it.
    maps.clean(store)
    assert not [p for p in (store / "maps").rglob(".*") if ".tmp-" in p.name]
    # Each of the 24 days whole and as in-process (maps/jplg/<YYYY>/<day>.zarr/...).
    expected = {k: v for k, v in _stored(reference).items()
                if "2000-11-22" <= Path(k).parts[3][:10] <= "2000-12-15"}
    assert _stored(store) == expected


def test_ingest_with_two_local_workers_from_the_command_line(tmp_path: Path) -> None:
    files = [str(p) for p in _jpl()[:6]]
    cli = CliRunner().invoke(app, ["ingest", "--store", str(tmp_path / "s"), "--workers", "2",
                                   *files, str(CATALOG)])
    assert cli.exit_code == 0, cli.output
    assert ": 2 workers, 2 threads;" in cli.output
    assert cli.output.splitlines()[-1] == (
        f"7 files: 7 added, 0 replaced, 0 unchanged -> {tmp_path / 's'}")
    assert len(maps.partitions(tmp_path / "s")) == 6


def test_the_store_must_be_a_path_the_workers_share(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(StoreError, match=r"^s3://bucket/iono: distributed ingest writes the "
                                         r"store from the workers, so it must be a path on a "
                                         r"file system they all share"):
        ingest_on(None, "s3://bucket/iono", [CATALOG])
    with pytest.raises(StoreError, match=r"^gs:/bucket/iono: distributed ingest"):
        shared_store(Path("gs://bucket/iono"))  # as the CLI's --store option passes it
    monkeypatch.chdir(tmp_path)
    assert shared_store("store") == tmp_path / "store"
    assert shared_store(f"file://{tmp_path}/a/../store") == tmp_path / "store"
    assert shared_store(Path(f"file://{tmp_path}/store")) == tmp_path / "store"

    class OneBlindWorker:
        def run(self, func, *args):  # type: ignore[no-untyped-def]
            return {"tcp://10.0.0.1:1": func(*args), "tcp://10.0.0.2:1": False}

    with pytest.raises(StoreError, match=r"not visible to the worker\(s\) tcp://10.0.0.2:1; "):
        check_workers_see(OneBlindWorker(), tmp_path / "store")
    assert not list((tmp_path / "store").iterdir()), "the probe file was left behind"
    with pytest.raises(IonoquakeError, match=r"^/nowhere/jplg0010.01i.gz: no such file on .*: "
                                             r"distributed ingest needs the input files"):
        ingest_map_files(str(tmp_path), ["/nowhere/jplg0010.01i.gz"])


def test_a_distributed_ingest_keeps_going_past_bad_files(cluster: Cluster,
                                                         tmp_path: Path) -> None:
    """Issue J: a bad file stops neither the in-process nor the distributed ingest; both
    say what was kept and what was refused, in the order given."""
    from distributed import Client

    days = _jpl()[:2]
    cut = tmp_path / "jplg3280.00i"  # a header that cannot say its day
    cut.write_bytes(gzip.decompress((JPL_DIR / "jplg3280.00i.gz").read_bytes())[:3000])
    short = tmp_path / "jplg3290.00i"  # a whole header, maps cut off
    short.write_bytes(gzip.decompress((JPL_DIR / "jplg3290.00i.gz").read_bytes())[:40_000])
    bad_csv = tmp_path / "events.csv"
    bad_csv.write_text("time,latitude\n2001-01-01,")
    files = [days[0], cut, short, bad_csv, days[1]]
    with Client(cluster.address, timeout="30s") as client:
        got = ingest_on(client, tmp_path / "store", files, keep_going=True)
        with pytest.raises(IonoquakeError):
            ingest_on(client, tmp_path / "other", files)
    assert [r.status for r in got] == ["added", "refused", "refused", "refused", "added"]
    assert [r.path for r in got] == files
    assert all(f.name in r.detail for f, r in zip(files[1:4], got[1:4], strict=True))
    assert len(maps.stored_days(tmp_path / "store", "jplg")) == 2
