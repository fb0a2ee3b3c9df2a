"""Readers for the long global compilations: ISC-GEM, USGS Centennial, NOAA significant.

* ISC-GEM Global Instrumental Earthquake Catalogue (Storchak et al. 2013, 2015;
  Di Giacomo et al. 2018), comma-separated with a ``#`` comment block whose last
  line names the columns. Versions 1.x (24 columns) and 7.0 (31 columns, with
  nodal planes) and the Supplement (flag ``D``, magnitudes may be blank).
  Magnitude is Mw; depth and its uncertainty in km.
* USGS Centennial Earthquake Catalog (Engdahl & Villaseñor 2002), fixed width,
  170 characters: catalogue, authority, year, month, day, hour, minute, second,
  latitude, longitude, depth (km), Flinn-Engdahl region, number of teleseismic
  phases, then eight ``F4.1 1X A2 1X A5`` magnitude slots (value, type, author);
  the first slot is the preferred magnitude. One event (1911-07-00, day unknown)
  gets ``time`` NaT; ``year``, ``month``, ``day`` are kept. The file has no event
  ids: ``event_id`` is made of the time and the epicentre as written.
* NOAA NCEI Global Significant Earthquake Database, tab-separated export
  (``I_D``, ``YEAR`` ... ``TOTAL_HOUSES_DAMAGED_DESCRIPTION``). Dates go back to
  2150 BC: ``time`` is NaT where the date has no month or day or lies before
  1678 (outside ``datetime64[ns]``); the source's ``year``..``second`` are kept.
  The magnitude is the first given of Mw, Ms, mb, ML, MFA, unknown.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ionoquake.sources.catalog_table import (
    CatalogError,
    catalog_frame,
    parse_numbers,
    parse_times,
    text_column,
)
from ionoquake.sources.compression import head, read_bytes

__all__ = ["read_centennial", "read_iscgem", "read_noaa"]

PathLike = str | os.PathLike[str]


def _text_lines(path: Path) -> list[str]:
    try:
        return read_bytes(path).decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return read_bytes(path).decode("latin-1").splitlines()


# --- ISC-GEM ------------------------------------------------------------------------

_ISCGEM_SUFFIX = {"unc": "uncertainty", "q": "quality", "s": "source"}
_ISCGEM_OWNER = {"strike": "epicentre", "depth": "depth", "mw": "mw"}
_ISCGEM_UNITS = {"smajax": "semi_major_axis_km", "sminax": "semi_minor_axis_km",
                 "strike": "ellipse_strike_deg", "depth_uncertainty": "depth_uncertainty_km",
                 "mo": "scalar_moment", "fac": "moment_exponent", "mo_auth": "moment_author"}


def can_read_iscgem(path: Path) -> bool:
    """True if the file opens with the ISC-GEM comment header."""
    first = head(path, 256).split(b"\n", 1)[0]
    return first.startswith(b"#") and b"ISC-GEM" in first


def _iscgem_columns(names: list[str]) -> list[str]:
    """Unique names for the header's repeated ``unc``, ``q`` and ``s`` columns."""
    owner, out = "epicentre", []
    for raw in names:
        if raw in _ISCGEM_SUFFIX:
            column = f"{owner}_{_ISCGEM_SUFFIX[raw]}"
        else:
            owner = _ISCGEM_OWNER.get(raw, owner)
            column = raw
        out.append(_ISCGEM_UNITS.get(column, column))
    return out


def read_iscgem(path: PathLike) -> pd.DataFrame:
    """Read an ISC-GEM catalogue or supplement CSV (v1.x or v7.0)."""
    path = Path(path)
    name, lines = path.name, _text_lines(path)
    comments = 0
    while comments < len(lines) and lines[comments].startswith("#"):
        comments += 1
    header = lines[comments - 1] if comments else ""
    names = [h.strip() for h in header.lstrip("#").split(",")]
    need = {"date", "lat", "lon", "depth", "mw", "eventid"}
    if not need <= set(names):
        raise CatalogError(f"{name} line {comments}: the last comment line must name the "
                           f"columns ({', '.join(sorted(need - set(names)))} missing)")
    columns = _iscgem_columns(names)
    numbers = np.array([i + 1 for i in range(comments, len(lines)) if lines[i].strip()],
                       dtype=np.int64)
    rows = [lines[i - 1].split(",") for i in numbers]
    for row, line in zip(rows, numbers, strict=True):
        if len(row) != len(columns):
            raise CatalogError(f"{name} line {line}: expected {len(columns)} "
                               f"comma-separated fields, found {len(row)}")
    raw = pd.DataFrame(rows, columns=columns, dtype=str).apply(lambda c: c.str.strip())
    text = {"epicentre_quality", "depth_quality", "mw_quality", "mw_source", "moment_author",
            "type", "eventid"}

    def num(field: str) -> np.ndarray:
        return parse_numbers(raw[field], name=name, field=field, lines=numbers)

    supplement = "supplement" in (lines[0] if lines else "").lower()
    core = {
        "time": parse_times(raw["date"], name=name, field="date", lines=numbers,
                            format="%Y-%m-%d %H:%M:%S.%f"),
        "latitude": num("lat"), "longitude": num("lon"), "depth_km": num("depth"),
        "magnitude": num("mw"),
        "magnitude_type": np.full(len(raw), "Mw", dtype=object),
        "event_id": raw["eventid"].replace("", None),
        "source": np.full(len(raw), "isc-gem-supplement" if supplement else "isc-gem",
                          dtype=object),
    }
    keep = [c for c in columns if c not in ("date", "lat", "lon", "depth", "mw", "eventid")]
    extra = pd.DataFrame({c: (text_column(raw[c]) if c in text
                              else num(c)) for c in keep})
    fields = {"time": "date", "latitude": "lat", "longitude": "lon", "depth_km": "depth",
              "magnitude": "mw", "event_id": "eventid"}
    return catalog_frame(core, extra, name=name, lines=numbers, fields=fields,
                         required=("time", "latitude", "longitude", "event_id"))


# --- USGS Centennial (fixed width) ------------------------------------------------------

#: (name, first column, end column) in 0-based Python slices; the USGS README's FORTRAN
#: layout A6,A1,A5,I4,2I3,1X,2I3,F6.2,F9.3,F8.3,F6.1,2I4 then 8 x (F4.1,1X,A2,1X,A5).
_CENTENNIAL_FIELDS = (
    ("catalog", 0, 6), ("solution_authority", 6, 7), ("solution_source", 7, 12),
    ("year", 12, 16), ("month", 16, 19), ("day", 19, 22), ("hour", 22, 26),
    ("minute", 26, 29), ("second", 29, 35), ("latitude", 35, 44), ("longitude", 44, 52),
    ("depth", 52, 58), ("flinn_engdahl_region", 58, 62), ("n_teleseismic_phases", 62, 66),
)
_CENTENNIAL_SLOTS = 8
_CENTENNIAL_WIDTH = 66 + 13 * _CENTENNIAL_SLOTS
_CENTENNIAL_TEMPLATE = (" CCCCC A SSSS YYYY MM DD  hh mm ss.ss  lat.ddd lon.ddd ddd.d rrr nnn"
                        " m.m Ty AUTH ")
_CENTENNIAL_RECORD = re.compile(
    rb"^.{12}[ \d]{3}\d[ \d]{2}\d[ \d]{2}\d [ \d]{2}\d[ \d]{2}\d[ \d.]{6}[ \d.-]{9}[ \d.-]{8}")


def can_read_centennial(path: Path) -> bool:
    """True if the first line is a 170-character Centennial record."""
    first = head(path, 512).split(b"\n", 1)[0].rstrip(b"\r")
    return len(first) == _CENTENNIAL_WIDTH and bool(_CENTENNIAL_RECORD.match(first))


def _centennial_error(name: str, line: int, text: str, field: str, problem: str) -> CatalogError:
    # Like sgp4 for a broken TLE: show the expected layout above the offending line.
    return CatalogError(f"{name} line {line}: field {field!r}: {problem}\n"
                        f"  expected: {_CENTENNIAL_TEMPLATE}\n  found:    {text[:68]}")


def _fixed_numbers(text: pd.Series, field: str, name: str, lines: np.ndarray,
                   records: list[str]) -> np.ndarray:
    values = pd.to_numeric(text, errors="coerce")
    bad = (values.isna() & text.ne("")).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise _centennial_error(name, int(lines[row]), records[row], field,
                                f"{text.iloc[row]!r} is not a number")
    return values.to_numpy(dtype=float, na_value=np.nan)


def read_centennial(path: PathLike) -> pd.DataFrame:
    """Read the USGS Centennial Earthquake Catalog (fixed width)."""
    path = Path(path)
    name, lines = path.name, _text_lines(path)
    numbers = np.array([i + 1 for i, t in enumerate(lines) if t.strip()], dtype=np.int64)
    records = [lines[i - 1].ljust(_CENTENNIAL_WIDTH) for i in numbers]
    for record, line in zip(records, numbers, strict=True):
        if len(record) > _CENTENNIAL_WIDTH:
            raise _centennial_error(name, line, record, "record", f"{len(record)} characters, "
                                    f"a Centennial record has {_CENTENNIAL_WIDTH}")
    raw = pd.DataFrame({f: [r[a:b].strip() for r in records] for f, a, b in _CENTENNIAL_FIELDS})
    slots = {}
    for k in range(_CENTENNIAL_SLOTS):
        start = 66 + 13 * k
        slots[f"mag{k}"] = [r[start:start + 4].strip() for r in records]
        slots[f"type{k}"] = [r[start + 5:start + 7].strip() for r in records]
        slots[f"author{k}"] = [r[start + 8:start + 13].strip() for r in records]
    mags = pd.DataFrame(slots)
    values = {f: _fixed_numbers(raw[f], f, name, numbers, records)
              for f in ("year", "month", "day", "hour", "minute", "second", "latitude",
                        "longitude", "depth", "flinn_engdahl_region", "n_teleseismic_phases")}
    time = _time_from_parts(values, name=name, lines=numbers, records=records,
                            allow_missing=True)
    magnitudes = np.column_stack([_fixed_numbers(mags[f"mag{k}"], f"mag{k + 1}", name, numbers,
                                                 records) for k in range(_CENTENNIAL_SLOTS)])
    # 0.0 marks an empty slot in this file.
    first = np.where(magnitudes[:, 0] > 0, magnitudes[:, 0], np.nan)
    others = ["; ".join(" ".join(str(mags.at[i, f"{part}{k}"]) for part in ("mag", "type",
                                                                      "author")).strip()
                        for k in range(1, _CENTENNIAL_SLOTS) if magnitudes[i, k] > 0) or None
              for i in range(len(records))]
    iso = pd.Series(time).dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-4]
    core = {
        "time": time, "latitude": values["latitude"], "longitude": values["longitude"],
        "depth_km": values["depth"], "magnitude": first,
        "magnitude_type": mags["type0"].replace("", None),
        "event_id": (iso + "_" + raw["latitude"] + "_" + raw["longitude"]).to_numpy(),
        "source": np.full(len(records), "usgs-centennial", dtype=object),
    }
    extra = pd.DataFrame({
        "catalog": text_column(raw["catalog"]),
        "solution_authority": text_column(raw["solution_authority"]),
        "solution_source": text_column(raw["solution_source"]),
        "flinn_engdahl_region": values["flinn_engdahl_region"],
        "n_teleseismic_phases": values["n_teleseismic_phases"],
        **{part: values[part] for part in ("year", "month", "day")},
        "magnitude_author": text_column(mags["author0"]),
        "other_magnitudes": text_column(others),
    })
    fields = {"latitude": "latitude", "longitude": "longitude", "depth_km": "depth",
              "magnitude": "mag1"}
    return catalog_frame(core, extra, name=name, lines=numbers, fields=fields,
                         required=("latitude", "longitude"))


def _time_from_parts(values: dict[str, np.ndarray], *, name: str, lines: np.ndarray,
                     records: list[str] | None = None,
                     allow_missing: bool = False) -> np.ndarray:
    """Origin times from year, month, day, hour, minute, second (seconds may reach 60).

    A month or day of 0 means "not known" (the Centennial catalogue has 1911-07-00):
    with ``allow_missing`` such dates, and years before 1678, give NaT.
    """
    date = pd.DataFrame({k: np.where(values[k] == 0, np.nan, values[k]) if k != "year"
                         else values[k] for k in ("year", "month", "day")})
    usable = date.notna().all(axis=1).to_numpy() & (date["year"].to_numpy() >= 1678)
    if not allow_missing and not usable.all():
        row = int(np.flatnonzero(~usable)[0])
        raise CatalogError(f"{name} line {lines[row]}: field 'year/month/day': incomplete date")
    out = np.full(len(date), np.datetime64("NaT"), dtype="datetime64[ns]")
    days = pd.to_datetime(date[usable].astype(int), errors="coerce")
    if days.isna().any():
        row = int(np.flatnonzero(usable)[int(np.flatnonzero(days.isna().to_numpy())[0])])
        problem = (f"{int(values['year'][row])}-{int(values['month'][row])}-"
                   f"{int(values['day'][row])} is not a date")
        if records is not None:
            raise _centennial_error(name, int(lines[row]), records[row], "year/month/day",
                                    problem)
        raise CatalogError(f"{name} line {lines[row]}: field 'year/month/day': {problem}")
    clock = [np.nan_to_num(values[k][usable]) for k in ("hour", "minute", "second")]
    seconds = clock[0] * 3600.0 + clock[1] * 60.0 + clock[2]
    if (seconds < 0).any() or (seconds > 86401).any():
        row = int(np.flatnonzero(usable)[int(np.flatnonzero((seconds < 0) | (seconds > 86401))[0])])
        raise CatalogError(f"{name} line {lines[row]}: field 'hour/minute/second': "
                           f"not a time of day")
    out[usable] = (days + pd.to_timedelta(np.round(seconds * 1e3), unit="ms")).to_numpy()
    return out


# --- NOAA NCEI significant earthquakes -------------------------------------------------

_NOAA_MAGNITUDES = (("EQ_MAG_MW", "Mw"), ("EQ_MAG_MS", "Ms"), ("EQ_MAG_MB", "mb"),
                    ("EQ_MAG_ML", "ML"), ("EQ_MAG_MFA", "Mfa"), ("EQ_MAG_UNK", "unknown"))


def can_read_noaa(path: Path) -> bool:
    """True if the file starts with the NOAA significant-earthquake TSV header."""
    return head(path, 256).startswith(b"I_D\tFLAG_TSUNAMI\tYEAR\tMONTH\tDAY")


def read_noaa(path: PathLike) -> pd.DataFrame:
    """Read the NOAA NCEI significant-earthquake database export (tab-separated)."""
    path = Path(path)
    name, lines = path.name, _text_lines(path)
    header = lines[0].split("\t") if lines else []
    need = ["I_D", "YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "FOCAL_DEPTH",
            "LATITUDE", "LONGITUDE"] + [m for m, _ in _NOAA_MAGNITUDES]
    missing = [c for c in need if c not in header]
    if missing:
        raise CatalogError(f"{name} line 1: header lacks field(s) {', '.join(missing)}")
    numbers = np.array([i + 1 for i in range(1, len(lines)) if lines[i].strip()],
                       dtype=np.int64)
    rows = [lines[i - 1].split("\t") for i in numbers]
    for row, line in zip(rows, numbers, strict=True):
        if len(row) != len(header):
            raise CatalogError(f"{name} line {line}: expected {len(header)} tab-separated "
                               f"fields, found {len(row)}")
    raw = pd.DataFrame(rows, columns=header, dtype=str).apply(lambda c: c.str.strip())

    def num(field: str) -> np.ndarray:
        return parse_numbers(raw[field], name=name, field=field, lines=numbers)

    parts = {k.lower(): num(k) for k in ("YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND")}
    time = _time_from_parts(parts, name=name, lines=numbers, allow_missing=True)
    mags = np.column_stack([num(m) for m, _ in _NOAA_MAGNITUDES])
    given = ~np.isnan(mags)
    first = np.where(given.any(axis=1), given.argmax(axis=1), -1)
    labels = np.array([t for _, t in _NOAA_MAGNITUDES] + [None], dtype=object)
    core = {
        "time": time, "latitude": num("LATITUDE"), "longitude": num("LONGITUDE"),
        "depth_km": num("FOCAL_DEPTH"),
        "magnitude": np.where(first >= 0, mags[np.arange(len(mags)), first], np.nan),
        "magnitude_type": labels[first],
        "event_id": raw["I_D"].replace("", None),
        "source": np.full(len(raw), "noaa-signif", dtype=object),
    }
    extra = pd.DataFrame({**{k: v for k, v in parts.items()}})
    numeric = {"INTENSITY", "REGION_CODE"} | {c for c in header if c.endswith(
        ("DEATHS", "MISSING", "INJURIES", "DOLLARS", "DESTROYED", "DAMAGED", "DESCRIPTION"))}
    for column in header:
        if column in need[:10] or column in dict(_NOAA_MAGNITUDES):
            continue
        key = column.lower()
        extra[key] = (num(column) if column in numeric
                      else text_column(raw[column]))
    for column, _ in _NOAA_MAGNITUDES:
        extra[column.lower().replace("eq_mag_", "magnitude_")] = num(column)
    fields = {"latitude": "LATITUDE", "longitude": "LONGITUDE", "depth_km": "FOCAL_DEPTH",
              "magnitude": "EQ_MAG_*", "event_id": "I_D"}
    return catalog_frame(core, extra, name=name, lines=numbers, fields=fields,
                         required=("event_id",))
