"""Great-circle distance and the Dobrovolsky radius against published numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ionoquake.errors import IonoquakeError
from ionoquake.geo import (
    EARTH_RADIUS_KM,
    dobrovolsky_radius_km,
    great_circle_km,
    preparation_zone_radius_km,
)

ONE_KM = 1.0
ONE_METRE = 1e-3

latitudes = st.floats(-90, 90, allow_nan=False)
longitudes = st.floats(-180, 180, allow_nan=False)


@pytest.mark.parametrize(("magnitude", "radius_km"), [(5.0, 141), (6.0, 380), (7.0, 1023)])
def test_dobrovolsky_radius_matches_the_published_values(magnitude: float,
                                                         radius_km: int) -> None:
    # Dobrovolsky, Zubkov & Miachkin (1979), R = 10**(0.43 M) km: M5 141, M6 380, M7 1023 km.
    assert dobrovolsky_radius_km(magnitude) == pytest.approx(radius_km, abs=ONE_KM)


def test_dobrovolsky_radius_is_vectorised() -> None:
    np.testing.assert_allclose(dobrovolsky_radius_km([5.0, 7.0]), [141.25, 1023.29], atol=0.01)


def test_a_fixed_radius_replaces_dobrovolsky() -> None:
    np.testing.assert_array_equal(preparation_zone_radius_km([5, 8], fixed_radius_km=500.0),
                                  [500.0, 500.0])
    np.testing.assert_allclose(preparation_zone_radius_km([6.0]), [380.19], atol=0.01)
    with pytest.raises(IonoquakeError, match="fixed_radius_km must be positive, got -1"):
        preparation_zone_radius_km([6.0], fixed_radius_km=-1.0)


def test_one_degree_of_the_equator_and_half_the_globe() -> None:
    # 2 pi R / 360 with R = 6371.0 km (IUGG mean radius).
    assert great_circle_km(0.0, 0.0, 0.0, 1.0) == pytest.approx(111.19492664, abs=ONE_METRE)
    assert great_circle_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * EARTH_RADIUS_KM)
    assert great_circle_km(90.0, 0.0, -90.0, 77.0) == pytest.approx(math.pi * EARTH_RADIUS_KM)


def test_distance_across_the_antimeridian_is_short() -> None:
    assert great_circle_km(0.0, 179.5, 0.0, -179.5) == pytest.approx(111.195, abs=ONE_METRE)


def test_el_salvador_2001_usgs_to_isc_gem_epicentre() -> None:
    # USGS usp000a7m5 13.049N 88.66W; ISC-GEM 1763440 13.060N 88.699W (v1.05 line 15332):
    # 0.011 deg of latitude and 0.039 deg of longitude apart, about 4.4 km.
    d = great_circle_km(13.049, -88.66, 13.060, -88.699)
    expected = EARTH_RADIUS_KM * math.radians(math.hypot(0.011, 0.039 * math.cos(
        math.radians(13.05))))
    assert d == pytest.approx(expected, abs=0.01)


@given(latitudes, longitudes, latitudes, longitudes)
def test_distance_is_symmetric_and_bounded(lat1: float, lon1: float, lat2: float,
                                           lon2: float) -> None:
    d = great_circle_km(lat1, lon1, lat2, lon2)
    assert d == pytest.approx(great_circle_km(lat2, lon2, lat1, lon1), abs=ONE_METRE)
    assert 0.0 <= d <= math.pi * EARTH_RADIUS_KM + ONE_METRE


@given(latitudes, longitudes, latitudes, longitudes, latitudes, longitudes)
def test_triangle_inequality(a: float, b: float, c: float, d: float, e: float,
                             f: float) -> None:
    assert great_circle_km(a, b, e, f) <= (great_circle_km(a, b, c, d)
                                           + great_circle_km(c, d, e, f) + ONE_METRE)
