"""docs/data.md is what scripts/data_dictionary.py makes of the definitions today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("data_dictionary",
                                                  REPO / "scripts" / "data_dictionary.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_data_md_is_up_to_date() -> None:
    text = _script().render()
    on_disk = (REPO / "docs" / "data.md").read_text(encoding="utf-8")
    assert text == on_disk, "docs/data.md is stale: run `python scripts/data_dictionary.py`"


def test_every_table_output_and_endpoint_is_in_it() -> None:
    from ionoquake.detect.clusters import CLUSTER_COLUMNS
    from ionoquake.store.schema import metadata

    text = (REPO / "docs" / "data.md").read_text(encoding="utf-8")
    for table in metadata.sorted_tables:
        assert f"### `{table.name}`" in text
    for column in CLUSTER_COLUMNS:
        assert f"| `{column}` |" in text
    for needle in ("_clusters.csv", "event_<event id>.nc", "passes.csv", ".zarr",
                   "export_netcdf", "`/api/anomalies`", "1e16 m-2", "timestamptz"):
        assert needle in text, needle


def test_an_undocumented_column_stops_the_script() -> None:
    script = _script()
    with pytest.raises(SystemExit, match="no units/meaning for \\['new'\\]"):
        script._columns(("time", "new"), script.CATALOG_DOCS, "CORE_COLUMNS")
