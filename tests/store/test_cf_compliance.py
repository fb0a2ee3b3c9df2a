"""Every NetCDF/Zarr output opened by the IOOS compliance-checker (``cf:1.8``), offline.

The checker runs with the CF standard-name table it bundles (v93): the files carry no
``standard_name_vocabulary``, and downloading a table is made to fail here, so a test
that passed never touched the network. "Passes" means no failed check of high priority
(``BaseCheck.HIGH``), the level the checker's own ``--criteria normal`` fails on.
"""

from __future__ import annotations

import json
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import xarray as xr

from ionoquake.detect.background import BackgroundConfig
from ionoquake.pipeline.detect import detect_to_files, event_to_files
from ionoquake.quake import Earthquake
from ionoquake.sources import ionex
from ionoquake.sources.gim import combine_days
from ionoquake.store import maps
from ionoquake.store.cf import TECU_CF_UNITS

checker = pytest.importorskip("compliance_checker.runner")
from compliance_checker.base import BaseCheck  # noqa: E402

# The 2001-01-08 .. 14 JPL maps bundled in data/ionex (SOURCES: CDDIS, jplg*.01i).
DAYS = [f"jplg{d:03d}0.01i.gz" for d in range(8, 15)]
# USGS ComCat usp000a7m5, 2001-01-13 17:33:32 UTC, 13.049N 88.66W, Mw 7.7 (El Salvador).
EL_SALVADOR = Earthquake(np.datetime64("2001-01-13T17:33:32"), 13.049, -88.66, 7.7,
                         "El Salvador", "usp000a7m5")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the compliance-checker tried to download a standard-name table")

    monkeypatch.setattr("compliance_checker.cf.util.download_cf_standard_name_table", refuse)


def high_priority_failures(path: Path) -> list[str]:
    """The failed high-priority ``cf:1.8`` checks of ``path`` (name and messages)."""
    suite = checker.CheckSuite()
    suite.load_all_available_checkers()
    dataset = suite.load_dataset(str(path))
    results = suite.run_all(dataset, ["cf:1.8"], [], [])["cf:1.8"][0]
    assert len(results) > 20  # the checks ran
    return [f"{r.name}: {r.msgs}" for r in results
            if r.weight == BaseCheck.HIGH and isinstance(r.value, tuple)
            and r.value[0] < r.value[1]]


@pytest.fixture(scope="module")
def outputs(bundled_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cf")
    files = [bundled_data / "ionex" / "jpl_2000326-2001014" / name for name in DAYS]
    store = root / "store"
    for path in files:
        maps.ingest_file(store, path)
    ds = combine_days([ionex.read(p) for p in files])
    config = BackgroundConfig(window_days=3)
    det = detect_to_files(ds, root / "detect", config=config, n_maps=0)
    event = event_to_files(ds, EL_SALVADOR, root / "events", config=config,
                           anomalies=det.anomalies, days_before=2, days_after=1, n_maps=0)
    # The checker cannot open Zarr format 3: the stored day goes to NetCDF with its stored
    # attributes and encodings. Zarr's ``fill_value`` is mandatory storage metadata, not
    # the CF ``_FillValue`` attribute (which the archive's coordinates do not carry:
    # test_the_archive_coordinates_carry_no_fill_value), so it is not copied.
    partition = maps.partition_path(store, "jplg", np.datetime64("2001-01-13"))
    with xr.open_zarr(partition, consolidated=True) as stored:
        for var in stored.variables.values():
            var.encoding = {k: v for k, v in var.encoding.items()
                            if k in ("units", "calendar", "dtype")}
        stored.to_netcdf(root / "archive_partition.nc",
                         encoding={c: {**stored[c].encoding, "_FillValue": None}
                                   for c in stored.coords})
    exported = maps.export_netcdf(store, "jplg", "2001-01-12", "2001-01-13", root / "gis.nc")
    return {"anomalies": det.netcdf, "event": event.netcdf,
            "archive": root / "archive_partition.nc", "export": exported}


@pytest.mark.parametrize("name", ["anomalies", "event", "archive", "export"])
def test_every_output_passes_the_cf_checker(outputs: dict[str, Path], name: str) -> None:
    assert high_priority_failures(outputs[name]) == []


@pytest.mark.parametrize("name", ["anomalies", "event", "archive", "export"])
def test_the_cf_attributes_the_issue_asked_for(outputs: dict[str, Path], name: str) -> None:
    with netCDF4.Dataset(outputs[name]) as nc:
        glob = nc.__dict__
        assert glob["Conventions"] == "CF-1.8"
        assert all(glob.get(k) for k in ("title", "institution", "source", "history"))
        for coord in ("time", "lat", "lon"):
            if coord in nc.variables:
                assert "_FillValue" not in nc.variables[coord].ncattrs(), coord
        time = nc.variables["time"].__dict__
        assert time["standard_name"] == "time" and time["axis"] == "T" and time["long_name"]
        assert "since" in time["units"]
        for var in nc.variables.values():
            attrs = var.__dict__
            assert attrs.get("units") != "TECU", var.name
            assert attrs.get("standard_name") != "atmosphere_mass_content_of_electrons"
            if attrs.get("units") == TECU_CF_UNITS:
                assert "TECU" in attrs["long_name"], var.name
        if name == "event":
            assert nc.variables["zone_cells"].units == "1"
            assert nc.variables["kp"].units == "1" and "Kp" in nc.variables["kp"].long_name


def test_the_archive_coordinates_carry_no_fill_value(outputs: dict[str, Path]) -> None:
    partition = maps.partition_path(outputs["export"].parent / "store", "jplg",
                                    np.datetime64("2001-01-13"))
    meta = json.loads((partition / "zarr.json").read_text())
    assert meta["zarr_format"] == 3
    assert meta["attributes"]["Conventions"] == "CF-1.8"
    for coord in ("time", "lat", "lon"):
        attrs = json.loads((partition / coord / "zarr.json").read_text())["attributes"]
        assert "_FillValue" not in attrs and attrs["standard_name"] in {
            "time", "latitude", "longitude"}
    tec = json.loads((partition / "tec" / "zarr.json").read_text())["attributes"]
    assert tec["units"] == TECU_CF_UNITS and "standard_name" not in tec


def test_the_zarr_archive_reads_back_as_the_reader_gives_it(bundled_data: Path,
                                                            outputs: dict[str, Path]) -> None:
    store = outputs["export"].parent / "store"
    stored = maps.open_day(store, "jplg", np.datetime64("2001-01-13"))
    direct = ionex.read(bundled_data / "ionex" / "jpl_2000326-2001014" / "jplg0130.01i.gz")
    # TECU again inside ionoquake; the reader's standard name is not in the CF table.
    direct["tec"].attrs.pop("standard_name", None)
    assert stored["tec"].attrs == direct["tec"].attrs
    assert stored["tec"].equals(direct["tec"])
    with xr.open_dataset(outputs["export"]) as gis:
        assert gis["tec"].attrs["units"] == TECU_CF_UNITS
        np.testing.assert_array_equal(gis["tec"].sel(time="2001-01-13").values,
                                      direct["tec"].values)


def test_the_checker_fails_a_file_with_tecu_units_and_a_filled_coordinate(
        tmp_path: Path) -> None:
    # The control: what ionoquake wrote before (TECU, _FillValue on lat) is caught.
    lat = np.array([-2.5, 0.0, 2.5])
    ds = xr.Dataset({"tec": (("lat",), np.array([10.0, 11.0, 12.0]), {"units": "TECU"})},
                    coords={"lat": ("lat", lat, {"units": "degrees_north"})},
                    attrs={"Conventions": "CF-1.8"})
    ds.to_netcdf(tmp_path / "old.nc", encoding={"lat": {"_FillValue": -999.0}})
    failures = high_priority_failures(tmp_path / "old.nc")
    assert any("units" in f.lower() for f in failures), failures
