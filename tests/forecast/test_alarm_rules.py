"""Alarm rules: which clusters become alarms, where, when, and the TOML config."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ionoquake.forecast.alarm_rules import AlarmRules, alarms_from_clusters
from ionoquake.forecast.grid import ForecastError


def _clusters() -> pd.DataFrame:
    base = {"cluster": 1, "sign": 1, "start": pd.Timestamp("2001-01-10 01:00"),
            "end": pd.Timestamp("2001-01-10 09:00"), "duration_h": 8.0, "n_cells": 40,
            "max_area_km2": 1e6, "peak_lat": 12.5, "peak_lon": -90.0, "peak_severity": -2.5,
            "geomag": "quiet"}
    rows = [base,
            {**base, "cluster": 2, "sign": -1},                 # negative
            {**base, "cluster": 3, "n_cells": 5},               # too small
            {**base, "cluster": 4, "duration_h": 2.0},          # too short
            {**base, "cluster": 5, "max_area_km2": 3e7},        # global-scale
            {**base, "cluster": 6, "geomag": "disturbed"},      # storm time
            {**base, "cluster": 7, "peak_lon": 185.0}]          # longitude to wrap
    return pd.DataFrame(rows)


def test_default_rules_keep_local_quiet_positive_clusters() -> None:
    alarms = alarms_from_clusters(_clusters(), AlarmRules())
    assert len(alarms) == 2
    # Issued when the cluster is complete (its last epoch), never before: no look-ahead.
    assert (alarms["issued"] == pd.Timestamp("2001-01-10 09:00")).all()
    assert (alarms["end"] - alarms["start"] == pd.Timedelta(days=10)).all()
    # Dobrovolsky et al. (1979): R = 10^(0.43 M) km; M6 -> 380 km.
    assert alarms["radius_km"].iloc[0] == pytest.approx(380.19, abs=0.01)
    assert sorted(alarms["lon"]) == [-175.0, -90.0]
    assert (alarms["score"] == 2.5).all() and (alarms["gain"] == 3.0).all()


def test_sign_geomagnetic_and_fixed_region_options() -> None:
    rules = AlarmRules(sign="both", geomagnetic="any", region="fixed", radius_km=200.0,
                       lead_days=1.0)
    alarms = alarms_from_clusters(_clusters(), rules)
    assert len(alarms) == 4  # + the negative and the disturbed cluster
    assert (alarms["radius_km"] == 200.0).all()
    assert (alarms["start"] - alarms["issued"] == pd.Timedelta(days=1)).all()


def test_toml_config_and_its_errors(tmp_path: Path) -> None:
    path = tmp_path / "alarms.toml"
    path.write_text('[alarms]\nsign = "negative"\ntarget_magnitude = 7\nduration_days = 5\n')
    rules = AlarmRules.from_toml(path)
    assert (rules.sign, rules.target_magnitude, rules.duration_days) == ("negative", 7.0, 5.0)
    assert rules.radius == pytest.approx(1023.3, abs=0.1)  # M7 -> 1023 km
    for text, message in [
        ('[alarms]\nsign = "up"\n', "sign = 'up': use one of positive, negative, both"),
        ("[alarms]\nduration_days = 0\n", "duration_days must be > 0"),
        ('[alarms]\nmin_cells = "many"\n', "min_cells = 'many' should be a int"),
        ("[alarms]\nradius = 3\n", "unknown alarm rule(s) ['radius']"),
        ("[other]\n", "no [alarms] table"),
        ("[alarms\n", "not valid TOML"),
    ]:
        path.write_text(text)
        with pytest.raises(ForecastError, match=message.replace("[", r"\[").replace("(", r"\(")
                           .replace(")", r"\)")):
            AlarmRules.from_toml(path)
