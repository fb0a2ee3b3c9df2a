"""Parsers of the daily-record index files: CelesTrak SW-All, GFZ Kp_ap_Ap_SN_F107, IRI apf107.

Each file holds one record per UT day (eight 3-hourly Kp/ap values and daily
values); the parsers spread them over the 24 hourly rows of the index table
(:mod:`ionoquake.sources.indices_table`).

* CelesTrak/CSSI space-weather file, version 1.2 (format:
  https://celestrak.org/SpaceData/SpaceWx-format.php; the file's header states
  ``FORMAT(I4,I3,I3,I5,I3,8I3,I4,8I4,I4,F4.1,I2,I4,F6.1,I2,5F6.1)``). Kp is
  written as Kp×10 rounded (``33`` = 3+ = 3.333, ``37`` = 4- = 3.667). Blocks
  ``OBSERVED``, ``DAILY_PREDICTED``, ``MONTHLY_PREDICTED`` and ``MONTHLY_FIT``;
  only ``OBSERVED`` is read unless ``predicted=True``, which adds the daily and
  monthly predictions (a monthly value fills every hour of its month) with
  ``predicted`` True. Predicted Kp is not in thirds (``22`` = 2.2) and is kept
  as written. ``MONTHLY_FIT`` (a curve fit of the same predictions) is not read.
* GFZ Potsdam ``Kp_ap_Ap_SN_F107_since_1932.txt`` and ``..._nowcast.txt``
  (format in the file's 40 header lines; Matzka et al. 2021): missing values are
  ``-1`` (``-1.000`` for Kp, ``-1.0`` for F10.7) and become NaN; the ``D`` flag
  gives ``kp_status`` (0: preliminary, 1 and 2: definitive).
* IRI ``apf107.dat`` (read by IRI's ``APF_ONLY``, ``FORMAT(3I3,9I3,I3,3F5.1)``):
  two-digit year (58–99 -> 19xx, 00–57 -> 20xx), eight ap, Ap, a sunspot field
  (``-11`` throughout: not used), then daily, 81-day and 365-day F10.7. The daily
  and 81-day values are those of the *adjusted* F10.7 of CelesTrak's columns on
  most days (checked in the tests), so they go to ``f107_adj_sfu`` and
  ``f107_adj_81c_sfu``.
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pandas as pd

from ionoquake.errors import where
from ionoquake.sources.indices_table import (
    IndicesError,
    check_increasing,
    check_range,
    column_template,
    fixed_layout,
    hourly_times,
    indices_frame,
    kp_from_decimal,
    kp_from_tenths,
    number_rows,
    per_hour,
    read_fixed,
)

AP_MAX = 400  # ap for Kp = 9o (Bartels 1957; table in Matzka et al. 2021)
SUNSPOT_MAX = 1000  # the largest daily SN v2 since 1818 is about 530 (WDC-SILSO)
F107_MAX_SFU = 2000.0  # flare-contaminated daily values reach several hundred sfu

CELESTRAK_LAYOUT = fixed_layout(
    [("year", 4, False, "yyyy"), ("month", 3, False, "mm"), ("day", 3, False, "dd"),
     ("bsrn", 5, False, "BSRN"), ("nd", 3, False, "ND")]
    + [(f"kp{i}", 3, False, f"K{i}") for i in range(1, 9)] + [("kp_sum", 4, False, "Sum")]
    + [(f"ap{i}", 4, False, f"a{i}") for i in range(1, 9)]
    + [("ap_daily", 4, False, "Ap"), ("cp", 4, True, "Cp"), ("c9", 2, False, "C"),
       ("isn", 4, False, "ISN"), ("f107_adj", 6, True, "F107a"), ("q", 2, False, "Q"),
       ("f107_adj_81c", 6, True, "Ctr81"), ("f107_adj_81l", 6, True, "Lst81"),
       ("f107_obs", 6, True, "F107o"), ("f107_obs_81c", 6, True, "Ctr81"),
       ("f107_obs_81l", 6, True, "Lst81")]
)
CELESTRAK_WIDTH = CELESTRAK_LAYOUT[-1].start + CELESTRAK_LAYOUT[-1].width  # 130
_CT = {f.name: i for i, f in enumerate(CELESTRAK_LAYOUT)}
_PREDICTED_BLOCKS = ("DAILY_PREDICTED", "MONTHLY_PREDICTED")

APF107_LAYOUT = fixed_layout(
    [("year", 3, False, "yy"), ("month", 3, False, "mm"), ("day", 3, False, "dd")]
    + [(f"ap{i}", 3, False, f"a{i}") for i in range(1, 9)]
    + [("ap_daily", 3, False, "Ap"), ("rz", 3, False, "Rz"), ("f107", 5, True, "F107"),
       ("f107_81", 5, True, "F81"), ("f107_365", 5, True, "F365")]
)
APF107_WIDTH = APF107_LAYOUT[-1].start + APF107_LAYOUT[-1].width  # 54

GFZ_COLUMNS = ("YYYY", "MM", "DD", "days", "days_m", "Bsr", "dB",
               *(f"Kp{i}" for i in range(1, 9)), *(f"ap{i}" for i in range(1, 9)),
               "Ap", "SN", "F10.7obs", "F10.7adj", "D")


def _date(year: float, month: float, day: float, name: str | os.PathLike[str],
          lineno: int) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise IndicesError(f"{where(name, lineno)}field 'date': {int(year):04d}-{int(month):02d}-"
                           f"{int(day):02d} is not a calendar date") from None


def _days_of(first: dt.date, block: str) -> np.ndarray:
    """The days a record covers: one day, or a whole month in a monthly block."""
    start = np.datetime64(first, "D")
    if not block.startswith("MONTHLY"):
        return np.array([start])
    stop = (np.datetime64(first, "M") + 1).astype("datetime64[D]")
    return np.arange(start, stop)


def parse_celestrak(text: str, name: str | os.PathLike[str] = "<text>", *,
                    predicted: bool = False) -> pd.DataFrame:
    """Parse a CelesTrak ``SW-All.txt`` (v1.2); see the module docstring."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("DATATYPE CssiSpaceWeather"):
        raise IndicesError(f"{where(name, 1)}not a CelesTrak space-weather file: the first line "
                           "is not 'DATATYPE CssiSpaceWeather'")
    wanted = ("OBSERVED", *(_PREDICTED_BLOCKS if predicted else ()))
    rows: list[tuple[int, str, list[float]]] = []
    block: str | None = None
    seen: set[str] = set()
    for lineno, line in enumerate(lines, start=1):
        if line.startswith("VERSION") and line.split()[1:2] != ["1.2"]:
            raise IndicesError(f"{where(name, lineno)}field 'VERSION': only version 1.2 is read, "
                               f"found {line[7:].strip()!r}")
        if line.startswith("BEGIN "):
            block = line[6:].strip()
            seen.add(block)
        elif line.startswith("END ") and block is not None:
            block = None
        elif block is not None and block in wanted and line.strip():
            if len(line.rstrip()) > CELESTRAK_WIDTH:
                raise IndicesError(
                    f"{where(name, lineno)}field 'end of record': characters after column "
                    f"{CELESTRAK_WIDTH}\n  expected: {column_template(CELESTRAK_LAYOUT)}\n"
                    f"  found:    {line}")
            rows.append((lineno, block, read_fixed(line, CELESTRAK_LAYOUT, name, lineno)))
    if "OBSERVED" not in seen:
        raise IndicesError(f"{where(name)}no 'BEGIN OBSERVED' block: not a complete CelesTrak "
                           "space-weather file")
    if block is not None:
        raise IndicesError(f"{where(name, len(lines))}block {block} has no END line: "
                           "file truncated?")
    return _celestrak_frame(rows, name)


def _celestrak_frame(rows: list[tuple[int, str, list[float]]],
                     name: str | os.PathLike[str]) -> pd.DataFrame:
    days_list, lines, values, is_pred = [], [], [], []
    for block in {block for _, block, _ in rows}:  # each block in time order
        firsts = [(np.datetime64(_date(v[0], v[1], v[2], name, n), "D"), n)
                  for n, b, v in rows if b == block]
        check_increasing(np.array([d for d, _ in firsts]), name, [n for _, n in firsts])
    for lineno, block, v in rows:
        days = _days_of(_date(v[0], v[1], v[2], name, lineno), block)
        days_list.append(days)
        lines += [lineno] * len(days)
        values += [v] * len(days)
        is_pred += [block != "OBSERVED"] * len(days)
    if not rows:
        return indices_frame([], {}, source="celestrak-sw")
    days = np.concatenate(days_list)
    keep = _first_per_day(days)  # a predicted month may overlap the predicted days
    days, a = days[keep], np.array(values)[keep]
    lines = [lines[i] for i in keep]
    pred = np.array(is_pred)[keep]
    kp_codes = a[:, _CT["kp1"]:_CT["kp8"] + 1]
    check_range(kp_codes, 0, 90, name, lines, "kp")
    kp = np.where(pred[:, None], kp_codes / 10,
                  kp_from_tenths(np.where(pred[:, None], 0, kp_codes), name, lines, "kp"))
    ap = a[:, _CT["ap1"]:_CT["ap8"] + 1]
    check_range(ap, 0, AP_MAX, name, lines, "ap")
    cols = {"ap_daily": "ap_daily", "isn": "sunspot_number", "f107_adj": "f107_adj_sfu",
            "f107_obs": "f107_obs_sfu", "f107_adj_81c": "f107_adj_81c_sfu",
            "f107_adj_81l": "f107_adj_81l_sfu", "f107_obs_81c": "f107_obs_81c_sfu",
            "f107_obs_81l": "f107_obs_81l_sfu"}
    limits = {"ap_daily": AP_MAX, "isn": SUNSPOT_MAX}
    out = {}
    for field, column in cols.items():
        check_range(a[:, _CT[field]], 0, limits.get(field, F107_MAX_SFU), name, lines, field)
        out[column] = per_hour(a[:, _CT[field]])
    status = np.where(pred, "predicted", "unknown")
    return indices_frame(hourly_times(days), {
        "kp": per_hour(kp), "ap": per_hour(ap), **out,
        "kp_status": np.repeat(status, 24), "predicted": np.repeat(pred, 24),
    }, source="celestrak-sw")


def _first_per_day(days: np.ndarray) -> list[int]:
    """Index of the first record of each day, in day order (the observed block comes first)."""
    _, first = np.unique(days, return_index=True)
    return [int(i) for i in first]


def parse_gfz(text: str, name: str | os.PathLike[str] = "<text>") -> pd.DataFrame:
    """Parse a GFZ ``Kp_ap_Ap_SN_F107`` file (``since_1932`` or ``nowcast``)."""
    lines = text.splitlines()
    if not any(line.startswith("#YYY MM DD") and "Kp1" in line and "F10.7adj" in line
               for line in lines[:60]):
        raise IndicesError(f"{where(name)}not a GFZ Kp_ap_Ap_SN_F107 file: no '#YYY MM DD ... "
                           "Kp1 ... F10.7adj D' column line in the header")
    rows = ((lineno, line.split()) for lineno, line in enumerate(lines, start=1)
            if line.strip() and not line.startswith("#"))
    a, linenos = number_rows(rows, GFZ_COLUMNS, name)
    days = np.array([np.datetime64(_date(r[0], r[1], r[2], name, n), "D")
                     for r, n in zip(a, linenos, strict=True)], dtype="datetime64[D]")
    check_increasing(days, name, linenos)
    kp, ap = a[:, 7:15], a[:, 15:23]
    daily = a[:, 23:27]
    kp, ap, daily = (np.where(x == -1, np.nan, x) for x in (kp, ap, daily))
    kp = kp_from_decimal(kp, name, linenos, "Kp")
    check_range(ap, 0, AP_MAX, name, linenos, "ap")
    for k, (field, high) in enumerate([("Ap", AP_MAX), ("SN", SUNSPOT_MAX),
                                       ("F10.7obs", F107_MAX_SFU), ("F10.7adj", F107_MAX_SFU)]):
        check_range(daily[:, k], 0, high, name, linenos, field)
    flag = a[:, 27]
    check_range(flag, 0, 2, name, linenos, "D")
    status = np.where(flag == 0, "preliminary", "definitive")
    return indices_frame(hourly_times(days), {
        "kp": per_hour(kp), "ap": per_hour(ap), "ap_daily": per_hour(daily[:, 0]),
        "sunspot_number": per_hour(daily[:, 1]), "f107_obs_sfu": per_hour(daily[:, 2]),
        "f107_adj_sfu": per_hour(daily[:, 3]), "kp_status": np.repeat(status, 24),
    }, source="gfz-kp")


def parse_apf107(text: str, name: str | os.PathLike[str] = "<text>") -> pd.DataFrame:
    """Parse IRI's ``apf107.dat``; see the module docstring."""
    linenos, values = [], []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(line.rstrip()) != APF107_WIDTH:
            raise IndicesError(
                f"{where(name, lineno)}field 'record': {len(line.rstrip())} characters, an "
                f"apf107.dat record has {APF107_WIDTH}\n"
                f"  expected: {column_template(APF107_LAYOUT)}\n  found:    {line}")
        values.append(read_fixed(line, APF107_LAYOUT, name, lineno))
        linenos.append(lineno)
    if not values:
        raise IndicesError(f"{where(name)}no apf107.dat records")
    a = np.array(values, dtype=float)
    years = np.where(a[:, 0] >= 58, 1900, 2000) + a[:, 0]
    days = np.array([np.datetime64(_date(y, m, d, name, n), "D")
                     for y, m, d, n in zip(years, a[:, 1], a[:, 2], linenos, strict=True)],
                    dtype="datetime64[D]")
    check_increasing(days, name, linenos)
    ap = a[:, 3:11]
    check_range(ap, 0, AP_MAX, name, linenos, "ap")
    check_range(a[:, 11], 0, AP_MAX, name, linenos, "ap_daily")
    for k, field in enumerate(("f107", "f107_81", "f107_365")):
        check_range(a[:, 13 + k], 0, F107_MAX_SFU, name, linenos, field)
    return indices_frame(hourly_times(days), {
        "ap": per_hour(ap), "ap_daily": per_hour(a[:, 11]), "f107_adj_sfu": per_hour(a[:, 13]),
        "f107_adj_81c_sfu": per_hour(a[:, 14]), "f107_adj_365_sfu": per_hour(a[:, 15]),
        "kp_status": np.repeat("unknown", 24 * len(days)),
    }, source="iri-apf107")
