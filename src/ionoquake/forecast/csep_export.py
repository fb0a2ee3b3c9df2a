"""Forecasts and catalogues in the files pyCSEP reads: CSEP ASCII ``.dat`` and QuakeML.

pyCSEP 0.8 (``csep.load_gridded_forecast``) reads gridded forecasts by file extension,
and of its formats only the CSEP1 ASCII one (``.dat``, ``GriddedForecast.load_ascii``)
is implemented. That format has no header; each line is one space-magnitude bin::

    lon_min lon_max lat_min lat_max depth_min depth_max mag_min mag_max rate flag

with the magnitude bins varying fastest, then the spatial cells (Schorlemmer et al.
2007, "Earthquake likelihood model testing", Seismol. Res. Lett. 78(1), 17-29, the
RELM/CSEP testing-centre format). ``rate`` is the expected number of events in the bin
over the forecast horizon and ``flag`` is 1 for a cell inside the testing region.
pyCSEP takes the cells from ``lon_min``/``lat_min`` and the cell size from
``lat_max - lat_min``, the magnitude bins from ``mag_min`` (the last bin is open
above, as in :class:`~ionoquake.forecast.grid.Grid`), and ignores the depths: the
forecasts of ionoquake do not resolve depth, so the lines say
:data:`DEPTH_RANGE_KM` (every depth). Rates are written with 17 significant digits,
so the file holds the forecast's float64 values exactly.

pyCSEP has no QuakeML reader: the catalogue is written as QuakeML 1.2
(:func:`ionoquake.sources.catalog_write.write`, which ObsPy's ``read_events`` reads),
and :func:`pycsep_events` is the loader that hands it to pyCSEP::

    forecast = csep.load_gridded_forecast("2001-01-13T000000.dat", start_date=..., end_date=...)
    catalog = csep.load_catalog("catalog.xml", loader=pycsep_events)
    catalog.region = forecast.region
    csep.core.poisson_evaluations.number_test(forecast, catalog.filter_spatial(forecast.region))
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.atomic import atomic_path
from ionoquake.forecast.gridded import forecast_grid, forecast_rates
from ionoquake.sources import catalog_write

__all__ = ["DEPTH_RANGE_KM", "csep_ascii_rows", "pycsep_events", "write_csep_ascii",
           "write_csep_catalog"]

#: Depth range of every line (km): the forecasts hold all depths together.
DEPTH_RANGE_KM = (0.0, 1000.0)


def csep_ascii_rows(ds: xr.Dataset, *, variable: str = "spatial_rate") -> np.ndarray:
    """The ``(n_cells × n_magnitudes, 10)`` table of the CSEP ASCII file of forecast ``ds``.

    Cells run from the south-west, longitude fastest (the order of
    :func:`ionoquake.evaluate.csep.to_pycsep_forecast`), magnitude bins fastest of all.
    """
    grid = forecast_grid(ds)
    rates = forecast_rates(ds, variable=variable)  # (lat, lon, magnitude)
    lon0, lat0 = np.meshgrid(grid.lon_edges[:-1], grid.lat_edges[:-1])
    n_cells, n_mag = lon0.size, grid.magnitude.size
    mags = grid.magnitude
    step = grid.magnitude_step
    rows = np.empty((n_cells * n_mag, 10))
    rows[:, 0] = np.repeat(lon0.ravel(), n_mag)
    rows[:, 1] = rows[:, 0] + grid.step_deg
    rows[:, 2] = np.repeat(lat0.ravel(), n_mag)
    rows[:, 3] = rows[:, 2] + grid.step_deg
    rows[:, 4], rows[:, 5] = DEPTH_RANGE_KM
    rows[:, 6] = np.tile(mags, n_cells)
    rows[:, 7] = np.round(rows[:, 6] + step, 10)
    rows[:, 8] = rates.reshape(n_cells * n_mag)
    rows[:, 9] = 1.0
    return rows


def write_csep_ascii(ds: xr.Dataset, path: str | os.PathLike[str], *,
                     variable: str = "spatial_rate") -> Path:
    """Write forecast ``ds`` (rates of ``variable``) as a CSEP ASCII ``.dat`` file, atomically.

    The rates are per horizon: pass ``start_date`` (the ``issue_time``) and ``end_date``
    (issue time + ``horizon_days``) to ``csep.load_gridded_forecast``.
    """
    path = Path(path)
    rows = csep_ascii_rows(ds, variable=variable)
    buffer = io.StringIO()
    np.savetxt(buffer, rows, fmt=["%.10g"] * 8 + ["%.17g", "%d"], delimiter=" ")
    with atomic_path(path) as tmp:
        Path(tmp).write_text(buffer.getvalue(), encoding="ascii")
    return path


def write_csep_catalog(catalog: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write the catalogue table as QuakeML 1.2 (read by ObsPy and :func:`pycsep_events`)."""
    return catalog_write.write(catalog, path, format="quakeml")


def pycsep_events(filename: str | os.PathLike[str], return_catalog_id: bool = False
                  ) -> Any:
    """A QuakeML file as pyCSEP's event list: ``csep.load_catalog(path, loader=pycsep_events)``.

    Each event is ``(id, origin time in ms since 1970, latitude, longitude, depth km,
    magnitude)`` of its preferred origin and magnitude (the first when none is
    preferred), the tuple ``csep.core.catalogs.CSEPCatalog`` holds. Read by ObsPy.
    pyCSEP asks for ``(events, catalog_id)`` with ``return_catalog_id``; the id is None.
    """
    from obspy import read_events

    events = []
    for event in read_events(str(filename), format="QUAKEML"):
        origin = event.preferred_origin() or event.origins[0]
        magnitude = event.preferred_magnitude() or event.magnitudes[0]
        ms = round(origin.time.timestamp * 1000.0)
        depth = np.nan if origin.depth is None else origin.depth / 1000.0
        events.append((str(event.resource_id), ms, origin.latitude, origin.longitude, depth,
                       magnitude.mag))
    return (events, None) if return_catalog_id else events
