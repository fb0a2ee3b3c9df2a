"""The space-magnitude grid of gridded forecasts, cell areas, and binning of events.

A forecast grid is regular in latitude and longitude (degrees, cell edges on
multiples of ``step_deg`` from the south-west corner) and in magnitude (bins of
``magnitude_step`` from ``magnitude_min``; the last bin is open above, as in
CSEP experiments). Cells are named by their centres. Cell areas are exact on the
sphere of radius :data:`ionoquake.geo.EARTH_RADIUS_KM`:
``A = R² Δλ (sin φ₂ − sin φ₁)`` (Δλ in radians), so the 1° cells shrink with cos φ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ionoquake.errors import IonoquakeError
from ionoquake.geo import EARTH_RADIUS_KM

__all__ = ["ForecastError", "Grid", "count_events"]


class ForecastError(IonoquakeError):
    """A forecast, its grid or its inputs are inconsistent."""


@dataclass(frozen=True)
class Grid:
    """A regular latitude × longitude × magnitude grid.

    Parameters
    ----------
    lat_min, lat_max, lon_min, lon_max
        Outer edges in degrees (longitude in −180..180).
    step_deg
        Cell size in degrees, in both directions.
    magnitude_min, magnitude_max, magnitude_step
        Lower edge of the first bin, lower edge of the last (open) bin, bin width.
    """

    lat_min: float = -90.0
    lat_max: float = 90.0
    lon_min: float = -180.0
    lon_max: float = 180.0
    step_deg: float = 1.0
    magnitude_min: float = 4.5
    magnitude_max: float = 8.5
    magnitude_step: float = 0.1

    def __post_init__(self) -> None:
        for lo, hi, what in ((self.lat_min, self.lat_max, "latitude"),
                             (self.lon_min, self.lon_max, "longitude")):
            n = (hi - lo) / self.step_deg
            if hi <= lo or abs(n - round(n)) > 1e-9:
                raise ForecastError(f"grid {what} {lo}..{hi} is not a whole number of "
                                    f"{self.step_deg}° cells")
        if self.magnitude_max < self.magnitude_min or self.magnitude_step <= 0:
            raise ForecastError(f"grid magnitudes {self.magnitude_min}..{self.magnitude_max} "
                                f"step {self.magnitude_step} are not increasing")

    @property
    def lat_edges(self) -> NDArray[np.float64]:
        n = round((self.lat_max - self.lat_min) / self.step_deg)
        return self.lat_min + self.step_deg * np.arange(n + 1, dtype=float)

    @property
    def lon_edges(self) -> NDArray[np.float64]:
        n = round((self.lon_max - self.lon_min) / self.step_deg)
        return self.lon_min + self.step_deg * np.arange(n + 1, dtype=float)

    @property
    def lat(self) -> NDArray[np.float64]:
        """Cell-centre latitudes, degrees (south to north)."""
        e = self.lat_edges
        return 0.5 * (e[:-1] + e[1:])

    @property
    def lon(self) -> NDArray[np.float64]:
        """Cell-centre longitudes, degrees (west to east)."""
        e = self.lon_edges
        return 0.5 * (e[:-1] + e[1:])

    @property
    def magnitude(self) -> NDArray[np.float64]:
        """Lower edges of the magnitude bins (the last bin is open above)."""
        n = round((self.magnitude_max - self.magnitude_min) / self.magnitude_step)
        return np.round(self.magnitude_min + self.magnitude_step * np.arange(n + 1), 10)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(n_lat, n_lon, n_magnitude)``."""
        return (self.lat.size, self.lon.size, self.magnitude.size)

    def cell_area_km2(self) -> NDArray[np.float64]:
        """Area of each cell, km², shape ``(n_lat, n_lon)``."""
        e = np.radians(self.lat_edges)
        band = EARTH_RADIUS_KM**2 * np.radians(self.step_deg) * np.diff(np.sin(e))
        return np.repeat(band[:, None], self.lon.size, axis=1)

    def cell_of(self, latitude: ArrayLike, longitude: ArrayLike) -> tuple[NDArray[np.intp],
                                                                        NDArray[np.intp]]:
        """Row and column of the cell holding each point; ``-1`` outside the grid.

        A point on an inner edge belongs to the cell north/east of it (half-open
        cells ``[lo, hi)``); the northern and eastern outer edges are inside.
        """
        lat = np.asarray(latitude, dtype=float)
        lon = (np.asarray(longitude, dtype=float) + 180.0) % 360.0 - 180.0
        n_lat, n_lon, _ = self.shape
        i = np.floor((lat - self.lat_min) / self.step_deg).astype(np.intp)
        j = np.floor((lon - self.lon_min) / self.step_deg).astype(np.intp)
        i = np.where(lat == self.lat_max, n_lat - 1, i)
        j = np.where(lon == self.lon_max, n_lon - 1, j)
        outside = (i < 0) | (i >= n_lat) | (j < 0) | (j >= n_lon) | ~np.isfinite(lat)
        return np.where(outside, -1, i), np.where(outside, -1, j)

    def magnitude_bin(self, magnitude: ArrayLike) -> NDArray[np.intp]:
        """Magnitude-bin index of each value; ``-1`` below ``magnitude_min``."""
        m = np.asarray(magnitude, dtype=float)
        # Half a rounding unit of tolerance: catalogue magnitudes are decimal (4.5 is 4.4999…).
        k = np.floor((m - self.magnitude_min) / self.magnitude_step + 1e-9).astype(np.intp)
        k = np.minimum(k, self.magnitude.size - 1)
        return np.where((k < 0) | ~np.isfinite(m), -1, k)

    def to_dict(self) -> dict[str, float]:
        """The grid's parameters (for configs and provenance)."""
        return {k: float(v) for k, v in self.__dict__.items()}


def count_events(catalog: pd.DataFrame, grid: Grid, *, by_magnitude: bool = False
                 ) -> NDArray[np.int64]:
    """Number of catalogue events in each cell.

    Parameters
    ----------
    catalog
        Events with ``latitude``, ``longitude`` (degrees) and ``magnitude``.
    grid
        The forecast grid; events outside it or below ``magnitude_min`` are not counted.
    by_magnitude
        Return shape ``(n_lat, n_lon, n_magnitude)`` instead of ``(n_lat, n_lon)``.
    """
    i, j = grid.cell_of(catalog["latitude"].to_numpy(), catalog["longitude"].to_numpy())
    k = grid.magnitude_bin(catalog["magnitude"].to_numpy())
    ok = (i >= 0) & (k >= 0)
    n_lat, n_lon, n_mag = grid.shape
    if by_magnitude:
        flat = (i[ok] * n_lon + j[ok]) * n_mag + k[ok]
        return np.bincount(flat, minlength=n_lat * n_lon * n_mag).reshape(n_lat, n_lon, n_mag)
    return np.bincount(i[ok] * n_lon + j[ok], minlength=n_lat * n_lon).reshape(n_lat, n_lon)
