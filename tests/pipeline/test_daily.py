"""The daily operational step: offline on the archive, online against recorded archives."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import ncompress
import pytest

from ionoquake.errors import IonoquakeError
from ionoquake.pipeline.daily import run_daily_step
from ionoquake.store import database, maps
from ionoquake.store.ingest import ingest_path
from ionoquake.store.schema import forecasts
from tests.conftest import LocalArchive
from tests.sources.test_fdsn import M7, RecordedService

JPL = "ionex/jpl_2000326-2001014"


def _archive(bundled_data: Path, root: Path, last_doy: int) -> None:
    days = range(last_doy - 16, last_doy + 1) if last_doy > 16 else range(1, last_doy + 1)
    for doy in days:
        ingest_path(root, bundled_data / JPL / f"jplg{doy:03d}0.01i.gz")
    ingest_path(root, bundled_data / "catalogs/usgs_comcat_M4.5_2000-10-01_2001-02-28.csv")
    ingest_path(root, bundled_data / "indices/celestrak_SW-All_2000-09-01_2001-03-31.txt")


def test_offline_step_issues_once_and_is_safe_to_rerun(bundled_data: Path,
                                                       tmp_path: Path) -> None:
    _archive(bundled_data, tmp_path, 13)
    first = run_daily_step(tmp_path, dt.date(2001, 1, 13), product="jplg", online=False,
                           window_days=10, learning_days=90)
    assert first.forecast_written and first.forecast is not None
    assert first.forecast.name == "2001-01-14T000000.parquet"
    content = first.forecast.read_bytes()
    again = run_daily_step(tmp_path, dt.date(2001, 1, 13), product="jplg", online=False,
                           window_days=10, learning_days=90)
    assert not again.forecast_written and again.forecast.read_bytes() == content
    assert "already issued, unchanged" in again.steps[-1]
    engine = database.connect(database.database_url(tmp_path))
    assert database.count(engine, forecasts) == 1
    with pytest.raises(IonoquakeError, match="no jplg maps of 2001-01-20 in the archive"):
        run_daily_step(tmp_path, dt.date(2001, 1, 20), product="jplg", online=False)


def test_online_step_fetches_the_day_from_the_archives(bundled_data: Path, shared_data: Path,
                                                       tmp_path: Path,
                                                       local_archive: LocalArchive) -> None:
    store = tmp_path / "store"
    _archive(bundled_data, store, 12)  # the archive lacks 2001-01-13
    gim = local_archive.root / "2001" / "013"
    gim.mkdir(parents=True)
    text = gzip.decompress((bundled_data / JPL / "jplg0130.01i.gz").read_bytes())
    (gim / "jplg0130.01i.Z").write_bytes(ncompress.compress(text))
    sw = (bundled_data / "indices/celestrak_SW-All_2000-09-01_2001-03-31.txt").read_bytes()
    (local_archive.root / "SW-All.txt").write_bytes(sw)
    fdsn = RecordedService(shared_data / M7)
    try:
        result = run_daily_step(store, dt.date(2001, 1, 13), product="jplg", producer="jpl",
                                base_urls={"gim": local_archive.url, "indices": local_archive.url,
                                           "fdsn": fdsn.url},
                                window_days=10, learning_days=90)
    finally:
        fdsn.server.shutdown()
        fdsn.server.server_close()
    assert result.steps[0] == "GIM jpl 2001-01-13: downloaded"
    assert result.steps[1] == "indices: downloaded"
    assert result.steps[2].startswith("catalogue: ")
    assert "2001-01-13" in set(maps.partitions(store)["day"].astype(str).str[:10])
    assert result.forecast_written
