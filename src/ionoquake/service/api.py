"""The HTTP API (``ionoquake serve``): read endpoints over the archive and the database.

Every parameter is validated (ranges, the longest time span, the largest page) and a
bad request gets a 4xx answer that says what is wrong. Write endpoints need the
token from the configuration (``IONOQUAKE_API_TOKEN``). No file path from a request
reaches the file system: products are looked up among the stored ones, uploads are
written under generated names.
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of the route
# functions defined inside create_app at run time.
import datetime as dt
import gc
import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, File, Header, HTTPException, Query, Request, UploadFile
from fastapi import Path as ApiPath
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from ionoquake import __version__
from ionoquake.errors import IonoquakeError
from ionoquake.service.cache import ResponseCache, store_generation
from ionoquake.service.geojson import events_geojson, records
from ionoquake.service.map_routes import maps_router
from ionoquake.service.params import (
    MAX_SPAN_DAYS,
    Bbox,
    End,
    Fmt,
    Limit,
    Offset,
    Start,
    as_json,
    check_span,
    in_box,
    parse_bbox,
)
from ionoquake.service.settings import Settings
from ionoquake.service.tracks import tracks_router
from ionoquake.sources import ionex
from ionoquake.store import database, maps, schema
from ionoquake.store.ingest import ingest_path

STATIC = Path(__file__).parent / "static"
PAGES = ("index.html", "event.html", "forecasts.html")
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def create_app(settings: Settings) -> FastAPI:
    """The FastAPI application for ``settings``."""
    app = FastAPI(title="ionoquake", version=__version__,
                  description="Ionospheric precursors, forecasts and their honest scores.")
    engine = database.connect(settings.database_url)
    revision = database.RevisionWatch(engine)
    app.add_middleware(ResponseCache, generation=lambda: (revision(),
                                                          store_generation(settings.store)),
                       exclude=("/api/jobs/",))

    @app.exception_handler(IonoquakeError)
    async def _bad_input(request: Request, exc: IonoquakeError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
        expected = settings.token
        if not expected:
            raise HTTPException(403, "writing is disabled: no API token is configured")
        given = (authorization or "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(given, expected):
            raise HTTPException(401, "a valid 'Authorization: Bearer <token>' header is needed")

    def table_page(table: sa.Table, time_col: str, start: dt.datetime | None,
                   end: dt.datetime | None, limit: int, offset: int,
                   extra: list[Any] | None = None) -> dict[str, Any]:
        where = list(extra or [])
        if start is not None:
            where.append(table.c[time_col] >= start)
        if end is not None:
            where.append(table.c[time_col] < end)
        total = database.count(engine, table, where=where)
        rows = database.read(engine, table, where=where, order_by=time_col, limit=limit,
                             offset=offset)
        return {"total": total, "limit": limit, "offset": offset, "items": records(rows)}

    @app.get("/api/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/api/events")
    def list_events(start: Start = None, end: End = None,
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
        page = table_page(t, "time", start, end, limit, offset, extra)
        return as_json(events_geojson(page) if format == "geojson" else page)

    @app.get("/api/events/{event_id}")
    def get_event(event_id: Annotated[str, ApiPath(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")],
                  ) -> dict[str, Any]:
        rows = database.read(engine, schema.events, where=[schema.events.c.event_id == event_id])
        if rows.empty:
            raise HTTPException(404, f"no event {event_id!r}")
        return records(rows)[0]

    @app.get("/api/indices")
    def list_indices(start: Start = None, end: End = None, limit: Limit = 1000,
                     offset: Offset = 0) -> Response:
        start, end = check_span(start, end, MAX_SPAN_DAYS, required=True)
        return as_json(table_page(schema.indices, "time", start, end, limit, offset))

    def listing(table: sa.Table, time_col: str, point: tuple[str, str] | None) -> Any:
        def endpoint(start: Start = None, end: End = None, limit: Limit = 1000,
                     offset: Offset = 0) -> Response:
            start, end = check_span(start, end, MAX_SPAN_DAYS)
            return as_json(table_page(table, time_col, start, end, limit, offset))

        def endpoint_in_box(start: Start = None, end: End = None, bbox: Bbox = None,
                            limit: Limit = 1000, offset: Offset = 0) -> Response:
            start, end = check_span(start, end, MAX_SPAN_DAYS)
            box = parse_bbox(bbox)
            assert point is not None
            extra = [] if box is None else in_box(table.c[point[0]], table.c[point[1]], box)
            return as_json(table_page(table, time_col, start, end, limit, offset, extra))

        return endpoint if point is None else endpoint_in_box

    # name, table, time column, the point a box selects on (None: no position)
    for name, table, time_col, point in (
            ("alarms", schema.alarms, "issued", ("lat", "lon")),
            ("clusters", schema.clusters, "start", ("peak_lat", "peak_lon")),
            ("anomalies", schema.anomalies, "time", ("lat", "lon")),
            ("passes", schema.passes, "entry", ("closest_lat", "closest_lon")),
            ("forecasts", schema.forecasts, "issue_time", None),
            ("evaluations", schema.evaluations, "created_at", None)):
        where = f"; bbox selects on {point[0]}/{point[1]}" if point else ""
        app.add_api_route(f"/api/{name}", listing(table, time_col, point), methods=["GET"],
                          name=f"list_{name}", summary=f"List {name}, oldest first{where}")

    app.include_router(maps_router(settings))

    @app.post("/api/ingest", dependencies=[Depends(require_token)])
    async def ingest(files: Annotated[list[UploadFile], File()]) -> list[dict[str, str]]:
        results = []
        with tempfile.TemporaryDirectory() as tmp:
            for upload in files:
                # The name only names the product (codg, jplg...); it never becomes a path.
                base = (upload.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1]
                name = SAFE_NAME.sub("_", base)[-64:].lstrip(".") or "upload"
                target = Path(tmp) / f"upload-{secrets.token_hex(8)}"
                target.write_bytes(await upload.read())
                product = ionex.product_id(name) if maps.is_map_file(target) else None
                r = ingest_path(settings.store, target, product=product)
                results.append({"file": name, "kind": r.kind, "status": r.status,
                                "detail": r.detail})
        return results

    app.include_router(tracks_router(settings))
    @app.post("/api/run/daily", status_code=202, dependencies=[Depends(require_token)])
    def run_daily(date: Annotated[dt.date, Query(description="The UTC day to process.")],
                  product: Annotated[str, Query(pattern="^[a-z0-9]{3,16}$",
                                                description="Archive product, e.g. codg.")],
                  producer: Annotated[str, Query(pattern="^[a-z]{3,8}$")] = "code",
                  offline: bool = False,
                  window_days: Annotated[int, Query(ge=3, le=60)] = 15,
                  learning_days: Annotated[float, Query(ge=1, le=36525)] = 3650) -> Response:
        """Start the daily step (``ionoquake daily``) for ``date``; see ``/api/jobs/<id>``."""
        from ionoquake.service.jobs import Busy, start_daily

        tomorrow = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
        if date > tomorrow:
            raise HTTPException(400, f"date {date} is in the future (latest: {tomorrow})")
        try:
            job = start_daily(settings.store, date, product=product, producer=producer,
                              online=not offline, window_days=window_days,
                              learning_days=learning_days)
        except Busy as exc:
            raise HTTPException(409, str(exc)) from None
        response = as_json(job)
        response.status_code = 202
        response.headers["location"] = f"/api/jobs/{job['job']}"
        return response

    @app.get("/api/jobs/{job_id}")
    def get_job(job_id: Annotated[str, ApiPath(pattern="^[0-9a-f]{16}$")]) -> Response:
        """A triggered run: ``running``, ``done`` (its steps) or ``failed`` (the error)."""
        from ionoquake.service.jobs import read_job

        job = read_job(settings.store, job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        return as_json(job)

    @app.get("/basemap/land_110m.geojson", include_in_schema=False)
    def basemap() -> FileResponse:
        return FileResponse(Path(__file__).parents[1] / "report" / "land_110m.geojson",
                            media_type="application/geo+json")

    def page(name: str) -> Any:
        def serve_page() -> FileResponse:
            return FileResponse(STATIC / name, media_type="text/html")

        return serve_page

    for name in PAGES:
        app.add_api_route(f"/{name}", page(name), methods=["GET"], include_in_schema=False)
    app.add_api_route("/", page("index.html"), methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def app_from_env() -> FastAPI:
    """The application for ``$IONOQUAKE_STORE`` (each ``serve --workers`` process calls it)."""
    store = os.environ.get("IONOQUAKE_STORE")
    if not store:
        raise IonoquakeError("IONOQUAKE_STORE is not set: the folder of the archive to serve")
    app = create_app(Settings.from_env(Path(store)))
    # The imports made ~10^6 long-lived objects; left in the collected generations, each
    # full collection walks them all (a pause of ~0.1 s under load). Freeze them.
    gc.collect()
    gc.freeze()
    return app
