"""The relational tables (SQLAlchemy Core): what the API serves and the daily job records.

Gridded data stay in the Zarr archive; these tables hold the tabular products of
every stage. One definition here, used by the Alembic migrations and the code.
Times are stored as naive UTC timestamps, angles in degrees, distances in km.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

events = sa.Table(
    "events", metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("time", sa.DateTime, nullable=False, index=True),
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
    sa.Column("time", sa.DateTime, primary_key=True),
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
    sa.Column("start", sa.DateTime, nullable=False, index=True),
    sa.Column("end", sa.DateTime, nullable=False),
    sa.Column("lat_min", sa.Float), sa.Column("lat_max", sa.Float),
    sa.Column("lon_min", sa.Float), sa.Column("lon_max", sa.Float),
    sa.Column("peak_time", sa.DateTime), sa.Column("peak_lat", sa.Float),
    sa.Column("peak_lon", sa.Float), sa.Column("peak_severity", sa.Float),
    sa.Column("n_cells", sa.Integer), sa.Column("sign", sa.SmallInteger),
    sa.Column("status", sa.String(16)),
)

anomalies = sa.Table(
    "anomalies", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("product", sa.String(32), nullable=False),
    sa.Column("time", sa.DateTime, nullable=False, index=True),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("dtec", sa.Float), sa.Column("rel_dtec_pct", sa.Float),
    sa.Column("severity", sa.Float), sa.Column("disturbed", sa.Boolean),
    sa.Column("cluster_id", sa.String(64)),
    sa.UniqueConstraint("product", "time", "lat", "lon"),
)

passes = sa.Table(
    "passes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("satellite", sa.String(64), nullable=False),
    sa.Column("norad_id", sa.Integer, nullable=False),
    sa.Column("zone_id", sa.String(64), nullable=False, index=True),
    sa.Column("entry", sa.DateTime, nullable=False, index=True),
    sa.Column("exit", sa.DateTime, nullable=False),
    sa.Column("closest_time", sa.DateTime), sa.Column("closest_km", sa.Float),
    sa.Column("local_time_h", sa.Float), sa.Column("ascending", sa.Boolean),
    sa.Column("closest_lat", sa.Float), sa.Column("closest_lon", sa.Float),
    sa.UniqueConstraint("norad_id", "zone_id", "entry"),
)

alarms = sa.Table(
    "alarms", metadata,
    sa.Column("alarm_id", sa.String(96), primary_key=True),
    sa.Column("rules", sa.String(64), nullable=False),
    sa.Column("issued", sa.DateTime, nullable=False, index=True),
    sa.Column("start", sa.DateTime, nullable=False),
    sa.Column("end", sa.DateTime, nullable=False),
    sa.Column("lat", sa.Float, nullable=False), sa.Column("lon", sa.Float, nullable=False),
    sa.Column("radius_km", sa.Float, nullable=False), sa.Column("score", sa.Float),
    sa.Column("gain", sa.Float),
)

forecasts = sa.Table(
    "forecasts", metadata,
    sa.Column("forecast_id", sa.String(64), primary_key=True),
    sa.Column("issue_time", sa.DateTime, nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("config_json", sa.Text, nullable=False),
    sa.Column("inputs_sha256", sa.String(64), nullable=False),
    sa.Column("payload", sa.String(512)),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

evaluations = sa.Table(
    "evaluations", metadata,
    sa.Column("evaluation_id", sa.String(64), primary_key=True),
    sa.Column("forecast_id", sa.String(64), sa.ForeignKey("forecasts.forecast_id")),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("statistic", sa.Float), sa.Column("p_value", sa.Float),
    sa.Column("result_json", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

ingest_log = sa.Table(
    "ingest_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("file", sa.String(512), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("detail", sa.String(512)),
    sa.Column("ingested_at", sa.DateTime, nullable=False),
)

#: One row (id 1) whose ``value`` every write to the database increments in its own
#: transaction: readers that cache what they computed from the tables (the API's
#: response cache) compare it instead of the tables.
data_revision = sa.Table(
    "data_revision", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("value", sa.BigInteger, nullable=False),
)
