"""The Madrigal line-of-sight TEC export: reader, timestamp check, bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ionoquake.errors import InputError, IonoquakeError
from ionoquake.sources import madrigal, registry

NOTO = "tec_los_madrigal/madrigal_los_tec_japan_20240101_0700-0859UT_noto.csv.gz"
SAMPLE = "tec_los_madrigal/madrigal_los_tec_japan_20110311_0000UT_sample.csv"


@pytest.fixture(scope="module")
def noto_path(shared_data: Path) -> Path:
    return shared_data / NOTO


@pytest.fixture(scope="module")
def noto(noto_path: Path):  # type: ignore[no-untyped-def]
    return madrigal.read(noto_path)


@pytest.fixture(scope="module")
def clean_table(noto_path: Path) -> pd.DataFrame:
    """The Noto table with its epochs already repaired (the reference for planting)."""
    table = madrigal.read_table(noto_path)
    return madrigal.check_timestamps(table).repaired(table).reset_index(drop=True)


def test_noto_export_reads_into_the_receiver_container(noto) -> None:  # type: ignore[no-untyped-def]
    assert noto.sizes == {"time": 240, "receiver": 5, "satellite": 24}
    assert list(noto["receiver"].values) == ["aira", "mtka", "smst", "tskb", "usud"]
    assert {s[0] for s in noto["satellite"].values} == {"G", "R"}
    assert "G08" in noto["satellite"].values and "R09" in noto["satellite"].values
    assert noto.attrs["shell_height_km"] == 350.0
    assert noto.attrs["sampling_s"] == 30.0
    assert json.loads(noto.attrs["source"])[0]["sha256"]
    # Line 2 of the file: 2024-01-01 07:00:00 aira GPS 4: los_tec 37.189896, dlos_tec
    # 0.225555, tec 25.55917, azm -104.919907, elm 40.124786, IPP 30.873051 N 126.751282 E.
    one = noto.sel(time="2024-01-01T07:00:00", receiver="aira", satellite="G04")
    assert float(one["stec"]) == pytest.approx(37.189896)
    assert float(one["stec_error"]) == pytest.approx(0.225555)
    assert float(one["vtec"]) == pytest.approx(25.55917)
    assert float(one["azimuth"]) == pytest.approx(360 - 104.919907)
    assert float(one["elevation"]) == pytest.approx(40.124786)
    assert float(one["ipp_lat"]) == pytest.approx(30.873051)
    assert float(one["ipp_lon"]) == pytest.approx(126.751282)
    assert float(noto["receiver_lat"].sel(receiver="aira")) == pytest.approx(31.82406, abs=1e-5)
    # The IPPs and the vertical TEC follow from azm/elm and the 350 km shell (spherical
    # Earth here, so within a few km; mapping 1/cos z' within 0.05 TECU at the median).
    geometry = json.loads(noto.attrs["geometry_check"])
    assert geometry["ipp_km_median"] < 5 and geometry["ipp_km_max"] < 20
    assert geometry["vtec_tecu_median"] < 0.1
    # 11091 rows in the file, one sample each.
    assert int(noto["stec"].notnull().sum()) == 11091


def test_arcs_split_at_gaps_longer_than_the_bridge(noto, noto_path: Path) -> None:  # type: ignore[no-untyped-def]
    arcs = noto["arc"].sel(receiver="aira", satellite="G07").to_numpy()
    seen = noto["stec"].sel(receiver="aira", satellite="G07").notnull().to_numpy()
    assert ((arcs >= 0) == seen).all()
    assert arcs.max() == 2          # aira G07 rises, drops out twice (gaps of > 90 s)
    narrow = madrigal.read(noto_path, arc_gap_s=31.0)   # every missing sample splits
    assert narrow["arc"].sel(receiver="aira", satellite="G07").max() > 10


def test_timestamp_check_finds_the_epochs_labelled_one_sample_early(noto) -> None:  # type: ignore[no-untyped-def]
    found = json.loads(noto.attrs["timestamp_check"])
    assert found["checked"] and found["repaired"]
    assert found["n_epochs"] == 187
    # What this file holds: 63 of its 187 epoch labels are 30 s earlier than the time
    # the satellite geometry of every pair says (e.g. the rows labelled 07:01:00, whose
    # elevations lie 2 samples after 07:00:30 and 1 before 07:02:00).
    assert found["shifts_s"] == {"+30": 63}
    assert found["shifted_epochs"]["2024-01-01 07:01:00"] == 30.0
    assert found["offset_before_s"]["p95_abs"] > 25
    assert found["offset_after_s"]["max_abs"] < 1.0
    assert found["n_rows_flagged"] < 0.01 * 11091
    # The rows labelled 07:01:00 now sit at 07:01:30 (aira G08: elevation 40.525650).
    moved = noto.sel(time="2024-01-01T07:01:30", receiver="aira", satellite="G08")
    assert float(moved["elevation"]) == pytest.approx(40.525650)
    assert float(moved["time_label_shift_s"]) == 30.0
    assert noto["stec"].sel(time="2024-01-01T07:01:00").isnull().all()


def test_without_repair_the_labels_stay_and_the_check_is_still_reported(noto_path: Path) -> None:
    kept = madrigal.read(noto_path, repair_times=False)
    assert float(kept["elevation"].sel(time="2024-01-01T07:01:00", receiver="aira",
                                       satellite="G08")) == pytest.approx(40.525650)
    found = json.loads(kept.attrs["timestamp_check"])
    assert found["repaired"] is False and found["n_epochs_shifted"] == 63


def _plant(table: pd.DataFrame, epoch: pd.Timestamp, shift_s: int) -> pd.DataFrame:
    """Relabel the samples of ``epoch`` as ``epoch - shift_s`` (emptying that slot first)."""
    wrong = epoch - pd.Timedelta(seconds=shift_s)
    planted = table[table["time"] != wrong].copy()
    planted.loc[planted["time"] == epoch, "time"] = wrong
    return planted.reset_index(drop=True)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minute=st.integers(5, 110), shift=st.sampled_from([30, -30, 60]))
def test_a_planted_label_error_is_found_and_undone(clean_table: pd.DataFrame, minute: int,
                                                   shift: int) -> None:
    epochs = np.sort(clean_table["time"].unique())
    epoch = pd.Timestamp(epochs[np.searchsorted(epochs, np.datetime64("2024-01-01T07:00")
                                                + np.timedelta64(minute, "m"))])
    check = madrigal.check_timestamps(_plant(clean_table, epoch, shift))
    shifted = check.epoch_shift_s[check.epoch_shift_s != 0]
    assert list(shifted.index) == [epoch - pd.Timedelta(seconds=shift)]
    assert shifted.iloc[0] == shift


def test_a_planted_error_in_a_written_file_is_repaired_by_read(clean_table: pd.DataFrame,
                                                               tmp_path: Path) -> None:
    epoch = pd.Timestamp("2024-01-01T07:40:00")
    planted = _plant(clean_table, epoch, 30)
    planted["ut1_unix"] = (planted["time"] - pd.Timestamp("1970-01-01")).dt.total_seconds()
    planted["gps_site"] = planted["receiver"]
    planted["gnss_type"] = planted["satellite"].str[0].map({"G": "GPS", "R": "GLONASS"})
    planted["year"], planted["month"], planted["day"] = 2024, 1, 1
    planted["hour"], planted["min"], planted["sec"] = 0, 0, 0
    columns = ["year", "month", "day", "hour", "min", "sec", *madrigal.COLUMNS]
    path = tmp_path / "planted.csv.gz"
    with gzip.open(path, "wt") as fh:
        planted[columns].to_csv(fh, index=False)
    assert registry.reader_for(path).name == "madrigal-los"
    ds = madrigal.read(path)
    found = json.loads(ds.attrs["timestamp_check"])
    assert found["shifted_epochs"] == {"2024-01-01 07:39:30": 30.0}
    assert ds["stec"].sel(time="2024-01-01T07:40:00").notnull().sum() > 50


def test_the_one_epoch_sample_reads_but_cannot_be_checked(shared_data: Path) -> None:
    ds = madrigal.read(shared_data / SAMPLE)
    assert ds.sizes["receiver"] == 3 and ds.sizes["time"] == 2
    assert json.loads(ds.attrs["timestamp_check"])["checked"] is False
    assert float(ds["stec"].sel(time="2011-03-11T00:00:00", receiver="g103",
                                satellite="G02")) == pytest.approx(18.032875)


def test_sniff_accepts_the_exports_and_nothing_else(shared_data: Path) -> None:
    assert madrigal.can_read(shared_data / NOTO)
    assert madrigal.can_read(shared_data / SAMPLE)
    assert not madrigal.can_read(shared_data / "tec_los_madrigal" /
                                 "madrigal_catalog_record_20240101.txt")
    assert registry.reader_for(shared_data / NOTO, kind="tec").name == "madrigal-los"


def _lines(shared_data: Path) -> list[str]:
    return (shared_data / SAMPLE).read_text().splitlines()


@pytest.mark.parametrize(("edit", "message"), [
    (lambda h, rows: (h.replace(",elm,", ",elevation,"), rows),
     "line 1: missing column(s) elm"),
    (lambda h, rows: (h, [*rows[:3], rows[3].replace("17.57189", "abc", 1), *rows[4:]]),
     "line 5: column los_tec: not a number: 'abc'"),
    (lambda h, rows: (h, [*rows[:1], rows[1].replace("75.779404", "95.5", 1), *rows[2:]]),
     "line 3: column elm: 95.5 outside [-5, 90]"),
    (lambda h, rows: (h, [*rows[:6], rows[6].replace("GPS     ", "GEO", 1), *rows[7:]]),
     "line 8: column gnss_type: unknown system 'GEO'"),
    (lambda h, rows: (h, []), "no data rows"),
])
def test_bad_input_names_file_line_and_column(shared_data: Path, tmp_path: Path, edit,  # type: ignore[no-untyped-def]
                                              message: str) -> None:
    header, *rows = _lines(shared_data)
    header, rows = edit(header, rows)
    path = tmp_path / "broken.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(InputError) as err:
        madrigal.read(path)
    assert str(err.value).startswith(str(path))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_missing_file_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(IonoquakeError, match="no such file"):
        madrigal.read(tmp_path / "none.csv")
