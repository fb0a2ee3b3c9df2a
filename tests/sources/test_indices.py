"""The index readers against the real files of ../shared/data/indices (SOURCES.md section 4).

Reference numbers are the text of the files themselves, quoted with their line
numbers (in the decompressed file), and cross-checks between independent
compilations of the same index (CelesTrak, GFZ, IRI, OMNI, Kyoto).
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ionoquake.sources import indices
from ionoquake.sources.indices import IndicesError
from ionoquake.sources.indices_table import COLUMN_NAMES, COLUMNS

EXACT = 1e-12  # Kp thirds and values written with one decimal compare exactly
CELESTRAK = "celestrak_SpaceWeather-All-v1.2_updated20251121.txt.gz"
KYOTO = "kyoto_wdc_dst_2006-2022.dat.gz"  # never copied into the repository (Kyoto terms)
APF107 = "iri_apf107_1958-2020.dat.gz"
GFZ = "gfz_Kp_ap_Ap_SN_F107_nowcast_20250107-20250205.txt"
INDEX_FILES = [CELESTRAK, KYOTO, APF107, GFZ, *(f"omniweb_hourly_indices_{y}.csv"
                                               for y in (2011, 2017, 2024))]
FORMAT_OF = {CELESTRAK: "celestrak-sw", KYOTO: "wdc-dst", APF107: "iri-apf107", GFZ: "gfz-kp"}


@pytest.fixture(scope="module")
def celestrak(shared_data: Path) -> pd.DataFrame:
    return indices.read(shared_data / "indices" / CELESTRAK).set_index("time")


@pytest.fixture(scope="module")
def kyoto(shared_data: Path) -> pd.DataFrame:
    return indices.read(shared_data / "indices" / KYOTO).set_index("time")


def day_of(df: pd.DataFrame, day: str, column: str, step: int = 3) -> np.ndarray:
    """The values of ``column`` on ``day``, one per ``step`` hours."""
    return df.loc[day:f"{day} 23:00", column].to_numpy()[::step]


def thirds(*codes: str) -> list[float]:
    """Kp from its written form: '5-' = 4.667, '4o' = 4, '9-' = 8.667, '3+' = 3.333."""
    return [int(c[0]) + {"-": -1 / 3, "o": 0.0, "+": 1 / 3}[c[1]] for c in codes]


# --- one contract for every format -------------------------------------------------------


@pytest.mark.parametrize("name", INDEX_FILES)
def test_every_index_file_reads_to_the_same_hourly_table(shared_data: Path, name: str) -> None:
    path = shared_data / "indices" / name
    df = indices.read(path)
    assert indices.sniff(path) == FORMAT_OF.get(name, "omni-hourly")
    assert tuple(df.columns) == COLUMN_NAMES
    for col in COLUMNS:
        assert str(df[col.name].dtype) == col.dtype, col.name
    assert df.attrs["units"]["dst_nT"] == "nT" and df.attrs["units"]["ap"] == "2 nT"
    step = np.diff(df["time"].to_numpy()).astype("timedelta64[h]").astype(int)
    assert (step >= 1).all()  # strictly increasing, on whole hours
    assert (df["time"].dt.minute == 0).all()
    kp = df["kp"].dropna().to_numpy()
    assert np.allclose(kp * 3, np.round(kp * 3), atol=1e-9) and (kp <= 9).all()


# --- CelesTrak ----------------------------------------------------------------------------


def test_halloween_2003_kp_are_the_thirds_written_in_the_celestrak_file(
        celestrak: pd.DataFrame) -> None:
    # Lines 16854-16855 of the file:
    # 2003 10 29 2323 27 47 40 90 80 77 77 87 87 583  39  27 400 207 179 179 300 300 204 ...
    # 2003 10 30 2324  1 87 73 53 47 50 70 90 90 560 300 154  56  39  48 132 400 400 191 ...
    # i.e. Kp 5- 4o 9o 8o 8- 8- 9- 9- and 9- 7+ 5+ 5- 5o 7o 9o 9o.
    assert day_of(celestrak, "2003-10-29", "kp") == pytest.approx(
        thirds("5-", "4o", "9o", "8o", "8-", "8-", "9-", "9-"), abs=EXACT)
    assert day_of(celestrak, "2003-10-30", "kp") == pytest.approx(
        thirds("9-", "7+", "5+", "5-", "5o", "7o", "9o", "9o"), abs=EXACT)
    assert day_of(celestrak, "2003-10-29", "ap").tolist() == [39, 27, 400, 207, 179, 179, 300, 300]
    assert day_of(celestrak, "2003-10-29", "ap_daily", 24).tolist() == [204]
    # ... 1.9 8 239 ... : adjusted 287.7, obs 291.7 (line 16854: 287.7 0 140.1 128.4 291.7 ...)
    assert day_of(celestrak, "2003-10-29", "f107_adj_sfu", 24).tolist() == [287.7]
    assert day_of(celestrak, "2003-10-29", "f107_obs_sfu", 24).tolist() == [291.7]
    assert day_of(celestrak, "2003-10-29", "f107_obs_81c_sfu", 24).tolist() == [141.9]
    assert day_of(celestrak, "2003-10-29", "sunspot_number", 24).tolist() == [250]


def test_2003_11_20_storm_kp_from_celestrak(celestrak: pd.DataFrame) -> None:
    # Line 16876: 2003 11 20 2324 22 10 37 63 63 77 87 87 80 503   4  22  94  94 179 300 300 207 150
    assert day_of(celestrak, "2003-11-20", "kp") == pytest.approx(
        thirds("1o", "4-", "6+", "6+", "8-", "9-", "9-", "8o"), abs=EXACT)
    assert day_of(celestrak, "2003-11-20", "ap_daily", 24).tolist() == [150]


def test_every_celestrak_ap_daily_is_its_eight_ap_averaged_and_rounded(
        celestrak: pd.DataFrame) -> None:
    mean_ap = celestrak["ap"].groupby(celestrak.index.floor("D")).mean().to_numpy()
    assert np.abs(mean_ap - celestrak["ap_daily"].to_numpy()[::24]).max() <= 0.5


def test_celestrak_reads_observed_block_only_unless_predictions_are_asked_for(
        shared_data: Path, celestrak: pd.DataFrame) -> None:
    assert celestrak.index[-1] == pd.Timestamp("2025-11-20 23:00")  # END OBSERVED: 2025 11 20
    assert not celestrak["predicted"].any()
    both = indices.read(shared_data / "indices" / CELESTRAK, predicted=True).set_index("time")
    # Line 24917 (DAILY_PREDICTED): 2025 11 21 ... 27 27 27 27 27 27 27 27 ...: Kp 2.7 as written
    assert day_of(both, "2025-11-21", "kp").tolist() == [2.7] * 8
    assert both.loc["2025-11-21 05:00", "kp_status"] == "predicted"
    # Line 24966 (MONTHLY_PREDICTED): 2026 02 01 ... 30 ×8 ... obs F10.7 159.6, for all of February
    feb = both.loc["2026-02-01":"2026-02-28 23:00"]
    assert len(feb) == 28 * 24 and (feb["kp"] == 3.0).all()
    assert (feb["f107_obs_sfu"] == 159.6).all() and feb["predicted"].all()
    assert both.loc[:"2025-11-20 23:00"].equals(celestrak)


# --- Kyoto Dst, GFZ, IRI, OMNI --------------------------------------------------------------


def test_st_patricks_day_2015_dst_minimum_from_the_kyoto_file(kyoto: pd.DataFrame) -> None:
    # Line 3362 of the file (version flag 2 = final):
    # DST1503*17  X220   0   4   3   3   2  13  45  25 -18 -54 -83 -75 -54 -55 -75 -93-118-143
    #                          -162-154-177-182-198-234-225 -84
    # The minimum, -234 nT, is the hour 22-23 UT. Papers of 2016 quote -223 nT (e.g. Wu et
    # al. 2016, Earth Planets Space 68:151) and -222 nT circulates too: those are the
    # provisional values; this file holds Kyoto's *final* Dst, which is 11-12 nT deeper.
    day = kyoto.loc["2015-03-17":"2015-03-17 23:00"]
    assert day["dst_nT"].min() == -234
    assert day["dst_nT"].idxmin() == pd.Timestamp("2015-03-17 22:00")
    assert day["dst_nT"].iloc[:3].tolist() == [4, 3, 3]
    assert (day["dst_status"] == "final").all()
    assert day["kp"].isna().all()


def test_kyoto_2021_records_are_provisional(kyoto: pd.DataFrame) -> None:
    # Line 5814: DST2112*01PPX120   0 -43 -36 ...  ('PP', version 1)
    assert kyoto.loc["2021-12-01 00:00", "dst_nT"] == -43
    assert kyoto.loc["2021-12-01 01:00", "dst_status"] == "provisional"
    assert kyoto.loc["2020-12-31 23:00", "dst_status"] == "final"


def test_omni_2011_03_11_agrees_with_celestrak_kp_and_kyoto_dst(
        shared_data: Path, celestrak: pd.DataFrame, kyoto: pd.DataFrame) -> None:
    omni = indices.read(shared_data / "indices" / "omniweb_hourly_indices_2011.csv")
    omni = omni.set_index("time")
    # omniweb_hourly_indices_2011.csv line 1658: 2011,70,0,-7.8,50,-50 (DOY 70 = 11 March)
    assert omni.loc["2011-03-11 00:00", ["bz_gsm_nT", "kp", "dst_nT"]].tolist() == [-7.8, 5, -50]
    day = slice("2011-03-11", "2011-03-11 23:00")
    assert omni.loc[day, "kp"].tolist() == celestrak.loc[day, "kp"].tolist()
    assert omni.loc[day, "dst_nT"].tolist() == kyoto.loc[day, "dst_nT"].tolist()
    # ... and the whole year, hour by hour.
    assert omni["kp"].equals(celestrak.loc[omni.index, "kp"])
    assert omni["dst_nT"].equals(kyoto.loc[omni.index, "dst_nT"])


def test_omni_2024_extract_with_bom_and_crlf_holds_the_may_storm(shared_data: Path) -> None:
    path = shared_data / "indices" / "omniweb_hourly_indices_2024.csv"
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf" and b"\r\n" in path.read_bytes()[:40]
    omni = indices.read(path).set_index("time")
    # line 3148: 2024,132,2,-20.5,90,-406 (DOY 132 = 11 May 2024; Kp 9o)
    assert omni["dst_nT"].idxmin() == pd.Timestamp("2024-05-11 02:00")
    assert omni.loc["2024-05-11 02:00", ["kp", "dst_nT"]].tolist() == [9.0, -406.0]
    assert len(omni) == 8784  # a leap year


def test_celestrak_and_iri_apf107_give_the_same_ap(shared_data: Path,
                                                    celestrak: pd.DataFrame) -> None:
    apf = indices.read(shared_data / "indices" / APF107).set_index("time")
    # apf107 line 16738:   3 10 29 39 27400207179179300300204-11275.4138.5121.1
    assert day_of(apf, "2003-10-29", "ap").tolist() == [39, 27, 400, 207, 179, 179, 300, 300]
    assert day_of(apf, "2003-10-29", "ap_daily", 24).tolist() == [204]
    common = apf.index
    same = (apf["ap"] == celestrak.loc[common, "ap"]).mean()
    assert same > 0.999  # they differ only on a few days of 2020-03, preliminary in IRI's copy


def test_apf107_daily_flux_is_the_adjusted_f107(shared_data: Path,
                                                celestrak: pd.DataFrame) -> None:
    apf = indices.read(shared_data / "indices" / APF107).set_index("time").loc["1988":]
    cel = celestrak.loc[apf.index]
    same_adj = (np.abs(apf["f107_adj_sfu"] - cel["f107_adj_sfu"]) < 0.05).mean()
    same_obs = (np.abs(apf["f107_adj_sfu"] - cel["f107_obs_sfu"]) < 0.05).mean()
    assert same_adj > 0.95 and same_obs < 0.1
    # 2015-03-17: apf107 '113.2127.2130.9', CelesTrak adjusted 113.2, centred 81-day 127.2.
    assert apf.loc["2015-03-17 12:00", ["f107_adj_sfu", "f107_adj_81c_sfu"]].tolist() == [
        113.2, 127.2]


def test_gfz_nowcast_minus_one_is_missing(shared_data: Path, celestrak: pd.DataFrame) -> None:
    gfz = indices.read(shared_data / "indices" / GFZ).set_index("time")
    # line 70: 2025 02 05 ... 1.000  1.667 -1.000 ... 4 6 -1 ... -1 -1 -1.0 -1.0 0
    assert day_of(gfz, "2025-02-05", "kp")[:2] == pytest.approx([1.0, 5 / 3], abs=EXACT)
    assert np.isnan(day_of(gfz, "2025-02-05", "kp")[2:]).all()
    assert gfz.loc["2025-02-05 06:00":, "kp_status"].isna().all()
    assert np.isnan(gfz.loc["2025-02-05 12:00", ["ap_daily", "sunspot_number", "f107_obs_sfu"]]
                    .to_numpy(float)).all()
    # line 41: 2025 01 07 ... 2.333 3.000 ... SN 132, F10.7obs 167.7, adj 162.2, D = 0
    assert gfz.loc["2025-01-07 00:00", ["sunspot_number", "f107_obs_sfu", "f107_adj_sfu"]
                   ].tolist() == [132, 167.7, 162.2]
    assert gfz.loc["2025-01-07 00:00", "kp_status"] == "preliminary"
    # CelesTrak (Nov 2025) has the same F10.7; its Kp is the later definitive Kp: the
    # nowcast said 3o for 03-06 UT on 7 Jan, CelesTrak line 24595 says 27 (3-).
    common = gfz.index[gfz["f107_obs_sfu"].notna()]
    assert gfz.loc[common, "f107_obs_sfu"].equals(celestrak.loc[common, "f107_obs_sfu"])
    assert celestrak.loc["2025-01-07 03:00", "kp"] == pytest.approx(8 / 3, abs=EXACT)
    assert np.nanmax(np.abs(gfz["kp"] - celestrak.loc[gfz.index, "kp"])) <= 2 / 3 + EXACT


def test_combine_takes_each_index_from_the_first_source_that_has_it(
        celestrak: pd.DataFrame, kyoto: pd.DataFrame) -> None:
    window = slice("2015-03-16", "2015-03-18 23:00")
    merged = indices.combine([kyoto.loc[window].reset_index(), celestrak.loc[window].reset_index()])
    assert tuple(merged.columns) == COLUMN_NAMES and len(merged) == 72
    m = merged.set_index("time")
    assert m.loc["2015-03-17 22:00", ["kp", "dst_nT"]].tolist() == pytest.approx([23 / 3, -234])
    assert m.loc["2015-03-17 22:00", "dst_status"] == "final"
    assert m.loc["2015-03-17 22:00", "kp_status"] == "unknown"


# --- bad input ------------------------------------------------------------------------------

CT_HEADER = "DATATYPE CssiSpaceWeather\nVERSION 1.2\nBEGIN OBSERVED\n"
CT_LINE = ("2003 10 29 2323 27 47 40 90 80 77 77 87 87 583  39  27 400 207 179 179 300 300 204"
           " 2.1 9 250 287.7 0 140.1 128.4 291.7 141.9 127.6")
WDC_LINE = ("DST1503*17  X220   0   4   3   3   2  13  45  25 -18 -54 -83 -75 -54 -55 -75 -93-118"
            "-143-162-154-177-182-198-234-225 -84")


def celestrak_text(*lines: str) -> str:
    return CT_HEADER + "\n".join(lines) + "\nEND OBSERVED\n"


@pytest.mark.parametrize(("line", "message"), [
    (CT_LINE[:24] + " 95" + CT_LINE[27:],
     "sw.txt line 4: field 'kp3': 95 is outside the possible range 0..90"),
    (CT_LINE[:24] + " 9X" + CT_LINE[27:],
     "sw.txt line 4: field 'kp3' (columns 25-27) '9X' is not an integer\n"
     "  expected: yyyy mm dd BSRN ND K1 K2 K3 K4 K5 K6 K7 K8 Sum  a1  a2  a3"),
    (CT_LINE[:24] + " 35" + CT_LINE[27:],
     "sw.txt line 4: field 'kp3': Kp×10 value 35 is not one of 0, 3, 7, 10"),
    (CT_LINE[:124], "sw.txt line 4: field 'f107_obs_81l' (columns 125-130) is blank"),
    (CT_LINE[:46] + " 401" + CT_LINE[50:],
     "sw.txt line 4: field 'ap1': 401 is outside the possible range 0..400"),
    ("2003 02 30" + CT_LINE[10:], "sw.txt line 4: field 'date': 2003-02-30 is not a calendar"),
    (CT_LINE + "\n" + CT_LINE, "sw.txt line 5: field 'date': 2003-10-29 does not follow"),
    (CT_LINE + " 12", "sw.txt line 4: field 'end of record': characters after column 130"),
])
def test_broken_celestrak_lines_name_file_line_and_field(line: str, message: str) -> None:
    with pytest.raises(IndicesError) as info:
        indices.parse_celestrak(celestrak_text(line), "sw.txt")
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(("text", "message"), [
    (WDC_LINE[:60] + "9000" + WDC_LINE[64:],
     "dst.dat line 1: field 'h11': 9000 nT is outside the possible range -2000..500 nT"),
    (WDC_LINE[:40] + " -4x" + WDC_LINE[44:],
     "dst.dat line 1: field 'h6' (columns 41-44) '-4x' is not an integer"),
    (WDC_LINE[:100], "dst.dat line 1: field 'record': 100 characters, a WDC record has 120"),
    ("AE" + WDC_LINE[3:], "dst.dat line 1: field 'index': expected a WDC Dst record"),
])
def test_broken_dst_records_name_file_line_and_field(text: str, message: str) -> None:
    with pytest.raises(IndicesError) as info:
        indices.parse_wdc_dst(text, "dst.dat")
    assert str(info.value).startswith(message)


def test_other_formats_name_file_line_and_field(shared_data: Path) -> None:
    gfz = (shared_data / "indices" / GFZ).read_text().splitlines()
    bad_kp = "\n".join([*gfz[:40], gfz[40].replace("2.333  3.000", "2.333  9.500", 1)])
    with pytest.raises(IndicesError, match=r"^gfz.txt line 41: field 'Kp2': Kp 9.5 is not a Kp"):
        indices.parse_gfz(bad_kp, "gfz.txt")
    short = "\n".join([*gfz[:40], gfz[40].rsplit(" ", 1)[0]])
    with pytest.raises(IndicesError, match=r"^gfz.txt line 41: field 'D': expected 28 values, "
                                           r"found 27"):
        indices.parse_gfz(short, "gfz.txt")
    with pytest.raises(IndicesError, match=r"^omni.csv line 2: field 'DOY': day 366 of 2011"):
        indices.parse_omni_csv("YEAR,DOY,HR,Kp,Dst\n2011,366,0,10,-5\n", "omni.csv")
    with pytest.raises(IndicesError, match=r"^omni.csv line 1: field 'header': column\(s\) "
                                           r"\['AE'\] not known"):
        indices.parse_omni_csv("YEAR,DOY,HR,Kp,AE\n2011,1,0,10,5\n", "omni.csv")
    with pytest.raises(IndicesError, match=r"^omni.csv line 3: field 'Kp': Kp×10 value 95"):
        indices.parse_omni_csv("YEAR,DOY,HR,Kp\n2011,1,0,10\n2011,1,1,95\n", "omni.csv")


def test_a_file_of_another_kind_is_refused(shared_data: Path) -> None:
    ionex = next((shared_data / "ionex").glob("*/*.gz"))
    with pytest.raises(IndicesError, match=rf"^{re.escape(ionex.name)}: not an index file "
                                           "ionoquake knows; known formats: celestrak-sw"):
        indices.read(ionex)
    with pytest.raises(IndicesError, match=rf"^{re.escape(ionex.name)} line 1: field 'index': "
                                           "expected a WDC Dst record"):
        indices.read(ionex, format="wdc-dst")
    with pytest.raises(IndicesError, match=r"line 1: not a CelesTrak space-weather file"):
        indices.read(shared_data / "indices" / GFZ, format="celestrak-sw")


# --- hypothesis: any corruption raises IndicesError naming the line -------------------------


def _sample(shared_data: Path, name: str, lines: slice) -> tuple[str, list[str]]:
    path = shared_data / "indices" / name
    raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    text = raw.decode("utf-8-sig").splitlines()
    return FORMAT_OF.get(name, "omni-hourly"), text[lines]


SAMPLES = {  # file: the lines kept (header and a few records), index of the first record
    CELESTRAK: (slice(None, 30), 24), KYOTO: (slice(3350, 3365), 0),
    APF107: (slice(16730, 16745), 0), GFZ: (slice(None, 50), 40),
    "omniweb_hourly_indices_2011.csv": (slice(None, 20), 1),
}


@pytest.mark.parametrize("name", list(SAMPLES))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_corrupted_lines_raise_only_indices_error_naming_the_line(
        shared_data: Path, name: str, data: st.DataObject) -> None:
    kept, first_record = SAMPLES[name]
    fmt, lines = _sample(shared_data, name, kept)
    if fmt == "celestrak-sw":
        lines = [*lines, "END OBSERVED"]
    k = data.draw(st.integers(first_record, len(lines) - 2 if fmt == "celestrak-sw"
                              else len(lines) - 1), label="line index")
    line = lines[k]
    pos = data.draw(st.integers(0, max(len(line) - 1, 0)), label="column")
    junk = data.draw(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=
                                           "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
                             max_size=3), label="replacement")
    cut = data.draw(st.integers(0, 3), label="characters removed")
    lines[k] = line[:pos] + junk + line[pos + cut:]
    text = "\n".join(lines) + "\n"
    try:
        df = indices.FORMATS[fmt].parse(text, "f.txt")
    except IndicesError as exc:
        m = re.match(r"f\.txt line (\d+): field '", str(exc))
        assert m is not None, str(exc)
        assert int(m[1]) in (k + 1, k + 2)  # the line, or the next (dates must increase)
    else:
        assert tuple(df.columns) == COLUMN_NAMES


@pytest.mark.parametrize("bz", ["9999.9", "1600000"])
def test_omni_bz_outside_its_range_is_an_error(tmp_path: Path, shared_data: Path,
                                               bz: str) -> None:
    # Found by benchmarks/fuzz_readers.py: an absurd Bz was kept (999.9 is the fill value).
    lines = (shared_data / "indices" / "omniweb_hourly_indices_2011.csv").read_text().split("\n")
    lines[1657] = lines[1657].replace(",-7.8,", f",{bz},")
    path = tmp_path / "omniweb_hourly_indices_2011.csv"
    path.write_text("\n".join(lines))
    with pytest.raises(IndicesError, match=rf"line 1658: field 'Bz': {re.escape(f'{float(bz):g}')} nT is outside "
                                           r"the possible range -500\.\.500 nT"):
        indices.read(path)
