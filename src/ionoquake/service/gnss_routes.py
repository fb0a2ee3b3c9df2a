"""Receiver-TEC endpoints: the stored networks and days, one earthquake's disturbances.

``/api/gnss/days`` lists the archive's receiver TEC (:mod:`ionoquake.store.gnss_tec`: one
file per network and UTC day, from ``ionoquake tec --ingest`` or an ingested Madrigal
export). ``/api/gnss/cid`` runs the disturbance analysis of
:func:`ionoquake.pipeline.gnss.cid_analysis` on the stored day of the origin time: the picks,
the travel-time fits with their warnings, the null at fake origin times, and the pierce-point
tracks with their detrended STEC from 10 min before to 40 min after the origin (what the
dashboard's CID page animates). ``/api/events/{event_id}/cid`` runs the same analysis for
an event of the database when receiver TEC around its origin time is stored (what the
dashboard's event page draws as a travel-time diagram). Numbers that are undefined are
``null``.
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of the route
# functions at run time.
import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as ApiPath

from ionoquake.errors import InputError, StoreError
from ionoquake.pipeline.gnss import cid_analysis
from ionoquake.quake import Earthquake
from ionoquake.service.params import check_time_range, naive
from ionoquake.service.schemas import (
    BOOLEAN,
    INTEGER,
    NUMBER,
    STRING,
    TIME,
    array_of,
    json_responses,
    nullable,
    obj,
)
from ionoquake.service.settings import Engine
from ionoquake.store import database, gnss_tec, schema
from ionoquake.strict_json import strict
from ionoquake.times import iso_utc

__all__ = ["router"]

router = APIRouter(tags=["receiver TEC"])

#: Minutes around the origin of the pierce-point tracks in ``/api/gnss/cid``.
TRACK_MINUTES = (-10.0, 40.0)

_NUM = nullable(NUMBER)


@router.get("/api/gnss/days", summary="Stored receiver TEC: networks and days",
            response_model=None, responses=json_responses(array_of(obj({
                "network": STRING, "day": STRING, "receivers": INTEGER, "satellites": INTEGER,
                "epochs": INTEGER}))))
def gnss_days(request: Request) -> list[dict[str, Any]]:
    """One row per stored network and UTC day."""
    table = gnss_tec.days(request.app.state.settings.store)
    return [{"network": str(r["network"]), "day": pd.Timestamp(r["day"]).strftime("%Y-%m-%d"),
             "receivers": int(r["receivers"]), "satellites": int(r["satellites"]),
             "epochs": int(r["epochs"])} for r in table.to_dict("records")]


_PICK = obj({"receiver": STRING, "satellite": STRING, "detected": BOOLEAN, "snr": _NUM,
             "onset_min": _NUM, "peak_min": _NUM, "amplitude_tecu": _NUM,
             "distance_km": _NUM, "azimuth_deg": _NUM}, required=("receiver", "satellite"))
_TRACK = obj({"receiver": STRING, "satellite": STRING, "detected": BOOLEAN,
              "lat": array_of(_NUM), "lon": array_of(_NUM), "dstec": array_of(_NUM)})


@router.get("/api/gnss/cid", summary="Co-seismic disturbances around one earthquake",
            response_model=None, responses=json_responses(obj({
                "network": STRING, "summary": obj({}, required=()),
                "picks": array_of(_PICK),
                "tracks": obj({"minutes": array_of(NUMBER), "times": array_of(TIME),
                               "pairs": array_of(_TRACK)})})))
def gnss_cid(
    request: Request,
    network: Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$",
                                  description="Stored network (see /api/gnss/days).")],
    time: Annotated[dt.datetime, Query(description="Origin time (UTC, ISO 8601).")],
    lat: Annotated[float, Query(ge=-90, le=90, description="Epicentre, degrees north.")],
    lon: Annotated[float, Query(ge=-180, le=180, description="Epicentre, degrees east.")],
    mag: Annotated[float, Query(ge=-3, le=10, description="Magnitude.")],
    depth_km: Annotated[float, Query(ge=0, le=800, description="Depth (km).")] = 10.0,
    snr: Annotated[float, Query(ge=1, le=100, description="Detection threshold (SNR).")] = 3.0,
) -> dict[str, Any]:
    """Picks per receiver–satellite pair, travel-time fits, the fake-origin null, IPP tracks."""
    origin = naive(time)
    assert origin is not None
    check_time_range(origin, "time")
    when = np.datetime64(origin, "ns")
    try:
        tec = gnss_tec.read_day(request.app.state.settings.store, network, when)
    except StoreError:
        raise HTTPException(404, f"no receiver TEC of network {network!r} stored for "
                                 f"{str(when)[:10]}") from None
    cid = cid_analysis(tec, Earthquake(when, lat, lon, mag, depth_km=depth_km),
                       snr_threshold=snr)
    return {"network": network, "summary": cid.summary, "picks": _picks(cid.picks),
            "tracks": _tracks(tec, cid.dstec, cid.picks, when)}


_PICK_COLUMNS = ["receiver", "satellite", "detected", "snr", "onset_min", "peak_min",
                 "amplitude_tecu", "distance_km", "azimuth_deg"]


def _picks(picks: pd.DataFrame) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = strict(picks[_PICK_COLUMNS].to_dict("records"))
    return result


@router.get("/api/events/{event_id}/cid",
            summary="An event's co-seismic disturbances, where receiver TEC is stored",
            response_model=None, responses=json_responses(obj({
                "event_id": STRING, "network": STRING, "networks": array_of(STRING),
                "summary": obj({}, required=()), "picks": array_of(_PICK),
                "cid_page": STRING})))
def event_cid(
    request: Request, engine: Engine,
    event_id: Annotated[str, ApiPath(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")],
    snr: Annotated[float, Query(ge=1, le=100, description="Detection threshold (SNR).")] = 3.0,
) -> dict[str, Any]:
    """The analysis of ``/api/gnss/cid`` for a stored event (its origin, epicentre, depth and
    magnitude from the database) on the first stored network whose receiver TEC of the
    origin's UTC day covers the origin time; 404 when there is none. ``cid_page`` is the
    dashboard's CID page for the same analysis, with its pierce-point animation."""
    rows = database.read(engine, schema.events, where=[schema.events.c.event_id == event_id])
    if rows.empty:
        raise HTTPException(404, f"no event {event_id!r}")
    quake = Earthquake.from_row(rows.iloc[0])
    when = quake.time
    store = request.app.state.settings.store
    stored = gnss_tec.days(store)
    day = pd.Timestamp(str(when)[:10])
    networks = sorted(str(n) for n in stored.loc[stored["day"] == day, "network"])
    for network in networks:
        tec = gnss_tec.read_day(store, network, when)
        try:
            cid = cid_analysis(tec, quake, snr_threshold=snr)
        except InputError:  # the origin is outside this network's data of the day
            continue
        page = {"network": network, "time": iso_utc(when), "lat": quake.latitude,
                "lon": quake.longitude, "mag": quake.magnitude, "depth_km": quake.depth_km}
        return {"event_id": event_id, "network": network, "networks": networks,
                "summary": cid.summary, "picks": _picks(cid.picks),
                "cid_page": "/cid.html?" + urlencode(page)}
    raise HTTPException(404, f"no receiver TEC stored around event {event_id!r} "
                             f"(origin {iso_utc(when)})")


def _tracks(tec: Any, dstec: Any, picks: pd.DataFrame, origin: np.datetime64) -> dict[str, Any]:
    """Pierce points and detrended STEC of the picked pairs, minute axis from the origin."""
    t = tec["time"].values
    minutes = (t - origin) / np.timedelta64(60, "s")
    keep = (minutes >= TRACK_MINUTES[0]) & (minutes <= TRACK_MINUTES[1])
    pairs = []
    for row in picks[["receiver", "satellite", "detected"]].to_dict("records"):
        sel = {"receiver": row["receiver"], "satellite": row["satellite"]}
        values = np.round(dstec.sel(sel).values[keep], 3)
        if not np.isfinite(values).any():
            continue
        pairs.append({"receiver": row["receiver"], "satellite": row["satellite"],
                      "detected": bool(row["detected"]),
                      "lat": np.round(tec["ipp_lat"].sel(sel).values[keep], 3),
                      "lon": np.round(tec["ipp_lon"].sel(sel).values[keep], 3),
                      "dstec": values})
    return strict({"minutes": np.round(minutes[keep], 2), "pairs": pairs,
                   "times": [iso_utc(x) for x in t[keep]]})
