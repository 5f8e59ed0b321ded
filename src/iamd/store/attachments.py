"""Attachments of managed policies to users, groups and roles.

One table per principal kind (see schema.py): an attachment dies with its
principal, and a policy cannot be deleted while attached. Attaching twice is
not an error, as in AWS (AttachUserPolicy is idempotent).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, Subquery, bindparam, delete, func, literal, select, union_all

from iamd.model.entities import AttachedPolicy, Page, PolicyEntity, PrincipalKind
from iamd.store import schema
from iamd.store.principals import path_starts_with
from iamd.store.transaction import TransactionCore

_policies = schema.policies


def _attached_policy(row: Any) -> AttachedPolicy:
    return AttachedPolicy(policy_id=row.id, name=row.name, arn=row.arn)


def _policy_entity(row: Any) -> PolicyEntity:
    return PolicyEntity(kind=PrincipalKind(row.kind), id=row.id, name=row.name)


def _attached_to(kind: PrincipalKind) -> Select[Any]:
    table = schema.ATTACHMENT_TABLES[kind]
    return (select(_policies.c.id, _policies.c.name, _policies.c.arn, _policies.c.name_lower)
            .join(table, table.c.policy_id == _policies.c.id)
            .where(table.c.principal_id == bindparam("principal_id")))


# What authorization reads of a principal, per kind: built once, compiled once.
_ALL: dict[PrincipalKind, Select[Any]] = {
    kind: _attached_to(kind).order_by(_policies.c.name_lower, _policies.c.id)
    for kind in schema.ATTACHMENT_TABLES
}


class SqlAttachments:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def attach(self, kind: PrincipalKind, principal_id: str, policy_id: str) -> bool:
        """True if attached now, False if it already was.

        A missing principal or policy raises IntegrityViolation.
        """
        return self._core.insert_ignoring_duplicate(
            schema.ATTACHMENT_TABLES[kind], {"principal_id": principal_id, "policy_id": policy_id})

    def detach(self, kind: PrincipalKind, principal_id: str, policy_id: str) -> bool:
        """True if it was attached."""
        table = schema.ATTACHMENT_TABLES[kind]
        result = self._core.execute(delete(table).where(
            (table.c.principal_id == principal_id) & (table.c.policy_id == policy_id)))
        return result.rowcount == 1

    def _for_principal(self, kind: PrincipalKind, principal_id: str,
                       path_prefix: str | None) -> Any:
        table = schema.ATTACHMENT_TABLES[kind]
        statement = (select(_policies.c.id, _policies.c.name, _policies.c.arn,
                            _policies.c.name_lower)
                     .join(table, table.c.policy_id == _policies.c.id)
                     .where(table.c.principal_id == principal_id))
        prefix = path_starts_with(_policies.c.path, path_prefix)
        return statement if prefix is None else statement.where(prefix)

    def list_for_principal(self, kind: PrincipalKind, principal_id: str, *,
                           path_prefix: str | None = None, after: str | None = None,
                           limit: int = 100) -> Page[AttachedPolicy]:
        """Policies attached to the principal, by policy name then id."""
        return self._core.page(self._for_principal(kind, principal_id, path_prefix),
                               listing=f"attached-to-{kind.value}",
                               order=[_policies.c.name_lower, _policies.c.id],
                               after=after, limit=limit, convert=_attached_policy)

    def all_for_principal(self, kind: PrincipalKind,
                          principal_id: str) -> tuple[AttachedPolicy, ...]:
        """Every policy attached to the principal, for authorization; by name."""
        rows = self._core.rows(_ALL[kind], {"principal_id": principal_id})
        return tuple(_attached_policy(row) for row in rows)

    def count_for_principal(self, kind: PrincipalKind, principal_id: str) -> int:
        return self._core.count(schema.ATTACHMENT_TABLES[kind], "principal_id", principal_id)

    def count_for_policy(self, policy_id: str) -> int:
        """Attachments of the policy in every account (DeletePolicy refuses if any)."""
        total = 0
        for table in schema.ATTACHMENT_TABLES.values():
            statement = select(func.count()).select_from(table).where(
                table.c.policy_id == policy_id)
            total += int(self._core.execute(statement).scalar_one())
        return total

    def list_entities(self, policy_id: str, *, account_id: str,
                      kinds: Collection[PrincipalKind] | None = None,
                      path_prefix: str | None = None, after: str | None = None,
                      limit: int = 100) -> Page[PolicyEntity]:
        """Principals of `account_id` the policy is attached to.

        Ordered by kind ("group" < "role" < "user"), then name, then id.
        """
        chosen = [kind for kind in PrincipalKind if kinds is None or kind in kinds]
        if not chosen:
            return Page(())
        parts = []
        for kind in chosen:
            table = schema.ATTACHMENT_TABLES[kind]
            principal = schema.PRINCIPAL_TABLES[kind]
            part = (select(literal(kind.value).label("kind"), principal.c.id,
                           principal.c.name, principal.c.name_lower)
                    .join(table, table.c.principal_id == principal.c.id)
                    .where(table.c.policy_id == policy_id, principal.c.account_id == account_id))
            prefix = path_starts_with(principal.c.path, path_prefix)
            parts.append(part if prefix is None else part.where(prefix))
        entities: Subquery = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
        return self._core.page(select(entities), listing="entities-for-policy",
                               order=[entities.c.kind, entities.c.name_lower, entities.c.id],
                               after=after, limit=limit, convert=_policy_entity)
