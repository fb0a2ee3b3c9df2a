"""Orbit speed: a year of one satellite at 1 s to geodetic, and passes over 10,000 zones.

Run with ``.venv/bin/python benchmarks/bench_orbits.py``. Three timings on the same input:

1. ionoquake, dense path: SGP4 nodes every 60 s + cubic Hermite, chunked, to WGS84
   geodetic, for CSES over one year at 1 s (31.5 M epochs);
2. ionoquake, exact path (SGP4 at every epoch), timed on a 2 M-epoch slice and scaled;
3. skyfield's per-object path (``EarthSatellite.at(t)`` + ``wgs84.geographic_position_of``,
   built-in timescale, times built vectorised by ``ts.utc``), timed on a 200 k-epoch
   slice and scaled.

Positions are compared on the slices (max horizontal difference, km), so a fast wrong
path cannot win. Then: passes of CSES and Swarm A/B/C over 10,000 Dobrovolsky zones
(magnitudes Gutenberg-Richter b = 1 from M5, epicentres uniform within ±44° latitude)
for one year. The machine's load average is printed: other jobs slow every number.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ionoquake.geo import dobrovolsky_radius_km, great_circle_km
from ionoquake.orbits.passes import passes_over
from ionoquake.orbits.propagate import geodetic
from ionoquake.orbits.zones import circle_zones
from ionoquake.sources import tle

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "tle"
YEAR_S = 365 * 86400


def _timed(label: str, func):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = func()
    seconds = time.perf_counter() - t0
    print(f"{label:<58s} {seconds:8.2f} s")
    return out, seconds


def _skyfield(row: pd.Series, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    sat = EarthSatellite(row["line1"], row["line2"], ts=ts)
    seconds = (times - np.datetime64("2019-11-18", "ns")) / np.timedelta64(1, "s")
    pos = wgs84.geographic_position_of(sat.at(ts.utc(2019, 11, 18, 0, 0, seconds)))
    return pos.latitude.degrees, pos.longitude.degrees


def main() -> None:
    warnings.simplefilter("ignore")  # a year from one TLE: the age warning is expected
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    sets = tle.read(SHARED / "celestrak_science_20191118.tle")
    cses = sets[sets.norad_id == 43194]
    start = np.datetime64("2019-11-18T00:00", "ns")
    times = start + np.arange(YEAR_S) * np.timedelta64(1, "s")

    dense, t_dense = _timed(f"ionoquake dense (60 s nodes), {times.size / 1e6:.1f} M epochs",
                            lambda: geodetic(cses, times, node_step_s=60))
    n_exact = 2_000_000
    exact, t_exact = _timed(f"ionoquake exact SGP4, {n_exact / 1e6:.0f} M epochs",
                            lambda: geodetic(cses, times[:n_exact]))
    n_sky = 200_000
    sky, t_sky = _timed(f"skyfield per-object path, {n_sky / 1e3:.0f} k epochs",
                        lambda: _skyfield(cses.iloc[0], times[:n_sky]))
    scale = times.size
    print(f"scaled to one year: exact {t_exact * scale / n_exact:.1f} s, "
          f"skyfield {t_sky * scale / n_sky:.1f} s")
    print(f"ratio skyfield / ionoquake dense: {t_sky * scale / n_sky / t_dense:.1f}x; "
          f"skyfield / ionoquake exact: {t_sky / n_sky / (t_exact / n_exact):.1f}x")
    d_dense = great_circle_km(dense.lat_deg[:n_sky], dense.lon_deg[:n_sky], *sky).max()
    d_exact = great_circle_km(exact.lat_deg[:n_sky], exact.lon_deg[:n_sky], *sky).max()
    print(f"max horizontal difference vs skyfield: dense {d_dense * 1e3:.2f} m, "
          f"exact {d_exact * 1e3:.4f} m")
    del dense, exact

    rng = np.random.default_rng(0)
    m = 10_000
    magnitude = np.minimum(5 + rng.exponential(1 / np.log(10), m), 8.0)
    lat = np.degrees(np.arcsin(rng.uniform(-0.7, 0.7, m)))
    zones = circle_zones(lat, rng.uniform(-180, 180, m), dobrovolsky_radius_km(magnitude))
    four = sets[sets.norad_id.isin([43194, 39451, 39452, 39453])]
    found, t_pass = _timed("passes: 4 satellites x 10,000 zones x 1 year",
                           lambda: passes_over(zones, four, "2019-11-18", "2020-11-17"))
    print(f"{len(found):,} passes; median zone radius {np.median(zones.radius_km):.0f} km; "
          f"{len(found) / t_pass / 1e3:.0f} k passes/s")


if __name__ == "__main__":
    main()
