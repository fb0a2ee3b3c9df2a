"""Parsers of the hourly index files: WDC/Kyoto Dst (120-byte records) and OMNI hourly CSV.

* WDC exchange format for hourly indices, as distributed by the World Data
  Center for Geomagnetism, Kyoto (``dstYYMM.for.request``; format description
  at https://wdc.kugi.kyoto-u.ac.jp/dstae/format/dstformat.html). One 120-byte
  record per day::

      DST1503*17  X220   0   4   3 ...  -225 -84
      |  | |  | | | | | |   |                |
      |  | |  | | | | | |   24 hourly values (I4, nT; 9999 = missing)
      |  | |  | | | | | base value (I4, units of 100 nT)
      |  | |  | | | | century (blank = 19)
      |  | |  | | | version: 0 realtime (quick look), 1 provisional, 2 final
      |  | |  | | 'X'
      |  | |  | cols 11-12: blank, 'RR' (realtime) or 'PP' (provisional)
      |  | |  day
      |  | month, '*'
      |  two-digit year
      index name

  The first value is the hour 00-01 UT and is stored at 00:00 (as in OMNI2).
  Dst = 100 × base + value. Values outside -2000..+500 nT are rejected as
  corrupt: the most negative Dst ever recorded is -589 nT (1989-03-14) and the
  Carrington storm of 1859 is estimated at about -850 to -1760 nT (Siscoe et al.
  2006; Tsurutani et al. 2003).
* OMNI hourly extracts as CSV, ``YEAR,DOY,HR`` followed by any of ``Bz`` (IMF
  Bz GSM, nT; fill 999.9), ``Kp`` (Kp×10 as in OMNI2, ``33`` = 3+; fill 99) and
  ``Dst`` (nT; fill 99999). A UTF-8 byte-order mark and CRLF line ends are
  accepted. Which Dst version (final, provisional, realtime) OMNI used is not
  in the extract, so ``dst_status`` is ``"unknown"``.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ionoquake.errors import where
from ionoquake.sources.indices_table import (
    HOUR,
    Field,
    IndicesError,
    check_increasing,
    check_range,
    hourly_times,
    indices_frame,
    kp_from_tenths,
    number_rows,
    read_fixed,
)

DST_RANGE_NT = (-2000.0, 500.0)
#: IMF Bz (GSM): the largest OMNI hourly values are about -60 nT (2003-11-20); the
#: 1859 Carrington storm is estimated near -200 nT. 999.9 is OMNI's fill value.
BZ_RANGE_NT = (-500.0, 500.0)
DST_MISSING = 9999
WDC_WIDTH = 120
WDC_LAYOUT = (
    Field("year", 3, 2, label="yy"), Field("month", 5, 2, label="mm"),
    Field("day", 8, 2, label="dd"), Field("version", 13, 1, label="v"),
    Field("base", 16, 4), *(Field(f"h{i + 1}", 20 + 4 * i, 4) for i in range(24)),
    Field("mean", 116, 4),
)
WDC_TEMPLATE = "DSTyymm*dd..Xvccbase" + "".join(f"h{i}".rjust(4) for i in range(1, 25)) + "mean"
_DST_STATUS = {0: "realtime", 1: "provisional", 2: "final"}

OMNI_FIELDS = {  # CSV header name -> (table column, fill value)
    "bz": ("bz_gsm_nT", 999.9),
    "kp": ("kp", 99.0),
    "dst": ("dst_nT", 99999.0),
}


def parse_wdc_dst(text: str, name: str | os.PathLike[str] = "<text>") -> pd.DataFrame:
    """Parse hourly Dst records of the WDC 120-byte format; see the module docstring."""
    linenos, values, century = [], [], []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        record = line.rstrip("\r\n")
        if not record.startswith("DST") or record[7:8] != "*" or record[12:13] != "X":
            found = repr(record[:3]) if record[:3] != "DST" else "a broken record"
            raise IndicesError(
                f"{where(name, lineno)}field 'index': expected a WDC Dst record "
                f"'DSTyymm*dd..X', found {found}\n"
                f"  expected: {WDC_TEMPLATE}\n  found:    {record}")
        if len(record) != WDC_WIDTH:
            raise IndicesError(
                f"{where(name, lineno)}field 'record': {len(record)} characters, a WDC record "
                f"has {WDC_WIDTH}\n  expected: {WDC_TEMPLATE}\n"
                f"  found:    {record}")
        values.append(read_fixed(record, WDC_LAYOUT, name, lineno, WDC_TEMPLATE))
        cc = record[14:16].strip()
        if cc not in ("", "19", "20"):
            raise IndicesError(f"{where(name, lineno)}field 'century' (columns 15-16): {cc!r} "
                               "is not 19, 20 or blank")
        century.append(int(cc or 19))
        linenos.append(lineno)
    if not values:
        raise IndicesError(f"{where(name)}no WDC Dst records")
    a = np.array(values)
    years = np.array(century) * 100 + a[:, 0]
    days = np.array([_day(int(y), int(m), int(d), name, n)
                     for y, m, d, n in zip(years, a[:, 1], a[:, 2], linenos, strict=True)],
                    dtype="datetime64[D]")
    check_increasing(days, name, linenos)
    version = a[:, 3].astype(int)
    check_range(version, 0, 2, name, linenos, "version")
    hourly = a[:, 5:29]
    dst = np.where(hourly == DST_MISSING, np.nan, hourly + 100 * a[:, 4:5])
    check_range(dst, *DST_RANGE_NT, name, linenos, "h", units="nT")
    status = np.array([_DST_STATUS[v] for v in version])
    return indices_frame(hourly_times(days), {
        "dst_nT": dst.ravel(), "dst_status": np.repeat(status, 24),
    }, source="wdc-dst")


def _day(year: int, month: int, day: int, name: str | os.PathLike[str],
         lineno: int) -> np.datetime64:
    try:
        return np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D")
    except ValueError:
        raise IndicesError(f"{where(name, lineno)}field 'date': {year:04d}-{month:02d}-"
                           f"{day:02d} is not a calendar date") from None


def parse_omni_csv(text: str, name: str | os.PathLike[str] = "<text>") -> pd.DataFrame:
    """Parse an OMNI hourly CSV extract; see the module docstring."""
    lines = text.lstrip("\ufeff").splitlines()
    header = [h.strip() for h in lines[0].split(",")] if lines else []
    if [h.upper() for h in header[:3]] != ["YEAR", "DOY", "HR"]:
        raise IndicesError(f"{where(name, 1)}field 'header': an OMNI hourly CSV starts with "
                           f"'YEAR,DOY,HR', found {(lines[0] if lines else '')[:40]!r}")
    unknown = [h for h in header[3:] if h.lower() not in OMNI_FIELDS]
    if unknown or len(header) == 3:
        raise IndicesError(f"{where(name, 1)}field 'header': column(s) {unknown} not known; "
                           f"known: {', '.join(k.capitalize() for k in OMNI_FIELDS)}")
    rows = ((lineno, [t.strip() for t in line.split(",")])
            for lineno, line in enumerate(lines[1:], start=2) if line.strip())
    a, linenos = number_rows(rows, header, name, real=lambda col: col.lower() == "bz")
    check_range(a[:, 1], 1, 366, name, linenos, header[1])
    check_range(a[:, 2], 0, 23, name, linenos, header[2])
    years = a[:, 0].astype(int)
    first = np.array([_day(int(y), 1, 1, name, n) for y, n in zip(years, linenos, strict=True)],
                     dtype="datetime64[D]")
    days = first + (a[:, 1].astype(int) - 1)
    short = np.flatnonzero(days.astype("datetime64[Y]") != first.astype("datetime64[Y]"))
    if short.size:
        i = int(short[0])
        raise IndicesError(f"{where(name, linenos[i])}field '{header[1]}': day 366 of "
                           f"{years[i]}, which has 365 days")
    times = days.astype("datetime64[ns]") + a[:, 2].astype(int) * HOUR
    check_increasing(times, name, linenos)
    columns: dict[str, np.ndarray] = {}
    for k, col in enumerate(header[3:], start=3):
        target, fill = OMNI_FIELDS[col.lower()]
        v = np.where(a[:, k] == fill, np.nan, a[:, k])
        if target == "kp":
            v = kp_from_tenths(v[:, None], name, linenos, col)[:, 0]
        elif target == "dst_nT":
            check_range(v, *DST_RANGE_NT, name, linenos, col, units="nT")
        elif target == "bz_gsm_nT":
            check_range(v, *BZ_RANGE_NT, name, linenos, col, units="nT")
        columns[target] = v
    columns["kp_status"] = np.full(len(times), "unknown")
    columns["dst_status"] = np.full(len(times), "unknown")
    return indices_frame(times, columns, source="omni-hourly")
