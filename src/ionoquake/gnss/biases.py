"""Differential code biases: satellite DCBs from a Bias-SINEX table, the receiver's estimated.

**Satellite DCBs.** A Bias-SINEX DSB record gives ``B(OBS1) − B(OBS2)`` in ns (SINEX_BIAS
1.00 §3.3). With P_i = ρ + I_i + c·B_i, the code combination P2 − P1 carries −c·DSB(1,2),
so the satellite's part is removed by adding K·c·DSB (K in TECU/m). The table may be a
:class:`pandas.DataFrame` with columns for the satellite (``prn``/``PRN``/``satellite``),
the two codes (``obs1``, ``obs2``), the value in ns (``value_ns``/``value``/
``estimated_value``) and optionally the station (rows with a station are receiver
biases and are not used for satellites), or a mapping ``{(sv, "C1C", "C2W"): ns}``.
A pair given the other way round is used with the opposite sign.

**Receiver bias** (one per receiver and system, TECU): the receiver's own DSB when the
table has it (Bias-SINEX rows with the station's id, as CAS publishes for IGS/MGEX
stations), else estimated by the *minimum standard deviation*
method (Ma & Maruyama 2003, Ann. Geophys. 21:2083): the bias B that makes the vertical
TEC of all satellites seen at one epoch most alike, i.e. minimises
Σ_t Σ_i (VTEC_i(t) − mean_t VTEC)² with VTEC_i = (STEC_i − B)/M_i. That sum is
quadratic in B, so B has a closed form (:func:`min_std_receiver_bias`). Its limits:
it assumes one VTEC over the receiver's field of view (pierce points up to ~1,500 km
apart at a 20° mask), so horizontal gradients — the equatorial anomaly, a storm —
leak into B (errors of 1–5 TECU are typical; Ma & Maruyama report ~1–2 TECU at
mid-latitude); the GLONASS inter-channel biases of one receiver are taken as one.
The estimate absorbs the satellite DCBs' mean when none are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

Float = NDArray[np.float64]

_SAT = ("prn", "PRN", "satellite", "sv")
_VALUE = ("value_ns", "value", "estimated_value", "ESTIMATED_VALUE", "VALUE")
_STATION = ("station", "STATION", "site")


def _column(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in df.columns), None)


def satellite_dsb_table(biases: Any) -> dict[tuple[str, str, str], float]:
    """``{(sv, obs1, obs2): ns}`` of the satellite DSBs in ``biases`` (see the docstring)."""
    if biases is None:
        return {}
    if isinstance(biases, Mapping):
        return {(str(k[0]), str(k[1]), str(k[2])): float(v) for k, v in biases.items()}
    return _dsb_rows(biases, station=None)


def receiver_dsb_table(biases: Any, station: str) -> dict[tuple[str, str, str], float]:
    """``{(system, obs1, obs2): ns}`` of the DSBs of receiver ``station`` (4-character
    id, any case) in a Bias-SINEX table (empty for a mapping or no table)."""
    if biases is None or isinstance(biases, Mapping):
        return {}
    return _dsb_rows(biases, station=station)


def _dsb_rows(biases: Any, station: str | None) -> dict[tuple[str, str, str], float]:
    df = pd.DataFrame(biases)
    kind = _column(df, ("bias", "BIAS"))
    if kind is not None:  # ISB/OSB rows are other quantities
        df = df[df[kind].astype(str).str.strip().str.upper() == "DSB"]
    sat, val = _column(df, _SAT), _column(df, _VALUE)
    o1 = _column(df, ("obs1", "OBS1"))
    o2 = _column(df, ("obs2", "OBS2"))
    if sat is None or val is None or o1 is None or o2 is None:
        raise ValueError(f"bias table: columns {list(df.columns)} lack a satellite, "
                         "obs1, obs2 or value column")
    st = _column(df, _STATION)
    names = (df[st].fillna("").astype(str).str.strip().str.upper() if st is not None
             else pd.Series("", index=df.index))
    df = df[names == (station or "").upper()[:4]] if station else df[names == ""]
    out: dict[tuple[str, str, str], float] = {}
    for s, a, b, v in zip(df[sat], df[o1], df[o2], df[val], strict=True):
        s = str(s).strip()
        if (len(s) == 1 if station else len(s) == 3) and np.isfinite(float(v)):
            out.setdefault((s, str(a).strip(), str(b).strip()), float(v))
    return out


def dsb_ns(table: Mapping[tuple[str, str, str], float], sv: str,
           code1: str, code2: str) -> float:
    """DSB(code1, code2) of ``sv`` (satellite, or system letter for a receiver) in ns,
    NaN if the table has neither order."""
    if (sv, code1, code2) in table:
        return table[(sv, code1, code2)]
    if (sv, code2, code1) in table:
        return -table[(sv, code2, code1)]
    return float("nan")


def min_std_receiver_bias(stec: Float, mapping: Float) -> float:
    """Receiver bias (TECU) minimising the spread of VTEC between satellites per epoch.

    ``stec`` and ``mapping`` are ``(time, satellite)``, NaN where not used. Epochs with
    fewer than two satellites do not count. NaN if nothing constrains B.
    """
    ok = np.isfinite(stec) & np.isfinite(mapping)
    n = ok.sum(axis=1)
    rows = n >= 2
    if not rows.any():
        return float("nan")
    a = np.where(ok, stec / mapping, 0.0)[rows]
    m = np.where(ok, 1.0 / mapping, 0.0)[rows]
    okr, nr = ok[rows], n[rows][:, None]
    da = np.where(okr, a - a.sum(axis=1, keepdims=True) / nr, 0.0)
    dm = np.where(okr, m - m.sum(axis=1, keepdims=True) / nr, 0.0)
    den = float((dm * dm).sum())
    return float((da * dm).sum() / den) if den > 0 else float("nan")
