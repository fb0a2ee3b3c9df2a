"""Alarm-driven tasking: next passes over alarm zones, imaging access, sun elevation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ionoquake.errors import InputError
from ionoquake.orbits.tasking import (
    ACCESS_COLUMNS,
    Imager,
    imaging_access,
    next_passes_over_alarms,
    sun_elevation_deg,
)
from ionoquake.sources import tle

CSES, SWARM_A = 43194, 39452


@pytest.fixture(scope="module")
def tles(bundled_data: Path) -> pd.DataFrame:
    table = tle.read(bundled_data / "tle" / "celestrak_science_20191118.tle")
    return table[table["norad_id"].isin([CSES, SWARM_A, 39451, 39453])].reset_index(drop=True)


def test_sun_elevation_agrees_with_astropy_within_two_hundredths_of_a_degree() -> None:
    """Reference: astropy's built-in Sun (ERFA epv00, VSOP87-based) in AltAz, no refraction.

    skyfield needs a JPL ephemeris file for the Sun, which is not bundled (no network).
    """
    from astropy import units as u
    from astropy.coordinates import AltAz, EarthLocation, get_sun
    from astropy.time import Time
    from astropy.utils import iers

    iers.conf.auto_download = False
    rng = np.random.default_rng(7)
    times = (np.datetime64("2019-11-18", "ns")
             + (rng.uniform(0, 400, 40) * 86400e9).astype("timedelta64[ns]"))
    lat, lon = rng.uniform(-70, 70, 40), rng.uniform(-180, 180, 40)
    ours = sun_elevation_deg(times, lat, lon)
    where = EarthLocation.from_geodetic(lon * u.deg, lat * u.deg, 0 * u.m)
    t = Time(times.astype("datetime64[ms]").astype(str), scale="utc")
    ref = get_sun(t).transform_to(AltAz(obstime=t, location=where)).alt.deg
    np.testing.assert_allclose(ours, ref, atol=0.02)


def test_next_passes_follow_the_issue_time_per_satellite(tles: pd.DataFrame) -> None:
    alarms = pd.DataFrame({"issued": [pd.Timestamp("2019-11-18T06:00")],
                           "start": [pd.Timestamp("2019-11-18T06:00")],
                           "end": [pd.Timestamp("2019-11-25")], "lat": [35.7],
                           "lon": [139.7], "radius_km": [1023.0], "score": [1.0]})
    found = next_passes_over_alarms(alarms, tles, count=2, horizon_days=2)
    assert set(found["norad_id"]) == {CSES, SWARM_A, 39451, 39453}
    assert found.groupby("norad_id").size().max() == 2
    assert (found["closest_time"] >= alarms["issued"].iloc[0]).all()
    assert (found["wait_h"] >= 0).all() and (found["wait_h"] < 48).all()
    assert (found["closest_km"] <= 1023.0).all()  # Dobrovolsky radius of M7
    assert found["alarm_id"].unique().tolist() == ["alarm-0"]


def _off_nadir_skyfield(row: pd.Series, lat: float, lon: float,
                        times: pd.DatetimeIndex) -> np.ndarray:
    """Off-nadir angle (deg) of a target, from skyfield's SGP4 and WGS84, both in GCRS."""
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    t = ts.from_datetimes(times.tz_localize("UTC").to_pydatetime())
    sat = EarthSatellite(row["line1"], row["line2"], ts=ts).at(t).position.km
    tgt = wgs84.latlon(lat, lon).at(t).position.km
    los = tgt - sat
    cos = -(los * sat).sum(0) / np.linalg.norm(los, axis=0) / np.linalg.norm(sat, axis=0)
    return np.degrees(np.arccos(cos))


def test_imaging_access_matches_a_one_second_skyfield_scan(tles: pd.DataFrame) -> None:
    imager = Imager(CSES, swath_km=100.0, max_off_nadir_deg=30.0)
    targets = pd.DataFrame({"target_id": ["tokyo"], "lat": [35.7], "lon": [139.7]})
    found = imaging_access(tles, imager, targets, "2019-11-16", "2019-11-21")
    assert tuple(found.columns) == ACCESS_COLUMNS
    assert len(found) >= 2
    row = tles[tles["norad_id"] == CSES].iloc[0]
    for _, w in found.iterrows():
        times = pd.date_range(w["start"].floor("s") - pd.Timedelta(seconds=60),
                              w["end"].ceil("s") + pd.Timedelta(seconds=60), freq="1s")
        eta = _off_nadir_skyfield(row, 35.7, 139.7, times)
        inside = times[eta <= 30.0]
        assert abs((inside[0] - w["start"]).total_seconds()) <= 1.0
        assert abs((inside[-1] - w["end"]).total_seconds()) <= 1.0
        assert abs(eta.min() - w["min_off_nadir_deg"]) < 0.05
    assert found["daylight"].dtype == bool


def test_imager_limits_are_checked() -> None:
    with pytest.raises(InputError, match="imager 1: max_off_nadir_deg = 95 is not in"):
        Imager(1, swath_km=10, max_off_nadir_deg=95)
