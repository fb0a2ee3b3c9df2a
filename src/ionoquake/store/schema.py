"""The relational tables (SQLAlchemy Core): what the API serves and the daily job records.

Gridded data stay in the Zarr archive; these tables hold the tabular products of
every stage. One definition here, used by the Alembic migrations and the code.
Angles in degrees, distances in km. Times are :class:`UtcDateTime`: on PostgreSQL
``timestamptz``; on SQLite the one text convention of :mod:`ionoquake.times`
(``YYYY-MM-DDTHH:MM:SS.fffZ``, 24 characters), so that a plain SQL comparison with the
API's times (``time >= '2001-01-13T00:00:00.000Z'``) or with a date (``'2001-01-13'``)
sorts like the times. Python sees naive UTC ``datetime`` values on both (aware values
written are converted to UTC).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ionoquake.times import iso_utc

metadata = sa.MetaData()


class UtcDateTime(sa.types.TypeDecorator[dt.datetime]):
    """A UTC time: ``timestamptz`` on PostgreSQL, ISO 8601 ``…Z`` text on SQLite (ms)."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(24))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            if isinstance(value, str) and _is_iso_utc(value):
                return value  # already the convention (the upsert formats whole columns)
            return iso_utc(value)
        ts = pd.Timestamp(value)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        return ts.to_pydatetime()

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str) and _is_iso_utc(value):
            return dt.datetime.fromisoformat(value[:-1])
        ts = pd.Timestamp(value)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts.to_pydatetime()


def _is_iso_utc(text: str) -> bool:
    """True for ``YYYY-MM-DDTHH:MM:SS.fffZ`` (what :func:`ionoquake.times.iso_utc` writes)."""
    return (len(text) == 24 and text[10] == "T" and text[19] == "." and text[23] == "Z"
            and text[4] == "-" and text[7] == "-" and text[13] == ":" and text[16] == ":")


events = sa.Table(
    "events", metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("time", UtcDateTime(), nullable=False, index=True),
    sa.Column("latitude", sa.Float, nullable=False),
    sa.Column("longitude", sa.Float, nullable=False),
    sa.Column("depth_km", sa.Float),
    sa.Column("magnitude", sa.Float, nullable=False, index=True),
    sa.Column("magnitude_type", sa.String(16)),
    sa.Column("place", sa.String(256)),
    sa.Column("source", sa.String(64), nullable=False),
)

indices = sa.Table(
    "indices", metadata,
    sa.Column("time", UtcDateTime(), primary_key=True),
    sa.Column("kp", sa.Float),
    sa.Column("ap", sa.Float),
    sa.Column("ap_daily", sa.Float),
    sa.Column("dst_nT", sa.Float),
    sa.Column("f107_obs_sfu", sa.Float),
    sa.Column("f107_adj_sfu", sa.Float),
    sa.Column("sunspot_number", sa.Float),
)

clusters = sa.Table(
    "clusters", metadata,
    sa.Column("cluster_id", sa.String(64), primary_key=True),
    sa.Column("product", sa.String(32), nullable=False),
    sa.Column("start", UtcDateTime(), nullable=False, index=True),
    sa.Column("end", UtcDateTime(), nullable=False),
    sa.Column("lat_min", sa.Float), sa.Column("lat_max", sa.Float),
    sa.Column("lon_west", sa.Float), sa.Column("lon_east", sa.Float),
    sa.Column("peak_time", UtcDateTime()), sa.Column("peak_lat", sa.Float),
    sa.Column("peak_lon", sa.Float), sa.Column("peak_severity", sa.Float),
    sa.Column("n_cells", sa.Integer), sa.Column("sign", sa.SmallInteger),
    sa.Column("status", sa.String(16)),
)

anomalies = sa.Table(
    "anomalies", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("product", sa.String(32), nullable=False),
    sa.Column("time", UtcDateTime(), nullable=False, index=True),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("dtec", sa.Float), sa.Column("rel_dtec_pct", sa.Float),
    sa.Column("severity", sa.Float), sa.Column("disturbed", sa.Boolean),
    sa.Column("cluster_id", sa.String(64),
              sa.ForeignKey("clusters.cluster_id", name="fk_anomalies_cluster_id_clusters")),
    sa.UniqueConstraint("product", "time", "lat", "lon"),
)

#: The zones passes are counted over (:mod:`ionoquake.orbits.zones`); a pass names its zone.
#: Centre and radius are unknown (NULL) for a zone known only by the id a pass gave it.
zones = sa.Table(
    "zones", metadata,
    sa.Column("zone_id", sa.String(64), primary_key=True),
    sa.Column("lat", sa.Float), sa.Column("lon", sa.Float),
    sa.Column("radius_km", sa.Float), sa.Column("kind", sa.String(16)),
)

passes = sa.Table(
    "passes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("satellite", sa.String(64), nullable=False),
    sa.Column("norad_id", sa.Integer, nullable=False),
    sa.Column("zone_id", sa.String(64), sa.ForeignKey("zones.zone_id",
              name="fk_passes_zone_id_zones"), nullable=False, index=True),
    sa.Column("entry", UtcDateTime(), nullable=False, index=True),
    sa.Column("exit", UtcDateTime(), nullable=False),
    sa.Column("closest_time", UtcDateTime()), sa.Column("closest_km", sa.Float),
    sa.Column("local_time_h", sa.Float), sa.Column("ascending", sa.Boolean),
    sa.Column("closest_lat", sa.Float), sa.Column("closest_lon", sa.Float),
    sa.UniqueConstraint("norad_id", "zone_id", "entry"),
)

alarms = sa.Table(
    "alarms", metadata,
    sa.Column("alarm_id", sa.String(96), primary_key=True),
    sa.Column("rules", sa.String(64), nullable=False),
    sa.Column("issued", UtcDateTime(), nullable=False, index=True),
    sa.Column("start", UtcDateTime(), nullable=False, index=True),
    sa.Column("end", UtcDateTime(), nullable=False, index=True),
    sa.Column("lat", sa.Float, nullable=False), sa.Column("lon", sa.Float, nullable=False),
    sa.Column("radius_km", sa.Float, nullable=False), sa.Column("score", sa.Float),
    sa.Column("gain", sa.Float),
)

forecasts = sa.Table(
    "forecasts", metadata,
    sa.Column("forecast_id", sa.String(64), primary_key=True),
    sa.Column("issue_time", UtcDateTime(), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("config_json", sa.Text, nullable=False),
    sa.Column("inputs_sha256", sa.String(64), nullable=False),
    sa.Column("payload", sa.String(512)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

evaluations = sa.Table(
    "evaluations", metadata,
    sa.Column("evaluation_id", sa.String(64), primary_key=True),
    sa.Column("forecast_id", sa.String(64), sa.ForeignKey("forecasts.forecast_id")),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("statistic", sa.Float), sa.Column("p_value", sa.Float),
    sa.Column("result_json", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

ingest_log = sa.Table(
    "ingest_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("file", sa.String(512), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("detail", sa.String(512)),
    sa.Column("ingested_at", UtcDateTime(), nullable=False),
)

#: One row (id 1) whose ``value`` every write to the database increments in its own
#: transaction: readers that cache what they computed from the tables (the API's
#: response cache) compare it instead of the tables.
data_revision = sa.Table(
    "data_revision", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("value", sa.BigInteger, nullable=False),
)


#: Units and meaning of the columns (``docs/data.md`` is made of these): ``"table.column"``
#: for one table, ``"column"`` for every table that has it. Times are UTC (see above).
COLUMN_DOCS: dict[str, tuple[str, str]] = {
    "time": ("UTC", "time of the row (origin time, index hour, map epoch)"),
    "latitude": ("degrees_north", "epicentre latitude"),
    "longitude": ("degrees_east", "epicentre longitude"),
    "lat": ("degrees_north", "latitude (cell centre, zone or alarm centre)"),
    "lon": ("degrees_east", "longitude, -180..180"),
    "product": ("", "map series the row was detected on (e.g. jplg, codg)"),
    "kind": ("", "what kind of row (forecast model, zone shape, ingested file kind)"),
    "created_at": ("UTC", "when the row was first recorded or last changed"),
    "radius_km": ("km", "great-circle radius"),
    "events.event_id": ("", "the catalogue's event id (ComCat, ISC-GEM, ...)"),
    "events.depth_km": ("km", "hypocentre depth"),
    "events.magnitude": ("1", "magnitude (of magnitude_type)"),
    "events.magnitude_type": ("", "magnitude type (mw, mb, ms, ...)"),
    "events.place": ("", "the catalogue's region or place name"),
    "events.source": ("", "catalogue the event was read from"),
    "indices.kp": ("1", "Kp, planetary 3-hour index 0..9 (thirds as decimals)"),
    "indices.ap": ("2 nT", "ap, 3-hour equivalent amplitude"),
    "indices.ap_daily": ("2 nT", "Ap, daily mean of ap"),
    "indices.dst_nT": ("nT", "Dst, hourly disturbance storm-time index"),
    "indices.f107_obs_sfu": ("sfu", "F10.7 solar radio flux as observed (1e-22 W m-2 Hz-1)"),
    "indices.f107_adj_sfu": ("sfu", "F10.7 adjusted to 1 AU"),
    "indices.sunspot_number": ("1", "international sunspot number"),
    "clusters.cluster_id": ("", "product, start, sign and number of the cluster"),
    "clusters.start": ("UTC", "first epoch of the cluster"),
    "clusters.end": ("UTC", "last epoch of the cluster"),
    "clusters.lat_min": ("degrees_north", "southernmost cell centre"),
    "clusters.lat_max": ("degrees_north", "northernmost cell centre"),
    "clusters.lon_west": ("degrees_east", "western edge (exceeds lon_east when the cluster "
                                          "crosses 180°)"),
    "clusters.lon_east": ("degrees_east", "eastern edge"),
    "clusters.peak_time": ("UTC", "epoch of the peak cell (largest |dtec|)"),
    "clusters.peak_lat": ("degrees_north", "latitude of the peak cell"),
    "clusters.peak_lon": ("degrees_east", "longitude of the peak cell"),
    "clusters.peak_severity": ("1", "peak TEC minus background in bound distances"),
    "clusters.n_cells": ("1", "cell-epochs of the cluster"),
    "clusters.sign": ("1", "+1 positive, -1 negative anomaly"),
    "clusters.status": ("", "geomagnetic state: quiet, disturbed or unknown"),
    "anomalies.id": ("", "row number"),
    "anomalies.time": ("UTC", "map epoch"),
    "anomalies.dtec": ("TECU", "TEC minus background"),
    "anomalies.rel_dtec_pct": ("%", "dtec relative to the background"),
    "anomalies.severity": ("1", "dtec in units of the distance from background to bound"),
    "anomalies.disturbed": ("", "the epoch is geomagnetically disturbed"),
    "anomalies.cluster_id": ("", "the cluster the cell belongs to (clusters.cluster_id)"),
    "zones.zone_id": ("", "the zone's id (an event id, a cell label, ...)"),
    "zones.radius_km": ("km", "circle radius; polygons: circumscribed radius; NULL if unknown"),
    "zones.kind": ("", "circle, polygon or cell"),
    "passes.id": ("", "row number"),
    "passes.satellite": ("", "satellite name"),
    "passes.norad_id": ("", "NORAD catalogue number"),
    "passes.zone_id": ("", "the zone passed over (zones.zone_id)"),
    "passes.entry": ("UTC", "the sub-satellite point enters the zone"),
    "passes.exit": ("UTC", "the sub-satellite point leaves the zone"),
    "passes.closest_time": ("UTC", "closest approach to the zone centre"),
    "passes.closest_km": ("km", "great-circle distance at closest approach"),
    "passes.local_time_h": ("h", "local mean time at closest approach"),
    "passes.ascending": ("", "northward pass"),
    "passes.closest_lat": ("degrees_north", "sub-satellite latitude at closest approach"),
    "passes.closest_lon": ("degrees_east", "sub-satellite longitude at closest approach"),
    "alarms.alarm_id": ("", "rules hash, issue time and centre"),
    "alarms.rules": ("", "SHA-256 (16 hex) of the alarm rules that made the alarm"),
    "alarms.issued": ("UTC", "when the alarm became known"),
    "alarms.start": ("UTC", "alarm on from this instant (inclusive)"),
    "alarms.end": ("UTC", "alarm off from this instant (exclusive)"),
    "alarms.score": ("1", "alarm strength"),
    "alarms.gain": ("1", "rate gain inside the alarm"),
    "forecasts.forecast_id": ("", "SHA-256 of the forecast file (first 64 hex)"),
    "forecasts.issue_time": ("UTC", "frozen issue time of the forecast"),
    "forecasts.config_json": ("", "the forecast configuration (JSON)"),
    "forecasts.inputs_sha256": ("", "SHA-256 of the forecast's inputs"),
    "forecasts.payload": ("", "the forecast file, relative to the store"),
    "evaluations.evaluation_id": ("", "name of the evaluation"),
    "evaluations.forecast_id": ("", "the forecast evaluated (forecasts.forecast_id)"),
    "evaluations.statistic": ("1", "the headline statistic"),
    "evaluations.p_value": ("1", "its p-value"),
    "evaluations.result_json": ("", "the whole result (JSON)"),
    "ingest_log.id": ("", "row number"),
    "ingest_log.file": ("", "the file ingested"),
    "ingest_log.sha256": ("", "its SHA-256"),
    "ingest_log.status": ("", "added, unchanged, replaced or failed"),
    "ingest_log.detail": ("", "what happened"),
    "ingest_log.ingested_at": ("UTC", "when"),
    "data_revision.id": ("", "always 1"),
    "data_revision.value": ("1", "incremented by every write (cache key of the API)"),
}


def column_doc(table: str, column: str) -> tuple[str, str]:
    """Units and meaning of ``table.column`` (:data:`COLUMN_DOCS`); KeyError if undocumented."""
    return COLUMN_DOCS.get(f"{table}.{column}") or COLUMN_DOCS[column]
