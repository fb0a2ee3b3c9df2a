"""Seismicity baselines: what a forecast must beat before any ionospheric gain counts.

* :func:`uniform_spatial_rate` -- uniform Poisson: the past rate spread over the
  grid in proportion to cell area.
* :func:`smoothed_spatial_rate` -- past epicentres smoothed with an isotropic
  Gaussian kernel on the sphere (great-circle distance, width ``sigma_km``), each
  event's kernel normalised to one event over the grid cells (weighted by cell
  area), mixed with a small uniform floor so that no cell has zero rate (CSEP
  likelihoods need positive rates); the classic "relative intensity" reference
  (Helmstetter, Kagan & Jackson 2007 use adaptive kernels; a fixed kernel is the
  simpler variant).
* :func:`aki_b_value` -- Gutenberg-Richter b by the maximum-likelihood estimate
  of Aki (1965), Bull. Earthq. Res. Inst. 43, 237-239, with Utsu's (1966)
  half-bin correction for binned magnitudes; standard error b/√N (Aki 1965).
* :func:`gutenberg_richter_fractions` -- share of events in each magnitude bin
  for that b (the last bin open above).

Rates are expected numbers of events per cell per day, above the grid's
``magnitude_min``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ionoquake.forecast.grid import ForecastError, Grid, count_events
from ionoquake.geo import EARTH_RADIUS_KM

__all__ = [
    "aki_b_value",
    "gutenberg_richter_fractions",
    "smoothed_spatial_rate",
    "uniform_spatial_rate",
]

Float = NDArray[np.float64]


def aki_b_value(magnitude: ArrayLike, magnitude_min: float, bin_width: float = 0.1
                ) -> tuple[float, float]:
    """Gutenberg-Richter b-value and its standard error (Aki 1965, Utsu 1966).

    ``b = log10(e) / (mean(M) − (Mc − ΔM/2))`` over the events with M ≥ Mc.

    Parameters
    ----------
    magnitude
        Event magnitudes.
    magnitude_min
        Completeness magnitude Mc (events below are ignored).
    bin_width
        Magnitude rounding ΔM of the catalogue (0 for continuous magnitudes).

    Returns
    -------
    b, sigma_b : float
        The estimate and Aki's standard error b/√N.

    Examples
    --------
    >>> m = 4.0 + np.random.default_rng(0).exponential(1 / np.log(10), 20000)
    >>> b, sigma = aki_b_value(m, 4.0, 0.0)
    >>> bool(abs(b - 1.0) < 3 * sigma)
    True
    """
    m = np.asarray(magnitude, dtype=float)
    m = m[np.isfinite(m) & (m >= magnitude_min - 1e-9)]
    if m.size < 2:
        raise ForecastError(f"{m.size} events at or above M{magnitude_min}: too few for a b-value")
    excess = m.mean() - (magnitude_min - bin_width / 2.0)
    if excess <= 0:
        raise ForecastError("mean magnitude does not exceed the completeness magnitude")
    b = math.log10(math.e) / excess
    return b, b / math.sqrt(m.size)


def gutenberg_richter_fractions(grid: Grid, b_value: float) -> Float:
    """Share of events above ``grid.magnitude_min`` in each magnitude bin, for a given b.

    Bins are ``[m_k, m_k + Δm)``, the last one ``[m_last, ∞)``; the shares sum to 1.
    """
    m = grid.magnitude
    upper = np.r_[m[1:], np.inf]
    surv = np.power(10.0, -b_value * (m - m[0]))
    surv_up = np.where(np.isinf(upper), 0.0, np.power(10.0, -b_value * (upper - m[0])))
    return np.asarray(surv - surv_up, dtype=float)


def _daily_rate(catalog: pd.DataFrame, grid: Grid, days: float) -> float:
    if days <= 0:
        raise ForecastError(f"the learning period must be positive, got {days} days")
    n = int(count_events(catalog, grid).sum())
    if n == 0:
        raise ForecastError(f"no catalogue events at or above M{grid.magnitude_min} in the grid "
                            f"during the {days:g}-day learning period")
    return n / days


def uniform_spatial_rate(catalog: pd.DataFrame, grid: Grid, *, days: float) -> Float:
    """Uniform Poisson baseline: the past daily rate spread over the grid by cell area.

    Parameters
    ----------
    catalog
        Past events (``latitude``, ``longitude``, ``magnitude``) of the learning period.
    grid
        The forecast grid.
    days
        Length of the learning period, days.

    Returns
    -------
    numpy.ndarray
        Expected events per cell per day, shape ``(n_lat, n_lon)``.
    """
    area = grid.cell_area_km2()
    return np.asarray(_daily_rate(catalog, grid, days) * area / area.sum(), dtype=float)


def smoothed_spatial_rate(catalog: pd.DataFrame, grid: Grid, *, days: float,
                          sigma_km: float = 100.0, floor_fraction: float = 0.01) -> Float:
    """Smoothed-seismicity baseline: Gaussian kernel on the sphere around past epicentres.

    Parameters
    ----------
    catalog
        Past events of the learning period.
    grid
        The forecast grid.
    days
        Length of the learning period, days.
    sigma_km
        Standard deviation of the Gaussian kernel in great-circle km; the kernel
        is cut at 4σ.
    floor_fraction
        Share of the total rate spread uniformly by area (0 < f < 1).

    Returns
    -------
    numpy.ndarray
        Expected events per cell per day, shape ``(n_lat, n_lon)``; sums to the
        past daily rate.
    """
    if not 0.0 < floor_fraction < 1.0:
        raise ForecastError(f"floor_fraction must be in (0, 1), got {floor_fraction}")
    rate = _daily_rate(catalog, grid, days)
    counts = count_events(catalog, grid).astype(float)
    smooth = _smooth_counts(counts, grid, sigma_km)
    area = grid.cell_area_km2()
    mixed = (1.0 - floor_fraction) * smooth / smooth.sum() + floor_fraction * area / area.sum()
    return np.asarray(rate * mixed, dtype=float)


def _smooth_counts(counts: Float, grid: Grid, sigma_km: float) -> Float:
    """Spread each cell's count over its neighbours by the kernel, conserving the count.

    Events are placed at their cell centres (an error of at most half a cell,
    small against σ when σ ≳ one cell). The kernel between rows i and i' and a
    longitude offset Δj depends only on (i, i', Δj), so each source row is
    convolved along longitude (circularly on a global grid) with one FFT per
    target row.
    """
    lat = np.radians(grid.lat)
    n_lat, n_lon = counts.shape
    area = grid.cell_area_km2()[:, 0]
    cut = 4.0 * sigma_km / EARTH_RADIUS_KM
    periodic = math.isclose(grid.lon_max - grid.lon_min, 360.0)
    width = n_lon if periodic else 2 * n_lon
    dlon = np.where(np.arange(width) <= width // 2, np.arange(width), np.arange(width) - width)
    dlon = dlon * np.radians(grid.step_deg)
    out = np.zeros((n_lat, width))
    for i in np.flatnonzero(counts.sum(axis=1) > 0):
        near = np.flatnonzero(np.abs(lat - lat[i]) <= cut)
        cos_d = (np.sin(lat[i]) * np.sin(lat[near])[:, None]
                 + np.cos(lat[i]) * np.cos(lat[near])[:, None] * np.cos(dlon)[None, :])
        d = np.arccos(np.clip(cos_d, -1.0, 1.0)) * EARTH_RADIUS_KM
        kernel = np.where(d <= 4.0 * sigma_km, np.exp(-0.5 * (d / sigma_km) ** 2), 0.0)
        kernel *= area[near][:, None]
        if not periodic:  # offsets beyond the grid's longitude span fall outside it
            kernel[:, np.abs(dlon) > np.radians(grid.lon_max - grid.lon_min)] = 0.0
        kernel /= kernel.sum()
        row = np.zeros(width)
        row[:n_lon] = counts[i]
        spectrum = np.fft.rfft(row)
        out[near] += np.fft.irfft(np.fft.rfft(kernel, axis=1) * spectrum, n=width, axis=1)
    return np.clip(out[:, :n_lon], 0.0, None)
