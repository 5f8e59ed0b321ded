"""Instance profiles in the store, and the link between a profile and its role.

A profile is named in its account, unique ignoring case like a role, read
by id, name or ARN, listed by name under a path prefix, and deleted with its
tags and its role link (the link cascades from the profile). The link has no
cascade from the role, so a role still in a profile cannot be deleted: the
database refuses with `IntegrityViolation`, as AWS refuses with
DeleteConflict. The store keeps any number of links per profile; AWS's
one-role quota is the service layer's rule, checked with the profile's row
locked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select

from iamd.model.entities import InstanceProfile, Page, ResourceKind, Role
from iamd.store import schema
from iamd.store.principals import path_starts_with
from iamd.store.roles import SqlRoles
from iamd.store.transaction import TransactionCore, fold

_profiles = schema.instance_profiles
_links = schema.instance_profile_roles
_FIELDS = tuple(f.name for f in dataclasses.fields(InstanceProfile))


def _profile(row: Any) -> InstanceProfile:
    mapping = row._mapping
    return InstanceProfile(**{name: mapping[name] for name in _FIELDS})


class SqlInstanceProfiles:
    def __init__(self, core: TransactionCore, roles: SqlRoles) -> None:
        self._core = core
        self._roles = roles

    def _one(self, condition: ColumnElement[bool], for_update: bool) -> InstanceProfile | None:
        statement = select(_profiles).where(condition)
        if for_update:
            statement = statement.with_for_update()
        row = self._core.execute(statement).first()
        return None if row is None else _profile(row)

    def insert(self, profile: InstanceProfile) -> None:
        values = {name: getattr(profile, name) for name in _FIELDS}
        self._core.execute(_profiles.insert().values(**values, name_lower=fold(profile.name)))

    def get(self, profile_id: str, *, for_update: bool = False) -> InstanceProfile | None:
        return self._one(_profiles.c.id == profile_id, for_update)

    def get_by_name(self, account_id: str, name: str, *,
                    for_update: bool = False) -> InstanceProfile | None:
        return self._one((_profiles.c.account_id == account_id)
                         & (_profiles.c.name_lower == fold(name)), for_update)

    def get_by_arn(self, arn: str) -> InstanceProfile | None:
        return self._one(_profiles.c.arn == arn, False)

    def list(self, account_id: str, *, path_prefix: str | None = None, after: str | None = None,
             limit: int = 100) -> Page[InstanceProfile]:
        statement = select(_profiles).where(_profiles.c.account_id == account_id)
        prefix = path_starts_with(_profiles.c.path, path_prefix)
        if prefix is not None:
            statement = statement.where(prefix)
        return self._core.page(statement, listing="instance-profiles",
                               order=[_profiles.c.name_lower, _profiles.c.id],
                               after=after, limit=limit, convert=_profile)

    def count(self, account_id: str) -> int:
        statement = select(func.count()).select_from(_profiles).where(
            _profiles.c.account_id == account_id)
        return int(self._core.execute(statement).scalar_one())

    def delete(self, profile_id: str) -> bool:
        """Delete the profile, its tags and its role link; False if there was none."""
        self._core.execute(delete(schema.tags).where(
            (schema.tags.c.resource_kind == ResourceKind.INSTANCE_PROFILE.value)
            & (schema.tags.c.resource_id == profile_id)))
        result = self._core.execute(delete(_profiles).where(_profiles.c.id == profile_id))
        return result.rowcount == 1

    def add_role(self, profile_id: str, role_id: str) -> bool:
        """Link a role; False if it was linked already."""
        return self._core.insert_ignoring_duplicate(
            _links, {"instance_profile_id": profile_id, "role_id": role_id})

    def remove_role(self, profile_id: str, role_id: str) -> bool:
        result = self._core.execute(delete(_links).where(
            (_links.c.instance_profile_id == profile_id) & (_links.c.role_id == role_id)))
        return result.rowcount == 1

    def roles(self, profile_id: str) -> tuple[Role, ...]:
        return self.roles_of([profile_id]).get(profile_id, ())

    def roles_of(self, profile_ids: Collection[str]) -> dict[str, tuple[Role, ...]]:
        """The roles of several profiles in one statement (a listing page at once),
        each profile's ordered by name; profiles without a role are left out."""
        if not profile_ids:
            return {}
        roles = schema.roles
        statement = (select(roles, _links.c.instance_profile_id.label("_profile_id"))
                     .join(_links, _links.c.role_id == roles.c.id)
                     .where(_links.c.instance_profile_id.in_(set(profile_ids)))
                     .order_by(roles.c.name_lower, roles.c.id))
        found: dict[str, list[Role]] = {}
        for row in self._core.execute(statement):
            found.setdefault(row._mapping["_profile_id"], []).append(self._roles.from_row(row))
        return {key: tuple(value) for key, value in found.items()}

    def count_roles(self, profile_id: str) -> int:
        statement = select(func.count()).select_from(_links).where(
            _links.c.instance_profile_id == profile_id)
        return int(self._core.execute(statement).scalar_one())

    def list_for_role(self, role_id: str, *, after: str | None = None,
                      limit: int = 100) -> Page[InstanceProfile]:
        statement = (select(_profiles).join(_links, _links.c.instance_profile_id == _profiles.c.id)
                     .where(_links.c.role_id == role_id))
        return self._core.page(statement, listing="instance-profiles-for-role",
                               order=[_profiles.c.name_lower, _profiles.c.id],
                               after=after, limit=limit, convert=_profile)

    def count_for_role(self, role_id: str) -> int:
        statement = select(func.count()).select_from(_links).where(_links.c.role_id == role_id)
        return int(self._core.execute(statement).scalar_one())
