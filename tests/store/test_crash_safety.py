"""Replacing a stored day is crash-safe: killed at any step, the day is old or new, never lost.

A replacement of a day's Zarr partition (:func:`ionoquake.atomic.atomic_path`) has the
steps :data:`ionoquake.atomic.REPLACE_STEPS`; the tests stop it at each of them, once with
an exception in the process and once with a real SIGKILL of a subprocess, and then check
that the store opens with a complete old or new day and that the next ingest keeps it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ionoquake import atomic
from ionoquake.store import maps
from ionoquake.store.ingest import ingest_paths

DAYS = "ionex/code_esa_2020008-010"
#: What a killed replacement may leave, step by step.
OUTCOMES = {"written": "old", "moved aside": "old", "moved in": "new", "previous removed": "new"}


class Killed(Exception):
    """Stands for the process being killed at a fault point."""


@pytest.fixture(scope="module")
def stores(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An archive holding esag 2020-01-08 ("old") and an edited file of that day ("new")."""
    from ionoquake.sources.ionex_write import write

    root = tmp_path_factory.mktemp("crash")
    template = root / "template"
    maps.ingest_file(template, shared_data / DAYS / "esag0080.20i.gz")
    ds = maps.open_maps(template, "esag")
    ds["tec"] = ds["tec"] + 10.0
    new = root / "in" / "esag0080.20i.gz"
    write(ds, new)
    return {"template": template, "new": new, "next": shared_data / DAYS / "esag0090.20i.gz"}


def _fresh(stores: dict[str, Path], tmp_path: Path) -> Path:
    store = tmp_path / "store"
    shutil.copytree(stores["template"], store)
    return store


def _which_day(store: Path, old_mean: float) -> str:
    """"old" or "new": the stored 2020-01-08 of esag, which must open completely."""
    day = maps.open_day(store, "esag", np.datetime64("2020-01-08"))
    assert day.sizes["time"] == 13 and bool(np.isfinite(day["tec"]).all())
    mean = float(day["tec"].mean())
    assert mean == pytest.approx(old_mean, abs=0.01) or mean == pytest.approx(old_mean + 10,
                                                                              abs=0.01)
    return "old" if mean == pytest.approx(old_mean, abs=0.01) else "new"


def _check_after_crash(store: Path, stores: dict[str, Path], expected: str) -> None:
    old_mean = float(maps.open_day(stores["template"], "esag",
                                   np.datetime64("2020-01-08"))["tec"].mean())
    assert [str(d) for d in maps.stored_days(store, "esag")] == ["2020-01-08"]
    assert _which_day(store, old_mean) == expected  # readers, before any clean-up
    ingest_paths(store, [stores["next"]])  # the next ingest of another file keeps the day
    assert [str(d) for d in maps.stored_days(store, "esag")] == ["2020-01-08", "2020-01-09"]
    assert _which_day(store, old_mean) == expected
    assert not [p.name for p in (store / "maps").rglob(".*")]  # nothing left over
    assert len(maps.partitions(store)) == 2


@pytest.mark.parametrize("step", atomic.REPLACE_STEPS)
def test_an_exception_at_any_step_of_a_replacement_keeps_a_whole_day(
        step: str, stores: dict[str, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = _fresh(stores, tmp_path)

    def fault(name: str) -> None:
        if name == step:
            raise Killed(name)

    monkeypatch.setattr(atomic, "fault_point", fault)
    with pytest.raises(Killed):
        maps.ingest_file(store, stores["new"])
    monkeypatch.setattr(atomic, "fault_point", None)
    _check_after_crash(store, stores, OUTCOMES[step])


def test_a_kill_while_removing_the_previous_copy_keeps_the_new_day(
        stores: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _fresh(stores, tmp_path)

    rmtree = shutil.rmtree

    def half_rmtree(path: Path, *args: object, **kwargs: object) -> None:
        if ".prev-" not in Path(path).name:  # zarr's own clean-ups go through
            return rmtree(path, *args, **kwargs)  # type: ignore[arg-type]
        next(p for p in Path(path).rglob("*") if p.is_file()).unlink()  # one file gone
        raise Killed("rmtree")

    monkeypatch.setattr(atomic.shutil, "rmtree", half_rmtree)
    with pytest.raises(Killed):
        maps.ingest_file(store, stores["new"])
    monkeypatch.undo()
    _check_after_crash(store, stores, "new")


_KILL_AT = """
import os, signal, sys
from ionoquake import atomic
from ionoquake.store import maps

def fault(name):
    if name == sys.argv[1]:
        os.kill(os.getpid(), signal.SIGKILL)

atomic.fault_point = fault
maps.ingest_file(sys.argv[2], sys.argv[3])
"""


@pytest.mark.parametrize("step", atomic.REPLACE_STEPS)
def test_a_sigkill_at_any_step_of_a_replacement_keeps_a_whole_day(
        step: str, stores: dict[str, Path], tmp_path: Path) -> None:
    store = _fresh(stores, tmp_path)
    proc = subprocess.run([sys.executable, "-c", _KILL_AT, step, str(store), str(stores["new"])],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    if step == "moved aside":  # the only moment without the day in place
        assert not maps.partition_path(store, "esag", np.datetime64("2020-01-08")).exists()
        assert len(atomic.previous_copies(
            maps.partition_path(store, "esag", np.datetime64("2020-01-08")))) == 1
    _check_after_crash(store, stores, OUTCOMES[step])


def test_a_previous_copy_without_its_replacement_is_restored_not_deleted(tmp_path: Path) -> None:
    day = tmp_path / "2020" / "2020-01-08.zarr"
    aside = tmp_path / "2020" / ".2020-01-08.zarr.prev-0123abcd"
    (aside / "tec").mkdir(parents=True)
    (aside / "zarr.json").write_text("{}")
    (tmp_path / "2020" / ".2020-01-08.zarr.tmp-89abcdef").mkdir()
    assert atomic.complete_copy(day) == aside
    assert atomic.remove_stale_temporaries(tmp_path) == 2
    assert (day / "zarr.json").read_text() == "{}"
    assert sorted(p.name for p in (tmp_path / "2020").iterdir()) == ["2020-01-08.zarr"]


def test_a_table_write_killed_before_its_one_rename_keeps_the_old_table(
        bundled_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A table (and the ledger, a table) is one file replaced by one os.replace: the old
    # file stays until the rename, and a killed write leaves only a temporary.
    import pandas as pd

    from ionoquake.store import tables

    store = tmp_path / "store"
    df = pd.DataFrame({"event_id": ["a", "b"], "magnitude": [6.1, 7.2]})
    tables.write_table(store, "catalog", "events", df, key="event_id", sources=[])
    path = tables.table_path(store, "catalog", "events")
    before = path.read_bytes()

    def fault(name: str) -> None:
        if name == "written":
            shutil.copy(next(path.parent.glob(".*.tmp-*")), path.parent / ".events.parquet.tmp-dead")
            raise Killed(name)

    monkeypatch.setattr(atomic, "fault_point", fault)
    with pytest.raises(Killed):
        tables.write_table(store, "catalog", "events", df.assign(magnitude=[6.2, 7.3]),
                           key="event_id", sources=[])
    monkeypatch.setattr(atomic, "fault_point", None)
    assert path.read_bytes() == before
    ingest_paths(store, [bundled_data / "indices/celestrak_SW-All_2000-09-01_2001-03-31.txt"])
    assert not list(store.rglob(".*.tmp-*"))  # the dead write's temporary is gone
    assert path.read_bytes() == before
