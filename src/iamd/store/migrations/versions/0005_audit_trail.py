"""The audit trail: CloudTrail-shaped events and the resources they name.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

Written by hand to match iamd.store.schema; frozen from now on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("event_id", key(36), nullable=False),
        sa.Column("account_id", key(12), nullable=False),
        sa.Column("event_time", timestamp(), nullable=False),
        sa.Column("event_name", key(128), nullable=False),
        sa.Column("event_source", key(128), nullable=False),
        sa.Column("username", key(256)),
        sa.Column("access_key_id", key(128)),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_audit_events"),
    )
    for columns in (["account_id", "event_time"], ["account_id", "event_name", "event_time"],
                    ["account_id", "username", "event_time"], ["access_key_id"]):
        op.create_index("ix_audit_events_" + "_".join(columns), "audit_events", columns)
    op.create_table(
        "audit_event_resources",
        sa.Column("event_id", key(36), nullable=False),
        sa.Column("resource_type", key(128), nullable=False),
        sa.Column("resource_name", key(2048), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["audit_events.event_id"],
                                name="fk_audit_event_resources_event_id_audit_events",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", "resource_type", "resource_name",
                                name="pk_audit_event_resources"),
    )
    op.create_index("ix_audit_event_resources_resource_name", "audit_event_resources",
                    ["resource_name"])


def downgrade() -> None:
    op.drop_table("audit_event_resources")
    op.drop_table("audit_events")
