"""The receiver TEC archive (ionoquake.store.gnss_tec): round trip, provenance, atomicity."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ionoquake import __version__, atomic
from ionoquake.errors import StoreError
from ionoquake.gnss.tec import combine
from ionoquake.gnss.tec_files import slant_tec_files
from ionoquake.store import gnss_tec

RTK = "rinex/rtklib"


@pytest.fixture(scope="module")
def receivers(shared_data: Path) -> list[xr.Dataset]:
    """GEONET 0759 and 3040, 2005-04-02 00:00–00:59:30 GPS time (so from 23:59:47 UTC of
    2005-04-01: the first epoch belongs to the previous UTC day)."""
    return [slant_tec_files(shared_data / RTK / f"{s}0920.05o",
                            [shared_data / RTK / f"{s}0920.05n"])
            for s in ("0759", "3040")]


def _read_all(store: Path, network: str) -> xr.Dataset:
    days = gnss_tec.days(store, network)
    parts = [gnss_tec.read_day(store, network, d) for d in days["day"]]
    return xr.concat(parts, dim="time", join="outer", data_vars="minimal",
                     combine_attrs="drop_conflicts", fill_value={"arc": -1})


def _without_provenance(ds: xr.Dataset) -> xr.Dataset:
    out = ds.copy()
    out.attrs = {k: v for k, v in ds.attrs.items() if k != "provenance"}
    return out


def test_a_stored_network_reads_back_equal(receivers: list[xr.Dataset], tmp_path: Path) -> None:
    both = combine(receivers)
    written = gnss_tec.write(tmp_path, both, network="geonet")
    assert [p.name for p in written] == ["2005-04-01.nc", "2005-04-02.nc"]
    back = _read_all(tmp_path, "geonet")
    back["arc"] = back["arc"].astype(np.int32)
    xr.testing.assert_identical(_without_provenance(back), both)
    prov = json.loads(gnss_tec.read_day(tmp_path, "geonet", "2005-04-02").attrs["provenance"])
    for site in ("0759", "3040"):  # each receiver keeps its own files and settings
        files = [f["file"] for f in prov["receivers"][site]["source"]]
        assert files == [f"{site}0920.05o", f"{site}0920.05n"]
        assert "per_system" in prov["receivers"][site]["settings"]["biases"]


def test_one_day_round_trip_is_identical(receivers: list[xr.Dataset], tmp_path: Path) -> None:
    day = receivers[0].sel(time=slice("2005-04-02", None))
    gnss_tec.write(tmp_path, day, network="geonet")
    back = gnss_tec.read_day(tmp_path, "geonet", "2005-04-02")
    xr.testing.assert_identical(_without_provenance(back), day)


def test_provenance_names_the_files_their_sha256_version_and_settings(
        receivers: list[xr.Dataset], tmp_path: Path) -> None:
    gnss_tec.write(tmp_path, receivers[0], network="geonet")
    back = gnss_tec.read_day(tmp_path, "geonet", "2005-04-02")
    prov = json.loads(back.attrs["provenance"])
    assert prov["network"] == "geonet"
    record = prov["receivers"]["0759"]
    assert record["ionoquake_version"] == __version__
    files = {f["file"]: f["sha256"] for f in record["source"]}
    assert set(files) == {"07590920.05o", "07590920.05n"}
    assert all(len(h) == 64 for h in files.values())
    assert record["settings"]["shell_height_km"] == 350.0
    assert record["settings"]["elevation_mask_deg"] == 20.0
    assert "levelled" in record["settings"]["levelling"]


def test_writing_a_receiver_keeps_the_others_of_the_day(receivers: list[xr.Dataset],
                                                        tmp_path: Path) -> None:
    gnss_tec.write(tmp_path, receivers[0], network="geonet")
    gnss_tec.write(tmp_path, receivers[1], network="geonet")
    day = gnss_tec.read_day(tmp_path, "geonet", "2005-04-02")
    assert sorted(day["receiver"].values.tolist()) == ["0759", "3040"]
    assert sorted(json.loads(day.attrs["provenance"])["receivers"]) == ["0759", "3040"]
    gnss_tec.write(tmp_path, receivers[1], network="geonet")  # again: replaced, not doubled
    again = gnss_tec.read_day(tmp_path, "geonet", "2005-04-02")
    assert again.sizes["receiver"] == 2
    xr.testing.assert_identical(again["stec"].sel(receiver="3040"),
                                day["stec"].sel(receiver="3040"))


def test_a_different_shell_height_is_refused_for_a_stored_day(receivers: list[xr.Dataset],
                                                              tmp_path: Path) -> None:
    gnss_tec.write(tmp_path, receivers[0], network="geonet")
    other = receivers[1].assign_attrs(shell_height_km=450.0)
    with pytest.raises(StoreError, match="shell_height_km"):
        gnss_tec.write(tmp_path, other, network="geonet")


def test_a_failed_write_leaves_the_stored_day_whole(receivers: list[xr.Dataset],
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    gnss_tec.write(tmp_path, receivers[0], network="geonet")
    path = gnss_tec.day_path(tmp_path, "geonet", "2005-04-02")
    before = path.read_bytes()

    def killed(step: str) -> None:
        raise KeyboardInterrupt(step)

    monkeypatch.setattr(atomic, "fault_point", killed)
    with pytest.raises(KeyboardInterrupt):
        gnss_tec.write(tmp_path, receivers[1], network="geonet")
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


def test_bad_input_is_refused(receivers: list[xr.Dataset], tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a TEC container"):
        gnss_tec.write(tmp_path, receivers[0].drop_vars("stec"), network="geonet")
    with pytest.raises(StoreError):
        gnss_tec.write(tmp_path, receivers[0], network="../escape")
    with pytest.raises(StoreError, match="no receiver TEC stored"):
        gnss_tec.read_day(tmp_path, "geonet", "2001-01-01")
