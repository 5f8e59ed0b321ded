"""Group memberships: which users are in which groups.

A membership row dies with its user or its group (ON DELETE CASCADE). Adding
a user twice is not an error, as in AWS (AddUserToGroup is idempotent).
"""

from __future__ import annotations

from sqlalchemy import bindparam, delete, func, select

from iamd.model.entities import Group, Page, User
from iamd.store import schema
from iamd.store.groups import SqlGroups
from iamd.store.transaction import TransactionCore
from iamd.store.users import SqlUsers

_members = schema.group_members
_groups = schema.groups
# What authorization reads of a user: built once, compiled once.
_ALL_GROUPS = (select(_groups).join(_members, _members.c.group_id == _groups.c.id)
               .where(_members.c.user_id == bindparam("user_id"))
               .order_by(_groups.c.name_lower, _groups.c.id))


class SqlMemberships:
    def __init__(self, core: TransactionCore, users: SqlUsers, groups: SqlGroups) -> None:
        self._core = core
        self._users = users
        self._groups = groups

    def add(self, group_id: str, user_id: str) -> bool:
        """True if the user was added, False if already a member."""
        return self._core.insert_ignoring_duplicate(
            _members, {"group_id": group_id, "user_id": user_id})

    def remove(self, group_id: str, user_id: str) -> bool:
        result = self._core.execute(delete(_members).where(
            (_members.c.group_id == group_id) & (_members.c.user_id == user_id)))
        return result.rowcount == 1

    def is_member(self, group_id: str, user_id: str) -> bool:
        statement = select(_members.c.user_id).where(
            (_members.c.group_id == group_id) & (_members.c.user_id == user_id))
        return self._core.execute(statement).first() is not None

    def list_groups(self, user_id: str, *, after: str | None = None,
                    limit: int = 100) -> Page[Group]:
        groups = schema.groups
        statement = (select(groups).join(_members, _members.c.group_id == groups.c.id)
                     .where(_members.c.user_id == user_id))
        return self._core.page(statement, listing="groups-for-user",
                               order=[groups.c.name_lower, groups.c.id],
                               after=after, limit=limit, convert=self._groups.from_row)

    def all_groups(self, user_id: str) -> tuple[Group, ...]:
        """Every group of the user in `list_groups` order, for authorization
        (AWS allows a user in ten groups, so no pagination)."""
        rows = self._core.rows(_ALL_GROUPS, {"user_id": user_id})
        return tuple(self._groups.from_row(row) for row in rows)

    def list_users(self, group_id: str, *, after: str | None = None,
                   limit: int = 100) -> Page[User]:
        users = schema.users
        statement = (select(users).join(_members, _members.c.user_id == users.c.id)
                     .where(_members.c.group_id == group_id))
        return self._core.page(statement, listing="users-in-group",
                               order=[users.c.name_lower, users.c.id],
                               after=after, limit=limit, convert=self._users.from_row)

    def count_groups(self, user_id: str) -> int:
        return self._core.count(_members, "user_id", user_id)

    def count_users(self, group_id: str) -> int:
        statement = select(func.count()).select_from(_members).where(
            _members.c.group_id == group_id)
        return int(self._core.execute(statement).scalar_one())
