"""The read endpoints over the database: events, indices, alarms, clusters, anomalies, ...

Every listing is a page (``limit``, ``offset``) of one table, oldest first, with its
total; spans and boxes are checked (:mod:`ionoquake.service.params`). Columns keep their
table names, which are those of the files (a cluster's ``lon_west``/``lon_east``); times
are ISO 8601 UTC with ``Z``.
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of the route
# functions at run time.
import datetime as dt
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Query
from fastapi import Path as ApiPath
from fastapi.responses import Response

from ionoquake import __version__
from ionoquake.service.geojson import clusters_geojson, events_geojson, records
from ionoquake.service.params import (
    MAX_SPAN_DAYS,
    Bbox,
    End,
    Fmt,
    Limit,
    Offset,
    Start,
    TableFmt,
    as_csv,
    as_geojson,
    as_json,
    check_span,
    in_box,
    parse_bbox,
)
from ionoquake.service.schemas import (
    INTEGER,
    STRING,
    feature_collection,
    json_responses,
    obj,
    page_schema,
    row_schema,
)
from ionoquake.service.settings import Engine
from ionoquake.store import database, schema

__all__ = ["router", "table_page"]

router = APIRouter()


def table_page(engine: sa.Engine, table: sa.Table, time_col: str, start: dt.datetime | None,
               end: dt.datetime | None, limit: int, offset: int,
               extra: list[Any] | None = None) -> dict[str, Any]:
    """One page of ``table`` in ``[start, end)`` of ``time_col``, with the total count."""
    where = list(extra or [])
    if start is not None:
        where.append(table.c[time_col] >= start)
    if end is not None:
        where.append(table.c[time_col] < end)
    total = database.count(engine, table, where=where)
    rows = database.read(engine, table, where=where, order_by=time_col, limit=limit,
                         offset=offset)
    return {"total": total, "limit": limit, "offset": offset,
            "items": records(rows)}


@router.get("/api/health", response_model=None,
            responses=json_responses(obj({"status": STRING, "version": STRING})))
def health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


_EVENT_FEATURES = feature_collection(
    row_schema(schema.events)["properties"],
    extra={"total": INTEGER, "limit": INTEGER, "offset": INTEGER})


@router.get("/api/events", response_model=None,
            responses=json_responses(page_schema(schema.events), _EVENT_FEATURES, csv=True))
def list_events(engine: Engine, start: Start = None, end: End = None,
                min_magnitude: Annotated[float | None, Query(ge=-3, le=10)] = None,
                max_magnitude: Annotated[float | None, Query(ge=-3, le=10)] = None,
                bbox: Bbox = None,
                limit: Limit = 1000, offset: Offset = 0, format: Fmt = "json") -> Any:
    start, end = check_span(start, end, 100 * 366)
    box = parse_bbox(bbox)
    extra: list[Any] = []
    t = schema.events
    if min_magnitude is not None:
        extra.append(t.c.magnitude >= min_magnitude)
    if max_magnitude is not None:
        extra.append(t.c.magnitude <= max_magnitude)
    if box is not None:
        extra += in_box(t.c.latitude, t.c.longitude, box)
    page = table_page(engine, t, "time", start, end, limit, offset, extra)
    if format == "csv":
        return as_csv(page, "events")
    return as_geojson(events_geojson(page)) if format == "geojson" else as_json(page)


@router.get("/api/events/{event_id}", response_model=None,
            responses=json_responses(row_schema(schema.events)))
def get_event(engine: Engine,
              event_id: Annotated[str, ApiPath(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")],
              ) -> dict[str, Any]:
    rows = database.read(engine, schema.events, where=[schema.events.c.event_id == event_id])
    if rows.empty:
        raise HTTPException(404, f"no event {event_id!r}")
    return records(rows)[0]


@router.get("/api/indices", response_model=None,
            responses=json_responses(page_schema(schema.indices), csv=True))
def list_indices(engine: Engine, start: Start = None, end: End = None, limit: Limit = 1000,
                 offset: Offset = 0, format: TableFmt = "json") -> Response:
    start, end = check_span(start, end, MAX_SPAN_DAYS, required=True)
    return _answer(table_page(engine, schema.indices, "time", start, end, limit, offset),
                   "indices", format)


def _answer(page: dict[str, Any], name: str, format: str) -> Response:
    return as_csv(page, name) if format == "csv" else as_json(page)


def _listing(table: sa.Table, time_col: str, point: tuple[str, str] | None) -> Any:
    def endpoint(engine: Engine, start: Start = None, end: End = None, limit: Limit = 1000,
                 offset: Offset = 0, format: TableFmt = "json") -> Response:
        start, end = check_span(start, end, MAX_SPAN_DAYS)
        return _answer(table_page(engine, table, time_col, start, end, limit, offset),
                       table.name, format)

    def endpoint_in_box(engine: Engine, start: Start = None, end: End = None,
                        bbox: Bbox = None, limit: Limit = 1000,
                        offset: Offset = 0, format: TableFmt = "json") -> Response:
        start, end = check_span(start, end, MAX_SPAN_DAYS)
        box = parse_bbox(bbox)
        assert point is not None
        extra = [] if box is None else in_box(table.c[point[0]], table.c[point[1]], box)
        return _answer(table_page(engine, table, time_col, start, end, limit, offset, extra),
                       table.name, format)

    return endpoint if point is None else endpoint_in_box


@router.get("/api/clusters", response_model=None,
            summary="List clusters, oldest first; bbox selects on peak_lat/peak_lon",
            responses=json_responses(page_schema(schema.clusters), feature_collection(
                row_schema(schema.clusters)["properties"],
                extra={"total": INTEGER, "limit": INTEGER, "offset": INTEGER}), csv=True))
def list_clusters(engine: Engine, start: Start = None, end: End = None, bbox: Bbox = None,
                  limit: Limit = 1000, offset: Offset = 0, format: Fmt = "json") -> Response:
    """geojson: each cluster's extent, a box from lon_west east to lon_east (split at 180°)."""
    start, end = check_span(start, end, MAX_SPAN_DAYS)
    box = parse_bbox(bbox)
    t = schema.clusters
    extra = [] if box is None else in_box(t.c.peak_lat, t.c.peak_lon, box)
    page = table_page(engine, t, "start", start, end, limit, offset, extra)
    if format == "csv":
        return as_csv(page, "clusters")
    return as_geojson(clusters_geojson(page)) if format == "geojson" else as_json(page)


# name, table, time column, the point a box selects on (None: no position)
for _name, _table, _time_col, _point in (
        ("alarms", schema.alarms, "issued", ("lat", "lon")),
        ("anomalies", schema.anomalies, "time", ("lat", "lon")),
        ("passes", schema.passes, "entry", ("closest_lat", "closest_lon")),
        ("forecasts", schema.forecasts, "issue_time", None),
        ("evaluations", schema.evaluations, "created_at", None)):
    _where = f"; bbox selects on {_point[0]}/{_point[1]}" if _point else ""
    router.add_api_route(f"/api/{_name}", _listing(_table, _time_col, _point), methods=["GET"],
                         name=f"list_{_name}", summary=f"List {_name}, oldest first{_where}",
                         response_model=None,
                         responses=json_responses(page_schema(_table), csv=True))
