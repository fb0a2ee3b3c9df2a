"""ESA Swarm Level 1b CDF files into the along-track model.

Layouts follow ESA's "Swarm Level 1b Product Definition" (SW-RS-DSC-SY-0007, the
``Ref_Doc`` global attribute of every Swarm L1b CDF):

* ``MAGx_LR_1B`` (1 Hz magnetic field): ``Timestamp`` (CDF_EPOCH), ``Latitude``,
  ``Longitude`` (geocentric, deg), ``Radius`` (m), ``F`` (nT), ``B_VFM`` and ``B_NEC``
  (n, 3, nT), ``Flags_F``, ``Flags_B``, ...;
* ``EFIx_LP_1B`` (2 Hz Langmuir probe): ``Timestamp``, ``Latitude``, ``Longitude``,
  ``Radius``, ``U_orbit``, ``Ne`` (cm^-3), ``Te`` (K), ``Vs`` (V), their ``*_error`` and
  ``Flags_*``.

``Ne``, ``Te``, ``Vs`` and ``F`` become ``ne``, ``te``, ``vs`` and ``f``, ``B_NEC``
becomes ``b_n``, ``b_e``, ``b_c``; every other numeric one-value-per-record variable is
kept under its ESA name. Units come from each variable's ``UNITS`` attribute.
``alt_km`` is ``Radius``/1000 - 6371.2 km, the CSES convention
(:data:`ionoquake.sources.insitu.MEAN_EARTH_RADIUS_KM`), and ``mag_lat`` the centred
dipole latitude. Orbit numbers start at the ``Abs_Orbit_Start`` global attribute and
grow by one at each ascending-node crossing.

Some Swarm CDFs hold no time series: a ``MAGx_HR_1B`` product ships ASM-VFM in-flight
calibration sub-files (``..._ASM_VFM_IC.cdf``: one record of ``Bias``, ``Scale``,
``Non_orth``, covariances). :func:`read` refuses them with a message saying so and
:func:`read_calibration` returns their content. A damaged file (whatever cdflib raises
on it) is a :class:`SwarmError` naming the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ionoquake.errors import IonoquakeError
from ionoquake.sources.compression import head
from ionoquake.sources.damaged import damaged_file_errors
from ionoquake.sources.insitu import (
    MEAN_EARTH_RADIUS_KM,
    direction_from_latitude,
    make_track,
    orbit_numbers,
)
from ionoquake.sources.registry import register

__all__ = ["SwarmError", "can_read", "can_read_calibration", "read", "read_calibration"]

CDF_MAGIC = (b"\xcd\xf3\x00\x01", b"\xcd\xf2\x60\x02")
POSITION = ("Timestamp", "Latitude", "Longitude", "Radius")
RENAMES = {"F": "f", "Ne": "ne", "Te": "te", "Vs": "vs"}
VECTORS = {"B_NEC": ("b_n", "b_e", "b_c")}
CALIBRATION = ("Bias", "Scale", "Non_orth")
_INSTRUMENTS = {"MAG": "VFM/ASM magnetometers", "EFI": "EFI Langmuir probes"}


class SwarmError(IonoquakeError):
    """A file is not a Swarm Level 1b time series (or calibration record), or is damaged."""


def _open(path: Path) -> tuple[Any, set[str]]:
    import cdflib

    with damaged_file_errors(path, SwarmError, "CDF file"):
        cdf = cdflib.CDF(str(path))
        info = cdf.cdf_info()
    return cdf, set(info.zVariables) | set(info.rVariables)


def _is_calibration(names: set[str]) -> bool:
    return set(CALIBRATION) <= names and "Latitude" not in names


def _swarm_cdf(path: Path) -> bool:
    return head(path, 4) in CDF_MAGIC and path.name.upper().startswith("SW_")


def can_read(path: Path) -> bool:
    """True for a Swarm CDF (``SW_*`` name) that holds a time series."""
    if not _swarm_cdf(path):
        return False
    try:
        return not _is_calibration(_open(path)[1])
    except SwarmError:
        return False


def can_read_calibration(path: Path) -> bool:
    """True for a Swarm CDF that holds an ASM-VFM calibration record."""
    if not _swarm_cdf(path):
        return False
    try:
        return _is_calibration(_open(path)[1])
    except SwarmError:
        return False


def _global(cdf: Any) -> dict[str, str]:
    out = {}
    for key, value in cdf.globalattsget().items():
        first = value[0] if isinstance(value, list) and value else value
        out[key] = str(first).strip() if not isinstance(first, np.ndarray) else str(first.tolist())
    return out


def _values(cdf: Any, name: str) -> tuple[np.ndarray, dict[str, Any]]:
    values = np.asarray(cdf.varget(name))
    attrs = cdf.varattsget(name)
    units = str(attrs.get("UNITS", "")).strip()
    out: dict[str, Any] = {"long_name": str(attrs.get("DESCRIPTION", name)).strip(),
                           "units": units if units not in ("", "-", "_") else "1",
                           "swarm_name": name}
    fill = attrs.get("FILLVAL")
    if fill is not None and values.dtype.kind == "f":
        values = np.where(values == float(np.ravel(fill)[0]), np.nan, values)
    return values, out


def read(path: str | os.PathLike[str]) -> xr.Dataset:
    """Read a Swarm ``MAGx_LR_1B`` or ``EFIx_LP_1B`` CDF into the along-track Dataset.

    Raises
    ------
    SwarmError
        When the file is a calibration record, or lacks the position variables.
    """
    path = Path(path)
    with damaged_file_errors(path, SwarmError, "CDF file"):
        return _read_series(path)


def _read_series(path: Path) -> xr.Dataset:
    import cdflib

    cdf, names = _open(path)
    glob = _global(cdf)
    product = glob.get("File_Type", path.name[3:13])
    if _is_calibration(names):
        raise SwarmError(
            f"{path}: a Swarm {product} ASM-VFM in-flight calibration record "
            f"({', '.join(CALIBRATION)}; {cdf.varinq('Bias').Last_Rec + 1} record), not a time "
            "series; read it with ionoquake.sources.swarm.read_calibration()")
    missing = [n for n in POSITION if n not in names]
    if missing:
        raise SwarmError(f"{path}: not a Swarm Level 1b time series: expected variables "
                         f"{', '.join(POSITION)}; missing {', '.join(missing)}; "
                         f"found {', '.join(sorted(names))}")
    times = cdflib.cdfepoch.to_datetime(np.asarray(cdf.varget("Timestamp"))).astype(
        "datetime64[ns]")
    n = times.size
    if n == 0:
        raise SwarmError(f"{path}: Timestamp has no records")
    lat = np.asarray(cdf.varget("Latitude"), dtype=np.float64)
    lon = np.asarray(cdf.varget("Longitude"), dtype=np.float64)
    radius_m = np.asarray(cdf.varget("Radius"), dtype=np.float64)
    variables: dict[str, Any] = {}
    for name in sorted(names - set(POSITION)):
        values, attrs = _values(cdf, name)
        if values.dtype.kind not in "fiu" or values.shape[:1] != (n,):
            continue
        if name in VECTORS and values.ndim == 2 and values.shape[1] == 3:
            for i, part in enumerate(VECTORS[name]):
                variables[part] = ("time", values[:, i].astype(np.float64),
                                   {**attrs, "long_name": f"{attrs['long_name']} ({part})"})
        elif values.ndim == 1:
            kept = values.astype(np.float64) if values.dtype.kind == "f" else values
            variables[RENAMES.get(name, name)] = ("time", kept, attrs)
    order = np.argsort(times, kind="stable")
    if np.any(np.diff(times[order]) == np.timedelta64(0, "ns")):
        raise SwarmError(f"{path}: Timestamp has repeated records")
    variables = {k: (d, np.asarray(v)[order], a) for k, (d, v, a) in variables.items()}
    first_orbit = glob.get("Abs_Orbit_Start", "")
    orbit = (orbit_numbers(lat[order], direction_from_latitude(lat[order]), int(first_orbit))
             if first_orbit.isdigit() else None)
    kind = product[:3]
    return make_track(
        times[order], lat[order], lon[order], radius_m[order] / 1000.0 - MEAN_EARTH_RADIUS_KM,
        variables, mission=f"Swarm {product[3:4]}".strip(),
        instrument=_INSTRUMENTS.get(kind, kind), product=product, source_file=path.name,
        orbit=orbit, attrs={"title": f"Swarm {product}", "institution": "ESA",
                            "source": "ESA Swarm Level 1b CDF",
                            "references": glob.get("Ref_Doc", "SW-RS-DSC-SY-0007"),
                            "lat_kind": "geocentric"})


def read_calibration(path: str | os.PathLike[str]) -> xr.Dataset:
    """The ASM-VFM in-flight calibration record of a Swarm ``MAGx_HR_1B`` sub-file.

    Returns a Dataset without a time dimension: ``bias`` (nT), ``scale`` (1) and
    ``non_orth`` (mdeg) along ``axis`` (VFM x, y, z), ``rms`` (nT) and ``samples``, and
    the validity interval in the attrs ``valid_from``/``valid_to`` (UTC).
    """
    path = Path(path)
    with damaged_file_errors(path, SwarmError, "CDF file"):
        return _read_calibration(path)


def _read_calibration(path: Path) -> xr.Dataset:
    import cdflib

    cdf, names = _open(path)
    if not _is_calibration(names):
        raise SwarmError(f"{path}: not a Swarm calibration record: expected variables "
                         f"{', '.join(CALIBRATION)}; found {', '.join(sorted(names))}")
    data: dict[str, Any] = {}
    for name in ("Bias", "Scale", "Non_orth"):
        values, attrs = _values(cdf, name)
        data[name.lower()] = ("axis", np.asarray(values, dtype=np.float64).reshape(-1)[:3], attrs)
    for name in ("Rms", "Samples", "Primary_EU"):
        if name in names:
            values, attrs = _values(cdf, name)
            data[name.lower()] = ((), np.asarray(values).reshape(-1)[0], attrs)
    glob = _global(cdf)
    ds = xr.Dataset(data, coords={"axis": ("axis", np.array(["x", "y", "z"]))})
    times = {k: str(cdflib.cdfepoch.to_datetime(np.asarray(cdf.varget(v)))[0])
             for k, v in (("valid_from", "Timestamp"), ("valid_to", "Timestamp_end"))
             if v in names}
    ds.attrs = {"title": "Swarm ASM-VFM in-flight calibration record (not a time series)",
                "mission": f"Swarm {glob.get('File_Type', '')[3:4]}".strip(),
                "product": glob.get("File_Type", ""), "source_file": path.name,
                "institution": "ESA", **times}
    return ds


register("swarm-l1b", "track", can_read, read,
         "ESA Swarm Level 1b CDF time series (MAGx_LR, EFIx_LP)")
register("swarm-calibration", "calibration", can_read_calibration, read_calibration,
         "ESA Swarm MAGx_HR_1B ASM-VFM calibration record (CDF)")
