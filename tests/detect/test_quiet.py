"""Quiet/disturbed classification: planted storms, the edges of the rules, any time axis."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from ionoquake.detect.quiet import (
    QuietRules,
    classify,
    classify_days,
    classify_hours,
    disturbed_mask,
    quiet_mask,
)
from ionoquake.errors import IonoquakeError
from ionoquake.sources import indices
from ionoquake.sources.indices_table import hourly_times, indices_frame

START = "2020-01-01"
N_DAYS = 10


def calm(n_days: int = N_DAYS, kp: float = 1.0, dst: float = -5.0) -> pd.DataFrame:
    """An hourly index table of ``n_days`` quiet days from START (Kp 1o, Dst -5 nT, F10.7 70)."""
    days = np.arange(np.datetime64(START), np.datetime64(START) + n_days)
    n = 24 * n_days
    return indices_frame(hourly_times(days), {
        "kp": np.full(n, kp), "dst_nT": np.full(n, dst), "f107_obs_sfu": np.full(n, 70.0)},
        source="test")


def planted(column: str, first: str, last: str, value: float) -> pd.DataFrame:
    df = calm()
    df.loc[df["time"].between(first, last), column] = value
    return df


def hours(df: pd.DataFrame, rules: QuietRules | None = None) -> pd.Series:
    return classify_hours(df, rules or QuietRules())


def test_a_planted_kp_storm_disturbs_the_24_hours_after_it() -> None:
    # Kp 5o for the 3-h interval 09-12 UT on 5 January: every hour whose trailing 24 h
    # window holds 09:00, 10:00 or 11:00 is disturbed, i.e. 5 Jan 09:00 .. 6 Jan 10:00.
    c = hours(planted("kp", "2020-01-05 09:00", "2020-01-05 11:00", 5.0))
    disturbed = c.index[c == "disturbed"]
    assert disturbed[0] == pd.Timestamp("2020-01-05 09:00")
    assert disturbed[-1] == pd.Timestamp("2020-01-06 10:00")
    assert len(disturbed) == 26


def test_the_first_hours_without_a_full_window_are_unknown_not_quiet() -> None:
    c = hours(calm())
    assert (c.iloc[:23] == "unknown").all()
    assert (c.iloc[23:] == "quiet").all()


@pytest.mark.parametrize(("kp", "expected"), [(3.0, "quiet"), (10 / 3, "disturbed")])
def test_kp_on_the_threshold_is_quiet_and_3_plus_is_not(kp: float, expected: str) -> None:
    c = hours(planted("kp", "2020-01-05 00:00", "2020-01-05 02:00", kp))
    assert c.loc["2020-01-05 12:00"] == expected


@pytest.mark.parametrize(("dst", "expected"), [(-30.0, "quiet"), (-31.0, "disturbed")])
def test_dst_on_the_threshold_is_quiet(dst: float, expected: str) -> None:
    c = hours(planted("dst_nT", "2020-01-05 04:00", "2020-01-05 04:00", dst))
    assert c.loc["2020-01-06 03:00"] == expected
    assert c.loc["2020-01-06 04:00"] == "quiet"  # the hour has left the 24-h window


def test_a_gap_makes_epochs_unknown_unless_a_known_value_breaks_a_rule() -> None:
    df = planted("kp", "2020-01-05 00:00", "2020-01-05 02:00", np.nan)
    c = hours(df)
    assert (c.loc["2020-01-05 00:00":"2020-01-06 01:00"] == "unknown").all()
    assert c.loc["2020-01-06 02:00"] == "quiet"  # 2020-01-05 02:00 has left the window
    df.loc[df["time"] == pd.Timestamp("2020-01-05 06:00"), "kp"] = 6.0
    assert hours(df).loc["2020-01-05 08:00"] == "disturbed"


def test_switched_off_rules_are_ignored() -> None:
    df = planted("dst_nT", "2020-01-05 04:00", "2020-01-05 04:00", -100.0)
    assert hours(df, QuietRules(dst_min_nT=None)).loc["2020-01-05 05:00"] == "quiet"
    assert hours(df, QuietRules(kp_max=None, dst_min_nT=None)).eq("quiet").all()


def test_a_jump_in_f107_breaks_the_f107_rule_when_asked_for() -> None:
    df = planted("f107_obs_sfu", "2020-01-05 00:00", "2020-01-10", 100.0)
    rules = QuietRules(f107_max_change_sfu=20.0, f107_window_days=2)
    c = hours(df, rules)
    assert (c.loc["2020-01-05 00:00":"2020-01-05 23:00"] == "disturbed").all()  # 70 -> 100
    assert (c.loc["2020-01-06 00:00":] == "quiet").all()  # 100 -> 100
    assert hours(df).loc["2020-01-05 12:00"] == "quiet"  # off by default


def test_predicted_values_are_unknown_unless_allowed() -> None:
    df = calm()
    df.loc[df["time"] >= pd.Timestamp("2020-01-08"), "predicted"] = True
    assert (hours(df).loc["2020-01-08":] == "unknown").all()
    assert (hours(df, QuietRules(use_predicted=True)).loc["2020-01-08":] == "quiet").all()


def test_days_are_disturbed_by_any_hour_and_quiet_only_when_all_hours_are() -> None:
    days = classify_days(planted("kp", "2020-01-05 21:00", "2020-01-05 23:00", 7.0))
    assert days.index[0] == pd.Timestamp(START) and len(days) == N_DAYS
    assert days.tolist() == ["unknown", "quiet", "quiet", "quiet", "disturbed", "disturbed",
                             "quiet", "quiet", "quiet", "quiet"]


# --- any time axis -----------------------------------------------------------------------


def test_gim_jpl_and_one_second_epochs_align_to_the_hour_holding_them() -> None:
    df = planted("kp", "2020-01-05 09:00", "2020-01-05 11:00", 5.0)
    table = hours(df)
    gim = pd.date_range("2020-01-05", "2020-01-06", freq="h")  # 25 maps, 00:00 .. 24:00
    assert classify(gim, df).tolist() == table.loc[gim].tolist()
    jpl = pd.date_range("2020-01-05 01:00", periods=12, freq="2h")  # odd hours
    assert classify(jpl, df).tolist() == table.loc[jpl].tolist()
    samples = pd.date_range("2020-01-05 08:59:58", "2020-01-05 09:00:02", freq="s")
    assert classify(samples, df).tolist() == ["quiet"] * 2 + ["disturbed"] * 3


def test_xarray_input_gives_a_dataarray_along_its_time_dimension() -> None:
    df = planted("kp", "2020-01-05 09:00", "2020-01-05 11:00", 5.0)
    times = pd.date_range("2020-01-05 01:00", periods=12, freq="2h")
    maps = xr.Dataset({"tec": (("time", "lat", "lon"), np.zeros((12, 3, 4)))},
                      coords={"time": times, "lat": [-10.0, 0.0, 10.0], "lon": [0, 5, 10, 15]})
    mask = quiet_mask(maps, df)
    assert isinstance(mask, xr.DataArray) and mask.dims == ("time",)
    assert mask.sel(time="2020-01-05 07:00").item() and not mask.sel(time="2020-01-05 09:00")
    assert mask.attrs["n_quiet"] == 4 and mask.attrs["rules"]["kp_max"] == 3.0
    tracks = xr.DataArray(np.zeros(3), coords={"time": pd.date_range(
        "2020-01-05 10:00", periods=3, freq="s")}, dims="time")
    assert disturbed_mask(tracks, df).all()


def test_epochs_outside_the_coverage_are_unknown_and_in_no_mask() -> None:
    df = calm()
    times = pd.DatetimeIndex(["2019-12-31 23:00", "2020-01-05 12:00", "2020-01-11 00:00"])
    assert classify(times, df).tolist() == ["unknown", "quiet", "unknown"]
    assert quiet_mask(times, df).tolist() == [False, True, False]
    assert disturbed_mask(times, df).tolist() == [False, False, False]
    assert classify(times, df).attrs["n_unknown"] == 2


def test_a_series_keeps_its_index_and_timezones_become_naive_utc() -> None:
    df = planted("kp", "2020-01-05 09:00", "2020-01-05 11:00", 5.0)
    epochs = pd.Series(pd.DatetimeIndex(["2020-01-05 10:30", "2020-01-05 04:00"]),
                       index=["a", "b"])
    assert classify(epochs, df).to_dict() == {"a": "disturbed", "b": "quiet"}
    tokyo = pd.DatetimeIndex(["2020-01-05 19:30"]).tz_localize("Asia/Tokyo")  # 10:30 UTC
    assert classify(tokyo, df).tolist() == ["disturbed"]
    assert classify(pd.DatetimeIndex(["2020-01-05 23:00"]), df, per="day").tolist() == [
        "disturbed"]


@settings(max_examples=200, deadline=None)
@given(seconds=st.lists(st.integers(-2 * 86400, (N_DAYS + 2) * 86400), min_size=1,
                        max_size=50))
def test_any_epochs_get_the_class_of_their_hour(seconds: list[int]) -> None:
    df = planted("dst_nT", "2020-01-04 17:00", "2020-01-04 19:00", -80.0)
    table = hours(df)
    times = pd.Timestamp(START) + pd.to_timedelta(seconds, unit="s")
    expected = table.reindex(times.floor("h")).astype(object).fillna("unknown").tolist()
    assert classify(times, df).tolist() == expected
    da = xr.DataArray(np.arange(len(times)), coords={"time": times}, dims="time")
    assert classify(da, df).values.tolist() == expected


def test_rules_that_make_no_sense_are_refused() -> None:
    with pytest.raises(IonoquakeError, match="QuietRules.kp_max 12 is not a Kp"):
        QuietRules(kp_max=12)
    with pytest.raises(IonoquakeError, match="kp_window_hours must be at least 1"):
        QuietRules(kp_window_hours=0)
    with pytest.raises(IonoquakeError, match="'dst_nT' is not an F10.7 column"):
        QuietRules(f107_column="dst_nT")


# --- real storms -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def march_2015(shared_data: Path) -> pd.DataFrame:
    d = shared_data / "indices"
    cel = indices.read(d / "celestrak_SpaceWeather-All-v1.2_updated20251121.txt.gz")
    dst = indices.read(d / "kyoto_wdc_dst_2006-2022.dat.gz")
    return indices.combine([indices.between(dst, "2015-03-01", "2015-04-01"),
                            indices.between(cel, "2015-03-01", "2015-04-01")])


def test_st_patricks_day_2015_is_disturbed_and_10_march_quiet(march_2015: pd.DataFrame) -> None:
    days = classify_days(march_2015)
    # CelesTrak line 21011: 2015 03 17 ... 20 47 57 53 77 77 73 77 (Kp up to 8-); Kyoto -234 nT.
    assert days.loc["2015-03-17"] == "disturbed"
    # CelesTrak lines 21004-21005: Kp of 9 and 10 March at most 17 (2-) and 30 (3o); Kyoto
    # DST1503*10 and *11 between -20 and +8 nT.
    assert days.loc["2015-03-11"] == "quiet"
    jpl = pd.date_range("2015-03-17 01:00", periods=12, freq="2h")
    assert disturbed_mask(jpl, march_2015).iloc[-1]


def test_halloween_2003_days_are_disturbed_by_kp_alone(shared_data: Path) -> None:
    cel = indices.read(shared_data / "indices" /
                       "celestrak_SpaceWeather-All-v1.2_updated20251121.txt.gz")
    window = indices.between(cel, "2003-10-20", "2003-11-01")
    days = classify_days(window, QuietRules(dst_min_nT=None))  # no Dst before 2006 here
    assert (days.loc["2003-10-29":"2003-10-31"] == "disturbed").all()
    assert (classify_days(window) == "disturbed").all()  # 20-31 Oct: Kp above 3o every day


def test_without_dst_a_calm_day_is_unknown_while_the_dst_rule_is_on() -> None:
    df = calm(dst=np.nan)
    assert (classify_days(df) == "unknown").all()
    assert (classify_days(df, QuietRules(dst_min_nT=None)).iloc[1:] == "quiet").all()
