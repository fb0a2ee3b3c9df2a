"""The along-track model that every in-situ reader (CSES, Swarm) returns.

One ``xarray.Dataset`` with the dimension ``time`` (one sample, or one packet for
waveform products) and

* coordinates ``time`` (UTC, ``datetime64[ns]``), ``lat``, ``lon`` (degrees) and
  ``alt_km``: height above a sphere of radius 6371.2 km, the convention of the CSES
  Level-2 files (their ``ALTITUDE`` LongName says "Earth radius is 6371.2km"); Swarm's
  geocentric ``Radius`` is converted to the same convention so that the two compare;
* ``mag_lat``: magnetic latitude (degrees), the file's own where it has one
  (CSES ``MAG_LAT``, a dipole latitude), else the IGRF-13 centred dipole of
  :func:`ionoquake.geo.dipole_latitude_deg`; ``attrs["source"]`` says which;
* ``local_mean_time`` (h): local mean solar time = UTC + lon/15, what satellite
  papers call "LT"; ``local_apparent_time`` (h): local apparent (sundial) time =
  mean time + equation of time (:func:`ionoquake.geo.equation_of_time_min`);
* ``orbit`` (orbit number), ``direction`` (+1 ascending, -1 descending, from the sign
  of the latitude rate) and ``half_orbit`` (0, 1, 2, ... for each run of samples of one
  direction without a gap longer than ``max_gap_s``);
* the measured variables, each with ``units`` and ``long_name`` in its attrs;
* global attrs in the CF style: ``Conventions``, ``featureType = "trajectory"``,
  ``mission``, ``instrument``, ``product``, ``source_file``.

:func:`make_track` builds it, :func:`check_track` is the contract the readers' tests share.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from ionoquake.geo import dipole_latitude_deg, equation_of_time_min, local_mean_time_h

__all__ = ["MEAN_EARTH_RADIUS_KM", "TRACK_COORDS", "TRACK_VARIABLES", "check_track",
           "direction_from_latitude", "half_orbit_labels", "local_mean_time_h", "make_track",
           "orbit_numbers"]

#: Radius of the sphere above which ``alt_km`` is counted (CSES L2 ``ALTITUDE`` convention), km.
MEAN_EARTH_RADIUS_KM = 6371.2
TRACK_COORDS = ("time", "lat", "lon", "alt_km")
TRACK_VARIABLES = ("mag_lat", "local_mean_time", "local_apparent_time", "orbit", "direction",
                   "half_orbit")

Variable = tuple[tuple[str, ...], ArrayLike, Mapping[str, Any]]


def direction_from_latitude(lat_deg: ArrayLike) -> NDArray[np.int8]:
    """+1 where the latitude grows (ascending), -1 where it falls, 0 where unknown."""
    lat = np.asarray(lat_deg, dtype=np.float64)
    if lat.size < 2:
        return np.zeros(lat.shape, dtype=np.int8)
    rate = np.gradient(lat)
    return np.sign(np.nan_to_num(rate)).astype(np.int8)


def half_orbit_labels(times: ArrayLike, direction: ArrayLike,
                      max_gap_s: float = 60.0) -> NDArray[np.int32]:
    """Number the runs of constant direction (0, 1, ...); a gap > ``max_gap_s`` starts a new one."""
    t = np.asarray(times, dtype="datetime64[ns]").astype(np.int64)
    d = np.asarray(direction, dtype=np.int8).copy()
    if d.size == 0:
        return np.zeros(0, dtype=np.int32)
    # a 0 (stationary latitude, e.g. at the turning point) joins the run before it
    for i in range(1, d.size):
        if d[i] == 0:
            d[i] = d[i - 1]
    gap = np.diff(t) > max_gap_s * 1e9
    new = np.concatenate([[False], (np.diff(d) != 0) | gap])
    return np.cumsum(new).astype(np.int32)


def orbit_numbers(lat_deg: ArrayLike, direction: ArrayLike, first_orbit: int) -> NDArray[np.int64]:
    """Orbit numbers counted from ``first_orbit``, +1 at each ascending-node crossing."""
    lat = np.asarray(lat_deg, dtype=np.float64)
    d = np.asarray(direction)
    crossing = np.concatenate([[False], (lat[:-1] < 0) & (lat[1:] >= 0) & (d[1:] > 0)])
    return first_orbit + np.cumsum(crossing)


def make_track(
    times: ArrayLike,
    lat_deg: ArrayLike,
    lon_deg: ArrayLike,
    alt_km: ArrayLike,
    variables: Mapping[str, Variable],
    *,
    mission: str,
    instrument: str,
    product: str,
    source_file: str,
    orbit: ArrayLike | int | None = None,
    mag_lat_deg: ArrayLike | None = None,
    mag_lat_source: str = "",
    extra_coords: Mapping[str, Variable] | None = None,
    attrs: Mapping[str, Any] | None = None,
    max_gap_s: float = 60.0,
) -> xr.Dataset:
    """Build the along-track Dataset (see the module docstring for its contents).

    ``variables`` maps names to ``(dims, values, attrs)``; ``dims`` start with ``"time"``.
    Without ``mag_lat_deg`` the centred-dipole latitude is computed from ``lat``/``lon``
    taken as geocentric. Without ``orbit`` the orbit variable is -1 (unknown).
    """
    t = np.asarray(times, dtype="datetime64[ns]")
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    direction = direction_from_latitude(lat)
    if mag_lat_deg is None:
        mag_lat = dipole_latitude_deg(lat, lon)
        mag_lat_source = "centred dipole, IGRF-13 epoch 2020.0 (ionoquake.geo)"
    else:
        mag_lat = np.asarray(mag_lat_deg, dtype=np.float64)
    lmt = local_mean_time_h(t, lon)
    last = np.mod(lmt + equation_of_time_min(t) / 60.0, 24.0)
    orbit_values = np.broadcast_to(np.asarray(-1 if orbit is None else orbit, dtype=np.int64),
                                   t.shape)
    data_vars: dict[str, Any] = {
        "mag_lat": ("time", mag_lat, {"units": "degrees_north", "long_name": "magnetic latitude",
                                      "source": mag_lat_source}),
        "local_mean_time": ("time", lmt, {
            "units": "h", "long_name": "local mean solar time (UTC + lon/15)"}),
        "local_apparent_time": ("time", last, {
            "units": "h", "long_name": "local apparent solar time (mean time + equation of time)"}),
        "orbit": ("time", orbit_values.copy(), {"long_name": "orbit number", "units": "1"}),
        "direction": ("time", direction, {
            "long_name": "half-orbit direction from the latitude rate",
            "flag_values": np.array([-1, 0, 1], dtype=np.int8),
            "flag_meanings": "descending unknown ascending"}),
        "half_orbit": ("time", half_orbit_labels(t, direction, max_gap_s), {
            "long_name": "half-orbit label within this Dataset (runs of one direction)",
            "units": "1", "max_gap_s": max_gap_s}),
    }
    for name, (dims, values, var_attrs) in variables.items():
        data_vars[name] = (dims, np.asarray(values), dict(var_attrs))
    coords: dict[str, Any] = {
        "time": ("time", t, {"standard_name": "time", "axis": "T"}),
        "lat": ("time", lat, {"units": "degrees_north", "standard_name": "latitude"}),
        "lon": ("time", lon, {"units": "degrees_east", "standard_name": "longitude"}),
        "alt_km": ("time", np.asarray(alt_km, dtype=np.float64), {
            "units": "km", "standard_name": "altitude",
            "long_name": f"height above a sphere of radius {MEAN_EARTH_RADIUS_KM} km"}),
    }
    for name, (dims, values, var_attrs) in (extra_coords or {}).items():
        coords[name] = (dims, np.asarray(values), dict(var_attrs))
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs = {"Conventions": "CF-1.8", "featureType": "trajectory", "mission": mission,
                "instrument": instrument, "product": product, "source_file": source_file,
                "local_time_convention": "local_mean_time = UTC + lon/15 (h)",
                **dict(attrs or {})}
    return ds


def check_track(ds: xr.Dataset) -> None:
    """Raise ``AssertionError`` unless ``ds`` follows the along-track model (for tests)."""
    assert "time" in ds.dims, f"no time dimension in {dict(ds.sizes)}"
    for name in TRACK_COORDS:
        assert name in ds.coords, f"missing coordinate {name}"
    for name in TRACK_VARIABLES:
        assert name in ds, f"missing variable {name}"
    for name in ("lat", "lon", "alt_km", "mag_lat", "local_mean_time"):
        assert "units" in ds[name].attrs, f"{name} has no units"
    for var_name, var in ds.data_vars.items():
        if var.dtype.kind == "f":
            assert "units" in var.attrs, f"{var_name} has no units"
    times = ds["time"].values
    assert np.all(np.diff(times) > np.timedelta64(0, "ns")), "times are not increasing"
    for key in ("mission", "instrument", "product", "source_file", "Conventions"):
        assert key in ds.attrs, f"missing global attribute {key}"
