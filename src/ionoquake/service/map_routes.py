"""The map endpoints: ``/api/maps``, its epochs, grids (TEC, RMS, ΔTEC), point series.

The maps come from the application's :class:`~ionoquake.service.map_data.MapData`
(``app.state.map_data``), which keeps the days it opened. Products are looked up
among the stored ones: no name from a request reaches the file system.
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of the route
# functions at run time.
import datetime as dt
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request

from ionoquake.service.geojson import grid_geojson, times
from ionoquake.service.map_data import MapData
from ionoquake.service.params import (
    MAX_SPAN_DAYS,
    ArrayFmt,
    End,
    Lat,
    Lon,
    Start,
    as_geojson,
    as_json,
    as_netcdf,
    check_span,
    check_time_range,
    naive,
    series_span,
)
from ionoquake.service.schemas import (
    BOOLEAN,
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
from ionoquake.store import maps

__all__ = ["router"]

router = APIRouter()


def map_data(request: Request) -> MapData:
    """The application's map archive (``app.state.map_data``)."""
    data: MapData = request.app.state.map_data
    return data


Data = Annotated[MapData, Depends(map_data)]


def stored_product(product: str, data: Data) -> str:
    """``product`` if it is stored, else 404 listing the stored ones."""
    known = data.products()
    if product not in known:
        raise HTTPException(404, f"no maps of product {product!r}; stored: "
                                 f"{', '.join(known) or 'none'}")
    return product


Product = Annotated[str, Depends(stored_product)]

_DAY = {"type": "string", "format": "date"}
GridFmt = Annotated[str, Query(pattern="^(json|geojson|netcdf)$",
                               description="json, geojson or netcdf (CF-1.8).")]
_VALUES = array_of(nullable(NUMBER))


@router.get("/api/maps", response_model=None, responses=json_responses(array_of(obj({
    "product": STRING, "first_day": _DAY, "last_day": _DAY, "days": INTEGER,
    "maps": INTEGER}))))
def list_maps(data: Data) -> list[dict[str, Any]]:
    table = maps.partitions(data.store)
    out = []
    for product, rows in table.groupby("product"):
        out.append({"product": product, "first_day": str(rows["day"].min().date()),
                    "last_day": str(rows["day"].max().date()), "days": len(rows),
                    "maps": int(rows["n_maps"].sum())})
    return out

@router.get("/api/maps/{product}/times", response_model=None,
            responses=json_responses(obj({"product": STRING, "times": array_of(TIME)})))
def map_times(product: Product, data: Data, start: Start = None,
              end: End = None) -> dict[str, Any]:
    s, e = check_span(start, end, MAX_SPAN_DAYS)
    if s is None and e is None:  # the default, opened by the server's warm-up
        first, last = data.latest_span(product, MAX_SPAN_DAYS)
    else:
        days = data.stored_days(product)
        first = str(days[0]) if s is None else str(s.date())
        last = str(days[-1]) if e is None else str(e.date())
    stamps = data.open(product, first, last)["time"].values
    return {"product": product, "times": times(stamps)}

@router.get("/api/maps/{product}/grid", response_model=None, responses=json_responses(
    obj({"product": STRING, "time": TIME, "units": STRING, "lat": array_of(NUMBER),
         "lon": array_of(NUMBER), "values": array_of(_VALUES)}),
    feature_collection({"value": NUMBER, "lat": NUMBER, "lon": NUMBER},
                       extra={"properties": obj({"time": nullable(TIME),
                                                 "units": STRING})}), netcdf=True))
def map_grid(product: Product, data: Data, time: dt.datetime,
             stride: Annotated[int, Query(ge=1, le=10)] = 1,
             variable: Annotated[str, Query(
                 pattern="^(tec|rms|dtec)$",
                 description="tec, rms, or dtec: TEC minus its 15-day running median "
                             "(Liu et al. 2004; NaN without 15 earlier days)")] = "tec",
             format: GridFmt = "json") -> Any:
    t = np.datetime64(check_time_range(naive(time) or time, "time"))
    day = str(t.astype("datetime64[D]"))
    if variable == "dtec":
        ds = data.dtec(product, day)
    else:
        ds = data.open(product, str(np.datetime64(day) - 1), day)
    if ds.sizes["time"] == 0:
        raise HTTPException(404, f"no {product} {variable} map on {day}")
    nearest = ds.sel(time=t, method="nearest")
    gap = abs(nearest["time"].values - t) / np.timedelta64(1, "s")
    if gap > float(ds.attrs.get("interval_s") or 7200):
        raise HTTPException(404, f"no {product} map within one interval of {time}")
    grid = nearest[variable].isel(lat=slice(None, None, stride), lon=slice(None, None, stride))
    if format == "geojson":
        return as_geojson(grid_geojson(grid))
    if format == "netcdf":
        one = grid.expand_dims(time=[nearest["time"].values]).to_dataset(name=variable)
        one[variable].attrs.update(units="TECU", long_name={
            "tec": "total electron content", "rms": "RMS error of the TEC",
            "dtec": "TEC minus its 15-day running median"}[variable])
        return as_netcdf(one, f"{product}_{variable}_{str(nearest['time'].values)[:16]}",
                         title=f"{product} {variable} map", source=f"ionoquake API, {product}")
    return as_json({"product": product, "time": times([nearest["time"].values])[0],
                    "units": "TECU", "lat": grid["lat"].values.astype(float),
                    "lon": grid["lon"].values.astype(float),
                    "values": np.round(grid.values.astype(float), 2)})

@router.get("/api/maps/{product}/series", response_model=None, responses=json_responses(
    obj({"product": STRING, "lat": NUMBER, "lon": NUMBER, "units": STRING,
         "time": array_of(TIME), "tec": _VALUES}), netcdf=True))
def map_series(product: Product, data: Data,
               lat: Lat, lon: Lon, start: dt.datetime, end: dt.datetime,
               step_minutes: Annotated[int, Query(ge=5, le=1440)] = 60,
               format: ArrayFmt = "json") -> Any:
    from ionoquake.sources.gim import tec_at

    s, e = series_span(start, end)
    ds = data.open(product, str(s.date()), str(e.date()))
    stamps = pd.date_range(s, e, freq=f"{step_minutes}min", inclusive="left")
    values = tec_at(ds, stamps.values, lat, lon)
    if format == "netcdf":
        import xarray as xr

        series = xr.Dataset(
            {"tec": ("time", np.asarray(values, dtype=float),
                     {"units": "TECU", "long_name": "total electron content at the point"})},
            coords={"time": stamps.values, "lat": ((), lat, {"units": "degrees_north"}),
                    "lon": ((), lon, {"units": "degrees_east"})})
        series.attrs["featureType"] = "timeSeries"
        return as_netcdf(series, f"{product}_series", title=f"{product} TEC at a point",
                         source="ionoquake API: bilinear, rotation-aware interpolation of maps")
    return {"product": product, "lat": lat, "lon": lon, "units": "TECU",
            "time": times(stamps),
            "tec": [None if np.isnan(v) else round(float(v), 2) for v in values]}

@router.get("/api/maps/{product}/anomalies", response_model=None, responses=json_responses(
    obj({"product": STRING, "lat": NUMBER, "lon": NUMBER, "units": STRING, "method": STRING,
         "time": array_of(TIME), "tec": _VALUES, "background": _VALUES, "lower": _VALUES,
         "upper": _VALUES, "positive": array_of(BOOLEAN), "negative": array_of(BOOLEAN)}),
    netcdf=True))
def point_series(product: Product, data: Data,
                 lat: Lat, lon: Lon, start: dt.datetime, end: dt.datetime,
                 window_days: Annotated[int, Query(ge=3, le=60)] = 15,
                 format: ArrayFmt = "json") -> Any:
    """TEC at a point on the map epochs, with its running median and quartile bounds."""
    from ionoquake.detect.background import BackgroundConfig, preceding_days
    from ionoquake.detect.event import point_anomalies

    s, e = series_span(start, end)
    lead = pd.Timedelta(days=preceding_days(window_days))
    first = data.first_stored(product, str((pd.Timestamp(s) - lead).date()))
    ds = data.open(product, first, str(e.date()))
    an = point_anomalies(ds, lat, lon, BackgroundConfig(window_days=window_days))
    an = an.sel(time=slice(s, e))
    if format == "netcdf":
        out = an.copy()
        out.attrs = {k: v for k, v in an.attrs.items() if isinstance(v, str | int | float)}
        out.attrs["featureType"] = "timeSeries"
        return as_netcdf(out, f"{product}_anomalies", title=f"{product} TEC at a point with "
                         f"its running background and bounds", source="ionoquake API")

    def values(name: str) -> list[float | None]:
        return [None if not np.isfinite(v) else round(float(v), 2)
                for v in an[name].values]

    return {"product": product, "lat": lat, "lon": lon, "units": "TECU",
            "method": an.attrs.get("background_bounds", ""),
            "time": times(an["time"].values),
            "tec": values("tec") if "tec" in an else values("dtec"),
            "background": values("background"), "lower": values("lower"),
            "upper": values("upper"),
            "positive": an["positive"].values.astype(bool).tolist(),
            "negative": an["negative"].values.astype(bool).tolist()}


@router.get("/api/conjugate", response_model=None, responses=json_responses(
    obj({"lat": NUMBER, "lon": NUMBER, "conjugate_lat": NUMBER, "conjugate_lon": NUMBER,
         "altitude_km": NUMBER, "method": STRING})))
def conjugate(lat: Lat, lon: Lon, date: Annotated[dt.date, Query(
                  description="Date of the IGRF coefficients (YYYY-MM-DD).")],
              altitude_km: Annotated[float, Query(ge=100, le=2000)] = 450.0) -> dict[str, Any]:
    """The magnetically conjugate point of ``lat``, ``lon`` (IGRF-14 field-line trace at the
    map shell), as the event figures use it (:func:`ionoquake.detect.conjugate.conjugate_point`)."""
    from ionoquake.detect.conjugate import conjugate_point

    c_lat, c_lon = conjugate_point(lat, lon, date, altitude_km=altitude_km)
    return {"lat": lat, "lon": lon, "conjugate_lat": round(c_lat, 3),
            "conjugate_lon": round(c_lon, 3), "altitude_km": altitude_km,
            "method": f"IGRF-14 field-line trace at {altitude_km:g} km (ppigrf)"}
