"""The map endpoints: ``/api/maps``, its epochs, grids (TEC, RMS, ΔTEC), point series.

Each process keeps the days of maps it opened and the ΔTEC of the days it computed
(least recently used out first, up to DATASET_CACHE_BYTES), keyed by the product's
folder generation so that a new or replaced day is seen at once. Products are
looked up among the stored ones: no name from a request reaches the file system.
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of the route
# functions defined inside maps_router at run time.
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query

from ionoquake.errors import StoreError
from ionoquake.service.cache import folder_generation
from ionoquake.service.geojson import grid_geojson
from ionoquake.service.params import (
    MAX_SPAN_DAYS,
    End,
    Fmt,
    Lat,
    Lon,
    Start,
    as_json,
    check_span,
    naive,
    series_span,
)
from ionoquake.sources.gim import combine_days
from ionoquake.store import maps

if TYPE_CHECKING:
    from ionoquake.service.settings import Settings

#: Maps and ΔTEC datasets an API process keeps in memory (bytes).
DATASET_CACHE_BYTES = 512 * 2**20


def maps_router(settings: "Settings") -> APIRouter:
    """The map endpoints over ``settings.store``."""
    router = APIRouter()
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

    @router.get("/api/maps")
    def list_maps() -> list[dict[str, Any]]:
        table = maps.partitions(settings.store)
        out = []
        for product, rows in table.groupby("product"):
            out.append({"product": product, "first_day": str(rows["day"].min().date()),
                        "last_day": str(rows["day"].max().date()), "days": len(rows),
                        "maps": int(rows["n_maps"].sum())})
        return out

    @router.get("/api/maps/{product}/times")
    def map_times(product: Annotated[str, Depends(stored_product)], start: Start = None,
                  end: End = None) -> dict[str, Any]:
        s, e = check_span(start, end, MAX_SPAN_DAYS)
        days = stored_days(product)
        first = str(days[0]) if s is None else str(s.date())
        last = str(days[-1]) if e is None else str(e.date())
        if s is None and e is None and (days[-1] - days[0]) > np.timedelta64(MAX_SPAN_DAYS, "D"):
            first = str(days[-1] - np.timedelta64(MAX_SPAN_DAYS, "D"))
        times = open_cached(product, first, last)["time"].values
        return {"product": product, "times": [str(t)[:19] for t in times]}

    @router.get("/api/maps/{product}/grid")
    def map_grid(product: Annotated[str, Depends(stored_product)], time: dt.datetime,
                 stride: Annotated[int, Query(ge=1, le=10)] = 1,
                 variable: Annotated[str, Query(
                     pattern="^(tec|rms|dtec)$",
                     description="tec, rms, or dtec: TEC minus its 15-day running median "
                                 "(Liu et al. 2004; NaN without 15 earlier days)")] = "tec",
                 format: Fmt = "json") -> Any:
        t = np.datetime64(naive(time))
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

    @router.get("/api/maps/{product}/series")
    def map_series(product: Annotated[str, Depends(stored_product)],
                   lat: Lat, lon: Lon, start: dt.datetime, end: dt.datetime,
                   step_minutes: Annotated[int, Query(ge=5, le=1440)] = 60) -> dict[str, Any]:
        from ionoquake.sources.gim import tec_at

        s, e = series_span(start, end)
        ds = open_cached(product, str(s.date()), str(e.date()))
        times = pd.date_range(s, e, freq=f"{step_minutes}min", inclusive="left")
        values = tec_at(ds, times.values, lat, lon)
        return {"product": product, "lat": lat, "lon": lon, "units": "TECU",
                "time": [str(t)[:19] for t in times],
                "tec": [None if np.isnan(v) else round(float(v), 2) for v in values]}

    @router.get("/api/maps/{product}/anomalies")
    def point_series(product: Annotated[str, Depends(stored_product)],
                     lat: Lat, lon: Lon, start: dt.datetime, end: dt.datetime,
                     window_days: Annotated[int, Query(ge=3, le=60)] = 15) -> dict[str, Any]:
        """TEC at a point on the map epochs, with its running median and quartile bounds."""
        from ionoquake.detect.background import BackgroundConfig
        from ionoquake.detect.event import point_anomalies

        s, e = series_span(start, end)
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


    return router
