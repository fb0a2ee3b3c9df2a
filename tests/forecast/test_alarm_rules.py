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


def test_rules_hash_is_stable_across_spellings_and_processes(tmp_path: Path) -> None:
    import hashlib
    import subprocess
    import sys

    rules = AlarmRules()
    # sha256 of the canonical JSON (keys sorted, no spaces) of the default rules: a change of
    # this value makes every ledger's rules look new, so it is pinned here.
    canonical = ('{"duration_days":10.0,"gain":3.0,"geomagnetic":"quiet","lead_days":0.0,'
                 '"max_area_km2":5000000.0,"min_cells":20,"min_duration_h":4.0,'
                 '"radius_km":500.0,"region":"dobrovolsky","sign":"positive",'
                 '"target_magnitude":6.0}')
    assert rules.rules_hash == hashlib.sha256(canonical.encode()).hexdigest()
    assert rules.rules_hash == ("87bd5c80a19a9782166d2078507d0ec147b56011bd2686f0aec3dc38ad86e841")
    # 5 and 5.0, TOML and Python, give one hash; another value another.
    path = tmp_path / "alarms.toml"
    path.write_text("[alarms]\nduration_days = 5\nmin_cells = 20.0\n")
    assert AlarmRules.from_toml(path).rules_hash == AlarmRules(duration_days=5.0).rules_hash
    assert AlarmRules(duration_days=5).to_dict()["duration_days"] == 5.0
    assert AlarmRules(duration_days=6).rules_hash != AlarmRules(duration_days=5).rules_hash
    code = "from ionoquake.forecast.alarm_rules import AlarmRules; print(AlarmRules().rules_hash)"
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, env={"PYTHONHASHSEED": seed, "PATH": ""})
        assert out.stdout.strip() == rules.rules_hash
    with pytest.raises(ForecastError, match="min_cells = 20.5 should be a whole number"):
        AlarmRules(min_cells=20.5)  # type: ignore[arg-type]


def test_frozen_at_in_toml_is_utc_and_not_part_of_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "alarms.toml"
    expected = pd.Timestamp("2000-11-01 00:00:00")
    for value in ("2000-11-01T00:00:00Z", "2000-11-01T02:00:00+02:00", "2000-11-01T00:00:00",
                  "2000-11-01", '"2000-11-01T00:00Z"'):
        path.write_text(f"[alarms]\nduration_days = 5.0\nfrozen_at = {value}\n")
        rules = AlarmRules.from_toml(path)
        assert rules.frozen_at == expected, value
        assert rules.frozen_at.tzinfo is None  # naive UTC, the archive's convention
    assert rules.rules_hash == AlarmRules(duration_days=5.0).rules_hash
    assert rules == AlarmRules(duration_days=5.0)  # the same rules, frozen or not
    assert "frozen_at" not in rules.to_dict()
    for value, message in [("12", "frozen_at = 12 should be a date-time"),
                           ('"soon"', "frozen_at = 'soon' is not a date-time"),
                           ("2999-01-01T00:00:00Z", "frozen_at = 2999-01-01T00:00:00 is in the "
                                                    "future")]:
        path.write_text(f"[alarms]\nfrozen_at = {value}\n")
        with pytest.raises(ForecastError, match=f"alarms.toml: alarm rule {message}"):
            AlarmRules.from_toml(path)
