"""The web console: its sessions, sign-in throttling, once-only tokens, the
root user's console password, and root access keys (a key without a user).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05

Written by hand to match iamd.store.schema; frozen from now on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("root_password_hash", sa.Text()))
    with op.batch_alter_table("access_keys") as batch:
        batch.alter_column("user_id", existing_type=key(128), nullable=True)
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", key(64), nullable=False),
        sa.Column("account_id", key(12), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("created", timestamp(), nullable=False),
        sa.Column("last_seen", timestamp(), nullable=False),
        sa.Column("expires", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name="pk_console_sessions"),
    )
    op.create_index("ix_console_sessions_expires", "console_sessions", ["expires"])
    op.create_table(
        "signin_failures",
        sa.Column("subject", key(512), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name="pk_signin_failures"),
    )
    op.create_table(
        "spent_tokens",
        sa.Column("token_hash", key(64), nullable=False),
        sa.Column("expires", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_spent_tokens"),
    )


def downgrade() -> None:
    for table in ("spent_tokens", "signin_failures", "console_sessions"):
        op.drop_table(table)
    op.execute("DELETE FROM access_keys WHERE user_id IS NULL")
    with op.batch_alter_table("access_keys") as batch:
        batch.alter_column("user_id", existing_type=key(128), nullable=False)
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("root_password_hash")
