"""Carrier frequencies, the choice of observation codes, and the geometry-free combinations.

Frequencies (Hz): GPS L1/L2/L5 1575.42/1227.60/1176.45 MHz (IS-GPS-200N §3.3.1.1,
IS-GPS-705); GLONASS FDMA G1 = 1602 + k·0.5625 MHz, G2 = 1246 + k·0.4375 MHz with the
channel k ∈ [−7, 6] of each satellite (GLONASS ICD 5.1 §3.3.1.4; from the nav field
``FreqNum``); Galileo E1/E5a/E5b 1575.42/1176.45/1207.14 MHz (OS-SIS-ICD 2.0 §2.1);
BeiDou B1I/B3I/B2I 1561.098/1268.52/1207.14 MHz (BDS-SIS-ICD B1I 3.0, B3I 1.0) — RINEX 3
bands 2, 6 and 7.

Slant TEC (TECU = 1e16 el/m²) from a frequency pair f1 > f2 (first-order ionosphere,
40.3 m³/s²; Hofmann-Wellenhof et al. 2008, *GNSS*, §5.3.2)::

    STEC_code  =  K · (P2 − P1)
    STEC_phase =  K · (λ1·L1 − λ2·L2)  + ambiguity per arc
    K = f1²·f2² / (40.3 · (f1² − f2²)) / 1e16     (9.52 TECU/m for GPS L1/L2)

Codes per band are chosen per system by coverage (the code observed at most epochs and
satellites), ties broken by a priority list after RTKLIB's (``rtkcmn.c`` ``codepris``):
the chosen codes are named in the output so that satellite DCBs of the same pair apply.
RINEX 2 names map to RINEX 3 codes as RTKLIB does (C1→C1C, P1→C1W, P2→C2W, C2→C2C; for
GLONASS P1→C1P, P2→C2P).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr
from numpy.typing import NDArray

Float = NDArray[np.float64]

SPEED_OF_LIGHT = 299_792_458.0  # m/s (IS-GPS-200N 20.3.4.3)
#: First-order ionospheric constant, m³/s² (Hofmann-Wellenhof et al. 2008 eq. 5.69).
IONO_K = 40.3

#: Fixed carrier frequencies, Hz, by system and RINEX 3 band number.
FREQUENCIES_HZ: dict[str, dict[int, float]] = {
    "G": {1: 1575.42e6, 2: 1227.60e6, 5: 1176.45e6},
    "J": {1: 1575.42e6, 2: 1227.60e6, 5: 1176.45e6},
    "E": {1: 1575.42e6, 5: 1176.45e6, 7: 1207.14e6, 8: 1191.795e6},
    "C": {2: 1561.098e6, 6: 1268.52e6, 7: 1207.14e6, 1: 1575.42e6, 5: 1176.45e6},
}
#: GLONASS FDMA: band → (base, step) Hz (GLONASS ICD 5.1 §3.3.1.4).
GLONASS_FDMA_HZ = {1: (1602.0e6, 0.5625e6), 2: (1246.0e6, 0.4375e6)}

#: Frequency pairs per system, in order of preference (the first observed is used).
PAIRS: dict[str, tuple[tuple[int, int], ...]] = {
    "G": ((1, 2), (1, 5)),
    "J": ((1, 2), (1, 5)),
    "R": ((1, 2),),
    "E": ((1, 5), (1, 7)),
    "C": ((2, 6), (2, 7)),
}
#: Tracking-mode letters per system and band, preferred first (after RTKLIB codepris).
PRIORITY: dict[str, dict[int, str]] = {
    "G": {1: "CWPYSLXM", 2: "WPYCLSXMD", 5: "QXI"},
    "J": {1: "CSLX", 2: "LSX", 5: "QXI"},
    "R": {1: "CP", 2: "PC"},
    "E": {1: "CXBA", 5: "QXI", 7: "QXI"},
    "C": {2: "IXQ", 6: "IXQ", 7: "IXQ"},
}


def rinex3_code(name: str, system: str) -> str:
    """The RINEX 3 code of an observation name (RINEX 2 names mapped as RTKLIB does)."""
    if len(name) == 3:
        return name
    kind, band = name[0], name[1]
    if kind == "P":
        return f"C{band}{'P' if system == 'R' else 'W'}"
    if kind in "CLDS":
        return f"{kind}{band}C"
    return name


def glonass_channels(nav: xr.Dataset | Sequence[xr.Dataset]) -> dict[str, int]:
    """Frequency channel k of each GLONASS satellite from nav ``FreqNum``."""
    sets = [nav] if isinstance(nav, xr.Dataset) else list(nav)
    out: dict[str, int] = {}
    for ds in sets:
        if "FreqNum" not in ds:
            continue
        freq = np.asarray(ds["FreqNum"].transpose("time", "sv").values, dtype=np.float64)
        for j, sv in enumerate(ds["sv"].values):
            s = str(sv)
            if not s.startswith("R"):
                continue
            k = freq[:, j]
            k = k[np.isfinite(k)]
            if k.size:
                out[s[:3]] = int(np.round(np.median(k)))
    return out


def frequency_hz(sv: str, band: int, channels: Mapping[str, int] | None = None) -> float:
    """Carrier frequency (Hz) of ``sv`` on RINEX band ``band`` (NaN if unknown)."""
    system = sv[0]
    if system == "R":
        if channels is None or sv not in channels or band not in GLONASS_FDMA_HZ:
            return float("nan")
        base, step = GLONASS_FDMA_HZ[band]
        return base + channels[sv] * step
    return FREQUENCIES_HZ.get(system, {}).get(band, float("nan"))


@dataclass(frozen=True)
class Signals:
    """The observations combined for one system: two bands, their code and phase names."""

    system: str
    bands: tuple[int, int]
    code: tuple[str, str]   # variable names in the obs Dataset
    phase: tuple[str, str]

    @property
    def code_pair(self) -> str:
        """The DCB pair in Bias-SINEX spelling, e.g. ``"C1C-C2W"``."""
        return "-".join(rinex3_code(c, self.system) for c in self.code)


def _system_mask(obs: xr.Dataset, system: str) -> NDArray[np.bool_]:
    return np.array([str(s).startswith(system) for s in obs["sv"].values])


def _candidates(obs: xr.Dataset, system: str, kind: str, band: int) -> list[str]:
    """Variables of ``kind`` (C or L) on ``band`` in priority order (RINEX 2 names too)."""
    letters = PRIORITY[system].get(band, "")
    names = [f"{kind}{band}{a}" for a in letters]
    if kind == "C":
        names = ([f"P{band}", f"C{band}"] if system in "GR" else [f"C{band}"]) + names
    else:
        names = [f"L{band}", *names]
    extra = sorted(str(v) for v in obs.data_vars if str(v).startswith(f"{kind}{band}")
                   and len(str(v)) == 3 and str(v) not in names)
    return [n for n in names + extra if n in obs]


#: Per observable, its finite (time, satellite) mask: shared by the systems of one file.
Finite = dict[str, NDArray[np.bool_]]


def _finite(obs: xr.Dataset, name: str, finite: Finite | None) -> NDArray[np.bool_]:
    if finite is None:
        return np.isfinite(obs[name].values)
    if name not in finite:
        finite[name] = np.isfinite(obs[name].values)
    return finite[name]


def _best(obs: xr.Dataset, names: list[str], mask: NDArray[np.bool_],
          finite: Finite | None = None) -> tuple[str, int]:
    best, count = "", 0
    for n in names:
        c = int(np.count_nonzero(_finite(obs, n, finite)[:, mask]))
        if c > count:
            best, count = n, c
    return best, count


def choose_signals(obs: xr.Dataset, system: str,
                   dcb_pairs: Collection[frozenset[str]] | None = None,
                   finite: Finite | None = None) -> Signals | None:
    """The frequency pair and codes to combine for ``system`` (None if no pair is observed).

    With ``dcb_pairs`` (the code pairs, RINEX 3 names, for which a bias table has
    satellite DSBs of this system), a code pair with DSBs is preferred if it covers at
    least :data:`DCB_COVERAGE` of the epochs of the best-covered pair. ``finite`` (a dict,
    filled here) keeps each observable's finite mask for the next system's call."""
    mask = _system_mask(obs, system)
    if system not in PAIRS or not mask.any():
        return None
    for b1, b2 in PAIRS[system]:
        phases = [_best(obs, _candidates(obs, system, "L", b), mask, finite)
                  for b in (b1, b2)]
        code = _best_code_pair(obs, system, (b1, b2), mask, dcb_pairs or (), finite)
        if code is not None and all(c > 0 for _, c in phases):
            (l1, _), (l2, _) = phases
            return Signals(system, (b1, b2), code, (l1, l2))
    return None


#: A code pair with satellite DSBs is taken if it covers this share of the best pair.
DCB_COVERAGE = 0.8


def _best_code_pair(obs: xr.Dataset, system: str, bands: tuple[int, int],
                    mask: NDArray[np.bool_], dcb_pairs: Collection[frozenset[str]],
                    finite: Finite | None = None) -> tuple[str, str] | None:
    first = [n for n in _candidates(obs, system, "C", bands[0])]
    second = [n for n in _candidates(obs, system, "C", bands[1])]
    seen = {n: _finite(obs, n, finite)[:, mask] for n in {*first, *second}}
    scored = []
    for i, a in enumerate(first):
        for j, b in enumerate(second):
            both = int(np.count_nonzero(seen[a] & seen[b]))
            if both:
                has = frozenset((rinex3_code(a, system), rinex3_code(b, system))) in dcb_pairs
                scored.append((both, has, -(i + j), (a, b)))
    if not scored:
        return None
    top = max(c for c, *_ in scored)
    return max(scored, key=lambda x: (x[1] and x[0] >= DCB_COVERAGE * top, x[0], x[2]))[3]


def tecu_per_metre(f1: Float | float, f2: Float | float) -> Float:
    """K = f1²f2² / (40.3 (f1² − f2²)) / 1e16, TECU per metre of P2 − P1."""
    f1, f2 = np.asarray(f1, float), np.asarray(f2, float)
    return f1**2 * f2**2 / (IONO_K * (f1**2 - f2**2)) / 1e16


@dataclass(frozen=True)
class Combinations:
    """Geometry-free and Melbourne–Wübbena combinations, arrays ``(time, satellite)``."""

    stec_code: Float    # K·(P2 − P1), TECU (includes the code biases)
    stec_phase: Float   # K·(λ1L1 − λ2L2), TECU (plus an ambiguity per arc)
    gf_phase_m: Float   # λ1L1 − λ2L2, m
    mw_cycles: Float    # Melbourne–Wübbena, wide-lane cycles
    f1: Float           # (satellite,) Hz
    f2: Float


def combine_signals(obs: xr.Dataset, signals: Signals, satellites: Sequence[str],
                    channels: Mapping[str, int] | None = None) -> Combinations:
    """The combinations of ``signals`` for ``satellites`` (all of ``signals.system``)."""
    f1 = np.array([frequency_hz(s, signals.bands[0], channels) for s in satellites])
    f2 = np.array([frequency_hz(s, signals.bands[1], channels) for s in satellites])
    cols = _columns_of(obs, satellites)
    p1, p2 = (np.asarray(obs[c].values[:, cols], dtype=np.float64) for c in signals.code)
    l1, l2 = (np.asarray(obs[c].values[:, cols], dtype=np.float64) for c in signals.phase)
    lam1, lam2 = SPEED_OF_LIGHT / f1, SPEED_OF_LIGHT / f2
    k = tecu_per_metre(f1, f2)
    gf = lam1 * l1 - lam2 * l2
    wide_phase = (f1 * lam1 * l1 - f2 * lam2 * l2) / (f1 - f2)
    narrow_code = (f1 * p1 + f2 * p2) / (f1 + f2)
    mw = (wide_phase - narrow_code) / (SPEED_OF_LIGHT / (f1 - f2))
    return Combinations(k * (p2 - p1), k * gf, gf, mw, f1, f2)


def _columns_of(obs: xr.Dataset, satellites: Sequence[str]) -> NDArray[np.intp]:
    """Positions of ``satellites`` on the ``sv`` axis (what ``obs.sel(sv=...)`` picks,
    without building a Dataset of every observable)."""
    where = {str(s): i for i, s in enumerate(obs["sv"].values)}
    missing = [s for s in satellites if s not in where]
    if missing:
        raise KeyError(f"satellites not in the observations: {missing}")
    return np.array([where[s] for s in satellites], dtype=np.intp)


def code_minus_carrier_tecu(obs: xr.Dataset, satellites: Sequence[str], band: int = 1,
                            channels: Mapping[str, int] | None = None) -> Float:
    """Single-frequency relative slant TEC, TECU, ``(time, satellite)``: (C − λL)/2 over
    40.3·1e16/f² metres per TECU.

    Code is delayed and phase advanced by the same ionospheric term, so C − λL = 2·I
    plus the phase ambiguity and code biases, constant over an arc (Yunck 1993, in
    *Environmental Effects on Spacecraft Positioning and Trajectories*, AGU Monograph
    73). Only changes along an arc are meaningful; the code noise (~0.5 m, ~1.5 TECU) is
    halved but not levelled. For single-frequency receivers, where no geometry-free
    combination exists; the code and phase of ``band`` are chosen as in
    :func:`choose_signals`."""
    system = satellites[0][0]
    mask = np.array([str(s)[:1] == system for s in obs["sv"].values])
    code, _ = _best(obs, _candidates(obs, system, "C", band), mask)
    phase, _ = _best(obs, _candidates(obs, system, "L", band), mask)
    if not code or not phase:
        return np.full((obs.sizes["time"], len(satellites)), np.nan)
    f = np.array([frequency_hz(s, band, channels) for s in satellites])
    sub = obs.sel(sv=list(satellites))
    c = sub[code].values.astype(np.float64)
    lam_l = SPEED_OF_LIGHT / f * sub[phase].values.astype(np.float64)
    return (c - lam_l) / 2.0 / (IONO_K * 1e16 / f**2)
