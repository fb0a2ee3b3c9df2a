"""Write docs/data.md: every output file, table and endpoint, its columns, units and times.

Generated from the one place each is defined: the column constants and their ``*_DOCS``
mappings (``detect.clusters``, ``detect.event``, ``forecast.alarms``,
``sources.indices_table``), the database schema (``store.schema``, ``COLUMN_DOCS``), the
API's routers, and for NetCDF/Zarr files the variables and attributes the writers produce
on a bundled day of JPL maps (``store.cf.cf_encode`` as every writer applies it).
Run ``python scripts/data_dictionary.py`` after changing any of these;
``tests/test_data_dictionary.py`` fails while docs/data.md is out of date.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "docs" / "data.md"
JPL = REPO / "data" / "ionex" / "jpl_2000326-2001014"

#: Columns of ``passes.csv`` (:data:`ionoquake.orbits.passes.PASS_COLUMNS`; checked equal).
PASS_DOCS: dict[str, tuple[str, str]] = {
    "zone_id": ("", "the zone passed over"),
    "norad_id": ("", "NORAD catalogue number"),
    "satellite": ("", "satellite name (from the TLE)"),
    "entry": ("UTC", "the sub-satellite point enters the zone"),
    "exit": ("UTC", "the sub-satellite point leaves the zone"),
    "duration_s": ("s", "exit minus entry"),
    "closest_time": ("UTC", "closest approach to the zone centre"),
    "closest_km": ("km", "great-circle distance from the centre at closest approach"),
    "closest_lat": ("degrees_north", "sub-satellite latitude at closest approach (geodetic)"),
    "closest_lon": ("degrees_east", "sub-satellite longitude at closest approach"),
    "alt_km": ("km", "altitude at closest approach"),
    "local_mean_time_h": ("h", "local mean time at closest approach"),
    "local_apparent_time_h": ("h", "local apparent (solar) time at closest approach"),
    "ascending": ("", "northward pass"),
}
#: The core columns of a catalogue (:data:`ionoquake.sources.catalog_table.CORE_COLUMNS`).
CATALOG_DOCS: dict[str, tuple[str, str]] = {
    "time": ("UTC", "origin time"),
    "latitude": ("degrees_north", "epicentre latitude"),
    "longitude": ("degrees_east", "epicentre longitude"),
    "depth_km": ("km", "hypocentre depth"),
    "magnitude": ("1", "magnitude (of magnitude_type)"),
    "magnitude_type": ("", "mw, mb, ms, ..."),
    "event_id": ("", "the catalogue's event id"),
    "source": ("", "the catalogue format read (usgs-comcat, isc-gem, quakeml, ...)"),
}

TIMES = """\
Every time ionoquake writes as text — CSV files, JSON, the API, SQLite's time columns, report
tables — is ISO 8601 UTC with a `Z` and milliseconds, always 24 characters:
`2001-01-13T17:33:32.380Z` (`ionoquake.times.iso_utc`). `pandas.to_datetime` reads every such
column without a format (UTC-aware), and text comparison sorts like the times (in SQLite:
`time >= '2001-01-13T00:00:00.000Z'`, or `>= '2001-01-13'`). Binary containers keep real
types: Parquet timestamps are UTC-aware (`timestamp[ns, tz=UTC]`), PostgreSQL columns are
`timestamptz`, NetCDF/Zarr `time` is `double` seconds since 1970-01-01T00:00:00Z (CF).
Inside ionoquake, times are naive UTC `datetime64`."""

UNITS = """\
Units are udunits strings as CF writes them. Inside ionoquake TEC is in TECU; in NetCDF and
Zarr files TECU is written `1e16 m-2` (1 TECU = 10^16 electrons per m², a scale factor
udunits reads) with a `long_name` that says TECU (`ionoquake.store.cf`). `1` is a
dimensionless number or count; an empty unit is text, a flag or an id."""


def _table(rows: Sequence[tuple[str, ...]], header: tuple[str, ...]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _columns(names: tuple[str, ...], docs: dict[str, tuple[str, str]], where: str) -> str:
    if set(names) - set(docs):
        raise SystemExit(f"{where}: no units/meaning for {sorted(set(names) - set(docs))}")
    return _table([(f"`{n}`", f"`{docs[n][0]}`" if docs[n][0] else "", docs[n][1])
                   for n in names], ("column", "units", "meaning"))


def _variables(ds: xr.Dataset) -> str:
    from ionoquake.store.cf import cf_encode

    encoded, encoding = cf_encode(ds, title="t", source="s")
    rows = []
    for name in [*encoded.coords, *encoded.data_vars]:
        var = encoded[name]
        units = str(var.attrs.get("units", ""))
        if var.dtype.kind == "M":
            units = "seconds since 1970-01-01T00:00:00Z"
        kind = ("bool (int8 0/1)" if var.dtype == bool else "float64 (CF time)"
                if var.dtype.kind == "M" else str(encoding[str(name)].get("dtype", var.dtype)))
        rows.append((f"`{name}`", f"({', '.join(map(str, var.dims))})", kind,
                     f"`{units}`" if units else "", str(var.attrs.get("long_name", ""))))
    return _table(rows, ("variable", "dimensions", "type", "units", "long_name"))


def _netcdf_sections() -> list[str]:
    from ionoquake.detect.anomalies import detect_anomalies
    from ionoquake.detect.background import BackgroundConfig
    from ionoquake.detect.event import event_analysis
    from ionoquake.quake import Earthquake
    from ionoquake.sources import ionex
    from ionoquake.sources.gim import combine_days

    files = [JPL / f"jplg{d:03d}0.01i.gz" for d in range(10, 15)]
    maps = combine_days([ionex.read(p) for p in files])
    small = maps.isel(lat=slice(None, None, 5), lon=slice(None, None, 4))  # quick
    config = BackgroundConfig(window_days=3)
    anomalies = detect_anomalies(small, config)
    quake = Earthquake(np.datetime64("2001-01-13T17:33:32"), 13.049, -88.66, 7.7)
    event = event_analysis(small, quake, config=config, anomalies=anomalies,
                           days_before=1, days_after=1)
    return [
        "### Map archive: `<store>/maps/<product>/<YYYY>/<YYYY-MM-DD>.zarr`\n\n"
        "One Zarr **format 3** group per product and UT day, CF-1.8 attributes (the IONEX "
        "header's in the group attributes, the source file's SHA-256 in `provenance`). "
        "xarray (`xr.open_zarr`) and zarr-python ≥ 3 read it; GDAL (3.10) reads only Zarr "
        "format 2: export NetCDF for GIS with `ionoquake.store.maps.export_netcdf(store, "
        "product, start, end, path)` (one CF-1.8 NetCDF-4 file, the same variables).\n\n"
        + _variables(maps),
        "### Anomalies: `<out>/<name>.nc` (`ionoquake detect`)\n\n"
        "NetCDF-4, CF-1.8, every cell and epoch of the maps; the background configuration "
        "in the global attributes.\n\n" + _variables(anomalies),
        "### Earthquake-centred series: `<out>/event_<event id>.nc`\n\n"
        "NetCDF-4, CF-1.8; the event, the conjugate point and the zone radius in the "
        "global attributes.\n\n" + _variables(event),
    ]


def _file_sections() -> list[str]:
    from ionoquake.detect.clusters import CLUSTER_COLUMN_DOCS, CLUSTER_COLUMNS
    from ionoquake.detect.event import DAY_COLUMN_DOCS, DAY_COLUMNS
    from ionoquake.forecast.alarms import ALARM_COLUMN_DOCS, ALARM_COLUMNS
    from ionoquake.orbits.passes import PASS_COLUMNS
    from ionoquake.sources.catalog_table import CORE_COLUMNS
    from ionoquake.sources.indices_table import COLUMNS as INDEX_COLUMNS
    from ionoquake.sources.tle import TLE_COLUMNS
    from ionoquake.store.ledger import LEDGER_COLUMNS

    indices = _table([(f"`{c.name}`", f"`{c.units}`" if c.units else "", c.description)
                      for c in INDEX_COLUMNS], ("column", "units", "meaning"))
    return [
        "### Clusters: `<out>/<name>_clusters.csv`\n\n"
        "One row per space-time cluster of anomalous cells (`detect.clusters.CLUSTER_COLUMNS`"
        "). The longitude extent runs east from `lon_west` to `lon_east` and may cross 180° "
        "(then `lon_west > lon_east`).\n\n"
        + _columns(CLUSTER_COLUMNS, CLUSTER_COLUMN_DOCS, "CLUSTER_COLUMNS"),
        "### Days around an earthquake: `<out>/event_<event id>_days.csv`\n\n"
        + _columns(DAY_COLUMNS, DAY_COLUMN_DOCS, "DAY_COLUMNS"),
        "### Alarms (`forecast.alarms.ALARM_COLUMNS`)\n\n"
        "The table every alarm rule emits; stored in the database (`alarms`).\n\n"
        + _columns((*ALARM_COLUMNS, "gain"), ALARM_COLUMN_DOCS, "ALARM_COLUMNS"),
        "### Passes: `<out>/passes.csv` (`ionoquake passes`)\n\n"
        + _columns(PASS_COLUMNS, PASS_DOCS, "PASS_COLUMNS"),
        "### Catalogues: `.csv`, `.parquet`, QuakeML `.xml` (`sources.catalog_write`), "
        "`<store>/tables/catalog/<name>.parquet`\n\n"
        "The core columns below, then what the source had (ComCat: `place`, `event_type`, "
        "`status`, `horizontal_error_km`, `depth_error_km`, `magnitude_error`, "
        "`location_source`, `magnitude_source`, ...). QuakeML keeps these as the event "
        "description, type, the origin's evaluation mode/status, the creation info's agency "
        "and the uncertainties.\n\n"
        + _columns(CORE_COLUMNS, CATALOG_DOCS, "CORE_COLUMNS"),
        "### Geomagnetic and solar indices: `<store>/tables/indices/<format>.parquet`\n\n"
        "Hourly rows (`sources.indices_table.COLUMNS`).\n\n" + indices,
        "### Other archive tables\n\n"
        "* `<store>/tables/tle/elements.parquet`: two-line element sets, columns "
        + ", ".join(f"`{c}`" for c in TLE_COLUMNS) + " (`epoch` UTC).\n"
        "* `<store>/tables/ledger/evaluations.parquet`: one row per evaluation run, columns "
        + ", ".join(f"`{c}`" for c in LEDGER_COLUMNS) + " (see `store.ledger`).\n"
        "* `<store>/forecasts/<model>/<issue time>.parquet`: one daily gridded forecast "
        "(`spatial_rate`, `baseline_rate`, `alarm_score` per cell; issue time and input "
        "hashes in the file metadata; see `forecast.archive`).",
    ]


def _database_section() -> str:
    import sqlalchemy as sa

    from ionoquake.store.schema import column_doc, metadata

    parts = []
    for table in metadata.sorted_tables:
        rows = []
        for col in table.columns:
            units, meaning = column_doc(table.name, col.name)
            notes = []
            if col.primary_key:
                notes.append("key")
            notes += [f"→ `{fk.target_fullname}`" for fk in col.foreign_keys]
            if col.index:
                notes.append("indexed")
            if not col.nullable and not col.primary_key:
                notes.append("not null")
            kind = ("UTC time" if type(col.type).__name__ == "UtcDateTime"
                    else type(col.type).__name__)
            rows.append((f"`{col.name}`", kind, f"`{units}`" if units else "", meaning,
                         ", ".join(notes)))
        unique = [", ".join(c.name for c in u.columns) for u in table.constraints
                  if isinstance(u, sa.UniqueConstraint)]
        extra = f" Unique: ({'), ('.join(unique)})." if unique else ""
        parts.append(f"### `{table.name}`\n\n{extra.strip()}\n\n"
                     + _table(rows, ("column", "type", "units", "meaning", "")))
    return "\n\n".join(p.replace("\n\n\n\n", "\n\n") for p in parts)


def _endpoint_section() -> str:
    from fastapi.routing import APIRoute

    from ionoquake.service import map_routes, table_routes, tracks, write_routes

    rows = []
    for module in (table_routes, map_routes, tracks, write_routes):
        for route in module.router.routes:
            if isinstance(route, APIRoute) and route.include_in_schema:
                doc = (route.endpoint.__doc__ or route.summary or route.name).strip()
                rows.append((", ".join(sorted(route.methods or ())), f"`{route.path}`",
                             doc.splitlines()[0]))
    return _table(sorted(rows, key=lambda r: (r[1], r[0])), ("method", "path", "what"))


def render() -> str:
    """The text of docs/data.md."""
    sections = [
        "# Data dictionary\n\n"
        "<!-- Generated by scripts/data_dictionary.py; do not edit by hand. -->\n\n"
        "Every file ionoquake writes, every table of its database mirror and every endpoint "
        "of its API, with columns, units, the time convention and meaning.",
        "## Times\n\n" + TIMES,
        "## Units\n\n" + UNITS,
        "## Files\n\n" + "\n\n".join(_netcdf_sections() + _file_sections()),
        "## Database tables (`store.schema`)\n\n"
        "SQLite by default (`<store>/ionoquake.sqlite`), PostgreSQL by URL; the API reads "
        "them. Time columns: SQLite text in the one convention, PostgreSQL `timestamptz`. "
        "Foreign keys are declared on both (SQLite checks them with "
        "`PRAGMA foreign_keys = ON`).\n\n" + _database_section(),
        "## API endpoints\n\n"
        "JSON times in the one convention; the read endpoints page the database tables "
        "above (`limit`, `offset`, `start`/`end` on the table's time column). The OpenAPI "
        "document is `/openapi.json`.\n\n" + _endpoint_section(),
    ]
    return "\n\n".join(sections) + "\n"


def main() -> int:
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
