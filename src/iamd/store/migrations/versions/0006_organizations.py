"""AWS Organizations: one document per organization, and which accounts it holds.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

Written by hand to match iamd.store.schema; frozen from now on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("organization_id", key(34), nullable=False),
        sa.Column("management_account_id", key(12), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["management_account_id"], ["accounts.account_id"],
                                name="fk_organizations_management_account_id_accounts"),
        sa.PrimaryKeyConstraint("organization_id", name="pk_organizations"),
        sa.UniqueConstraint("management_account_id",
                            name="uq_organizations_management_account_id"),
    )
    op.create_table(
        "organization_members",
        sa.Column("account_id", key(12), nullable=False),
        sa.Column("organization_id", key(34), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"],
                                name="fk_organization_members_account_id_accounts"),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.organization_id"],
                                name="fk_organization_members_organization_id_organizations",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", name="pk_organization_members"),
    )
    op.create_index("ix_organization_members_organization_id", "organization_members",
                    ["organization_id"])


def downgrade() -> None:
    op.drop_index("ix_organization_members_organization_id", table_name="organization_members")
    op.drop_table("organization_members")
    op.drop_table("organizations")
