"""Gridded probabilistic forecasts: seismicity baseline × anomaly-driven gain.

One forecast covers ``[issue_time, issue_time + horizon_days)`` and gives the
expected number of target events in each latitude × longitude × magnitude bin:

    rate(lat, lon, m) = baseline(lat, lon) · gain(lat, lon) · GR(m)

* ``baseline`` -- uniform Poisson or smoothed past seismicity
  (:mod:`ionoquake.forecast.baseline`) learnt from the catalogue of the
  ``learning_days`` before the issue time;
* ``gain`` -- ``alarm_gain`` (or an alarm's own ``gain``) inside the alarms
  active during the horizon, 1 elsewhere (:mod:`ionoquake.forecast.alarms`);
  the total is not renormalised, so alarms add expected events;
* ``GR(m)`` -- Gutenberg-Richter shares of the magnitude bins, b by Aki's MLE on
  the learning catalogue unless fixed in the config.

Everything is read through an :class:`~ionoquake.forecast.asof.AsOfView`, so the
forecast cannot see data stamped at or after its issue time. The result is an
``xarray.Dataset`` with ``spatial_rate(lat, lon)``, ``baseline_rate(lat, lon)``,
``alarm_score(lat, lon)`` and ``magnitude_fraction(magnitude)``, and attrs
recording the config, its SHA-256 and the SHA-256 of the visible inputs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import NDArray

from ionoquake.forecast.alarms import alarm_grid
from ionoquake.forecast.asof import AsOfView
from ionoquake.forecast.baseline import (
    aki_b_value,
    gutenberg_richter_fractions,
    smoothed_spatial_rate,
    uniform_spatial_rate,
)
from ionoquake.forecast.grid import ForecastError, Grid

__all__ = ["ForecastConfig", "build_forecast", "forecast_grid", "forecast_rates"]

RATE_UNITS = "expected events per cell per forecast horizon"


@dataclass(frozen=True)
class ForecastConfig:
    """Everything that decides a forecast besides its inputs (hashed into its provenance).

    Attributes
    ----------
    name
        Model name, used in file names and reports.
    baseline
        ``"smoothed"`` or ``"uniform"``.
    grid
        Space-magnitude grid.
    learning_days
        Length of the catalogue window before the issue time, days.
    horizon_days
        Forecast horizon, days.
    sigma_km, floor_fraction
        Smoothing kernel width (km) and uniform floor share (smoothed baseline).
    b_value
        Fixed Gutenberg-Richter b, or ``None`` for Aki's MLE on the learning catalogue.
    magnitude_rounding
        Magnitude rounding of the catalogue (Utsu's correction in Aki's MLE).
    alarm_gain
        Rate multiplier inside alarms (1 = the pure baseline, alarms ignored).
    """

    name: str = "smoothed-baseline"
    baseline: str = "smoothed"
    grid: Grid = field(default_factory=Grid)
    learning_days: float = 3650.0
    horizon_days: float = 1.0
    sigma_km: float = 100.0
    floor_fraction: float = 0.01
    b_value: float | None = None
    magnitude_rounding: float = 0.1
    alarm_gain: float = 1.0

    def __post_init__(self) -> None:
        if self.baseline not in ("smoothed", "uniform"):
            raise ForecastError(f"unknown baseline {self.baseline!r}; use 'smoothed' or 'uniform'")
        if self.alarm_gain < 0 or self.horizon_days <= 0 or self.learning_days <= 0:
            raise ForecastError("alarm_gain must be ≥ 0 and the day counts positive")

    def to_dict(self) -> dict[str, Any]:
        """The config as JSON-ready dicts."""
        out = dataclasses.asdict(self)
        out["grid"] = self.grid.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ForecastConfig:
        """Rebuild a config written by :meth:`to_dict`."""
        return cls(**{**data, "grid": Grid(**data.get("grid", {}))})

    def sha256(self) -> str:
        """SHA-256 of the canonical JSON of the config."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()


def build_forecast(view: AsOfView, config: ForecastConfig) -> xr.Dataset:
    """The forecast issued at ``view.issue_time`` from what the view lets it see.

    Parameters
    ----------
    view
        As-of view holding table ``"catalog"`` (stamp ``time``) and optionally
        ``"alarms"`` (stamp ``issued``; see :mod:`ionoquake.forecast.alarms`).
    config
        The model configuration.

    Returns
    -------
    xarray.Dataset
        See the module docstring.
    """
    issue = view.issue_time
    grid = config.grid
    catalog = view.table("catalog", since=issue - pd.Timedelta(days=config.learning_days))
    spatial = (smoothed_spatial_rate(catalog, grid, days=config.learning_days,
                                     sigma_km=config.sigma_km,
                                     floor_fraction=config.floor_fraction)
               if config.baseline == "smoothed"
               else uniform_spatial_rate(catalog, grid, days=config.learning_days))
    baseline = spatial * config.horizon_days
    if config.b_value is None:
        b, b_sigma = aki_b_value(catalog["magnitude"], grid.magnitude_min,
                                 config.magnitude_rounding)
    else:
        b, b_sigma = float(config.b_value), 0.0
    end = issue + pd.Timedelta(days=config.horizon_days)
    score = np.full(baseline.shape, -np.inf)
    gain = np.ones(baseline.shape)
    n_alarms = 0
    if config.alarm_gain != 1.0 and view.has("alarms"):
        alarms = view.table("alarms")
        n_alarms = len(alarms)
        score, gain = alarm_grid(alarms, grid, issue, end, default_gain=config.alarm_gain)
    return _dataset(baseline, baseline * gain, score, gutenberg_richter_fractions(grid, b),
                    grid, {
                        "issue_time": issue.isoformat(),
                        "horizon_days": config.horizon_days,
                        "model": config.name,
                        "units": RATE_UNITS,
                        "b_value": b, "b_value_sigma": b_sigma,
                        "n_learning_events": len(catalog),
                        "n_alarms_visible": n_alarms,
                        "config": json.dumps(config.to_dict(), sort_keys=True),
                        "config_sha256": config.sha256(),
                        "inputs_sha256": view.fingerprint(),
                    })


def _dataset(baseline: NDArray[np.float64], spatial: NDArray[np.float64],
             score: NDArray[np.float64], fractions: NDArray[np.float64], grid: Grid,
             attrs: dict[str, Any]) -> xr.Dataset:
    dims = ("lat", "lon")
    return xr.Dataset(
        {
            "spatial_rate": (dims, spatial, {"units": RATE_UNITS}),
            "baseline_rate": (dims, baseline, {"units": RATE_UNITS}),
            "alarm_score": (dims, score, {"units": "1", "long_name": "largest active alarm score"}),
            "magnitude_fraction": (("magnitude",), fractions, {"units": "1"}),
        },
        coords={"lat": ("lat", grid.lat, {"units": "degrees_north"}),
                "lon": ("lon", grid.lon, {"units": "degrees_east"}),
                "magnitude": ("magnitude", grid.magnitude, {"long_name": "lower bin edge"})},
        attrs=attrs,
    )


def forecast_rates(ds: xr.Dataset, *, variable: str = "spatial_rate") -> NDArray[np.float64]:
    """Expected events per (lat, lon, magnitude) bin: ``variable`` × the magnitude shares."""
    spatial = ds[variable].to_numpy()
    return np.asarray(spatial[:, :, None] * ds["magnitude_fraction"].to_numpy()[None, None, :],
                      dtype=float)


def forecast_grid(ds: xr.Dataset) -> Grid:
    """The :class:`Grid` a forecast was built on (from its stored config)."""
    return ForecastConfig.from_dict(json.loads(ds.attrs["config"])).grid
