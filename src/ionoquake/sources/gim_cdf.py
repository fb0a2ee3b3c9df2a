"""GIMs distributed as CDF by NASA SPDF CDAWeb (dataset ``GPS_TEC15MIN_IGS``).

CDAWeb republishes the UPC (Universitat Politècnica de Catalunya) UQRG rapid
maps at 15-minute resolution as daily CDF files
(``gps_tec15min_igs_YYYYMMDD_v01.cdf``): ``Epoch`` (CDF_EPOCH, ms since 0 AD),
``tecUQR``/``rmsUQR`` (time, lat, lon) in TECU with fill value -1e31,
``UQRnumStations``, ``UQRnumSatellites``. They read into the same Dataset as an
IONEX file, so the whole pipeline runs on 15-minute maps too.

UQRG maps contain small negative TEC values (down to about -2.4 TECU on
2023-03-03); they are kept as published, not clipped. Values outside
:data:`ionoquake.sources.map_checks.TEC_RANGE_TECU`, a grid off the globe, and
repeated or reversed epochs are errors; so is a damaged file (whatever cdflib
raises becomes :class:`GimCdfError` naming the file).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import xarray as xr

from ionoquake.errors import IonoquakeError
from ionoquake.sources.compression import head
from ionoquake.sources.damaged import damaged_file_errors
from ionoquake.sources.map_checks import check_globe, check_increasing, check_tec_range
from ionoquake.sources.registry import register

CDF_MAGIC = (b"\xcd\xf3\x00\x01", b"\xcd\xf2\x60\x02")


class GimCdfError(IonoquakeError):
    """A CDF file is not a CDAWeb GIM file or is damaged."""


def can_read(path: Path) -> bool:
    """True for a CDF file whose name or variables say it holds maps (CDAWeb ``GPS_TEC15MIN_IGS``).

    The name (``*tec15min*``) answers at once; any other CDF is opened and must hold a
    ``tec*`` variable with ``Epoch``, ``lat`` and ``lon``, so a renamed file is still
    recognised by its content. A sniff never raises: a CDF that cannot be opened is not
    recognised here, and its own reader says why.
    """
    if head(path, 4) not in CDF_MAGIC:
        return False
    if "tec15min" in path.name.lower():
        return True
    try:
        import cdflib

        names = set(cdflib.CDF(str(path)).cdf_info().zVariables)
    except Exception:
        return False
    return any(n.startswith("tec") for n in names) and {"Epoch", "lat", "lon"} <= names


def read(path: str | os.PathLike[str]) -> xr.Dataset:
    """Read a CDAWeb ``gps_tec15min_igs`` CDF file into the map Dataset (as from IONEX)."""
    path = Path(path)
    with damaged_file_errors(path, GimCdfError, "CDF file"):
        return _read(path)


def _read(path: Path) -> xr.Dataset:
    import cdflib

    cdf = cdflib.CDF(str(path))
    names = set(cdf.cdf_info().zVariables)
    tec_name = next((n for n in sorted(names) if n.startswith("tec")), None)
    if tec_name is None or not {"Epoch", "lat", "lon"} <= names:
        raise GimCdfError(f"{path}: no tec*/Epoch/lat/lon variables (found {sorted(names)})")
    centre = tec_name[3:]
    times = cdflib.cdfepoch.to_datetime(cdf.varget("Epoch")).astype("datetime64[ns]")
    lat = np.asarray(cdf.varget("lat"), dtype=np.float64)
    lon = np.asarray(cdf.varget("lon"), dtype=np.float64).ravel()
    lat = lat.ravel()
    check_globe(lat, lon, GimCdfError, str(path))
    check_increasing(times, GimCdfError, str(path))
    data_vars = {}
    for kind in ("tec", "rms"):
        name = f"{kind}{centre}"
        if name not in names:
            continue
        values = np.asarray(cdf.varget(name), dtype=np.float32)
        fill = cdf.varattsget(name).get("FILLVAL", -1e31)
        values[values <= np.float32(fill) * 0.1] = np.nan
        if values.shape != (len(times), len(lat), len(lon)):
            raise GimCdfError(f"{path}: {name} has shape {values.shape}, expected (time, lat, "
                              f"lon) = {(len(times), len(lat), len(lon))}")
        check_tec_range(values, times, kind, GimCdfError, str(path))
        lat_order, lon_order = np.argsort(lat), np.argsort(lon)
        values = values[:, lat_order][:, :, lon_order]
        data_vars[kind] = (("time", "lat", "lon"), values,
                           {"units": "TECU", "long_name": f"{kind.upper()} ({centre})"})
    ds = xr.Dataset(
        data_vars,
        coords={"time": ("time", times, {"standard_name": "time"}),
                "lat": ("lat", np.sort(lat), {"units": "degrees_north",
                                              "standard_name": "latitude"}),
                "lon": ("lon", np.sort(lon), {"units": "degrees_east",
                                              "standard_name": "longitude"})},
    )
    for extra, var in (("n_stations", f"{centre}numStations"),
                       ("n_satellites", f"{centre}numSatellites")):
        if var in names:
            ds[extra] = ("time", np.asarray(cdf.varget(var), dtype=np.int16))
    ds.attrs = {
        "Conventions": "CF-1.8",
        "title": "GPS total electron content 15-minute maps (CDAWeb GPS_TEC15MIN_IGS)",
        "institution": "UPC-IonSAT" if centre.upper() == "UQR" else centre,
        "producer": "UPC" if centre.upper() == "UQR" else centre,
        "product": f"{centre.lower()}g_cdaweb",
        "source": "NASA SPDF CDAWeb",
        "source_file": path.name,
        "lat_step_deg": float(lat[1] - lat[0]) if len(lat) > 1 else 0.0,
        "lon_step_deg": float(lon[1] - lon[0]) if len(lon) > 1 else 0.0,
        "exponent": -1,
        "interval_s": float(np.median(np.diff(times)) / np.timedelta64(1, "s")),
    }
    return ds


register("gim-cdf", "maps", can_read, read, "CDAWeb GPS_TEC15MIN_IGS global ionosphere maps (CDF)")
