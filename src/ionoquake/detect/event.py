"""Earthquake-centred analysis: TEC at the epicentre and its conjugate point, and the zone.

For one earthquake, from the global maps and their anomalies
(:func:`ionoquake.detect.anomalies.detect_anomalies`):

* the TEC series at the epicentre and at its magnetically conjugate point
  (:mod:`ionoquake.detect.conjugate`, IGRF field-line trace at the map shell
  height), each interpolated bilinearly from the maps at the map epochs and given
  its own running background and bounds (same configuration as the maps), so that
  the bounds belong to the interpolated series;
* per epoch, the area-weighted fraction of map cells inside the earthquake
  preparation zone (Dobrovolsky et al. 1979, R = 10^(0.43 M) km) that are
  positive or negative anomalies;
* the geomagnetic class and Kp of each epoch;
* :func:`days_before_table`: one row per UT day from 30 days before to 10 days
  after the event day (day 0 is the UT day of the event and holds its epochs
  both before and after the origin time).

Latitudes are geocentric (those of the maps; the epicentre's geodetic latitude is
used as is, a difference below 0.2 degrees), distances in km, TEC in TECU.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.detect.anomalies import DEFAULT_RULES, detect_anomalies
from ionoquake.detect.background import DEFAULT_CONFIG, BackgroundConfig
from ionoquake.detect.clusters import cell_areas_km2, global_longitudes
from ionoquake.detect.conjugate import conjugate_point
from ionoquake.detect.quiet import CLASSES, QuietRules
from ionoquake.errors import IonoquakeError
from ionoquake.geo import dobrovolsky_radius_km, great_circle_km
from ionoquake.quake import Earthquake
from ionoquake.sources.gim import tec_at

POINT_VARIABLES = ("tec", "background", "lower", "upper", "dtec", "dtec_percent", "severity",
                   "positive", "negative")
DAY_COLUMNS = ("day", "date", "n_epochs", "epicentre_max_dtec", "epicentre_min_dtec",
               "epicentre_positive", "epicentre_negative", "conjugate_positive",
               "conjugate_negative", "zone_max_positive_fraction", "zone_max_negative_fraction",
               "kp_max", "geomag")
#: Units and meaning of each of :data:`DAY_COLUMNS` (``docs/data.md`` is made of these).
DAY_COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "day": ("d", "UT days from the event day (0: the day of the event)"),
    "date": ("UTC", "the UT day (midnight)"),
    "n_epochs": ("1", "map epochs of the day"),
    "epicentre_max_dtec": ("TECU", "largest TEC minus background at the epicentre"),
    "epicentre_min_dtec": ("TECU", "smallest TEC minus background at the epicentre"),
    "epicentre_positive": ("1", "epochs with a positive anomaly at the epicentre"),
    "epicentre_negative": ("1", "epochs with a negative anomaly at the epicentre"),
    "conjugate_positive": ("1", "epochs with a positive anomaly at the conjugate point"),
    "conjugate_negative": ("1", "epochs with a negative anomaly at the conjugate point"),
    "zone_max_positive_fraction": ("1", "largest area fraction of the zone above the bound"),
    "zone_max_negative_fraction": ("1", "largest area fraction of the zone below the bound"),
    "kp_max": ("1", "largest Kp of the day"),
    "geomag": ("", "disturbed if any epoch of the day is, quiet if all are, else unknown"),
}


def point_anomalies(maps: xr.Dataset, lat_deg: float, lon_deg: float,
                    config: BackgroundConfig, *, indices: pd.DataFrame | None = None,
                    rules: QuietRules = DEFAULT_RULES) -> xr.Dataset:
    """Anomalies of the TEC series at one point (bilinear from the maps, own background)."""
    times = maps["time"].values
    series = tec_at(maps, times, np.full(len(times), lat_deg), np.full(len(times), lon_deg))
    da = xr.DataArray(series.astype(np.float32), coords={"time": times}, dims="time",
                      attrs={"units": "TECU"})
    return detect_anomalies(da, config, indices=indices, rules=rules)


def zone_fractions(anomalies: xr.Dataset, lat_deg: float, lon_deg: float,
                   radius_km: float) -> xr.Dataset:
    """Area-weighted fraction of the zone's cells flagged positive / negative, per epoch.

    Only cells whose centre is within ``radius_km`` of the point count, and of
    those only the ones with a background; the duplicated 180° column is left out.
    """
    lat = anomalies["lat"].values.astype(float)
    lon = anomalies["lon"].values.astype(float)
    _, duplicated = global_longitudes(lon)
    keep = np.arange(len(lon) - 1 if duplicated else len(lon))
    glat, glon = np.meshgrid(lat, lon[keep], indexing="ij")
    inside = great_circle_km(lat_deg, lon_deg, glat, glon) <= radius_km
    if not inside.any():
        raise IonoquakeError(f"no map cell centre within {radius_km:.0f} km of "
                             f"{lat_deg:.2f}N {lon_deg:.2f}E")
    weight = xr.DataArray(np.where(inside, cell_areas_km2(lat, lon[keep])[:, None], 0.0),
                          dims=("lat", "lon"))
    sub = anomalies[["dtec", "positive", "negative"]].isel(lon=keep)
    w = weight.where(sub["dtec"].notnull(), 0.0)
    total = w.sum(("lat", "lon"))
    frac = {name: (sub[name] * w).sum(("lat", "lon")) / total.where(total > 0)
            for name in ("positive", "negative")}
    return xr.Dataset({
        "zone_positive_fraction": frac["positive"].assign_attrs(
            units="1", long_name="area fraction of the zone above the upper bound"),
        "zone_negative_fraction": frac["negative"].assign_attrs(
            units="1", long_name="area fraction of the zone below the lower bound"),
        "zone_cells": (sub["dtec"].notnull() & xr.DataArray(inside, dims=("lat", "lon"))).sum(
            ("lat", "lon")).assign_attrs(units="1", long_name="zone cells with a background")})


def event_analysis(maps: xr.Dataset, quake: Earthquake, *,
                   config: BackgroundConfig = DEFAULT_CONFIG,
                   anomalies: xr.Dataset | None = None, indices: pd.DataFrame | None = None,
                   rules: QuietRules = DEFAULT_RULES, days_before: int = 30,
                   days_after: int = 10, radius_km: float | None = None) -> xr.Dataset:
    """Everything about one earthquake on the maps, from ``days_before`` to ``days_after``.

    Parameters
    ----------
    maps
        Global TEC maps ``(time, lat, lon)`` reaching at least the window.
    quake
        The event.
    config, indices, rules
        Background configuration, index table and quiet-time rules (as in
        :func:`~ionoquake.detect.anomalies.detect_anomalies`).
    anomalies
        The anomalies of ``maps`` if already computed (same ``config``).
    days_before, days_after
        The window, in UT days around the event day.
    radius_km
        Zone radius; default the Dobrovolsky radius of the magnitude.

    Returns
    -------
    xarray.Dataset
        Along ``time`` (the map epochs in the window): ``<v>_epicentre`` and
        ``<v>_conjugate`` for ``v`` in :data:`POINT_VARIABLES`, the zone fractions,
        ``zone_cells``, ``geomag``, ``kp`` and ``day`` (UT days from the event day).
        ``attrs``: the event, conjugate point and method, radius, configuration.
    """
    if anomalies is None:
        anomalies = detect_anomalies(maps, config, indices=indices, rules=rules)
    radius = float(dobrovolsky_radius_km(quake.magnitude) if radius_km is None else radius_km)
    shell = float(maps.attrs.get("shell_height_km", 450.0))
    conj = conjugate_point(quake.latitude, quake.longitude, quake.time, altitude_km=shell)
    parts = []
    for where, (la, lo) in (("epicentre", (quake.latitude, quake.longitude)), ("conjugate", conj)):
        point = point_anomalies(maps, la, lo, config, indices=indices, rules=rules)
        parts.append(point[list(POINT_VARIABLES)].rename(
            {v: f"{v}_{where}" for v in POINT_VARIABLES}))
    parts.append(zone_fractions(anomalies, quake.latitude, quake.longitude, radius))
    ds = xr.merge(parts, compat="override", combine_attrs="drop_conflicts")
    ds["geomag"] = anomalies["geomag"]
    ds["kp"] = ("time", _kp_at(ds["time"].values, indices),
                {"units": "1", "long_name": "Kp index of the hour (planetary, 0 to 9)"})
    event_day = np.datetime64(pd.Timestamp(quake.time).date())
    day = (ds["time"].values.astype("datetime64[D]") - event_day).astype(int)
    ds["day"] = ("time", day, {"units": "1", "long_name": "UT days from the event day"})
    ds = ds.isel(time=(day >= -days_before) & (day <= days_after))
    if ds.sizes["time"] == 0:
        raise IonoquakeError(f"the maps ({maps['time'].values[0]} .. {maps['time'].values[-1]}) "
                             f"do not reach the window of the event at {quake.time}")
    ds.attrs = {**quake.to_attrs(), **config.to_attrs(),
                "conjugate_lat": conj[0], "conjugate_lon": conj[1],
                "conjugate_method": f"IGRF-14 field-line trace at {shell:.0f} km (ppigrf)",
                "zone_radius_km": radius,
                "zone_radius_method": "Dobrovolsky et al. (1979) 10**(0.43 M) km"
                if radius_km is None else "fixed",
                "point_method": "bilinear interpolation of the maps at the map epochs",
                "product": str(maps.attrs.get("product", ""))}
    return ds


def _kp_at(times: np.ndarray, indices: pd.DataFrame | None) -> np.ndarray:
    if indices is None:
        return np.full(len(times), np.nan)
    kp = indices.set_index("time")["kp"]
    return kp.reindex(pd.DatetimeIndex(times).floor("h")).to_numpy(float)


def days_before_table(event: xr.Dataset) -> pd.DataFrame:
    """One row per UT day of the window (columns :data:`DAY_COLUMNS`).

    Counts are numbers of epochs flagged at the epicentre / conjugate point; zone
    fractions the largest of the day; ``geomag`` the day's class: ``"disturbed"``
    if any epoch is, ``"quiet"`` if all are, else ``"unknown"``; days without maps
    are rows with ``n_epochs`` 0.
    """
    df = pd.DataFrame({
        "day": event["day"].values, "epicentre_dtec": event["dtec_epicentre"].values,
        "epicentre_positive": event["positive_epicentre"].values,
        "epicentre_negative": event["negative_epicentre"].values,
        "conjugate_positive": event["positive_conjugate"].values,
        "conjugate_negative": event["negative_conjugate"].values,
        "zone_pos": event["zone_positive_fraction"].values,
        "zone_neg": event["zone_negative_fraction"].values,
        "kp": event["kp"].values, "geomag": event["geomag"].values})
    g = df.groupby("day")
    table = pd.DataFrame({
        "n_epochs": g.size(), "epicentre_max_dtec": g["epicentre_dtec"].max(),
        "epicentre_min_dtec": g["epicentre_dtec"].min(),
        "epicentre_positive": g["epicentre_positive"].sum(),
        "epicentre_negative": g["epicentre_negative"].sum(),
        "conjugate_positive": g["conjugate_positive"].sum(),
        "conjugate_negative": g["conjugate_negative"].sum(),
        "zone_max_positive_fraction": g["zone_pos"].max(),
        "zone_max_negative_fraction": g["zone_neg"].max(), "kp_max": g["kp"].max(),
        "geomag": g["geomag"].agg(lambda c: CLASSES[1] if (c == 1).any() else
                                  CLASSES[0] if (c == 0).all() else CLASSES[2])})
    first, last = int(event["day"].min()), int(event["day"].max())
    table = table.reindex(range(first, last + 1))
    table["n_epochs"] = table["n_epochs"].fillna(0).astype(int)
    table.index.name = "day"
    table = table.reset_index()
    day0 = np.datetime64(str(event.attrs["event_time"])[:10], "D")
    table["date"] = (day0 + table["day"].to_numpy().astype("timedelta64[D]")).astype(
        "datetime64[ns]")
    return table.loc[:, list(DAY_COLUMNS)]


def latitude_control(anomalies: xr.Dataset, quake: Earthquake,
                     days_before: int = 30) -> dict[str, float]:
    """Days with a flagged epoch at the epicentre's grid cell vs. at every cell of its latitude.

    A precursor claim needs the epicentre to stand out from places without an
    earthquake. The controls are the other longitudes of the same latitude row
    (same local-time and latitude climatology); ``rank`` is the fraction of
    controls with fewer flagged days than the epicentre (0.5 = typical).
    """
    _, duplicated = global_longitudes(anomalies["lon"].values.astype(float))
    row = anomalies.sel(lat=quake.latitude, method="nearest")
    row = row.isel(lon=slice(0, -1)) if duplicated else row
    start = quake.time - np.timedelta64(days_before, "D")
    window = row.sel(time=slice(start, quake.time))
    flagged = (window["positive"] | window["negative"]).resample(time="1D").max()
    has_background = window["dtec"].notnull().resample(time="1D").max()
    n_days = int(has_background.max("lon").sum())
    per_lon = flagged.where(has_background).mean("time").values
    lon = ((quake.longitude + 180.0) % 360.0) - 180.0
    epi = float(per_lon[int(np.argmin(np.abs(row["lon"].values - lon)))])
    valid = per_lon[np.isfinite(per_lon)]
    return {"epicentre_fraction": epi, "control_median": float(np.median(valid)),
            "rank": float(np.mean(valid < epi)), "n_controls": len(valid), "n_days": n_days}
