"""Access keys, on every backend."""

from __future__ import annotations

import dataclasses

import pytest

from iamd.model.entities import AccessKey
from iamd.store import Conflict, IntegrityViolation, SqlStore

from .factories import NOW, later, make_user, unique_id


def make_key(user_id: str, account_id: str, created_offset: int = 0) -> AccessKey:
    return AccessKey(id=unique_id("AKIA"), user_id=user_id, account_id=account_id,
                     secret_ciphertext=bytes(range(256)) + b"\x00tail", status="Active",
                     created=later(created_offset))


def test_insert_get_list_update_delete(store: SqlStore, account: str) -> None:
    user, other = make_user("alice"), make_user("bob")
    newer, older = make_key(user.id, account, 10), make_key(user.id, account, 0)
    with store.transaction() as tx:
        tx.users.insert(user)
        tx.users.insert(other)
        tx.access_keys.insert(newer)
        tx.access_keys.insert(older)
    with store.transaction(read_only=True) as tx:
        assert tx.access_keys.get(newer.id) == newer
        assert tx.access_keys.get("AKIANOSUCHKEY00000") is None
        assert tx.access_keys.list_for_user(user.id) == (older, newer)
        assert tx.access_keys.count_for_user(user.id) == 2
        assert tx.access_keys.list_for_user(other.id) == ()
    with store.transaction() as tx:
        assert tx.access_keys.update_status(older.id, "Inactive")
        assert tx.access_keys.record_last_used(older.id, later(60), "s3", "us-east-1")
        assert not tx.access_keys.update_status("AKIANOSUCHKEY00000", "Inactive")
        assert not tx.access_keys.record_last_used("AKIANOSUCHKEY00000", NOW, "s3", "x")
    with store.transaction() as tx:
        assert tx.access_keys.get(older.id) == dataclasses.replace(
            older, status="Inactive", last_used=later(60), last_used_service="s3",
            last_used_region="us-east-1")
        assert tx.access_keys.delete(newer.id)
        assert not tx.access_keys.delete(newer.id)
        assert tx.access_keys.count_for_user(user.id) == 1


def test_key_ids_are_unique(store: SqlStore, account: str) -> None:
    user = make_user("alice")
    key = make_key(user.id, account)
    with store.transaction() as tx:
        tx.users.insert(user)
        tx.access_keys.insert(key)
    with pytest.raises(Conflict) as raised, store.transaction() as tx:
        tx.access_keys.insert(key)
    assert raised.value.constraint == "pk_access_keys"


def test_a_user_with_keys_cannot_be_deleted(store: SqlStore, account: str) -> None:
    user = make_user("alice")
    key = make_key(user.id, account)
    with store.transaction() as tx:
        tx.users.insert(user)
        tx.access_keys.insert(key)
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.users.delete(user.id)
    with store.transaction() as tx:
        tx.access_keys.delete(key.id)
        assert tx.users.delete(user.id)


def test_a_key_needs_its_user(store: SqlStore, account: str) -> None:
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.access_keys.insert(make_key("AIDANOSUCHUSER0000", account))


def test_get_with_user_reads_the_key_and_its_user_together(store: SqlStore, account: str) -> None:
    user = make_user("alice")
    key = make_key(user.id, account)
    with store.transaction() as tx:
        tx.users.insert(user)
        tx.access_keys.insert(key)
    with store.transaction(read_only=True) as tx:
        assert tx.access_keys.get_with_user(key.id) == (key, user)
        assert tx.access_keys.get_with_user("AKIANOSUCHKEY00000") is None
