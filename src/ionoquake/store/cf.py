"""CF-1.8 metadata for every NetCDF and Zarr file ionoquake writes.

Inside ionoquake, TEC variables carry ``units="TECU"`` (the field's habit). ``TECU`` is not
a udunits unit, so files written for others carry the CF-valid equivalent instead:
``units="1e16 m-2"`` (1 TECU = 10^16 electrons per square metre; udunits reads the number as
a scale factor on ``m-2``) with a ``long_name`` that says ``TECU``. The conventional
alternative, ``m-2`` with values multiplied by 1e16, was not chosen: it would change every
number a user compares with IONEX files and papers.

The standard name ``atmosphere_mass_content_of_electrons`` is not in the CF standard-name
table (v93, the one the IOOS compliance-checker bundles), so TEC has a ``long_name`` only;
the only standard names written are the coordinates' (:data:`STANDARD_NAMES`).
Coordinates never carry ``_FillValue`` (CF 2.5.1); ``time`` keeps ``standard_name``,
``long_name`` and ``axis``; every file has ``Conventions="CF-1.8"``, ``title``,
``institution``, ``source``, ``history`` and ``references``.

:func:`cf_encode` makes the file's copy; :func:`cf_decode` turns a read file back into the
in-memory convention (``TECU``), so code reading the archive sees what the readers give.
``tests/store/test_cf_compliance.py`` runs the compliance-checker (``cf:1.8``) on every output.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import xarray as xr

import ionoquake

#: The CF-valid unit of TEC (1 TECU = 1e16 electrons m-2).
TECU_CF_UNITS = "1e16 m-2"
_TECU_NOTE = " (TECU, 1 TECU = 1e16 electrons m-2)"
#: Units of every time variable written (CF: seconds as doubles; no 64-bit integers in CF 1.8).
TIME_UNITS = "seconds since 1970-01-01T00:00:00Z"
#: Standard names ionoquake writes: all in the CF standard-name table (v93).
STANDARD_NAMES = frozenset({"time", "latitude", "longitude", "altitude", "height"})
#: Attributes of the coordinates that CF names (axis and standard name).
_COORDINATES: dict[str, dict[str, str]] = {
    "time": {"standard_name": "time", "axis": "T", "long_name": "time (UTC)"},
    "lat": {"standard_name": "latitude", "axis": "Y", "units": "degrees_north"},
    "lon": {"standard_name": "longitude", "axis": "X", "units": "degrees_east"},
}
#: Variables whose name says what they count or index (dimensionless, ``units="1"``).
_DIMENSIONLESS_LONG_NAMES = {
    "kp": "Kp index, planetary 3-hour geomagnetic activity (0 to 9, thirds as decimals)",
    "n_ref": "number of reference days behind the background",
}
_REFERENCES = ("Liu et al. (2004) doi:10.5194/angeo-22-1585-2004 (running background); "
               "Dobrovolsky et al. (1979) doi:10.1007/BF00876083 (preparation zone)")


def _tec_units(attrs: dict[str, Any]) -> dict[str, Any]:
    out = dict(attrs)
    if out.get("units") == "TECU":
        out["units"] = TECU_CF_UNITS
        name = str(out.get("long_name", "total electron content"))
        out["long_name"] = name if "TECU" in name else name + _TECU_NOTE
    return out


def _variable_attrs(name: str, da: xr.DataArray) -> dict[str, Any]:
    attrs = _tec_units({k: (json.dumps(v) if isinstance(v, dict | list | tuple) else v)
                        for k, v in da.attrs.items() if v is not None})
    standard = attrs.get("standard_name")
    if standard is not None and standard not in STANDARD_NAMES:
        del attrs["standard_name"]
        attrs.setdefault("long_name", str(standard).replace("_", " "))
    if name in _COORDINATES:
        attrs.update(_COORDINATES[name])
        attrs.setdefault("long_name", _COORDINATES[name]["standard_name"])
        if name == "time":
            attrs.pop("units", None)  # xarray writes the encoding's units and calendar
    elif name in _DIMENSIONLESS_LONG_NAMES:
        attrs.setdefault("long_name", _DIMENSIONLESS_LONG_NAMES[name])
        attrs["units"] = "1"
    if da.dtype == bool:
        attrs.pop("units", None)  # xarray writes it as int8 0/1 and reads it back as bool
    elif np.issubdtype(da.dtype, np.integer) and name not in _COORDINATES:
        if "flag_meanings" not in attrs:
            attrs.setdefault("units", "1")  # a count or an index
    attrs.setdefault("long_name", name.replace("_", " "))
    return attrs


def cf_encode(ds: xr.Dataset, *, title: str, source: str,
              institution: str | None = None) -> tuple[xr.Dataset, dict[str, dict[str, Any]]]:
    """The CF-1.8 copy of ``ds`` and the encoding to write it with (``to_netcdf``/``to_zarr``).

    ``title`` says what the file holds, ``source`` how it was made (the method, the input
    product); ``institution`` defaults to the data's producer (``attrs["producer"]``).
    Dict and list attributes become JSON strings, boolean attributes 0/1.
    """
    out = ds.copy()
    for name in list(out.variables):
        out[name].attrs = _variable_attrs(str(name), out[name])
    attrs = {k: (json.dumps(v) if isinstance(v, dict | list | tuple) else v)
             for k, v in ds.attrs.items() if v is not None}
    attrs = {k: (int(v) if isinstance(v, bool | np.bool_) else v) for k, v in attrs.items()}
    producer = institution or str(attrs.get("producer", "") or "") or "not recorded"
    history = str(attrs.get("history", "") or "")
    made = f"written by ionoquake {ionoquake.__version__} ({source})"
    attrs.update(Conventions="CF-1.8", title=title, institution=producer, source=source,
                 history=history if made in history else (history + "\n" + made).strip(),
                 references=str(attrs.get("references", _REFERENCES)))
    out.attrs = attrs
    encoding: dict[str, dict[str, Any]] = {}
    for name in out.variables:
        enc: dict[str, Any] = {}
        kind = out[name].dtype.kind
        if name in out.coords or name in out.dims or kind in "iub":
            enc["_FillValue"] = None
        if kind == "M":  # CF 1.8 §2.2 has no 64-bit integers: seconds as doubles (µs exact)
            enc.update(dtype="float64", units=TIME_UNITS, calendar="proleptic_gregorian")
        elif kind in "iu" and out[name].dtype.itemsize == 8:
            enc["dtype"] = "int32"
        encoding[str(name)] = enc
    return out, encoding


def cf_decode(ds: xr.Dataset) -> xr.Dataset:
    """The in-memory convention of a CF file ionoquake wrote: TEC back in ``TECU``."""
    for name in ds.variables:
        attrs = ds[name].attrs
        if attrs.get("units") == TECU_CF_UNITS:
            attrs["units"] = "TECU"
            long_name = str(attrs.get("long_name", ""))
            if long_name.endswith(_TECU_NOTE):
                attrs["long_name"] = long_name.removesuffix(_TECU_NOTE)
    return ds


__all__ = ["STANDARD_NAMES", "TECU_CF_UNITS", "TIME_UNITS", "cf_decode", "cf_encode"]
