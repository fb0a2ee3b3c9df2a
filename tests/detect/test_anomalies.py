"""Anomaly products: strict inequalities checked in exact arithmetic on the real JPL cube,
planted anomalies, the geomagnetic state carried along."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ionoquake.detect import background_kernel
from ionoquake.detect.anomalies import anomaly_arrays, detect_anomalies
from ionoquake.detect.background import BackgroundConfig
from ionoquake.detect.quiet import QuietRules, classify
from ionoquake.sources import indices as index_reader
from tests.detect import test_background_kernel as kernel_tests
from tests.detect.jpl_maps import CELESTRAK, jpl_maps

KP_ONLY = QuietRules(dst_min_nT=None)  # the CelesTrak file has no Dst


@pytest.fixture(scope="module")
def kp_table() -> pd.DataFrame:
    table = index_reader.read(CELESTRAK)
    return table[(table["time"] >= "2000-10-01") & (table["time"] < "2001-02-01")]


@pytest.fixture(scope="module")
def jpl_anomalies(kp_table: pd.DataFrame) -> xr.Dataset:
    return detect_anomalies(jpl_maps(), indices=kp_table, rules=KP_ONLY)


def test_flags_agree_with_exact_integer_arithmetic_on_every_cell(jpl_anomalies: xr.Dataset
                                                                 ) -> None:
    # IONEX values are integers of 0.1 TECU. With 15 reference values the linear quartiles
    # are s3.5, s7, s10.5 (0-based order statistics), so in 0.1 TECU and times 4:
    # 4 UB = 4 s7 + 6 ((s10 + s11)/2 - s7) = 3 (s10 + s11) - 2 s7 and
    # 4 LB = 3 (s3 + s4) - 2 s7: integers, compared with 4 v exactly.
    tecu10 = np.rint(jpl_maps()["tec"].values * 10).astype(np.int64).reshape(55, 12, -1)
    windows = np.stack([tecu10[d - 15:d] for d in range(15, 55)], axis=1)  # (15, 40, 12, n)
    s = np.sort(windows, axis=0)
    v4 = 4 * tecu10[15:]
    ub4 = 3 * (s[10] + s[11]) - 2 * s[7]
    lb4 = 3 * (s[3] + s[4]) - 2 * s[7]
    got_pos = jpl_anomalies["positive"].values[180:].reshape(40, 12, -1)
    got_neg = jpl_anomalies["negative"].values[180:].reshape(40, 12, -1)
    assert np.array_equal(got_pos, v4 > ub4)
    assert np.array_equal(got_neg, v4 < lb4)
    on_bound = (v4 == ub4) | (v4 == lb4)
    assert on_bound.sum() > 100  # real values that land exactly on a bound ...
    assert not (got_pos | got_neg)[on_bound].any()  # ... are not anomalies


def test_a_value_exactly_on_the_bound_is_not_an_anomaly_despite_rounding() -> None:
    # M = 20.1, UQ = 20.3: UB = 20.1 + 1.5 * 0.2 = 20.4 exactly, but not in binary floats.
    m, uq, v = np.float32(20.1), np.float32(20.3), np.float32(20.4)
    naive_ub = np.float64(m) + 1.5 * (np.float64(uq) - np.float64(m))
    assert np.float64(v) > naive_ub  # the naive comparison would flag it
    out = anomaly_arrays(np.array([v, np.float32(20.5)]), np.array([m, m]),
                         np.array([19.0, 19.0]), np.array([naive_ub, naive_ub]))
    assert out["positive"].tolist() == [False, True]


def test_products_of_a_hand_checked_cell(jpl_anomalies: xr.Dataset) -> None:
    # 12.5N 90W 2000-12-06 01:00 UT: TEC 31.7 against M 46.2, LB 40.05 (see test_background):
    # dtec = -14.5 TECU, -31.39 %, severity = -14.5 / (46.2 - 40.05) = -2.358 bound units.
    got = jpl_anomalies.sel(time="2000-12-06T01:00", lat=12.5, lon=-90.0)
    assert float(got["dtec"]) == pytest.approx(-14.5, abs=1e-4)
    assert float(got["dtec_percent"]) == pytest.approx(-100 * 14.5 / 46.2, abs=1e-3)
    assert float(got["severity"]) == pytest.approx(-14.5 / 6.15, abs=1e-4)
    assert bool(got["negative"]) and not bool(got["positive"])


def test_planted_block_is_found_and_nothing_else_changes(jpl_anomalies: xr.Dataset,
                                                         kp_table: pd.DataFrame) -> None:
    maps = jpl_maps().copy(deep=True)
    # +20 TECU on 2000-12-26 05:00 .. 11:00 UT (4 maps), 10N..20N, 100W..80W.
    block = {"time": slice("2000-12-26T05:00", "2000-12-26T11:00"), "lat": slice(10, 20),
             "lon": slice(-100, -80)}
    maps["tec"].loc[block] += 20.0
    got = detect_anomalies(maps, indices=kp_table, rules=KP_ONLY)
    assert got["positive"].loc[block].all()
    assert (got["severity"].loc[block] > 1).all()
    # Before the planted maps nothing differs (no look-ahead) ...
    early = slice(None, "2000-12-26T03:00")
    assert got["positive"].sel(time=early).equals(jpl_anomalies["positive"].sel(time=early))
    # ... and on the same day outside the block the flags are those of the real data.
    outside = got["positive"].sel(time="2000-12-26").where(
        ~((got.lat >= 10) & (got.lat <= 20) & (got.lon >= -100) & (got.lon <= -80)), False)
    real = jpl_anomalies["positive"].sel(time="2000-12-26").where(outside.notnull(), False)
    assert (outside.values <= real.values).all()


def test_geomagnetic_state_is_carried_not_dropped(jpl_anomalies: xr.Dataset,
                                                  kp_table: pd.DataFrame) -> None:
    expected = classify(pd.DatetimeIndex(jpl_anomalies["time"].values), kp_table, KP_ONLY)
    codes = jpl_anomalies["geomag"].values
    assert np.array_equal(codes, expected.cat.codes.to_numpy())
    assert set(np.unique(codes)) == {0, 1}  # both quiet and disturbed epochs kept
    assert jpl_anomalies.sizes["time"] == 660
    assert jpl_anomalies["geomag"].attrs["flag_meanings"] == "quiet disturbed unknown"
    # 2000-12-23: Kp reached 5.7 (CelesTrak), a disturbed day.
    assert (jpl_anomalies["geomag"].sel(time="2000-12-23T23:00") == 1).all()


def test_without_indices_every_epoch_is_unknown_and_it_says_so() -> None:
    maps = jpl_maps()["tec"].isel(lat=slice(0, 3), lon=slice(0, 3))
    got = detect_anomalies(maps)
    assert (got["geomag"] == 2).all()
    assert got["geomag"].attrs["source"] == "no index table given: every epoch unknown"


def test_no_flag_without_a_background(jpl_anomalies: xr.Dataset) -> None:
    first = jpl_anomalies.sel(time=slice(None, "2000-12-05T23:00"))
    assert first["dtec"].isnull().all()
    assert not first["positive"].any() and not first["negative"].any()
    assert jpl_anomalies.attrs["n_without_background"] == 180 * 71 * 73


# ------------------------------------------------------------ compiled pass = numpy path
def both_anomaly_paths(maps: xr.Dataset | xr.DataArray, config: BackgroundConfig,
                       monkeypatch: pytest.MonkeyPatch, **kwargs: object
                       ) -> tuple[xr.Dataset, xr.Dataset]:
    """(numpy path, fused compiled pass) of detect_anomalies on the same maps."""
    monkeypatch.setenv(background_kernel.ENV, "numpy")
    reference = detect_anomalies(maps, config, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setenv(background_kernel.ENV, "numba")
    compiled = detect_anomalies(maps, config, **kwargs)  # type: ignore[arg-type]
    return reference, compiled


def assert_same_bits(reference: xr.Dataset, compiled: xr.Dataset) -> None:
    xr.testing.assert_identical(reference, compiled)  # names, order-free values, attrs
    assert list(reference.data_vars) == list(compiled.data_vars)
    for name, value in reference.data_vars.items():
        assert compiled[name].dtype == value.dtype, name
        assert compiled[name].values.tobytes() == value.values.tobytes(), name


needs_numba = pytest.mark.skipif(background_kernel.numba is None, reason="numba not installed")


@needs_numba
@pytest.mark.parametrize("config", [
    BackgroundConfig(),  # Liu et al. (2004): N = 15, quartile bounds, k = 1.5
    BackgroundConfig(form="iqr", min_days=5),
    BackgroundConfig(form="sigma", min_days=3),
    BackgroundConfig(window_days=27, quantile_method="hazen", min_days=4, k=2.0),
], ids=["liu", "iqr", "sigma", "27-hazen"])
def test_the_fused_pass_equals_the_numpy_path_on_the_real_cube(
        config: BackgroundConfig, kp_table: pd.DataFrame,
        monkeypatch: pytest.MonkeyPatch) -> None:
    reference, compiled = both_anomaly_paths(jpl_maps(), config, monkeypatch,
                                             indices=kp_table, rules=KP_ONLY)
    assert_same_bits(reference, compiled)
    assert reference.attrs["n_positive"] > 1000 and reference.attrs["n_negative"] > 1000


@needs_numba
def test_the_fused_pass_equals_the_numpy_path_with_holes_and_missing_maps(
        monkeypatch: pytest.MonkeyPatch) -> None:
    maps = jpl_maps()["tec"].isel(lat=slice(20, 40)).copy(deep=True)
    rng = np.random.default_rng(7)
    maps.values[rng.random(maps.shape) < 0.15] = np.nan
    # Maps missing (an incomplete day layout: the kernel's cube has empty slots, whose
    # products are not part of the output nor of the counts).
    keep = np.ones(maps.sizes["time"], bool)
    keep[[5, 200, 201, 202, 400]] = False
    keep[300:320] = False
    maps = maps.isel(time=keep)
    # A cell exactly on a zero-width band (TEC constant): severity 0, not NaN.
    maps.values[:, 0, 0] = 25.0
    reference, compiled = both_anomaly_paths(maps, BackgroundConfig(min_days=6), monkeypatch,
                                             tolerance_tecu=0.05)
    assert_same_bits(reference, compiled)
    assert (compiled["severity"].values[200:, 0, 0] == 0).all()
    expected = int(np.isnan(compiled["dtec"].values).sum())
    assert compiled.attrs["n_without_background"] == expected


@needs_numba
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=kernel_tests.configs,
       cube=hnp.arrays(np.float32, st.tuples(st.integers(1, 30), st.integers(1, 3),
                                             st.integers(1, 30)), elements=kernel_tests.values),
       tolerance=st.sampled_from([0.0, 1e-3, 0.5]))
def test_the_fused_pass_equals_the_numpy_path_on_generated_maps(
        config: BackgroundConfig, cube: np.ndarray, tolerance: float) -> None:
    n_days, n_slots, n_cells = cube.shape
    step = 24 // n_slots  # n_slots epochs a day, on the hour
    times = pd.DatetimeIndex([pd.Timestamp("2020-01-01") + pd.Timedelta(days=d, hours=s * step)
                              for d in range(n_days) for s in range(n_slots)])
    maps = xr.DataArray(cube.reshape(n_days * n_slots, n_cells), dims=("time", "cell"),
                        coords={"time": times}, attrs={"units": "TECU"})
    with pytest.MonkeyPatch.context() as monkeypatch:
        reference, compiled = both_anomaly_paths(maps, config, monkeypatch,
                                                 tolerance_tecu=tolerance, workers=1)
    assert reference.attrs == compiled.attrs
    for name, value in reference.data_vars.items():
        # Equal as numbers, NaN where NaN (NaN payloads and the sign of a zero may differ
        # where a window holds -0.0 and 0.0, as test_background_kernel allows).
        assert np.array_equal(compiled[name].values, value.values,
                              equal_nan=value.dtype.kind == "f"), name
