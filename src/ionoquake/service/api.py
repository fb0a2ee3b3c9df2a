"""The HTTP API (``ionoquake serve``): read endpoints over the archive and the database.

Every parameter is validated (ranges, the longest time span, the largest page), a query
parameter the endpoint does not take is refused (400), and a bad request gets a 4xx
answer that says what is wrong. Times in answers are ISO 8601 UTC with ``Z``
(:mod:`ionoquake.times`); GeoJSON is served as ``application/geo+json`` (RFC 7946).
Write endpoints need the token from the configuration (``IONOQUAKE_API_TOKEN``). No file
path from a request reaches the file system: products are looked up among the stored
ones, uploads are written under generated names; and no server path reaches an answer:
errors name the archive "archive" and an upload by its sanitised name.

``/docs`` is Swagger UI served from the package (``static/vendor/swagger-ui``, copied
from the npm package ``swagger-ui-dist`` by ``make assets``), so it works offline.
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of the route
# functions at run time.
import gc
import os
import threading
from collections.abc import Callable
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from ionoquake import __version__
from ionoquake.errors import IonoquakeError
from ionoquake.service import (
    forecast_routes,
    gnss_routes,
    map_routes,
    plan_routes,
    table_routes,
    tracks,
    write_routes,
)
from ionoquake.service.cache import ResponseCache, store_generation
from ionoquake.service.map_data import MapData
from ionoquake.service.params import known_query
from ionoquake.service.settings import Settings
from ionoquake.service.tracks import StoredTles
from ionoquake.service.uploads import UploadLimit, hide_paths
from ionoquake.store import database

__all__ = ["app_from_env", "create_app"]

STATIC = Path(__file__).parent / "static"
PAGES = ("index.html", "event.html", "forecasts.html", "plan.html", "cid.html")
SWAGGER_UI = "/static/vendor/swagger-ui"


def create_app(settings: Settings) -> FastAPI:
    """The FastAPI application for ``settings``: the routers, their state, the response cache.

    The routers are module-level (:mod:`~ionoquake.service.table_routes`,
    :mod:`~ionoquake.service.map_routes`, :mod:`~ionoquake.service.tracks`,
    :mod:`~ionoquake.service.write_routes`); what they need per application is in
    ``app.state``: ``settings``, ``engine``, ``map_data`` and ``tles``.
    """
    # The default /docs and /redoc load their scripts from a CDN: /docs is served below.
    app = FastAPI(title="ionoquake", version=__version__,
                  description="Ionospheric precursors, forecasts and their honest scores.",
                  docs_url=None, redoc_url=None)
    engine = database.connect(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.map_data = MapData(settings.store)
    app.state.tles = StoredTles(settings.store)
    revision = database.RevisionWatch(engine)
    app.add_middleware(ResponseCache, generation=lambda: (revision(),
                                                          store_generation(settings.store)),
                       exclude=("/api/jobs/",))
    app.add_middleware(UploadLimit, path="/api/ingest", max_bytes=settings.max_upload_bytes)
    app.add_exception_handler(IonoquakeError, _bad_input)  # type: ignore[arg-type]
    for module in (table_routes, map_routes, write_routes, tracks, plan_routes, gnss_routes,
                   forecast_routes):
        # every query parameter is checked, unknown ones too (params.known_query)
        app.include_router(module.router, dependencies=[Depends(known_query)])
    app.add_api_route("/basemap/land_110m.geojson", _basemap, methods=["GET"],
                      include_in_schema=False)
    for name in PAGES:
        app.add_api_route(f"/{name}", _page(name), methods=["GET"], include_in_schema=False)
    app.add_api_route("/", _page("index.html"), methods=["GET"], include_in_schema=False)
    app.add_api_route("/docs", _swagger_ui, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


async def _bad_input(request: Request, exc: IonoquakeError) -> JSONResponse:
    store = Path(request.app.state.settings.store)
    shown = {str(store): "archive", str(store.resolve()): "archive"}
    return JSONResponse(status_code=400, content={"detail": hide_paths(str(exc), shown)})


def _swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url, title=f"{request.app.title} API",
        swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER_UI}/favicon-32x32.png",
        swagger_ui_parameters={"validatorUrl": None})  # no badge from validator.swagger.io


def _basemap() -> FileResponse:
    return FileResponse(Path(__file__).parents[1] / "report" / "land_110m.geojson",
                        media_type="application/geo+json")


def _page(name: str) -> Callable[[], FileResponse]:
    def serve_page() -> FileResponse:
        return FileResponse(STATIC / name, media_type="text/html")

    return serve_page


def app_from_env() -> FastAPI:
    """The application for ``$IONOQUAKE_STORE`` (each ``serve --workers`` process calls it)."""
    store = os.environ.get("IONOQUAKE_STORE")
    if not store:
        raise IonoquakeError("IONOQUAKE_STORE is not set: the folder of the archive to serve")
    app = create_app(Settings.from_env(Path(store)))
    # What the map shows first (the last stored day of each product, its TEC and ΔTEC) is
    # opened and computed while the server starts, not on the first user's request.
    threading.Thread(target=app.state.map_data.warm, name="warm-maps", daemon=True).start()
    # The imports made ~10^6 long-lived objects; left in the collected generations, each
    # full collection walks them all (a pause of ~0.1 s under load). Freeze them.
    gc.collect()
    gc.freeze()
    return app
