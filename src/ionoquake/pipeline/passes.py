"""The ``ionoquake passes`` command: passes over zones to CSV, GeoJSON and a map.

:func:`run_passes` is what the CLI calls: it reads TLE files, picks satellites,
builds zones (earthquake preparation zones from a catalogue, or one circle) and writes

* ``passes.csv`` -- the pass table (:data:`ionoquake.orbits.passes.PASS_COLUMNS`), times
  ISO 8601 UTC with ``Z`` (:mod:`ionoquake.times`);
* ``passes.geojson`` -- the zones as polygons with their pass counts, and the closest
  approach of each pass as a point (RFC 7946: longitude, latitude order, rings
  counter-clockwise and closed once, zones across 180° split into MultiPolygons);
* ``passes.png`` -- a map: coastline, zones, closest approaches coloured by satellite.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import pandas as pd

from ionoquake.errors import IonoquakeError
from ionoquake.orbits.passes import TimeLike, passes_over
from ionoquake.orbits.zones import zone_geometry
from ionoquake.sources import tle
from ionoquake.store.csv_tables import write_csv
from ionoquake.times import iso_utc_series

__all__ = ["passes_geojson", "passes_map", "run_passes"]

_MAX_POINTS = 20_000  # GeoJSON points and map dots beyond this are thinned (files stay small)


def passes_geojson(zones: pd.DataFrame, passes: pd.DataFrame) -> dict[str, object]:
    """A GeoJSON FeatureCollection of zones (with ``n_passes``) and closest approaches.

    RFC 7946: zone rings counter-clockwise and closed once, zones across 180° split into
    MultiPolygons (:func:`ionoquake.orbits.zones.zone_geometry`); times ISO 8601 UTC.
    """
    counts = passes["zone_id"].astype(str).value_counts()
    features: list[dict[str, object]] = []
    for zid, lat, lon, radius, verts in zip(
            zones["zone_id"].astype(str), zones["lat"].to_numpy(float),
            zones["lon"].to_numpy(float), zones["radius_km"].to_numpy(float),
            zones["vertices"], strict=True):
        features.append({
            "type": "Feature",
            "geometry": zone_geometry(lat, lon, radius, verts, n=72),
            "properties": {"zone_id": zid, "radius_km": float(radius),
                           "n_passes": int(counts.get(zid, 0))},
        })
    shown = passes.head(_MAX_POINTS)
    shown = shown.assign(closest_time=iso_utc_series(shown["closest_time"]).to_numpy())
    for row in shown.astype({"zone_id": str, "satellite": str}).to_dict("records"):
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(row["closest_lon"], 4),
                                                          round(row["closest_lat"], 4)]},
            "properties": {"zone_id": row["zone_id"], "satellite": row["satellite"],
                           "closest_time": row["closest_time"],
                           "closest_km": round(row["closest_km"], 2),
                           "ascending": bool(row["ascending"]),
                           "local_mean_time_h": round(row["local_mean_time_h"], 3)},
        })
    return {"type": "FeatureCollection", "features": features}


def passes_map(zones: pd.DataFrame, passes: pd.DataFrame, title: str = "") -> object:
    """A matplotlib figure: coastline, zone outlines, closest approaches by satellite."""
    import matplotlib.pyplot as plt

    from ionoquake.report.figures import circle_outline, land_rings

    fig, ax = plt.subplots(figsize=(10, 5.2), layout="constrained")
    for ring in land_rings():
        ax.plot(ring[:, 0], ring[:, 1], color="0.3", linewidth=0.5)
    head = zones.head(2000)
    for lat, lon, radius in zip(head["lat"].to_numpy(float), head["lon"].to_numpy(float),
                                head["radius_km"].to_numpy(float), strict=True):
        lats, lons = circle_outline(lat, lon, radius, n=73)
        ax.plot(lons, lats, color="red", linewidth=0.6)
    shown = passes.head(_MAX_POINTS)
    for name, group in shown.groupby("satellite", observed=True):
        ax.scatter(group["closest_lon"], group["closest_lat"], s=4, label=str(name))
    if len(shown):
        ax.legend(loc="lower left", fontsize=8, markerscale=3)
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_xlabel("longitude (°E)")
    ax.set_ylabel("latitude (°N)")
    ax.set_title(title or f"{len(passes)} passes over {len(zones)} zones")
    return fig


def run_passes(tle_paths: Sequence[str | PathLike[str]], zones: pd.DataFrame, start: TimeLike,
               end: TimeLike, out_dir: str | PathLike[str], *, norad_ids: Sequence[int] = (),
               node_step_s: float = 60.0, figure: bool = True) -> dict[str, Path]:
    """Compute passes over ``zones`` and write CSV, GeoJSON and (optionally) a PNG map.

    Parameters
    ----------
    tle_paths
        TLE files (plain or gzipped; catalogues and histories).
    zones
        A zone table (:mod:`ionoquake.orbits.zones`, e.g. ``event_zones(catalogue)``).
    start, end
        The period, naive UTC.
    out_dir
        Output folder (created).
    norad_ids
        Satellites to use; default: all in the files (an error beyond 50 satellites).
    node_step_s
        SGP4 node spacing (see :mod:`ionoquake.orbits.dense`).
    figure
        Also draw ``passes.png``.

    Returns
    -------
    dict
        ``{"csv": path, "geojson": path, "png": path}`` (no ``png`` without figure).
    """
    tles = tle.read(list(tle_paths))
    if norad_ids:
        missing = sorted(set(norad_ids) - set(tles["norad_id"]))
        if missing:
            raise IonoquakeError(f"--norad {missing}: no TLE of these in the {len(tle_paths)} "
                                 f"file(s) given")
        tles = tles[tles["norad_id"].isin(norad_ids)]
    elif tles["norad_id"].nunique() > 50:
        raise IonoquakeError(f"{tles['norad_id'].nunique()} satellites in the TLE files: "
                             "choose at most 50 (--norad; norad_ids= in Python)")
    found = passes_over(zones, tles, start, end, node_step_s=node_step_s)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {"csv": out / "passes.csv", "geojson": out / "passes.geojson"}
    write_csv(found, written["csv"], float_format="%.6g")  # times ISO 8601 UTC, Z
    written["geojson"].write_text(json.dumps(passes_geojson(zones, found)))
    if figure:
        from ionoquake.report.figures import save

        written["png"] = save(passes_map(zones, found), out / "passes.png")  # type: ignore[arg-type]
    return written
