"""Writing a map Dataset back to IONEX 1.0.

The inverse of :func:`ionoquake.sources.ionex.read`: values are written as ``I5``
integers in units of 10**exponent TECU (the exponent from ``attrs["exponent"]``,
default -1), NaN as 9999, latitude rows in the header's order (north to south
for a negative ``lat_step_deg``). A read -> write -> read round trip is exact to
the file's resolution.

The header's auxiliary data (the ``DIFFERENTIAL CODE BIASES`` block between
``START OF AUX DATA`` and ``END OF AUX DATA``: ``PRN / BIAS / RMS`` and
``STATION / BIAS / RMS`` records) is written back verbatim, just before
``END OF HEADER`` as the specification places it, when it is given: ``aux_data=``,
or ``attrs["aux_data"]`` of the Dataset (the raw records, as :func:`aux_data_of` takes
them from a file).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.atomic import atomic_path
from ionoquake.sources.ionex_header import IonexError

MISSING = 9999


def _record(content: str, label: str) -> str:
    return f"{content:<60.60}{label:<20}\n"


def _epoch(t: np.datetime64) -> str:
    ts = pd.Timestamp(t)
    return "".join(f"{v:6d}" for v in (ts.year, ts.month, ts.day, ts.hour, ts.minute, ts.second))


def _grid(values: np.ndarray, step: float) -> tuple[float, float, float]:
    ordered = values if step >= 0 else values[::-1]
    first, last = float(ordered[0]), float(ordered[-1])
    return first, last, (step if len(values) > 1 else 0.0)


_AUX_LABELS = ("START OF AUX DATA", "END OF AUX DATA")


def aux_data_of(path: str | os.PathLike[str]) -> str:
    """The raw header records of every AUX DATA block of an IONEX file ('' if none).

    Each record is its 80-column line with the label, as in the file; plain or
    compressed files (:func:`ionoquake.sources.compression.read_bytes`).
    """
    from ionoquake.sources.compression import read_bytes

    text = read_bytes(Path(path)).decode("latin-1")
    header = text.split("END OF HEADER", 1)[0]
    lines, inside = [], False
    for line in header.splitlines():
        label = line[60:].strip()
        if label == _AUX_LABELS[0]:
            inside = True
        if inside:
            lines.append(f"{line[:60]:<60}{line[60:80]:<20}\n")
        if label == _AUX_LABELS[1]:
            inside = False
    return "".join(lines)


def _aux_records(aux_data: str) -> list[str]:
    lines = [f"{line[:60]:<60}{line[60:80]:<20}\n" for line in aux_data.splitlines()
             if line.strip()]
    labels = [line[60:].strip() for line in lines]
    if lines and (labels[0] != _AUX_LABELS[0] or labels[-1] != _AUX_LABELS[1]
                  or labels.count(_AUX_LABELS[0]) != labels.count(_AUX_LABELS[1])):
        raise IonexError("aux_data must be whole START OF AUX DATA ... END OF AUX DATA "
                         "blocks of 80-column header records")
    return lines


def to_ionex_text(ds: xr.Dataset, *, aux_data: str | None = None) -> str:
    """The IONEX text of ``ds`` (dims ``time``, ``lat``, ``lon``; ``tec``, optional ``rms``).

    ``aux_data`` (default ``ds.attrs["aux_data"]``, if any): the header's AUX DATA blocks,
    raw records as :func:`aux_data_of` gives them.
    """
    if "tec" not in ds or ds["tec"].dims != ("time", "lat", "lon"):
        raise IonexError("to write IONEX the Dataset needs tec(time, lat, lon)")
    attrs = ds.attrs
    exponent = int(attrs.get("exponent", -1))
    lat = ds["lat"].values
    lon = ds["lon"].values
    lat_step = float(attrs.get("lat_step_deg", -(lat[1] - lat[0]) if len(lat) > 1 else -1.0))
    lon_step = float(attrs.get("lon_step_deg", (lon[1] - lon[0]) if len(lon) > 1 else 1.0))
    lat1, lat2, dlat = _grid(np.sort(lat), lat_step)
    lon1, lon2, dlon = _grid(np.sort(lon), lon_step)
    height = float(attrs.get("shell_height_km", 450.0))
    times = ds["time"].values
    interval = round((times[1] - times[0]) / np.timedelta64(1, "s")) if len(times) > 1 else 0
    out = [
        _record(f"{'1.0':>8}{'':12}{'I':<20}{attrs.get('gnss_system', 'GPS'):<20}",
                "IONEX VERSION / TYPE"),
        _record(f"{attrs.get('source', 'ionoquake'):<20}{attrs.get('producer', ''):<20}"
                f"{attrs.get('created', ''):<20}", "PGM / RUN BY / DATE"),
    ]
    out += [_record(line, "DESCRIPTION") for line in str(attrs.get("description", "")).split("\n")
            if line]
    out += [
        _record(_epoch(times[0]), "EPOCH OF FIRST MAP"),
        _record(_epoch(times[-1]), "EPOCH OF LAST MAP"),
        _record(f"{interval:6d}", "INTERVAL"),
        _record(f"{len(times):6d}", "# OF MAPS IN FILE"),
        _record(f"{attrs.get('mapping_function', 'NONE'):>6}", "MAPPING FUNCTION"),
        _record(f"{float(attrs.get('elevation_cutoff_deg', 0.0)):8.1f}", "ELEVATION CUTOFF"),
        _record(str(attrs.get("observables", "")), "OBSERVABLES USED"),
    ]
    for key, label in (("n_stations", "# OF STATIONS"), ("n_satellites", "# OF SATELLITES")):
        if key in attrs:
            out.append(_record(f"{int(attrs[key]):6d}", label))
    out += [
        _record(f"{float(attrs.get('base_radius_km', 6371.0)):8.1f}", "BASE RADIUS"),
        _record(f"{2:6d}", "MAP DIMENSION"),
        _record(f"  {height:6.1f}{height:6.1f}{0.0:6.1f}", "HGT1 / HGT2 / DHGT"),
        _record(f"  {lat1:6.1f}{lat2:6.1f}{dlat:6.1f}", "LAT1 / LAT2 / DLAT"),
        _record(f"  {lon1:6.1f}{lon2:6.1f}{dlon:6.1f}", "LON1 / LON2 / DLON"),
        _record(f"{exponent:6d}", "EXPONENT"),
    ]
    out += [_record(line, "COMMENT") for line in str(attrs.get("comment", "")).split("\n")
            if line]
    out += _aux_records(str(aux_data if aux_data is not None else attrs.get("aux_data", "")))
    out.append(_record("", "END OF HEADER"))
    lat_rows = np.sort(lat) if dlat > 0 else np.sort(lat)[::-1]
    lon_cols = np.sort(lon) if dlon > 0 else np.sort(lon)[::-1]
    for kind in ("tec", "rms"):
        if kind not in ds:
            continue
        da = ds[kind].transpose("time", "lat", "lon").sel(lat=lat_rows, lon=lon_cols)
        scaled = np.round(da.values.astype(np.float64) * 10.0 ** -exponent)
        ints = np.where(np.isfinite(scaled), scaled, MISSING).astype(np.int64)
        if np.abs(ints).max(initial=0) > 99999 or ints.min(initial=0) < -9999:
            raise IonexError(f"{kind} values do not fit I5 at exponent {exponent}")
        for m, t in enumerate(times, start=1):
            out.append(_record(f"{m:6d}", f"START OF {kind.upper()} MAP"))
            out.append(_record(_epoch(t), "EPOCH OF CURRENT MAP"))
            for r, la in enumerate(lat_rows):
                out.append(_record(f"  {la:6.1f}{lon1:6.1f}{lon2:6.1f}{dlon:6.1f}{height:6.1f}",
                                   "LAT/LON1/LON2/DLON/H"))
                row = ints[m - 1, r]
                for j in range(0, len(row), 16):
                    out.append("".join(f"{v:5d}" for v in row[j:j + 16]) + "\n")
            out.append(_record(f"{m:6d}", f"END OF {kind.upper()} MAP"))
    out.append(_record("", "END OF FILE"))
    return "".join(out)


def write(ds: xr.Dataset, path: str | os.PathLike[str], *, aux_data: str | None = None) -> Path:
    """Write ``ds`` to ``path`` as IONEX (gzip-compressed if the name ends in ``.gz``).

    ``aux_data``: the header's AUX DATA (DCB) blocks to keep (see :func:`to_ionex_text`).
    """
    path = Path(path)
    data = to_ionex_text(ds, aux_data=aux_data).encode("latin-1")
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path
