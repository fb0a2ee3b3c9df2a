"""Satellite ground tracks for the map: ``/api/satellites`` and ``/api/tracks``.

A track is propagated by SGP4 (:func:`ionoquake.orbits.track.ground_track`) from the
one stored element set whose epoch is nearest to the middle of the requested span,
the usual SGP4 practice of using the set nearest in time. One set per track keeps the
line continuous (no jump where the choice would switch sets) and lets the feature
carry one ``tle_epoch`` and one ``tle_age_days``; spans are at most a day, so the
choice differs from a per-time one only when a set boundary falls inside the span.

GeoJSON lines are split where the track crosses the antimeridian: the crossing
latitude is interpolated and each piece ends on ±180°, so no segment runs across the
whole map. Nothing from a request reaches the file system: satellites are looked up
by NORAD number in the stored table.
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of the route
# functions at run time.
import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from ionoquake.errors import StoreError
from ionoquake.orbits.track import ground_track
from ionoquake.service.geojson import records
from ionoquake.service.params import as_geojson, as_json, check_time_range, naive
from ionoquake.service.schemas import (
    INTEGER,
    NUMBER,
    STRING,
    TIME,
    array_of,
    feature_collection,
    json_responses,
    nullable,
    obj,
)
from ionoquake.sources.tle import MAX_AGE_DAYS
from ionoquake.store.tles import read_tles, satellites, tles_path
from ionoquake.times import iso_utc

__all__ = ["MAX_SATELLITES", "MAX_SPAN", "StoredTles", "antimeridian_pieces",
           "router"]

MAX_SPAN = dt.timedelta(days=1)
#: Stored NORAD ids an unknown-id error lists (a full catalogue has ~14 000).
MAX_LISTED = 20
MAX_SATELLITES = 10
MIN_STEP_S, MAX_STEP_S = 10, 600
#: Decimal places of degrees in the answers: 1e-5 deg is 1.1 m on the ground.
DIGITS = 5

Coords = list[list[float]]


def antimeridian_pieces(lon_deg: Sequence[float], lat_deg: Sequence[float]) -> list[Coords]:
    """Split a track into ``[lon, lat]`` pieces that do not cross ±180° longitude.

    Where consecutive points are more than 180° apart in longitude, the track crossed
    the antimeridian: the crossing latitude is interpolated linearly in the unwrapped
    longitude, the piece ends on that side's edge (±180°) and the next one starts on
    the other. A NaN point ends a piece; pieces of fewer than two points are dropped.
    """
    pieces: list[Coords] = []
    piece: Coords = []
    prev: tuple[float, float] | None = None
    for x, y in zip(lon_deg, lat_deg, strict=True):
        if not (math.isfinite(x) and math.isfinite(y)):
            pieces.append(piece)
            piece, prev = [], None
            continue
        if prev is not None and abs(x - prev[0]) > 180.0:
            edge = 180.0 if prev[0] > 0 else -180.0
            unwrapped = x + 2 * edge
            y_cross = prev[1] + (edge - prev[0]) / (unwrapped - prev[0]) * (y - prev[1])
            piece.append([edge, round(y_cross, DIGITS)])
            pieces.append(piece)
            piece = [[-edge, round(y_cross, DIGITS)]]
        piece.append([round(x, DIGITS), round(y, DIGITS)])
        prev = (x, y)
    pieces.append(piece)
    return [p for p in pieces if len(p) >= 2]


def _times(start: dt.datetime, end: dt.datetime, step_s: int) -> np.ndarray:
    """start, start + step, ... up to and including end when it falls on the grid."""
    s, e = naive(start), naive(end)
    assert s is not None and e is not None
    if e <= s:
        raise HTTPException(400, f"end {e.isoformat()} is not after start {s.isoformat()}")
    s, e = check_time_range(s, "start"), check_time_range(e, "end")
    if e - s > MAX_SPAN:
        hours = (e - s) / dt.timedelta(hours=1)
        raise HTTPException(400, f"time span {hours:g} h exceeds the maximum of 24 h; "
                                 "ask for one day at a time")
    first = np.datetime64(s, "ns")
    step = np.timedelta64(step_s, "s")
    return np.arange(first, np.datetime64(e, "ns") + np.timedelta64(1, "ns"), step)


def _track(sets: pd.DataFrame, times: np.ndarray) -> dict[str, Any]:
    """The ground track of one satellite from its set nearest to the span's middle."""
    middle = times[0] + (times[-1] - times[0]) / 2
    k = int(np.argmin(np.abs(sets["epoch"].to_numpy() - middle)))
    # Age and flags go into the answer, not into warnings in the server's log.
    row = sets.iloc[[k]].assign(problem="")
    track = ground_track(row, times, max_age_days=math.inf)
    age_days = float((middle - row["epoch"].iloc[0]) / np.timedelta64(1, "D"))
    notes = []
    if abs(age_days) > MAX_AGE_DAYS:
        notes.append(f"the TLE epoch is {abs(age_days):.1f} days from the middle of the span "
                     f"(more than {MAX_AGE_DAYS:g}); SGP4 errors grow by km per day")
    if problem := str(sets["problem"].iloc[k] or ""):
        notes.append(problem)
    n_failed = int(np.isnan(track["lat"].values).sum())
    if n_failed:
        notes.append(f"SGP4 failed at {n_failed} of {times.size} times (left out)")
    name = str(row["name"].iloc[0]).strip()
    return {"norad_id": int(row["norad_id"].iloc[0]), "name": name,
            "tle_epoch": iso_utc(row["epoch"].iloc[0]),
            "tle_age_days": round(age_days, 3), "warning": "; ".join(notes),
            "lat": track["lat"].values, "lon": track["lon"].values,
            "alt_km": track["alt"].values}


def _rounded(values: np.ndarray, digits: int) -> list[float | None]:
    return [None if not math.isfinite(v) else round(float(v), digits) for v in values]


def _feature(track: dict[str, Any], start: str, end: str, step_s: int) -> dict[str, Any]:
    pieces = antimeridian_pieces(track["lon"].tolist(), track["lat"].tolist())
    geometry: dict[str, Any] | None = None
    if len(pieces) == 1:
        geometry = {"type": "LineString", "coordinates": pieces[0]}
    elif pieces:
        geometry = {"type": "MultiLineString", "coordinates": pieces}
    properties = {k: track[k] for k in ("norad_id", "name", "tle_epoch", "tle_age_days",
                                        "warning")}
    properties.update(start=start, end=end, step_s=step_s)
    return {"type": "Feature", "id": str(track["norad_id"]), "geometry": geometry,
            "properties": properties}


class StoredTles:
    """The archive's element sets, read again only when the table file changes."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self._cached: tuple[tuple[int, int], pd.DataFrame] | None = None

    def table(self) -> pd.DataFrame:
        """The stored element sets (404 when there are none)."""
        path = tles_path(self.store)
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise HTTPException(404, "no TLEs in the archive; ingest a TLE file first "
                                     "(ionoquake ingest FILE.tle)") from None
        stamp = (stat.st_mtime_ns, stat.st_ino)
        cached = self._cached
        if cached is None or cached[0] != stamp:
            try:
                cached = (stamp, read_tles(self.store))
            except StoreError as exc:  # removed between stat and read
                raise HTTPException(404, str(exc)) from None
            self._cached = cached
        return cached[1]


def stored_tles(request: Request) -> StoredTles:
    """The application's element sets (``app.state.tles``)."""
    tles: StoredTles = request.app.state.tles
    return tles


Tles = Annotated[StoredTles, Depends(stored_tles)]
router = APIRouter(tags=["satellites"])


_TRACK_PROPERTIES = {"norad_id": INTEGER, "name": STRING, "tle_epoch": TIME,
                     "tle_age_days": NUMBER, "warning": STRING}


@router.get("/api/satellites", summary="Satellites with stored TLEs", response_model=None,
            responses=json_responses(array_of(obj(
                {"norad_id": INTEGER, "name": STRING, "first_epoch": TIME, "last_epoch": TIME,
                 "n_tles": INTEGER}, required=("norad_id",)))))
def list_satellites(tles: Tles) -> list[dict[str, Any]]:
    """NORAD number, name, first and last TLE epoch and number of TLEs per satellite."""
    return records(satellites(tles.table()))

@router.get("/api/tracks", summary="Ground tracks of satellites (SGP4)", response_model=None,
            responses=json_responses(
                obj({"start": TIME, "end": TIME, "step_s": INTEGER, "time": array_of(TIME),
                     "tracks": array_of(obj({
                         **_TRACK_PROPERTIES, "lat": array_of(nullable(NUMBER)),
                         "lon": array_of(nullable(NUMBER)),
                         "alt_km": array_of(nullable(NUMBER))}))}),
                feature_collection({**_TRACK_PROPERTIES, "start": TIME, "end": TIME,
                                    "step_s": INTEGER})))
def tracks(
    tles: Tles,
    norad_id: Annotated[list[int], Query(
        min_length=1, max_length=MAX_SATELLITES,
        description=f"NORAD catalogue number; repeat for several (at most "
                    f"{MAX_SATELLITES}).")],
    start: Annotated[dt.datetime, Query(description="From this UTC time (ISO 8601).")],
    end: Annotated[dt.datetime, Query(
        description="Until this UTC time (included if on the step grid); at most a day "
                    "after start.")],
    step_s: Annotated[int, Query(ge=MIN_STEP_S, le=MAX_STEP_S,
                                 description="Seconds between track points.")] = 60,
    format: Annotated[str, Query(pattern="^(json|geojson)$", description=(
        "geojson: a FeatureCollection of (Multi)LineStrings split at the antimeridian; "
        "json: times, lat, lon, alt_km per satellite."))] = "geojson",
) -> Response:
    """Sub-satellite tracks, each from the stored TLE nearest to the span's middle."""
    times = _times(start, end, step_s)
    table = tles.table()
    wanted = list(dict.fromkeys(norad_id))
    known = set(table["norad_id"].tolist())
    unknown = [i for i in wanted if i not in known]
    if unknown:
        shown = sorted(known)[:MAX_LISTED]
        more = f" and {len(known) - len(shown)} more (GET /api/satellites)" \
            if len(known) > len(shown) else ""
        raise HTTPException(404, f"no TLE of NORAD {', '.join(map(str, unknown))} in the "
                                 f"archive; stored: {', '.join(map(str, shown))}{more}")
    found = [_track(table[table["norad_id"] == i], times) for i in wanted]
    first, last = str(iso_utc(times[0])), str(iso_utc(times[-1]))
    if format == "geojson":
        return as_geojson({"type": "FeatureCollection",
                           "features": [_feature(t, first, last, step_s) for t in found]})
    return as_json({"start": first, "end": last, "step_s": step_s,
            "time": [iso_utc(t) for t in times],
            "tracks": [{**{k: t[k] for k in ("norad_id", "name", "tle_epoch",
                                             "tle_age_days", "warning")},
                        "lat": _rounded(t["lat"], DIGITS),
                        "lon": _rounded(t["lon"], DIGITS),
                        "alt_km": _rounded(t["alt_km"], 3)} for t in found]})

