"""Ground stations: the table of antennas that receive satellite downlinks.

One table, built here (:data:`STATION_COLUMNS`):

========================  =====  ===========================================================
column                    units  meaning
========================  =====  ===========================================================
``name``                  —      unique station name
``agency``                —      operator (CNSA/AIRCAS, ESA, KSAT, ...)
``lat``                   deg    WGS84 geodetic latitude, −90..90
``lon``                   deg    longitude, −180..180
``height_m``              m      height above the WGS84 ellipsoid, −500..9000
``elevation_mask_deg``    deg    lowest elevation the antenna tracks, 0..90
``downlink_mbps``         Mbit/s the rate a pass delivers, > 0
========================  =====  ===========================================================

Read from TOML (``[[station]]`` tables, see ``data/stations.toml``) or CSV with these
column names. A value out of range raises :class:`StationError` naming the file, the
station and the field. Each station has one antenna: it tracks one satellite at a time
(:mod:`ionoquake.orbits.contacts` resolves conflicts).

The Earth-fixed position and the local "up" (the ellipsoid normal) use WGS84
(NIMA TR8350.2, a = 6378.137 km, 1/f = 298.257223563), as skyfield's ``wgs84.latlon``.
"""

from __future__ import annotations

import tomllib
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ionoquake.errors import IonoquakeError
from ionoquake.orbits.frames import WGS84_A_KM, WGS84_F

__all__ = ["BUNDLED_STATIONS", "STATION_COLUMNS", "StationError", "check_stations",
           "read_stations", "station_frame", "station_vectors"]

STATION_COLUMNS = ("name", "agency", "lat", "lon", "height_m", "elevation_mask_deg",
                   "downlink_mbps")
#: The example table shipped with ionoquake (CSES and Swarm ground segments).
BUNDLED_STATIONS = Path(__file__).resolve().parents[3] / "data" / "stations.toml"

#: Valid range of each numeric field (inclusive); ``downlink_mbps`` must also be > 0.
_RANGES = {"lat": (-90.0, 90.0), "lon": (-180.0, 180.0), "height_m": (-500.0, 9000.0),
           "elevation_mask_deg": (0.0, 90.0), "downlink_mbps": (0.0, 1.0e5)}
_E2 = WGS84_F * (2.0 - WGS84_F)

Float = NDArray[np.float64]


class StationError(IonoquakeError):
    """A stations file is malformed or holds a value out of range."""


def station_frame(rows: list[dict[str, Any]], *, source: str = "stations") -> pd.DataFrame:
    """The checked station table of ``rows`` (dicts with :data:`STATION_COLUMNS` keys)."""
    for k, row in enumerate(rows, 1):
        missing = [c for c in STATION_COLUMNS if c not in row]
        if missing:
            label = row.get("name", f"#{k}")
            raise StationError(f"{source}: station {label}: missing field {missing[0]!r}")
    frame = pd.DataFrame([{c: row[c] for c in STATION_COLUMNS} for row in rows],
                         columns=list(STATION_COLUMNS))
    return check_stations(frame, source=source)


def check_stations(frame: pd.DataFrame, *, source: str = "stations") -> pd.DataFrame:
    """Validate a station table; return it typed and indexed 0..n−1.

    Raises
    ------
    StationError
        Naming the source, the first offending station and field.
    """
    missing = [c for c in STATION_COLUMNS if c not in frame.columns]
    if missing:
        raise StationError(f"{source}: missing column {missing[0]!r}")
    if frame.empty:
        raise StationError(f"{source}: no station")
    out = frame[list(STATION_COLUMNS)].reset_index(drop=True).copy()
    out["name"] = out["name"].astype(str).str.strip()
    out["agency"] = out["agency"].astype(str).str.strip()
    for k, name in enumerate(out["name"]):
        if not name:
            raise StationError(f"{source}: station #{k + 1}: empty name")
    dup = out["name"][out["name"].duplicated()]
    if not dup.empty:
        raise StationError(f"{source}: station {dup.iloc[0]}: name used twice")
    for col, (lo, hi) in _RANGES.items():
        values = pd.to_numeric(out[col], errors="coerce").to_numpy(dtype=float)
        bad = ~((values >= lo) & (values <= hi))
        if col == "downlink_mbps":
            bad |= values <= 0
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raw = out[col].iloc[k]
            shown = repr(raw) if isinstance(raw, str) else f"{float(raw):g}"
            rule = f"> 0 and ≤ {hi:g}" if col == "downlink_mbps" else f"in {lo:g}..{hi:g}"
            raise StationError(f"{source}: station {out['name'].iloc[k]}: {col} = {shown} "
                               f"is not {rule}")
        out[col] = values
    return out


def read_stations(path: str | PathLike[str] | None = None) -> pd.DataFrame:
    """Read a stations file: TOML (``[[station]]`` tables) or CSV; default the bundled one."""
    p = Path(path) if path is not None else BUNDLED_STATIONS
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StationError(f"{p}: no such stations file") from None
    if p.suffix.lower() == ".csv":
        from io import StringIO

        try:
            frame = pd.read_csv(StringIO(text), comment="#", skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise StationError(f"{p}: not a stations CSV: {str(exc).splitlines()[0]}") from None
        return check_stations(frame, source=p.name)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StationError(f"{p}: not valid TOML: {exc}") from None
    rows = doc.get("station")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise StationError(f"{p}: expected [[station]] tables")
    return station_frame(rows, source=p.name)


def station_vectors(stations: pd.DataFrame) -> tuple[Float, Float]:
    """Earth-fixed positions (km) and unit "up" normals of the stations, each (n, 3)."""
    lat = np.radians(stations["lat"].to_numpy(float))
    lon = np.radians(stations["lon"].to_numpy(float))
    h = stations["height_m"].to_numpy(float) / 1000.0
    n = WGS84_A_KM / np.sqrt(1.0 - _E2 * np.sin(lat) ** 2)
    pos = np.stack([(n + h) * np.cos(lat) * np.cos(lon), (n + h) * np.cos(lat) * np.sin(lon),
                    (n * (1.0 - _E2) + h) * np.sin(lat)], axis=-1)
    up = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)
    return pos, up
