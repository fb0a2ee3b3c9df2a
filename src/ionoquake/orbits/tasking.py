"""Alarm-driven tasking: which satellites will see an alarm's zone next, and how.

When an alarm is issued (``forecast.alarms``, columns ``issued``, ``lat``, ``lon``,
``radius_km``, ...), the ground segment asks:

* :func:`next_passes_over_alarms` -- every satellite of the constellation: its next
  ``count`` passes over the alarm's preparation zone after the issue time (in-situ
  instruments see the zone when the sub-satellite point is inside it;
  :func:`ionoquake.orbits.passes.passes_over`);
* :func:`imaging_access` -- an imaging satellite (:class:`Imager`: a TLE, a swath width
  and a maximum off-nadir angle): the windows in which the zone's centre is within its
  off-nadir limit, the smallest off-nadir angle reached, whether the centre falls in
  the nadir swath, and, for optical imagers, the sun elevation at the target at that
  moment (:func:`sun_elevation_deg`).

Off-nadir angle η: the angle at the satellite between the geocentric nadir and the
line of sight to the target; with the Earth central angle λ between sub-satellite point
and target on a sphere of radius R and the satellite at r: tan η = R sin λ / (r − R cos λ)
(Wertz & Larson, *Space Mission Analysis and Design*, 3rd ed., §5.2). The windows are
found as contacts are (:func:`ionoquake.orbits.contacts.find_windows`), with the target
also required above the horizon.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ionoquake.errors import InputError
from ionoquake.geo import EARTH_RADIUS_KM
from ionoquake.orbits.contacts import find_windows
from ionoquake.orbits.dense import EarthFixedNodes, earth_fixed_nodes
from ionoquake.orbits.frames import julian_dates
from ionoquake.orbits.passes import TimeLike, passes_over
from ionoquake.orbits.stations import station_frame, station_vectors
from ionoquake.orbits.zones import circle_zones
from ionoquake.sources.tle import MAX_AGE_DAYS

__all__ = ["ACCESS_COLUMNS", "Imager", "alarm_ids", "imaging_access", "next_passes_over_alarms",
           "sun_elevation_deg"]

Float = NDArray[np.float64]

ACCESS_COLUMNS = ("target_id", "norad_id", "satellite", "start", "end", "duration_s",
                  "best_time", "min_off_nadir_deg", "in_nadir_swath", "sun_elevation_deg",
                  "daylight")


@dataclass(frozen=True)
class Imager:
    """An imaging satellite's geometry: nadir swath width and off-nadir (agility) limit.

    ``min_sun_elevation_deg`` is the lowest sun elevation at the target at which an
    optical imager takes a useful picture (ignored when ``optical`` is False).
    """

    norad_id: int
    swath_km: float
    max_off_nadir_deg: float
    optical: bool = True
    min_sun_elevation_deg: float = 10.0

    def __post_init__(self) -> None:
        if not 0 < self.max_off_nadir_deg < 90:
            raise InputError(f"imager {self.norad_id}: max_off_nadir_deg = "
                             f"{self.max_off_nadir_deg} is not in (0, 90)")
        if self.swath_km <= 0:
            raise InputError(f"imager {self.norad_id}: swath_km = {self.swath_km} is not > 0")


def alarm_ids(alarms: pd.DataFrame) -> list[str]:
    """The alarms' ids: an ``alarm_id`` column if present, else ``alarm-<row>``."""
    if "alarm_id" in alarms.columns:
        return [str(a) for a in alarms["alarm_id"]]
    return [f"alarm-{k}" for k in range(len(alarms))]


def next_passes_over_alarms(alarms: pd.DataFrame, tles: pd.DataFrame, *, count: int = 3,
                            horizon_days: float = 3.0, node_step_s: float = 60.0,
                            max_age_days: float = MAX_AGE_DAYS) -> pd.DataFrame:
    """The next ``count`` passes of each satellite over each alarm's zone after its issue.

    Returns the pass table (:data:`ionoquake.orbits.passes.PASS_COLUMNS`) with
    ``alarm_id``, ``issued`` and ``wait_h`` (closest approach − issue time, hours) in
    front, sorted by alarm then time.
    """
    if alarms.empty:
        return pd.DataFrame()
    ids = alarm_ids(alarms)
    zones = circle_zones(alarms["lat"].to_numpy(float), alarms["lon"].to_numpy(float),
                         alarms["radius_km"].to_numpy(float), zone_id=ids)
    issued = pd.to_datetime(alarms["issued"] if "issued" in alarms else alarms["start"])
    first = issued.min()
    last = issued.max() + pd.Timedelta(days=horizon_days)
    found = passes_over(zones, tles, first, last, node_step_s=node_step_s,
                        max_age_days=max_age_days)
    when = dict(zip(ids, issued, strict=True))
    found.insert(0, "issued", found["zone_id"].astype(str).map(when))
    found.insert(0, "alarm_id", found["zone_id"].astype(str))
    found = found[(found["closest_time"] >= found["issued"])
                  & (found["closest_time"] < found["issued"] + pd.Timedelta(days=horizon_days))]
    found = found.sort_values(["alarm_id", "closest_time"])
    found = found.groupby(["alarm_id", "norad_id"], observed=True).head(count)
    found.insert(2, "wait_h",
                 (found["closest_time"] - found["issued"]).dt.total_seconds() / 3600.0)
    return found.reset_index(drop=True)


def sun_elevation_deg(times: ArrayLike, lat_deg: ArrayLike, lon_deg: ArrayLike) -> Float:
    """Geometric elevation of the Sun's centre (deg, no refraction) at times and places.

    The Astronomical Almanac's low-precision solar coordinates (section C, "Sun", good
    to 0.01° for 1950-2050) and Greenwich mean sidereal time at UTC (the 0.9 s of
    UT1 − UTC move the Sun by < 0.004°).
    """
    jd, fr = julian_dates(times)
    n = (jd - 2451545.0) + fr
    g = np.radians((357.528 + 0.9856003 * n) % 360.0)
    ecl = np.radians((280.460 + 0.9856474 * n + 1.915 * np.sin(g) + 0.020 * np.sin(2 * g))
                     % 360.0)
    eps = np.radians(23.439 - 4.0e-7 * n)
    ra = np.arctan2(np.cos(eps) * np.sin(ecl), np.cos(ecl))
    dec = np.arcsin(np.sin(eps) * np.sin(ecl))
    gmst = np.radians((280.46061837 + 360.98564736629 * n) % 360.0)
    hour = gmst + np.radians(np.asarray(lon_deg, dtype=float)) - ra
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    s = np.sin(lat) * np.sin(dec) + np.cos(lat) * np.cos(dec) * np.cos(hour)
    return np.asarray(np.degrees(np.arcsin(np.clip(s, -1.0, 1.0))))


def _off_nadir_function(nodes: EarthFixedNodes, pos: Float, up: Float,
                        max_off_nadir_deg: float) -> Callable[[Float, NDArray[np.intp]], Float]:
    """f(t, k) = max off-nadir − off-nadir angle to target k (deg), −90 below the horizon."""

    def f(t_s: Float, k: NDArray[np.intp]) -> Float:
        x, y, z, _ = nodes.position(np.asarray(t_s, dtype=float))
        p, u = pos[k], up[k]
        dx, dy, dz = p[..., 0] - x, p[..., 1] - y, p[..., 2] - z
        rng = np.sqrt(dx * dx + dy * dy + dz * dz)
        r = np.sqrt(x * x + y * y + z * z)
        cos_eta = -(dx * x + dy * y + dz * z) / (rng * r)
        eta = np.degrees(np.arccos(np.clip(cos_eta, -1.0, 1.0)))
        visible = (dx * u[..., 0] + dy * u[..., 1] + dz * u[..., 2]) < 0  # target sees sat
        return np.asarray(np.where(visible, max_off_nadir_deg - eta, -90.0))

    return f


def imaging_access(tles: pd.DataFrame, imager: Imager, targets: pd.DataFrame, start: TimeLike,
                   end: TimeLike, *, node_step_s: float = 60.0, grid_step_s: float = 20.0,
                   dut1_s: float | None = None) -> pd.DataFrame:
    """Access windows of an imaging satellite to targets (``target_id``, ``lat``, ``lon``).

    Returns :data:`ACCESS_COLUMNS`: windows with the off-nadir angle within the limit
    (best time: the smallest angle), whether the target is in the nadir swath then,
    the sun elevation at the target then and, for optical imagers, whether it is above
    ``min_sun_elevation_deg`` (``daylight``; always True for radar).
    """
    sat = tles[tles["norad_id"] == imager.norad_id].reset_index(drop=True)
    if sat.empty:
        raise InputError(f"imager {imager.norad_id}: no TLE for it")
    t0, t1 = pd.Timestamp(start).to_datetime64(), pd.Timestamp(end).to_datetime64()
    nodes = earth_fixed_nodes(sat, t0, t1, step_s=node_step_s, dut1_s=dut1_s)
    sites = station_frame([{"name": str(i), "agency": "", "lat": la, "lon": lo, "height_m": 0.0,
                            "elevation_mask_deg": 0.0, "downlink_mbps": 1.0}
                           for i, la, lo in zip(targets["target_id"], targets["lat"],
                                                targets["lon"], strict=True)],
                          source="targets")
    pos, up = station_vectors(sites)
    f = _off_nadir_function(nodes, pos, up, imager.max_off_nadir_deg)
    found = find_windows(f, float(nodes.seconds(t0)), float(nodes.seconds(t1)), len(sites),
                         grid_step_s=grid_step_s, peak_margin=30.0)

    def when(s: Float) -> NDArray[np.datetime64]:
        return nodes.t0 + np.round(s * 1e9).astype("timedelta64[ns]")

    k, best = found["target"], when(found["peak_time"])
    eta = imager.max_off_nadir_deg - found["peak"]
    x, y, z, _ = nodes.position(found["peak_time"])
    r = np.sqrt(x * x + y * y + z * z)
    lam = imager.swath_km / 2.0 / EARTH_RADIUS_KM
    half_swath = np.degrees(np.arctan2(EARTH_RADIUS_KM * np.sin(lam),
                                       r - EARTH_RADIUS_KM * np.cos(lam)))
    sun = sun_elevation_deg(best, sites["lat"].to_numpy()[k], sites["lon"].to_numpy()[k])
    daylight = sun >= imager.min_sun_elevation_deg if imager.optical else np.ones(k.size, bool)
    return pd.DataFrame({
        "target_id": sites["name"].to_numpy()[k], "norad_id": imager.norad_id,
        "satellite": str(sat["name"].iloc[0]).strip(), "start": when(found["start"]),
        "end": when(found["end"]), "duration_s": found["end"] - found["start"],
        "best_time": best, "min_off_nadir_deg": eta, "in_nadir_swath": eta <= half_swath,
        "sun_elevation_deg": sun, "daylight": daylight}, columns=list(ACCESS_COLUMNS))
