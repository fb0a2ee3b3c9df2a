"""Plain-text descriptions of a data file or of the archive (``ionoquake info``).

A file is described by the kind its reader gives (:mod:`ionoquake.sources.registry`): maps by
producer, span, grid and TEC range; catalogues by span, magnitudes and region; index tables
by columns, cadence and gaps; two-line element sets by satellites and epochs; along-track
files by mission, span and variables. The archive is described table by table: the maps per
product, every stored table (rows, span and where it came from: file, SHA-256 prefix and
ingest time of each source), the daily forecasts per model and the evaluation ledger.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import xarray as xr

from ionoquake.sources import registry
from ionoquake.store import maps
from ionoquake.store.ledger import ledger_path, read_ledger
from ionoquake.store.tables import read_table


def _span(times: Any) -> str:
    """``first .. last`` of a time column, to the minute, or ``no times``."""
    t = pd.to_datetime(pd.Series(times), utc=True).dropna()
    if t.empty:
        return "no times"
    return f"{t.min():%Y-%m-%d %H:%M} .. {t.max():%Y-%m-%d %H:%M} UTC"


def _step(times: Any) -> str:
    """The most common step of a time column, in words."""
    t = pd.to_datetime(pd.Series(times), utc=True).dropna().drop_duplicates().sort_values()
    if len(t) < 2:
        return "one time"
    step = t.diff().dropna().mode().iloc[0]
    return f"every {pd.Timedelta(step)}".replace("0 days ", "").replace(" days 00:00:00", " days")


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


def describe_catalog(df: pd.DataFrame) -> str:
    """Events, span, magnitudes (and their types), depth and region of a catalogue."""
    lines = [f"events    {len(df)}  {_span(df['time'])}"]
    if len(df):
        mag = df["magnitude"]
        types = ""
        if "magnitude_type" in df:
            counts = df["magnitude_type"].fillna("?").value_counts()
            types = "  (" + ", ".join(f"{k} {v}" for k, v in counts.head(5).items()) + ")"
        lines.append(f"magnitude {mag.min():.1f} .. {mag.max():.1f}{types}")
        if "depth_km" in df:
            lines.append(f"depth     {df['depth_km'].min():.0f} .. {df['depth_km'].max():.0f} km")
        lines.append(f"region    lat {df['latitude'].min():.2f} .. {df['latitude'].max():.2f}, "
                     f"lon {df['longitude'].min():.2f} .. {df['longitude'].max():.2f}")
    lines.append(f"columns   {', '.join(map(str, df.columns))}")
    return "\n".join(lines)


def describe_indices(df: pd.DataFrame) -> str:
    """Span, cadence and the missing values of each column of an index table."""
    lines = [f"records   {len(df)}  {_span(df['time'])}, {_step(df['time'])}"]
    numeric = [c for c in df.columns if c != "time" and pd.api.types.is_numeric_dtype(df[c])
               and not pd.api.types.is_bool_dtype(df[c])]
    for column in numeric:
        values = df[column]
        if values.notna().any():
            lines.append(f"  {column:16s} {values.min():10.4g} .. {values.max():<10.4g} "
                         f"missing {int(values.isna().sum())}")
        else:
            lines.append(f"  {column:16s} all missing")
    return "\n".join(lines)


def describe_tles(df: pd.DataFrame) -> str:
    """Satellites and element-set epochs of a TLE table."""
    names = df.drop_duplicates("norad_id")
    shown = ", ".join(f"{n} ({i})" for n, i in zip(names["name"].head(6), names["norad_id"].head(6),
                                                   strict=True))
    more = f" and {len(names) - 6} more" if len(names) > 6 else ""
    return "\n".join([
        f"satellites {len(names)}: {shown}{more}",
        f"elements  {len(df)}, epochs {_span(df['epoch'])}",
    ])


def describe_track(ds: xr.Dataset) -> str:
    """Mission, instrument, span, altitude and variables of along-track data."""
    lines = [
        f"mission   {ds.attrs.get('mission', '?')}  {ds.attrs.get('instrument', '')} "
        f"{ds.attrs.get('product', '')}".rstrip(),
        f"samples   {ds.sizes.get('time', 0)}  {_span(ds['time'].values)}, "
        f"{_step(ds['time'].values)}",
    ]
    if "lat" in ds.coords:
        lines.append(f"track     lat {float(ds['lat'].min()):.2f} .. {float(ds['lat'].max()):.2f}"
                     + (f", altitude {float(ds['alt_km'].mean()):.0f} km" if "alt_km" in ds.coords
                        else ""))
    lines.append("variables " + ", ".join(
        f"{name} [{ds[name].attrs.get('units', '-')}]" for name in ds.data_vars))
    return "\n".join(lines)


def describe_receiver(ds: xr.Dataset) -> str:
    """Marker, RINEX version, systems, epochs and observables of receiver observations."""
    a = ds.attrs
    pairs = a.get("frequency_pairs", "")
    lines = [
        f"receiver  {a.get('marker_name', '?')}  RINEX {a.get('version', '?')}"
        + ("  (Hatanaka-compressed)" if a.get("crinex") else "")
        + (f", {a['rxmodel']}" if a.get("rxmodel") else ""),
        f"epochs    {ds.sizes.get('time', 0)}  {_span(ds['time'].values)}, "
        f"{_step(ds['time'].values)}",
        f"satellites {ds.sizes.get('sv', 0)}; systems {a.get('systems', '?')}",
        f"observables {', '.join(map(str, ds.data_vars))}",
    ]
    if pairs:
        lines.append(f"dual-frequency pairs {pairs}")
    if a.get("single_frequency"):
        lines.append("single frequency: no dual-frequency TEC can be formed from this file")
    return "\n".join(lines)


def describe_tec(ds: xr.Dataset) -> str:
    """Receivers, satellites, epochs, shell and STEC range of line-of-sight TEC."""
    stec = ds["stec"].values
    return "\n".join([
        f"receivers {', '.join(map(str, ds['receiver'].values))}",
        f"satellites {ds.sizes.get('satellite', 0)}; epochs {ds.sizes.get('time', 0)}  "
        f"{_span(ds['time'].values)}, {_step(ds['time'].values)}",
        f"STEC      {np.nanmin(stec):.1f} .. {np.nanmax(stec):.1f} TECU, "
        f"{int(np.isfinite(stec).sum())} values; shell {ds.attrs.get('shell_height_km', '?')} km",
    ])


def describe_ephemeris(ds: xr.Dataset) -> str:
    """Satellites and epochs of broadcast navigation or precise orbits."""
    return "\n".join([
        f"orbits    {ds.attrs.get('rinextype', '')} {ds.attrs.get('version', '')}".rstrip(),
        f"satellites {ds.sizes.get('sv', 0)}: {', '.join(map(str, ds['sv'].values[:8]))}"
        + (" ..." if ds.sizes.get("sv", 0) > 8 else ""),
        f"epochs    {ds.sizes.get('time', 0)}  {_span(ds['time'].values)}",
    ])


def describe_biases(df: pd.DataFrame) -> str:
    """Satellite and station biases of a Bias-SINEX file."""
    sats = df[df["station"].fillna("").str.strip() == ""]
    pairs = sorted({f"{a}-{b}" for a, b in zip(df["obs1"], df["obs2"], strict=True)})
    return "\n".join([
        f"biases    {len(df)} ({len(sats)} of satellites, {len(df) - len(sats)} of stations)"
        f", agency {df.attrs.get('agency', '?')}",
        f"signals   {', '.join(pairs[:10])}" + (" ..." if len(pairs) > 10 else ""),
        f"valid     {_span(df['start'])}",
    ])


_DESCRIBE: dict[str, Callable[[Any], str]] = {
    "receiver": describe_receiver,
    "tec": describe_tec,
    "ephemeris": describe_ephemeris,
    "biases": describe_biases,
    "maps": describe_maps,
    "catalog": describe_catalog,
    "indices": describe_indices,
    "tle": describe_tles,
    "track": describe_track,
}


def describe_file(path: str | os.PathLike[str]) -> str:
    """Describe one data file in any format of the reader registry."""
    path = Path(path)
    reader = registry.reader_for(path)
    data = reader.read(path)
    describe = _DESCRIBE.get(reader.kind)
    body = describe(data) if describe is not None else str(data)
    return f"{path.name}: {reader.description} ({reader.name})\n{body}"


def _provenance_lines(provenance: list[dict[str, Any]], limit: int = 3) -> list[str]:
    lines = [f"      from {rec.get('file', '?')}  sha256 {str(rec.get('sha256', '?'))[:12]}  "
             f"ingested {rec.get('ingested_at', '?')}" for rec in provenance[:limit]]
    if len(provenance) > limit:
        lines.append(f"      ... and {len(provenance) - limit} more source files")
    return lines


def describe_tables(store: str | os.PathLike[str]) -> list[str]:
    """One entry per stored table (except the ledger): rows, span and provenance."""
    root = Path(store) / "tables"
    lines: list[str] = []
    for path in sorted(root.glob("*/*.parquet")) if root.is_dir() else []:
        kind, name = path.parent.name, path.stem
        if kind == "ledger":
            continue
        df = read_table(store, kind, name)
        time_column = next((c for c in ("time", "epoch", "start") if c in df.columns), None)
        span = f"  {_span(df[time_column])}" if time_column else ""
        lines.append(f"  {kind + '/' + name:24s} {len(df):7d} rows{span}")
        lines.extend(_provenance_lines(df.attrs.get("provenance", [])))
    return lines


def describe_receiver_tec(store: str | os.PathLike[str]) -> list[str]:
    """One entry per network of the receiver-TEC archive: days, receivers, satellites."""
    from ionoquake.store import gnss_tec

    table = gnss_tec.days(store)
    lines = []
    for network, rows in table.groupby("network"):
        days = rows["day"].sort_values()
        lines.append(f"  gnss_tec/{network:15s} {len(rows):5d} days {days.iloc[0].date()} .. "
                     f"{days.iloc[-1].date()}, up to {int(rows['receivers'].max())} receivers, "
                     f"{int(rows['satellites'].max())} satellites")
    return lines


def describe_forecasts(store: str | os.PathLike[str]) -> list[str]:
    """One entry per forecast model: how many daily forecasts, first and last issue day."""
    root = Path(store) / "forecasts"
    lines: list[str] = []
    for model in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        files = sorted(model.glob("*.parquet"))
        if not files:
            continue
        cells = pq.read_metadata(files[0]).num_rows
        lines.append(f"  forecasts/{model.name:14s} {len(files):4d} daily forecasts, issued "
                     f"{files[0].stem[:10]} .. {files[-1].stem[:10]}, {cells} rows each")
    return lines


def describe_store(store: str | os.PathLike[str]) -> str:
    """What the archive holds: maps per product, every table, forecasts and the ledger."""
    table = maps.partitions(store)
    lines = [f"archive {store}"]
    if table.empty:
        lines.append("  no maps yet (ingest some with `ionoquake ingest FILES`)")
    for product, rows in table.groupby("product"):
        days = rows["day"].sort_values()
        expected = (days.iloc[-1] - days.iloc[0]).days + 1
        lines.append(
            f"  maps/{product:19s} {len(rows):5d} days {days.iloc[0].date()} .. "
            f"{days.iloc[-1].date()}  {int(rows['n_maps'].sum()):6d} maps  missing days: "
            f"{expected - len(rows)}")
    lines += describe_tables(store)
    lines += describe_receiver_tec(store)
    lines += describe_forecasts(store)
    ledger = describe_ledger(store)
    if ledger is not None:
        lines.append(ledger)
    return "\n".join(lines)


def describe_ledger(store: str | os.PathLike[str]) -> str | None:
    """One line on the evaluation ledger (:mod:`ionoquake.store.ledger`); None if it is empty."""
    if not ledger_path(store).exists():
        return None
    ledger = read_ledger(store)
    n, k = ledger["configuration_hash"].nunique(), ledger["target_hash"].nunique()
    span = f", {_span(ledger['recorded_at'])}" if "recorded_at" in ledger else ""
    return (f"  ledger                   {len(ledger)} evaluation record"
            f"{'' if len(ledger) == 1 else 's'}: {n} configuration{'' if n == 1 else 's'} "
            f"tried on {k} target set{'' if k == 1 else 's'}{span}")
