"""Madrigal line-of-sight GNSS TEC exports (CSV) into the receiver container.

The MIT Haystack Madrigal "World-wide GNSS Receiver Network" (kinst 8000, kindat 3505)
line-of-sight product, exported as CSV with the columns ``year, month, day, hour, min,
sec, recno, kindat, kinst, ut1_unix, ut2_unix, pierce_alt, gps_site, sat_id, gnss_type,
gdlatr, gdlonr, los_tec, dlos_tec, tec, azm, elm, gdlat, glon, rec_bias, drec_bias``
(Rideout & Coster 2006, GPS Solutions 10, 219-228; the catalogue record of the export,
``madrigal_catalog_record_20240101.txt``: processing version 6.1, 30 s samples, slab at
350 km, biases per receiver-satellite pair). It becomes the ``(time, receiver,
satellite)`` container of :mod:`ionoquake.gnss`:

* ``stec`` = ``los_tec``, ``stec_error`` = ``dlos_tec``, ``vtec`` = ``tec`` (TECU);
  Madrigal writes ``dlos_tec = 20`` TECU for samples it does not trust, kept as is;
* ``elevation`` = ``elm``, ``azimuth`` = ``azm`` mod 360 (clockwise from north), ``ipp_lat``
  / ``ipp_lon`` = ``gdlat`` / ``glon`` on the ``pierce_alt`` shell (``shell_height_km``);
* ``receiver_bias`` = ``rec_bias`` (TECU, already removed from ``los_tec``);
* satellites ``"G05"`` (GPS), ``"R12"`` (GLONASS slot), ``E``/``C``/``J``/``S`` likewise;
* the time axis is the regular grid of the sampling interval (30 s) from the first to the
  last epoch, NaN where nothing was observed; ``arc`` starts anew after a gap longer than
  ``arc_gap_s`` (default 90 s: up to two missing samples are bridged);
* ``receiver_height`` is not in the export: NaN.

**Timestamp check** (:func:`check_timestamps`): each epoch label is checked
against the smooth elevation/azimuth track of every receiver-satellite pair; epochs whose
geometry says they were observed one sample later (or earlier) than labelled are moved
(``repair_times=True``) or only flagged. What was found is in ``attrs["timestamp_check"]``
and the per-sample shift in ``time_label_shift_s``; :func:`geometry_check` (in
``attrs["geometry_check"]``) says how far the IPPs and ``tec`` are from what ``azm``,
``elm`` and the shell imply.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake.errors import InputError, IonoquakeError, where
from ionoquake.sources.compression import head, read_bytes
from ionoquake.sources.registry import register

__all__ = [
    "COLUMNS",
    "SYSTEM_LETTERS",
    "MadrigalError",
    "TimestampCheck",
    "can_read",
    "check_timestamps",
    "read",
    "read_table",
]

#: Columns the reader needs (the export has a few more: recno, kindat, kinst, ut2_unix, ...).
COLUMNS = ("ut1_unix", "pierce_alt", "gps_site", "sat_id", "gnss_type", "gdlatr", "gdlonr",
           "los_tec", "dlos_tec", "tec", "azm", "elm", "gdlat", "glon", "rec_bias")
NUMERIC = tuple(c for c in COLUMNS if c not in ("gps_site", "gnss_type"))
#: Allowed ranges, checked row by row (degrees, TECU, km, Unix seconds).
RANGES: dict[str, tuple[float, float]] = {
    "ut1_unix": (0.0, 4.1e9), "pierce_alt": (50.0, 2000.0), "sat_id": (1.0, 200.0),
    "gdlatr": (-90.0, 90.0), "gdlonr": (-360.0, 360.0), "los_tec": (-500.0, 2000.0),
    "dlos_tec": (0.0, 1000.0), "tec": (-500.0, 1000.0), "azm": (-360.0, 360.0),
    "elm": (-5.0, 90.0), "gdlat": (-90.0, 90.0), "glon": (-360.0, 360.0),
}
#: Madrigal ``gnss_type`` -> RINEX system letter.
SYSTEM_LETTERS = {"GPS": "G", "GLONASS": "R", "GALILEO": "E", "BEIDOU": "C", "QZSS": "J",
                  "SBAS": "S"}
_SNIFF = b"year,month,day,hour,min,sec"


class MadrigalError(InputError):
    """A file is not a readable Madrigal line-of-sight TEC export (names file and line)."""


def can_read(path: Path) -> bool:
    """True for a CSV whose header is the Madrigal line-of-sight TEC export's."""
    try:
        first = head(path, 1024).split(b"\n", 1)[0]
    except (OSError, IonoquakeError):
        return False
    return first.startswith(_SNIFF) and b"los_tec" in first and b"gps_site" in first


def read_table(path: str | PathLike[str]) -> pd.DataFrame:
    """The export as a checked table (one row per sample), with ``line`` numbers and ``time``.

    Raises :class:`MadrigalError` naming file, line and column for a missing column, a
    value that is not a number or one out of range.
    """
    path = Path(path)
    raw = read_bytes(path)
    try:
        table = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise MadrigalError(f"{where(path)}not a CSV table ({str(exc).strip()})") from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise MadrigalError(f"{where(path, 1)}missing column(s) {', '.join(missing)}")
    if table.empty:
        raise MadrigalError(f"{where(path)}no data rows")
    out = pd.DataFrame({"line": np.arange(2, len(table) + 2)})
    for name in NUMERIC:
        text = table[name].str.strip()
        values = pd.to_numeric(text, errors="coerce")
        bad = values.isna() | ~np.isfinite(values)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise MadrigalError(f"{where(path, i + 2)}column {name}: not a number: "
                                f"{table[name].iloc[i]!r}")
        low, high = RANGES.get(name, (-np.inf, np.inf))
        off = (values < low) | (values > high)
        if off.any():
            i = int(np.flatnonzero(off.to_numpy())[0])
            raise MadrigalError(f"{where(path, i + 2)}column {name}: {values.iloc[i]:g} "
                                f"outside [{low:g}, {high:g}]")
        out[name] = values.to_numpy(dtype=float)
    out["receiver"] = table["gps_site"].str.strip().str.lower()
    systems = table["gnss_type"].str.strip().str.upper()
    unknown = ~systems.isin(list(SYSTEM_LETTERS))
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise MadrigalError(f"{where(path, i + 2)}column gnss_type: unknown system "
                            f"{table['gnss_type'].iloc[i]!r}")
    if (out["receiver"] == "").any():
        i = int(np.flatnonzero((out["receiver"] == "").to_numpy())[0])
        raise MadrigalError(f"{where(path, i + 2)}column gps_site: empty")
    out["satellite"] = [f"{SYSTEM_LETTERS[s]}{int(n):02d}"
                        for s, n in zip(systems, out["sat_id"], strict=True)]
    out["time"] = pd.to_datetime(np.round(out["ut1_unix"].to_numpy()).astype("int64"), unit="s")
    duplicated = out.duplicated(["time", "receiver", "satellite"])
    if duplicated.any():
        i = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise MadrigalError(f"{where(path, i + 2)}second sample of {out['receiver'].iloc[i]} "
                            f"{out['satellite'].iloc[i]} at {out['time'].iloc[i]}")
    return out


@dataclass(frozen=True)
class TimestampCheck:
    """What the geometry says about each epoch label of an export.

    ``row_offset_s`` is, per row of the table, the time (s) at which the pair's smooth
    elevation/azimuth track passes through the row's geometry minus its label (NaN where
    the pair is too short or the satellite barely moves); ``epoch_shift_s`` the shift of
    each labelled epoch (a multiple of the sampling interval, 0 = consistent);
    ``row_flag`` the rows still off their pair's track by more than half a sample once the
    epochs are shifted (a sample the shift of its epoch does not explain).
    """

    sampling_s: float
    epoch_shift_s: pd.Series
    epoch_offset_s: pd.Series
    row_offset_s: np.ndarray
    row_flag: np.ndarray
    residual_after_s: pd.Series
    checked: bool
    name: str = ""

    def repaired(self, table: pd.DataFrame) -> pd.DataFrame:
        """``table`` with the samples of shifted epochs moved to their geometric time.

        A moved sample that would land on a sample of the same pair is left at its label
        and flagged instead.
        """
        out = table.copy()
        shift = out["time"].map(self.epoch_shift_s).fillna(0.0).to_numpy(dtype=float, copy=True)
        out["time"] = out["time"] + pd.to_timedelta(shift, unit="s")
        clash = out.duplicated(["time", "receiver", "satellite"], keep=False) & (shift != 0)
        out.loc[clash, "time"] = table.loc[clash, "time"]
        shift[clash.to_numpy()] = 0.0
        out["time_label_shift_s"] = shift
        out["time_flag"] = self.row_flag | clash.to_numpy()
        return out.sort_values(["time", "receiver", "satellite"], kind="stable")

    def summary(self, *, repaired: bool) -> dict[str, Any]:
        """JSON-able account of the check: counts, shifts found, residual offsets after."""
        if not self.checked:
            return {"checked": False, "reason": "no receiver-satellite pair has "
                    f"{MIN_TRACK} or more samples: the geometry cannot be checked"}
        shifted = self.epoch_shift_s[self.epoch_shift_s != 0]
        before = self.epoch_offset_s.dropna()
        after = self.residual_after_s.dropna()
        return {
            "checked": True, "repaired": repaired, "sampling_s": self.sampling_s,
            "n_epochs": len(self.epoch_shift_s),
            "n_epochs_shifted": len(shifted),
            "shifts_s": {f"{s:+g}": int(n) for s, n in shifted.value_counts().items()},
            "n_rows_flagged": int(self.row_flag.sum()),
            "offset_before_s": _spread(before),
            "offset_after_s": _spread(after),
            "shifted_epochs": {str(t): float(s) for t, s in shifted.items()},
        }


def _spread(values: pd.Series) -> dict[str, float]:
    if values.empty:
        return {}
    a = np.abs(values.to_numpy())
    return {"median_abs": round(float(np.median(a)), 2),
            "p95_abs": round(float(np.percentile(a, 95)), 2), "max_abs": round(float(a.max()), 2)}


def check_timestamps(table: pd.DataFrame, *, name: str = "", degree: int = 5,
                     min_rate_deg_s: float = 2e-3) -> TimestampCheck:
    """Check every epoch label of a :func:`read_table` table against the satellite geometry.

    Each receiver-satellite pair moves smoothly across the sky: its line-of-sight unit
    vector (from elevation and azimuth) is fitted (robustly, a polynomial of ``degree`` in
    time) and each sample's
    departure from the fit, divided by the track's angular rate, is the time offset its
    geometry implies. The median over the pairs of one epoch is that epoch's offset;
    offsets are taken relative to the majority of epochs (the labels of most epochs are
    assumed right: geometry alone gives relative, not absolute, time) and rounded to a
    whole number of samples. A second fit with the shifted epochs gives the residual
    offsets (``residual_after_s``), which say whether the repair made the tracks smooth.
    Rows where the satellite moves slower than ``min_rate_deg_s`` carry no information.
    """
    seconds = (table["time"] - table["time"].min()).dt.total_seconds().to_numpy()
    steps = np.diff(np.unique(seconds))
    sampling = float(pd.Series(steps).mode().iloc[0]) if steps.size else 30.0
    labels = np.unique(seconds)
    pairs = {key: np.asarray(rows) for key, rows in
             table.groupby(["receiver", "satellite"], sort=False).indices.items()}
    offsets = _track_offsets(table, seconds, pairs, degree, min_rate_deg_s)
    if np.isfinite(offsets).sum() == 0:
        empty = pd.Series(0.0, index=pd.DatetimeIndex(np.unique(table["time"])))
        return TimestampCheck(sampling, empty, empty * np.nan, offsets,
                              np.zeros(len(table), bool), empty * np.nan, False, name)
    epoch = pd.Series(offsets).groupby(seconds).median().reindex(labels)
    centre = np.nanmedian(epoch)
    majority = epoch[np.abs(epoch - centre) < sampling / 2]
    reference = float(np.nanmedian(majority)) if len(majority) else float(centre)
    whole = ((epoch - reference) / sampling).round()
    row_whole = np.round((offsets - reference) / sampling)
    agree = pd.Series(row_whole == whole.reindex(seconds).to_numpy()).groupby(seconds).mean()
    informative = pd.Series(np.isfinite(offsets)).groupby(seconds).sum()
    trusted = (agree >= 0.5) & (informative >= 3)
    shift_s = (whole.fillna(0.0) * sampling).where(trusted.reindex(labels), 0.0)
    after = _track_offsets(table, seconds + shift_s.reindex(seconds).to_numpy(), pairs,
                           degree, min_rate_deg_s)
    residual = pd.Series(after).groupby(seconds).median().reindex(labels)
    row_flag = np.abs(after - np.nanmedian(residual)) > sampling / 2
    origin = table["time"].min()
    index = origin + pd.to_timedelta(labels, unit="s")
    shift_s.index = epoch.index = residual.index = index
    return TimestampCheck(sampling, shift_s, epoch - reference, offsets, row_flag,
                          residual - np.nanmedian(residual), True, name)


#: Fewest samples of a pair for its track to be fitted.
MIN_TRACK = 12


def _track_offsets(table: pd.DataFrame, seconds: np.ndarray, pairs: dict[Any, np.ndarray],
                   degree: int, min_rate: float) -> np.ndarray:
    """Per row, the time offset (s) implied by its departure from the pair's smooth track."""
    out = np.full(len(table), np.nan)
    elevation = table["elm"].to_numpy()
    azimuth = np.radians(table["azm"].to_numpy())
    for rows in pairs.values():
        if len(rows) < MIN_TRACK:
            continue
        rows = rows[np.argsort(seconds[rows])]
        t = seconds[rows]
        scale = max(float(np.ptp(t)), 1.0)
        x = (t - t.mean()) / scale
        el, az = np.radians(elevation[rows]), azimuth[rows]
        # The line-of-sight unit vector (east, north, up), in degrees of arc: smooth even
        # where the azimuth swings fast near the zenith.
        y = np.degrees(np.column_stack([np.cos(el) * np.sin(az), np.cos(el) * np.cos(az),
                                        np.sin(el)]))
        design = np.vander(x, min(degree, len(rows) // 3) + 1)
        good = np.ones(len(rows), bool)
        for _ in range(4):
            coef, *_ = np.linalg.lstsq(design[good], y[good], rcond=None)
            misfit = np.linalg.norm(y - design @ coef, axis=1)
            good = misfit <= 4.0 * np.median(misfit[good]) + 1e-4
        powers = np.arange(design.shape[1] - 1, 0, -1)
        rate = (np.vander(x, design.shape[1] - 1) @ (coef[:-1] * powers[:, None])) / scale
        residual = y - design @ coef
        speed2 = (rate ** 2).sum(axis=1)
        offset = (residual * rate).sum(axis=1) / np.where(speed2 > 0, speed2, np.nan)
        offset[speed2 < min_rate ** 2] = np.nan
        out[rows] = offset
    return out


def read(path: str | PathLike[str], *, repair_times: bool = True,
         arc_gap_s: float = 90.0) -> xr.Dataset:
    """Read a Madrigal line-of-sight TEC export into the ``(time, receiver, satellite)`` container.

    Parameters
    ----------
    path
        The CSV export (plain, ``.gz`` or ``.Z``).
    repair_times
        Move the samples of mislabelled epochs to the time their geometry says
        (otherwise keep the labels and only flag them in ``time_flag``).
    arc_gap_s
        A gap longer than this (s) between two samples of a pair starts a new arc.
    """
    if not arc_gap_s > 0:
        raise InputError(f"arc_gap_s must be positive, got {arc_gap_s}")
    path = Path(path)
    table = read_table(path)
    check = check_timestamps(table, name=path.name)
    if repair_times:
        table = check.repaired(table)
    else:
        table = table.assign(time_label_shift_s=0.0, time_flag=check.row_flag
                             | table["time"].isin(check.epoch_shift_s.index[
                                 check.epoch_shift_s != 0]).to_numpy())
    return _container(table, check, path, repair_times=repair_times, arc_gap_s=arc_gap_s)


def _container(table: pd.DataFrame, check: TimestampCheck, path: Path, *,
               repair_times: bool, arc_gap_s: float) -> xr.Dataset:
    step = np.timedelta64(int(check.sampling_s), "s")
    start, stop = table["time"].min(), table["time"].max()
    times = np.arange(np.datetime64(start, "ns"), np.datetime64(stop, "ns") + step, step)
    receivers = np.array(sorted(table["receiver"].unique()))
    satellites = np.array(sorted(table["satellite"].unique()))
    it = np.searchsorted(times, table["time"].to_numpy(dtype="datetime64[ns]"))
    ir = np.searchsorted(receivers, table["receiver"].to_numpy())
    js = np.searchsorted(satellites, table["satellite"].to_numpy())
    if (times[np.minimum(it, len(times) - 1)] != table["time"].to_numpy("datetime64[ns]")).any():
        raise MadrigalError(f"{where(path)}sample times are not on a {check.sampling_s:g} s grid")
    shape = (len(times), len(receivers), len(satellites))

    def cube(values: Any, fill: Any = np.nan, dtype: Any = float) -> np.ndarray:
        grid = np.full(shape, fill, dtype=dtype)
        grid[it, ir, js] = values
        return grid

    dims = ("time", "receiver", "satellite")
    azimuth = np.mod(table["azm"].to_numpy(), 360.0)
    shift = table["time_label_shift_s"].to_numpy()
    data = {
        "stec": (dims, cube(table["los_tec"]), {"units": "TECU", "long_name": "slant TEC"}),
        "stec_error": (dims, cube(table["dlos_tec"]), {"units": "TECU"}),
        "vtec": (dims, cube(table["tec"]), {"units": "TECU"}),
        "elevation": (dims, cube(table["elm"]), {"units": "degree"}),
        "azimuth": (dims, cube(azimuth), {"units": "degree", "convention": "clockwise from north"}),
        "ipp_lat": (dims, cube(table["gdlat"]), {"units": "degree_north"}),
        "ipp_lon": (dims, cube(table["glon"]), {"units": "degree_east"}),
        "receiver_bias": (dims, cube(table["rec_bias"]), {"units": "TECU"}),
        "time_label_shift_s": (dims, cube(shift), {"units": "s", "long_name":
                               "time moved from the file's label by the timestamp check"}),
        "time_flag": (dims, cube(table["time_flag"].to_numpy(), False, bool),
                      {"long_name": "epoch label inconsistent with the satellite geometry"}),
    }
    ds = xr.Dataset(data, coords={"time": times, "receiver": receivers, "satellite": satellites})
    ds["arc"] = (dims, _arcs(ds["stec"].notnull().to_numpy(), times, arc_gap_s))
    sites = table.groupby("receiver")[["gdlatr", "gdlonr"]].first().reindex(receivers)
    ds = ds.assign_coords(
        receiver_lat=("receiver", sites["gdlatr"].to_numpy(), {"units": "degree_north"}),
        receiver_lon=("receiver", sites["gdlonr"].to_numpy(), {"units": "degree_east"}),
        receiver_height=("receiver", np.full(len(receivers), np.nan), {"units": "m"}))
    shells = np.unique(table["pierce_alt"])
    ds.attrs.update({
        "shell_height_km": float(shells[0]) if len(shells) == 1 else shells.tolist(),
        "elevation_mask_deg": float(np.floor(table["elm"].min())),
        "sampling_s": float(check.sampling_s),
        "source": json.dumps([{"file": path.name, "sha256": _sha256(path),
                               "format": "madrigal-los"}]),
        "biases": "Madrigal v6 receiver bias per receiver-satellite pair (rec_bias), removed "
                  "by Madrigal; satellite DCBs removed by Madrigal",
        "levelling": "Madrigal processing (phase levelled to code per arc)",
        "timestamp_check": json.dumps(check.summary(repaired=repair_times)),
        "geometry_check": json.dumps(geometry_check(table)),
    })
    return ds


def geometry_check(table: pd.DataFrame) -> dict[str, float]:
    """How well each row's IPP and vertical TEC follow from its own ``azm``, ``elm``.

    The pierce point is recomputed on a sphere (radius 6371 km) at ``pierce_alt`` and
    ``tec`` from ``los_tec`` with the thin-shell mapping 1/cos z', sin z' = R/(R+h) cos e
    (SCIENCE-NOTES, GNSS section). Returns the median and largest distance (km) between
    the file's and the recomputed IPP, and the median and largest |tec - los_tec/M| (TECU).
    """
    radius = 6371.0
    e, az = np.radians(table["elm"].to_numpy()), np.radians(table["azm"].to_numpy())
    ratio = radius / (radius + table["pierce_alt"].to_numpy())
    psi = np.pi / 2 - e - np.arcsin(ratio * np.cos(e))
    lat0, lon0 = np.radians(table["gdlatr"].to_numpy()), np.radians(table["gdlonr"].to_numpy())
    lat = np.arcsin(np.sin(lat0) * np.cos(psi) + np.cos(lat0) * np.sin(psi) * np.cos(az))
    lon = lon0 + np.arctan2(np.sin(az) * np.sin(psi) * np.cos(lat0),
                            np.cos(psi) - np.sin(lat0) * np.sin(lat))
    h = (np.sin((lat - np.radians(table["gdlat"].to_numpy())) / 2) ** 2 + np.cos(lat)
         * np.cos(np.radians(table["gdlat"].to_numpy()))
         * np.sin((lon - np.radians(table["glon"].to_numpy())) / 2) ** 2)
    km = 2 * radius * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    mapping = 1.0 / np.sqrt(1.0 - (ratio * np.cos(e)) ** 2)
    tecu = np.abs(table["tec"].to_numpy() - table["los_tec"].to_numpy() / mapping)
    return {"ipp_km_median": round(float(np.median(km)), 2),
            "ipp_km_max": round(float(km.max()), 2),
            "vtec_tecu_median": round(float(np.median(tecu)), 3),
            "vtec_tecu_max": round(float(tecu.max()), 3)}


def _arcs(observed: np.ndarray, times: np.ndarray, gap_s: float) -> np.ndarray:
    """Arc ids along time per (receiver, satellite); -1 where nothing was observed."""
    arcs = np.full(observed.shape, -1, dtype=np.int32)
    seconds = (times - times[0]) / np.timedelta64(1, "s")
    for r in range(observed.shape[1]):
        for s in range(observed.shape[2]):
            rows = np.flatnonzero(observed[:, r, s])
            if rows.size:
                arcs[rows, r, s] = np.concatenate(
                    [[0], np.cumsum(np.diff(seconds[rows]) > gap_s)]).astype(np.int32)
    return arcs


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


register("madrigal-los", "tec", can_read, read,
         "Madrigal line-of-sight GNSS TEC export (CSV, kindat 3505)")
