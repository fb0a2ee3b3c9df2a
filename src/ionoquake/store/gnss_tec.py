"""The receiver TEC archive: one NetCDF file per network and UTC day, with provenance.

Layout::

    <store>/gnss_tec/<network>/<YYYY>/<YYYY-MM-DD>.nc

Each file holds the container of :mod:`ionoquake.gnss` (``time``, ``receiver``,
``satellite``: ``stec``, ``vtec``, pierce points, arcs ...) for the epochs of that day.
Its ``attrs`` keep those of the container (shell height, mask, biases, levelling, the
input files with their SHA-256 in ``source``) and a ``provenance`` record (JSON): the
ionoquake version, the time of writing, the network, and the settings.

Writing is atomic (:func:`ionoquake.atomic.atomic_path`): the file is written under a
temporary name and renamed into place, so a killed write leaves the previous file or
none, never half a file. Writing receivers to a day that is stored already replaces
those receivers and keeps the others (a GPS-time day file puts its first 18 s into the
previous UTC day: that must not wipe the previous day). The shell height and the
elevation mask of a day must agree between its receivers.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ionoquake import __version__
from ionoquake.atomic import atomic_path
from ionoquake.errors import StoreError
from ionoquake.store.location import check_name

#: The container's variables that a stored day must have.
REQUIRED = ("stec", "vtec", "elevation", "azimuth", "ipp_lat", "ipp_lon", "arc")
#: The container's attributes carried into ``provenance["settings"]``.
SETTINGS = ("shell_height_km", "elevation_mask_deg", "levelling", "biases", "signals")


def tec_root(store: str | os.PathLike[str]) -> Path:
    return Path(store) / "gnss_tec"


def day_path(store: str | os.PathLike[str], network: str, day: Any) -> Path:
    """The file of ``network`` for the UTC day that contains ``day``."""
    d = str(np.datetime64(day, "D"))
    return tec_root(store) / check_name("network", network) / d[:4] / f"{d}.nc"


def write(store: str | os.PathLike[str], tec: xr.Dataset, *, network: str) -> list[Path]:
    """Store ``tec`` (the container) as one file per UTC day; return the files written.

    Raises
    ------
    StoreError
        ``tec`` lacks a variable of the container, or has no epochs.
    """
    check_name("network", network)
    missing = [v for v in REQUIRED if v not in tec]
    if missing or tec.sizes.get("time", 0) == 0:
        raise StoreError(f"gnss_tec {network}: not a TEC container (missing "
                         f"{', '.join(missing) or 'epochs'})")
    days = np.unique(tec["time"].values.astype("datetime64[D]"))
    written = []
    for day in days:
        one = tec.sel(time=tec["time"].values.astype("datetime64[D]") == day)
        target = day_path(store, network, day)
        new = _with_provenance(one, network)
        if target.is_file():
            new = _merge(read_day(store, network, day), new, target)
        _write_file(new, target)
        written.append(target)
    return written


def _with_provenance(tec: xr.Dataset, network: str) -> xr.Dataset:
    """``tec`` with ``attrs["provenance"]``: per receiver, its sources and settings."""
    out = tec.copy()
    written = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

    def part(key: str, receiver: str) -> Any:
        """A JSON attribute, or its entry for ``receiver`` if keyed by receiver."""
        text = tec.attrs.get(key)
        if not isinstance(text, str):
            return text
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return text
        return value[receiver] if isinstance(value, dict) and receiver in value else value

    receivers = {}
    for r in (str(x) for x in tec["receiver"].values):
        receivers[r] = {
            "ionoquake_version": __version__,
            "written_at": written,
            "source": part("source", r) or [],
            "settings": {k: part(k, r) for k in SETTINGS if k in tec.attrs},
        }
    out.attrs["provenance"] = json.dumps({"network": network, "receivers": receivers},
                                         default=str)
    return out


def _merge(old: xr.Dataset, new: xr.Dataset, target: Path) -> xr.Dataset:
    """The stored day ``old`` with the receivers of ``new`` replaced or added."""
    for key in ("shell_height_km", "elevation_mask_deg"):
        if old.attrs.get(key) != new.attrs.get(key):
            raise StoreError(f"{target}: stored with {key} = {old.attrs.get(key)}, "
                             f"new receivers have {new.attrs.get(key)}")
    keep = [r for r in old["receiver"].values if r not in set(new["receiver"].values)]
    if not keep:
        return new
    merged = xr.concat([old.sel(receiver=keep), new], dim="receiver", join="outer",
                       combine_attrs="override", data_vars="all", fill_value={"arc": -1})
    merged["arc"] = merged["arc"].fillna(-1).astype(np.int32)
    records = json.loads(old.attrs.get("provenance", "{}")).get("receivers", {})
    records = {r: v for r, v in records.items() if r in keep}
    prov = json.loads(new.attrs["provenance"])
    prov["receivers"] = {**records, **prov["receivers"]}
    merged.attrs = {**new.attrs, "provenance": json.dumps(prov)}
    return merged


def _write_file(ds: xr.Dataset, target: Path) -> None:
    encoded = ds.copy()
    encoded.attrs = {k: (json.dumps(v) if isinstance(v, (list, dict)) else v)
                     for k, v in ds.attrs.items()}
    for name in ("receiver", "satellite"):
        encoded[name] = encoded[name].astype(str)
    with atomic_path(target) as tmp:
        encoded.to_netcdf(tmp, format="NETCDF4", engine="netcdf4")


def read_day(store: str | os.PathLike[str], network: str, day: Any) -> xr.Dataset:
    """The stored container of ``network`` for ``day`` (loaded into memory)."""
    path = day_path(store, network, day)
    if not path.is_file():
        raise StoreError(f"{path}: no receiver TEC stored for {network} on "
                         f"{np.datetime64(day, 'D')}")
    with xr.open_dataset(path, engine="netcdf4") as ds:
        out = ds.load()
    for name in ("receiver", "satellite"):
        out[name] = out[name].astype(str)
    return out


def days(store: str | os.PathLike[str], network: str | None = None) -> pd.DataFrame:
    """One row per stored file: network, day, receivers, satellites, epochs, path."""
    root = tec_root(store)
    pattern = f"{check_name('network', network) if network else '*'}/*/*.nc"
    rows = []
    for path in sorted(p for p in root.glob(pattern) if not p.name.startswith(".")):
        with xr.open_dataset(path, engine="netcdf4") as ds:
            rows.append({"network": path.parent.parent.name,
                         "day": pd.Timestamp(path.stem),
                         "receivers": ds.sizes["receiver"],
                         "satellites": ds.sizes["satellite"],
                         "epochs": ds.sizes["time"], "path": path})
    return pd.DataFrame(rows, columns=["network", "day", "receivers", "satellites", "epochs",
                                       "path"])
