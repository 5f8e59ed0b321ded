"""Initial schema: accounts, principals, policies, access keys, tags, settings.

Revision ID: 0001
Revises:
Create Date: 2026-05-04

Written by hand to match iamd.store.schema at the time; frozen from now on.
Constraint names are spelled out (they follow the naming convention in
schema.py) so that later revisions can refer to them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def key(length: int) -> sa.types.TypeEngine[str]:
    # Byte-wise comparison on PostgreSQL too, as SQLite does (see schema.py).
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", key(12), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("email", sa.String(255)),
        sa.Column("alias", key(63)),
        sa.Column("created", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_accounts"),
        sa.UniqueConstraint("alias", name="uq_accounts_alias"),
    )
    principals: list[tuple[str, int, list[sa.Column[Any]]]] = [
        ("users", 64, [
            sa.Column("permissions_boundary_arn", sa.String(2048)),
            sa.Column("password_last_used", timestamp()),
        ]),
        ("groups", 128, []),
        ("roles", 64, [
            sa.Column("assume_role_policy_document", sa.Text(), nullable=False),
            sa.Column("description", sa.String(1000)),
            sa.Column("max_session_duration", sa.Integer(), nullable=False),
            sa.Column("permissions_boundary_arn", sa.String(2048)),
            sa.Column("last_used", timestamp()),
            sa.Column("last_used_region", sa.String(64)),
        ]),
    ]
    for table, name_length, extra in principals:
        op.create_table(
            table,
            sa.Column("id", key(128), nullable=False),
            sa.Column("account_id", key(12), nullable=False),
            sa.Column("path", sa.String(512), nullable=False),
            sa.Column("name", sa.String(name_length), nullable=False),
            sa.Column("name_lower", key(name_length), nullable=False),
            sa.Column("arn", sa.String(2048), nullable=False),
            sa.Column("created", timestamp(), nullable=False),
            *extra,
            sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
            sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"],
                                    name=f"fk_{table}_account_id_accounts"),
            sa.UniqueConstraint("account_id", "name_lower",
                                name=f"uq_{table}_account_id_name_lower"),
        )
        op.create_index(f"ix_{table}_arn", table, ["arn"])
        if table != "groups":
            op.create_index(f"ix_{table}_permissions_boundary_arn", table,
                            ["permissions_boundary_arn"])

    op.create_table(
        "group_members",
        sa.Column("group_id", key(128), nullable=False),
        sa.Column("user_id", key(128), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "user_id", name="pk_group_members"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="CASCADE",
                                name="fk_group_members_group_id_groups"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_group_members_user_id_users"),
    )
    op.create_index("ix_group_members_user_id", "group_members", ["user_id"])

    op.create_table(
        "policies",
        sa.Column("id", key(128), nullable=False),
        sa.Column("account_id", key(12), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("name_lower", key(128), nullable=False),
        sa.Column("arn", sa.String(2048), nullable=False),
        sa.Column("default_version_id", sa.String(32), nullable=False),
        sa.Column("version_counter", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(1000)),
        sa.Column("is_attachable", sa.Boolean(), nullable=False),
        sa.Column("created", timestamp(), nullable=False),
        sa.Column("updated", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_policies"),
        sa.UniqueConstraint("account_id", "name_lower", name="uq_policies_account_id_name_lower"),
        sa.UniqueConstraint("arn", name="uq_policies_arn"),
    )
    op.create_table(
        "policy_versions",
        sa.Column("policy_id", key(128), nullable=False),
        sa.Column("version_id", key(32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("policy_id", "version_id", name="pk_policy_versions"),
        sa.ForeignKeyConstraint(["policy_id"], ["policies.id"], ondelete="CASCADE",
                                name="fk_policy_versions_policy_id_policies"),
    )

    for kind, parent in (("user", "users"), ("group", "groups"), ("role", "roles")):
        attachments = f"{kind}_policy_attachments"
        op.create_table(
            attachments,
            sa.Column("principal_id", key(128), nullable=False),
            sa.Column("policy_id", key(128), nullable=False),
            sa.PrimaryKeyConstraint("principal_id", "policy_id", name=f"pk_{attachments}"),
            sa.ForeignKeyConstraint(["principal_id"], [f"{parent}.id"], ondelete="CASCADE",
                                    name=f"fk_{attachments}_principal_id_{parent}"),
            sa.ForeignKeyConstraint(["policy_id"], ["policies.id"],
                                    name=f"fk_{attachments}_policy_id_policies"),
        )
        op.create_index(f"ix_{attachments}_policy_id", attachments, ["policy_id"])

        inline = f"{kind}_inline_policies"
        op.create_table(
            inline,
            sa.Column("owner_id", key(128), nullable=False),
            sa.Column("name", sa.String(128), nullable=False),
            sa.Column("name_lower", key(128), nullable=False),
            sa.Column("document", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("owner_id", "name_lower", name=f"pk_{inline}"),
            sa.ForeignKeyConstraint(["owner_id"], [f"{parent}.id"], ondelete="CASCADE",
                                    name=f"fk_{inline}_owner_id_{parent}"),
        )

    op.create_table(
        "access_keys",
        sa.Column("id", key(128), nullable=False),
        sa.Column("user_id", key(128), nullable=False),
        sa.Column("account_id", key(12), nullable=False),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created", timestamp(), nullable=False),
        sa.Column("last_used", timestamp()),
        sa.Column("last_used_service", sa.String(128)),
        sa.Column("last_used_region", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_access_keys"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_access_keys_user_id_users"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"],
                                name="fk_access_keys_account_id_accounts"),
    )
    op.create_index("ix_access_keys_user_id", "access_keys", ["user_id"])

    op.create_table(
        "tags",
        sa.Column("resource_kind", key(32), nullable=False),
        sa.Column("resource_id", key(2048), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("key_lower", key(128), nullable=False),
        sa.Column("value", sa.String(256), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("resource_kind", "resource_id", "key_lower", name="pk_tags"),
    )

    op.create_table(
        "settings",
        sa.Column("key", key(255), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_settings"),
    )


def downgrade() -> None:
    for table in ("settings", "tags", "access_keys"):
        op.drop_table(table)
    for kind in ("role", "group", "user"):
        op.drop_table(f"{kind}_inline_policies")
        op.drop_table(f"{kind}_policy_attachments")
    for table in ("policy_versions", "policies", "group_members", "roles", "groups", "users",
                  "accounts"):
        op.drop_table(table)
