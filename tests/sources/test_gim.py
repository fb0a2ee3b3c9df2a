"""Multi-day GIM series and interpolation at arbitrary points."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from ionoquake.sources import ionex
from ionoquake.sources.gim import GimError, combine_days, read_days, tec_at

JPL_2012 = "ionex/jpl_2012267-273"


@pytest.fixture(scope="module")
def jpl_week(shared_data: Path) -> xr.Dataset:
    return read_days(sorted((shared_data / JPL_2012).glob("*.gz")))


def test_days_concatenate_without_duplicated_midnights(shared_data: Path,
                                                        jpl_week: xr.Dataset) -> None:
    # 7 files of 13 maps each (00:00 .. 24:00): the 6 inner midnights appear twice.
    assert jpl_week.sizes["time"] == 7 * 13 - 6
    assert jpl_week.attrs["duplicate_epochs_dropped"] == 6
    assert jpl_week.attrs["gaps"] == []
    assert (np.diff(jpl_week["time"].values) == np.timedelta64(2, "h")).all()
    # The shared midnight keeps the later file's own 00:00 map.
    day2 = ionex.read(shared_data / JPL_2012 / "jplg2680.12i.gz")
    np.testing.assert_array_equal(jpl_week["tec"].sel(time="2012-09-24T00:00").values,
                                  day2["tec"].isel(time=0).values)


def test_missing_day_is_reported_as_a_gap(shared_data: Path) -> None:
    files = sorted((shared_data / JPL_2012).glob("*.gz"))
    ds = read_days(files[:3] + files[4:])
    assert ds.attrs["gaps"] == ["2012-09-26T02:00:00/2012-09-26T22:00:00"]


def test_order_of_files_does_not_matter(shared_data: Path, jpl_week: xr.Dataset) -> None:
    files = sorted((shared_data / JPL_2012).glob("*.gz"))
    assert read_days(files[::-1])["tec"].equals(jpl_week["tec"])


def test_products_are_not_mixed(shared_data: Path) -> None:
    a = ionex.read(shared_data / "ionex/code_esa_2020008-010/codg0080.20i.gz")
    b = ionex.read(shared_data / "ionex/code_esa_2020008-010/esag0090.20i.gz")
    with pytest.raises(GimError, match="esag0090.20i.gz is product 'esag'.*'codg'"):
        combine_days([a, b])


def test_tec_at_grid_nodes_and_map_epochs_is_the_map_value(jpl_week: xr.Dataset) -> None:
    t = jpl_week["time"].values[[3, 10, 40]]
    lat = np.array([-87.5, 12.5, 45.0])
    lon = np.array([-180.0, 35.0, 175.0])
    got = tec_at(jpl_week, t, lat, lon)
    want = [float(jpl_week["tec"].sel(time=ti, lat=la, lon=lo)) for ti, la, lo in zip(t, lat, lon, strict=False)]
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_tec_at_without_rotation_equals_xarray_interp(jpl_week: xr.Dataset) -> None:
    rng = np.random.default_rng(1)
    n = 2000
    t = jpl_week["time"].values[0] + (rng.uniform(0, 140, n) * 3600e9).astype("timedelta64[ns]")
    lat = rng.uniform(-87.5, 87.5, n)
    lon = rng.uniform(-180, 180, n)
    got = tec_at(jpl_week, t, lat, lon, rotate=False)
    want = jpl_week["tec"].astype(np.float64).interp(
        time=xr.DataArray(t, dims="p"), lat=xr.DataArray(lat, dims="p"),
        lon=xr.DataArray(lon, dims="p")).values
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def _sun_fixed_maps() -> xr.Dataset:
    """Maps of a pattern fixed to local time: TEC = 20 + 10 cos(lon + 15 deg/h * UT - 210 deg)."""
    times = np.arange(np.datetime64("2020-01-01T00:00"), np.datetime64("2020-01-02T02:00"),
                      np.timedelta64(2, "h"))
    lat = np.arange(-87.5, 90, 2.5)
    lon = np.arange(-180.0, 181, 5.0)
    ut_h = (times - times[0]) / np.timedelta64(1, "h")
    phase = np.radians(lon[None, :] + 15.0 * ut_h[:, None] - 210.0)
    tec = 20 + 10 * np.cos(phase)[:, None, :] * np.ones((1, len(lat), 1))
    return xr.Dataset({"tec": (("time", "lat", "lon"), tec)},
                      coords={"time": times, "lat": lat, "lon": lon})


@settings(max_examples=50, deadline=None)
@given(hours=st.floats(0, 24), lon=st.floats(-180, 180), lat=st.floats(-80, 80))
def test_rotation_follows_a_sun_fixed_pattern(hours: float, lon: float, lat: float) -> None:
    # IONEX 1 spec, sec. 2.4: rotating the maps with the Sun reproduces a pattern fixed in
    # local time up to the bilinear error of a 5-degree grid (< 0.05 TECU here),
    # where plain linear interpolation in time at fixed longitude errs by up to ~3 TECU.
    ds = _sun_fixed_maps()
    t = ds["time"].values[0] + np.timedelta64(int(hours * 3600), "s")
    truth = 20 + 10 * np.cos(np.radians(lon + 15.0 * int(hours * 3600) / 3600 - 210.0))
    assert tec_at(ds, t, lat, lon) == pytest.approx(truth, abs=0.05)


def test_plain_time_interpolation_is_worse_on_a_sun_fixed_pattern() -> None:
    ds = _sun_fixed_maps()
    t = ds["time"].values[0] + np.timedelta64(1, "h")  # halfway between maps
    lon = np.linspace(-180, 180, 73)
    truth = 20 + 10 * np.cos(np.radians(lon + 15.0 - 210.0))
    rotated = np.abs(tec_at(ds, t, 0.0, lon) - truth).max()
    plain = np.abs(tec_at(ds, t, 0.0, lon, rotate=False) - truth).max()
    assert rotated < 0.05 < 0.2 < plain


def test_outside_the_span_is_nan_and_shapes_are_kept(jpl_week: xr.Dataset) -> None:
    t = np.array([["2012-09-22T00:00", "2012-09-25T03:30"]], dtype="datetime64[ns]")
    out = tec_at(jpl_week, t, 10.0, 20.0)
    assert out.shape == (1, 2)
    assert np.isnan(out[0, 0]) and np.isfinite(out[0, 1])
    with pytest.raises(GimError, match="latitudes"):
        tec_at(jpl_week, t, 95.0, 0.0)
