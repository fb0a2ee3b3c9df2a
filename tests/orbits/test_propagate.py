"""Propagation and ground tracks against skyfield and published orbit facts.

Reference: skyfield 1.55's own ``EarthSatellite.at(t)`` + ``wgs84.geographic_position_of``
with its built-in timescale (no ephemeris), the same TLE lines.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ionoquake.geo import DIPOLE_POLE_LAT_DEG, dipole_latitude_deg, equation_of_time_min
from ionoquake.orbits.dense import earth_fixed_nodes
from ionoquake.orbits.frames import julian_dates
from ionoquake.orbits.propagate import geodetic
from ionoquake.orbits.sgp4 import propagate_teme, teme_states
from ionoquake.orbits.track import ground_track
from ionoquake.sources import tle
from ionoquake.sources.tle import TleAgeWarning

ONE_KM = 1.0
ONE_METRE = 1e-3
CSES, SWARM_A, SWARM_B, SWARM_C = 43194, 39452, 39451, 39453


@pytest.fixture(scope="module")
def science(shared_data: Path) -> pd.DataFrame:
    return tle.read(shared_data / "tle" / "celestrak_science_20191118.tle")


@pytest.fixture(scope="module")
def active(shared_data: Path) -> pd.DataFrame:
    return tle.read(shared_data / "tle" / "celestrak_active_20251209.tle.gz")


def _day(start: str, step_s: int = 10) -> np.ndarray:
    t0 = np.datetime64(start, "ns")
    return t0 + np.arange(0, 86400, step_s) * np.timedelta64(1, "s")


def _skyfield(row: pd.Series, times: np.ndarray) -> tuple[np.ndarray, ...]:
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    sat = EarthSatellite(row["line1"], row["line2"], ts=ts)
    stamps = [t.replace(tzinfo=dt.UTC) for t in pd.DatetimeIndex(times).to_pydatetime()]
    pos = wgs84.geographic_position_of(sat.at(ts.from_datetimes(stamps)))
    return pos.latitude.degrees, pos.longitude.degrees, pos.elevation.km


def _horizontal_km(lat1, lon1, lat2, lon2):  # type: ignore[no-untyped-def]
    from ionoquake.geo import great_circle_km

    return great_circle_km(lat1, lon1, lat2, lon2)


@pytest.mark.parametrize("norad_id", [CSES, SWARM_A, SWARM_B, SWARM_C])
def test_sub_satellite_points_agree_with_skyfield(science: pd.DataFrame, norad_id: int) -> None:
    sat = science[science.norad_id == norad_id]
    times = _day(str(sat["epoch"].iloc[0].floor("h")), step_s=37)
    ours = geodetic(sat, times)
    lat, lon, alt = _skyfield(sat.iloc[0], times)
    assert _horizontal_km(ours.lat_deg, ours.lon_deg, lat, lon).max() < ONE_METRE
    assert np.abs(ours.alt_km - alt).max() < ONE_METRE


def test_hermite_nodes_stay_within_a_metre_of_sgp4(science: pd.DataFrame) -> None:
    sat = science[science.norad_id == CSES]
    times = _day("2019-11-18", step_s=1)
    exact, dense = geodetic(sat, times), geodetic(sat, times, node_step_s=60)
    assert _horizontal_km(exact.lat_deg, exact.lon_deg, dense.lat_deg, dense.lon_deg).max() \
        < ONE_METRE
    assert np.abs(exact.alt_km - dense.alt_km).max() < ONE_METRE


def test_satrec_array_gives_nan_rows_with_error_codes_not_exceptions(science: pd.DataFrame
                                                                     ) -> None:
    sats = science[science.norad_id.isin([CSES, SWARM_A])]
    # Twenty years on, SGP4 reports a decayed orbit for the drag-heavy sets: codes, not errors.
    times = np.array(["2019-11-18T00:00", "2045-01-01T00:00"], dtype="datetime64[ns]")
    r, _, err = propagate_teme(sats, times)
    assert r.shape == (2, 2, 3) and (err[:, 0] == 0).all()
    assert np.isnan(r[err != 0]).all()


def test_cses_2019_orbit_matches_the_published_facts(science: pd.DataFrame) -> None:
    cses = science[science.norad_id == CSES]
    assert cses["inclination_deg"].item() == pytest.approx(97.4, abs=0.05)
    track = ground_track(cses, _day("2019-11-18"))
    # Science notes: geodetic height 496-542 km along the orbit.
    assert track.alt.min() == pytest.approx(496, abs=2)
    assert track.alt.max() == pytest.approx(542, abs=2)
    lat = track.lat.values
    descending = np.flatnonzero((lat[:-1] > 0) & (lat[1:] <= 0))
    assert track.ascending.values[descending].sum() == 0
    lt = track.local_mean_time.values[descending]
    assert np.abs(lt - 14.0).max() < 0.2  # descending node near 14:00 LMT
    assert track.attrs["norad_id"] == CSES


def test_cses_node_has_drifted_to_16h_by_2025(active: pd.DataFrame) -> None:
    cses = active[active.norad_id == CSES]
    assert cses["inclination_deg"].item() == pytest.approx(97.67, abs=0.02)
    track = ground_track(cses, _day("2025-12-09"))
    lat = track.lat.values
    descending = np.flatnonzero((lat[:-1] > 0) & (lat[1:] <= 0))
    assert np.abs(track.local_mean_time.values[descending] - (16 + 10 / 60)).max() < 0.1


@pytest.mark.parametrize(("norad_id", "inclination"), [(SWARM_A, 87.35), (SWARM_C, 87.35),
                                                        (SWARM_B, 87.75)])
def test_swarm_inclinations(science: pd.DataFrame, active: pd.DataFrame, norad_id: int,
                            inclination: float) -> None:
    for sets in (science, active):
        assert sets[sets.norad_id == norad_id]["inclination_deg"].item() == \
            pytest.approx(inclination, abs=0.05)


def test_orbit_numbers_step_at_ascending_nodes(science: pd.DataFrame) -> None:
    cses = science[science.norad_id == CSES]
    track = ground_track(cses, _day("2019-11-18", step_s=5))
    lat, orbit = track.lat.values, track.orbit_number.values
    ascending_node = np.flatnonzero((lat[:-1] < 0) & (lat[1:] >= 0))
    steps = np.flatnonzero(np.diff(orbit) != 0)
    # Nodes are geocentric, latitude geodetic: both agree at the equator within a sample.
    np.testing.assert_array_equal(steps, ascending_node)
    assert set(np.diff(orbit)) == {0, 1}
    # TLE line 2 gives revolution 9945 at its epoch 2019-11-18 13:13 UTC.
    at_epoch = track.orbit_number.sel(time=cses["epoch"].item(), method="nearest").item()
    assert at_epoch == 9945


def test_a_history_uses_the_nearest_tle_and_warns_far_from_it(shared_data: Path) -> None:
    spot = tle.read(shared_data / "tle" / "orekit_spot-5_series.tle")
    times = spot["epoch"].to_numpy()[[10, 100]]
    r, _, _ = teme_states(spot, times)
    for i, k in enumerate((10, 100)):
        r_own, _, _ = teme_states(spot.iloc[[k]], times[[i]])
        np.testing.assert_allclose(r[i], r_own[0])
    with pytest.warns(TleAgeWarning, match=r"1 of 1 times are more than 14 days"):
        geodetic(spot, np.array(["2002-09-01"], dtype="datetime64[ns]"))


def test_equation_of_time_extremes() -> None:
    # Published extremes: +16 min 25 s about 3 November, -14 min 15 s about 11 February.
    eot = equation_of_time_min(np.array(["2019-11-03T12:00", "2019-02-11T12:00"],
                                        dtype="datetime64[ns]"))
    np.testing.assert_allclose(eot, [16 + 25 / 60, -(14 + 15 / 60)], atol=0.1)


def test_the_dipole_pole_is_at_90_magnetic() -> None:
    assert dipole_latitude_deg(DIPOLE_POLE_LAT_DEG, -72.68) == pytest.approx(90, abs=0.01)
    assert DIPOLE_POLE_LAT_DEG == pytest.approx(80.6, abs=0.1)


def test_julian_dates_split_at_midnight_with_nanosecond_fractions() -> None:
    jd, fr = julian_dates(np.array(["2000-01-01T12:00:00.000000001"], dtype="datetime64[ns]"))
    assert jd[0] == 2451544.5 and fr[0] * 86400e9 == pytest.approx(43200e9 + 1, abs=1e-3)


def test_nodes_do_not_warn_themselves(science: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        earth_fixed_nodes(science[science.norad_id == CSES], np.datetime64("2021-01-01"),
                          np.datetime64("2021-01-02"))
