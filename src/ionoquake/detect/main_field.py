"""The Earth's main field, subtracted from along-track field magnitudes before detrending.

At 500 km the main field changes by ~20,000 nT along a half-orbit; a cubic in latitude leaves
residuals of hundreds of nT (±840 nT on the CSES HPM file of 2019-11-01 in ../shared/data),
which drown any disturbance of a few nT. Subtracting the field magnitude of IGRF-14
(Alken et al. 2021, Earth Planets Space 73, 49, with the 2025 update; coefficients of the
``ppigrf`` package, evaluated with ``ppigrf.igrf_gc`` in geocentric coordinates) leaves
~6 nT on the same file: external (magnetospheric, ionospheric) and crustal fields and the
model's own error, which the along-track detrending then handles.

The along-track model's positions are geocentric (``lat``, ``lon``; ``alt_km`` above the
6371.2 km sphere, :mod:`ionoquake.sources.insitu`), the convention IGRF is written in.
Only field *magnitudes* are corrected (CSES ``b_total``, Swarm ``f``): vector components
would need the instrument frame (CSES ``b_fgm`` is in the FGM1 sensor frame), so they are
refused with a message instead of being corrected wrongly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.errors import InputError

__all__ = ["FIELD_MAGNITUDES", "IGRF_RADIUS_KM", "igrf_magnitude", "subtract_main_field"]

#: Reference radius of IGRF and of the along-track ``alt_km``, km.
IGRF_RADIUS_KM = 6371.2
#: Along-track variables that are magnitudes of the magnetic field (nT).
FIELD_MAGNITUDES = ("b_total", "f")


def igrf_magnitude(time: np.datetime64, lat_deg: np.ndarray, lon_deg: np.ndarray,
                   alt_km: np.ndarray) -> np.ndarray:
    """|B| of IGRF (nT) at geocentric positions, for the epoch ``time``.

    One epoch serves a half-orbit or a day: the secular variation is ~100 nT/year, under
    0.3 nT in a day.
    """
    from ppigrf import igrf_gc

    when = pd.Timestamp(time).to_pydatetime()
    r = IGRF_RADIUS_KM + np.asarray(alt_km, dtype=np.float64)
    theta = 90.0 - np.asarray(lat_deg, dtype=np.float64)
    b_r, b_theta, b_phi = igrf_gc(r, theta, np.asarray(lon_deg, dtype=np.float64), when)
    return np.sqrt(b_r**2 + b_theta**2 + b_phi**2).reshape(r.shape)


def subtract_main_field(track: xr.Dataset, variable: str) -> xr.Dataset:
    """``track`` with ``variable`` replaced by ``variable − |B_IGRF|`` (nT), per UT day.

    The result's variable says so in its ``long_name`` and ``main_field`` attributes.
    """
    if variable not in FIELD_MAGNITUDES:
        raise InputError(
            f"cannot subtract the main field from {variable!r}: only from field magnitudes "
            f"({', '.join(FIELD_MAGNITUDES)}); vector components need their instrument frame")
    values = np.asarray(track[variable].values, dtype=np.float64)
    model = np.full(values.shape, np.nan)
    days = track["time"].values.astype("datetime64[D]")
    for day in np.unique(days):
        at = days == day
        model[at] = igrf_magnitude(day + np.timedelta64(12, "h"), track["lat"].values[at],
                                   track["lon"].values[at], track["alt_km"].values[at])
    out = track.copy()
    attrs = dict(track[variable].attrs)
    attrs["long_name"] = f"{attrs.get('long_name', variable)} minus IGRF-14 |B|"
    attrs["main_field"] = "IGRF-14 magnitude subtracted (ppigrf.igrf_gc, geocentric)"
    out[variable] = (track[variable].dims, values - model, attrs)
    return out
