"""Inline policies embedded in users, groups and roles.

One table per principal kind, keyed by (owner, lower-cased name): a name is
unique per principal ignoring case, and the policies die with their owner.
`put` is AWS's Put*Policy: it creates the policy or replaces the one of the
same name (taking the new spelling of the name as well as the document).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.sql.dml import UpdateBase

from iamd.model.entities import InlinePolicy, Page, PrincipalKind
from iamd.store import schema
from iamd.store.transaction import TransactionCore, fold

# What authorization reads of a principal, per kind: built once, compiled once.
_ALL: dict[PrincipalKind, Select[Any]] = {
    kind: select(table).where(table.c.owner_id == bindparam("owner_id"))
    .order_by(table.c.name_lower)
    for kind, table in schema.INLINE_POLICY_TABLES.items()
}

_ONE: dict[PrincipalKind, Select[Any]] = {
    kind: select(table).where((table.c.owner_id == bindparam("owner_id"))
                              & (table.c.name_lower == bindparam("name_lower")))
    for kind, table in schema.INLINE_POLICY_TABLES.items()
}
_DELETE: dict[PrincipalKind, UpdateBase] = {
    kind: delete(table).where((table.c.owner_id == bindparam("owner_id"))
                              & (table.c.name_lower == bindparam("name_lower")))
    for kind, table in schema.INLINE_POLICY_TABLES.items()
}


class SqlInlinePolicies:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def put(self, kind: PrincipalKind, owner_id: str, name: str, document: str) -> None:
        """Create or replace; a missing owner raises IntegrityViolation."""
        self._core.upsert(
            schema.INLINE_POLICY_TABLES[kind],
            {"owner_id": owner_id, "name": name, "name_lower": fold(name), "document": document},
            update=("name", "document"))

    def get(self, kind: PrincipalKind, owner_id: str, name: str) -> InlinePolicy | None:
        row = self._core.first(_ONE[kind], {"owner_id": owner_id, "name_lower": fold(name)})
        return None if row is None else InlinePolicy(kind, row.owner_id, row.name, row.document)

    def delete(self, kind: PrincipalKind, owner_id: str, name: str) -> bool:
        return self._core.write(_DELETE[kind],
                                {"owner_id": owner_id, "name_lower": fold(name)}) == 1

    def list_names(self, kind: PrincipalKind, owner_id: str, *, after: str | None = None,
                   limit: int = 100) -> Page[str]:
        """Policy names of the principal, ordered ignoring case."""
        table = schema.INLINE_POLICY_TABLES[kind]
        statement = select(table.c.name, table.c.name_lower).where(table.c.owner_id == owner_id)

        def name_of(row: Any) -> str:
            return str(row.name)

        return self._core.page(statement, listing=f"{kind.value}-inline-policies",
                               order=[table.c.name_lower], after=after, limit=limit,
                               convert=name_of)

    def all(self, kind: PrincipalKind, owner_id: str) -> tuple[InlinePolicy, ...]:
        """Every inline policy of the principal, for authorization and size quotas."""
        rows = self._core.rows(_ALL[kind], {"owner_id": owner_id})
        return tuple(InlinePolicy(kind, row.owner_id, row.name, row.document) for row in rows)

    def count(self, kind: PrincipalKind, owner_id: str) -> int:
        return self._core.count(schema.INLINE_POLICY_TABLES[kind], "owner_id", owner_id)
