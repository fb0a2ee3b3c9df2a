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
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import orjson
import pandas as pd
import sqlalchemy as sa
from fastapi import Depends, FastAPI, File, Header, HTTPException, Query, Request, UploadFile
from fastapi import Path as ApiPath
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from ionoquake import __version__
from ionoquake.errors import IonoquakeError, StoreError
from ionoquake.service.cache import ResponseCache, folder_generation, store_generation
from ionoquake.service.geojson import events_geojson, grid_geojson, records
from ionoquake.service.tracks import tracks_router
from ionoquake.sources import ionex
from ionoquake.sources.gim import combine_days
from ionoquake.store import database, maps, schema
from ionoquake.store.ingest import ingest_path

STATIC = Path(__file__).parent / "static"
PAGES = ("index.html", "event.html", "forecasts.html")
MAX_ROWS = 10_000
MAX_SPAN_DAYS = 366
MAX_SERIES_DAYS = 62
#: Maps and ΔTEC datasets an API process keeps in memory (bytes).
DATASET_CACHE_BYTES = 512 * 2**20
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class Settings:
    """Where the data are and who may write."""

    store: Path
    database_url: str
    token: str | None = None

    @classmethod
    def from_env(cls, store: Path) -> "Settings":
        return cls(store, database.database_url(store), os.environ.get("IONOQUAKE_API_TOKEN"))


Limit = Annotated[int, Query(ge=1, le=MAX_ROWS, description=f"Page size (1..{MAX_ROWS}).")]
Offset = Annotated[int, Query(ge=0, description="Rows to skip.")]
Start = Annotated[dt.datetime | None, Query(description="From this UTC time (ISO 8601).")]
End = Annotated[dt.datetime | None, Query(description="Until this UTC time (exclusive).")]
Fmt = Annotated[str, Query(pattern="^(json|geojson)$", description="json or geojson.")]
Lat = Annotated[float, Query(ge=-90, le=90, description="Latitude (degrees north).")]
Lon = Annotated[float, Query(ge=-180, le=180, description="Longitude (degrees east).")]


def as_json(content: Any) -> Response:
    """``content`` serialised by orjson (numpy arrays natively, NaN as null)."""
    return Response(orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY),
                    media_type="application/json")


def _naive(t: dt.datetime | None) -> dt.datetime | None:
    if t is None or t.tzinfo is None:
        return t
    return t.astimezone(dt.UTC).replace(tzinfo=None)


def _span(start: dt.datetime | None, end: dt.datetime | None, max_days: int,
          required: bool = False) -> tuple[dt.datetime | None, dt.datetime | None]:
    start, end = _naive(start), _naive(end)
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


def _series_span(start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    s, e = _span(start, end, MAX_SERIES_DAYS, required=True)
    assert s is not None and e is not None
    return s, e


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
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
                    bbox: Annotated[str | None, Query(description="west,south,east,north")] = None,
                    limit: Limit = 1000, offset: Offset = 0, format: Fmt = "json") -> Any:
        start, end = _span(start, end, 100 * 366)
        box = _bbox(bbox)
        extra: list[Any] = []
        t = schema.events
        if min_magnitude is not None:
            extra.append(t.c.magnitude >= min_magnitude)
        if max_magnitude is not None:
            extra.append(t.c.magnitude <= max_magnitude)
        if box is not None:
            west, south, east, north = box
            extra.append(t.c.latitude.between(south, north))
            extra.append(t.c.longitude.between(west, east) if west <= east
                         else sa.or_(t.c.longitude >= west, t.c.longitude <= east))
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
        start, end = _span(start, end, MAX_SPAN_DAYS, required=True)
        return as_json(table_page(schema.indices, "time", start, end, limit, offset))

    def listing(table: sa.Table, time_col: str) -> Any:
        def endpoint(start: Start = None, end: End = None, limit: Limit = 1000,
                     offset: Offset = 0) -> Response:
            start, end = _span(start, end, MAX_SPAN_DAYS)
            return as_json(table_page(table, time_col, start, end, limit, offset))

        return endpoint

    for name, table, time_col in (("alarms", schema.alarms, "issued"),
                                  ("clusters", schema.clusters, "start"),
                                  ("anomalies", schema.anomalies, "time"),
                                  ("passes", schema.passes, "entry"),
                                  ("forecasts", schema.forecasts, "issue_time"),
                                  ("evaluations", schema.evaluations, "created_at")):
        app.add_api_route(f"/api/{name}", listing(table, time_col), methods=["GET"],
                          name=f"list_{name}", summary=f"List {name}, oldest first")

    cache: OrderedDict[tuple[str, str, str, Any], tuple[Any, int]] = OrderedDict()
    computing: dict[tuple[str, str, str, Any], threading.Lock] = {}
    computing_guard = threading.Lock()

    def once(key: tuple[str, str, str, Any], compute: Callable[[], Any]) -> Any:
        """``cache[key]``, computed by one request while the others asking for it wait.

        Datasets are kept, least recently used out first, up to DATASET_CACHE_BYTES.
        """
        with computing_guard:
            if key in cache:
                cache.move_to_end(key)
                return cache[key][0]
            lock = computing.setdefault(key, threading.Lock())
        with lock:
            with computing_guard:
                found = cache.get(key)
            if found is None:
                value = compute()
                found = (value, int(getattr(value, "nbytes", 0)))
                with computing_guard:
                    cache[key] = found
                    while sum(n for _, n in cache.values()) > DATASET_CACHE_BYTES \
                            and len(cache) > 1:
                        cache.popitem(last=False)
        with computing_guard:
            computing.pop(key, None)
        return found[0]

    def generation(product: str) -> Any:
        """Changes whenever a day of ``product`` is added or replaced."""
        return folder_generation(settings.store / "maps" / product, 1)

    def stored_days(product: str) -> list[np.datetime64]:
        days: list[np.datetime64] = once((product, "days", "", generation(product)),
                                         partial(maps.stored_days, settings.store, product))
        return days

    def open_cached(product: str, start: str, end: str) -> Any:
        """The maps of ``product`` for the days start..end, cached until the archive changes.

        Each day is opened once and kept: moving a window by a day opens one day.
        """
        gen = generation(product)
        lo, hi = np.datetime64(start, "D"), np.datetime64(end, "D")
        days = [d for d in stored_days(product) if lo <= d <= hi]
        if not days:
            raise StoreError(f"{settings.store}: no {product} maps between {start} and {end}")

        def combine() -> Any:
            return combine_days([once((product, "day", str(d), gen),
                                      partial(maps.open_day, settings.store, product, d))
                                 for d in days])

        return once((product, start, end, gen), combine)

    def first_stored(product: str, day: str) -> str:
        """``day`` (YYYY-MM-DD), or the first stored day of ``product`` if that is later."""
        return max(day, str(stored_days(product)[0]))

    def dtec_cached(product: str, day: str) -> Any:
        """ΔTEC of ``day`` against the 15-day running median (cached with the maps)."""
        from ionoquake.detect.anomalies import detect_anomalies
        from ionoquake.detect.background import BackgroundConfig

        def compute() -> Any:
            first = first_stored(product, str(np.datetime64(day) - 15))
            anomalies = detect_anomalies(open_cached(product, first, day), BackgroundConfig())
            return anomalies.sel(time=slice(day, None))[["dtec"]]

        return once((product, "dtec", day, generation(product)), compute)

    def stored_product(product: str) -> str:
        known = maps.products(settings.store)
        if product not in known:
            raise HTTPException(404, f"no maps of product {product!r}; stored: "
                                     f"{', '.join(known) or 'none'}")
        return product

    @app.get("/api/maps")
    def list_maps() -> list[dict[str, Any]]:
        table = maps.partitions(settings.store)
        out = []
        for product, rows in table.groupby("product"):
            out.append({"product": product, "first_day": str(rows["day"].min().date()),
                        "last_day": str(rows["day"].max().date()), "days": len(rows),
                        "maps": int(rows["n_maps"].sum())})
        return out

    @app.get("/api/maps/{product}/times")
    def map_times(product: Annotated[str, Depends(stored_product)], start: Start = None,
                  end: End = None) -> dict[str, Any]:
        s, e = _span(start, end, MAX_SPAN_DAYS)
        days = stored_days(product)
        first = str(days[0]) if s is None else str(s.date())
        last = str(days[-1]) if e is None else str(e.date())
        if s is None and e is None and (days[-1] - days[0]) > np.timedelta64(MAX_SPAN_DAYS, "D"):
            first = str(days[-1] - np.timedelta64(MAX_SPAN_DAYS, "D"))
        times = open_cached(product, first, last)["time"].values
        return {"product": product, "times": [str(t)[:19] for t in times]}

    @app.get("/api/maps/{product}/grid")
    def map_grid(product: Annotated[str, Depends(stored_product)], time: dt.datetime,
                 stride: Annotated[int, Query(ge=1, le=10)] = 1,
                 variable: Annotated[str, Query(
                     pattern="^(tec|rms|dtec)$",
                     description="tec, rms, or dtec: TEC minus its 15-day running median "
                                 "(Liu et al. 2004; NaN without 15 earlier days)")] = "tec",
                 format: Fmt = "json") -> Any:
        t = np.datetime64(_naive(time))
        day = str(t.astype("datetime64[D]"))
        if variable == "dtec":
            ds = dtec_cached(product, day)
        else:
            ds = open_cached(product, str(np.datetime64(day) - 1), day)
        if ds.sizes["time"] == 0:
            raise HTTPException(404, f"no {product} {variable} map on {day}")
        nearest = ds.sel(time=t, method="nearest")
        gap = abs(nearest["time"].values - t) / np.timedelta64(1, "s")
        if gap > float(ds.attrs.get("interval_s") or 7200):
            raise HTTPException(404, f"no {product} map within one interval of {time}")
        grid = nearest[variable].isel(lat=slice(None, None, stride), lon=slice(None, None, stride))
        if format == "geojson":
            return as_json(grid_geojson(grid))
        return as_json({"product": product, "time": str(nearest["time"].values)[:19],
                        "units": "TECU", "lat": grid["lat"].values.astype(float),
                        "lon": grid["lon"].values.astype(float),
                        "values": np.round(grid.values.astype(float), 2)})

    @app.get("/api/maps/{product}/series")
    def map_series(product: Annotated[str, Depends(stored_product)],
                   lat: Lat, lon: Lon, start: dt.datetime, end: dt.datetime,
                   step_minutes: Annotated[int, Query(ge=5, le=1440)] = 60) -> dict[str, Any]:
        from ionoquake.sources.gim import tec_at

        s, e = _series_span(start, end)
        ds = open_cached(product, str(s.date()), str(e.date()))
        times = pd.date_range(s, e, freq=f"{step_minutes}min", inclusive="left")
        values = tec_at(ds, times.values, lat, lon)
        return {"product": product, "lat": lat, "lon": lon, "units": "TECU",
                "time": [str(t)[:19] for t in times],
                "tec": [None if np.isnan(v) else round(float(v), 2) for v in values]}

    @app.get("/api/maps/{product}/anomalies")
    def point_series(product: Annotated[str, Depends(stored_product)],
                     lat: Lat, lon: Lon, start: dt.datetime, end: dt.datetime,
                     window_days: Annotated[int, Query(ge=3, le=60)] = 15) -> dict[str, Any]:
        """TEC at a point on the map epochs, with its running median and quartile bounds."""
        from ionoquake.detect.background import BackgroundConfig
        from ionoquake.detect.event import point_anomalies

        s, e = _series_span(start, end)
        first = first_stored(product, str((pd.Timestamp(s) - pd.Timedelta(days=window_days))
                                          .date()))
        ds = open_cached(product, first, str(e.date()))
        an = point_anomalies(ds, lat, lon, BackgroundConfig(window_days=window_days))
        an = an.sel(time=slice(s, e))

        def values(name: str) -> list[float | None]:
            return [None if not np.isfinite(v) else round(float(v), 2)
                    for v in an[name].values]

        return {"product": product, "lat": lat, "lon": lon, "units": "TECU",
                "method": an.attrs.get("background_bounds", ""),
                "time": [str(t)[:19] for t in an["time"].values],
                "tec": values("tec") if "tec" in an else values("dtec"),
                "background": values("background"), "lower": values("lower"),
                "upper": values("upper"),
                "positive": an["positive"].values.astype(bool).tolist(),
                "negative": an["negative"].values.astype(bool).tolist()}

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
