"""The main field subtracted from along-track field magnitudes (IGRF-14 via ppigrf)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ionoquake.detect.along_track import AlongTrackConfig, along_track_residuals
from ionoquake.detect.conjugate import igrf_field
from ionoquake.detect.main_field import igrf_magnitude, subtract_main_field
from ionoquake.errors import InputError
from ionoquake.sources import cses

HPM = "insitu/cses/CSES_01_HPM_5_L02_A2_096791_20191101_001933_20191101_005555_000.h5"


@pytest.fixture(scope="module")
def track(shared_data: Path) -> xr.Dataset:
    return cses.read(shared_data / HPM)


def test_igrf_magnitude_equals_the_independent_series() -> None:
    # ionoquake's own spherical-harmonic sum (detect.conjugate.igrf_field, Langel 1987
    # recursions) against ppigrf's, at CSES altitude and at the surface
    lats = np.array([-60.0, -10.0, 0.0, 35.0, 70.0])
    lons = np.array([-120.0, 15.0, 100.0, 139.0, -40.0])
    for alt in (0.0, 507.0):
        ours = igrf_magnitude(np.datetime64("2019-11-01T12:00"), lats, lons, np.full(5, alt))
        series = [np.linalg.norm(igrf_field(6371.2 + alt, 90 - la, lo, dt.date(2019, 11, 1)))
                  for la, lo in zip(lats, lons, strict=True)]
        np.testing.assert_allclose(ours, series, atol=0.5)
    # the surface field is 22,000-67,000 nT everywhere (IGRF-13/14 maps, NOAA NCEI)
    surface = igrf_magnitude(np.datetime64("2019-11-01"), lats, lons, np.zeros(5))
    assert ((surface > 22_000) & (surface < 67_000)).all()


def test_subtracting_igrf_takes_the_residuals_from_hundreds_to_a_few_nt(
        track: xr.Dataset) -> None:
    raw = along_track_residuals(track, "b_total")
    corrected = along_track_residuals(subtract_main_field(track, "b_total"), "b_total")
    raw_rms = float(np.nanstd(raw["residual"]))
    rms = float(np.nanstd(corrected["residual"]))
    assert raw_rms > 300 and rms < 10  # measured 391 nT and 6.5 nT
    assert "IGRF-14" in subtract_main_field(track, "b_total")["b_total"].attrs["long_name"]


def test_a_planted_few_nt_disturbance_is_found_where_it_was_planted(track: xr.Dataset) -> None:
    # a 5 nT wave packet (1° of latitude period, 1.5° wide) at 10°N on the real half-orbit,
    # scanned as Marchetti et al. (2022) scan the field magnitude: first differences
    lat = track["lat"].values
    config = AlongTrackConfig(first_differences=True)
    packet = 5.0 * np.sin(2 * np.pi * (lat - 10) / 1.0) * np.exp(-0.5 * ((lat - 10) / 1.5) ** 2)
    quiet = subtract_main_field(track, "b_total")
    planted = quiet.copy()
    planted["b_total"] = quiet["b_total"] + packet
    found = along_track_residuals(planted, "b_total", config)["flag"].values
    before = along_track_residuals(quiet, "b_total", config)["flag"].values
    near = np.abs(lat - 10) < 4
    assert found[near].sum() > 20 and before[near].sum() == 0
    # without the main field removed, a cubic in latitude cannot see it at all
    raw = track.copy()
    raw["b_total"] = track["b_total"] + packet
    assert along_track_residuals(raw, "b_total")["flag"].values[near].sum() == 0


def test_vector_components_are_refused(track: xr.Dataset) -> None:
    with pytest.raises(InputError, match="only from field magnitudes"):
        subtract_main_field(track, "b_x")
