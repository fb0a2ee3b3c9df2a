"""Earthquake catalogue readers, the catalogue table, export and the store.

Known events are checked against values copied from the files' text (line numbers
quoted); the 2001-01-13 El Salvador M7.7 earthquake (USGS usp000a7m5) is in all
four text catalogues.
"""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ionoquake.detect.select import in_box, in_polygon, select_events, within_km
from ionoquake.sources import catalog, catalog_write
from ionoquake.sources.catalog_table import CORE_COLUMNS, CatalogError
from ionoquake.store.catalogs import ingest_catalog, ingest_files, read_catalog
from ionoquake.store.provenance import file_record
from ionoquake.store.tables import table_path

COMCAT_DIR = "catalogs/usgs_comcat_M4.5_1999-2017"
M7 = "catalogs/usgs_comcat_M7_2000-2018.csv"
ISCGEM = "catalogs/iscgem/isc-gem-cat_v1.05.csv.gz"
ISCGEM_SUPPL = "catalogs/iscgem/isc-gem-suppl_v7.0.csv.gz"
CENTENNIAL = "catalogs/other/usgs_centennial_Y2K.CAT.txt.gz"
NOAA = "catalogs/other/noaa_ncei_signif.txt.tsv.gz"
COMCAT_HEADER = ("time,latitude,longitude,depth,mag,magType,nst,gap,dmin,rms,net,id,updated,"
                 "place,type,horizontalError,depthError,magError,magNst,status,"
                 "locationSource,magSource")
# usgs_comcat_M7_2000-2018.csv line 279 (also 1999-2004.csv.gz line 14789):
EL_SALVADOR = ('2001-01-13T17:33:32.380Z,13.049,-88.66,60,7.7,mwc,427,,,1.13,us,usp000a7m5,'
               '2018-10-17T19:39:00.654Z,"offshore El Salvador",earthquake,,,,,reviewed,us,hrv')
FIVE_MINUTES = pd.Timedelta(minutes=5)


def comcat_files(shared_data: Path) -> list[Path]:
    return sorted((shared_data / COMCAT_DIR).glob("*.csv.gz"))


def write_comcat(tmp_path: Path, *rows: str, name: str = "q.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([COMCAT_HEADER, *rows]) + "\n")
    return path


def assert_catalog_table(df: pd.DataFrame) -> None:
    """The contract every reader meets: core columns first, in order, with their types."""
    assert tuple(df.columns[: len(CORE_COLUMNS)]) == CORE_COLUMNS
    assert df["time"].dtype == "datetime64[ns]"
    for column in ("latitude", "longitude", "depth_km", "magnitude"):
        assert df[column].dtype == np.float64
    for column in ("magnitude_type", "event_id", "source"):
        assert isinstance(df[column].dtype, pd.StringDtype)
    assert df["time"].dropna().is_monotonic_increasing
    assert df["latitude"].dropna().between(-90, 90).all()
    assert df["longitude"].dropna().between(-180, 180).all()
    assert not df.duplicated(["source", "event_id"]).any()


# --- ComCat ------------------------------------------------------------------------------


def test_seven_comcat_exports_read_as_one_catalogue(shared_data: Path) -> None:
    df = catalog.read(comcat_files(shared_data))
    assert_catalog_table(df)
    # SOURCES.md: 19964+14995+19655+16805+14381+15476+13804 = 115080 rows; 93 events
    # sit in two neighbouring exports (the boundary days) and are kept once.
    assert len(df) == 115080 - 93
    assert df["event_id"].is_unique
    assert df["time"].iloc[0] == pd.Timestamp("1999-12-31 03:24:01.580")  # 1999-2004 last line
    assert df["time"].iloc[-1] == pd.Timestamp("2017-12-31 23:48:50.980")  # 2015-2017 line 2
    assert df["magnitude"].min() == 4.5
    # All 22 ComCat columns are kept (7 as core columns, 15 under their own names).
    assert len(df.columns) == 8 + 15


def test_el_salvador_2001_in_comcat(shared_data: Path) -> None:
    df = catalog.read(shared_data / M7)
    row = df.set_index("event_id").loc["usp000a7m5"]
    assert row["time"] == pd.Timestamp("2001-01-13 17:33:32.380")
    assert (row["latitude"], row["longitude"], row["depth_km"]) == (13.049, -88.66, 60.0)
    assert (row["magnitude"], row["magnitude_type"]) == (7.7, "mwc")
    assert row["place"] == "offshore El Salvador"
    assert row["updated"] == pd.Timestamp("2018-10-17 19:39:00.654")
    assert row["station_count"] == 427 and row["rms_s"] == 1.13
    assert row["source"] == "usgs-comcat" and row["magnitude_source"] == "hrv"
    assert len(df) == 296  # SOURCES.md


def test_a_repeated_event_keeps_its_latest_revision(tmp_path: Path) -> None:
    older = EL_SALVADOR.replace(",7.7,mwc,", ",7.6,mwc,").replace("2018-10-17", "2014-01-01")
    a = write_comcat(tmp_path, EL_SALVADOR, name="a.csv")
    b = write_comcat(tmp_path, older, name="b.csv")
    for order in ([a, b], [b, a]):
        df = catalog.read(order)
        assert len(df) == 1 and df["magnitude"].iloc[0] == 7.7


# --- ISC-GEM, Centennial, NOAA -------------------------------------------------------------


def test_el_salvador_2001_in_iscgem(shared_data: Path) -> None:
    df = catalog.read(shared_data / ISCGEM)
    assert_catalog_table(df)
    assert len(df) == 18867 - 57  # 57 comment lines in v1.05
    # isc-gem-cat_v1.05.csv.gz line 15332:
    # " 2001-01-13 17:33:32.16 ,   13.060 ,  -88.699 ,   4.8 ,   3.6 ,  54.7 , A ,   38.0 ,
    #   4.7 , A , 7.71 , 0.10 , A , d ,  4.57 , 20 ,    gcmt  , ... ,    1763440"
    row = df.set_index("event_id").loc["1763440"]
    assert row["time"] == pd.Timestamp("2001-01-13 17:33:32.16")
    assert (row["latitude"], row["longitude"], row["depth_km"]) == (13.06, -88.699, 38.0)
    assert (row["magnitude"], row["magnitude_type"]) == (7.71, "Mw")
    assert (row["mw_uncertainty"], row["mw_quality"], row["mw_source"]) == (0.10, "A", "d")
    assert row["depth_uncertainty_km"] == 4.7 and row["epicentre_quality"] == "A"
    assert row["moment_author"] == "gcmt" and row["source"] == "isc-gem"


def test_iscgem_v7_supplement_reads_with_blank_magnitudes(shared_data: Path) -> None:
    df = catalog.read(shared_data / ISCGEM_SUPPL)
    assert_catalog_table(df)
    assert len(df) == 7248 - 96 and (df["source"] == "isc-gem-supplement").all()
    # line 97: " 1904-01-20 14:51:36.41 ,    7.808 ,  -81.980 ,  140.8 ,   33.6 , 150.8 , C ,
    #   10.0 ,  25.0 , C ,      ,      , D , ... ,   16957810"
    row = df.set_index("event_id").loc["16957810"]
    assert (row["latitude"], row["longitude"], row["depth_km"]) == (7.808, -81.98, 10.0)
    assert np.isnan(row["magnitude"]) and row["mw_quality"] == "D"
    assert {"str1", "rake2", "type"} <= set(df.columns)  # v7.0 nodal planes


def test_el_salvador_2001_in_the_centennial_catalogue(shared_data: Path) -> None:
    df = catalog.read(shared_data / CENTENNIAL)
    assert_catalog_table(df)
    assert len(df) == 13541
    # usgs_centennial_Y2K.CAT.txt line 12143:
    # " EHB   BEQM 2001  1 13  17 33 31.33   13.070 -88.700  38.0   0 544 7.7 Mw HRV   0.0 ..."
    row = df[df["time"] == pd.Timestamp("2001-01-13 17:33:31.33")].iloc[0]
    assert (row["latitude"], row["longitude"], row["depth_km"]) == (13.07, -88.7, 38.0)
    assert (row["magnitude"], row["magnitude_type"], row["magnitude_author"]) == (7.7, "Mw",
                                                                                    "HRV")
    assert (row["catalog"], row["solution_source"]) == ("EHB", "BEQM")
    assert row["n_teleseismic_phases"] == 544
    # line 4: " ABE        1900  1 20   6 33  0.00   20.000-105.000   0.0  55   0 7.3 Mw P&S
    #   7.4 Ms AN2   7.3 Ms P&S   8.2 UK B&D ..."
    first = df[df["time"] == pd.Timestamp("1900-01-20 06:33")].iloc[0]
    assert (first["latitude"], first["longitude"]) == (20.0, -105.0)
    assert first["other_magnitudes"] == "7.4 Ms AN2; 7.3 Ms P&S; 8.2 UK B&D"
    # line 350: " BJI        1911  7  0 ..." -- day 0, unknown: no time, the date parts kept.
    unknown = df[df["time"].isna()]
    assert len(unknown) == 1 and (unknown["year"].iloc[0], unknown["month"].iloc[0]) == (1911, 7)


def test_el_salvador_2001_in_the_noaa_database(shared_data: Path) -> None:
    df = catalog.read(shared_data / NOAA)
    assert_catalog_table(df)
    assert len(df) == 5829
    # noaa_ncei_signif.txt.tsv line 5013: "5587  Tsu  2001  1  13  17  33   32.3  60   7.7
    #   7.8   6.4 ... 8  EL SALVADOR ... 13.049  -88.660  100  844 ..."
    row = df.set_index("event_id").loc["5587"]
    assert row["time"] == pd.Timestamp("2001-01-13 17:33:32.3")
    assert (row["latitude"], row["longitude"], row["depth_km"]) == (13.049, -88.66, 60.0)
    assert (row["magnitude"], row["magnitude_type"]) == (7.7, "Mw")
    assert (row["magnitude_ms"], row["magnitude_mb"]) == (7.8, 6.4)
    assert row["deaths"] == 844 and row["country"] == "EL SALVADOR"
    # line 2: "1  ...  -2150 ... JORDAN" -- 2150 BC has no datetime64[ns] time.
    ancient = df.set_index("event_id").loc["1"]
    assert pd.isna(ancient["time"]) and ancient["year"] == -2150


def test_the_four_catalogues_agree_on_el_salvador(shared_data: Path) -> None:
    df = catalog.read([shared_data / p for p in (M7, ISCGEM, CENTENNIAL, NOAA)])
    assert_catalog_table(df)
    near = select_events(df, start="2001-01-13 17:28", end="2001-01-13 17:38",
                         circle=(13.05, -88.66, 50.0))
    assert sorted(near["source"]) == ["isc-gem", "noaa-signif", "usgs-centennial",
                                      "usgs-comcat"]
    assert near["magnitude"].between(7.7, 7.71).all()


# --- bad input ---------------------------------------------------------------------------------


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text("time,latitude,longitude,depth,magType,id\n")
    with pytest.raises(CatalogError, match=r"^q\.csv line 1: header lacks field\(s\) mag; "):
        catalog.read_comcat(path)


def test_an_unparseable_time_names_file_line_and_field(tmp_path: Path) -> None:
    bad = EL_SALVADOR.replace("2001-01-13T17:33", "2001-13-13T17:33")
    path = write_comcat(tmp_path, EL_SALVADOR.replace("a7m5", "a7m4"), bad)
    with pytest.raises(CatalogError) as error:
        catalog.read(path)
    assert str(error.value) == ("q.csv line 3: field 'time': "
                                "'2001-13-13T17:33:32.380Z' is not a time")


def test_a_magnitude_out_of_range_names_file_line_and_field(tmp_path: Path) -> None:
    path = write_comcat(tmp_path, EL_SALVADOR.replace(",7.7,mwc,", ",77,mwc,"))
    with pytest.raises(CatalogError) as error:
        catalog.read(path)
    assert str(error.value) == "q.csv line 2: field 'mag': magnitude 77 is outside -3..10"


def test_a_word_for_a_number_names_file_line_and_field(tmp_path: Path) -> None:
    path = write_comcat(tmp_path, EL_SALVADOR, "", EL_SALVADOR.replace("13.049", "13.O49"))
    with pytest.raises(CatalogError) as error:
        catalog.read(path)
    assert str(error.value) == "q.csv line 4: field 'latitude': '13.O49' is not a number"


def test_a_row_with_too_many_fields(tmp_path: Path) -> None:
    path = write_comcat(tmp_path, EL_SALVADOR, EL_SALVADOR + ",extra")
    with pytest.raises(CatalogError, match=r"^q\.csv line 3: expected 22 fields, found 23$"):
        catalog.read(path)


def test_a_file_of_the_wrong_kind(shared_data: Path) -> None:
    wrong = shared_data / "ionex/single_days/igsg3410.12i.gz"
    with pytest.raises(CatalogError, match=r"^igsg3410\.12i\.gz: not an earthquake catalogue "
                                           r"ionoquake recognises; known formats: comcat-csv, "):
        catalog.read(wrong)
    with pytest.raises(CatalogError, match=r"^igsg3410\.12i\.gz line 1: header lacks field"):
        catalog.read(wrong, format="comcat-csv")


def test_a_broken_centennial_record_shows_the_layout(tmp_path: Path,
                                                     shared_data: Path) -> None:
    lines = gzip.decompress((shared_data / CENTENNIAL).read_bytes()).decode().splitlines()
    lines[2] = lines[2][:38] + "2O.000" + lines[2][44:]
    path = tmp_path / "centennial.txt"
    path.write_text("\n".join(lines[:5]) + "\n")
    with pytest.raises(CatalogError) as error:
        catalog.read(path)
    message = str(error.value).splitlines()
    assert message[0] == "centennial.txt line 3: field 'latitude': '2O.000' is not a number"
    assert message[1].startswith("  expected:  CCCCC A SSSS YYYY MM DD  hh mm ss.ss  lat.ddd")
    assert message[2].startswith("  found:     UTSU       1900  1 18   7 46  0.00   2O.000")


def test_iscgem_row_with_missing_fields(tmp_path: Path, shared_data: Path) -> None:
    lines = gzip.decompress((shared_data / ISCGEM).read_bytes()).decode().splitlines()
    lines[60] = ",".join(lines[60].split(",")[:5])
    path = tmp_path / "isc.csv"
    path.write_text("\n".join(lines[:70]) + "\n")
    with pytest.raises(CatalogError, match=r"^isc\.csv line 61: expected 24 comma-separated "
                                           r"fields, found 5$"):
        catalog.read(path)


def test_nothing_is_stored_when_one_file_is_bad(tmp_path: Path, shared_data: Path) -> None:
    bad = write_comcat(tmp_path, EL_SALVADOR.replace(",60,", ",6000,"))
    with pytest.raises(CatalogError, match=r"line 2: field 'depth': depth 6000 is outside"):
        ingest_files(tmp_path / "store", [shared_data / M7, bad])
    assert not table_path(tmp_path / "store", "catalog", "events").exists()


# --- hypothesis: any mutation of a valid line parses or raises CatalogError ------------------

MUTATIONS = st.tuples(st.integers(0, 200), st.sampled_from(["replace", "insert", "delete"]),
                      st.sampled_from(list("0123456789.-,:TZ |\t\"eE#xN ")))


def mutate(line: str, mutation: tuple[int, str, str]) -> str:
    at, kind, char = mutation
    at %= len(line) + 1
    if kind == "insert":
        return line[:at] + char + line[at:]
    if kind == "delete":
        return line[:at] + line[at + 1:]
    return line[:at] + char + line[at + 1:]


SAMPLES = {
    "comcat.csv": (COMCAT_HEADER, EL_SALVADOR),
    "centennial.txt": ("", " EHB   BEQM 2001  1 13  17 33 31.33   13.070 -88.700  38.0   0 544"
                           " 7.7 Mw HRV " + "  0.0        " * 7),
    "iscgem.csv": ("# ISC-GEM Global Instrumental Earthquake Catalogue\n#         date          "
                   ",    lat   ,    lon   , smajax, sminax, strike, q ,  depth ,   unc , q ,  mw"
                   "  ,  unc , q , s ,   mo  , fac,  mo_auth ,  mpp  ,  mpr  ,  mrr  ,  mrt  , "
                   " mtp  ,  mtt  ,    eventid",
                   " 2001-01-13 17:33:32.16 ,   13.060 ,  -88.699 ,   4.8 ,   3.6 ,  54.7 , A ,"
                   "   38.0 ,   4.7 , A , 7.71 , 0.10 , A , d ,  4.57 , 20 ,    gcmt  ,  1.31 , "
                   "-1.12 , -4.24 ,  1.20 , -2.01 ,  2.92 ,    1763440"),
    "fdsn.txt": ("#EventID|Time|Latitude|Longitude|Depth/km|Author|Catalog|Contributor|"
                 "ContributorID|MagType|Magnitude|MagAuthor|EventLocationName",
                 "usp000a7m5|2001-01-13T17:33:32.380|13.049|-88.66|60.0|us|us|us|usp000a7m5|"
                 "mwc|7.7|hrv|offshore El Salvador"),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutation=MUTATIONS)
def test_a_mutated_line_parses_or_raises_catalog_error(tmp_path: Path, name: str,
                                                       mutation: tuple[int, str, str]) -> None:
    header, line = SAMPLES[name]
    path = tmp_path / name
    text = mutate(line, mutation)
    path.write_text((header + "\n" if header else "") + text + "\n")
    fmt = {"comcat.csv": "comcat-csv", "centennial.txt": "centennial",
           "iscgem.csv": "iscgem", "fdsn.txt": "fdsn-text"}[name]
    try:
        df = catalog.read(path, format=fmt)
    except CatalogError as exc:
        assert str(exc).startswith(name)
    else:
        assert_catalog_table(df)
        assert len(df) <= 1


# --- selection ---------------------------------------------------------------------------


def test_selection_by_time_magnitude_depth(shared_data: Path) -> None:
    df = catalog.read(shared_data / M7)
    chosen = select_events(df, start="2001-01-01", end="2002-01-01", min_magnitude=7.5,
                           max_depth_km=70.0)
    assert chosen["time"].dt.year.eq(2001).all()
    assert chosen["magnitude"].ge(7.5).all() and chosen["depth_km"].le(70).all()
    assert "usp000a7m5" in set(chosen["event_id"])  # El Salvador M7.7, 60 km
    everything = select_events(df)
    pd.testing.assert_frame_equal(everything, df)


def test_a_box_across_the_antimeridian() -> None:
    lat = np.array([-20.0, -20.0, -20.0, -20.0, 10.0])
    lon = np.array([175.0, -175.0, 179.99, 0.0, 178.0])
    np.testing.assert_array_equal(in_box(lat, lon, (-30, 0, 170, -170)),
                                  [True, True, True, False, False])
    np.testing.assert_array_equal(in_box(lat, lon, (-30, 30, -180, 180)), [True] * 5)
    np.testing.assert_array_equal(in_box(lat, lon, (-30, 0, -10, 10)),
                                  [False, False, False, True, False])


def test_tonga_fiji_events_in_a_box_across_the_antimeridian(shared_data: Path) -> None:
    df = catalog.read(shared_data / M7)
    box = select_events(df, box=(-25.0, -10.0, 170.0, -170.0))
    assert len(box) and (box["longitude"].abs() >= 170).all()
    east = select_events(df, box=(-25.0, -10.0, 170.0, 180.0))
    west = select_events(df, box=(-25.0, -10.0, -180.0, -170.0))
    assert len(box) == len(east) + len(west)


def test_polygon_and_its_antimeridian_twin() -> None:
    square = [(-10.0, -10.0), (-10.0, 10.0), (10.0, 10.0), (10.0, -10.0)]
    lat, lon = np.array([0.0, 0.0, 20.0]), np.array([0.0, 15.0, 0.0])
    np.testing.assert_array_equal(in_polygon(lat, lon, square), [True, False, False])
    across = [(-10.0, 170.0), (-10.0, -170.0), (10.0, -170.0), (10.0, 170.0)]
    np.testing.assert_array_equal(in_polygon(lat, lon + 180.0, across), [True, False, False])


@given(st.floats(-80, 80), st.floats(-180, 180), st.floats(1, 3000))
def test_circle_agrees_with_distance(lat: float, lon: float, radius_km: float) -> None:
    grid_lat, grid_lon = np.meshgrid(np.arange(-90, 91, 15.0), np.arange(-180, 180, 15.0))
    inside = within_km(grid_lat.ravel(), grid_lon.ravel(), (lat, lon, radius_km))
    from ionoquake.geo import great_circle_km

    d = great_circle_km(grid_lat.ravel(), grid_lon.ravel(), lat, lon)
    np.testing.assert_array_equal(inside, d <= radius_km)


# --- export and store ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["csv", "parquet", "xml"])
def test_export_round_trip(tmp_path: Path, shared_data: Path, suffix: str) -> None:
    df = catalog.read(shared_data / M7)
    path = catalog_write.write(df, tmp_path / f"m7.{suffix}")
    back = pd.read_parquet(path) if suffix == "parquet" else catalog.read(path)
    if suffix == "parquet":  # Parquet keeps UTC-aware times (ionoquake.times); compare naive
        for column in ("time", "updated"):
            if column in back and isinstance(back[column].dtype, pd.DatetimeTZDtype):
                back[column] = back[column].dt.tz_convert("UTC").dt.tz_localize(None)
    assert_catalog_table(back)
    core = list(CORE_COLUMNS[:6])
    if suffix == "xml":  # QuakeML keeps the core columns; ids become smi: resource ids
        pd.testing.assert_frame_equal(back[core], df[core])
        assert (back["event_id"] == "smi:ionoquake/event/" + df["event_id"]).all()
    else:
        pd.testing.assert_frame_equal(back, df)


def test_reingesting_a_file_changes_nothing(tmp_path: Path, shared_data: Path) -> None:
    store = tmp_path / "store"
    source = tmp_path / "m7.csv"
    shutil.copy(shared_data / M7, source)
    df = catalog.read(source)
    first = ingest_catalog(store, df, [file_record(source)], name="usgs-comcat")
    assert first.changed and first.rows_added == 296
    path = table_path(store, "catalog", "usgs-comcat")
    before = path.read_bytes()
    again = ingest_catalog(store, catalog.read(source), [file_record(source)],
                           name="usgs-comcat")
    assert not again.changed and again.rows_added == 0
    assert path.read_bytes() == before
    stored = read_catalog(store, "usgs-comcat")
    pd.testing.assert_frame_equal(stored, df, check_like=False)
    assert [p["file"] for p in stored.attrs["provenance"]] == ["m7.csv"]


def test_ingesting_repeated_ids_is_refused(tmp_path: Path, shared_data: Path) -> None:
    df = catalog.read(shared_data / M7)
    twice = pd.concat([df, df.iloc[:1]], ignore_index=True)
    with pytest.raises(CatalogError, match="repeats event id 'usp0009kx3'"):
        ingest_catalog(tmp_path, twice, [])


def test_an_absurd_rms_is_refused_with_its_range(tmp_path: Path) -> None:
    path = write_comcat(tmp_path, EL_SALVADOR.replace(",1.13,us,", ",1e308,us,"))
    with pytest.raises(CatalogError) as error:
        catalog.read(path)
    assert str(error.value) == "q.csv line 2: field 'rms': 1e+308 is outside -1..100"


@pytest.mark.parametrize(("old", "new", "message"), [
    (",427,,,", ",-3,,,", "field 'nst': -3 is outside 0..100000"),
    (",427,,,", ",427,400,,", "field 'gap': 400 is outside 0..360"),
    (",reviewed,", "1e9,reviewed,", "field 'magNst': 1e+09 is outside 0..100000"),
])
def test_comcat_numeric_columns_are_range_checked(tmp_path: Path, old: str, new: str,
                                                   message: str) -> None:
    path = write_comcat(tmp_path, EL_SALVADOR.replace(old, new, 1))
    with pytest.raises(CatalogError, match=f"^q.csv line 2: {re.escape(message)}$"):
        catalog.read(path)


def test_a_row_with_too_few_fields(tmp_path: Path) -> None:
    short = EL_SALVADOR.rsplit(",", 2)[0]
    path = write_comcat(tmp_path, short, EL_SALVADOR)
    with pytest.raises(CatalogError, match=r"^q\.csv line 2: expected 22 fields, found 20$"):
        catalog.read(path)
