"""Parameters the API's endpoints share: validated types, spans, boxes, and fast JSON.

Bad values get a 4xx answer that says what is wrong (FastAPI's 422 for types and
ranges, 400 for the checks below). Every parameter is checked, including the ones an
endpoint does not take: :func:`known_query`, a dependency of every ``/api`` router,
answers 400 naming an unknown query parameter and listing the endpoint's own (so
``?format=geojson`` where there is no GeoJSON, or a misspelt ``?min_magnitde=``, is
never silently ignored). Times are ISO 8601; a ``Z`` or an offset is converted to UTC,
a time without one is taken as UTC.
"""

# No ``from __future__ import annotations``: FastAPI reads these annotations at run time.
import datetime as dt
from typing import Annotated, Any

import orjson
from fastapi import HTTPException, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import Response
from fastapi.routing import APIRoute

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
Start = Annotated[dt.datetime | None, Query(
    description="From this time (ISO 8601; Z or an offset, else taken as UTC).")]
End = Annotated[dt.datetime | None, Query(
    description="Until this time, exclusive (ISO 8601; Z or an offset, else UTC).")]
Fmt = Annotated[str, Query(pattern="^(json|geojson|csv)$",
                          description="json, geojson or csv (CSV: the page's rows, the total "
                                      "in the X-Total-Count header).")]
TableFmt = Annotated[str, Query(pattern="^(json|csv)$",
                               description="json or csv (CSV: the page's rows, the total in "
                                           "the X-Total-Count header).")]
ArrayFmt = Annotated[str, Query(pattern="^(json|netcdf)$",
                               description="json or netcdf (CF-1.8 NetCDF, units in the file).")]
Lat = Annotated[float, Query(ge=-90, le=90, description="Latitude (degrees north).")]
Lon = Annotated[float, Query(ge=-180, le=180, description="Longitude (degrees east).")]
Bbox = Annotated[str | None, Query(description="west,south,east,north in degrees; west > east "
                                               "crosses the antimeridian.")]


GEOJSON_MEDIA_TYPE = "application/geo+json"  # RFC 7946 section 12


def as_json(content: Any, media_type: str = "application/json") -> Response:
    """``content`` serialised by orjson (numpy arrays natively, NaN as null)."""
    return Response(orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY),
                    media_type=media_type)


def as_geojson(content: Any) -> Response:
    """A GeoJSON object, served as ``application/geo+json`` (RFC 7946)."""
    return as_json(content, GEOJSON_MEDIA_TYPE)


CSV_MEDIA_TYPE = "text/csv; charset=utf-8"  # RFC 4180
NETCDF_MEDIA_TYPE = "application/x-netcdf"


def as_csv(page: dict[str, Any], name: str) -> Response:
    """The rows of a table page as CSV (times as in JSON: ISO 8601 UTC with Z); the total
    number of rows of the query in ``X-Total-Count``."""
    import pandas as pd

    text = pd.DataFrame(page["items"]).to_csv(index=False)
    return Response(text, media_type=CSV_MEDIA_TYPE,
                    headers={"X-Total-Count": str(page["total"]),
                             "Content-Disposition": f'inline; filename="{name}.csv"'})


def as_netcdf(ds: Any, name: str, *, title: str, source: str) -> Response:
    """``ds`` as CF-1.8 NetCDF (classic format, :func:`ionoquake.store.cf.cf_encode`)."""
    from ionoquake.store.cf import cf_encode

    encoded, encoding = cf_encode(ds, title=title, source=source, institution="ionoquake")
    body = encoded.to_netcdf(encoding=encoding)
    return Response(bytes(body), media_type=NETCDF_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}.nc"'})


_KNOWN: dict[int, frozenset[str]] = {}


def _query_params(dependant: Dependant) -> set[str]:
    """The query parameters of ``dependant`` and of its dependencies, by their names."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_params(sub)
    return names


def _query_names(route: APIRoute) -> frozenset[str]:
    names = _KNOWN.get(id(route))
    if names is None:
        names = _KNOWN[id(route)] = frozenset(_query_params(route.dependant))
    return names


def known_query(request: Request) -> None:
    """400 if the request has a query parameter its endpoint does not take."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    allowed = _query_names(route)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        takes = ", ".join(sorted(allowed)) or "none"
        raise HTTPException(400, f"unknown query parameter{'s' if len(unknown) > 1 else ''} "
                                 f"{', '.join(repr(u[:40]) for u in unknown[:5])} for "
                                 f"{route.path}; it takes: {takes}")


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
