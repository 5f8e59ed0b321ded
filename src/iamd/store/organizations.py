"""Organizations in the store: each one's document, and the accounts it holds.

The document's meaning (roots, OUs, policies...) is the service layer's; the
store keeps it, locks it for a writer, and keeps the membership rows that
make "one organization per account" the database's rule (a second
membership of an account raises Conflict).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update

from iamd.store import schema
from iamd.store.transaction import TransactionCore

_organizations = schema.organizations
_members = schema.organization_members


@dataclass(frozen=True, slots=True)
class StoredOrganization:
    organization_id: str
    management_account_id: str
    document: str
    created: datetime


# Reads built once (authorization finds the caller's organization by them).
_BY_ID = select(_organizations).where(_organizations.c.organization_id == bindparam("id"))
_OF_ACCOUNT = select(_members.c.organization_id).where(_members.c.account_id == bindparam("id"))


def _stored(row: object) -> StoredOrganization:
    return StoredOrganization(**row._mapping)  # type: ignore[attr-defined]


class SqlOrganizations:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def insert(self, organization: StoredOrganization) -> None:
        """A second organization of one management account raises Conflict."""
        self._core.execute(_organizations.insert().values(
            organization_id=organization.organization_id,
            management_account_id=organization.management_account_id,
            document=organization.document, created=organization.created))

    def get(self, organization_id: str, *, for_update: bool = False) -> StoredOrganization | None:
        if for_update:
            row = self._core.execute(_BY_ID.with_for_update(), {"id": organization_id}).first()
        else:
            row = self._core.first(_BY_ID, {"id": organization_id})
        return None if row is None else _stored(row)

    def all(self) -> list[StoredOrganization]:
        """Every organization (a store holds one per management account: a
        handful), for what an account outside them must find: its invitations."""
        rows = self._core.execute(select(_organizations).order_by(
            _organizations.c.organization_id)).all()
        return [_stored(row) for row in rows]

    def of_account(self, account_id: str) -> str | None:
        """The id of the organization `account_id` belongs to, if any."""
        row = self._core.first(_OF_ACCOUNT, {"id": account_id})
        return None if row is None else str(row.organization_id)

    def save(self, organization_id: str, document: str) -> bool:
        result = self._core.execute(update(_organizations).where(
            _organizations.c.organization_id == organization_id).values(document=document))
        return result.rowcount == 1

    def delete(self, organization_id: str) -> bool:
        """The organization and its membership rows."""
        self._core.execute(delete(_members).where(_members.c.organization_id == organization_id))
        result = self._core.execute(delete(_organizations).where(
            _organizations.c.organization_id == organization_id))
        return result.rowcount == 1

    def add_member(self, organization_id: str, account_id: str) -> None:
        """An account already in an organization raises Conflict."""
        self._core.execute(_members.insert().values(account_id=account_id,
                                                    organization_id=organization_id))

    def remove_member(self, account_id: str) -> bool:
        result = self._core.execute(delete(_members).where(_members.c.account_id == account_id))
        return result.rowcount == 1
