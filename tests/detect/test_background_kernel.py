"""The compiled background kernel equals the numpy path bit for bit (issue O).

The numpy path of :func:`ionoquake.detect.background.running_statistics` is the
reference (``IONOQUAKE_KERNEL=numpy`` forces it); the per-cell textbook reference of
``test_background.py`` checks the default path, which is the kernel when numba
imports.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ionoquake.detect import background_kernel
from ionoquake.detect.background import (
    QUANTILE_METHODS,
    BackgroundConfig,
    day_layout,
    running_statistics,
    to_day_cube,
)
from tests.detect.jpl_maps import jpl_maps

pytestmark = pytest.mark.skipif(background_kernel.numba is None, reason="numba not installed")


def both_paths(cube: np.ndarray, config: BackgroundConfig, monkeypatch: pytest.MonkeyPatch,
               workers: int | None = None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(numpy path, compiled path) of the same cube."""
    monkeypatch.setenv(background_kernel.ENV, "numpy")
    assert not background_kernel.available()
    reference = running_statistics(cube, config, workers=workers)
    monkeypatch.setenv(background_kernel.ENV, "numba")
    assert background_kernel.available()
    compiled = running_statistics(cube, config, workers=workers)
    return reference, compiled


def assert_identical(reference: dict[str, np.ndarray], compiled: dict[str, np.ndarray]) -> None:
    assert reference.keys() == compiled.keys()
    for name, value in reference.items():
        assert compiled[name].dtype == value.dtype, name
        assert compiled[name].shape == value.shape, name
        # Bit for bit (NaN payloads included): the same IEEE operations in the same order.
        assert compiled[name].tobytes() == value.tobytes(), name


def jpl_cube() -> np.ndarray:
    tec = jpl_maps()["tec"]
    return to_day_cube(np.asarray(tec.values), day_layout(tec["time"].values))


@pytest.mark.parametrize("config", [
    BackgroundConfig(),  # Liu et al. (2004): N = 15, quartile bounds, k = 1.5, all 15 days
    BackgroundConfig(form="iqr", min_days=5),  # as the benchmark against quakeion
    BackgroundConfig(form="sigma", min_days=3),
    BackgroundConfig(window_days=27, quantile_method="hazen", min_days=4, k=2.0),
    BackgroundConfig(window_days=10, quantile_method="weibull", min_days=1),
], ids=["liu", "iqr", "sigma", "27-hazen", "10-weibull"])
def test_the_real_jpl_cube_is_identical(config: BackgroundConfig,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    cube = jpl_cube()  # 55 days x 12 epochs x 5183 cells: 122 blocks of 512 columns
    assert_identical(*both_paths(cube, config, monkeypatch))


def test_the_real_cube_with_missing_maps_and_cells_is_identical(
        monkeypatch: pytest.MonkeyPatch) -> None:
    cube = jpl_cube().copy()
    rng = np.random.default_rng(20)
    cube[rng.random(cube.shape) < 0.2] = np.nan
    cube[17:19] = np.nan  # two days without any map
    cube[:, 5] = np.nan  # one epoch of day never observed
    reference, compiled = both_paths(cube, BackgroundConfig(min_days=8), monkeypatch)
    assert_identical(reference, compiled)
    assert 0 < np.isnan(compiled["background"][20:]).mean() < 1


def test_thread_count_does_not_change_a_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    cube = jpl_cube()[:, :3]
    monkeypatch.setenv(background_kernel.ENV, "numba")
    one = running_statistics(cube, BackgroundConfig(), workers=1)
    two = running_statistics(cube, BackgroundConfig(), workers=2)
    assert_identical(one, two)


def test_the_environment_variable_forces_the_numpy_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("the compiled kernel ran although IONOQUAKE_KERNEL=numpy")

    monkeypatch.setattr(background_kernel, "statistics_kernel", fail)
    monkeypatch.setenv(background_kernel.ENV, "NumPy ")
    running_statistics(jpl_cube()[:20, :1, :100], BackgroundConfig(window_days=5))
    monkeypatch.setenv(background_kernel.ENV, "")
    with pytest.raises(AssertionError, match="compiled kernel ran"):
        running_statistics(jpl_cube()[:20, :1, :100], BackgroundConfig(window_days=5))


# Values in tenths of a TECU (as IONEX stores them) from a small range, so that windows
# hold many ties; NaN for missing maps; +-inf, which neither path counts as valid.
values = st.one_of(st.integers(-20, 60).map(lambda v: np.float32(v) / np.float32(10)),
                   st.just(np.float32(np.nan)), st.just(np.float32(np.inf)),
                   st.just(np.float32(-np.inf)),
                   st.floats(0, 200, width=32, allow_subnormal=False).map(np.float32))
configs = st.integers(2, 27).flatmap(lambda n: st.builds(
    BackgroundConfig, window_days=st.just(n),
    form=st.sampled_from(["quartile", "iqr", "sigma"]), k=st.sampled_from([None, 1.0, 2.5]),
    quantile_method=st.sampled_from(sorted(QUANTILE_METHODS)),
    min_days=st.none() | st.integers(2, n)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs, cube=hnp.arrays(np.float32, st.tuples(st.integers(1, 40),
                                                             st.integers(1, 3),
                                                             st.integers(1, 40)),
                                       elements=values))
def test_generated_cubes_are_identical(config: BackgroundConfig, cube: np.ndarray) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        reference, compiled = both_paths(cube, config, monkeypatch, workers=1)
    for name, value in reference.items():
        # Equal as numbers, NaN where NaN (a window holding -0.0 and 0.0 may return
        # either zero: the only difference the module docstring allows).
        assert np.array_equal(compiled[name], value, equal_nan=True), name


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs, n_days=st.integers(1, 35), seed=st.integers(0, 2**32 - 1),
       holes=st.floats(0, 0.7))
def test_generated_wide_cubes_across_blocks_are_identical(config: BackgroundConfig, n_days: int,
                                                          seed: int, holes: float) -> None:
    # More columns than two blocks, an uneven last block, holes in some blocks only.
    rng = np.random.default_rng(seed)
    cube = np.round(rng.gamma(4, 5, (n_days, 2, background_kernel.BLOCK + 300)), 1)
    cube[:, :, : background_kernel.BLOCK // 2][
        rng.random((n_days, 2, background_kernel.BLOCK // 2)) < holes] = np.nan
    with pytest.MonkeyPatch.context() as monkeypatch:
        reference, compiled = both_paths(cube.astype(np.float32), config, monkeypatch, workers=2)
    assert_identical(reference, compiled)
