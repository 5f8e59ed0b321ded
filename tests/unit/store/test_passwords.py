"""Login profiles and password policies, on every backend."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from iamd.model.entities import LoginProfile, PasswordPolicy
from iamd.store import Conflict, IntegrityViolation, SqlStore

from .factories import ACCOUNT, NOW, OTHER_ACCOUNT, later, make_user

# Stand-ins: the store keeps whatever text it is given and never hashes.
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"
OLDER = ("$argon2id$v=19$m=65536,t=3,p=4$b2xk$MQ", "$argon2id$v=19$m=65536,t=3,p=4$b2xk$Mg")


def make_profile(user_id: str) -> LoginProfile:
    return LoginProfile(user_id=user_id, password_hash=HASH, password_reset_required=True,
                        created=NOW, password_changed=NOW, history=OLDER)


def make_policy(account_id: str = ACCOUNT, **changes: Any) -> PasswordPolicy:
    policy = PasswordPolicy(account_id=account_id, minimum_password_length=6,
                            require_symbols=False, require_numbers=False,
                            require_uppercase_characters=False,
                            require_lowercase_characters=False,
                            allow_users_to_change_password=False, max_password_age=None,
                            password_reuse_prevention=None, hard_expiry=False)
    return dataclasses.replace(policy, **changes)


def test_login_profile_insert_get_update_delete(store: SqlStore, account: str) -> None:
    user, other = make_user("alice"), make_user("bob")
    profile = make_profile(user.id)
    with store.transaction() as tx:
        tx.users.insert(user)
        tx.users.insert(other)
        tx.login_profiles.insert(profile)
    with store.transaction(read_only=True) as tx:
        assert tx.login_profiles.get(user.id) == profile
        assert tx.login_profiles.get(other.id) is None
    changed = dataclasses.replace(profile, password_hash=HASH + "x", password_reset_required=False,
                                  password_changed=later(60), history=(HASH, *OLDER),
                                  created=later(3600))
    with store.transaction() as tx:
        assert tx.login_profiles.get(user.id, for_update=True) == profile
        assert tx.login_profiles.update(changed)
        assert not tx.login_profiles.update(dataclasses.replace(changed, user_id=other.id))
    with store.transaction() as tx:
        # The creation date is the first password's: update never moves it.
        assert tx.login_profiles.get(user.id) == dataclasses.replace(changed, created=NOW)
        assert tx.login_profiles.delete(user.id)
        assert not tx.login_profiles.delete(user.id)
        assert tx.login_profiles.get(user.id) is None


def test_empty_history_round_trips(store: SqlStore, account: str) -> None:
    user = make_user("alice")
    profile = dataclasses.replace(make_profile(user.id), history=())
    with store.transaction() as tx:
        tx.users.insert(user)
        tx.login_profiles.insert(profile)
    with store.transaction(read_only=True) as tx:
        assert tx.login_profiles.get(user.id) == profile


def test_one_login_profile_a_user(store: SqlStore, account: str) -> None:
    user = make_user("alice")
    with store.transaction() as tx:
        tx.users.insert(user)
        tx.login_profiles.insert(make_profile(user.id))
    with pytest.raises(Conflict) as raised, store.transaction() as tx:
        tx.login_profiles.insert(make_profile(user.id))
    assert raised.value.constraint == "pk_login_profiles"


def test_a_user_with_a_login_profile_cannot_be_deleted(store: SqlStore, account: str) -> None:
    user = make_user("alice")
    with store.transaction() as tx:
        tx.users.insert(user)
        tx.login_profiles.insert(make_profile(user.id))
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.users.delete(user.id)
    with store.transaction() as tx:
        assert tx.login_profiles.delete(user.id)
        assert tx.users.delete(user.id)


def test_a_login_profile_needs_its_user(store: SqlStore, account: str) -> None:
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.login_profiles.insert(make_profile("AIDANOSUCHUSER0000"))


def test_password_policy_put_replaces_whole(store: SqlStore, account: str) -> None:
    strict = make_policy(minimum_password_length=14, require_symbols=True, require_numbers=True,
                         require_uppercase_characters=True, require_lowercase_characters=True,
                         allow_users_to_change_password=True, max_password_age=90,
                         password_reuse_prevention=24, hard_expiry=True)
    with store.transaction() as tx:
        assert tx.password_policies.get(ACCOUNT) is None
        tx.password_policies.put(strict)
    with store.transaction(read_only=True) as tx:
        assert tx.password_policies.get(ACCOUNT) == strict
        assert tx.password_policies.get(OTHER_ACCOUNT) is None
    with store.transaction() as tx:
        tx.password_policies.put(make_policy())
        tx.password_policies.put(make_policy(OTHER_ACCOUNT, require_numbers=True))
    with store.transaction() as tx:
        assert tx.password_policies.get(ACCOUNT) == make_policy()
        assert tx.password_policies.get(OTHER_ACCOUNT) == make_policy(OTHER_ACCOUNT,
                                                                      require_numbers=True)
        assert tx.password_policies.delete(ACCOUNT)
        assert not tx.password_policies.delete(ACCOUNT)
        assert tx.password_policies.get(ACCOUNT) is None
        assert tx.password_policies.get(OTHER_ACCOUNT) is not None


def test_a_password_policy_needs_its_account(store: SqlStore, account: str) -> None:
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.password_policies.put(make_policy("999999999999"))
