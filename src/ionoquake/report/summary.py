"""Plain-text descriptions of a data file or of the archive (``ionoquake info``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import xarray as xr

from ionoquake.sources import registry
from ionoquake.store import maps
from ionoquake.store.ledger import ledger_path, read_ledger


def describe_maps(ds: xr.Dataset) -> str:
    """A few lines on a map Dataset: producer, span, grid, TEC range."""
    t = ds["time"].values
    tec = ds["tec"].values
    step = np.diff(t).min() / np.timedelta64(1, "m") if len(t) > 1 else 0
    lines = [
        f"product   {ds.attrs.get('product', '?')}  ({ds.attrs.get('producer', '?')}, "
        f"{ds.attrs.get('source', '?')})",
        f"maps      {len(t)}  {np.datetime_as_string(t[0], 'm')} .. "
        f"{np.datetime_as_string(t[-1], 'm')} UTC, every {step:g} min",
        f"grid      lat {float(ds.lat.min()):g}..{float(ds.lat.max()):g} "
        f"({ds.sizes['lat']}), lon {float(ds.lon.min()):g}..{float(ds.lon.max()):g} "
        f"({ds.sizes['lon']}), shell {ds.attrs.get('shell_height_km', '?')} km",
        f"variables {', '.join(str(v) for v in ds.data_vars)}",
        f"TEC       {np.nanmin(tec):.1f} .. {np.nanmax(tec):.1f} TECU, mean "
        f"{np.nanmean(tec):.1f}; missing {int(np.isnan(tec).sum())} of {tec.size}",
    ]
    gaps = ds.attrs.get("gaps") or []
    if gaps:
        more = " ..." if len(gaps) > 5 else ""
        lines.append(f"gaps      {len(gaps)}: {', '.join(gaps[:5])}{more}")
    return "\n".join(lines)


def describe_file(path: str | os.PathLike[str]) -> str:
    """Describe one data file in any format of the reader registry."""
    path = Path(path)
    reader = registry.reader_for(path)
    data = reader.read(path)
    if reader.kind == "maps":
        return f"{path.name}\n{describe_maps(data)}"
    return f"{path.name}\n{data}"


def describe_store(store: str | os.PathLike[str]) -> str:
    """What the archive holds: per product the days, maps and gaps; the evaluation ledger."""
    table = maps.partitions(store)
    ledger = describe_ledger(store)
    if table.empty:
        text = f"{store}: no maps yet (ingest some with `ionoquake ingest FILES`)"
        return text if ledger is None else f"{text}\n{ledger}"
    lines = [f"archive {store}"]
    for product, rows in table.groupby("product"):
        days = rows["day"].sort_values()
        expected = (days.iloc[-1] - days.iloc[0]).days + 1
        lines.append(
            f"  {product:12s} {len(rows):5d} days {days.iloc[0].date()} .. {days.iloc[-1].date()}"
            f"  {int(rows['n_maps'].sum()):6d} maps  missing days: {expected - len(rows)}")
    return "\n".join(lines if ledger is None else [*lines, ledger])


def describe_ledger(store: str | os.PathLike[str]) -> str | None:
    """One line on the evaluation ledger (:mod:`ionoquake.store.ledger`); None if it is empty."""
    if not ledger_path(store).exists():
        return None
    ledger = read_ledger(store)
    n, k = ledger["configuration_hash"].nunique(), ledger["target_hash"].nunique()
    return (f"  ledger       {len(ledger)} evaluation record{'' if len(ledger) == 1 else 's'}: "
            f"{n} configuration{'' if n == 1 else 's'} tried on {k} target "
            f"set{'' if k == 1 else 's'}")
