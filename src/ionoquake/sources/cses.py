"""CSES-1 (Zhangheng-1) Level-2 HDF5 files into the along-track model.

A CSES Level-2 file holds one half-orbit of one payload, named e.g.
``CSES_01_HPM_5_L02_A2_096791_20191101_001933_20191101_005555_000.h5``:
satellite 01, payload HPM, product 5 (FGM at 1 Hz), level L02, orbit 09679 and
half-orbit code 1, start and end of the half-orbit (UTC), file version. Every
dataset is two-dimensional (``(n, 1)`` for one value per sample) and carries the
attributes ``FillValue``, ``Units``, ``LongName`` and ``ValidRange``.

Common to all payloads: ``UTC_TIME`` (int64 ``YYYYMMDDHHMMSSmmm``), ``VERSE_TIME``
(ms since 2009-01-01 00:00), ``GEO_LAT``, ``GEO_LON`` (deg), ``ALTITUDE`` (km above a
6371.2 km sphere), ``MAG_LAT``, ``MAG_LON`` (dipole coordinates, deg). The payload
datasets read here:

========  =========================================================================
HPM 5     ``A221``-``A223`` FGM field X/Y/Z (nT), ``B_FGM`` (n, 3) in the FGM1 sensor
          frame (nT), flags ``FLAG_MT`` (magnetorquer), ``FLAG_SHW`` (Earth shadow),
          ``FLAG_TBB``; ``A211`` CDSM scalar field (nT) for product 6
LAP       ``A311`` electron density Ne (cm^-3), ``A321`` electron temperature Te (K)
PAP       ``A313`` H+, ``A314`` He+, ``A315`` O+ densities (cm^-3), ``A322`` ion
          temperature Ti (K), ``A331``-``A333`` ion drift velocity X/Y/Z
EFD       ``A1b1_W``-``A1b3_W`` electric field waveforms (one packet per row) and
          ``A1b1_P``-``A1b3_P`` power spectra on the ``FREQ`` axis; b = 1 ULF, 2 ELF,
          3 VLF (products 1-3)
SCM       ``A2b1_W``-``A2b3_W`` search-coil waveforms and ``A2b1_P``... spectra on
          ``FREQ``; b = 3 ULF, 4 ELF, 5 VLF (products 1-3)
========  =========================================================================

Sources: the dataset names and attributes of the real HPM file in ../shared/data
(SOURCES.md section 6); the name tables ``CSES_FILE_TABLE``/``CSES_DATASETS`` and
sampling rates of the community reader csespy (E. Papini & F. M. Follega,
``src/csespy/CSES_params.py``, github.com/EmanuelePapini/csespy) for LAP, PAP, EFD and
SCM; pyaw's ``pyaw/zh1/configs.py`` (github.com/cleo24621/pyaw) for the EFD/SCM ULF
dataset lists (``A111_P``/``A111_W``..., ``FREQ``, ``WORKMODE``). The PAP names
A41x/A42x/A43x that are sometimes quoted could not be found in any public reader or
specification; the csespy names above are used. Units are always taken from each
dataset's own ``Units`` attribute; the table's units are only the expected ones.

Fill values become NaN (integer flags: -1); values outside ``ValidRange`` become NaN
and are counted in the variable's attrs (``n_fill``, ``n_out_of_range``). A damaged
file (whatever h5py raises on it) is a :class:`CsesError` naming the file. Time comes
from ``UTC_TIME``; ``VERSE_TIME`` must agree with it within ``max_clock_offset_s``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from numpy.typing import ArrayLike, NDArray

from ionoquake.errors import IonoquakeError
from ionoquake.sources.compression import head
from ionoquake.sources.damaged import damaged_file_errors
from ionoquake.sources.insitu import make_track
from ionoquake.sources.registry import register

__all__ = ["PAYLOAD_FIELDS", "CsesError", "Field", "can_read", "parse_utc_time",
           "read", "verse_time_to_utc"]

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
VERSE_EPOCH = np.datetime64("2009-01-01T00:00:00", "ms")
GEOLOCATION = ("UTC_TIME", "GEO_LAT", "GEO_LON", "ALTITUDE")
FILENAME = re.compile(
    r"CSES_(?P<sat>\d\d)_(?P<payload>[A-Z]{3})_(?P<product>\d)_L(?P<level>\d\d)_(?P<a>\w\d)_"
    r"(?P<orbit>\d{5})(?P<half>\d)_(?P<start>\d{8}_\d{6})_(?P<end>\d{8}_\d{6})_(?P<ver>\d{3})")
#: Sampling rates (Hz) by payload and product, from csespy's ``CSES_SAMPLINGFREQS``.
SAMPLE_RATE_HZ = {("EFD", "1"): 125.0, ("EFD", "2"): 5000.0, ("EFD", "3"): 50000.0,
                  ("SCM", "1"): 1024.0, ("SCM", "2"): 10240.0, ("SCM", "3"): 51200.0}
#: Waveform band digit of the dataset names for each (payload, product).
_WAVE_BAND = {("EFD", "1"): "1", ("EFD", "2"): "2", ("EFD", "3"): "3",
              ("SCM", "1"): "3", ("SCM", "2"): "4", ("SCM", "3"): "5"}


class CsesError(IonoquakeError):
    """A file is not a CSES Level-2 file of a known layout, or is damaged."""


@dataclass(frozen=True)
class Field:
    """One dataset of a payload: its code in the file, our name, and the expected units."""

    code: str
    name: str
    long_name: str
    units: str
    required: bool = True


PAYLOAD_FIELDS: dict[str, tuple[Field, ...]] = {
    "HPM": (Field("A221", "b_x", "FGM magnetic field X component", "nT"),
            Field("A222", "b_y", "FGM magnetic field Y component", "nT"),
            Field("A223", "b_z", "FGM magnetic field Z component", "nT")),
    "HPM-CDSM": (Field("A211", "b_scalar", "CDSM scalar magnetic field", "nT"),),
    "LAP": (Field("A311", "ne", "electron density", "cm^-3"),
            Field("A321", "te", "electron temperature", "K")),
    "PAP": (Field("A313", "n_h", "H+ density", "cm^-3"),
            Field("A314", "n_he", "He+ density", "cm^-3"),
            Field("A315", "n_o", "O+ density", "cm^-3"),
            Field("A322", "ti", "ion temperature", "K"),
            Field("A331", "v_x", "ion drift velocity X", "m/s"),
            Field("A332", "v_y", "ion drift velocity Y", "m/s"),
            Field("A333", "v_z", "ion drift velocity Z", "m/s")),
}
_HPM_FLAGS = ("FLAG_MT", "FLAG_SHW", "FLAG_TBB")


def can_read(path: Path) -> bool:
    """True for an HDF5 file whose name follows the CSES Level-2 convention."""
    return head(path, 8) == HDF5_MAGIC and FILENAME.search(path.name) is not None


def parse_utc_time(values: ArrayLike, path: str | os.PathLike[str] = "<array>"
                   ) -> NDArray[np.datetime64]:
    """``YYYYMMDDHHMMSSmmm`` integers to ``datetime64[ms]`` (raises :class:`CsesError`).

    Examples
    --------
    >>> parse_utc_time([20191101002108000])
    array(['2019-11-01T00:21:08.000'], dtype='datetime64[ms]')
    """
    raw = np.asarray(values).astype(np.int64).ravel()
    rest, ms = np.divmod(raw, 1000)
    rest, sec = np.divmod(rest, 100)
    rest, minute = np.divmod(rest, 100)
    rest, hour = np.divmod(rest, 100)
    rest, day = np.divmod(rest, 100)
    year, month = np.divmod(rest, 100)
    ok = (month >= 1) & (month <= 12) & (day >= 1) & (hour < 24) & (minute < 60) & (sec < 60)
    ok &= (year >= 1970) & (year < 2200)
    months = ((year - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")
    ok &= days.astype("datetime64[M]") == months  # day within its month (no 31 Nov)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise CsesError(f"{path}: UTC_TIME[{i}] = {raw[i]} is not a valid "
                        f"YYYYMMDDHHMMSSmmm time ({int((~ok).sum())} bad values)")
    ms_of_day = ((hour * 60 + minute) * 60 + sec) * 1000 + ms
    return days.astype("datetime64[ms]") + ms_of_day.astype("timedelta64[ms]")


def verse_time_to_utc(values: ArrayLike) -> NDArray[np.datetime64]:
    """CSES ``VERSE_TIME`` (ms since 2009-01-01 00:00:00) to ``datetime64[ms]``."""
    return VERSE_EPOCH + np.asarray(values).astype(np.int64).ravel().astype("timedelta64[ms]")


def _text(value: Any) -> str:
    if isinstance(value, np.ndarray):
        value = value.ravel()[0] if value.size else b""
    if isinstance(value, bytes | np.bytes_):
        return value.decode("ascii", "replace").strip()
    if hasattr(value, "dtype") and not np.ndim(value) and value.dtype.kind == "S":  # h5py Empty
        return ""
    return str(value).strip() if value is not None else ""


def _read(h5: Any, code: str, path: Path) -> tuple[NDArray[Any], dict[str, Any]]:
    """A dataset with fill values and out-of-range values set to NaN, and its attrs."""
    ds = h5[code]
    values = np.asarray(ds[()])
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    attrs: dict[str, Any] = {"long_name": _text(ds.attrs.get("LongName", code)),
             "units": _text(ds.attrs.get("Units", b"")) or "1", "cses_name": code}
    if values.dtype.kind not in "fiu":
        raise CsesError(f"{path}: dataset {code} holds {values.dtype}, expected numbers")
    out = values.astype(np.float64)
    fill = ds.attrs.get("FillValue")
    if fill is not None:
        is_fill = out == float(np.ravel(fill)[0])
        out[is_fill] = np.nan
        attrs["n_fill"] = int(is_fill.sum())
    valid = ds.attrs.get("ValidRange")
    if valid is not None and np.asarray(valid).dtype.kind == "f" and np.size(valid) == 2:
        lo, hi = (float(v) for v in np.ravel(valid))
        outside = (out < lo) | (out > hi)
        out[outside] = np.nan
        attrs["n_out_of_range"] = int(outside.sum())
        attrs["valid_range"] = np.array([lo, hi])
    return out, attrs


def _payload(path: Path, names: set[str]) -> tuple[str, str]:
    """The payload and product, from the file name or else from the datasets present."""
    match = FILENAME.search(path.name)
    if match:
        payload, product = match["payload"], match["product"]
        if payload == "HPM" and product == "6":
            return "HPM-CDSM", product
        return payload, product
    for payload, fields in PAYLOAD_FIELDS.items():
        if all(f.code in names for f in fields if f.required):
            return payload, "?"
    for (payload, product), band in _WAVE_BAND.items():
        digit = 2 if payload == "SCM" else 1
        if any(n.startswith(f"A{digit}{band}") and n.endswith("_W") for n in names):
            return payload, product
    return "?", "?"


def _expected(payload: str, product: str) -> list[str]:
    if payload in PAYLOAD_FIELDS:
        return [f.code for f in PAYLOAD_FIELDS[payload] if f.required]
    if (payload, product) in _WAVE_BAND:
        prefix = f"A{1 if payload == 'EFD' else 2}{_WAVE_BAND[payload, product]}"
        return [f"{prefix}{axis}_W" for axis in "123"]
    return ["A221/A311/A313 (HPM/LAP/PAP) or A1b1_W/A2b1_W (EFD/SCM)"]


def _payload_variables(h5: Any, payload: str, product: str, path: Path
                       ) -> tuple[dict[str, Any], dict[str, Any]]:
    variables: dict[str, Any] = {}
    coords: dict[str, Any] = {}
    if payload in PAYLOAD_FIELDS:
        for field in PAYLOAD_FIELDS[payload]:
            if field.code in h5:
                values, attrs = _read(h5, field.code, path)
                attrs.setdefault("units", field.units)
                variables[field.name] = ("time", values, attrs)
    if payload == "HPM":
        b = [variables[n][1] for n in ("b_x", "b_y", "b_z")]
        variables["b_total"] = ("time", np.sqrt(sum(c**2 for c in b)), {
            "units": "nT", "long_name": "field magnitude from A221-A223"})
        if "B_FGM" in h5:
            values, attrs = _read(h5, "B_FGM", path)
            variables["b_fgm"] = (("time", "component"), values, attrs)
            coords["component"] = ("component", np.array(["x", "y", "z"]), {})
        for flag in _HPM_FLAGS:
            if flag in h5:
                values, attrs = _read(h5, flag, path)
                attrs.pop("units", None)
                variables[flag.lower()] = ("time", np.nan_to_num(values, nan=-1).astype(np.int8),
                                           {**attrs, "missing_value": np.int8(-1)})
    if (payload, product) in _WAVE_BAND:
        prefix = f"A{1 if payload == 'EFD' else 2}{_WAVE_BAND[payload, product]}"
        quantity = "e" if payload == "EFD" else "b"
        rate = SAMPLE_RATE_HZ[payload, product]
        for axis, name in zip("123", "xyz", strict=True):
            if f"{prefix}{axis}_W" in h5:
                values, attrs = _read(h5, f"{prefix}{axis}_W", path)
                variables[f"{quantity}_{name}"] = (("time", "sample"), values,
                                                   {**attrs, "sample_rate_hz": rate})
            if f"{prefix}{axis}_P" in h5:
                values, attrs = _read(h5, f"{prefix}{axis}_P", path)
                variables[f"{quantity}_{name}_psd"] = (("time", "frequency"), values, attrs)
        if any(v[0][1] == "sample" for v in variables.values()):
            n = next(np.shape(v[1])[1] for v in variables.values() if v[0][1] == "sample")
            coords["sample_offset_s"] = ("sample", np.arange(n) / rate, {"units": "s"})
        if any(v[0][1] == "frequency" for v in variables.values()):
            if "FREQ" not in h5:
                raise CsesError(f"{path}: power spectra {prefix}x_P but no FREQ dataset")
            coords["frequency"] = ("frequency", np.asarray(h5["FREQ"][()], float).ravel(),
                                   {"units": "Hz", "long_name": "spectrum frequency"})
    return variables, coords


def read(path: str | os.PathLike[str], *, max_clock_offset_s: float = 1.0) -> xr.Dataset:
    """Read one CSES Level-2 HDF5 half-orbit file into the along-track Dataset.

    Parameters
    ----------
    path
        The ``.h5`` file.
    max_clock_offset_s
        Largest accepted difference between ``UTC_TIME`` and ``VERSE_TIME``, s.

    Raises
    ------
    CsesError
        When the file is not HDF5, its payload layout is unknown (the message lists the
        datasets expected and found), or its times are invalid or disagree.
    """
    path = Path(path)
    with damaged_file_errors(path, CsesError, "HDF5 file"):
        return _read_file(path, max_clock_offset_s)


def _read_file(path: Path, max_clock_offset_s: float) -> xr.Dataset:
    import h5py

    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise CsesError(f"{path}: not a readable HDF5 file ({exc})") from None
    with h5:
        names = set(h5.keys())
        payload, product = _payload(path, names)
        needed = [*GEOLOCATION, *_expected(payload, product)]
        missing = [n for n in needed if n not in names]
        if payload == "?" or missing:
            raise CsesError(
                f"{path}: not a CSES Level-2{'' if payload == '?' else ' ' + payload} file "
                f"of a known layout: expected datasets {', '.join(needed)}; "
                f"missing {', '.join(missing) or '-'}; found {', '.join(sorted(names))}")
        times = parse_utc_time(h5["UTC_TIME"][()], path)
        offset_s = np.nan
        if "VERSE_TIME" in names:
            verse = verse_time_to_utc(h5["VERSE_TIME"][()])
            offset = np.abs((verse - times).astype(np.float64)) / 1000.0
            offset_s = float(offset.max()) if offset.size else 0.0
            if offset_s > max_clock_offset_s:
                i = int(np.argmax(offset))
                raise CsesError(f"{path}: VERSE_TIME[{i}] = {verse[i]} disagrees with "
                                f"UTC_TIME[{i}] = {times[i]} by {offset[i]:.3f} s "
                                f"(> {max_clock_offset_s} s)")
        if np.any(np.diff(times) <= np.timedelta64(0, "ms")):
            i = int(np.flatnonzero(np.diff(times) <= np.timedelta64(0, "ms"))[0]) + 1
            raise CsesError(f"{path}: UTC_TIME[{i}] = {times[i]} does not follow {times[i - 1]}")
        lat, _ = _read(h5, "GEO_LAT", path)
        lon, _ = _read(h5, "GEO_LON", path)
        alt, _ = _read(h5, "ALTITUDE", path)
        mag_lat = _read(h5, "MAG_LAT", path)[0] if "MAG_LAT" in names else None
        variables, coords = _payload_variables(h5, payload, product, path)
        if "MAG_LON" in names:
            values, attrs = _read(h5, "MAG_LON", path)
            variables["mag_lon"] = ("time", values, {**attrs, "units": "degrees_east"})
        file_attrs = {k: _text(v) for k, v in h5.attrs.items()}
    match = FILENAME.search(path.name)
    orbit_text = file_attrs.get("ORBITNUM") or (match["orbit"] if match else "")
    orbit = int(orbit_text) if orbit_text.isdigit() else None
    attrs = {"title": f"CSES-1 {payload} Level-2 half-orbit", "institution": "CNSA/CEA",
             "source": "CSES Level-2 HDF5 (leos.ac.cn), CSES data policy applies",
             "cses_file_attrs": "; ".join(f"{k}={v}" for k, v in sorted(file_attrs.items())),
             "verse_minus_utc_max_s": offset_s}
    if match:
        attrs["cses_half_orbit_code"] = int(match["half"])
    return make_track(
        times, lat, lon, alt, variables, mission="CSES-1", instrument=payload.split("-")[0],
        product=f"{payload}_{product}_L02", source_file=path.name, orbit=orbit,
        mag_lat_deg=mag_lat, mag_lat_source="file MAG_LAT (dipole coordinates)",
        extra_coords=coords, attrs=attrs)


register("cses-l2", "track", can_read, read,
         "CSES-1 Level-2 half-orbit HDF5 (HPM, LAP, PAP, EFD, SCM)")
