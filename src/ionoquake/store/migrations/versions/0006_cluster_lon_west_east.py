"""Clusters' longitude edges named as everywhere else: lon_west and lon_east

The cluster CSV, the API and the dashboard call a cluster's edges ``lon_west`` and
``lon_east`` (a cluster that crosses 180° has lon_west > lon_east, so "min" and "max" were
wrong names); the database said ``lon_min``/``lon_max`` and the API renamed them on the way
out. The columns are renamed in place (values unchanged).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 17:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

RENAMES = (("lon_min", "lon_west"), ("lon_max", "lon_east"))


def upgrade() -> None:
    with op.batch_alter_table("clusters") as batch:
        for old, new in RENAMES:
            batch.alter_column(old, new_column_name=new)


def downgrade() -> None:
    with op.batch_alter_table("clusters") as batch:
        for old, new in RENAMES:
            batch.alter_column(new, new_column_name=old)
