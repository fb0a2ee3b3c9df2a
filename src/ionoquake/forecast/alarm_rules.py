"""Alarm rules: from ionospheric anomalies to space-time alarms, set in a small TOML file.

An anomaly cluster on the maps (:mod:`ionoquake.detect.clusters`) or an along-track
anomaly (:mod:`ionoquake.detect.along_track`) becomes an alarm (:mod:`ionoquake.forecast.alarms`):

* it is **issued** when the anomaly is complete: the end of the cluster (its last
  epoch) or of the along-track run, so that no alarm uses data it could not have seen;
* it is **on** from ``issued + lead_days`` for ``duration_days``;
* it covers a circle around the anomaly's peak: the Dobrovolsky preparation radius
  of ``target_magnitude`` (R = 10^(0.43 M) km; Dobrovolsky et al. 1979), or
  ``radius_km``;
* its **score** (which ranks alarms in a Molchan diagram) is the absolute value of a
  column of the anomaly table (``peak_severity`` for clusters, ``score`` on tracks).

Clusters can be filtered by sign, size, duration, area (global-scale clusters are
changes of the whole ionosphere, not local precursors) and geomagnetic state.

Example ``alarms.toml``::

    [alarms]
    sign = "positive"          # positive | negative | both
    min_cells = 20             # cell-epochs
    min_duration_h = 4.0
    max_area_km2 = 5.0e6       # drop clusters larger than this at any one epoch
    geomagnetic = "quiet"      # quiet | any: drop clusters touching disturbed epochs
    lead_days = 0.0
    duration_days = 10.0
    region = "dobrovolsky"     # dobrovolsky | fixed
    target_magnitude = 6.0
    radius_km = 500.0          # used with region = "fixed"
    gain = 3.0                 # rate gain inside an alarm (forecast models)
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ionoquake.forecast.alarms import ALARM_COLUMNS, check_alarms, empty_alarms
from ionoquake.forecast.grid import ForecastError
from ionoquake.geo import dobrovolsky_radius_km

_CHOICES = {"sign": ("positive", "negative", "both"), "geomagnetic": ("quiet", "any"),
            "region": ("dobrovolsky", "fixed")}


@dataclass(frozen=True)
class AlarmRules:
    """How anomalies become alarms (see the module docstring for every field)."""

    sign: str = "positive"
    min_cells: int = 20
    min_duration_h: float = 4.0
    max_area_km2: float = 5.0e6
    geomagnetic: str = "quiet"
    lead_days: float = 0.0
    duration_days: float = 10.0
    region: str = "dobrovolsky"
    target_magnitude: float = 6.0
    radius_km: float = 500.0
    gain: float = 3.0

    def __post_init__(self) -> None:
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ForecastError(f"alarm rule {name} = {getattr(self, name)!r}: use one of "
                                    f"{', '.join(allowed)}")
        for name in ("min_duration_h", "lead_days", "min_cells"):
            if getattr(self, name) < 0:
                raise ForecastError(f"alarm rule {name} must be ≥ 0, got {getattr(self, name)}")
        for name in ("duration_days", "max_area_km2", "radius_km", "gain"):
            if not getattr(self, name) > 0:
                raise ForecastError(f"alarm rule {name} must be > 0, got {getattr(self, name)}")
        if not -3 <= self.target_magnitude <= 10:
            raise ForecastError(f"alarm rule target_magnitude {self.target_magnitude} is "
                                "outside -3..10")

    @property
    def radius(self) -> float:
        """The alarm radius in km."""
        if self.region == "fixed":
            return self.radius_km
        return float(dobrovolsky_radius_km(self.target_magnitude))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> AlarmRules:
        """Read the ``[alarms]`` table of a TOML file; unknown keys are errors."""
        path = Path(path)
        try:
            doc = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise ForecastError(f"{path}: no such file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ForecastError(f"{path}: not valid TOML ({exc})") from None
        table = doc.get("alarms")
        if not isinstance(table, dict):
            raise ForecastError(f"{path}: no [alarms] table")
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(table) - set(known))
        if unknown:
            raise ForecastError(f"{path}: unknown alarm rule(s) {unknown}; known: "
                                f"{', '.join(known)}")
        values: dict[str, Any] = {}
        for key, value in table.items():
            default = getattr(cls(), key)
            if isinstance(default, str) != isinstance(value, str) or isinstance(value, bool):
                raise ForecastError(f"{path}: alarm rule {key} = {value!r} should be a "
                                    f"{type(default).__name__}")
            values[key] = type(default)(value)
        try:
            return cls(**values)
        except ForecastError as exc:
            raise ForecastError(f"{path}: {exc}") from None


def _alarm_table(issued: pd.Series, lat: pd.Series, lon: pd.Series, score: pd.Series,
                 rules: AlarmRules) -> pd.DataFrame:
    if len(issued) == 0:
        out = empty_alarms()
        out["gain"] = pd.Series([], dtype=float)
        return out
    issued = pd.to_datetime(issued).reset_index(drop=True)
    start = issued + pd.to_timedelta(rules.lead_days, unit="D")
    table = pd.DataFrame({
        "issued": issued, "start": start,
        "end": start + pd.to_timedelta(rules.duration_days, unit="D"),
        "lat": lat.to_numpy(float), "lon": ((lon.to_numpy(float) + 180.0) % 360.0) - 180.0,
        "radius_km": rules.radius, "score": np.abs(score.to_numpy(float)),
        "gain": rules.gain,
    })
    return check_alarms(table)[[*ALARM_COLUMNS, "gain"]]


def alarms_from_clusters(clusters: pd.DataFrame, rules: AlarmRules) -> pd.DataFrame:
    """Alarms from the cluster table of :func:`ionoquake.detect.clusters.anomaly_clusters`."""
    c = clusters
    keep = (c["n_cells"] >= rules.min_cells) & (c["duration_h"] >= rules.min_duration_h)
    keep &= c["max_area_km2"] <= rules.max_area_km2
    if rules.sign != "both":
        keep &= c["sign"] == (1 if rules.sign == "positive" else -1)
    if rules.geomagnetic == "quiet":
        keep &= c["geomag"] == "quiet"
    c = c[keep].sort_values("end", kind="stable")
    return _alarm_table(c["end"], c["peak_lat"], c["peak_lon"], c["peak_severity"], rules)


def alarms_from_track_anomalies(anomalies: pd.DataFrame, rules: AlarmRules) -> pd.DataFrame:
    """Alarms from the along-track anomaly table of :mod:`ionoquake.detect.along_track`."""
    a = anomalies.sort_values("end", kind="stable")
    return _alarm_table(a["end"], a["lat"], a["lon"], a["score"], rules)
