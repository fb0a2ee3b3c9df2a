"""Planning endpoints: stations, contact windows, a day's timeline, passes over an alarm zone.

The satellites are the archive's stored TLEs (``app.state.tles``, as ``/api/tracks``),
the stations the bundled ``data/stations.toml``. Spans are short (``MAX_SPAN``): these
answer a dashboard, the ``ionoquake plan`` job makes the long plans.
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of the route
# functions at run time.
import datetime as dt
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Query

from ionoquake.orbits.contacts import contacts
from ionoquake.orbits.memory import Recorder
from ionoquake.orbits.modes import BurstZones, instrument_plan
from ionoquake.orbits.stations import read_stations
from ionoquake.orbits.tasking import next_passes_over_alarms
from ionoquake.service.geojson import records
from ionoquake.service.params import check_time_range, naive
from ionoquake.service.schemas import (
    NUMBER,
    STRING,
    TIME,
    array_of,
    json_responses,
    nullable,
    obj,
)
from ionoquake.service.tracks import Tles
from ionoquake.times import iso_utc

__all__ = ["MAX_SPAN", "router"]

MAX_SPAN = dt.timedelta(days=2)
MAX_SATELLITES = 10
router = APIRouter(tags=["planning"])

_ROW = {"type": "object", "description": "one row; the columns of the table named",
        "properties": {"satellite": STRING}}
_STATION = obj({"name": STRING, "agency": STRING, "lat": NUMBER, "lon": NUMBER,
                "height_m": NUMBER, "elevation_mask_deg": NUMBER,
                "downlink_mbps": nullable(NUMBER)}, required=("name", "lat", "lon"))

NoradIds = Annotated[list[int], Query(min_length=1, max_length=MAX_SATELLITES,
                                      description="NORAD numbers; repeat for several.")]
Start = Annotated[dt.datetime, Query(description="From this UTC time (ISO 8601).")]
End = Annotated[dt.datetime, Query(description="Until this UTC time; at most 2 days later.")]


def _span(start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    s, e = naive(start), naive(end)
    assert s is not None and e is not None
    check_time_range(s, "start")
    check_time_range(e, "end")
    if not s < e <= s + MAX_SPAN:
        raise HTTPException(400, f"end must follow start by at most {MAX_SPAN.days} days")
    return s, e


def _satellites(tles: Any, norad_id: list[int]) -> pd.DataFrame:
    table = tles.table()
    unknown = sorted(set(norad_id) - set(table["norad_id"].tolist()))
    if unknown:
        raise HTTPException(404, f"no stored TLE for NORAD {unknown}")
    return table[table["norad_id"].isin(norad_id)].reset_index(drop=True)


@router.get("/api/plan/stations", summary="Ground stations of the bundled table",
            response_model=None, responses=json_responses(array_of(_STATION)))
def plan_stations() -> list[dict[str, Any]]:
    """Name, agency, position, elevation mask and downlink rate of each station."""
    return records(read_stations())


@router.get("/api/plan/contacts", summary="Contact windows of satellites with the stations",
            response_model=None, responses=json_responses(obj({
                "start": TIME, "end": TIME, "contacts": array_of(_ROW)})))
def plan_contacts(tles: Tles, norad_id: NoradIds, start: Start, end: End) -> dict[str, Any]:
    """AOS, LOS, culmination, volume and antenna assignment (the first NORAD id first)."""
    s, e = _span(start, end)
    found = contacts(_satellites(tles, norad_id), read_stations(), s, e, priority=norad_id)
    return {"start": iso_utc(s), "end": iso_utc(e), "contacts": records(found)}


@router.get("/api/plan/timeline", summary="Burst segments and contacts per satellite",
            response_model=None, responses=json_responses(obj({
                "start": TIME, "end": TIME, "contacts": array_of(_ROW),
                "burst": array_of(_ROW), "downlinks": array_of(_ROW),
                "messages": array_of(STRING)})))
def plan_timeline(
    tles: Tles, norad_id: NoradIds, start: Start, end: End,
    lat: Annotated[float | None, Query(ge=-90, le=90, description="Alarm zone centre.")] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_km: Annotated[float | None, Query(gt=0, le=20000)] = None,
    memory_mbit: Annotated[float, Query(gt=0)] = 64_000.0,
) -> dict[str, Any]:
    """The instrument plan (burst in the alarm zone, if one is given) with memory and contacts."""
    s, e = _span(start, end)
    sats = _satellites(tles, norad_id)
    alarms = None
    if lat is not None and lon is not None and radius_km is not None:
        alarms = pd.DataFrame({"start": [pd.Timestamp(s)], "end": [pd.Timestamp(e)],
                               "lat": [lat], "lon": [lon], "radius_km": [radius_km]})
    found = contacts(sats, read_stations(), s, e, priority=norad_id)
    plan = instrument_plan(sats, BurstZones.build(alarms=alarms), s, e, contacts=found,
                           recorder=Recorder(memory_mbit=memory_mbit))
    burst = plan.segments[plan.segments["mode"] == "burst"]
    return {"start": iso_utc(s), "end": iso_utc(e),
            "contacts": records(found[found["track_s"] > 0]), "burst": records(burst),
            "downlinks": records(plan.downlinks), "messages": plan.messages}


@router.get("/api/plan/tasking", summary="Next passes of satellites over an alarm zone",
            response_model=None, responses=json_responses(obj({
                "issued": TIME, "passes": array_of(_ROW)})))
def plan_tasking(
    tles: Tles, norad_id: NoradIds,
    issued: Annotated[dt.datetime, Query(description="When the alarm was issued (UTC).")],
    lat: Annotated[float, Query(ge=-90, le=90)], lon: Annotated[float, Query(ge=-180, le=180)],
    radius_km: Annotated[float, Query(gt=0, le=20000)],
    count: Annotated[int, Query(ge=1, le=10)] = 3,
) -> dict[str, Any]:
    """The next ``count`` passes of each satellite over the zone within 3 days of issue."""
    t = naive(issued)
    assert t is not None
    check_time_range(t, "issued")
    alarm = pd.DataFrame({"issued": [pd.Timestamp(t)], "start": [pd.Timestamp(t)],
                          "end": [pd.Timestamp(t) + pd.Timedelta(days=3)], "lat": [lat],
                          "lon": [lon], "radius_km": [radius_km]})
    found = next_passes_over_alarms(alarm, _satellites(tles, norad_id), count=count)
    return {"issued": iso_utc(t), "passes": records(found)}
