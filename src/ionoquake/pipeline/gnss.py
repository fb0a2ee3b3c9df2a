"""Jobs of the receiver-level stage: slant TEC from RINEX into files and the archive, and one
earthquake's co-seismic disturbances (``ionoquake tec`` and ``ionoquake cid``).

:func:`tec_to_files` writes the ``(time, receiver, satellite)`` container of a network's
receivers (:mod:`ionoquake.gnss`; computed in process or on a Dask cluster by
:func:`ionoquake.scale.gnss.network_tec_on`) as one NetCDF file and, with a store, into the
archive (:mod:`ionoquake.store.gnss_tec`, one file per day and network, with provenance).

:func:`disturbances_to_files` runs the disturbance analysis of
:mod:`ionoquake.gnss.disturbances` around one earthquake on any container (from RINEX, the
archive or the Madrigal export), its null at fake origin times, the travel-time fits, and
writes the picks (CSV), the fits and the null (JSON) and the figures (PNG).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.atomic import atomic_path
from ionoquake.errors import InputError, IonoquakeError
from ionoquake.gnss.disturbances import disturbances_around
from ionoquake.gnss.disturbances_fit import TravelTimeFit, fit_travel_time
from ionoquake.gnss.disturbances_null import disturbance_null
from ionoquake.gnss.tec import combine
from ionoquake.quake import Earthquake
from ionoquake.report import gnss_figures
from ionoquake.report.figures import save
from ionoquake.strict_json import strict
from ionoquake.times import iso_utc

__all__ = ["CidAnalysis", "CidOutputs", "TecOutputs", "cid_analysis", "disturbances_to_files",
           "open_tec", "tec_to_files"]


@dataclass(frozen=True)
class TecOutputs:
    """What :func:`tec_to_files` wrote, and the container itself."""

    netcdf: Path
    stored: tuple[Path, ...]
    summary: dict[str, Any]
    tec: xr.Dataset = field(repr=False)


def summarize_tec(tec: xr.Dataset) -> dict[str, Any]:
    """Receivers, satellites per system, epochs, span and STEC range of a container."""
    stec = tec["stec"].values
    seen = np.isfinite(stec)
    satellites = [str(s) for s, used in zip(tec["satellite"].values, seen.any(axis=(0, 1)),
                                            strict=True) if used]
    systems: dict[str, int] = {}
    for sat in satellites:
        systems[sat[0]] = systems.get(sat[0], 0) + 1
    times = tec["time"].values
    return {
        "receivers": [str(r) for r in tec["receiver"].values],
        "satellites": len(satellites), "systems": systems, "epochs": int(times.size),
        "start": iso_utc(times[0]) if times.size else None,
        "end": iso_utc(times[-1]) if times.size else None,
        "observations": int(seen.sum()),
        "stec_min_tecu": float(np.nanmin(stec)) if seen.any() else None,
        "stec_max_tecu": float(np.nanmax(stec)) if seen.any() else None,
        "shell_height_km": tec.attrs.get("shell_height_km"),
    }


def _write_netcdf(tec: xr.Dataset, path: Path) -> Path:
    """The container as CF-1.8 NetCDF (:func:`ionoquake.store.cf.cf_encode`), atomically."""
    from ionoquake.store.cf import cf_encode

    ds = tec.copy()
    for name in ("receiver", "satellite"):
        ds[name] = ds[name].astype(str)
    ds, encoding = cf_encode(
        ds, title="GNSS slant and vertical TEC per receiver and satellite",
        source=f"ionoquake tec: levelled geometry-free phase, thin shell "
               f"{tec.attrs.get('shell_height_km', '?')} km", institution="ionoquake")
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, encoding=encoding)
    return path


def tec_to_files(tec: xr.Dataset, out_dir: str | os.PathLike[str], *,
                 store: str | os.PathLike[str] | None = None,
                 network: str = "local") -> TecOutputs:
    """Receivers' slant TEC into ``<out_dir>/tec.nc`` and, with a store, the archive (one
    file per day and network, :mod:`ionoquake.store.gnss_tec`).

    ``tec`` is the container of :func:`ionoquake.gnss.tec_files.network_slant_tec_files`
    (in process) or :func:`ionoquake.scale.gnss.network_tec_on` (on a Dask cluster), which
    raise on a file that cannot give TEC before anything is written here.
    """
    out = Path(out_dir)
    netcdf = _write_netcdf(tec, out / "tec.nc")
    stored: tuple[Path, ...] = ()
    if store is not None:
        from ionoquake.store import gnss_tec

        stored = tuple(gnss_tec.write(store, tec, network=network))
    return TecOutputs(netcdf, stored, summarize_tec(tec), tec)


def open_tec(paths: Sequence[str | os.PathLike[str]]) -> xr.Dataset:
    """Containers from files: NetCDF written by ``ionoquake tec`` or line-of-sight TEC exports
    (any reader of the registry that gives the container, such as the Madrigal export)."""
    from ionoquake.sources import registry

    parts = []
    for path in map(Path, paths):
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        if path.suffix == ".nc":
            with xr.open_dataset(path) as ds:
                part = ds.load()
        else:
            part = registry.read(path)
        if not isinstance(part, xr.Dataset) or "stec" not in part:
            raise InputError(f"{path}: not line-of-sight TEC (no stec variable); RINEX "
                             f"observations need `ionoquake tec` with their orbits first")
        parts.append(part)
    return parts[0] if len(parts) == 1 else combine(parts)


@dataclass(frozen=True)
class CidOutputs:
    """What :func:`disturbances_to_files` wrote, with the picks and the fitted speeds."""

    picks_csv: Path
    json: Path
    figures: tuple[Path, ...]
    picks: pd.DataFrame = field(repr=False)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CidAnalysis:
    """One earthquake's disturbances: detrended STEC, picks, fits and the summary record."""

    quake: Earthquake
    dstec: xr.DataArray = field(repr=False)
    picks: pd.DataFrame = field(repr=False)
    fits: tuple[TravelTimeFit, ...]
    summary: dict[str, Any]


def cid_analysis(tec: xr.Dataset, quake: Earthquake, *, snr_threshold: float = 3.0,
                 max_distance_km: float = 1500.0) -> CidAnalysis:
    """Picks, travel-time fits and the fake-origin null around ``quake`` on ``tec``.

    The summary (strict-JSON-able) holds the earthquake, the counts, the two fits (all
    detected picks; SNR ≥ 5 within 500 km) with their warnings, and the null at fake
    origins (or why it could not be computed).
    """
    times = tec["time"].values
    if not times.size or not times[0] <= quake.time <= times[-1]:
        span = f"{iso_utc(times[0])} .. {iso_utc(times[-1])}" if times.size else "no epochs"
        raise InputError(f"the origin time {iso_utc(quake.time)} is outside the data ({span})")
    dstec, picks = disturbances_around(tec, quake, snr_threshold=snr_threshold)
    near = picks[picks["distance_km"] <= max_distance_km]
    fits: dict[str, Any] = {}
    fit_objects = []
    for label, options in (("all detected picks, peak time", {}),
                           ("SNR >= 5 within 500 km, peak time",
                            {"min_snr": 5.0, "max_distance_km": 500.0})):
        try:
            fit = fit_travel_time(near, **options)  # type: ignore[arg-type]
        except InputError as exc:
            fits[label] = {"not fitted": str(exc)}
            continue
        fits[label] = fit.to_dict()
        fit_objects.append(fit)
    try:
        null: dict[str, Any] | str = disturbance_null(tec, quake,
                                                      snr_threshold=snr_threshold).to_dict()
    except IonoquakeError as exc:
        null = f"not computed: {exc}"
    detected = picks[picks["detected"]]
    summary = {
        "earthquake": {"time": iso_utc(quake.time), "latitude": quake.latitude,
                       "longitude": quake.longitude, "depth_km": quake.depth_km,
                       "magnitude": quake.magnitude, "name": quake.name},
        "pairs": len(picks), "detected": len(detected),
        "snr_threshold": snr_threshold,
        "first_onset_min": float(detected["onset_min"].min()) if len(detected) else None,
        "largest_amplitude_tecu": (float(detected["amplitude_tecu"].max()) if len(detected)
                                   else None),
        "travel_time_fits": fits, "null_at_fake_origins": null,
        "method": dstec.attrs.get("method", ""),
        "shell_height_km": tec.attrs.get("shell_height_km"),
    }
    return CidAnalysis(quake, dstec, picks, tuple(fit_objects), strict(summary))


def disturbances_to_files(tec: xr.Dataset, quake: Earthquake, out_dir: str | os.PathLike[str],
                          *, snr_threshold: float = 3.0, max_distance_km: float = 1500.0,
                          name: str = "cid") -> CidOutputs:
    """:func:`cid_analysis` into ``<name>_picks.csv``, ``<name>.json`` and the figures."""
    cid = cid_analysis(tec, quake, snr_threshold=snr_threshold,
                       max_distance_km=max_distance_km)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    picks_csv = out / f"{name}_picks.csv"
    with atomic_path(picks_csv) as tmp:
        cid.picks.to_csv(tmp, index=False)
    path_json = out / f"{name}.json"
    with atomic_path(path_json) as tmp:
        tmp.write_text(json.dumps(cid.summary, indent=1, allow_nan=False))
    figures = [save(gnss_figures.wiggle_figure(cid.dstec, cid.picks, quake),
                    out / f"{name}_wiggles.png"),
               save(gnss_figures.travel_time_figure(cid.picks, cid.fits),
                    out / f"{name}_travel_time.png")]
    detected = cid.picks[cid.picks["detected"]]
    if len(detected):
        peak = quake.time + np.timedelta64(round(float(detected["peak_min"].median()) * 60), "s")
        figures.append(save(gnss_figures.ipp_map_figure(tec, cid.dstec, quake, peak),
                            out / f"{name}_ipp_map.png"))
    return CidOutputs(picks_csv, path_json, tuple(figures), cid.picks, cid.summary)
