"""Baselines: b-values (Aki 1965), Gutenberg-Richter shares, uniform and smoothed rates."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ionoquake.forecast.alarms import alarm_grid, check_alarms
from ionoquake.forecast.baseline import (
    aki_b_value,
    gutenberg_richter_fractions,
    smoothed_spatial_rate,
    uniform_spatial_rate,
)
from ionoquake.forecast.grid import ForecastError, Grid, count_events

GLOBAL = Grid(step_deg=2.0, magnitude_step=0.5)


def test_aki_b_value_by_hand() -> None:
    # mean 5.0, Mc 4.5, ΔM 0.1: b = log10(e) / (5.0 - 4.45) = 0.7896
    b, sigma = aki_b_value([4.5, 5.0, 5.5], 4.5, 0.1)
    assert b == pytest.approx(math.log10(math.e) / 0.55)
    assert sigma == pytest.approx(b / math.sqrt(3))


def test_aki_b_value_recovers_b_on_synthetic_magnitudes() -> None:
    m = 4.5 + np.random.default_rng(1).exponential(1 / (1.2 * math.log(10)), 50_000)
    b, sigma = aki_b_value(m, 4.5, 0.0)
    assert b == pytest.approx(1.2, abs=3 * sigma)


def test_gutenberg_richter_shares_sum_to_one_with_open_last_bin() -> None:
    f = gutenberg_richter_fractions(GLOBAL, 1.0)
    assert f.sum() == pytest.approx(1.0)
    assert f[0] == pytest.approx(1 - 10**-0.5)  # M4.5-5.0
    assert f[-1] == pytest.approx(10 ** -(8.5 - 4.5))  # M >= 8.5


def test_cell_areas_sum_to_the_sphere() -> None:
    assert GLOBAL.cell_area_km2().sum() == pytest.approx(4 * math.pi * 6371.0**2, rel=1e-12)


def _cat(lat: list[float], lon: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"latitude": lat, "longitude": lon, "magnitude": [6.0] * len(lat)})


def test_smoothing_conserves_the_rate_and_wraps_the_dateline() -> None:
    cat = _cat([0.5, 0.5], [179.9, -30.0])
    rate = smoothed_spatial_rate(cat, GLOBAL, days=4.0, sigma_km=300.0)
    assert rate.sum() == pytest.approx(0.5)
    i, j = GLOBAL.cell_of([0.5, 0.5], [177.0, -179.0])  # two cells either side of 179°
    assert rate[i[0], j[0]] == pytest.approx(rate[i[1], j[1]], rel=1e-6)  # symmetric across 180°
    assert rate.min() > 0  # the uniform floor


def test_uniform_rate_follows_cell_area() -> None:
    rate = uniform_spatial_rate(_cat([10.0], [10.0]), GLOBAL, days=10.0)
    assert rate.sum() == pytest.approx(0.1)
    assert rate[45, 0] / rate[0, 0] == pytest.approx(
        GLOBAL.cell_area_km2()[45, 0] / GLOBAL.cell_area_km2()[0, 0])


def test_no_events_is_an_error_not_a_zero_forecast() -> None:
    with pytest.raises(ForecastError, match="no catalogue events at or above M4.5"):
        uniform_spatial_rate(_cat([], []), GLOBAL, days=10.0)


def test_events_on_edges_and_outside() -> None:
    g = Grid(30, 40, 130, 145, 1.0, 4.5, 7.0, 0.5)
    counts = count_events(_cat([30.0, 40.0, 29.99, 35.0], [130.0, 145.0, 131.0, 150.0]), g)
    assert counts.sum() == 2 and counts[0, 0] == 1 and counts[-1, -1] == 1


def test_alarm_table_errors_name_the_row() -> None:
    bad = pd.DataFrame({"start": pd.to_datetime(["2020-01-02", "2020-01-02"]),
                        "end": pd.to_datetime(["2020-01-03", "2020-01-01"]),
                        "lat": [0.0, 0.0], "lon": [0.0, 0.0], "radius_km": [100.0, 100.0],
                        "score": [1.0, 1.0]})
    with pytest.raises(ForecastError, match="alarm table row 1: end is not after start"):
        check_alarms(bad)
    with pytest.raises(ForecastError, match=r"lacks column\(s\) \['radius_km'\]"):
        check_alarms(bad.drop(columns="radius_km"))
    score, gain = alarm_grid(bad.iloc[:1], GLOBAL, pd.Timestamp("2020-01-02"),
                             pd.Timestamp("2020-01-03"), default_gain=2.0)
    assert gain.max() == 2.0 and np.isfinite(score).sum() == 1
