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

**Pre-registration.** ``rules_hash`` is the SHA-256 of the canonical JSON of the rule
fields: the same rules give the same hash in every process, whatever the TOML
spelling (``5`` or ``5.0``). ``frozen_at`` says when the rules were fixed (UTC; an
offset date-time, a local one taken as UTC, or a date meaning its midnight); it is
not a rule and does not change the hash. Rules frozen after the evaluated window
began make a retrospective, exploratory run (:mod:`ionoquake.evaluate.family`).

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
    frozen_at = 2000-11-01T00:00:00Z  # optional: when these rules were fixed (UTC)
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ionoquake.forecast.alarms import ALARM_COLUMNS, check_alarms, empty_alarms
from ionoquake.forecast.grid import ForecastError
from ionoquake.geo import dobrovolsky_radius_km
from ionoquake.store.provenance import json_sha256

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
    frozen_at: pd.Timestamp | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "frozen_at":
                object.__setattr__(self, f.name, None if value is None else _utc(value))
            elif isinstance(f.default, int | float) and not isinstance(f.default, bool):
                object.__setattr__(self, f.name, _number(f.name, value, type(f.default)))
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
        """The rule fields (JSON-ready; ``frozen_at`` is not a rule and is left out)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "frozen_at"}

    @property
    def rules_hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`to_dict`: the same in every process."""
        return json_sha256(self.to_dict())

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
        if "frozen_at" in table:
            stamp = table.pop("frozen_at")
            if not isinstance(stamp, dt.date | str):
                raise ForecastError(f"{path}: alarm rule frozen_at = {stamp!r} should be a "
                                    "date-time, e.g. frozen_at = 2000-11-01T00:00:00Z")
            values["frozen_at"] = stamp
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


def _utc(value: Any) -> pd.Timestamp:
    """``value`` (date-time, date or ISO text) as a naive UTC timestamp; naive means UTC."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ForecastError(f"alarm rule frozen_at = {value!r} is not a date-time ({exc})"
                            ) from None
    if pd.isna(stamp):
        raise ForecastError(f"alarm rule frozen_at = {value!r} is not a date-time")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    if stamp > pd.Timestamp.now("UTC").tz_localize(None):
        raise ForecastError(f"alarm rule frozen_at = {stamp.isoformat()} is in the future")
    return stamp


def _number(name: str, value: Any, kind: type) -> Any:
    """``value`` as ``kind`` (int or float), so that 5 and 5.0 give one rules hash."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ForecastError(f"alarm rule {name} = {value!r} should be a {kind.__name__}"
                            ) from None
    if kind is int and not number.is_integer():
        raise ForecastError(f"alarm rule {name} = {value!r} should be a whole number")
    return kind(number)


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
