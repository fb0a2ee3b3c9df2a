"""Satellite positions (ECEF, metres) from broadcast navigation or SP3 precise orbits.

Broadcast navigation, in georinex's nav layout (``time`` = time of clock, ``sv``):

* GPS, Galileo, BeiDou: Keplerian elements with harmonic corrections, the user algorithm
  of IS-GPS-200N Table 20-IV, the same in Galileo OS-SIS-ICD 2.0 §5.1.1 and
  BDS-SIS-ICD-B1I-3.0 §5.2.4.12 with each system's GM and Earth rotation rate. BeiDou
  GEO satellites (PRN 1–5 and 59–63) are computed in their inclined frame and rotated by
  −5° about X and by Ωe·tk about Z (BDS-SIS-ICD §5.2.4.12, the GEO branch).
* GLONASS: the PZ-90 state vector at tb integrated by 4th-order Runge–Kutta (60 s
  steps) with the central term, J2 and the broadcast lunisolar accelerations held
  constant (GLONASS ICD 5.1, 2008, Appendix A.3.1.2; RTKLIB ``ephemeris.c``).

Per satellite and epoch the ephemeris nearest in time is used if it is healthy and
no older than the system's limit (:data:`MAX_AGE_S`, RTKLIB's ``MAXDTOE*``); otherwise
the position is NaN. The signal travel time (~0.07 s, ~0.3 km of satellite motion, well
under 0.01° at the pierce point) is neglected: positions are at the reception epoch.

SP3: ``position`` (km) interpolated by a Lagrange polynomial through the 10 nearest
epochs (order 9, the IGS practice for 15-min orbits; error at the cm level, Schenewerk
2003, GPS Solutions 7:46).

All input and output epochs are GPS time; GLONASS nav epochs (UTC in RINEX) are
converted here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from ionoquake.errors import InputError
from ionoquake.gnss.combinations import glonass_channels
from ionoquake.gnss.timescales import (
    GPS_MINUS_BDT_S,
    SECONDS_PER_WEEK,
    seconds_since_gps_epoch,
    utc_to_gps,
)

Float = NDArray[np.float64]

#: GM, m³/s² (IS-GPS-200N 20.3.3.4.3; Galileo OS-SIS-ICD 5.1.1; BDS-SIS-ICD 5.2.4.12).
GM = {"G": 3.986005e14, "E": 3.986004418e14, "C": 3.986004418e14, "J": 3.986005e14}
#: Earth rotation rate, rad/s (same documents).
OMEGA_E = {"G": 7.2921151467e-5, "E": 7.2921151467e-5, "C": 7.292115e-5, "J": 7.2921151467e-5}
#: Oldest usable ephemeris, s from its reference epoch (RTKLIB 2.4.3 rtklib.h MAXDTOE*).
MAX_AGE_S = {"G": 7200.0, "J": 7200.0, "E": 14400.0, "C": 21600.0, "R": 1800.0}

# GLONASS ICD 5.1 (2008) Table 3.2 / PZ-90: GM, semi-major axis, J2, rotation rate.
_GM_GLO = 3.9860044e14
_AE_GLO = 6378136.0
_J2_GLO = 1.0826257e-3
_OMEGA_GLO = 7.292115e-5
_RK4_STEP_S = 60.0

_KEPLER = ("sqrtA", "Eccentricity", "M0", "DeltaN", "omega", "Omega0", "OmegaDot", "Io",
           "IDOT", "Cuc", "Cus", "Crc", "Crs", "Cic", "Cis", "Toe")
_GLONASS = ("X", "Y", "Z", "dX", "dY", "dZ", "dX2", "dY2", "dZ2")


def is_sp3(orbits: xr.Dataset) -> bool:
    """True for georinex's SP3 layout (``position`` over ``ECEF``)."""
    return "position" in orbits and "ECEF" in orbits.dims


def satellite_positions(orbits: xr.Dataset | Sequence[xr.Dataset], satellites: Sequence[str],
                        gps_times: NDArray[np.datetime64]) -> Float:
    """ECEF positions (m), shape ``(time, satellite, 3)``, NaN where no valid orbit.

    ``orbits`` is one SP3 or nav Dataset or several (for example GPS and GLONASS
    broadcast files of the same day); the first that has a satellite is used for it.
    """
    sets = [orbits] if isinstance(orbits, xr.Dataset) else list(orbits)
    times = np.asarray(gps_times, dtype="datetime64[ns]")
    out = np.full((times.size, len(satellites), 3), np.nan)
    for j, sv in enumerate(satellites):
        for ds in sets:
            if sv not in _satellites_of(ds):
                continue
            if is_sp3(ds):
                out[:, j] = sp3_positions(ds, sv, times)
            elif sv[0] == "R":
                out[:, j] = glonass_positions(ds, sv, times)
            elif sv[0] in GM:
                out[:, j] = kepler_positions(ds, sv, times)
            break
    return out


class OrbitCache:
    """Satellite positions computed once per satellite and epoch grid, for a network.

    The receivers of a network share their epochs (30 s on the whole second) and see
    the same satellites, so the orbit of a satellite over a day is computed once and
    reused. ``cache(satellites, gps_times)`` returns what :func:`satellite_positions`
    would, value for value: the positions of an epoch depend on that epoch alone
    (Kepler, GLONASS RK4 and SP3 Lagrange are computed epoch by epoch), so the epochs of a
    receiver that are all on a grid already computed — a 30-s receiver with data gaps
    on the day's 30-s grid — are taken from it, and other epochs get a grid of their own.

    :meth:`fill_day` computes every satellite of the orbits on the day's grid at once:
    a network run does it once on the client and sends the cache to its workers
    (:mod:`ionoquake.scale.gnss`), instead of each worker computing it again.
    """

    def __init__(self, orbits: xr.Dataset | Sequence[xr.Dataset]) -> None:
        self.orbits = [orbits] if isinstance(orbits, xr.Dataset) else list(orbits)
        #: (grid epochs as int64 ns, sorted; positions by satellite on that grid)
        self._grids: list[tuple[NDArray[np.int64], dict[str, Float]]] = []
        self._channels: dict[str, int] | None = None
        self._satellites: list[str] | None = None

    def glonass_channels(self) -> dict[str, int]:
        """:func:`ionoquake.gnss.combinations.glonass_channels` of the orbits, kept."""
        if self._channels is None:
            self._channels = glonass_channels(self.orbits)
        return dict(self._channels)

    def __call__(self, satellites: Sequence[str], gps_times: NDArray[np.datetime64]) -> Float:
        times = np.asarray(gps_times, dtype="datetime64[ns]")
        grid, rows = self._grid_of(times)
        todo = [s for s in dict.fromkeys(satellites) if s not in grid[1]]
        if todo:
            fresh = satellite_positions(self.orbits, todo, grid[0].view("datetime64[ns]"))
            for j, sv in enumerate(todo):
                grid[1][sv] = fresh[:, j]
        out = np.empty((times.size, len(satellites), 3))
        for j, sv in enumerate(satellites):
            out[:, j] = grid[1][sv] if rows is None else grid[1][sv][rows]
        return out

    def _grid_of(self, times: NDArray[np.datetime64]) -> tuple[
            tuple[NDArray[np.int64], dict[str, Float]], NDArray[np.intp] | None]:
        """The grid holding all of ``times`` and their rows in it (None: all of it, in
        order); a new grid of ``times`` if none does."""
        t = times.astype(np.int64)
        for grid in self._grids:
            g = grid[0]
            if g.size == t.size and np.array_equal(g, t):
                return grid, None
            rows = np.minimum(np.searchsorted(g, t), max(g.size - 1, 0))
            if g.size and np.array_equal(g[rows], t):
                return grid, rows
        grid = (t.copy(), {})
        self._grids.append(grid)
        return grid, None

    def computed(self) -> int:
        """How many satellite orbits (satellite × grid) have been computed."""
        return sum(len(known) for _, known in self._grids)

    def satellites(self) -> list[str]:
        """Every satellite of the orbit sets (first three characters), sorted."""
        if self._satellites is None:
            self._satellites = sorted(set().union(*(_satellites_of(ds) for ds in self.orbits)))
        return list(self._satellites)

    def fill_day(self, day: np.datetime64 | None = None,
                 step_s: int = 30) -> NDArray[np.datetime64]:
        """Compute every satellite on the ``step_s`` grid of ``day`` (GPS time; default
        the day of the orbits' middle record) and return that grid."""
        if day is None:
            mid = np.sort(np.concatenate([ds["time"].values.astype("datetime64[ns]")
                                          for ds in self.orbits]))
            day = mid[mid.size // 2] if mid.size else np.datetime64("1980-01-06", "ns")
        start = np.asarray(day).astype("datetime64[D]").astype("datetime64[ns]")
        grid = start + np.arange(0, 86_400, step_s).astype("timedelta64[s]")
        self(self.satellites(), grid)
        return grid


def _satellites_of(ds: xr.Dataset) -> set[str]:
    return {str(s)[:3] for s in ds["sv"].values}


def _records(ds: xr.Dataset, sv: str, fields: Sequence[str]) -> tuple[
        NDArray[np.datetime64], dict[str, Float]]:
    """The healthy records of ``sv`` (all copies ``G01``, ``G01_1``, ...), by time."""
    names = np.array([str(s)[:3] for s in ds["sv"].values])
    missing = [f for f in fields if f not in ds]
    if missing:
        raise InputError(f"{ds.attrs.get('filename', 'navigation data')}: no field "
                         f"{', '.join(missing)} for {sv}")
    times = ds["time"].values
    health = "SatH1" if sv[0] == "C" else "health"  # BDS-SIS-ICD SatH1
    t_parts, v_parts = [], []
    for col in np.flatnonzero(names == sv).tolist():  # copies G01, G01_1 ... of one sv
        vals = np.stack([ds[f].values[:, col].astype(np.float64) for f in fields], axis=1)
        ok = np.all(np.isfinite(vals), axis=1)
        if health in ds:  # NaN: not broadcast in this file's layout, taken as healthy
            h = ds[health].values[:, col]
            ok &= ~(h != 0) | np.isnan(h)
        t_parts.append(times[ok])
        v_parts.append(vals[ok])
    t = np.concatenate(t_parts).astype("datetime64[ns]") if t_parts else np.array(
        [], dtype="datetime64[ns]")
    v = np.concatenate(v_parts) if v_parts else np.empty((0, len(fields)))
    order = np.argsort(t, kind="stable")
    return t[order], {f: v[order, i] for i, f in enumerate(fields)}


def _nearest(record_times: NDArray[np.datetime64], times: NDArray[np.datetime64],
             max_age_s: float) -> NDArray[np.intp]:
    """Index of the record nearest each time, −1 where none within ``max_age_s``."""
    if record_times.size == 0:
        return np.full(times.size, -1, dtype=np.intp)
    rt = record_times.astype(np.int64)
    tt = times.astype(np.int64)
    hi = np.clip(np.searchsorted(rt, tt), 1, max(rt.size - 1, 1))
    lo = hi - 1
    if rt.size == 1:
        hi = lo = np.zeros_like(hi)
    pick = np.where(np.abs(tt - rt[lo]) <= np.abs(rt[hi] - tt), lo, hi)
    age = np.abs(tt - rt[pick]) / 1e9
    return np.where(age <= max_age_s, pick, -1)


def kepler_positions(nav: xr.Dataset, sv: str, gps_times: NDArray[np.datetime64]) -> Float:
    """ECEF (m) of a GPS/Galileo/BeiDou/QZSS satellite from broadcast elements."""
    system = sv[0]
    rec_t, el = _records(nav, sv, _KEPLER)
    pick = _nearest(rec_t, gps_times, MAX_AGE_S[system])
    out = np.full((gps_times.size, 3), np.nan)
    ok = pick >= 0
    if not ok.any():
        return out
    e = {k: v[pick[ok]] for k, v in el.items()}
    t = seconds_since_gps_epoch(gps_times[ok])
    if system == "C":
        t = t - GPS_MINUS_BDT_S
    tk = np.mod(t - e["Toe"] + SECONDS_PER_WEEK / 2, SECONDS_PER_WEEK) - SECONDS_PER_WEEK / 2
    geo = system == "C" and (int(sv[1:]) <= 5 or int(sv[1:]) >= 59)
    out[ok] = _kepler_kernel(e, tk, GM[system], OMEGA_E[system], beidou_geo=geo)
    return out


def _kepler_kernel(e: dict[str, Float], tk: Float, gm: float, omega_e: float, *,
                   beidou_geo: bool = False) -> Float:
    """IS-GPS-200N Table 20-IV user algorithm; ``tk`` in s from Toe."""
    a = e["sqrtA"] ** 2
    n = np.sqrt(gm / a**3) + e["DeltaN"]
    mk = e["M0"] + n * tk
    ecc = e["Eccentricity"]
    ek = mk.copy()
    for _ in range(30):  # Newton on Kepler's equation; converges in < 10 for e < 0.03
        ek = ek - (ek - ecc * np.sin(ek) - mk) / (1.0 - ecc * np.cos(ek))
    vk = np.arctan2(np.sqrt(1.0 - ecc**2) * np.sin(ek), np.cos(ek) - ecc)
    phi = vk + e["omega"]
    s2, c2 = np.sin(2 * phi), np.cos(2 * phi)
    uk = phi + e["Cus"] * s2 + e["Cuc"] * c2
    rk = a * (1.0 - ecc * np.cos(ek)) + e["Crs"] * s2 + e["Crc"] * c2
    ik = e["Io"] + e["IDOT"] * tk + e["Cis"] * s2 + e["Cic"] * c2
    xp, yp = rk * np.cos(uk), rk * np.sin(uk)
    if beidou_geo:
        om = e["Omega0"] + e["OmegaDot"] * tk - omega_e * e["Toe"]
    else:
        om = e["Omega0"] + (e["OmegaDot"] - omega_e) * tk - omega_e * e["Toe"]
    x = xp * np.cos(om) - yp * np.cos(ik) * np.sin(om)
    y = xp * np.sin(om) + yp * np.cos(ik) * np.cos(om)
    z = yp * np.sin(ik)
    if beidou_geo:
        c5, s5 = np.cos(np.deg2rad(-5.0)), np.sin(np.deg2rad(-5.0))
        y, z = c5 * y + s5 * z, -s5 * y + c5 * z
        r = omega_e * tk
        x, y = np.cos(r) * x + np.sin(r) * y, -np.sin(r) * x + np.cos(r) * y
    return np.stack([x, y, z], axis=-1)


def glonass_positions(nav: xr.Dataset, sv: str, gps_times: NDArray[np.datetime64]) -> Float:
    """ECEF (m, PZ-90) of a GLONASS satellite by RK4 from the nearest broadcast state."""
    rec_utc, st = _records(nav, sv, _GLONASS)
    rec_gps = utc_to_gps(rec_utc)
    pick = _nearest(rec_gps, gps_times, MAX_AGE_S["R"])
    out = np.full((gps_times.size, 3), np.nan)
    ok = pick >= 0
    if not ok.any():
        return out
    state = np.stack([st[f][pick[ok]] for f in _GLONASS[:6]], axis=1)
    acc = np.stack([st[f][pick[ok]] for f in _GLONASS[6:]], axis=1)
    dt = (gps_times[ok] - rec_gps[pick[ok]]).astype("timedelta64[ns]").astype(np.int64) / 1e9
    out[ok] = _glonass_rk4(state, acc, dt)
    return out


def _glonass_derivative(s: Float, acc: Float) -> Float:
    """d(state)/dt in the rotating PZ-90 frame (GLONASS ICD 5.1 A.3.1.2)."""
    x, y, z, vx, vy, vz = (s[:, i] for i in range(6))
    r2 = x * x + y * y + z * z
    r = np.sqrt(r2)
    r3 = r2 * r
    a = 1.5 * _J2_GLO * _GM_GLO * _AE_GLO**2 / (r2 * r3)
    b = 5.0 * z * z / r2
    c = -_GM_GLO / r3 - a * (1.0 - b)
    w2 = _OMEGA_GLO**2
    ax = (c + w2) * x + 2.0 * _OMEGA_GLO * vy + acc[:, 0]
    ay = (c + w2) * y - 2.0 * _OMEGA_GLO * vx + acc[:, 1]
    az = (c - 2.0 * a) * z + acc[:, 2]
    return np.stack([vx, vy, vz, ax, ay, az], axis=1)


def _glonass_rk4(state: Float, acc: Float, dt: Float) -> Float:
    """Integrate each row of ``state`` by ``dt`` seconds (either sign) with RK4; rows
    that have arrived drop out of the next steps."""
    s = state.copy()
    remaining = dt.copy()
    active = np.flatnonzero(np.abs(remaining) > 1e-9)
    while active.size:
        rem = remaining[active]
        h = np.sign(rem) * np.minimum(np.abs(rem), _RK4_STEP_S)
        hh = h[:, None]
        x, a = s[active], acc[active]
        k1 = _glonass_derivative(x, a)
        k2 = _glonass_derivative(x + 0.5 * hh * k1, a)
        k3 = _glonass_derivative(x + 0.5 * hh * k2, a)
        k4 = _glonass_derivative(x + hh * k3, a)
        s[active] = x + hh / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        remaining[active] = rem - h
        active = active[np.abs(remaining[active]) > 1e-9]
    return s[:, :3]


def sp3_positions(sp3: xr.Dataset, sv: str, gps_times: NDArray[np.datetime64],
                  n_points: int = 10) -> Float:
    """ECEF (m) by Lagrange interpolation through ``n_points`` SP3 epochs (NaN outside)."""
    if not 9 <= n_points <= 11:
        raise InputError(f"Lagrange interpolation of SP3 takes 9 to 11 points, not {n_points}")
    tab_t = sp3["time"].values.astype("datetime64[ns]")
    pos = sp3["position"].sel(sv=sv).values.astype(np.float64) * 1e3  # km -> m
    good = np.all(np.isfinite(pos), axis=1) & np.any(pos != 0, axis=1)  # 0.000000: no orbit
    tab_t, pos = tab_t[good], pos[good]
    out = np.full((gps_times.size, 3), np.nan)
    if tab_t.size < n_points:
        return out
    x = (tab_t - tab_t[0]).astype("timedelta64[ns]").astype(np.int64) / 1e9
    t = (gps_times - tab_t[0]).astype("timedelta64[ns]").astype(np.int64) / 1e9
    step = np.median(np.diff(x))
    inside = (t >= x[0]) & (t <= x[-1])
    start = np.clip(np.searchsorted(x, t) - n_points // 2, 0, x.size - n_points)
    idx = start[:, None] + np.arange(n_points)[None, :]
    # no extrapolation across a gap in the table: the window must span n_points steps
    span_ok = (x[idx[:, -1]] - x[idx[:, 0]]) <= (n_points - 1) * step * 1.01
    xs = x[idx]
    w = np.ones((t.size, n_points))
    for k in range(n_points):
        for m in range(n_points):
            if m != k:
                w[:, k] *= (t - xs[:, m]) / (xs[:, k] - xs[:, m])
    val = np.zeros((t.size, 3))
    for k in range(n_points):  # epoch by epoch, so a subset of epochs gets the same values
        val += w[:, k, None] * pos[idx[:, k]]
    ok = inside & span_ok
    out[ok] = val[ok]
    return out
