"""Travel-time fit of CID picks: apparent horizontal speed and whether a point source fits.

The picks of :func:`ionoquake.gnss.disturbances.pick_disturbances` (distance of the
pierce point from the epicentre, time after the origin) are fitted by the straight line
``t = t0 + d / v`` (least squares of distance on time, so ``v`` is the slope in km/s);
the uncertainty of ``v`` comes from a bootstrap over the picks. Warnings are raised, not
hidden, when one point source does not fit:

* the residuals are large compared with the sampling (RMS > ``max_residual_s``);
* ``v`` is outside 0.3-5 km/s (slower than sound at F-layer heights is not a CID, faster
  than Rayleigh waves is not physical; Astafyeva 2019, Rev. Geophys. 57, 1265);
* the distances span less than a few rupture lengths: the epicentre is not where a
  ~100 km rupture radiates from (Wells & Coppersmith 1994 for the length);
* ``t0`` (the time at zero distance) is negative or later than 20 min (the acoustic
  wave needs ~8-10 min to reach 300 km height; Heki 2024 ~9 min for Noto).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ionoquake.errors import InputError

__all__ = ["ACOUSTIC_KM_S", "RAYLEIGH_KM_S", "TravelTimeFit", "fit_travel_time"]

#: Apparent speeds of acoustic and Rayleigh-wave-driven CIDs (SCIENCE-NOTES, GNSS section).
ACOUSTIC_KM_S = (0.7, 1.3)
RAYLEIGH_KM_S = (2.0, 4.0)
PHYSICAL_KM_S = (0.3, 5.0)


@dataclass(frozen=True)
class TravelTimeFit:
    """A straight-line travel-time fit ``t = t0 + d / v``.

    ``velocity_km_s`` with its bootstrap standard error and 95 % interval,
    ``t0_min`` the intercept (minutes after origin at zero distance),
    ``residual_rms_s`` the RMS time residual, ``warnings`` why a point source does not fit.
    """

    velocity_km_s: float
    velocity_error_km_s: float
    velocity_ci95_km_s: tuple[float, float]
    t0_min: float
    residual_rms_s: float
    n_picks: int
    distance_span_km: float
    pick_kind: str
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        out = asdict(self)
        out["velocity_ci95_km_s"] = list(self.velocity_ci95_km_s)
        out["warnings"] = list(self.warnings)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TravelTimeFit:
        """Inverse of :meth:`to_dict`."""
        values = dict(data)
        values["velocity_ci95_km_s"] = tuple(values["velocity_ci95_km_s"])
        values["warnings"] = tuple(values["warnings"])
        return cls(**values)


def _line(t_s: np.ndarray, d_km: np.ndarray) -> tuple[float, float]:
    """Least squares ``d = v (t - t0)``: returns (v km/s, t0 s)."""
    slope, intercept = np.polyfit(t_s, d_km, 1)
    return float(slope), float(-intercept / slope) if slope != 0 else float("nan")


def fit_travel_time(picks: pd.DataFrame, *, pick: Literal["peak", "onset"] = "peak",
                    rupture_length_km: float = 100.0, max_residual_s: float = 120.0,
                    n_boot: int = 2000, seed: int = 0,
                    only_detected: bool = True, min_snr: float = 0.0,
                    max_distance_km: float = np.inf) -> TravelTimeFit:
    """Fit distance against ``peak_min`` (or ``onset_min``) of the detected picks.

    Only picks with ``snr >= min_snr`` and ``distance_km <= max_distance_km`` are used.

    Needs at least 3 picks with distinct distances; raises :class:`InputError` otherwise.
    """
    column = {"peak": "peak_min", "onset": "onset_min"}.get(pick)
    if column is None:
        raise InputError(f"pick must be peak or onset, got {pick!r}")
    used = picks.loc[picks["detected"].astype(bool)] if only_detected else picks
    used = used.loc[(np.isfinite(used[column].astype(float))
                     & (used["distance_km"].astype(float) <= max_distance_km)
                     & (used["snr"].astype(float) >= min_snr)).astype(bool)]
    if len(used) < 3 or np.ptp(used["distance_km"]) <= 0:
        raise InputError(f"travel-time fit needs 3 picks at different distances, got {len(used)}")
    t = used[column].to_numpy() * 60.0
    d = used["distance_km"].to_numpy()
    v, t0 = _line(t, d)
    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(n_boot):
        k = rng.integers(0, len(t), len(t))
        if np.ptp(t[k]) > 0:
            boot.append(_line(t[k], d[k])[0])
    speeds = np.array(boot)
    residual = t - (t0 + d / v) if v != 0 else np.full(len(t), np.nan)
    rms = float(np.sqrt(np.mean(residual ** 2)))
    span = float(np.ptp(d))
    low, high = np.percentile(speeds, [2.5, 97.5]) if speeds.size else (np.nan, np.nan)
    warnings = _warnings(v, float(low), float(high), t0 / 60.0, rms, span, len(t),
                         rupture_length_km, max_residual_s)
    return TravelTimeFit(v, float(np.std(speeds)) if speeds.size else np.nan,
                         (float(low), float(high)), t0 / 60.0, rms, len(t), span, pick,
                         tuple(warnings))


def _warnings(v: float, low: float, high: float, t0_min: float, rms_s: float, span_km: float,
              n: int, rupture_km: float, max_residual_s: float) -> list[str]:
    out = []
    if not PHYSICAL_KM_S[0] <= v <= PHYSICAL_KM_S[1]:
        out.append(f"apparent speed {v:.2f} km/s is outside {PHYSICAL_KM_S[0]}-"
                   f"{PHYSICAL_KM_S[1]} km/s: not one wave from one point")
    if np.isfinite(low) and (low <= 0 < high or high / max(low, 1e-9) > 3):
        out.append(f"speed poorly constrained: 95% bootstrap interval {low:.2f}..{high:.2f} km/s")
    if rms_s > max_residual_s:
        out.append(f"residual RMS {rms_s:.0f} s > {max_residual_s:.0f} s: one point source "
                   "does not fit (extended rupture, several wave types or noise picks)")
    if span_km < 3 * rupture_km:
        out.append(f"distances span {span_km:.0f} km, less than 3 rupture lengths "
                   f"({rupture_km:.0f} km): the source cannot be taken as a point")
    if not 0 <= t0_min <= 20:
        out.append(f"time at zero distance {t0_min:.1f} min is outside 0-20 min after the "
                   "origin")
    if n < 5:
        out.append(f"only {n} picks")
    return out
