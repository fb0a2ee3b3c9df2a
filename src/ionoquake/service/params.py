"""Parameters the API's endpoints share: validated types, spans, boxes, and fast JSON.

Bad values get a 4xx answer that says what is wrong (FastAPI's 422 for types and
ranges, 400 for the checks below).
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations at run time.
import datetime as dt
from typing import Annotated, Any

import orjson
from fastapi import HTTPException, Query
from fastapi.responses import Response

MAX_ROWS = 10_000
MAX_SPAN_DAYS = 366
MAX_SERIES_DAYS = 62
#: The times the maps and tracks can hold: nanosecond datetime64 (pandas' Timestamp)
#: spans 1677-09-21 .. 2262-04-11; whole years inside it leave room for the days of
#: background read before a start and for a run's learning period.
EARLIEST = dt.datetime(1678, 1, 1)
LATEST = dt.datetime(2262, 1, 1)

Limit = Annotated[int, Query(ge=1, le=MAX_ROWS, description=f"Page size (1..{MAX_ROWS}).")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="Rows to skip.")]
Start = Annotated[dt.datetime | None, Query(description="From this UTC time (ISO 8601).")]
End = Annotated[dt.datetime | None, Query(description="Until this UTC time (exclusive).")]
Fmt = Annotated[str, Query(pattern="^(json|geojson)$", description="json or geojson.")]
Lat = Annotated[float, Query(ge=-90, le=90, description="Latitude (degrees north).")]
Lon = Annotated[float, Query(ge=-180, le=180, description="Longitude (degrees east).")]
Bbox = Annotated[str | None, Query(description="west,south,east,north in degrees; west > east "
                                               "crosses the antimeridian.")]


def as_json(content: Any) -> Response:
    """``content`` serialised by orjson (numpy arrays natively, NaN as null)."""
    return Response(orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY),
                    media_type="application/json")


def naive(t: dt.datetime | None) -> dt.datetime | None:
    """``t`` as naive UTC (the database's and the archive's convention)."""
    if t is None or t.tzinfo is None:
        return t
    try:
        return t.astimezone(dt.UTC).replace(tzinfo=None)
    except OverflowError:
        raise HTTPException(400, f"time {t.isoformat()} is out of range in UTC") from None


def check_time_range(t: dt.datetime, name: str) -> dt.datetime:
    """``t`` (naive UTC) if maps and tracks can hold it, else 400 saying which times can."""
    if not EARLIEST <= t < LATEST:
        raise HTTPException(400, f"{name} {t.isoformat()} is outside the times the maps and "
                                 f"tracks can hold: {EARLIEST.date()} to "
                                 f"{(LATEST - dt.timedelta(days=1)).date()} (UTC)")
    return t


def check_span(start: dt.datetime | None, end: dt.datetime | None, max_days: int,
                    required: bool = False) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``start``/``end`` as naive UTC, checked: ordered, at most ``max_days`` apart."""
    start, end = naive(start), naive(end)
    if required and (start is None or end is None):
        raise HTTPException(400, "give both start and end")
    if start is not None and end is not None:
        if end <= start:
            raise HTTPException(400, f"end {end.isoformat()} is not after start "
                                     f"{start.isoformat()}")
        if (end - start).days > max_days:
            raise HTTPException(400, f"time span {(end - start).days} days exceeds the maximum "
                                     f"of {max_days} days")
    return start, end


def series_span(start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """A required span of at most MAX_SERIES_DAYS (point series) of times maps can hold."""
    s, e = check_span(start, end, MAX_SERIES_DAYS, required=True)
    assert s is not None and e is not None
    return check_time_range(s, "start"), check_time_range(e, "end")


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``west,south,east,north`` in degrees (west > east crosses the antimeridian)."""
    if text is None:
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError:
        raise HTTPException(400, "bbox must be four numbers: west,south,east,north") from None
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south < north <= 90):
        raise HTTPException(400, "bbox out of range: west/east in -180..180, "
                                 "south < north in -90..90")
    return west, south, east, north



def in_box(lat: Any, lon: Any, box: tuple[float, float, float, float]) -> list[Any]:
    """SQL conditions: the point ``(lat, lon)`` (columns) inside ``box`` (antimeridian-aware)."""
    import sqlalchemy as sa

    west, south, east, north = box
    return [lat.between(south, north),
            lon.between(west, east) if west <= east else sa.or_(lon >= west, lon <= east)]
