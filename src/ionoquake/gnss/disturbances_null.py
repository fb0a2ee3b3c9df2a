"""The null beside a CID analysis: the same picks at fake origin times.

A count of "pairs over threshold" means little alone: band-limited noise, travelling
ionospheric disturbances and the noise estimate from a short window all put some pairs
over any threshold. :func:`disturbance_null` runs
:func:`ionoquake.gnss.disturbances.disturbances_around` unchanged at fake origin times
(:func:`fake_origin_times`: every ``step_min`` where the noise and search windows fit in
the data and stay clear of the true event's signal window) and keeps, per fake time, the
number of pairs over threshold and the largest amplitude, beside the observed ones.
Fake times from one short export overlap each other and share the same ionosphere: they
show what noise gives, they are not independent draws for a small p-value.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.errors import InputError
from ionoquake.gnss.disturbances import disturbances_around
from ionoquake.quake import Earthquake

__all__ = ["DisturbanceNull", "disturbance_null", "fake_origin_times"]


@dataclass(frozen=True)
class DisturbanceNull:
    """Pairs over threshold and largest amplitude at the true and at fake origin times."""

    fake_origins: tuple[str, ...]
    n_over: tuple[int, ...]
    n_pairs: tuple[int, ...]
    max_amplitude_tecu: tuple[float, ...]
    observed_n_over: int
    observed_n_pairs: int
    observed_max_amplitude_tecu: float
    snr_threshold: float
    share_n_over_at_least_observed: float
    share_amplitude_at_least_observed: float
    note: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def fake_origin_times(ds: xr.Dataset, quake: Earthquake, *,
                      noise_min: tuple[float, float] = (-10.0, 0.0),
                      search_min: tuple[float, float] = (5.0, 30.0),
                      signal_min: tuple[float, float] = (0.0, 45.0),
                      step_min: float = 5.0) -> np.ndarray:
    """Fake origins every ``step_min``: windows inside the data, clear of the true signal.

    A fake origin ``t`` is allowed when ``[t + noise_min[0], t + search_min[1]]`` lies
    within the data and does not overlap ``[origin + signal_min[0], origin +
    signal_min[1]]`` (the span where the true event's disturbances are expected).
    """
    if step_min <= 0:
        raise InputError(f"step_min must be positive, got {step_min}")
    times = ds["time"].to_numpy()
    step = np.timedelta64(int(step_min * 60), "s")

    def offset(minutes: float) -> np.timedelta64:
        return np.timedelta64(round(minutes * 60), "s")

    origin = pd.Timestamp(quake.time).to_datetime64()
    quiet = (origin + offset(signal_min[0]), origin + offset(signal_min[1]))
    candidates = np.arange(times[0] - offset(noise_min[0]), times[-1] + step, step)
    keep = [t for t in candidates
            if t + offset(noise_min[0]) >= times[0] and t + offset(search_min[1]) <= times[-1]
            and (t + offset(search_min[1]) < quiet[0] or t + offset(noise_min[0]) > quiet[1])]
    return np.array(keep, dtype="datetime64[ns]")


def disturbance_null(ds: xr.Dataset, quake: Earthquake, *,
                     fake_origins: np.ndarray | None = None,
                     signal_min: tuple[float, float] = (0.0, 45.0), step_min: float = 5.0,
                     **analysis: Any) -> DisturbanceNull:
    """The analysis at the true origin and at each fake one (``analysis``: the keywords of
    :func:`~ionoquake.gnss.disturbances.disturbances_around`)."""
    noise = analysis.get("noise_min", (-10.0, 0.0))
    search = analysis.get("search_min", (5.0, 30.0))
    if fake_origins is None:
        fake_origins = fake_origin_times(ds, quake, noise_min=noise, search_min=search,
                                         signal_min=signal_min, step_min=step_min)
    if len(fake_origins) == 0:
        raise InputError("no fake origin time fits in the data clear of the event's signal "
                         f"window {signal_min} min")
    _, observed = disturbances_around(ds, quake, **analysis)
    counts, pairs, largest = [], [], []
    for t in fake_origins:
        _, picks = disturbances_around(ds, quake, origin=t, **analysis)
        counts.append(int(picks["detected"].sum()))
        pairs.append(len(picks))
        largest.append(float(picks["amplitude_tecu"].max()) if len(picks) else np.nan)
    n_obs = int(observed["detected"].sum())
    amp_obs = float(observed["amplitude_tecu"].max()) if len(observed) else np.nan
    n_fake = len(counts)
    threshold = float(analysis.get("snr_threshold", 3.0))
    return DisturbanceNull(
        tuple(pd.Timestamp(t).isoformat() for t in fake_origins), tuple(counts), tuple(pairs),
        tuple(largest), n_obs, len(observed), amp_obs, threshold,
        float(np.mean(np.array(counts) >= n_obs)),
        float(np.mean(np.array(largest) >= amp_obs)),
        f"{n_fake} fake origins every {step_min:g} min clear of {signal_min} min after the "
        "true origin; overlapping windows of one ionosphere, not independent draws")
