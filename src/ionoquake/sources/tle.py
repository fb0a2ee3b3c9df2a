"""Two-line element sets (TLE): read, validate, choose by epoch, fetch from CelesTrak.

Reads every TLE layout met in practice into one table (:data:`TLE_COLUMNS`):

* 2-line sets and 3-line sets (a name line, optionally ``0 NAME`` as in space-track's 3LE);
* CelesTrak catalogue snapshots, gzipped or not (the 13,562-object "active" group);
* multi-epoch history files of one satellite (e.g. Orekit's SPOT-5 series);
* RTKLIB files with ``#`` comment lines and short satellite-id name lines.

The column layout is the one of Hoots & Roehrich (1980), Spacetrack Report #3, as
restated by Vallado, Crawford, Hujsak & Kelso (2006), "Revisiting Spacetrack Report #3",
AIAA 2006-6753. A line that breaks the fixed-width layout or its modulo-10 checksum
raises :class:`TleError` naming the file and line and, as sgp4 does, printing the
expected column template above the offending line.

Elements that cannot describe a satellite in orbit are flagged in the ``problem``
column ("decayed: perigee 80 km", "absurd: eccentricity 1.2"), never silently dropped.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ionoquake.errors import IonoquakeError, where
from ionoquake.sources.compression import head, read_bytes
from ionoquake.sources.registry import register

__all__ = [
    "LINE1_TEMPLATE",
    "LINE2_TEMPLATE",
    "MAX_AGE_DAYS",
    "TLE_COLUMNS",
    "TleAgeWarning",
    "TleError",
    "can_read",
    "nearest",
    "parse",
    "read",
]

#: Column templates with an N where each digit goes (as printed by sgp4's ``io.py``).
LINE1_TEMPLATE = "1 NNNNNC NNNNNAAA NNNNN.NNNNNNNN +.NNNNNNNN +NNNNN-N +NNNNN-N N NNNNN"
LINE2_TEMPLATE = "2 NNNNN NNN.NNNN NNN.NNNN NNNNNNN NNN.NNNN NNN.NNNN NN.NNNNNNNNNNNNNN"
#: Columns (0-based) that must hold a given character, from the templates above.
_FIXED1 = {1: " ", 8: " ", 23: ".", 32: " ", 34: ".", 43: " ", 52: " ", 61: " ", 63: " "}
_FIXED2 = {1: " ", 7: " ", 11: ".", 16: " ", 20: ".", 25: " ", 33: " ", 37: ".", 42: " ",
           46: ".", 51: " "}

#: Column set of the table every reader here returns, in this order.
TLE_COLUMNS = (
    "name", "norad_id", "intl_designator", "epoch", "inclination_deg", "raan_deg",
    "eccentricity", "arg_perigee_deg", "mean_anomaly_deg", "mean_motion_rev_per_day",
    "mean_motion_dot", "mean_motion_ddot", "bstar", "rev_number", "element_set",
    "classification", "perigee_km", "apogee_km", "problem", "line1", "line2", "source",
    "line_no",
)

#: Beyond this many days between a TLE's epoch and the time asked for, warn: SGP4
#: errors grow by ~1-3 km/day for LEO (Vallado et al. 2006, sec. I).
MAX_AGE_DAYS = 14.0
#: WGS-72 constants used by SGP4 (Vallado et al. 2006, Appendix B).
_MU_KM3_S2 = 398600.8
_RE_KM = 6378.135
#: A perigee below this height means the object has re-entered or is about to.
_DECAY_PERIGEE_KM = 120.0

_ALPHA5 = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # Alpha-5 letters: I and O are skipped


class TleError(IonoquakeError):
    """A TLE file or line is malformed, or a requested satellite has no TLE."""


class TleAgeWarning(UserWarning):
    """The TLE chosen for a time is far from it in epoch (or flagged as decayed)."""


def _template_error(path: Any, line_no: int, which: int, line: str, problem: str) -> TleError:
    template = LINE1_TEMPLATE if which == 1 else LINE2_TEMPLATE
    return TleError(
        f"{where(path, line_no)}{problem}\n"
        f"Here is the TLE layout for line {which} with an N where each digit goes, "
        f"followed by your line:\n\n{template}\n{line}"
    )


#: Byte values for the checksum: digits count their value, ``-`` counts 1, the rest 0.
_CHECKSUM_VALUES = bytes(
    (b - 48) if 48 <= b <= 57 else (1 if b == 45 else 0) for b in range(256))


def checksum(line: str) -> int:
    """The modulo-10 checksum of a TLE line: digits count their value, ``-`` counts 1."""
    return sum(line[:68].encode("ascii", "replace").translate(_CHECKSUM_VALUES)) % 10


def _check_layout(path: Any, line_no: int, which: int, line: str, verify: bool) -> None:
    fixed = _FIXED1 if which == 1 else _FIXED2
    if not line.isascii():
        raise _template_error(path, line_no, which, line, "non-ASCII characters in TLE line")
    if not line.isprintable():
        c = next(i for i, ch in enumerate(line) if not ch.isprintable())
        raise _template_error(path, line_no, which, line.encode("unicode_escape").decode(),
                              f"non-printable character {line[c]!r} in column {c + 1}")
    if len(line) < (64 if which == 1 else 68):
        raise _template_error(path, line_no, which, line,
                              f"line {which} of a TLE is {len(line)} characters, expected 69")
    bad = [c for c, ch in fixed.items() if line[c] != ch]
    if bad:
        c = bad[0]
        raise _template_error(path, line_no, which, line,
                              f"column {c + 1} should be {fixed[c]!r}, found {line[c]!r}")
    if verify and len(line) >= 69 and not line[68].isdigit():
        raise _template_error(path, line_no, which, line,
                              f"column 69 should be the checksum digit, found {line[68]!r}")
    if verify and len(line) >= 69:
        want = checksum(line)
        if int(line[68]) != want:
            raise _template_error(path, line_no, which, line,
                                  f"checksum is {line[68]} but the line tallies to {want}")


def _implied(field: str) -> float:
    """Decode an implied-decimal field such as `` 48427-4`` (0.48427e-4)."""
    field = field.strip()
    if not field:
        return 0.0
    sign = -1.0 if field[0] == "-" else 1.0
    body = field.lstrip("+-")
    mantissa, exp = body[:-2], body[-2:]
    return sign * float("0." + mantissa.strip()) * 10.0 ** int(exp)


def _norad(field: str) -> int:
    field = field.strip()
    if field and field[0].isalpha():
        return (_ALPHA5.index(field[0].upper()) + 10) * 10000 + int(field[1:])
    return int(field)


def _epoch(field: str) -> np.datetime64:
    yy, doy = int(field[:2]), float(field[2:])
    year = 2000 + yy if yy < 57 else 1900 + yy  # the Spacetrack Report #3 rule
    if not 1.0 <= doy < 367.0:
        raise ValueError(f"day of year {doy} outside 1..366")
    micro = round((doy - 1.0) * 86400e6)
    return np.datetime64(f"{year}-01-01", "us") + np.timedelta64(micro, "us")


def _fields(line1: str, line2: str) -> dict[str, Any]:
    """The elements of one set; the layout has been checked already (ValueError on junk)."""
    n = float(line2[52:63])
    e = float("0." + line2[26:33].replace(" ", "0"))
    a = (_MU_KM3_S2 / (n * 2 * np.pi / 86400.0) ** 2) ** (1 / 3) if n > 0 else np.nan
    return {
        "norad_id": _norad(line1[2:7]),
        "classification": line1[7].strip() or "U",
        "intl_designator": line1[9:17].strip(),
        "epoch": _epoch(line1[18:32]),
        "mean_motion_dot": float(line1[33:43]),
        "mean_motion_ddot": _implied(line1[44:52]),
        "bstar": _implied(line1[53:61]),
        "element_set": int(line1[64:68]) if line1[64:68].strip() else 0,
        "inclination_deg": float(line2[8:16]),
        "raan_deg": float(line2[17:25]),
        "eccentricity": e,
        "arg_perigee_deg": float(line2[34:42]),
        "mean_anomaly_deg": float(line2[43:51]),
        "mean_motion_rev_per_day": n,
        "rev_number": int(line2[63:68]) if line2[63:68].strip() else 0,
        "perigee_km": a * (1 - e) - _RE_KM,
        "apogee_km": a * (1 + e) - _RE_KM,
    }


def _problem(f: dict[str, Any]) -> str:
    if not f["mean_motion_rev_per_day"] > 0:
        return f"absurd: mean motion {f['mean_motion_rev_per_day']} rev/day"
    if not 0 <= f["inclination_deg"] <= 180:
        return f"absurd: inclination {f['inclination_deg']} deg"
    if f["perigee_km"] < 0:
        return f"absurd: perigee {f['perigee_km']:.0f} km below the Earth's surface"
    if f["perigee_km"] < _DECAY_PERIGEE_KM:
        return f"decayed: perigee {f['perigee_km']:.0f} km"
    return ""


def parse(text: str, *, source: str | PathLike[str] | None = None,
          verify_checksum: bool = True) -> pd.DataFrame:
    """Parse TLE text (2-line or 3-line sets, ``#`` comments, blank lines) into a table.

    Parameters
    ----------
    text
        The file content.
    source
        The file name, for error messages and the ``source`` column.
    verify_checksum
        Check the modulo-10 checksum in column 69 of every line.

    Returns
    -------
    pandas.DataFrame
        One row per element set, columns :data:`TLE_COLUMNS`; ``epoch`` is naive UTC.

    Raises
    ------
    TleError
        On a line that breaks the layout, a bad checksum, mismatched catalogue numbers,
        a name line not followed by a TLE, or a line 1 without its line 2.
    """
    rows: list[dict[str, Any]] = []
    # Split on line ends only: str.splitlines() would also split at control characters
    # (form feed, \x1c..\x1e), hiding them from the layout check.
    lines = text.replace("\r\n", "\n").split("\n")
    source_name = "" if source is None else Path(source).name
    name, name_no = "", 0
    i = 0
    while i < len(lines):
        line = lines[i].rstrip(" \t\r")
        i += 1
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(("1 ", "2 ")):
            if name_no:
                raise TleError(f"{where(source, name_no)}name line {name!r} is not followed "
                               "by a TLE line 1")
            if not line.isprintable():
                raise TleError(f"{where(source, i)}non-printable character in the name line "
                               f"{line!r}")
            name, name_no = (line[2:] if line.startswith("0 ") else line).strip(), i
            continue
        if line.startswith("2 "):
            raise _template_error(source, i, 2, line, "line 2 of a TLE without its line 1")
        line1, no1 = line, i
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines):
            raise _template_error(source, no1, 2, "", "line 1 of a TLE without its line 2")
        line2 = lines[i].rstrip(" \t\r")
        i += 1
        _check_layout(source, no1, 1, line1, verify_checksum)
        _check_layout(source, i, 2, line2, verify_checksum)
        if line1[2:7] != line2[2:7]:
            raise TleError(f"{where(source, i)}catalogue number {line2[2:7]!r} on line 2 "
                           f"differs from {line1[2:7]!r} on line 1")
        try:
            fields = _fields(line1, line2)
        except (ValueError, IndexError) as exc:
            raise _template_error(source, no1, 1, f"{line1}\n{line2}",
                                  f"unreadable number ({exc})") from None
        fields.update(name=name, problem=_problem(fields), line1=line1, line2=line2,
                      source=source_name, line_no=no1)
        rows.append(fields)
        name, name_no = "", 0
    if name_no:
        raise TleError(f"{where(source, name_no)}name line {name!r} is not followed by a TLE")
    return _frame(rows)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(TLE_COLUMNS))
    frame["epoch"] = pd.to_datetime(frame["epoch"]).astype("datetime64[ns]")
    for col in ("norad_id", "rev_number", "element_set", "line_no"):
        frame[col] = frame[col].astype("int64")
    for col in ("name", "intl_designator", "classification", "problem", "line1", "line2",
                "source"):
        frame[col] = frame[col].astype("string")
    return frame


def read(path_or_paths: str | PathLike[str] | Sequence[str | PathLike[str]], *,
         verify_checksum: bool = True) -> pd.DataFrame:
    """Read one or more TLE files (plain or gzipped) into one table.

    Parameters
    ----------
    path_or_paths
        A file or a list of files.
    verify_checksum
        Check the checksum of every line (see :func:`parse`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TLE_COLUMNS`, in file order.

    Examples
    --------
    >>> from pathlib import Path
    >>> tles = read(Path("../shared/data/tle/celestrak_science_20191118.tle"))  # doctest: +SKIP
    >>> tles.loc[tles.norad_id == 43194, "inclination_deg"].item()  # doctest: +SKIP
    97.4135
    """
    paths = ([path_or_paths] if isinstance(path_or_paths, str | PathLike) else
             list(path_or_paths))
    frames = []
    for path in paths:
        raw = read_bytes(path)
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise TleError(f"{where(path, line)}non-ASCII byte in a TLE file") from None
        frames.append(parse(text, source=path, verify_checksum=verify_checksum))
    if not frames:
        return _frame([])
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def can_read(path: Path) -> bool:
    """Cheap sniff: a ``1 NNNNN`` line followed by a ``2 NNNNN`` line near the start."""
    lines = head(path, 2048).decode("ascii", "replace").splitlines()
    for a, b in itertools.pairwise(lines):
        if a.startswith("1 ") and b.startswith("2 ") and len(a.rstrip()) >= 64:
            return a[2:7] == b[2:7]
    return False


def nearest(tles: pd.DataFrame, norad_id: int, when: Any, *,
            max_age_days: float = MAX_AGE_DAYS) -> pd.Series:
    """The element set of one satellite whose epoch is nearest to ``when``.

    Warns (:class:`TleAgeWarning`, with the age in days) when that epoch is more than
    ``max_age_days`` from ``when`` or the set is flagged in its ``problem`` column.

    Parameters
    ----------
    tles
        A table from :func:`read`.
    norad_id
        The NORAD catalogue number.
    when
        The time of interest (anything :class:`pandas.Timestamp` accepts; naive UTC).
    max_age_days
        Age in days beyond which to warn.

    Returns
    -------
    pandas.Series
        One row of ``tles``.
    """
    mine = tles[tles["norad_id"] == int(norad_id)]
    if mine.empty:
        raise TleError(f"no TLE for NORAD {norad_id} among {len(tles)} element sets")
    t = pd.Timestamp(when)
    age = (mine["epoch"] - t).abs()
    row = mine.iloc[int(np.argmin(age.to_numpy()))]
    warn_if_stale(row, t, max_age_days=max_age_days)
    return row


def warn_if_stale(row: pd.Series, when: pd.Timestamp, *,
                  max_age_days: float = MAX_AGE_DAYS, stacklevel: int = 3) -> None:
    """Warn if the element set ``row`` is far in epoch from ``when`` or flagged."""
    days = (when - row["epoch"]) / pd.Timedelta(days=1)
    label = f"TLE of NORAD {row['norad_id']} ({str(row['name']).strip() or 'no name'})"
    if abs(days) > max_age_days:
        side = "after" if days > 0 else "before"
        warnings.warn(f"{label}: {when} is {abs(days):.1f} days {side} its epoch "
                      f"{row['epoch']}; SGP4 errors grow by km per day",
                      TleAgeWarning, stacklevel=stacklevel)
    if row["problem"]:
        warnings.warn(f"{label} epoch {row['epoch']}: {row['problem']}", TleAgeWarning,
                      stacklevel=stacklevel)


register("tle", "tle", can_read, read,
         "Two-line element sets (2-line/3-line, CelesTrak, histories)")
