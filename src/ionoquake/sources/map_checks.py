"""Checks a map reader applies before returning maps.

Nothing off the globe, nothing outside the physical range of TEC, epochs strictly
increasing.

Vertical TEC on Earth lies between 0 and a few hundred TECU (the largest GIM values,
in the 1989 and 2003 storms, are below 300 TECU); :data:`TEC_RANGE_TECU` allows
1000 TECU above and a small negative tolerance below, because producers publish
small negative values where their models undershoot (UPC's UQRG maps down to about
-2.4 TECU on 2023-03-03). A value outside it is a damaged file, not a measurement.
"""

from __future__ import annotations

import numpy as np

from ionoquake.errors import IonoquakeError

#: Accepted TEC and RMS values, TECU (see the module docstring).
TEC_RANGE_TECU = (-10.0, 1000.0)


def check_tec_range(values: np.ndarray, times: np.ndarray, variable: str,
                    error: type[IonoquakeError], name: str) -> None:
    """Raise ``error`` naming the map epoch of the first value outside :data:`TEC_RANGE_TECU`."""
    low, high = TEC_RANGE_TECU
    with np.errstate(invalid="ignore"):
        bad = (values < low) | (values > high) | np.isinf(values)
    if bad.any():
        t, *_ = np.unravel_index(int(np.flatnonzero(bad)[0]), bad.shape)
        value = values.reshape(-1)[int(np.flatnonzero(bad)[0])]
        raise error(f"{name}: {variable.upper()} map of {str(times[t])[:19]}: value {value:g} "
                    f"TECU is outside the accepted range {low:g}..{high:g} TECU "
                    f"({int(bad.sum())} such values)")


def check_increasing(times: np.ndarray, error: type[IonoquakeError], name: str) -> None:
    """Raise ``error`` unless the map epochs are strictly increasing."""
    steps = np.diff(times)
    bad = np.flatnonzero(steps <= np.timedelta64(0, "ns"))
    if len(bad):
        i = int(bad[0])
        what = "repeats" if steps[i] == np.timedelta64(0, "ns") else "comes before"
        raise error(f"{name}: map {i + 2} at {str(times[i + 1])[:19]} {what} map {i + 1} at "
                    f"{str(times[i])[:19]}; map epochs must be strictly increasing")


def check_globe(lat: np.ndarray, lon: np.ndarray, error: type[IonoquakeError], name: str) -> None:
    """Raise ``error`` for a latitude outside -90..90 or a longitude outside -180..360 degrees."""
    for label, values, low, high in (("latitude", lat, -90.0, 90.0),
                                     ("longitude", lon, -180.0, 360.0)):
        bad = ~((values >= low) & (values <= high))
        if bad.any():
            raise error(f"{name}: {label} {values[bad][0]:g} deg is outside {low:g}..{high:g}")
        if len(np.unique(values)) != len(values):
            raise error(f"{name}: repeated {label} in the grid")
