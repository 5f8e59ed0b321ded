"""Identity providers (OIDC, SAML) and instance profiles.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Written by hand to match iamd.store.schema; frozen from now on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "oidc_providers",
        sa.Column("arn", key(2048), nullable=False),
        sa.Column("account_id", key(12), nullable=False),
        sa.Column("url", sa.String(255), nullable=False),
        sa.Column("client_ids", sa.Text(), nullable=False),
        sa.Column("thumbprints", sa.Text(), nullable=False),
        sa.Column("created", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("arn", name="pk_oidc_providers"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"],
                                name="fk_oidc_providers_account_id_accounts"),
    )
    op.create_index("ix_oidc_providers_account_id", "oidc_providers", ["account_id"])
    op.create_table(
        "saml_providers",
        sa.Column("arn", key(2048), nullable=False),
        sa.Column("account_id", key(12), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("name_lower", key(128), nullable=False),
        sa.Column("metadata_document", sa.Text(), nullable=False),
        sa.Column("valid_until", timestamp()),
        sa.Column("created", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("arn", name="pk_saml_providers"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"],
                                name="fk_saml_providers_account_id_accounts"),
        sa.UniqueConstraint("account_id", "name_lower",
                            name="uq_saml_providers_account_id_name_lower"),
    )
    op.create_table(
        "instance_profiles",
        sa.Column("id", key(128), nullable=False),
        sa.Column("account_id", key(12), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("name_lower", key(128), nullable=False),
        sa.Column("arn", sa.String(2048), nullable=False),
        sa.Column("created", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_instance_profiles"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"],
                                name="fk_instance_profiles_account_id_accounts"),
        sa.UniqueConstraint("account_id", "name_lower",
                            name="uq_instance_profiles_account_id_name_lower"),
    )
    op.create_index("ix_instance_profiles_arn", "instance_profiles", ["arn"])
    op.create_table(
        "instance_profile_roles",
        sa.Column("instance_profile_id", key(128), nullable=False),
        sa.Column("role_id", key(128), nullable=False),
        sa.PrimaryKeyConstraint("instance_profile_id", "role_id", name="pk_instance_profile_roles"),
        sa.ForeignKeyConstraint(["instance_profile_id"], ["instance_profiles.id"], ondelete="CASCADE",
                                name="fk_instance_profile_roles_instance_profile_id_instance_profiles"),
        sa.ForeignKeyConstraint(["role_id"], ["roles.id"],
                                name="fk_instance_profile_roles_role_id_roles"),
    )
    op.create_index("ix_instance_profile_roles_role_id", "instance_profile_roles", ["role_id"])


def downgrade() -> None:
    op.drop_table("instance_profile_roles")
    op.drop_table("instance_profiles")
    op.drop_table("saml_providers")
    op.drop_table("oidc_providers")
