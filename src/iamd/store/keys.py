"""Access keys in the store: the sealed secret and the key's bookkeeping.

The secret is stored only as the ciphertext `SecretBox` produced, bound to
the key id; the store never sees it in clear. A user's keys do not go with
the user: the foreign key refuses to delete a user who still has keys.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update

from iamd.model.entities import AccessKey, User
from iamd.store import schema
from iamd.store.transaction import TransactionCore

_keys = schema.access_keys
_users = schema.users
_FIELDS = tuple(f.name for f in dataclasses.fields(AccessKey))
_USER_FIELDS = tuple(f.name for f in dataclasses.fields(User))
# Authentication reads a key and its user on every signed request: built once,
# compiled once, and one round trip for both.
_BY_ID = select(_keys).where(_keys.c.id == bindparam("id"))
_WITH_USER = (select(*_keys.c, *(_users.c[name].label(f"owner_{name}") for name in _USER_FIELDS))
              .outerjoin(_users, _users.c.id == _keys.c.user_id)
              .where(_keys.c.id == bindparam("id")))


def _access_key(row: Any) -> AccessKey:
    mapping = row._mapping
    values = {name: mapping[name] for name in _FIELDS}
    # psycopg may hand bytea back as memoryview.
    values["secret_ciphertext"] = bytes(values["secret_ciphertext"])
    return AccessKey(**values)


class SqlAccessKeys:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def insert(self, key: AccessKey) -> None:
        self._core.execute(_keys.insert().values(
            **{name: getattr(key, name) for name in _FIELDS}))

    def get(self, access_key_id: str) -> AccessKey | None:
        row = self._core.first(_BY_ID, {"id": access_key_id})
        return None if row is None else _access_key(row)

    def get_with_user(self, access_key_id: str) -> tuple[AccessKey, User | None] | None:
        """The key and the user it belongs to, in one read; None if there is no such key."""
        row = self._core.first(_WITH_USER, {"id": access_key_id})
        if row is None:
            return None
        mapping = row._mapping
        user = (None if mapping["owner_id"] is None
                else User(**{name: mapping[f"owner_{name}"] for name in _USER_FIELDS}))
        return _access_key(row), user

    def list_for_user(self, user_id: str) -> tuple[AccessKey, ...]:
        """The user's keys, oldest first (AWS allows two, so no pagination here)."""
        rows = self._core.execute(select(_keys).where(_keys.c.user_id == user_id)
                                  .order_by(_keys.c.created, _keys.c.id)).all()
        return tuple(_access_key(row) for row in rows)

    def list_for_root(self, account_id: str) -> tuple[AccessKey, ...]:
        """The root user's keys (those without a user), oldest first."""
        rows = self._core.execute(select(_keys).where(
            (_keys.c.account_id == account_id) & _keys.c.user_id.is_(None))
            .order_by(_keys.c.created, _keys.c.id)).all()
        return tuple(_access_key(row) for row in rows)

    def count_for_user(self, user_id: str) -> int:
        return self._core.count(_keys, "user_id", user_id)

    def update_status(self, access_key_id: str, status: str) -> bool:
        result = self._core.execute(
            update(_keys).where(_keys.c.id == access_key_id).values(status=status))
        return result.rowcount == 1

    def record_last_used(self, access_key_id: str, when: datetime, service: str,
                         region: str) -> bool:
        result = self._core.execute(
            update(_keys).where(_keys.c.id == access_key_id)
            .values(last_used=when, last_used_service=service, last_used_region=region))
        return result.rowcount == 1

    def delete(self, access_key_id: str) -> bool:
        result = self._core.execute(delete(_keys).where(_keys.c.id == access_key_id))
        return result.rowcount == 1
