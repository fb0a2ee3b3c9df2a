"""Slant TEC of the BELE day: ionoquake against a plain numpy STEC, values and times.

The plain numpy STEC is the textbook geometry-free pair on the observation Dataset in
georinex's layout, written out here with nothing shared with ionoquake::

    K = f1² f2² / (40.3 (f1² − f2²)) / 1e16          TECU per metre
    STEC_code = K (C2 − C1),  STEC_phase = K (λ1 L1 − λ2 L2)

for GPS (C1C/C2W, L1C/L2W) and GLONASS (C1C/C2C, L1C/L2C, channel k from the RINEX 3
header). ionoquake's combinations (:func:`ionoquake.gnss.combinations.combine_signals`)
must give the same values (NaN in the same places, relative difference ≤ 1e-12), and the
times of three things are printed: the plain numpy STEC, ionoquake's combinations alone,
and ionoquake's whole :func:`ionoquake.gnss.tec.slant_tec` (orbits, arcs and cycle
slips, levelling, DCBs, receiver bias, pierce points — work the plain STEC does not do).

The observations come from ``ionoquake.sources.rinex_obs`` (equal to georinex value for
value: ``benchmarks/bench_gnss.py``); ``--georinex`` reads them with ``georinex.load``
instead (more than 15 min for this file on the 2-core machine); georinex's own output
is compared, always, on the two GEONET files it reads in under a second.
:func:`compare_slant_tec` is the hook that ``bench_gnss.py`` calls with both Datasets.

    python benchmarks/bench_gnss_tec.py [--repeat 3] [--georinex]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ionoquake.gnss import combinations, tec
from ionoquake.sources import bias_sinex, rinex_nav, rinex_obs

DAY = Path(__file__).resolve().parents[2] / "shared" / "data" / "rinex" / "pygnss_tec_2024-01-10"
BELE = DAY / "BELE00BRA_R_20240100000_01D_30S_MO.crx.gz"
C = 299_792_458.0
PAIRS = {"G": (("C1C", "C2W"), ("L1C", "L2W")), "R": (("C1C", "C2C"), ("L1C", "L2C"))}
#: Small files that georinex reads in a second: the plain STEC on georinex's own output.
SMALL = [(DAY.parent / "rtklib" / f, {"G": (("C1", "P2"), ("L1", "L2"))})
         for f in ("07590920.05o", "30400920.05o")]


def _channels(obs: xr.Dataset) -> dict[str, int]:
    slots = obs.attrs.get("glonass_slots", {})
    return json.loads(slots.replace("'", '"')) if isinstance(slots, str) else dict(slots)


def plain_numpy_stec(obs: xr.Dataset, system: str,
                     pairs: dict[str, Any] = PAIRS) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Code and phase STEC (TECU) of one system, the textbook way (module docstring)."""
    sats = [str(s) for s in obs["sv"].values if str(s).startswith(system)]
    if system == "G":
        f1 = np.full(len(sats), 1575.42e6)
        f2 = np.full(len(sats), 1227.60e6)
    else:
        k = np.array([_channels(obs).get(s, np.nan) for s in sats], dtype=float)
        f1, f2 = 1602e6 + k * 0.5625e6, 1246e6 + k * 0.4375e6
    sub = obs.sel(sv=sats)
    (c1, c2), (l1, l2) = pairs[system]
    factor = f1**2 * f2**2 / (40.3 * (f1**2 - f2**2)) / 1e16
    code = factor * (sub[c2].values - sub[c1].values)
    phase = factor * (C / f1 * sub[l1].values - C / f2 * sub[l2].values)
    return code, phase, sats


def ionoquake_stec(obs: xr.Dataset, system: str,
                   pairs: dict[str, Any] = PAIRS) -> tuple[np.ndarray, np.ndarray, list[str]]:
    sig = combinations.choose_signals(obs, system)
    assert sig is not None and sig.code == pairs[system][0] and sig.phase == pairs[system][1]
    sats = [str(s) for s in obs["sv"].values if str(s).startswith(system)]
    comb = combinations.combine_signals(obs, sig, sats, _channels(obs))
    return comb.stec_code, comb.stec_phase, sats


def _median_time(fn: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - started)
    return out, statistics.median(times)


def compare_slant_tec(ours: xr.Dataset, ref: xr.Dataset, repeat: int = 3) -> None:
    """ionoquake's STEC from ``ours`` against plain numpy on ``ref`` (georinex layout)."""
    def plain() -> list[tuple[np.ndarray, np.ndarray, list[str]]]:
        return [plain_numpy_stec(ref, s) for s in PAIRS]

    def ionoquake() -> list[tuple[np.ndarray, np.ndarray, list[str]]]:
        return [ionoquake_stec(ours, s) for s in PAIRS]

    expected, t_plain = _median_time(plain, repeat)
    got, t_comb = _median_time(ionoquake, repeat)
    n_values = _assert_equal(expected, got)
    navs = [rinex_nav.read(DAY / f"brdc0100.24{x}.gz") for x in "ng"]
    dcb = bias_sinex.read(DAY / "CAS0OPSRAP_20240100000_01D_01D_DCB.BIA.gz")

    def whole() -> xr.Dataset:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", tec.EphemerisWarning)  # no Galileo/BeiDou nav
            return tec.slant_tec(ours, navs, biases=dcb)

    full, t_full = _median_time(whole, max(1, repeat // 3))
    n_stec = int(np.isfinite(full["stec"]).sum())
    print(f"slant TEC, GPS + GLONASS: {n_values:,} code and phase STEC values equal "
          "(rtol 1e-12, NaN alike)")
    print(f"  plain numpy STEC:                {t_plain * 1e3:8.1f} ms (median of {repeat})")
    print(f"  ionoquake combinations:          {t_comb * 1e3:8.1f} ms "
          f"(ratio {t_comb / t_plain:.2f}x the plain numpy time)")
    print(f"  ionoquake slant_tec, whole day:  {t_full:8.2f} s "
          f"({n_stec:,} levelled STEC values; orbits, arcs, levelling, DCBs, IPPs)")


def _assert_equal(expected: list[Any], got: list[Any]) -> int:
    """Same satellites, NaN in the same places, values within 1e-12; returns how many."""
    n_values = 0
    for (pc, pp, ps), (ic, ip, isats) in zip(expected, got, strict=True):
        assert ps == isats
        for a, b in ((pc, ic), (pp, ip)):
            assert np.array_equal(np.isnan(a), np.isnan(b)), "NaN in different places"
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=0, equal_nan=True)
            n_values += int(np.isfinite(a).sum())
    return n_values


def compare_on_georinex_small_files() -> None:
    """The plain STEC on georinex's output of the GEONET files against ionoquake's
    combinations on ionoquake's reader output (georinex reads these in < 1 s)."""
    import georinex

    for path, pairs in SMALL:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            ref = georinex.load(path)
        ours = rinex_obs.read(path)
        n = _assert_equal([plain_numpy_stec(ref, s, pairs) for s in pairs],
                          [ionoquake_stec(ours, s, pairs) for s in pairs])
        print(f"{path.name}: {n:,} STEC values from georinex + plain numpy equal to ionoquake")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--georinex", action="store_true",
                        help="read the reference with georinex.load (slow)")
    args = parser.parse_args(argv)
    if not BELE.is_file():
        print(f"{BELE} is missing", file=sys.stderr)
        return 1
    started = time.perf_counter()
    ours = rinex_obs.read(BELE)
    print(f"{BELE.name}: read by ionoquake in {time.perf_counter() - started:.1f} s")
    ref = ours
    if args.georinex:
        import georinex

        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            ref = georinex.load(BELE)
        print(f"  and by georinex in {time.perf_counter() - started:.1f} s")
    compare_slant_tec(ours, ref, args.repeat)
    compare_on_georinex_small_files()
    return 0


if __name__ == "__main__":
    sys.exit(main())
