"""The IONEX reader against the real files of every analysis centre in ../shared/data/ionex."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ionoquake.errors import IonoquakeError
from ionoquake.sources import ionex, ionex_kernel, read
from ionoquake.sources.ionex import IonexError
from ionoquake.sources.ionex_write import to_ionex_text
from tests.sources.ionex_reference import reference_maps, text_of

HALF_STEP = 0.0051  # TECU: float32 storage of values given to 0.1 (or 0.01) TECU

ALL_FILES = sorted(
    p.relative_to(Path(__file__).resolve().parents[3] / "shared" / "data" / "ionex")
    for p in (Path(__file__).resolve().parents[3] / "shared" / "data" / "ionex").glob("*/*")
    if not p.name.endswith(".cdf")
)


def _epoch_key(t: np.datetime64) -> str:
    ts = pd.Timestamp(t)
    return f"{ts.year} {ts.month} {ts.day} {ts.hour} {ts.minute} {ts.second}"


@pytest.mark.parametrize("relpath", ALL_FILES, ids=str)
def test_every_file_reads_to_the_values_in_its_text(shared_data: Path, relpath: Path) -> None:
    path = shared_data / "ionex" / relpath
    ds = ionex.read(path)
    ref = reference_maps(path)
    assert set(ds.dims) == {"time", "lat", "lon"}
    assert ds["tec"].attrs["units"] == "TECU"
    assert ds["lat"].attrs["units"] == "degrees_north"
    for coord in ("time", "lat", "lon"):
        assert ds.indexes[coord].is_monotonic_increasing and ds.indexes[coord].is_unique
    n_tec = sum(1 for kind, _ in ref if kind == "tec")
    assert ds.sizes["time"] == n_tec
    epochs = [_epoch_key(t) for t in ds["time"].values]
    lat_index = {float(lat): i for i, lat in enumerate(ds["lat"].values)}
    arrays = {kind: ds[kind].values for kind in ds.data_vars}
    for (kind, epoch), rows in ref.items():
        m = epochs.index(epoch)
        for lat, values in rows.items():
            got = arrays[kind][m, lat_index[lat]]
            want = np.array([np.nan if v is None else v for v in values])
            np.testing.assert_allclose(got, want, atol=HALF_STEP, rtol=0)


def test_code_first_row_matches_file_line_650(shared_data: Path) -> None:
    # codg0080.20i line 649-650: 87.5 row of the 2020-01-08 00:00 TEC map starts
    # "    5    5    6    6    6    6 ..." in 0.1 TECU.
    ds = ionex.read(shared_data / "ionex/code_esa_2020008-010/codg0080.20i.gz")
    row = ds["tec"].sel(time="2020-01-08T00:00", lat=87.5).values
    np.testing.assert_allclose(row[:6], [0.5, 0.5, 0.6, 0.6, 0.6, 0.6], atol=1e-6)
    assert ds.sizes["time"] == 25
    # The 24:00 map is read as the next day's 00:00.
    assert ds["time"].values[-1] == np.datetime64("2020-01-09T00:00")
    assert ds.attrs["producer"] == "AIUB"
    assert ds.attrs["shell_height_km"] == 450.0
    assert ds.attrs["n_stations"] == 264


def test_jpl_el_salvador_day_values_lines_3495_and_8643(shared_data: Path) -> None:
    # jplg0130.01i: 2001-01-13 17:00 map, 87.5 row: TEC "144 143 143" (line 3495),
    # RMS "26 26 26" (line 8643), in 0.1 TECU; maps at odd hours, 12 per file.
    ds = ionex.read(shared_data / "ionex/jpl_2000326-2001014/jplg0130.01i.gz")
    assert ds.sizes["time"] == 12
    assert str(ds["time"].values[0])[:16] == "2001-01-13T01:00"
    m = ds.sel(time="2001-01-13T17:00", lat=87.5)
    np.testing.assert_allclose(m["tec"].values[:3], [14.4, 14.3, 14.3], atol=1e-5)
    np.testing.assert_allclose(m["rms"].values[:3], [2.6, 2.6, 2.6], atol=1e-5)
    assert ds.attrs["source"] == "GIM V3.0"


def test_values_run_together_are_split_by_column(shared_data: Path) -> None:
    # orekit_jammed-fields.14i: lat 22.5 row begins "1015710167 9847" at exponent -2.
    ds = ionex.read(shared_data / "ionex/edge_cases/orekit_jammed-fields.14i")
    row = ds["tec"].isel(time=0).sel(lat=22.5).values
    np.testing.assert_allclose(row[:3], [101.57, 101.67, 98.47], atol=1e-4)
    assert ds.sizes["lat"] == 3
    assert ds.attrs["exponent"] == -2
    assert ds.attrs["ionex_version"] == "1.1"


def test_unix_compress_file_equals_its_decompressed_text(shared_data: Path) -> None:
    path = shared_data / "ionex/single_days/jplg0310.12i.Z"
    a = ionex.read(path)
    b = ionex.parse(text_of(path).encode("latin-1"), "plain")
    assert a["tec"].equals(b["tec"]) and a["rms"].equals(b["rms"])
    assert a.attrs["product"] == "jplg"


def test_new_long_names_give_their_product(shared_data: Path) -> None:
    ds = ionex.read(shared_data / "ionex/single_days/COD0OPSFIN_20240350000_01D_01H_GIM.INX.gz")
    assert ds.attrs["product"] == "codg"
    assert ionex.product_id("igsg3410.12i") == "igsg"
    assert ds.attrs["mapping_function"] == "NONE"


def test_klobuchar_style_product_has_no_rms(shared_data: Path) -> None:
    ds = ionex.read(shared_data / "ionex/single_days/CKMG0020.22I.gz")
    assert list(ds.data_vars) == ["tec"]
    assert ds.attrs["shell_height_km"] == 350.0


def test_dispatch_recognises_ionex_and_names_formats_otherwise(shared_data: Path,
                                                              tmp_path: Path) -> None:
    ds = read(shared_data / "ionex/code_esa_2020008-010/esag0080.20i.gz")
    assert ds.sizes["time"] == 13
    other = tmp_path / "notes.txt"
    other.write_text("hello\n")
    with pytest.raises(IonoquakeError, match=r"notes.txt: not a format .* known formats: .*ionex"):
        read(other)


@pytest.mark.parametrize("relpath", ALL_FILES, ids=str)
def test_read_write_read_round_trip_is_exact(shared_data: Path, relpath: Path) -> None:
    a = ionex.read(shared_data / "ionex" / relpath)
    b = ionex.parse(to_ionex_text(a).encode(), "rt")
    assert np.array_equal(a["time"].values, b["time"].values)
    for var in a.data_vars:
        assert np.array_equal(a[var].values, b[var].values, equal_nan=True), var


# --- producer quirks and per-map records -----------------------------------------------


def _small_text(shared_data: Path) -> str:
    return text_of(shared_data / "ionex/edge_cases/orekit_jammed-fields.14i")


def test_per_map_exponent_record_applies_to_its_map_only(shared_data: Path) -> None:
    text = _small_text(shared_data)
    start2 = text.index("     2                                                      START OF TEC MAP")
    epoch2 = text.index("EPOCH OF CURRENT MAP", start2)
    eol = text.index("\n", epoch2) + 1
    text = text[:eol] + f"{-3:6d}{'':54}EXPONENT\n" + text[eol:]
    ds = ionex.parse(text.encode(), "x")
    first = ionex.parse(_small_text(shared_data).encode(), "x")
    np.testing.assert_allclose(ds["tec"].isel(time=0), first["tec"].isel(time=0))
    np.testing.assert_allclose(ds["tec"].isel(time=1), first["tec"].isel(time=1) / 10, rtol=1e-6)


def test_9999_is_missing(shared_data: Path) -> None:
    text = _small_text(shared_data).replace(" 8917 8768", " 9999 8768", 1)
    ds = ionex.parse(text.encode(), "x")
    assert np.isnan(ds["tec"].isel(time=0).sel(lat=25.0).values[0])
    assert ds["tec"].isel(time=0).sel(lat=25.0).values[1] == pytest.approx(87.68, abs=1e-4)


def test_shifted_labels_float_seconds_and_dot_numbers(shared_data: Path) -> None:
    text = _small_text(shared_data)
    text = text.replace("  6378.1                                                    BASE RADIUS",
                        "  6378.1                                                  BASE RADIUS")
    text = text.replace("   400.0 400.0   0.0", "   400.0 400.0    .0")
    text = text.replace("  2014     2    13     2     0     0                        EPOCH OF CURRENT",
                        "  2014     2    13     2     0   0.0                        EPOCH OF CURRENT")
    ds = ionex.parse(text.encode(), "x")
    assert ds.attrs["base_radius_km"] == 6378.1
    assert ds["time"].values[0] == np.datetime64("2014-02-13T02:00")


def test_regional_grid_with_positive_latitude_step(shared_data: Path) -> None:
    ds = ionex.read(shared_data / "ionex/code_esa_2020008-010/codg0080.20i.gz")
    region = ds.sel(lat=slice(30, 40), lon=slice(100, 130)).isel(time=slice(0, 3))
    region.attrs.update(lat_step_deg=2.5, lon_step_deg=5.0)
    text = to_ionex_text(region)
    assert "    30.0  40.0   2.5" in text
    back = ionex.parse(text.encode(), "regional")
    assert back["tec"].equals(region["tec"])


# --- bad input -----------------------------------------------------------------------------


def test_truncated_file_names_the_file_and_line(shared_data: Path) -> None:
    text = text_of(shared_data / "ionex/code_esa_2020008-010/esag0080.20i.gz")
    cut = text[: len(text) // 2]
    with pytest.raises(IonexError, match=r"^esag0080.20i line \d+: "):
        ionex.parse(cut.encode(), "esag0080.20i")


def test_truncated_gzip_is_a_clear_error(shared_data: Path, tmp_path: Path) -> None:
    raw = (shared_data / "ionex/code_esa_2020008-010/esag0080.20i.gz").read_bytes()
    bad = tmp_path / "esag0080.20i.gz"
    bad.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(IonoquakeError, match="esag0080.20i.gz: corrupt or truncated gzip"):
        ionex.read(bad)


def test_not_ionex(tmp_path: Path) -> None:
    bad = tmp_path / "codg0080.20i"
    bad.write_text("time,latitude\n2020-01-01,3\n")
    with pytest.raises(IonexError, match="codg0080.20i"):
        ionex.read(bad)
    hdr_only = tmp_path / "x.20i"
    hdr_only.write_text(f"{'1.0':>8}{'':12}{'I':<20}{'GPS':<20}IONEX VERSION / TYPE\n")
    with pytest.raises(IonexError, match="no END OF HEADER"):
        ionex.read(hdr_only)


def test_wrong_map_count(shared_data: Path) -> None:
    text = _small_text(shared_data).replace(
        "     2                                                      # OF MAPS IN FILE",
        "     3                                                      # OF MAPS IN FILE")
    with pytest.raises(IonexError, match=r"x: header says 3 maps .*file has 2 TEC maps"):
        ionex.parse(text.encode(), "x")


def test_corrupted_number_names_its_line(shared_data: Path) -> None:
    text = _small_text(shared_data).replace(" 8917 8768", " 89x7 8768", 1)
    with pytest.raises(IonexError, match=r"x line 23: value 1 of the row is not an integer I5 "
                                         r"field: ' 89x7'"):
        ionex.parse(text.encode(), "x")


def test_short_row_names_its_line(shared_data: Path) -> None:
    text = _small_text(shared_data).replace(" 8123 8264 8305 8276 8237 8308 8547 8807 8917\n",
                                            " 8123 8264 8305 8276 8237\n", 1)
    with pytest.raises(IonexError, match=r"x line 27: expected 73 values in the row, found 69"):
        ionex.parse(text.encode(), "x")


def test_row_at_wrong_latitude(shared_data: Path) -> None:
    text = _small_text(shared_data).replace("    22.5-180.0", "    23.5-180.0", 1)
    with pytest.raises(IonexError, match=r"row is at lat 23.5.*expects lat 22.5"):
        ionex.parse(text.encode(), "x")


@settings(max_examples=int(os.environ.get("IONOQUAKE_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_mutation_crashes_the_parser_with_a_foreign_error(shared_data: Path,
                                                            data: st.DataObject) -> None:
    text = bytearray(_small_text(shared_data).encode())
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "cut", "dup", "del"]))
        i = data.draw(st.integers(0, len(text) - 1))
        if op == "flip":
            text[i] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del text[i:]
        elif op == "dup":
            j = data.draw(st.integers(i, min(len(text), i + 200)))
            text[i:i] = text[i:j]
        elif len(text) > i + 1:
            j = data.draw(st.integers(i, min(len(text), i + 100)))
            del text[i:j]
        if not text:
            text = bytearray(b"x")
    try:
        ds = ionex.parse(bytes(text), "fuzz")
    except IonexError:
        return
    assert set(ds.dims) == {"time", "lat", "lon"}


def test_gzip_file_and_plain_file_agree(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "ionex/code_esa_2020008-010/esag0090.20i.gz"
    plain = tmp_path / "esag0090.20i"
    plain.write_bytes(gzip.decompress(src.read_bytes()))
    a, b = ionex.read(src), ionex.read(plain)
    assert a["tec"].equals(b["tec"]) and a["rms"].equals(b["rms"])


# --- values and epochs the file's own header contradicts (issue J) -------------------------

JPL_1122 = "ionex/jpl_2000326-2001014/jplg3270.00i.gz"  # 2000-11-22, 12 TEC + 12 RMS maps


def _jpl_lines(shared_data: Path) -> list[str]:
    return text_of(shared_data / JPL_1122).split("\n")


def _parse_lines(lines: list[str]) -> xr.Dataset:
    return ionex.parse("\n".join(lines).encode(), "jplg3270.00i")


def test_file_cut_after_six_maps_without_map_count_is_truncated(shared_data: Path) -> None:
    lines = [ln for ln in _jpl_lines(shared_data) if "# OF MAPS IN FILE" not in ln]
    sixth_end = [i for i, ln in enumerate(lines) if "END OF TEC MAP" in ln][5]
    with pytest.raises(IonexError, match=r"^jplg3270.00i: truncated file: the last TEC map is "
                                         r"at 2000-11-22T11:00:00, the header's EPOCH OF LAST "
                                         r"MAP is 2000-11-22T23:00:00$"):
        _parse_lines(lines[: sixth_end + 1])


def test_missing_maps_in_the_middle_are_caught_by_the_interval(shared_data: Path) -> None:
    lines = [ln for ln in _jpl_lines(shared_data) if "# OF MAPS IN FILE" not in ln]
    starts = [i for i, ln in enumerate(lines) if "START OF TEC MAP" in ln]
    del lines[starts[3]:starts[4]]  # the 07:00 map
    with pytest.raises(IonexError, match=r"11 TEC maps, but .* every 7200 s \(INTERVAL\) "
                                         r"makes 12: maps are missing"):
        _parse_lines(lines)


def test_map_dated_outside_the_file_span_is_an_error(shared_data: Path) -> None:
    lines = _jpl_lines(shared_data)
    third = [i for i, ln in enumerate(lines) if "EPOCH OF CURRENT MAP" in ln][2]
    lines[third] = lines[third].replace("  2000", "  2099", 1)
    with pytest.raises(IonexError, match=r"^jplg3270.00i line 917: TEC map at "
                                         r"2099-11-22T05:00:00 is outside the file's span "
                                         r"2000-11-22T01:00:00 \.\. 2000-11-22T23:00:00"):
        _parse_lines(lines)


def test_repeated_map_epoch_is_an_error(shared_data: Path) -> None:
    lines = _jpl_lines(shared_data)
    epochs = [i for i, ln in enumerate(lines) if "EPOCH OF CURRENT MAP" in ln]
    lines[epochs[2]] = lines[epochs[1]]
    with pytest.raises(IonexError, match=r"line 917: TEC map at 2000-11-22T03:00:00 repeats "
                                         r"the previous one .* strictly increasing"):
        _parse_lines(lines)


@pytest.mark.parametrize(("old", "new", "value"), [
    ("  178  178  179", "99999  178  179", "9999.9"),  # 99999 is not the 9999 marker
    ("  178  178  179", "-9999  178  179", "-999.9"),
])
def test_values_outside_the_physical_range_are_errors(shared_data: Path, old: str, new: str,
                                                      value: str) -> None:
    lines = _jpl_lines(shared_data)
    lines[61] = lines[61].replace(old, new, 1)
    with pytest.raises(IonexError, match=rf"line 59: TEC map: value {value} TECU \(row 1, "
                                         rf"value 1\) is outside the accepted range "
                                         rf"-10\.\.1000 TECU; 9999 in file units marks no value"):
        _parse_lines(lines)


def test_map_exponent_that_makes_megatecu_is_an_error(shared_data: Path) -> None:
    lines = _jpl_lines(shared_data)
    lines.insert(60, f"{4:6d}{'':54}EXPONENT")  # 178 -> 1.78e6 TECU
    with pytest.raises(IonexError, match=r"value 1\.78e\+06 TECU .* outside the accepted range"):
        _parse_lines(lines)


def test_9999_is_missing_whatever_the_exponent(shared_data: Path) -> None:
    # IONEX 1.0 section 5: 9999 "if no value available", in file units: under EXPONENT -3
    # it is still no value, not 9.999 TECU.
    lines = _jpl_lines(shared_data)
    lines.insert(60, f"{-3:6d}{'':54}EXPONENT")
    lines[62] = lines[62].replace("  178  178", " 9999  178", 1)
    ds = _parse_lines(lines)
    first_row = ds["tec"].isel(time=0).sel(lat=87.5).values
    assert np.isnan(first_row[0])
    assert first_row[1] == pytest.approx(0.178, abs=1e-6)


def test_extra_value_in_a_row_is_an_error(shared_data: Path) -> None:
    text = _small_text(shared_data).replace(" 8123 8264 8305 8276 8237 8308 8547 8807 8917\n",
                                            " 8123 8264 8305 8276 8237 8308 8547 8807 8917 1234\n",
                                            1)
    with pytest.raises(IonexError, match=r"^x line 27: more than 73 values in the row"):
        ionex.parse(text.encode(), "x")


@pytest.mark.parametrize("relpath", [p for p in ALL_FILES if "jpl_2000326" in str(p)][:2]
                         + [p for p in ALL_FILES if "code_esa" in str(p)][:1], ids=str)
def test_the_writer_keeps_the_header_dcb_block(shared_data: Path, relpath: Path,
                                               tmp_path: Path) -> None:
    from ionoquake.sources.ionex_write import aux_data_of, write

    source = shared_data / "ionex" / relpath
    aux = aux_data_of(source)
    assert aux.startswith("DIFFERENTIAL CODE BIASES") and "PRN / BIAS / RMS" in aux
    a = ionex.read(source)
    out = write(a, tmp_path / "out.i.gz", aux_data=aux)
    assert aux_data_of(out) == aux  # the block, record for record
    b = ionex.read(out)
    assert b.attrs["satellites"] == a.attrs["satellites"]  # what the reader takes from it
    assert b.attrs.get("stations") == a.attrs.get("stations")
    for var in a.data_vars:
        assert np.array_equal(a[var].values, b[var].values, equal_nan=True), var
    with pytest.raises(IonoquakeError, match="AUX DATA"):
        to_ionex_text(a, aux_data=aux.splitlines()[1])  # not a whole block


# ------------------------------------------------ the compiled body pass (issue O)
def _both_decoders(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """What the numpy path and the compiled pass make of ``data``: a Dataset or the error."""
    outcomes = []
    for kernel in ("numpy", ""):
        monkeypatch.setenv("IONOQUAKE_KERNEL", kernel)
        try:
            outcomes.append(ionex.parse(data, "decoders"))
        except IonexError as error:
            outcomes.append(str(error))
    return outcomes[0], outcomes[1]


def _assert_same_outcome(numpy_path: object, compiled: object) -> None:
    if isinstance(numpy_path, str) or isinstance(compiled, str):
        assert compiled == numpy_path
        return
    assert isinstance(numpy_path, xr.Dataset) and isinstance(compiled, xr.Dataset)
    assert compiled.identical(numpy_path)
    for name in numpy_path.data_vars:
        assert compiled[name].values.tobytes() == numpy_path[name].values.tobytes(), name


needs_numba = pytest.mark.skipif(ionex_kernel.compiled("scan_body") is None,
                                 reason="numba not installed (or IONOQUAKE_KERNEL=numpy)")


@needs_numba
@pytest.mark.parametrize("relpath", [p for p in ALL_FILES if "jpl_2000326" not in str(p)]
                         + [p for p in ALL_FILES if "jpl_2000326" in str(p)][:3], ids=str)
def test_compiled_decoder_equals_the_numpy_path_on_real_files(
        shared_data: Path, relpath: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every centre's layout, ESA's lines padded to 80 columns included.
    _assert_same_outcome(*_both_decoders(text_of(shared_data / "ionex" / relpath).encode(
        "latin-1"), monkeypatch))


@needs_numba
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_decoder_equals_the_numpy_path_on_damaged_rows(
        shared_data: Path, data: st.DataObject) -> None:
    # Bytes of the value lines replaced by blanks, signs, digits or anything; lines
    # padded, shortened or lengthened: same values, or the same error message.
    lines = _small_text(shared_data).encode("latin-1").split(b"\n")
    body = [i for i, line in enumerate(lines) if line[:1] in (b" ", b"-") and len(line) <= 80
            and not line[60:].strip() and line.strip()]
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.sampled_from(body))
        line = bytearray(lines[i])
        op = data.draw(st.sampled_from(["byte", "pad", "cut", "extend"]))
        if op == "byte" and line:
            j = data.draw(st.integers(0, len(line) - 1))
            line[j] = data.draw(st.sampled_from([32, 45, 48, 55, 43, 46, 9, 65]))
        elif op == "pad":
            line += b" " * data.draw(st.integers(1, 40))
        elif op == "cut":
            del line[data.draw(st.integers(0, len(line))):]
        else:
            line += data.draw(st.sampled_from([b"    7", b"  -12", b"x", b"   "]))
        lines[i] = bytes(line)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _assert_same_outcome(*_both_decoders(b"\n".join(lines), monkeypatch))


@needs_numba
@pytest.mark.parametrize("relpath", ALL_FILES, ids=str)
def test_the_compiled_pass_reads_every_real_file_itself(shared_data: Path,
                                                        relpath: Path) -> None:
    # Not by falling back to the numpy path: the speed of issue O depends on it.
    data = text_of(shared_data / "ionex" / relpath).encode("latin-1")
    end = data.index(b"END OF HEADER")
    hdr = ionex.parse_header(data[:end].decode("latin-1"), str(relpath))
    scanned = ionex._scan(np.frombuffer(data[data.index(b"\n", end) + 1:], np.uint8), hdr)
    assert scanned is not None
    assert len(scanned[0]) == len(ionex.parse(data, "x")["time"]) * (
        1 + ("rms" in ionex.parse(data, "x")))


_RECORD_DAMAGE = [b"-", b"+", b".", b" ", b"0", b"9", b"\t", b"X", b"1", b"24", b"60"]


@needs_numba
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_pass_equals_the_numpy_path_on_damaged_records(
        shared_data: Path, data: st.DataObject) -> None:
    # Records damaged: epochs, EXPONENT, LAT/LON1/LON2/DLON/H, labels, START/END; lines
    # deleted, doubled, swapped, blank lines and EXPONENT records inserted. Whatever the
    # compiled pass accepts it must read as the numpy path does; what it leaves, the
    # numpy path reads or names.
    lines = _small_text(shared_data).encode("latin-1").split(b"\n")
    body0 = lines.index(next(line for line in lines if b"END OF HEADER" in line)) + 1
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(body0, len(lines) - 1))
        op = data.draw(st.sampled_from(["byte", "delete", "double", "swap", "blank",
                                        "exponent"]))
        if op == "byte" and lines[i]:
            line = bytearray(lines[i])
            j = data.draw(st.integers(0, len(line) - 1))
            line[j:j + 1] = data.draw(st.sampled_from(_RECORD_DAMAGE))
            lines[i] = bytes(line)
        elif op == "delete":
            del lines[i]
        elif op == "double":
            lines.insert(i, lines[i])
        elif op == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif op == "blank":
            lines.insert(i, b" " * data.draw(st.sampled_from([0, 3, 80])))
        elif op == "exponent":
            exp = data.draw(st.sampled_from([b"    -1", b"    -3", b"     0", b"    +1",
                                             b"    31", b"   -1x"]))
            lines.insert(i, exp + b" " * 54 + b"EXPONENT")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _assert_same_outcome(*_both_decoders(b"\n".join(lines), monkeypatch))


def _reverse_longitudes(text: str) -> str:
    """The small file with its longitudes written from east to west (LON2 < LON1)."""
    out = []
    for line in text.split("\n"):
        if line[60:].startswith("LON1 / LON2 / DLON"):
            line = f"  {180.0:6.1f}{-180.0:6.1f}{-5.0:6.1f}".ljust(60) + line[60:]
        elif line[60:].startswith("LAT/LON1/LON2/DLON/H"):
            line = line[:8] + f"{180.0:6.1f}{-180.0:6.1f}{-5.0:6.1f}" + line[26:]
        out.append(line)
    return "\n".join(out)


def test_longitudes_written_east_to_west_are_returned_ascending(
        shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Both paths, with latitudes descending in the file (25 to 20) too.
    text = _small_text(shared_data)
    west_to_east = ionex.parse(text.encode(), "x")
    numpy_path, compiled = _both_decoders(_reverse_longitudes(text).encode(), monkeypatch)
    _assert_same_outcome(numpy_path, compiled)
    assert isinstance(compiled, xr.Dataset)
    assert list(compiled["lon"].values) == list(west_to_east["lon"].values)
    np.testing.assert_array_equal(compiled["tec"].values, west_to_east["tec"].values[..., ::-1])


def test_value_out_of_range_is_named_by_its_row_and_column_in_the_file(
        shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The compiled pass stores rows and columns in ascending order; the error still
    # counts them as the file does (row 2 is 22.5 N; value 3 the third from LON1).
    text = _reverse_longitudes(_small_text(shared_data))
    row2 = text.index("22.5 180.0-180.0")
    at = text.index("\n", row2) + 1 + 10
    text = text[:at] + "-9999" + text[at + 5:]
    numpy_path, compiled = _both_decoders(text.encode(), monkeypatch)
    assert compiled == numpy_path
    assert "TEC map: value -99.99 TECU (row 2, value 3)" in str(compiled)


def test_plain_aux_block_reads_as_line_by_line(shared_data: Path) -> None:
    # The header's DCB block is read at once when plain; a record with its label off
    # column 61 sends it line by line: the same satellites and stations either way.
    text = text_of(shared_data / "ionex/code_esa_2020008-010/esag0080.20i.gz")
    header = text[:text.index("END OF HEADER")]
    plain = ionex.parse_header(header, "x")
    shifted = header.replace("  STATION / BIAS / RMS", " STATION / BIAS / RMS ", 1)
    assert shifted != header
    by_line = ionex.parse_header(shifted, "x")
    assert len(plain.stations) > 500 and len(plain.satellites) > 30
    assert (by_line.stations, by_line.satellites, by_line.comments) == (
        plain.stations, plain.satellites, plain.comments)
    bad = header.replace("   G01    -7.633", "    0x    -7.633", 1)
    assert bad != header
    with pytest.raises(IonexError, match=r"x line \d+: unreadable PRN / BIAS / RMS"):
        ionex.parse_header(bad, "x")


def test_a_stored_day_is_written_back_with_its_dcb_block(bundled_data: Path,
                                                         tmp_path: Path) -> None:
    # What an `ionoquake` command writing IONEX from the archive calls.
    from ionoquake.sources.ionex_write import aux_data_of, write
    from ionoquake.store import maps

    source = bundled_data / "ionex" / "jpl_2000326-2001014" / "jplg0130.01i.gz"
    maps.ingest_file(tmp_path / "store", source)
    day = maps.open_day(tmp_path / "store", "jplg", np.datetime64("2001-01-13"))
    out = write(day, tmp_path / "jplg0130.01i")
    assert aux_data_of(out) == aux_data_of(source) != ""
    a, b = ionex.read(source), ionex.read(out)
    assert b.attrs["satellites"] == a.attrs["satellites"]
    assert np.array_equal(a["tec"].values, b["tec"].values, equal_nan=True)
