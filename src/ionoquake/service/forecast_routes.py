"""A stored daily forecast as a map: ``/api/forecasts/{forecast_id}/grid``.

The forecasts table (``/api/forecasts``) lists the issued forecasts with the archive file of
each (``payload``); this endpoint reads that file (:func:`ionoquake.forecast.archive.read_forecast`)
and answers one of its grids: the expected rate of target events per cell over the horizon
(``rate``, as log10, since rates span decades), the seismicity baseline's (``baseline``), or
their ratio, the gain the alarms put on a cell (``gain``: 1 outside every alarm).
``/reports/{evaluation_id}.html`` serves the HTML report an evaluation job kept in the
archive (``<store>/reports``).
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of the route
# functions at run time.
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as ApiPath
from fastapi.responses import FileResponse

from ionoquake.service.params import as_json
from ionoquake.service.schemas import NUMBER, STRING, TIME, array_of, json_responses, nullable, obj
from ionoquake.service.settings import Engine
from ionoquake.store import database, schema
from ionoquake.times import iso_utc

__all__ = ["router"]

router = APIRouter(tags=["forecasts"])

VARIABLES = {
    "rate": ("log10 of the expected number of target events per cell over the horizon",
             "log10(events)"),
    "baseline": ("log10 of the seismicity baseline's expected events per cell", "log10(events)"),
    "gain": ("forecast rate / baseline rate (the alarms' gain; 1 outside alarms)", "1"),
}


@router.get("/api/forecasts/{forecast_id}/grid", response_model=None,
            summary="One stored forecast's grid (rate, baseline or gain) for a map",
            responses=json_responses(obj({
                "forecast_id": STRING, "issue_time": TIME, "model": STRING, "variable": STRING,
                "long_name": STRING, "units": STRING, "horizon_days": NUMBER,
                "lat": array_of(NUMBER), "lon": array_of(NUMBER),
                "values": array_of(array_of(nullable(NUMBER)))})))
def forecast_grid(request: Request, engine: Engine,
                  forecast_id: Annotated[str, ApiPath(pattern=r"^[0-9a-f]{64}$")],
                  variable: Annotated[str, Query(pattern="^(rate|baseline|gain)$",
                                                 description="rate, baseline or gain")] = "rate",
                  ) -> Any:
    from ionoquake.forecast.archive import read_forecast

    rows = database.read(engine, schema.forecasts,
                         where=[schema.forecasts.c.forecast_id == forecast_id])
    if rows.empty:
        raise HTTPException(404, f"no forecast {forecast_id}")
    store = Path(request.app.state.settings.store).resolve()
    path = (store / str(rows["payload"].iloc[0])).resolve()
    if store not in path.parents or not path.is_file():
        raise HTTPException(404, f"the file of forecast {forecast_id} is not in the archive")
    ds = read_forecast(path)
    rate = ds["spatial_rate"].values
    base = ds["baseline_rate"].values
    with np.errstate(divide="ignore", invalid="ignore"):
        values = {"rate": np.log10(rate), "baseline": np.log10(base),
                  "gain": rate / base}[variable]
    values = np.where(np.isfinite(values), np.round(values, 3), np.nan)
    long_name, units = VARIABLES[variable]
    return as_json({
        "forecast_id": forecast_id, "issue_time": iso_utc(ds.attrs.get("issue_time")),
        "model": str(ds.attrs.get("model", "")), "variable": variable,
        "long_name": long_name, "units": units,
        "horizon_days": float(ds.attrs.get("horizon_days", 1.0)),
        "lat": ds["lat"].values.astype(float), "lon": ds["lon"].values.astype(float),
        "values": [[None if not np.isfinite(v) else float(v) for v in row] for row in values]})


@router.get("/reports/{evaluation_id}.html", include_in_schema=False)
def evaluation_report(request: Request, evaluation_id: Annotated[str, ApiPath(
        pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]) -> FileResponse:
    """The HTML report of an evaluation, as kept in ``<store>/reports`` by the job that ran it."""
    store = Path(request.app.state.settings.store).resolve()
    path = (store / "reports" / f"{evaluation_id}.html").resolve()
    if path.parent != store / "reports" or not path.is_file():
        raise HTTPException(404, f"no report of evaluation {evaluation_id!r}")
    return FileResponse(path, media_type="text/html")
