"""Console passwords in the store: users' login profiles and accounts' password policies.

A login profile keeps the Argon2id hash of the user's password and the hashes
of its earlier passwords (newest first, as a JSON list) for reuse prevention;
the store never sees a password in clear. A profile does not go with its
user: the foreign key refuses to delete a user who still has one, as AWS's
DeleteConflict does. An account has at most one password policy, written
whole each time (UpdateAccountPasswordPolicy does not do partial updates).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from sqlalchemy import bindparam, delete, select, update

from iamd.model.entities import LoginProfile, PasswordPolicy
from iamd.store import schema
from iamd.store.transaction import TransactionCore

_profiles = schema.login_profiles
# Built once: DeleteUser and every password call read a user's profile.
_PROFILE = select(_profiles).where(_profiles.c.user_id == bindparam("user_id"))
_LOCKED_PROFILE = _PROFILE.with_for_update()
_policies = schema.password_policies
_POLICY_FIELDS = tuple(f.name for f in dataclasses.fields(PasswordPolicy))


def _profile_row(profile: LoginProfile) -> dict[str, Any]:
    return {"user_id": profile.user_id, "password_hash": profile.password_hash,
            "password_reset_required": profile.password_reset_required,
            "created": profile.created, "password_changed": profile.password_changed,
            "history": json.dumps(list(profile.history))}


def _login_profile(row: Any) -> LoginProfile:
    mapping = row._mapping
    return LoginProfile(user_id=mapping["user_id"], password_hash=mapping["password_hash"],
                        password_reset_required=bool(mapping["password_reset_required"]),
                        created=mapping["created"], password_changed=mapping["password_changed"],
                        history=tuple(json.loads(mapping["history"])))


def _password_policy(row: Any) -> PasswordPolicy:
    mapping = row._mapping
    return PasswordPolicy(**{name: mapping[name] for name in _POLICY_FIELDS})


class SqlLoginProfiles:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def insert(self, profile: LoginProfile) -> None:
        """A second profile for the same user raises Conflict (pk_login_profiles)."""
        self._core.execute(_profiles.insert().values(**_profile_row(profile)))

    def get(self, user_id: str, *, for_update: bool = False) -> LoginProfile | None:
        row = self._core.first(_LOCKED_PROFILE if for_update else _PROFILE, {"user_id": user_id})
        return None if row is None else _login_profile(row)

    def update(self, profile: LoginProfile) -> bool:
        """Overwrite everything but the creation date, which stays the first password's."""
        values = _profile_row(profile)
        del values["user_id"], values["created"]
        result = self._core.execute(
            update(_profiles).where(_profiles.c.user_id == profile.user_id).values(**values))
        return result.rowcount == 1

    def delete(self, user_id: str) -> bool:
        result = self._core.execute(delete(_profiles).where(_profiles.c.user_id == user_id))
        return result.rowcount == 1


class SqlPasswordPolicies:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def get(self, account_id: str) -> PasswordPolicy | None:
        row = self._core.execute(
            select(_policies).where(_policies.c.account_id == account_id)).first()
        return None if row is None else _password_policy(row)

    def put(self, policy: PasswordPolicy) -> None:
        """Create the account's policy or replace it whole (one statement, so no race)."""
        values = {name: getattr(policy, name) for name in _POLICY_FIELDS}
        self._core.upsert(_policies, values,
                          update=tuple(name for name in _POLICY_FIELDS if name != "account_id"))

    def delete(self, account_id: str) -> bool:
        result = self._core.execute(
            delete(_policies).where(_policies.c.account_id == account_id))
        return result.rowcount == 1
