"""The text of a RINEX-family file, and fast fixed-width number columns.

Shared by the RINEX observation and navigation readers and the SP3 reader:

* :func:`rinex_lines` gives the lines of a file that may be gzip (``.gz``),
  Unix-compress (``.Z``) and/or Hatanaka-compressed (CRINEX 1 and 3, decoded with the
  ``hatanaka`` package's C ``crx2rnx``), with ``\\r\\n`` line ends normalised;
* :func:`fixed_width_floats` decodes one fixed-width column of many records at once
  with numpy's bytes-to-float64 cast (correctly rounded, so bit-identical to Python's
  ``float(field)``, which georinex uses); blank fields are NaN, and a column with
  anything numpy refuses (``1.5D+03``) is decoded field by field with ``float``.

Errors are :class:`RinexError` (an :class:`~ionoquake.errors.InputError`) naming the file
and the line.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import numpy as np

from ionoquake.errors import InputError, where
from ionoquake.sources.compression import decompress, head
from ionoquake.sources.compression import read_bytes as _read_bytes

#: First-line label of a Hatanaka-compressed file (CRINEX 1 and 3).
CRINEX_LABEL = b"CRINEX VERS   / TYPE"
#: First-line label of a RINEX file (observation, navigation, meteorological).
RINEX_LABEL = b"RINEX VERSION / TYPE"

class RinexError(InputError):
    """A RINEX, CRINEX or SP3 file that cannot be read; the message names the file and line."""


def fail(path: str | PathLike[str], line: int | None, message: str) -> RinexError:
    """A :class:`RinexError` ``"<file> line <n>: <message>"`` (``line`` 1-based)."""
    return RinexError(f"{where(path, line)}{message}")


def first_line(path: Path) -> bytes:
    """The first line of the (decompressed) file, for cheap sniffs."""
    return head(path, 512).split(b"\n", 1)[0].rstrip(b"\r")


def is_crinex(path: Path) -> bool:
    """True if the (gz/Z) file is Hatanaka-compressed."""
    return CRINEX_LABEL in first_line(path)


def rinex_lines(path: str | PathLike[str]) -> list[bytes]:
    """The lines of a RINEX/CRINEX/SP3 file, decompressed, without line ends."""
    path = Path(path)
    return lines_of(_read_bytes(path), path)


def lines_of(raw: bytes, path: Path) -> list[bytes]:
    """The lines of the (gzip/Z-decompressed) content ``raw`` of ``path``, CRINEX decoded."""
    if CRINEX_LABEL in raw[:200]:
        raw = _crx2rnx(raw, path)
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n")
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def _crx2rnx(raw: bytes, path: Path) -> bytes:
    """RINEX text of a Hatanaka-compressed file (the ``hatanaka`` package, C crx2rnx).

    crx2rnx warns and skips what it cannot decode (a truncated or damaged file); that is
    an error here, naming the CRINEX line crx2rnx names, so no half-read file passes.
    """
    import hatanaka

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = hatanaka.decompress(decompress(raw, path))
        except (ValueError, RuntimeError, OSError) as exc:
            message = " ".join(str(exc).split()) or type(exc).__name__
            raise fail(path, _crx_line(message), "cannot decompress Hatanaka CRINEX data: "
                                                 f"{message}") from None
    if caught:
        message = " ".join(str(caught[0].message).split())
        raise fail(path, _crx_line(message), f"damaged Hatanaka CRINEX data: {message}")
    return out if isinstance(out, bytes) else out.encode("ascii", "replace")


def _crx_line(message: str) -> int | None:
    """The line number in a crx2rnx message ("crx2rnx: line 1351 : ...")."""
    found = re.search(r"line (\d+)", message)
    return int(found.group(1)) if found else None


def byte_matrix(records: Sequence[bytes], width: int) -> np.ndarray:
    """``records`` as a ``(n, width)`` uint8 array, truncated or padded with blanks."""
    if not records:
        return np.zeros((0, width), dtype=np.uint8)
    buf = b"".join(r[:width].ljust(width) for r in records)
    return np.frombuffer(buf, dtype=np.uint8).reshape(len(records), width)


def fixed_width_floats(matrix: np.ndarray, start: int, width: int, *,
                       path: str | PathLike[str] = "<text>",
                       line_numbers: np.ndarray | None = None, what: str = "value") -> np.ndarray:
    """Decode columns ``start:start+width`` of every row of ``matrix`` as float64.

    Blank fields give NaN; a field that is not a number raises :class:`RinexError`
    naming the line (``line_numbers[row]``, 1-based) and ``what`` (the field, its column).
    """
    field = np.ascontiguousarray(matrix[:, start:start + width])
    n, w = field.shape
    out = np.full(n, np.nan)
    if n == 0 or w == 0:
        return out
    text = field.view(f"S{w}").ravel()
    filled = np.flatnonzero(text != b" " * w)
    try:
        out[filled] = text[filled].astype(np.float64)
    except ValueError:
        for row in filled.tolist():
            out[row] = _one_float(text[row], path, row, line_numbers, start, width, what)
    if not np.isfinite(out[filled]).all():  # "nan", "inf", 1e999: not a RINEX number
        bad = int(filled[~np.isfinite(out[filled])][0])
        line = None if line_numbers is None else int(line_numbers[bad])
        raise fail(path, line, f"{what}: {text[bad].decode('ascii', 'replace').strip()!r} is "
                               "not a finite number")
    return out


def _one_float(raw: bytes, path: str | PathLike[str], row: int, line_numbers: np.ndarray | None,
               start: int, width: int, what: str) -> float:
    """One field that numpy would not cast: Fortran ``D`` exponents, else an error."""
    text = raw.decode("ascii", "replace")
    try:
        return float(text.replace("D", "E").replace("d", "e"))
    except ValueError:
        line = None if line_numbers is None else int(line_numbers[row])
        raise fail(path, line, f"{what}: {text.strip()!r} is not a number") from None


def sniff_rinex(path: Path, type_letters: bytes, *, crinex: bool) -> bool:
    """True if the first line is a RINEX (or, if ``crinex``, CRINEX) header of a type in
    ``type_letters`` (column 21 of ``RINEX VERSION / TYPE``)."""
    line = first_line(path)
    if crinex and CRINEX_LABEL in line:
        return True
    return (RINEX_LABEL in line and len(line) > 20 and line[20:21] in
            [type_letters[i:i + 1] for i in range(len(type_letters))])
