"""Co-seismic ionospheric disturbances (CIDs) in slant TEC around one earthquake.

Given the receiver container of :mod:`ionoquake.gnss` and an earthquake, this module

1. detrends each continuous arc of slant TEC (:func:`detrend`): a polynomial of a chosen
   degree fitted over a window around the origin time and subtracted, and/or a zero-phase
   Butterworth band-pass (default 1.5-8 mHz, the 2-11 min periods of acoustic CIDs:
   Astafyeva 2019, Rev. Geophys. 57, 1265, doi:10.1029/2019RG000668);
2. picks each receiver-satellite pair (:func:`pick_disturbances`): noise = RMS of the
   detrended series in the window before the origin, then in the search window after it
   the onset (first sample over ``snr_threshold`` x noise), the peak (largest absolute
   value), its amplitude (TECU) and SNR, and the pierce point's distance and azimuth
   from the epicentre at the peak (on the container's shell);
3. fits the travel times (:func:`fit_travel_time`, in :mod:`ionoquake.gnss.disturbances_fit`).

The null beside it, the same picks at fake origin times, is
:mod:`ionoquake.gnss.disturbances_null`.

Expected values (SCIENCE-NOTES, GNSS section): first CIDs 7-15 min after the origin at
pierce points a few hundred km away (Tsugawa et al. 2011, Earth Planets Space 63, 875:
~7 min for Tohoku; Heki 2024, Earth Planets Space 76, 8: ~9 min for Noto 2024), apparent
speeds ~0.7-1.3 km/s (acoustic) or ~2-4 km/s (Rayleigh-wave driven), 0.1-3 TECU.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr
from scipy import signal

from ionoquake.errors import InputError
from ionoquake.geo import great_circle_km
from ionoquake.quake import Earthquake

__all__ = [
    "NOTO_2024",
    "PICK_COLUMNS",
    "azimuth_deg",
    "detrend",
    "disturbances_around",
    "pick_disturbances",
]

Method = Literal["polynomial", "bandpass", "both"]

#: Columns of the picks table, in order.
PICK_COLUMNS = ("receiver", "satellite", "arc", "noise_tecu", "onset_min", "peak_min",
                "amplitude_tecu", "snr", "detected", "ipp_lat", "ipp_lon", "distance_km",
                "azimuth_deg", "elevation_deg", "n_noise", "n_search")


#: USGS ComCat us6000m0xl: 2024-01-01 07:10:09 UTC, 37.498 N 137.242 E, 10 km, Mw 7.5.
NOTO_2024 = Earthquake(np.datetime64("2024-01-01T07:10:09", "ns"), 37.498, 137.242, 7.5,
                       "2024-01-01 Mw7.5 Noto Peninsula (USGS us6000m0xl)", "us6000m0xl",
                       depth_km=10.0)


def _sampling_s(ds: xr.Dataset) -> float:
    if "sampling_s" in ds.attrs:
        return float(ds.attrs["sampling_s"])
    steps = np.diff(ds["time"].to_numpy()) / np.timedelta64(1, "s")
    return float(np.median(steps))


def detrend(ds: xr.Dataset, *, method: Method = "both", degree: int = 3,
            window: tuple[np.datetime64, np.datetime64] | None = None,
            band_mhz: tuple[float, float] = (1.5, 8.0), order: int = 4,
            max_stec_error: float = 10.0, min_samples: int = 30) -> xr.DataArray:
    """Detrended slant TEC ``dstec(time, receiver, satellite)`` (TECU), arc by arc.

    ``method``: ``"polynomial"`` subtracts a least-squares polynomial of ``degree`` in
    time fitted over ``window`` (all of the arc when None); ``"bandpass"`` applies a
    zero-phase (forward-backward, :func:`scipy.signal.sosfiltfilt`) Butterworth band-pass
    of ``order`` between ``band_mhz``; ``"both"`` does the first then the second (the
    polynomial takes the satellite-pass trend away, so the filter rings less at the arc
    ends). Samples with ``stec_error`` above ``max_stec_error`` TECU (Madrigal writes
    20 for samples it distrusts) are dropped; gaps inside an arc are interpolated for
    the filter and NaN again in the output; arcs (within the window) shorter than
    ``min_samples`` give NaN.
    """
    if method not in ("polynomial", "bandpass", "both"):
        raise InputError(f"detrend method must be polynomial, bandpass or both, got {method!r}")
    if not 0 <= degree <= 12:
        raise InputError(f"polynomial degree must be within 0..12, got {degree}")
    fs = 1.0 / _sampling_s(ds)
    low, high = band_mhz
    if not 0 < low < high < 1e3 * fs / 2:
        raise InputError(f"band {band_mhz} mHz must lie within (0, {500 * fs:.2f}) mHz")
    sos = _ZeroPhase(signal.butter(order, [low * 1e-3, high * 1e-3], btype="bandpass",
                                   fs=fs, output="sos"))
    times = ds["time"].to_numpy()
    inside = np.ones(len(times), bool)
    if window is not None:
        start, stop = (pd.Timestamp(w).to_datetime64() for w in window)
        inside = (times >= start) & (times <= stop)
    stec = ds["stec"].to_numpy().astype(float, copy=True)
    if "stec_error" in ds:
        stec[~(ds["stec_error"].to_numpy() <= max_stec_error)] = np.nan
    arcs = ds["arc"].to_numpy()
    out = np.full(stec.shape, np.nan)
    minutes = (times - times[0]) / np.timedelta64(60, "s")
    pending: list[tuple[np.ndarray, int, int, slice, np.ndarray]] = []
    series: list[np.ndarray] = []
    for r in range(stec.shape[1]):
        for s in range(stec.shape[2]):
            for arc in np.unique(arcs[:, r, s][arcs[:, r, s] >= 0]):
                rows = np.flatnonzero((arcs[:, r, s] == arc) & inside)
                if rows.size == 0:
                    continue
                span = np.arange(rows[0], rows[-1] + 1)
                values, part, filled = _detrend_arc(minutes[span], stec[span, r, s], method,
                                                    degree, sos, min_samples)
                out[span, r, s] = values
                if filled is not None:
                    pending.append((span, r, s, part, np.isfinite(stec[span, r, s])))
                    series.append(filled)
    for (span, r, s, part, seen), filtered in zip(pending, sos.many(series), strict=True):
        values = np.full(span.size, np.nan)
        values[part] = filtered
        values[~seen] = np.nan
        out[span, r, s] = values
    return xr.DataArray(out, coords=ds["stec"].coords, dims=ds["stec"].dims, name="dstec",
                        attrs={"units": "TECU", "method": method, "degree": degree,
                               "band_mhz": list(band_mhz), "order": order})


class _ZeroPhase:
    """:func:`scipy.signal.sosfiltfilt` with its defaults (odd extension of 3 × the taps at
    each end, initial conditions from :func:`scipy.signal.sosfilt_zi` scaled by the first
    value) for one filter applied to many arcs: the same operations in the same order, so
    the same values, with ``sosfilt_zi`` (a linear solve per section, ~0.5 ms) done once
    per filter instead of once per arc."""

    def __init__(self, sos: np.ndarray) -> None:
        self.sos = sos
        taps = 2 * len(sos) + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
        self.edge = 3 * taps
        self.zi = signal.sosfilt_zi(sos)

    def __len__(self) -> int:
        return len(self.sos)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        n = self.edge
        if x.size <= n:
            raise ValueError("The length of the input vector x must be greater than padlen, "
                             f"which is {n}.")
        ext = np.concatenate((2 * x[:1] - x[n:0:-1], x, 2 * x[-1:] - x[-2:-(n + 2):-1]))
        y, _ = signal.sosfilt(self.sos, ext, zi=self.zi * ext[:1])
        y, _ = signal.sosfilt(self.sos, y[::-1], zi=self.zi * y[-1:])
        return np.asarray(y[::-1][n:-n])

    def many(self, series: list[np.ndarray], rows: int = 128) -> list[np.ndarray]:
        """``[self(x) for x in series]``, filtered ``rows`` series at a time.

        The series of a batch, sorted by length, are the rows of one zero-padded matrix
        (padding after the end, which a causal filter never sees before the end) and go
        through :func:`scipy.signal.sosfilt` together, forwards then each reversed: the
        same recursion on each row as on one series, hence the same values, in two calls
        per batch instead of two per arc."""
        n = self.edge
        out: list[np.ndarray] = [np.empty(0)] * len(series)
        if any(x.size <= n for x in series):
            raise ValueError("The length of the input vector x must be greater than padlen, "
                             f"which is {n}.")
        order = sorted(range(len(series)), key=lambda i: series[i].size)
        for b in range(0, len(order), rows):
            batch = order[b:b + rows]
            exts = [np.concatenate((2 * x[:1] - x[n:0:-1], x, 2 * x[-1:] - x[-2:-(n + 2):-1]))
                    for x in (series[i] for i in batch)]
            sizes = [e.size for e in exts]
            matrix = np.zeros((len(batch), max(sizes)))
            for k, e in enumerate(exts):
                matrix[k, :e.size] = e
            firsts = np.array([e[0] for e in exts])
            y, _ = signal.sosfilt(self.sos, matrix, axis=-1,
                                  zi=self.zi[:, None, :] * firsts[None, :, None])
            back = np.zeros_like(matrix)
            for k, size in enumerate(sizes):
                back[k, :size] = y[k, size - 1::-1]
            lasts = np.array([y[k, size - 1] for k, size in enumerate(sizes)])
            y, _ = signal.sosfilt(self.sos, back, axis=-1,
                                  zi=self.zi[:, None, :] * lasts[None, :, None])
            for k, (i, size) in enumerate(zip(batch, sizes, strict=True)):
                out[i] = y[k, size - 1::-1][n:-n]
        return out


def _detrend_arc(minutes: np.ndarray, stec: np.ndarray, method: str, degree: int,
                 sos: _ZeroPhase, min_samples: int
                 ) -> tuple[np.ndarray, slice, np.ndarray | None]:
    """One arc: its values after the polynomial (NaN where not seen, or all NaN if the arc
    is too short); with the band-pass, also the part of the arc to filter and its
    gap-filled series, which the caller filters (with the other arcs:
    :meth:`_ZeroPhase.many`) into that part."""
    seen = np.isfinite(stec)
    nothing = np.full(stec.shape, np.nan)
    if seen.sum() < max(min_samples, degree + 2):
        return nothing, slice(0, 0), None
    x = minutes - minutes[seen].mean()
    values = stec.copy()
    if method in ("polynomial", "both"):
        coef = np.polynomial.polynomial.polyfit(x[seen], values[seen], degree)
        values = values - np.polynomial.polynomial.polyval(x, coef)
    if method in ("bandpass", "both"):
        first, last = np.flatnonzero(seen)[[0, -1]]
        part = slice(first, last + 1)
        filled = np.interp(x[part], x[seen], values[seen])
        if filled.size <= 3 * (2 * len(sos) + 1):
            return nothing, part, None
        return nothing, part, filled
    values[~seen] = np.nan
    return values, slice(0, 0), None


def azimuth_deg(lat1: np.ndarray | float, lon1: np.ndarray | float,
                lat2: np.ndarray | float, lon2: np.ndarray | float) -> np.ndarray:
    """Initial bearing (degrees clockwise from north) from point 1 towards point 2."""
    p1, l1, p2, l2 = (np.radians(np.asarray(a, dtype=float)) for a in (lat1, lon1, lat2, lon2))
    y = np.sin(l2 - l1) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(l2 - l1)
    return np.mod(np.degrees(np.arctan2(y, x)), 360.0)


def pick_disturbances(ds: xr.Dataset, dstec: xr.DataArray, quake: Earthquake, *,
                      noise_min: tuple[float, float] = (-10.0, 0.0),
                      search_min: tuple[float, float] = (5.0, 30.0),
                      snr_threshold: float = 3.0, min_elevation_deg: float = 15.0,
                      origin: np.datetime64 | None = None) -> pd.DataFrame:
    """One row per receiver-satellite pair observed in both windows (:data:`PICK_COLUMNS`).

    Times are minutes after ``origin`` (the earthquake's origin time unless a fake one is
    given, see :mod:`ionoquake.gnss.disturbances_null`). ``noise_min`` and ``search_min``
    are windows in minutes relative to it; the noise is the RMS of ``dstec`` in the first,
    the onset the first sample of the second whose absolute value exceeds
    ``snr_threshold`` x noise, the peak the largest absolute value there, ``snr`` =
    amplitude / noise and ``detected`` = snr >= ``snr_threshold``. A pair needs at least
    10 noise samples, and samples below ``min_elevation_deg`` are ignored.
    """
    if not noise_min[0] < noise_min[1] and search_min[0] < search_min[1]:
        raise InputError(f"windows must run forwards: noise {noise_min}, search {search_min}")
    t0 = pd.Timestamp(quake.time if origin is None else origin).to_datetime64()
    minutes = (ds["time"].to_numpy() - t0) / np.timedelta64(60, "s")
    noise_rows = (minutes >= noise_min[0]) & (minutes < noise_min[1])
    search_rows = (minutes >= search_min[0]) & (minutes <= search_min[1])
    values = dstec.to_numpy().copy()
    values[~(ds["elevation"].to_numpy() >= min_elevation_deg)] = np.nan
    rows = []
    for r, receiver in enumerate(ds["receiver"].to_numpy()):
        for s, satellite in enumerate(ds["satellite"].to_numpy()):
            pick = _pick_pair(values[:, r, s], minutes, noise_rows, search_rows, snr_threshold)
            if pick is None:
                continue
            k = int(pick.pop("index"))
            lat = float(ds["ipp_lat"].to_numpy()[k, r, s])
            lon = float(ds["ipp_lon"].to_numpy()[k, r, s])
            rows.append({"receiver": str(receiver), "satellite": str(satellite),
                         "arc": int(ds["arc"].to_numpy()[k, r, s]), **pick,
                         "ipp_lat": lat, "ipp_lon": lon,
                         "distance_km": float(great_circle_km(quake.latitude, quake.longitude,
                                                              lat, lon)),
                         "azimuth_deg": float(azimuth_deg(quake.latitude, quake.longitude,
                                                          lat, lon)),
                         "elevation_deg": float(ds["elevation"].to_numpy()[k, r, s])})
    table = pd.DataFrame(rows, columns=list(PICK_COLUMNS))
    table.attrs.update({"origin": str(t0), "snr_threshold": snr_threshold,
                        "noise_min": list(noise_min), "search_min": list(search_min),
                        "min_elevation_deg": min_elevation_deg, **dstec.attrs})
    return table.sort_values("distance_km", ignore_index=True)


def _pick_pair(values: np.ndarray, minutes: np.ndarray, noise_rows: np.ndarray,
               search_rows: np.ndarray, threshold: float) -> dict[str, float] | None:
    noise = values[noise_rows]
    noise = noise[np.isfinite(noise)]
    search = np.flatnonzero(search_rows & np.isfinite(values))
    if noise.size < 10 or search.size < 10:
        return None
    rms = float(np.sqrt(np.mean(noise ** 2)))
    peak = int(search[np.argmax(np.abs(values[search]))])
    amplitude = float(abs(values[peak]))
    over = search[np.abs(values[search]) > threshold * rms]
    snr = amplitude / rms if rms > 0 else np.inf
    return {"noise_tecu": rms, "onset_min": float(minutes[over[0]]) if over.size else np.nan,
            "peak_min": float(minutes[peak]), "amplitude_tecu": amplitude, "snr": snr,
            "detected": bool(snr >= threshold), "n_noise": int(noise.size),
            "n_search": int(search.size), "index": peak}


def disturbances_around(ds: xr.Dataset, quake: Earthquake, *, origin: np.datetime64 | None = None,
                        method: Method = "both", degree: int = 3,
                        band_mhz: tuple[float, float] = (1.5, 8.0),
                        noise_min: tuple[float, float] = (-10.0, 0.0),
                        search_min: tuple[float, float] = (5.0, 30.0), pad_min: float = 20.0,
                        snr_threshold: float = 3.0,
                        min_elevation_deg: float = 15.0) -> tuple[xr.DataArray, pd.DataFrame]:
    """Detrend over ``[origin + noise_min[0], origin + search_min[1] + pad_min]`` and pick.

    The one call behind both the analysis at the true origin and the null at fake ones
    (:mod:`ionoquake.gnss.disturbances_null`), so both see exactly the same processing.
    Returns ``(dstec, picks)``.
    """
    t0 = pd.Timestamp(quake.time if origin is None else origin).to_datetime64()
    minute = np.timedelta64(60_000_000_000, "ns")
    window = (t0 + round(noise_min[0] * 60) * minute // 60,
              t0 + round((search_min[1] + pad_min) * 60) * minute // 60)
    dstec = detrend(ds, method=method, degree=degree, window=window, band_mhz=band_mhz)
    picks = pick_disturbances(ds, dstec, quake, noise_min=noise_min, search_min=search_min,
                              snr_threshold=snr_threshold,
                              min_elevation_deg=min_elevation_deg, origin=t0)
    return dstec, picks
