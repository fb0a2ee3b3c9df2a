"""Earthquake-centred analysis: IGRF field and conjugate point, the Dobrovolsky zone,
the days-before table, and the files the CLI writes (2001-01-13 El Salvador M7.7)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import ppigrf
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from ionoquake.detect.anomalies import detect_anomalies
from ionoquake.detect.conjugate import conjugate_point, igrf_field
from ionoquake.detect.event import (
    DAY_COLUMNS,
    days_before_table,
    event_analysis,
    latitude_control,
    zone_fractions,
)
from ionoquake.geo import great_circle_km
from ionoquake.pipeline.detect import event_to_files
from ionoquake.quake import Earthquake
from tests.detect.jpl_maps import jpl_maps

# USGS ComCat usp000a7m5.
EL_SALVADOR = Earthquake(np.datetime64("2001-01-13T17:33:32"), 13.049, -88.660, 7.7,
                         "El Salvador", "usp000a7m5")


@settings(max_examples=20, deadline=None)
@given(r=st.floats(6500, 20000), colat=st.floats(1, 179), lon=st.floats(-180, 180))
def test_field_is_ppigrf_igrf_gc(r: float, colat: float, lon: float) -> None:
    day = dt.date(2001, 1, 13)
    ours = igrf_field(r, colat, lon, day)
    theirs = ppigrf.igrf_gc(r, colat, lon, dt.datetime(2001, 1, 13))
    np.testing.assert_allclose(ours, [float(np.ravel(c)[0]) for c in theirs], rtol=1e-9,
                               atol=1e-6)


@pytest.mark.parametrize(("lat", "lon"), [(13.049, -88.660), (37.5, 57.0), (-14.9, 167.2)])
def test_conjugate_of_the_conjugate_is_the_start(lat: float, lon: float) -> None:
    there = conjugate_point(lat, lon, "2001-01-13")
    back = conjugate_point(*there, "2001-01-13")
    assert great_circle_km(lat, lon, *back) < 1.0  # the trace is reversible to within 1 km
    assert np.sign(there[0]) != np.sign(lat)  # all three are off the dip equator
    dipole = conjugate_point(lat, lon, "2001-01-13", method="dipole")
    assert great_circle_km(*there, *dipole) < 1000  # the dipole is a rough check only


def test_el_salvador_conjugate_point() -> None:
    # IGRF-14 trace at 450 km: the south-east Pacific west of Chile (value of this code,
    # reversible to 1 km above; the centred dipole gives -32.8, -91.5).
    lat, lon = conjugate_point(13.049, -88.660, "2001-01-13")
    assert (lat, lon) == pytest.approx((-35.02, -94.78), abs=0.01)


@pytest.fixture(scope="module")
def el_salvador() -> tuple[xr.Dataset, xr.Dataset]:
    anomalies = detect_anomalies(jpl_maps())
    return anomalies, event_analysis(jpl_maps(), EL_SALVADOR, anomalies=anomalies)


def test_zone_is_the_dobrovolsky_radius_and_fractions_count_its_cells(
        el_salvador: tuple[xr.Dataset, xr.Dataset]) -> None:
    anomalies, event = el_salvador
    assert event.attrs["zone_radius_km"] == pytest.approx(10 ** (0.43 * 7.7))  # 2046 km
    planted = anomalies[["dtec", "positive", "negative"]].copy(deep=True)
    planted["positive"][:] = False
    lat, lon = np.meshgrid(planted.lat, planted.lon, indexing="ij")
    inside = great_circle_km(13.049, -88.660, lat, lon) <= 2046.4
    planted["positive"].values[200] = inside  # the whole zone at one epoch
    planted["positive"].values[201, :, :] = lat > 60  # elsewhere only
    got = zone_fractions(planted, 13.049, -88.660, 2046.4)
    assert float(got["zone_positive_fraction"][200]) == pytest.approx(1.0, abs=1e-12)
    assert float(got["zone_positive_fraction"][201]) == 0.0
    assert int(got["zone_cells"][200]) == inside[:, :-1].sum()  # 180 = -180 counted once


def test_point_series_is_bilinear_with_its_own_background(
        el_salvador: tuple[xr.Dataset, xr.Dataset]) -> None:
    _, event = el_salvador
    maps = jpl_maps()["tec"].sel(time="2001-01-13T17:00")
    # 13.049N 88.66W between 12.5/15N and 90/85W: bilinear weights by hand.
    fy, fx = (13.049 - 12.5) / 2.5, (-88.66 + 90) / 5
    corners = maps.sel(lat=[12.5, 15.0], lon=[-90.0, -85.0]).values
    expected = ((1 - fy) * (1 - fx) * corners[0, 0] + (1 - fy) * fx * corners[0, 1]
                + fy * (1 - fx) * corners[1, 0] + fy * fx * corners[1, 1])
    got = event["tec_epicentre"].sel(time="2001-01-13T17:00")
    assert float(got) == pytest.approx(expected, abs=1e-4)


def test_days_before_table_covers_the_window_the_maps_reach(
        el_salvador: tuple[xr.Dataset, xr.Dataset]) -> None:
    _, event = el_salvador
    table = days_before_table(event)
    assert tuple(table.columns) == DAY_COLUMNS
    # The maps end 2001-01-14 23:00: days -30 .. +1 of the event.
    assert table["day"].tolist() == list(range(-30, 2))
    assert (table["n_epochs"] == 12).all()
    assert table.loc[table["day"] == 0, "date"].item() == pd.Timestamp("2001-01-13")
    counts = event["positive_epicentre"].groupby(event["day"]).sum().values
    assert table["epicentre_positive"].tolist() == counts.tolist()


@pytest.mark.slow
def test_event_files(tmp_path: Path, el_salvador: tuple[xr.Dataset, xr.Dataset]) -> None:
    anomalies, _ = el_salvador
    out = event_to_files(jpl_maps(), EL_SALVADOR, tmp_path, anomalies=anomalies)
    back = xr.open_dataset(out.netcdf)
    assert back.attrs["event_event_id"] == "usp000a7m5"
    assert back["positive_epicentre"].dtype == bool
    assert pd.read_csv(out.table).shape == (32, len(DAY_COLUMNS))
    assert [p.suffix for p in out.figures] == [".png", ".png"]
    back.close()


def test_latitude_control_ranks_the_epicentre_among_its_latitude() -> None:
    # 10 days of 12 maps on a 3 x 9 grid (lon -180..180 with the duplicated column): the
    # epicentre's column is flagged every day, 2 of the 8 other columns on 5 days.
    times = pd.date_range("2001-01-01", periods=120, freq="2h")
    lat, lon = np.array([-10.0, 0.0, 10.0]), np.linspace(-180.0, 180.0, 9)
    flags = np.zeros((times.size, 3, 9), bool)
    flags[:, 1, 4] = True  # lon 0
    flags[:60, 1, 1] = flags[:60, 1, 2] = True
    an = xr.Dataset({"positive": (("time", "lat", "lon"), flags),
                     "negative": (("time", "lat", "lon"), np.zeros_like(flags)),
                     "dtec": (("time", "lat", "lon"), np.zeros(flags.shape))},
                    coords={"time": times, "lat": lat, "lon": lon})
    quake = Earthquake(np.datetime64("2001-01-10T23:00", "ns"), 1.0, 2.0, 7.0, "test", "q")
    out = latitude_control(an, quake, days_before=9)
    assert out["epicentre_fraction"] == 1.0 and out["n_controls"] == 8  # 180 = -180 once
    assert out["rank"] == 7 / 8 and out["control_median"] == 0.0
