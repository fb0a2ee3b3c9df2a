"""The IONEX header: records, tolerant label matching, the grid it defines.

Producers differ in small ways the reader tolerates without guessing values:
labels shifted off column 61 or spelled with underscores (``MAPPING_FUNCTION``),
numbers written as ``.0``, float seconds in epochs, unknown records (ignored, and
listed in ``attrs["ignored_records"]``). Anything that would change a value --
an unreadable grid, a grid whose steps do not divide its range -- is an error.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ionoquake.errors import IonoquakeError, where

LABELS = (
    "IONEX VERSION / TYPE", "PGM / RUN BY / DATE", "DESCRIPTION", "COMMENT",
    "EPOCH OF FIRST MAP", "EPOCH OF LAST MAP", "INTERVAL", "# OF MAPS IN FILE",
    "MAPPING FUNCTION", "ELEVATION CUTOFF", "OBSERVABLES USED", "# OF STATIONS",
    "# OF SATELLITES", "BASE RADIUS", "MAP DIMENSION", "HGT1 / HGT2 / DHGT",
    "LAT1 / LAT2 / DLAT", "LON1 / LON2 / DLON", "EXPONENT", "START OF AUX DATA",
    "END OF AUX DATA", "PRN / BIAS / RMS", "STATION / BIAS / RMS", "SYS / #STA / #SAT",
    "SYS / DCB SOURCE", "DOI", "LICENSE OF USE", "STATION INFORMATION",
)
_BY_LENGTH = sorted(LABELS, key=len, reverse=True)


class IonexError(IonoquakeError):
    """An IONEX file is malformed; the message names the file and line."""


@dataclass
class IonexHeader:
    """The header records that define how to read the maps, plus descriptive metadata."""

    version: str = ""
    system: str = ""
    program: str = ""
    run_by: str = ""
    date: str = ""
    n_maps: int | None = None
    interval_s: float | None = None
    first_epoch: str = ""
    last_epoch: str = ""
    mapping_function: str = ""
    elevation_cutoff_deg: float | None = None
    observables: str = ""
    n_stations: int | None = None
    n_satellites: int | None = None
    base_radius_km: float | None = None
    map_dimension: int = 2
    hgt: tuple[float, float, float] = (np.nan, np.nan, 0.0)
    lat: tuple[float, float, float] = (np.nan, np.nan, np.nan)
    lon: tuple[float, float, float] = (np.nan, np.nan, np.nan)
    exponent: int = -1  # the specification's default
    description: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    satellites: list[str] = field(default_factory=list)
    stations: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    @property
    def nlat(self) -> int:
        return _count(*self.lat)

    @property
    def nlon(self) -> int:
        return _count(*self.lon)

    @property
    def lat_values(self) -> np.ndarray:
        return np.round(self.lat[0] + self.lat[2] * np.arange(self.nlat), 6)

    @property
    def lon_values(self) -> np.ndarray:
        return np.round(self.lon[0] + self.lon[2] * np.arange(self.nlon), 6)

    def attrs(self, name: str) -> dict[str, Any]:
        """Dataset attributes (CF global attributes plus the IONEX header)."""
        producer = self.run_by.strip()
        out: dict[str, Any] = {
            "Conventions": "CF-1.8",
            "title": (self.comments[0] if self.comments else "IONEX global ionosphere maps"),
            "institution": producer,
            "source": self.program.strip(),
            "source_file": name,
            "ionex_version": self.version,
            "producer": producer,
            "product": product_id(name),
            "gnss_system": self.system,
            "created": self.date.strip(),
            "shell_height_km": float(self.hgt[0]),
            "mapping_function": self.mapping_function,
            "observables": self.observables,
            "exponent": int(self.exponent),
            "lat_step_deg": float(self.lat[2]),
            "lon_step_deg": float(self.lon[2]),
        }
        optional = {
            "elevation_cutoff_deg": self.elevation_cutoff_deg,
            "base_radius_km": self.base_radius_km,
            "interval_s": self.interval_s,
            "n_stations": self.n_stations,
            "n_satellites": self.n_satellites,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        if self.description:
            out["description"] = "\n".join(self.description)
        if self.comments:
            out["comment"] = "\n".join(self.comments)
        if self.satellites:
            out["satellites"] = " ".join(self.satellites)
        if self.stations:
            out["stations"] = " ".join(self.stations)
        if self.ignored:
            out["ignored_records"] = "; ".join(self.ignored)
        return out


#: The long IGS file names (from GPS week 2238, 2022-11-27) of the series that had short
#: names before: one product each, so a multi-year archive does not split at the renaming.
#: From the IGS "Guidelines for long product filenames" (IGS Mail 8090, 2022) and the
#: centres' archives (CODE: ``CODG`` -> ``COD0OPSFIN``, rapid ``CORG`` -> ``COD0OPSRAP``).
PRODUCT_ALIASES: dict[str, str] = {
    "cod0opsfin": "codg", "cod0opsrap": "corg",
    "jpl0opsfin": "jplg", "jpl0opsrap": "jprg",
    "esa0opsfin": "esag", "esa0opsrap": "esrg",
    "igs0opsfin": "igsg", "igs0opsrap": "igrg",
    "upc0opsfin": "upcg", "upc0opsrap": "uqrg",
    "emr0opsfin": "emrg", "cas0opsfin": "casg", "cas0opsrap": "carg",
    "whu0opsfin": "whug", "whu0opsrap": "whrg",
}


def canonical_product(name: str) -> str:
    """The product a name stands for: ``cod0opsfin`` and ``codg`` are both ``codg``.

    See :data:`PRODUCT_ALIASES`; any other name is returned in lower case.
    """
    lowered = name.lower()
    return PRODUCT_ALIASES.get(lowered, lowered)


def product_id(file_name: str) -> str:
    """The product a file belongs to, from its name: ``codg``, ``jplg``, ``esag``...

    Short names (``codg0080.20i``) give their four-letter centre+type code; long IGS
    names (``COD0OPSFIN_...``) their first ten characters, then the short product of the
    same series where there is one (:data:`PRODUCT_ALIASES`: ``COD0OPSFIN`` is ``codg``).
    """
    base = file_name.split("/")[-1]
    if (len(base) > 10 and base[9:11] in ("N_", "L_", "R_", "P_")) or "_" in base[:11]:
        return canonical_product(base[:10])
    return base[:4].lower()


def _count(start: float, stop: float, step: float) -> int:
    if step == 0:
        return 1
    n = (stop - start) / step
    if n < 0 or abs(n - round(n)) > 1e-6:
        raise ValueError(f"step {step:g} does not divide the range {start:g}..{stop:g}")
    return round(n) + 1


def split_label(line: str) -> tuple[str, str]:
    """``(content, label)`` of a header line, tolerating shifted or underscored labels."""
    body = line.rstrip()
    tail = body[60:].strip().replace("_", " ")
    if tail in LABELS:
        return body[:60], tail
    norm = body.replace("_", " ")
    for label in _BY_LENGTH:
        if norm.endswith(label):
            return body[: len(norm) - len(label)], label
    return body[:60], tail


def _floats(content: str, n: int, width: int = 6, offset: int = 2) -> tuple[float, ...]:
    """``n`` fixed-width floats (IONEX ``2X,nF6.1``), falling back to whitespace split."""
    try:
        fixed = tuple(float(content[offset + i * width: offset + (i + 1) * width])
                      for i in range(n))
        return fixed
    except ValueError:
        parts = content.split()
        if len(parts) < n:
            raise ValueError(f"expected {n} numbers, found {len(parts)}") from None
        return tuple(float(p) for p in parts[:n])


def parse_header(text: str, name: str) -> IonexHeader:
    """Parse the header (everything before ``END OF HEADER``)."""
    hdr = IonexHeader()
    lines = text.split("\n")
    if not lines or "IONEX VERSION / TYPE" not in lines[0]:
        raise IonexError(f"{where(name, 1)}not an IONEX file: the first record is not "
                         "IONEX VERSION / TYPE")
    seen: set[str] = set()
    in_aux = False
    skip_to = 0
    for n, line in enumerate(lines, start=1):
        if n < skip_to:
            continue
        # The bulk of a long header (comments, the DCB block) takes the short way.
        tail = line[60:].rstrip()
        if tail == "COMMENT":
            hdr.comments.append(line[:60].rstrip())
            continue
        if not line.strip():
            continue
        content, label = split_label(line)
        try:
            in_aux = _apply(hdr, label, content, in_aux)
        except IndexError:
            raise IonexError(f"{where(name, n)}{label} record has no value") from None
        except ValueError as exc:
            raise IonexError(f"{where(name, n)}unreadable {label}: {exc}") from None
        seen.add(label)
        if in_aux and label == "START OF AUX DATA":
            skip_to = _aux_block(hdr, lines, n)
    for required in ("LAT1 / LAT2 / DLAT", "LON1 / LON2 / DLON", "HGT1 / HGT2 / DHGT"):
        if required not in seen:
            raise IonexError(f"{name}: header has no {required} record")
    try:
        hdr.nlat, hdr.nlon  # noqa: B018 -- validates the grid
    except ValueError as exc:
        raise IonexError(f"{name}: bad grid in header: {exc}") from None
    return hdr


_AUX_RECORDS = frozenset(["COMMENT", "PRN / BIAS / RMS", "STATION / BIAS / RMS"])


def _aux_block(hdr: IonexHeader, lines: list[str], start: int) -> int:
    """Read the AUX DATA block after line ``start`` (1-based) at once, if it is plain.

    Plain: up to an ``END OF AUX DATA`` record, only COMMENT and PRN/STATION BIAS
    records with their labels in column 61 (DCB blocks hundreds of lines long). Returns
    the line of ``END OF AUX DATA`` for the caller to go on from, or ``start + 1`` when the
    block is not plain or a record is unreadable: the caller then reads it line by line
    (and says where a record is wrong).
    """
    tails = [line[60:].rstrip() for line in lines[start:]]
    try:
        n = tails.index("END OF AUX DATA")
    except ValueError:
        return start + 1
    tails = tails[:n]
    if not _AUX_RECORDS.issuperset(tails):
        return start + 1
    block = list(zip(lines[start:start + n], tails, strict=True))
    try:
        satellites = [_prn(line) for line, tail in block if tail == "PRN / BIAS / RMS"]
        # (_station inline: a DCB block has hundreds of stations)
        stations = [(name[-1] if (name := line[3:10].split()) else line[:60].split()[0])
                    for line, tail in block if tail == "STATION / BIAS / RMS"]
    except (IndexError, ValueError):
        return start + 1
    hdr.comments += [line[:60].rstrip() for line, tail in block if tail == "COMMENT"]
    hdr.satellites += satellites
    hdr.stations += stations
    return start + n + 1


def _prn(content: str) -> str:
    """The satellite of a ``PRN / BIAS / RMS`` record (``G05``; a bare number is GPS)."""
    prn = content[:6].strip()
    return prn if prn[:1].isalpha() else f"G{int(prn):02d}"


def _station(content: str) -> str:
    """The station of a ``STATION / BIAS / RMS`` record (``3X,A4`` or the first word)."""
    name = content[3:10].split()
    return name[-1] if name else content.split()[0]


def _apply(hdr: IonexHeader, label: str, c: str, in_aux: bool) -> bool:
    """Store one record's content in ``hdr``; return whether we are inside AUX DATA."""
    if label == "START OF AUX DATA":
        return True
    if label == "END OF AUX DATA":
        return False
    if label == "PRN / BIAS / RMS":
        hdr.satellites.append(_prn(c))
    elif label == "STATION / BIAS / RMS":
        hdr.stations.append(_station(c))
    elif in_aux:
        return True
    elif label == "IONEX VERSION / TYPE":
        hdr.version = c[:8].strip()
        hdr.system = c[40:60].strip()
        if c[20:21] not in ("I", ""):
            raise ValueError(f"file type {c[20:21]!r} is not I (ionosphere maps)")
    elif label == "PGM / RUN BY / DATE":
        hdr.program, hdr.run_by, hdr.date = c[:20].strip(), c[20:40].strip(), c[40:60].strip()
    elif label == "DESCRIPTION":
        hdr.description.append(c.rstrip())
    elif label == "COMMENT":
        hdr.comments.append(c.rstrip())
    elif label == "EPOCH OF FIRST MAP":
        hdr.first_epoch = " ".join(c.split())
    elif label == "EPOCH OF LAST MAP":
        hdr.last_epoch = " ".join(c.split())
    elif label == "INTERVAL":
        hdr.interval_s = float(c.split()[0])
    elif label == "# OF MAPS IN FILE":
        hdr.n_maps = int(c.split()[0])
    elif label == "MAPPING FUNCTION":
        hdr.mapping_function = c.strip()
    elif label == "ELEVATION CUTOFF":
        hdr.elevation_cutoff_deg = float(c.split()[0])
    elif label == "OBSERVABLES USED":
        hdr.observables = c.strip()
    elif label == "# OF STATIONS":
        hdr.n_stations = int(c.split()[0])
    elif label == "# OF SATELLITES":
        hdr.n_satellites = int(c.split()[0])
    elif label == "BASE RADIUS":
        hdr.base_radius_km = float(c.split()[0])
    elif label == "MAP DIMENSION":
        hdr.map_dimension = int(c.split()[0])
    elif label == "HGT1 / HGT2 / DHGT":
        hdr.hgt = _floats(c, 3)  # type: ignore[assignment]
    elif label == "LAT1 / LAT2 / DLAT":
        hdr.lat = _floats(c, 3)  # type: ignore[assignment]
    elif label == "LON1 / LON2 / DLON":
        hdr.lon = _floats(c, 3)  # type: ignore[assignment]
    elif label == "EXPONENT":
        hdr.exponent = int(c.split()[0])
    elif label not in LABELS:
        hdr.ignored.append(label or c.strip()[:20])
    return False


def parse_epoch(text: str, label: str, name: str, line: int | None = None) -> np.datetime64:
    """An IONEX epoch record (``6I6``: year, month, day, hour, minute, second) as datetime64[ns].

    ``label`` names the record in the error (``EPOCH OF CURRENT MAP``, ``EPOCH OF FIRST
    MAP``...); hour 24 is the next day's 00:00, as the format allows.
    """
    try:
        y, mo, d, h, mi = (int(v) for v in text[:60].split()[:5])
        sec = float(text[:60].split()[5])
        if not (1 <= mo <= 12 and 0 <= h <= 24 and 0 <= mi < 60 and 0 <= sec < 61):
            raise ValueError
        day = np.datetime64(f"{y:04d}-{mo:02d}-{d:02d}", "ns")
    except (ValueError, TypeError, IndexError):
        raise IonexError(f"{where(name, line)}unreadable {label}: "
                         f"{text[:60].strip()!r}") from None
    return day + np.timedelta64(round((h * 3600 + mi * 60 + sec) * 1e9), "ns")


@functools.lru_cache(maxsize=64)
def row_records(lats: tuple[float, ...],
                lon: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The LAT/LON1/LON2/DLON records of a grid as written with ``5F6.1`` (``S24``).

    Twice: as Python formats them, and with Fortran's optional zero before the point
    dropped (JPL writes the equator ``    .0``). Cached: a series has one grid.
    """
    formatted = np.array(["".join(f"{v:6.1f}" for v in (la, *lon[:3])) for la in lats],
                         dtype="S24")
    fortran = np.array(["".join(_f61_no_zero(v) for v in (la, *lon[:3])) for la in lats],
                       dtype="S24")
    formatted.flags.writeable = False
    fortran.flags.writeable = False
    return formatted, fortran


def _f61_no_zero(value: float) -> str:
    """``value`` as Fortran ``F6.1`` without the optional zero before the point (``  -.5``)."""
    text = f"{value:6.1f}"
    stripped = text.strip()
    if stripped.startswith(("0.", "-0.")):
        text = f"{stripped.replace('0.', '.', 1):>6s}"
    return text


@functools.lru_cache(maxsize=64)
def rows_text(lats: tuple[float, ...], lon: tuple[float, ...]) -> np.ndarray:
    """The two spellings of the grid's LAT records (:func:`row_records`) as bytes
    ``(2, nlat, 24)``."""
    formatted, fortran = row_records(lats, lon)
    out = np.stack([formatted.view(np.uint8).reshape(-1, 24),
                    fortran.view(np.uint8).reshape(-1, 24)])
    out.flags.writeable = False
    return out
