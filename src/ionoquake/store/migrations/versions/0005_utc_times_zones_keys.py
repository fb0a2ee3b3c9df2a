"""UTC times in the one convention, a zones table, foreign keys, alarm span indexes

Every time column becomes :class:`ionoquake.store.schema.UtcDateTime`: ``timestamptz`` on
PostgreSQL (stored values were naive UTC), ISO 8601 text ``YYYY-MM-DDTHH:MM:SS.fffZ`` on
SQLite (stored values were ``YYYY-MM-DD HH:MM:SS.ffffff``, which sorts before the API's
``T`` form: a query for one day with the API's times returned two days' rows).
``passes.zone_id`` references the new ``zones`` table (zones the stored passes name are
added with an unknown centre) and ``anomalies.cluster_id`` references ``clusters``
(ids that name no stored cluster become NULL). ``alarms.start`` and ``alarms.end`` get
indexes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TIME_COLUMNS = {
    "events": ["time"], "indices": ["time"], "clusters": ["start", "end", "peak_time"],
    "anomalies": ["time"], "passes": ["entry", "exit", "closest_time"],
    "alarms": ["issued", "start", "end"], "forecasts": ["issue_time", "created_at"],
    "evaluations": ["created_at"], "ingest_log": ["ingested_at"],
}
NOT_NULL = {("events", "time"), ("indices", "time"), ("clusters", "start"),
            ("clusters", "end"), ("anomalies", "time"), ("passes", "entry"), ("passes", "exit"),
            ("alarms", "issued"), ("alarms", "start"), ("alarms", "end"),
            ("forecasts", "issue_time"), ("forecasts", "created_at"),
            ("evaluations", "created_at"), ("ingest_log", "ingested_at")}


def _times(to_text: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in TIME_COLUMNS.items():
        if sqlite:
            if to_text:
                with op.batch_alter_table(table) as batch:
                    for column in columns:
                        batch.alter_column(column, type_=sa.String(24),
                                           existing_type=sa.DateTime(),
                                           existing_nullable=(table, column) not in NOT_NULL)
            # Back down, the columns stay VARCHAR(24) (a batch copy would CAST the text to
            # DATETIME, i.e. to a number, in SQLite): only the text goes back to 0004's form.
            form = "%Y-%m-%dT%H:%M:%fZ" if to_text else "%Y-%m-%d %H:%M:%f"
            for column in columns:
                op.execute(f'UPDATE "{table}" SET "{column}" = '
                           f"strftime('{form}', \"{column}\") WHERE \"{column}\" IS NOT NULL")
        else:
            for column in columns:  # naive UTC <-> timestamptz, the same instants
                op.alter_column(table, column, type_=sa.DateTime(timezone=to_text),
                                existing_nullable=(table, column) not in NOT_NULL,
                                postgresql_using=f"\"{column}\" AT TIME ZONE 'UTC'")


def upgrade() -> None:
    _times(to_text=True)
    op.create_table(
        "zones",
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("radius_km", sa.Float(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("zone_id"),
    )
    op.execute("INSERT INTO zones (zone_id) SELECT DISTINCT zone_id FROM passes")
    op.execute("UPDATE anomalies SET cluster_id = NULL WHERE cluster_id IS NOT NULL AND "
               "cluster_id NOT IN (SELECT cluster_id FROM clusters)")
    with op.batch_alter_table("passes") as batch:
        batch.create_foreign_key("fk_passes_zone_id_zones", "zones", ["zone_id"], ["zone_id"])
    with op.batch_alter_table("anomalies") as batch:
        batch.create_foreign_key("fk_anomalies_cluster_id_clusters", "clusters",
                                 ["cluster_id"], ["cluster_id"])
    with op.batch_alter_table("alarms") as batch:
        batch.create_index(batch.f("ix_alarms_start"), ["start"], unique=False)
        batch.create_index(batch.f("ix_alarms_end"), ["end"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alarms") as batch:
        batch.drop_index(batch.f("ix_alarms_end"))
        batch.drop_index(batch.f("ix_alarms_start"))
    with op.batch_alter_table("anomalies") as batch:
        batch.drop_constraint("fk_anomalies_cluster_id_clusters", type_="foreignkey")
    with op.batch_alter_table("passes") as batch:
        batch.drop_constraint("fk_passes_zone_id_zones", type_="foreignkey")
    op.drop_table("zones")
    _times(to_text=False)
