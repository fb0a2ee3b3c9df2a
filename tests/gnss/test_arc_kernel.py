"""The compiled arcs (numba) equal the Python reference flag for flag and id for id."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ionoquake.gnss import arc_kernel, arcs, combinations
from ionoquake.gnss.timescales import seconds_since_gps_epoch
from ionoquake.sources import rinex_obs

pytest.importorskip("numba")

FILES = ["rinex/pygnss_tec_2024-01-10/BELE00BRA_R_20240100000_01D_30S_MO.crx.gz",
         "rinex/rtklib/07590920.05o", "rinex/georust/OBS_V2_delf0010.21o",
         "rinex/georust/OBS_V3_ACOR00ESP_R_20213550000_01D_30S_MO.rnx"]
THRESHOLDS = {"gf_threshold_m": arcs.GF_THRESHOLD_M,
              "mw_threshold_cycles": arcs.MW_THRESHOLD_CYCLES,
              "mw_window": arcs.MW_WINDOW, "max_gap_s": arcs.MAX_GAP_S}


def _reference_ids(t: np.ndarray, gf: np.ndarray, mw: np.ndarray, min_arc_s: float,
                   monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    with monkeypatch.context() as m:
        m.setenv(arc_kernel.ENV, "numpy")
        assert not arc_kernel.available()
        return arcs.arc_ids(t, gf, mw, min_arc_s=min_arc_s, start_id=7)


def _both(t: np.ndarray, gf: np.ndarray, mw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    python = arcs._classify_python(t, gf, mw, **THRESHOLDS)  # type: ignore[arg-type]
    compiled = arc_kernel.classify_kernel(t, gf, mw, **THRESHOLDS)  # type: ignore[arg-type]
    return python, compiled


@pytest.mark.parametrize("name", FILES)
def test_every_real_satellite_gets_the_same_flags_and_arcs(
        shared_data: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    obs = rinex_obs.read(shared_data / name)
    t = seconds_since_gps_epoch(obs["time"].values.astype("datetime64[ns]"))
    starts = 0
    for system in ("G", "R", "E", "C"):
        sig = combinations.choose_signals(obs, system)
        if sig is None:
            continue
        sats = [str(s) for s in obs["sv"].values if str(s)[0] == system]
        chans = {s: 0 for s in sats}  # any channel: the walk, not the physics, is compared
        comb = combinations.combine_signals(obs, sig, sats, chans)
        for j in range(len(sats)):
            gf, mw = comb.gf_phase_m[:, j], comb.mw_cycles[:, j]
            python, compiled = _both(t, gf, mw)
            np.testing.assert_array_equal(compiled, python)
            assert compiled.dtype == python.dtype
            starts += int((python == 1).sum())
            for min_arc_s in (0.0, arcs.MIN_ARC_S):
                ref = _reference_ids(t, gf, mw, min_arc_s, monkeypatch)
                fast = arcs.arc_ids(t, gf, mw, min_arc_s=min_arc_s, start_id=7)
                np.testing.assert_array_equal(fast, ref)
                assert fast.dtype == ref.dtype
    assert starts > 0


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 300),
       window=st.integers(1, 40), gap_s=st.sampled_from([30.0, 60.0, 120.0, 600.0]),
       min_arc_s=st.sampled_from([0.0, 300.0, 600.0]))
def test_generated_series_with_slips_gaps_and_outliers_agree(
        seed: int, n: int, window: int, gap_s: float, min_arc_s: float) -> None:
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.choice([30.0, 30.0, 30.0, 60.0, 150.0, 900.0], size=n))
    gf = np.cumsum(rng.normal(0.0, 0.02, n))
    mw = rng.normal(0.0, 1.0, n)
    for _ in range(rng.integers(0, 6)):  # slips and outliers
        k = int(rng.integers(0, max(n, 1)))
        if rng.random() < 0.5:
            gf[k:] += rng.normal(0.0, 0.3)
            mw[k:] += rng.integers(-10, 10)
        elif n:
            gf[k % n] += rng.normal(0.0, 0.3)
    gf[rng.random(n) < 0.1] = np.nan
    mw[rng.random(n) < 0.05] = np.inf
    kw = {"gf_threshold_m": 0.05, "mw_threshold_cycles": 4.0, "mw_window": window,
          "max_gap_s": gap_s}
    python = arcs._classify_python(t, gf, mw, **kw)  # type: ignore[arg-type]
    compiled = arc_kernel.classify_kernel(t, gf, mw, **kw)  # type: ignore[arg-type]
    np.testing.assert_array_equal(compiled, python)
    run = np.cumsum(python == 1)
    member = (python == 0) | (python == 1)
    ref = np.full(n, -1, dtype=np.int32)
    next_id = 3
    for r in np.unique(run[member]):
        sel = member & (run == r)
        if t[sel][-1] - t[sel][0] >= min_arc_s:
            ref[sel] = next_id
            next_id += 1
    np.testing.assert_array_equal(arc_kernel.ids_kernel(t, python, min_arc_s, 3), ref)


def test_the_environment_switch_selects_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(arc_kernel.ENV, "numpy")
    assert not arc_kernel.available()
    monkeypatch.setenv(arc_kernel.ENV, "")
    assert arc_kernel.available()
