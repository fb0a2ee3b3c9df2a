"""The server's start-up warm-up: the last day of each product opened, its ΔTEC computed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ionoquake.service.map_data import MapData
from ionoquake.store import maps


def test_warm_computes_what_the_map_shows_first(bundled_data: Path, tmp_path: Path) -> None:
    for f in sorted((bundled_data / "ionex/jpl_2000326-2001014").glob("jplg0*.01i.gz"))[-3:]:
        maps.ingest_file(tmp_path, f)
    data = MapData(tmp_path)
    data.warm()
    keys = {key[:3] for key in data._cache}
    assert ("jplg", "dtec", "2001-01-14") in keys
    # the same object is served afterwards, not recomputed
    first = data.dtec("jplg", "2001-01-14")
    assert data.dtec("jplg", "2001-01-14") is first
    assert np.isnan(first["dtec"].values).all()  # 3 stored days: no 15-day background yet


def test_warm_on_an_empty_archive_does_nothing(tmp_path: Path) -> None:
    MapData(tmp_path).warm()
