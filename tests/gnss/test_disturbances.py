"""CIDs around an earthquake: planted signals, extended sources, the null, the Noto case."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from ionoquake.errors import InputError
from ionoquake.geo import great_circle_km
from ionoquake.gnss.disturbances import (
    NOTO_2024,
    azimuth_deg,
    detrend,
    disturbances_around,
    pick_disturbances,
)
from ionoquake.gnss.disturbances_fit import TravelTimeFit, fit_travel_time
from ionoquake.gnss.disturbances_null import disturbance_null, fake_origin_times
from ionoquake.quake import Earthquake
from ionoquake.sources import madrigal

NOTO = "tec_los_madrigal/madrigal_los_tec_japan_20240101_0700-0859UT_noto.csv.gz"


@pytest.fixture(scope="module")
def noto(shared_data: Path) -> xr.Dataset:
    return madrigal.read(shared_data / NOTO)


def _plant_cid(ds: xr.Dataset, quake: Earthquake, *, speed_km_s: float, delay_min: float,
               amplitude_tecu: float, width_s: float = 90.0,
               max_distance_km: float = 900.0) -> xr.Dataset:
    """Add a Gaussian TEC pulse arriving at ``origin + delay + d / speed`` on every pair
    whose pierce point is within ``max_distance_km`` (d: its distance at each sample)."""
    d = great_circle_km(quake.latitude, quake.longitude, ds["ipp_lat"].to_numpy(),
                        ds["ipp_lon"].to_numpy())
    t = (ds["time"].to_numpy() - quake.time) / np.timedelta64(1, "s")
    arrival = delay_min * 60.0 + d / speed_km_s
    pulse = amplitude_tecu * np.exp(-0.5 * ((t[:, None, None] - arrival) / width_s) ** 2)
    pulse[~(d <= max_distance_km)] = 0.0
    return ds.assign(stec=ds["stec"] + np.nan_to_num(pulse))


def test_a_planted_cid_on_real_arcs_is_recovered_within_its_uncertainty(noto: xr.Dataset) -> None:
    # A fake event at the Noto epicentre 62 min after the real one (a quiet hour of the
    # same arcs): acoustic-like 1.0 km/s from a point, 0.6 TECU, 8 min up-going delay.
    fake = Earthquake(np.datetime64("2024-01-01T08:12:00", "ns"), NOTO_2024.latitude,
                      NOTO_2024.longitude, 7.5, depth_km=10.0)
    planted = _plant_cid(noto, fake, speed_km_s=1.0, delay_min=8.0, amplitude_tecu=0.6)
    _, picks = disturbances_around(planted, fake, snr_threshold=5.0)
    near = picks[picks["distance_km"] <= 900]
    assert near["detected"].mean() > 0.8
    fit = fit_travel_time(picks, max_distance_km=900)
    low, high = fit.velocity_ci95_km_s
    assert low <= 1.0 <= high
    assert abs(fit.velocity_km_s - 1.0) < 3 * fit.velocity_error_km_s
    assert fit.velocity_error_km_s < 0.15
    assert 6.0 < fit.t0_min < 10.0           # the planted 8 min delay
    assert not any("point" in w for w in fit.warnings)
    assert TravelTimeFit.from_dict(fit.to_dict()) == fit


def _picks_from(distances: np.ndarray, azimuths: np.ndarray, times_min: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"distance_km": distances, "azimuth_deg": azimuths,
                         "peak_min": times_min, "onset_min": times_min,
                         "detected": True, "snr": 10.0})


def test_the_fit_warns_when_the_source_is_extended() -> None:
    # Pierce points 50-650 km from the epicentre on all sides; the wave leaves from the
    # nearest point of a 300 km rupture running north-east from it (Wells & Coppersmith:
    # ~M8.4), at 1 km/s after an 8 min delay.
    rng = np.random.default_rng(3)
    n = 40
    r = rng.uniform(50, 650, n)
    az = rng.uniform(0, 360, n)
    x, y = r * np.sin(np.radians(az)), r * np.cos(np.radians(az))
    along = np.clip((x + y) / np.sqrt(2), 0, 300)          # projection on the fault
    gap = np.hypot(x - along / np.sqrt(2), y - along / np.sqrt(2))
    extended = fit_travel_time(_picks_from(r, az, 8 + gap / 60.0), rupture_length_km=300)
    assert any("does not fit" in w or "point" in w for w in extended.warnings)
    point = fit_travel_time(_picks_from(r, az, 8 + r / 60.0), rupture_length_km=100)
    assert point.warnings == ()
    assert point.velocity_km_s == pytest.approx(1.0, rel=1e-6)


def _noise_container(seed: int, hours: float = 4.0, n_receivers: int = 6,
                     n_satellites: int = 8) -> xr.Dataset:
    """Pure noise: a slow satellite-pass trend plus white noise (0.05 TECU), 30 s."""
    rng = np.random.default_rng(seed)
    times = np.arange(np.datetime64("2024-01-01T00:00", "ns"),
                      np.datetime64("2024-01-01T00:00", "ns") + np.timedelta64(int(hours * 3600), "s"),
                      np.timedelta64(30, "s"))
    shape = (len(times), n_receivers, n_satellites)
    hours_ = np.arange(len(times))[:, None, None] / 120.0
    stec = 30 + 5 * np.cos(hours_ / 3) + rng.normal(0, 0.05, shape)
    full = np.ones(shape)
    dims = ("time", "receiver", "satellite")
    lat = 37.0 + rng.uniform(-5, 5, (1, n_receivers, n_satellites)) * full
    lon = 137.0 + rng.uniform(-5, 5, (1, n_receivers, n_satellites)) * full
    return xr.Dataset(
        {"stec": (dims, stec), "stec_error": (dims, 0.1 * full),
         "elevation": (dims, 45.0 * full), "ipp_lat": (dims, lat), "ipp_lon": (dims, lon),
         "arc": (dims, np.zeros(shape, np.int32))},
        coords={"time": times, "receiver": [f"r{i}" for i in range(n_receivers)],
                "satellite": [f"G{i + 1:02d}" for i in range(n_satellites)]},
        attrs={"sampling_s": 30.0})


def test_the_null_at_fake_times_on_pure_noise_gives_the_false_alarm_rate() -> None:
    quake = Earthquake(np.datetime64("2024-01-01T00:40", "ns"), 37.0, 137.0, 7.0, depth_km=10.0)
    # The picker's false-alarm rate, from independent noise realisations at one origin.
    reference = [disturbances_around(_noise_container(seed), quake)[1]["detected"]
                 for seed in range(1, 9)]
    rate = float(pd.concat(reference).mean())
    assert 0.01 < rate < 0.6
    noise = _noise_container(100)
    null = disturbance_null(noise, quake, step_min=10.0)
    assert len(null.fake_origins) >= 10
    share = np.array(null.n_over) / np.array(null.n_pairs)
    n = np.sum(null.n_pairs)
    assert abs(share.mean() - rate) < 4 * np.sqrt(rate * (1 - rate) / n) + 0.05
    assert null.observed_n_pairs == 48
    assert 0.0 < null.share_n_over_at_least_observed <= 1.0
    assert disturbance_null(noise, quake, step_min=10.0).to_dict() == null.to_dict()


def test_fake_origins_keep_clear_of_the_event(noto: xr.Dataset) -> None:
    fakes = fake_origin_times(noto, NOTO_2024)
    # 2 h of data, origin 10 min in: only after the signal window (45 min) and a 10 min
    # noise window, and before 30 min from the end: 08:10, 08:15, 08:20, 08:25.
    assert [str(t)[11:16] for t in fakes] == ["08:10", "08:15", "08:20", "08:25"]
    with pytest.raises(InputError, match="no fake origin"):
        disturbance_null(noto, NOTO_2024, signal_min=(-60.0, 200.0))


def test_detrending_options_and_their_errors(noto: xr.Dataset) -> None:
    poly = detrend(noto, method="polynomial", degree=0)
    seen = noto["stec"].where(noto["stec_error"] <= 10)
    # degree 0 removes each arc's mean: the detrended arcs average zero.
    arc_mean = poly.sel(receiver="aira", satellite="G08").mean()
    assert abs(float(arc_mean)) < 1e-9
    assert int(poly.notnull().sum()) <= int(seen.notnull().sum())
    for bad in ({"method": "spline"}, {"degree": 20}, {"band_mhz": (8.0, 1.5)}):
        with pytest.raises(InputError):
            detrend(noto, **bad)  # type: ignore[arg-type]
    assert azimuth_deg(0.0, 0.0, 1.0, 0.0) == pytest.approx(0.0)
    assert azimuth_deg(0.0, 0.0, 0.0, 1.0) == pytest.approx(90.0)


def test_noto_2024_shows_cids_and_a_null_that_does_not(noto: xr.Dataset) -> None:
    """What the Madrigal export shows for the Mw7.5 Noto earthquake (see docs/gnss.md)."""
    _, picks = disturbances_around(noto, NOTO_2024)
    strong = picks[picks["snr"] >= 8]
    # The strongest disturbances: pierce points 70-300 km from the epicentre, onsets
    # 8-11 min after the origin (Heki 2024: ~9 min), peaks 10-15 min.
    assert len(strong) >= 3
    assert strong["distance_km"].max() < 300
    assert strong["onset_min"].between(8.0, 11.0).all()
    assert strong["peak_min"].between(10.0, 15.0).all()
    top = picks.loc[picks["amplitude_tecu"].idxmax()]
    assert (top["receiver"], top["satellite"]) == ("aira", "G18")
    assert top["amplitude_tecu"] > 0.5 and top["distance_km"] < 100
    # Within 1000 km, 19 pairs pass 3 sigma; 15 of them have their onset 6-20 min after
    # the origin, the other 4 at 21-30 min (noise or later, slower waves).
    within = picks[(picks["distance_km"] <= 1000) & picks["detected"]]
    assert len(within) >= 15
    assert within["onset_min"].between(6.0, 20.0).mean() > 0.75
    # The travel-time fit of the clear picks within 500 km: an acoustic-range speed,
    # lower than 1 km/s (an apparent speed near the source, from a ~100 km rupture).
    fit = fit_travel_time(picks, min_snr=5.0, max_distance_km=500)
    assert 0.3 < fit.velocity_km_s < 1.0
    assert fit.velocity_ci95_km_s[1] > 0.7
    # All detected picks with one point source: the fit says it does not hold.
    loose = fit_travel_time(picks)
    assert any("does not fit" in w for w in loose.warnings)
    null = disturbance_null(noto, NOTO_2024)
    assert null.observed_n_over > max(null.n_over)
    assert null.observed_max_amplitude_tecu > 2 * max(null.max_amplitude_tecu)


def test_picks_table_has_its_columns_even_when_empty(noto: xr.Dataset) -> None:
    dstec = detrend(noto)
    early = pick_disturbances(noto, dstec, NOTO_2024, noise_min=(-60.0, -50.0))
    assert early.empty and list(early.columns)[:3] == ["receiver", "satellite", "arc"]
    with pytest.raises(InputError):
        fit_travel_time(early)
