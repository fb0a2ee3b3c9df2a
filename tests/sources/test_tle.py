"""TLE reading, validation, epoch choice and the CelesTrak fetch (against a local server)."""

from __future__ import annotations

import http.server
import re
import threading
import warnings
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ionoquake.sources import read as read_any
from ionoquake.sources import tle, tle_fetch
from ionoquake.sources.tle import TLE_COLUMNS, TleAgeWarning, TleError

# CSES in CelesTrak's science group of 2019-11-18 (values copied from the file's lines 172-173).
CSES = ("ZHANGZHENG-1 (CSES)     \n"
        "1 43194U 18015C   19322.55091545  .00001006  00000-0  48427-4 0  9993\n"
        "2 43194  97.4135  85.6925 0016973 127.3937   1.4087 15.20935646 99453\n")


@pytest.fixture(scope="module")
def tle_dir(shared_data: Path) -> Path:
    return shared_data / "tle"


def test_the_13562_object_gzipped_active_catalogue_reads(tle_dir: Path) -> None:
    sets = tle.read(tle_dir / "celestrak_active_20251209.tle.gz")
    assert len(sets) == 13562  # SOURCES.md section 5
    assert tuple(sets.columns) == TLE_COLUMNS
    cses = sets[sets.norad_id == 43194].iloc[0]
    assert cses["name"] == "ZHANGHENG 1-01 (CSES-1)"
    assert cses["inclination_deg"] == pytest.approx(97.6659)
    assert sets["epoch"].dt.year.eq(2025).mean() > 0.99


def test_a_3_line_set_parses_every_field() -> None:
    row = tle.parse(CSES).iloc[0]
    assert row["norad_id"] == 43194 and row["intl_designator"] == "18015C"
    assert row["epoch"] == pd.Timestamp("2019-11-18") + pd.Timedelta(days=0.55091545)
    assert row["bstar"] == pytest.approx(0.48427e-4)
    assert row["eccentricity"] == pytest.approx(0.0016973)
    assert row["mean_motion_rev_per_day"] == pytest.approx(15.20935646)
    assert row["rev_number"] == 9945
    # Mean height above the equatorial radius from the mean motion: ~503 km (science notes).
    assert (row["perigee_km"] + row["apogee_km"]) / 2 == pytest.approx(503, abs=3)


def test_a_history_of_2_line_sets_and_rtklib_comments_read(tle_dir: Path) -> None:
    spot = tle.read(tle_dir / "orekit_spot-5_series.tle")
    assert len(spot) == 250 and spot["name"].eq("").all()
    assert spot["epoch"].min() == pd.Timestamp("2002-05-04 11:45:15.695136")
    gnss = tle.read(tle_dir / "rtklib_TLE_GNSS_20121101.txt")
    assert gnss.iloc[0]["name"] == "G32" and gnss.iloc[0]["norad_id"] == 20959


def test_the_registry_recognises_tle_files(tle_dir: Path) -> None:
    assert len(read_any(tle_dir / "celestrak_science_20191118.tle")) == 66


def test_a_bad_checksum_names_the_line_and_shows_the_template() -> None:
    bad = CSES.replace("0  9993", "0  9994")
    with pytest.raises(TleError) as err:
        tle.parse(bad, source="science.tle")
    text = str(err.value)
    assert text.startswith("science.tle line 2: checksum is 4 but the line tallies to 3")
    assert f"{tle.LINE1_TEMPLATE}\n1 43194U" in text


def test_a_shifted_column_shows_the_template_above_the_line() -> None:
    bad = CSES.replace(" 97.4135", "97.4135 ")
    with pytest.raises(TleError, match=r"line 3: column 12 should be '.', found '4'") as err:
        tle.parse(bad)
    assert f"{tle.LINE2_TEMPLATE}\n2 43194" in str(err.value)


def test_orphans_and_mismatched_numbers_are_errors() -> None:
    with pytest.raises(TleError, match="line 1: name line 'X' is not followed"):
        tle.parse("X\nY\n" + CSES)
    with pytest.raises(TleError, match="without its line 2"):
        tle.parse(CSES.splitlines()[1])
    lines = CSES.splitlines()
    other = lines[2].replace("43194", "43195")
    with pytest.raises(TleError, match="differs"):
        tle.parse("\n".join([lines[0], lines[1], other]), verify_checksum=False)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 139), st.characters(codec="ascii"))
def test_mutated_lines_raise_only_tle_error(pos: int, char: str) -> None:
    lines = CSES.splitlines()
    text = lines[1] + "\n" + lines[2]
    text = text[:pos] + char + text[pos + 1:]
    try:
        tle.parse(text)
    except TleError:
        pass


def test_the_nearest_epoch_is_chosen_and_old_ones_warn(tle_dir: Path) -> None:
    spot = tle.read(tle_dir / "orekit_spot-5_series.tle")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        row = tle.nearest(spot, 27421, "2002-05-20")
    assert abs(row["epoch"] - pd.Timestamp("2002-05-20")) < pd.Timedelta(hours=12)
    with pytest.warns(TleAgeWarning, match=r"56\.2 days after its epoch 2002-06-24"):
        tle.nearest(spot, 27421, "2002-08-20")
    with pytest.raises(TleError, match="no TLE for NORAD 1 among 250"):
        tle.nearest(spot, 1, "2002-05-20")


def test_decayed_elements_are_flagged_and_warned() -> None:
    # Same set with mean motion 16.6 rev/day: a perigee near 100 km.
    line2 = tle.LINE2_TEMPLATE  # only for its length
    l2 = "2 43194  97.4135  85.6925 0016973 127.3937   1.4087 16.60000000 9945"
    l2 += str(tle.checksum(l2))
    assert len(l2) == len(line2)
    sets = tle.parse("\n".join([CSES.splitlines()[1], l2]))
    assert sets.iloc[0]["problem"].startswith("decayed: perigee")
    with pytest.warns(TleAgeWarning, match="decayed"):
        tle.nearest(sets, 43194, sets.iloc[0]["epoch"])


class _GpHandler(http.server.BaseHTTPRequestHandler):
    """CelesTrak's gp.php answering by query: ``CATNR`` and ``GROUP``."""

    answers: ClassVar[dict[str, str]] = {}
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        query = self.path.split("?", 1)[1]
        key = query.split("&")[0]
        body = self.answers.get(key, "No GP data found").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def gp_server():  # type: ignore[no-untyped-def]
    _GpHandler.answers = {"CATNR=43194": CSES, "GROUP=science": CSES * 1}
    _GpHandler.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _GpHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/NORAD/elements/gp.php"
    server.shutdown()
    server.server_close()


def test_fetch_by_id_and_group_is_cached(gp_server: str, tmp_path: Path) -> None:
    import datetime as dt

    day = dt.date(2025, 12, 9)
    paths = tle_fetch.fetch(norad_ids=[43194], groups=["science"], cache_dir=tmp_path,
                            base_url=gp_server, day=day)
    assert [p.name for p in paths] == ["celestrak_catnr43194_20251209.tle",
                                       "celestrak_group-science_20251209.tle"]
    assert _GpHandler.seen == ["/NORAD/elements/gp.php?CATNR=43194&FORMAT=tle",
                               "/NORAD/elements/gp.php?GROUP=science&FORMAT=tle"]
    tle_fetch.fetch(norad_ids=[43194], cache_dir=tmp_path, base_url=gp_server, day=day)
    assert len(_GpHandler.seen) == 2  # read from the cache
    assert tle.read(paths[0]).iloc[0]["norad_id"] == 43194


def test_cli_fetch_tle_stores_the_sets(gp_server: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ionoquake.cli import app
    from ionoquake.store.tles import read_tles

    args = ["fetch", "tle", "--norad", "43194", "--base-url", gp_server,
            "--store", str(tmp_path / "store")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "new sets added" in result.output
    assert read_tles(tmp_path / "store")["norad_id"].tolist() == [43194]
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0 and "unchanged" in again.output


def test_fetch_of_an_unknown_id_says_so_and_caches_nothing(gp_server: str,
                                                            tmp_path: Path) -> None:
    with pytest.raises(TleError, match=r"CATNR=99999&FORMAT=tle: no TLE in the answer \('No GP"):
        tle_fetch.fetch(norad_ids=[99999], cache_dir=tmp_path, base_url=gp_server)
    assert not list(tmp_path.iterdir())


def test_epochs_are_naive_utc_nanoseconds(tle_dir: Path) -> None:
    sets = tle.read(tle_dir / "celestrak_science_20191118.tle")
    assert sets["epoch"].dtype == np.dtype("datetime64[ns]")


@pytest.mark.parametrize(("column", "byte"), [(8, "\x07"), (18, "\x1b"), (69, "\x0c")])
def test_a_control_byte_in_a_tle_line_is_an_error(column: int, byte: str) -> None:
    # Column 8 (classification) and a blank of the epoch field count 0 in the checksum,
    # as a control byte does; column 69's form feed made str.splitlines() split the line.
    line1 = CSES.splitlines()[1]
    bad = CSES.replace(line1, line1[: column - 1] + byte + line1[column:])
    with pytest.raises(TleError, match=rf"^science.tle line 2: non-printable character "
                                       rf"{re.escape(repr(byte))} in column {column}\n"):
        tle.parse(bad, source="science.tle")


def test_a_control_byte_in_a_name_line_is_an_error() -> None:
    with pytest.raises(TleError, match=r"^line 1: non-printable character in the name line"):
        tle.parse(CSES.replace("ZHANGZHENG", "ZHANG\x00ZHENG"))


def test_a_checksum_column_that_is_not_a_digit_is_an_error() -> None:
    line2 = CSES.splitlines()[2]
    with pytest.raises(TleError, match=r"line 3: column 69 should be the checksum digit, "
                                       r"found 'X'"):
        tle.parse(CSES.replace(line2, line2[:68] + "X"))
