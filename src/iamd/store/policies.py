"""Managed policies and their versions in the store.

A policy row keeps its default version id and a counter of versions ever
created, so version ids are never reused (AWS gives v4 after v1..v3 even if
v3 was deleted). Deleting a policy takes its versions and tags with it but is
refused by the database while the policy is attached anywhere. Attachment and
permissions-boundary counts are computed when a policy is read, within the
account the read is made for: an AWS managed policy (account "aws") is
attached in many accounts and each sees only its own use of it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    bindparam,
    delete,
    exists,
    func,
    literal,
    select,
    update,
)

from iamd.model.entities import ManagedPolicy, Page, PolicyVersion, ResourceKind
from iamd.store import schema
from iamd.store.errors import IntegrityViolation
from iamd.store.principals import path_starts_with
from iamd.store.transaction import TransactionCore, fold

_policies = schema.policies
_versions = schema.policy_versions
_FIELDS = tuple(f.name for f in dataclasses.fields(ManagedPolicy))


def _count(statement: Any) -> ScalarSelect[int]:
    return statement.scalar_subquery()  # type: ignore[no-any-return]


def _usage(viewer: ColumnElement[str]) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """Attachment and permissions-boundary counts of the enclosing policy row."""
    attachments: list[ColumnElement[int]] = []
    for kind, table in schema.ATTACHMENT_TABLES.items():
        principal = schema.PRINCIPAL_TABLES[kind]
        attachments.append(_count(
            select(func.count())
            .select_from(table.join(principal, principal.c.id == table.c.principal_id))
            .where(table.c.policy_id == _policies.c.id, principal.c.account_id == viewer)))
    boundaries: list[ColumnElement[int]] = [
        _count(select(func.count()).select_from(principal).where(
            principal.c.permissions_boundary_arn == _policies.c.arn,
            principal.c.account_id == viewer))
        for principal in (schema.users, schema.roles)
    ]
    attached = attachments[0] + attachments[1] + attachments[2]
    bounded = boundaries[0] + boundaries[1]
    return attached, bounded


_VERSIONS_WITH_DEFAULT = (select(_versions, _policies.c.default_version_id)
                          .join(_policies, _policies.c.id == _versions.c.policy_id))
# What authorization reads of a managed policy: built once, compiled once.
_DEFAULT_VERSION = _VERSIONS_WITH_DEFAULT.where(
    _versions.c.policy_id == bindparam("policy_id"),
    _versions.c.version_id == _policies.c.default_version_id)
_DEFAULT_DOCUMENT = (select(_versions.c.document)
                     .join(_policies, (_policies.c.id == _versions.c.policy_id)
                           & (_versions.c.version_id == _policies.c.default_version_id))
                     .where(_policies.c.arn == bindparam("arn")))


class SqlPolicies:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def _select(self, viewer_account_id: str | None) -> Any:
        viewer: ColumnElement[str] = (_policies.c.account_id if viewer_account_id is None
                                      else literal(viewer_account_id))
        attached, bounded = _usage(viewer)
        return select(_policies, attached.label("attachment_count"),
                      bounded.label("permissions_boundary_usage_count"))

    @staticmethod
    def _from_row(row: Any) -> ManagedPolicy:
        mapping = row._mapping
        return ManagedPolicy(**{name: mapping[name] for name in _FIELDS})

    def _one(self, condition: ColumnElement[bool], viewer_account_id: str | None,
             for_update: bool) -> ManagedPolicy | None:
        statement = self._select(viewer_account_id).where(condition)
        if for_update:
            statement = statement.with_for_update(of=_policies)
        row = self._core.execute(statement).first()
        return None if row is None else self._from_row(row)

    def create(self, *, policy_id: str, account_id: str, path: str, name: str, arn: str,
               document: str, created: datetime, description: str | None = None,
               is_attachable: bool = True) -> ManagedPolicy:
        """Insert a policy with its first version, v1, as the default."""
        self._core.execute(_policies.insert().values(
            id=policy_id, account_id=account_id, path=path, name=name, name_lower=fold(name),
            arn=arn, default_version_id="v1", version_counter=1, description=description,
            is_attachable=is_attachable, created=created, updated=created))
        self._core.execute(_versions.insert().values(
            policy_id=policy_id, version_id="v1", number=1, document=document, created=created))
        policy = self.get(policy_id)
        assert policy is not None
        return policy

    def get(self, policy_id: str, *, viewer_account_id: str | None = None,
            for_update: bool = False) -> ManagedPolicy | None:
        """The policy, with usage counted in `viewer_account_id` (default: its owner)."""
        return self._one(_policies.c.id == policy_id, viewer_account_id, for_update)

    def get_by_arn(self, arn: str, *, viewer_account_id: str | None = None,
                   for_update: bool = False) -> ManagedPolicy | None:
        return self._one(_policies.c.arn == arn, viewer_account_id, for_update)

    def get_by_name(self, account_id: str, name: str, *, viewer_account_id: str | None = None,
                    for_update: bool = False) -> ManagedPolicy | None:
        return self._one(
            (_policies.c.account_id == account_id) & (_policies.c.name_lower == fold(name)),
            viewer_account_id, for_update)

    def default_document(self, arn: str) -> str | None:
        """The text of the policy's default version, without the usage counts
        a full read computes; None if there is no such policy."""
        row = self._core.first(_DEFAULT_DOCUMENT, {"arn": arn})
        return None if row is None else str(row.document)

    def list(self, viewer_account_id: str, *, owners: Sequence[str],
             path_prefix: str | None = None, only_attached: bool = False,
             after: str | None = None, limit: int = 100) -> Page[ManagedPolicy]:
        """Policies owned by any of `owners` ("aws" for AWS managed), by name then id.

        Usage is counted in `viewer_account_id`; `only_attached` keeps the
        policies attached to at least one principal of that account.
        """
        statement = self._select(viewer_account_id).where(_policies.c.account_id.in_(owners))
        prefix = path_starts_with(_policies.c.path, path_prefix)
        if prefix is not None:
            statement = statement.where(prefix)
        if only_attached:
            attached, _ = _usage(literal(viewer_account_id))
            statement = statement.where(attached > 0)
        return self._core.page(statement, listing="policies",
                               order=[_policies.c.name_lower, _policies.c.id],
                               after=after, limit=limit, convert=self._from_row)

    def count(self, account_id: str) -> int:
        statement = select(func.count()).select_from(_policies).where(
            _policies.c.account_id == account_id)
        return int(self._core.execute(statement).scalar_one())

    def delete(self, policy_id: str) -> bool:
        """Delete the policy, its versions and tags; False if there was none.

        Raises IntegrityViolation while the policy is attached to anything.
        """
        tags = schema.tags
        self._core.execute(delete(tags).where(
            (tags.c.resource_kind == ResourceKind.POLICY.value) & (tags.c.resource_id == policy_id)))
        result = self._core.execute(delete(_policies).where(_policies.c.id == policy_id))
        return result.rowcount == 1


class SqlPolicyVersions:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    @staticmethod
    def _from_row(row: Any) -> PolicyVersion:
        return PolicyVersion(policy_id=row.policy_id, version_id=row.version_id,
                             document=row.document,
                             is_default=row.version_id == row.default_version_id,
                             created=row.created)

    def _select(self) -> Any:
        return _VERSIONS_WITH_DEFAULT

    def add(self, policy_id: str, document: str, created: datetime, *,
            set_as_default: bool = False) -> PolicyVersion:
        """Add the next version (never reusing an id); optionally make it the default."""
        number = self._core.execute(
            update(_policies).where(_policies.c.id == policy_id)
            .values(version_counter=_policies.c.version_counter + 1)
            .returning(_policies.c.version_counter)).scalar_one_or_none()
        if number is None:
            raise IntegrityViolation(f"no policy with id {policy_id}")
        version_id = f"v{number}"
        self._core.execute(_versions.insert().values(
            policy_id=policy_id, version_id=version_id, number=number, document=document,
            created=created))
        if set_as_default:
            self.set_default(policy_id, version_id, created)
        return PolicyVersion(policy_id, version_id, document, set_as_default, created)

    def get(self, policy_id: str, version_id: str) -> PolicyVersion | None:
        row = self._core.execute(self._select().where(
            (_versions.c.policy_id == policy_id) & (_versions.c.version_id == version_id))).first()
        return None if row is None else self._from_row(row)

    def get_default(self, policy_id: str) -> PolicyVersion | None:
        row = self._core.first(_DEFAULT_VERSION, {"policy_id": policy_id})
        return None if row is None else self._from_row(row)

    def list(self, policy_id: str) -> tuple[PolicyVersion, ...]:
        """All versions of the policy, newest first (AWS keeps at most five)."""
        rows = self._core.execute(self._select().where(_versions.c.policy_id == policy_id)
                                  .order_by(_versions.c.number.desc())).all()
        return tuple(self._from_row(row) for row in rows)

    def count(self, policy_id: str) -> int:
        statement = select(func.count()).select_from(_versions).where(
            _versions.c.policy_id == policy_id)
        return int(self._core.execute(statement).scalar_one())

    def set_default(self, policy_id: str, version_id: str, updated: datetime) -> bool:
        """Make an existing version the default; False if policy or version is missing."""
        version_exists = exists().where(
            (_versions.c.policy_id == policy_id) & (_versions.c.version_id == version_id))
        result = self._core.execute(
            update(_policies).where((_policies.c.id == policy_id) & version_exists)
            .values(default_version_id=version_id, updated=updated))
        return result.rowcount == 1

    def delete(self, policy_id: str, version_id: str) -> bool:
        """Delete one version. The caller refuses the default version first (AWS
        DeleteConflict); the store does not, and would leave the policy without one."""
        result = self._core.execute(delete(_versions).where(
            (_versions.c.policy_id == policy_id) & (_versions.c.version_id == version_id)))
        return result.rowcount == 1
