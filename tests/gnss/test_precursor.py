"""The reference-curve precursor method: its artefact, calibration and power."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ionoquake.errors import InputError
from ionoquake.gnss.precursor import (
    PrecursorResult,
    ReferenceConfig,
    default_family,
    enhancement_score,
    precursor_test,
    random_origin_times,
    reference_curve,
)

SMALL_FAMILY = default_family(degrees=(2, 3, 4), exclude_after_min=(10.0, 40.0, 100.0))


def synthetic_vtec(seed: int, *, days: float = 3.0, drop_tecu: float = 0.0,
                   enhancement_tecu: float = 0.0, origin_fraction: float = 0.5,
                   ) -> tuple[pd.Series, np.datetime64]:
    """VTEC every 30 s: a diurnal curve (20 +- 8 TECU) plus red noise (~0.15 TECU, 30 min
    correlation), with optionally a post-seismic drop starting 8 min after the origin
    (recovering over ~25 min) or a linear enhancement over the 40 min before it."""
    rng = np.random.default_rng(seed)
    n = int(days * 24 * 120)
    times = pd.date_range("2024-01-01", periods=n, freq="30s")
    hours = np.arange(n) / 120.0
    base = 20 + 8 * np.sin(2 * np.pi * (hours - 9) / 24) + 2 * np.sin(2 * np.pi * hours / 12)
    red = np.convolve(rng.normal(0, 1, n), np.ones(60) / np.sqrt(60), "same") * 0.15
    origin = times[int(n * origin_fraction)]
    minutes = np.asarray((times - origin) / pd.Timedelta(minutes=1))
    drop = np.where(minutes >= 8, -drop_tecu * np.exp(-(minutes - 8) / 25.0), 0.0)
    ramp = np.where((minutes >= -40) & (minutes < 0), enhancement_tecu * (minutes + 40) / 40, 0)
    return pd.Series(base + red + drop + ramp, index=times), origin.to_datetime64()


def test_a_post_seismic_drop_makes_single_fit_precursors_but_no_family_alarm() -> None:
    # Eisenbeis & Occhipinti (2021): with the post-seismic drop inside the fit, the curve
    # sags under the pre-seismic data and a "precursor" appears from nothing.
    vtec, origin = synthetic_vtec(11, drop_tecu=3.0)
    result = precursor_test(vtec, origin)
    assert result.n_configurations == 56
    assert result.n_single_alarms >= 3          # the artefact, for some configurations
    scores = dict(zip(result.labels, result.scores, strict=True))
    short_exclusion = scores[ReferenceConfig(4, exclude_before_min=60,
                                             exclude_after_min=10).label()]
    long_exclusion = scores[ReferenceConfig(4, exclude_before_min=60,
                                            exclude_after_min=100).label()]
    assert short_exclusion > long_exclusion
    assert not result.alarm
    assert "single fits exceed" in result.reason
    # Seeds where fits using post-origin data alone would alarm (p_family <= 0.05): the
    # pre-origin-only fits do not follow, so the family does not.
    for seed in (304, 306):
        other = precursor_test(*synthetic_vtec(seed, drop_tecu=3.0))
        assert other.n_single_alarms > 30 and not other.alarm
        assert other.p_pre_origin_only > other.alpha
    # The same series without the drop: no artefact to speak of.
    clean, _ = synthetic_vtec(11)
    assert precursor_test(clean, origin).n_single_alarms < result.n_single_alarms


def test_the_reference_curve_excludes_its_window() -> None:
    vtec, origin = synthetic_vtec(2)
    config = ReferenceConfig(3)
    curve = reference_curve(vtec, origin, config)
    minutes = (vtec.index - pd.Timestamp(origin)) / pd.Timedelta(minutes=1)
    assert curve[(minutes < -180) | (minutes > 120)].isna().all()
    assert curve[(minutes >= -180) & (minutes <= 120)].notna().all()
    # A planted +3 TECU step inside the excluded window leaves the curve unchanged.
    stepped = vtec.where(~((minutes >= -40) & (minutes < 0)), vtec + 3.0)
    assert np.allclose(reference_curve(stepped, origin, config), curve, equal_nan=True)
    assert enhancement_score(stepped, origin, config) > enhancement_score(vtec, origin, config) + 5


@pytest.mark.parametrize("alpha", [0.1])
def test_alarms_on_no_signal_data_stay_within_alpha(alpha: float) -> None:
    alarms = []
    for seed in range(30):
        vtec, origin = synthetic_vtec(100 + seed, days=2.0,
                                      origin_fraction=float(np.random.default_rng(seed).uniform(0.2, 0.8)))
        alarms.append(precursor_test(vtec, origin, family=SMALL_FAMILY, alpha=alpha,
                                     step_min=15.0).alarm)
    n = len(alarms)
    # Binomial(30, 0.1): mean 3, P(X > 7) < 0.01.
    assert sum(alarms) <= alpha * n + 2.5 * np.sqrt(n * alpha * (1 - alpha))


def test_a_planted_enhancement_is_found() -> None:
    found = []
    for seed in range(5):
        vtec, origin = synthetic_vtec(200 + seed, enhancement_tecu=4.0)
        result = precursor_test(vtec, origin)
        found.append(result.alarm)
        assert result.positive_share >= 0.9
    assert sum(found) >= 4
    assert PrecursorResult(**{k: tuple(v) if isinstance(v, list) else v
                              for k, v in result.to_dict().items()}) == result


def test_random_times_and_bad_families() -> None:
    vtec, origin = synthetic_vtec(5, days=1.0)
    family = default_family()
    times = random_origin_times(vtec, origin, family, step_min=10.0)
    gaps = np.abs((times - origin) / np.timedelta64(1, "m"))
    assert (gaps >= 300).all()
    with pytest.raises(InputError, match="random origin"):
        precursor_test(vtec, origin, random_origins=times[:5])
    with pytest.raises(InputError, match="empty"):
        precursor_test(vtec, origin, family=[])
