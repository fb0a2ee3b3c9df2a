"""What a network run shares between receivers gives what each receiver alone would.

The zero-phase band-pass applied to many arcs at once equals ``scipy.signal.sosfiltfilt``
arc by arc; a bias table digested once (:class:`NetworkBiases`) gives the lookups of
:mod:`ionoquake.gnss.biases`; a receiver's slant TEC with both equals the one without.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from ionoquake.gnss import tec
from ionoquake.gnss.bias_lookup import NetworkBiases
from ionoquake.gnss.biases import receiver_dsb_table, satellite_dsb_table
from ionoquake.gnss.disturbances import _ZeroPhase
from ionoquake.gnss.ephemeris import OrbitCache
from ionoquake.sources import bias_sinex, rinex_nav, rinex_obs

DAY = "rinex/pygnss_tec_2024-01-10"


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), order=st.integers(1, 6),
       step_s=st.sampled_from([1.0, 15.0, 30.0]), count=st.integers(1, 40),
       rows=st.integers(1, 16))
def test_many_arcs_filtered_at_once_equal_sosfiltfilt_arc_by_arc(
        seed: int, order: int, step_s: float, count: int, rows: int) -> None:
    sos = signal.butter(order, [1.5e-3, 8e-3], btype="bandpass", fs=1.0 / step_s,
                        output="sos")
    zero_phase = _ZeroPhase(sos)
    rng = np.random.default_rng(seed)
    arcs = [np.cumsum(rng.normal(0.0, 0.1, n))
            for n in rng.integers(zero_phase.edge + 1, 600, count)]
    together = zero_phase.many(arcs, rows=rows)
    for arc, got in zip(arcs, together, strict=True):
        expected = signal.sosfiltfilt(sos, arc)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(zero_phase(arc), expected)
    with pytest.raises(ValueError, match="padlen"):
        zero_phase.many([np.zeros(zero_phase.edge)])


@pytest.fixture(scope="module")
def cas(shared_data: Path) -> object:
    return bias_sinex.read(shared_data / DAY / "CAS0OPSRAP_20240100000_01D_01D_DCB.BIA.gz")


def test_a_bias_table_digested_once_gives_the_same_lookups(cas: object) -> None:
    once = NetworkBiases(cas)
    assert once.satellite == satellite_dsb_table(cas)
    for station in ("BELE", "bele", "BELE00BRA", "S001", "ZZZZ"):
        assert once.receiver(station) == receiver_dsb_table(cas, station)
    assert once.receiver("BELE")  # CAS has BELE's own DSBs
    assert NetworkBiases(None).receiver("BELE") == {}
    table = {("G01", "C1C", "C2W"): 1.0}
    assert NetworkBiases(table).satellite == satellite_dsb_table(table)


def test_a_receiver_with_the_shared_cache_and_biases_equals_it_alone(
        shared_data: Path, cas: object) -> None:
    obs = rinex_obs.read(shared_data / DAY / "BELE00BRA_R_20240100000_01D_30S_MO.crx.gz")
    navs = [rinex_nav.read(shared_data / DAY / f"brdc0100.24{x}.gz") for x in "ng"]
    shared = OrbitCache(navs)
    shared.fill_day()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tec.EphemerisWarning)
        alone = tec.slant_tec(obs, navs, biases=cas)
        network = tec.slant_tec(obs, shared, biases=NetworkBiases(cas))
    xr.testing.assert_identical(network, alone)
    assert np.isfinite(alone["stec"].values).sum() > 20_000
