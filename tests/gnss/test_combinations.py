"""Frequencies, code choice, geometry-free combinations, cycle slips and arcs."""

from __future__ import annotations

import importlib
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ionoquake.gnss import arcs, combinations
from ionoquake.gnss.combinations import SPEED_OF_LIGHT
from ionoquake.gnss.timescales import seconds_since_gps_epoch

GEONET = "rinex/rtklib/07590920.05o"
L1, L2 = 1575.42e6, 1227.60e6
LAM1, LAM2 = SPEED_OF_LIGHT / L1, SPEED_OF_LIGHT / L2


def read_obs(path: Path) -> xr.Dataset:
    """ionoquake's RINEX observation reader if it exists, else georinex (same layout)."""
    try:
        module = importlib.import_module("ionoquake.sources.rinex_obs")
        return module.read(path)  # type: ignore[no-any-return]
    except ModuleNotFoundError:
        import georinex

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return georinex.load(path)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def geonet(shared_data: Path) -> xr.Dataset:
    return read_obs(shared_data / GEONET)


def test_gps_l1_l2_constant_is_9_52_tecu_per_metre() -> None:
    # f1²f2²/(40.3 (f1² − f2²))/1e16 = 9.52 TECU per metre of P2 − P1; its inverse,
    # 0.105 m of differential delay per TECU (Hofmann-Wellenhof et al. 2008 §5.3.2;
    # SCIENCE-NOTES: 1 TECU ≈ 0.162 m of L1 delay, × (f1²/f2² − 1) = 0.105 m).
    k = float(combinations.tecu_per_metre(L1, L2))
    assert k == pytest.approx(9.52, abs=0.01)
    assert 40.3e16 / L1**2 == pytest.approx(0.1624, abs=1e-4)


def test_glonass_fdma_frequencies_follow_the_channel() -> None:
    # GLONASS ICD 5.1 §3.3.1.4: 1602 + k·0.5625 MHz and 1246 + k·0.4375 MHz.
    chans = {"R01": 1, "R10": -7}
    assert combinations.frequency_hz("R01", 1, chans) == pytest.approx(1602.5625e6)
    assert combinations.frequency_hz("R10", 2, chans) == pytest.approx(1242.9375e6)
    assert np.isnan(combinations.frequency_hz("R05", 1, chans))
    assert combinations.frequency_hz("C07", 2) == pytest.approx(1561.098e6)
    assert combinations.frequency_hz("E11", 5) == pytest.approx(1176.45e6)


def test_rinex2_names_map_to_rinex3_codes() -> None:
    assert combinations.rinex3_code("P2", "G") == "C2W"
    assert combinations.rinex3_code("P1", "R") == "C1P"
    assert combinations.rinex3_code("C1", "G") == "C1C"
    assert combinations.rinex3_code("C5X", "E") == "C5X"


def test_geonet_file_combines_c1_and_p2(geonet: xr.Dataset) -> None:
    sig = combinations.choose_signals(geonet, "G")
    assert sig is not None
    assert sig.code == ("C1", "P2") and sig.phase == ("L1", "L2")
    assert sig.code_pair == "C1C-C2W"
    assert combinations.choose_signals(geonet, "R") is None


def test_code_and_phase_tec_agree_in_shape_on_a_real_arc(geonet: xr.Dataset) -> None:
    sig = combinations.choose_signals(geonet, "G")
    assert sig is not None
    comb = combinations.combine_signals(geonet, sig, ["G28"])
    diff = comb.stec_code[:, 0] - comb.stec_phase[:, 0]
    diff = diff[np.isfinite(diff)]
    # one arc: code − phase is a constant (ambiguity + DCBs) plus code noise of a few TECU
    assert diff.size == 120
    assert np.std(diff) < 3.0


def _arc(geonet: xr.Dataset, sv: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sig = combinations.choose_signals(geonet, "G")
    assert sig is not None
    comb = combinations.combine_signals(geonet, sig, [sv])
    t = seconds_since_gps_epoch(geonet["time"].values.astype("datetime64[ns]"))
    return t, comb.gf_phase_m[:, 0], comb.mw_cycles[:, 0]


@pytest.mark.parametrize("sv", ["G11", "G20", "G24", "G28"])
def test_a_clean_real_arc_is_not_split(geonet: xr.Dataset, sv: str) -> None:
    t, gf, mw = _arc(geonet, sv)
    flags = arcs.classify_epochs(t, gf, mw)
    assert (flags == 1).sum() == 1 and flags[0] == 1
    assert (flags == 2).sum() == 0
    assert np.unique(arcs.arc_ids(t, gf, mw)).tolist() == [0]


def _detectable(n1: int, n2: int) -> bool:
    """Slips at least the detector thresholds plus the arc's noise (p99 of the second
    difference of GF ~0.02 m, of MW ~1.5 cycles) — smaller ones, such as 9 and 7
    cycles (GF 3 mm, MW 2 cycles), are below what the detectors promise."""
    gf = abs(LAM1 * n1 - LAM2 * n2)
    return gf >= arcs.GF_THRESHOLD_M + 0.03 or abs(n1 - n2) >= arcs.MW_THRESHOLD_CYCLES + 2


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n1=st.integers(-40, 40), n2=st.integers(-40, 40), at=st.integers(3, 117),
       sv=st.sampled_from(["G11", "G20", "G24", "G28"]))
def test_planted_slips_split_the_arc_where_they_are(geonet: xr.Dataset, n1: int, n2: int,
                                                    at: int, sv: str) -> None:
    assume(_detectable(n1, n2))
    t, gf, mw = _arc(geonet, sv)
    gf = gf.copy()
    mw = mw.copy()
    gf[at:] += LAM1 * n1 - LAM2 * n2       # λ1·ΔL1 − λ2·ΔL2
    mw[at:] += n1 - n2                     # wide-lane cycles
    flags = arcs.classify_epochs(t, gf, mw)
    assert np.flatnonzero(flags == 1).tolist() == [0, at]
    ids = arcs.arc_ids(t, gf, mw, min_arc_s=0.0)
    assert ids[at - 1] != ids[at]


def test_an_outlier_is_dropped_not_taken_for_a_slip(geonet: xr.Dataset) -> None:
    t, gf, mw = _arc(geonet, "G28")
    gf = gf.copy()
    gf[60] += 0.5
    flags = arcs.classify_epochs(t, gf, mw)
    assert flags[60] == 2
    assert np.flatnonzero(flags == 1).tolist() == [0]


def test_gaps_start_new_arcs_and_short_arcs_are_dropped(geonet: xr.Dataset) -> None:
    t, gf, mw = _arc(geonet, "G28")
    gf, mw = gf.copy(), mw.copy()
    gf[50:56] = np.nan  # 3.5 min without data > MAX_GAP_S
    ids = arcs.arc_ids(t, gf, mw, min_arc_s=0.0)
    assert ids[49] != ids[56] and (ids[50:56] == -1).all()
    short = arcs.arc_ids(t, gf, mw, min_arc_s=1600.0)  # 25 and 32 min arcs: only the 2nd
    assert (short[:50] == -1).all() and (short[56:] == 0).all()


@pytest.fixture(scope="module")
def bele(shared_data: Path) -> xr.Dataset:
    return read_obs(shared_data / "rinex/pygnss_tec_2024-01-10/"
                    "BELE00BRA_R_20240100000_01D_30S_MO.crx.gz")


def _code_vs_phase(obs: xr.Dataset, system: str,
                   frequencies: dict[int, float] | None = None) -> tuple[float, float, int]:
    """Pooled slope of code STEC on phase STEC within arcs, median phase swing, arcs.

    The code combination cancels the geometry whatever the frequencies; the phase one
    only with the right wavelengths — a wrong carrier leaves thousands of km of range
    change in λ1L1 − λ2L2, which the slip detectors then cut to pieces."""
    sig = combinations.choose_signals(obs, system)
    assert sig is not None
    sats = [str(s) for s in obs["sv"].values if str(s).startswith(system)]
    slots = obs.attrs.get("glonass_slots") or {}
    comb = combinations.combine_signals(obs, sig, sats, slots)
    if frequencies:
        k = combinations.tecu_per_metre(*frequencies.values())
        lam = [SPEED_OF_LIGHT / f for f in frequencies.values()]
        l1, l2 = (obs.sel(sv=sats)[p].values for p in sig.phase)
        gf = lam[0] * l1 - lam[1] * l2
        wide = (frequencies[1] * lam[0] * l1 - frequencies[2] * lam[1] * l2) / (
            frequencies[1] - frequencies[2])
        p1, p2 = (obs.sel(sv=sats)[c].values for c in sig.code)
        narrow = (frequencies[1] * p1 + frequencies[2] * p2) / (frequencies[1] + frequencies[2])
        mw = (wide - narrow) / (SPEED_OF_LIGHT / (frequencies[1] - frequencies[2]))
        comb = combinations.Combinations(k * (p2 - p1), k * gf, gf, mw, comb.f1, comb.f2)
    t = seconds_since_gps_epoch(obs["time"].values.astype("datetime64[ns]"))
    xs, ys, swings = [], [], []
    for j in range(len(sats)):
        ids = arcs.arc_ids(t, comb.gf_phase_m[:, j], comb.mw_cycles[:, j])
        for a in np.unique(ids[ids >= 0]):
            ph, co = comb.stec_phase[ids == a, j], comb.stec_code[ids == a, j]
            xs.append(ph - ph.mean())
            ys.append(co - co.mean())
            swings.append(np.ptp(ph))
    if not xs:
        return float("nan"), float("nan"), 0
    x, y = np.concatenate(xs), np.concatenate(ys)
    return float(x @ y / (x @ x)), float(np.median(swings)), len(swings)


@pytest.mark.parametrize("system", ["G", "R", "E", "C"])
def test_every_system_pairs_code_and_phase_on_the_right_carriers(bele: xr.Dataset,
                                                                 system: str) -> None:
    # BELE, full day: GPS C1C/C2W, GLONASS C1C/C2C (channels from the header), Galileo
    # C1X/C5X (E1/E5a), BeiDou C2I/C6I (B1I/B3I). Measured slopes 0.97 (GPS), 1.00
    # (Galileo), 0.98 (BeiDou); median swings of phase STEC over an arc 13–15 TECU.
    slope, swing, n_arcs = _code_vs_phase(bele, system)
    assert n_arcs >= 30
    assert slope == pytest.approx(1.0, abs=0.06)
    assert swing < 50.0


def test_a_wrong_carrier_leaves_the_geometry_in(bele: xr.Dataset) -> None:
    # BeiDou B1I taken for B1C (1575.42 instead of 1561.098 MHz): no arc survives.
    _, _, n_arcs = _code_vs_phase(bele, "C", {1: 1575.42e6, 2: 1268.52e6})
    assert n_arcs < 5
