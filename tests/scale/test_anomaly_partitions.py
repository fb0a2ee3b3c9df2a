"""Output partitions: the metadata copied between a task's partitions is what xarray writes.

Reference: the same detection run with every partition created by xarray (no
prototypes shared between the writers of a task); every file of every partition must
be identical but the provenance (time and process of the write).
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest

from ionoquake.scale.anomaly_partitions import PartitionWriter
from ionoquake.scale.detect import detect_archive


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix != ".jsonl"}


def _without_provenance(text: bytes) -> dict[str, object]:
    meta = json.loads(text)
    meta.get("attributes", {}).pop("provenance", None)
    return meta


def test_partitions_made_from_prototypes_equal_those_xarray_makes(
        jpl_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Day partitions, 4 a task: three of each task's four come from the prototypes.
    templates = PartitionWriter._templates
    made: list[int] = []

    def counted(self: PartitionWriter, *args: object) -> object:
        made.append(1)
        return templates(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(PartitionWriter, "_templates", counted)
    run = detect_archive(jpl_store, "jplg", period="day", block_days=4,
                         start="2000-12-06", end="2000-12-13")
    assert len(made) == 2, "xarray should make the per-cell arrays once per task"
    shared = tmp_path / "shared"
    shutil.move(run.output, shared)
    counter = itertools.count()
    monkeypatch.setattr(PartitionWriter, "_prototype_key",
                        lambda self, *args: f"never the same {next(counter)}")
    again = detect_archive(jpl_store, "jplg", period="day", block_days=4,
                           start="2000-12-06", end="2000-12-13")
    try:
        assert again.written == run.written and len(run.written) == 8
        got, expected = _files(shared), _files(again.output)
        assert got.keys() == expected.keys()
        for name, content in expected.items():
            if name.endswith("zarr.json"):
                assert _without_provenance(got[name]) == _without_provenance(content), name
            else:
                assert got[name] == content, name
    finally:
        shutil.rmtree(again.output)
