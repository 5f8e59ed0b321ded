"""Passwords, password policies, MFA devices, certificates, SSH keys,
service-specific credentials and service activity.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Written by hand to match iamd.store.schema; frozen from now on.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"],
                                   name=f"fk_{table}_account_id_accounts")


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=f"fk_{table}_user_id_users")


def upgrade() -> None:
    op.create_table(
        "login_profiles",
        sa.Column("user_id", key(128), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("password_reset_required", sa.Boolean(), nullable=False),
        sa.Column("created", timestamp(), nullable=False),
        sa.Column("password_changed", timestamp(), nullable=False),
        sa.Column("history", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_login_profiles"),
        _user_fk("login_profiles"),
    )
    op.create_table(
        "password_policies",
        sa.Column("account_id", key(12), nullable=False),
        sa.Column("minimum_password_length", sa.Integer(), nullable=False),
        sa.Column("require_symbols", sa.Boolean(), nullable=False),
        sa.Column("require_numbers", sa.Boolean(), nullable=False),
        sa.Column("require_uppercase_characters", sa.Boolean(), nullable=False),
        sa.Column("require_lowercase_characters", sa.Boolean(), nullable=False),
        sa.Column("allow_users_to_change_password", sa.Boolean(), nullable=False),
        sa.Column("max_password_age", sa.Integer()),
        sa.Column("password_reuse_prevention", sa.Integer()),
        sa.Column("hard_expiry", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_password_policies"),
        _account_fk("password_policies"),
    )
    op.create_table(
        "mfa_devices",
        sa.Column("serial_number", key(2048), nullable=False),
        sa.Column("account_id", key(12), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("name", sa.String(226), nullable=False),
        sa.Column("name_lower", key(226), nullable=False),
        sa.Column("seed_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("user_id", key(128)),
        sa.Column("enabled", timestamp()),
        sa.Column("last_step", sa.Integer()),
        sa.Column("created", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("serial_number", name="pk_mfa_devices"),
        _account_fk("mfa_devices"),
        _user_fk("mfa_devices"),
        sa.UniqueConstraint("account_id", "name_lower", name="uq_mfa_devices_account_id_name_lower"),
    )
    op.create_index("ix_mfa_devices_user_id", "mfa_devices", ["user_id"])
    op.create_table(
        "server_certificates",
        sa.Column("id", key(128), nullable=False),
        sa.Column("account_id", key(12), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("name_lower", key(128), nullable=False),
        sa.Column("arn", sa.String(2048), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("chain", sa.Text()),
        sa.Column("private_key_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("expiration", timestamp(), nullable=False),
        sa.Column("uploaded", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_server_certificates"),
        _account_fk("server_certificates"),
        sa.UniqueConstraint("account_id", "name_lower",
                            name="uq_server_certificates_account_id_name_lower"),
    )
    extras: tuple[tuple[str, list[sa.Column[Any]]], ...] = (
        ("signing_certificates", [sa.Column("body", sa.Text(), nullable=False),
                                  sa.Column("status", sa.String(16), nullable=False),
                                  sa.Column("uploaded", timestamp(), nullable=False)]),
        ("ssh_public_keys", [sa.Column("body", sa.Text(), nullable=False),
                             sa.Column("fingerprint", sa.String(128), nullable=False),
                             sa.Column("status", sa.String(16), nullable=False),
                             sa.Column("uploaded", timestamp(), nullable=False)]),
        ("service_specific_credentials", [
            sa.Column("service_name", sa.String(255), nullable=False),
            sa.Column("service_user_name", sa.String(255), nullable=False),
            sa.Column("password_ciphertext", sa.LargeBinary(), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("created", timestamp(), nullable=False)]),
    )
    for table, extra in extras:
        op.create_table(
            table,
            sa.Column("id", key(128), nullable=False),
            sa.Column("user_id", key(128), nullable=False),
            sa.Column("account_id", key(12), nullable=False),
            *extra,
            sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
            _user_fk(table),
            _account_fk(table),
        )
        op.create_index(f"ix_{table}_user_id", table, ["user_id"])
    op.create_table(
        "service_activity",
        sa.Column("principal_arn", key(2048), nullable=False),
        sa.Column("service_namespace", key(64), nullable=False),
        sa.Column("account_id", key(12), nullable=False),
        sa.Column("last_accessed", timestamp(), nullable=False),
        sa.Column("region", sa.String(64)),
        sa.Column("action", sa.String(128)),
        sa.PrimaryKeyConstraint("principal_arn", "service_namespace", name="pk_service_activity"),
    )
    op.create_index("ix_service_activity_account_id", "service_activity", ["account_id"])


def downgrade() -> None:
    for table in ("service_activity", "service_specific_credentials", "ssh_public_keys",
                  "signing_certificates", "server_certificates", "mfa_devices",
                  "password_policies", "login_profiles"):
        op.drop_table(table)
