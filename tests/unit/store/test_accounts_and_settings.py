"""Accounts and the settings table, on every backend."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from iamd.model.entities import Account
from iamd.store import Conflict, SqlStore

from .factories import NOW, later


def test_accounts_round_trip_and_list_by_id(store: SqlStore) -> None:
    accounts = [Account(f"{n:012d}", f"acct{n}", None, None, NOW) for n in (3, 1, 2)]
    with store.transaction() as tx:
        for account in accounts:
            tx.accounts.insert(account)
    with store.transaction(read_only=True) as tx:
        assert tx.accounts.get("000000000002") == accounts[2]
        assert tx.accounts.get("000000000009") is None
        first = tx.accounts.list(limit=2)
        rest = tx.accounts.list(after=first.marker, limit=2)
    assert [a.account_id for a in first.items] == ["000000000001", "000000000002"]
    assert [a.account_id for a in rest.items] == ["000000000003"]
    assert not rest.truncated


def test_the_first_account_is_the_oldest_not_the_lowest_id(store: SqlStore) -> None:
    # `iamd serve` and `iamd credentials-endpoint` default to this account; an
    # account added later with a lower id must not take its place.
    with store.transaction() as tx:
        assert tx.accounts.first() is None
        tx.accounts.insert(Account("900000000000", "home", None, None, NOW))
        tx.accounts.insert(Account("100000000000", "added", None, None, later(60)))
    with store.transaction(read_only=True) as tx:
        first = tx.accounts.first()
    assert first is not None and first.account_id == "900000000000"


def test_account_alias_is_unique_and_updatable(store: SqlStore) -> None:
    one = Account("111111111111", "one", "one@example.com", "acme", NOW)
    two = Account("222222222222", "two", None, None, NOW)
    with store.transaction() as tx:
        tx.accounts.insert(one)
        tx.accounts.insert(two)
        assert tx.accounts.get_by_alias("acme") == one
    with pytest.raises(Conflict) as raised, store.transaction() as tx:
        tx.accounts.update(dataclasses.replace(two, alias="acme"))
    assert raised.value.constraint == "uq_accounts_alias"
    with store.transaction() as tx:
        assert tx.accounts.update(dataclasses.replace(one, alias=None))
        assert tx.accounts.update(dataclasses.replace(two, alias="acme", email="x@example.com"))
        assert tx.accounts.get_by_alias("acme") == dataclasses.replace(
            two, alias="acme", email="x@example.com")
        assert not tx.accounts.update(Account("333333333333", "three", None, None, NOW))


def test_duplicate_account_id_is_a_conflict(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.accounts.insert(Account("111111111111", "one", None, None, NOW))
    with pytest.raises(Conflict) as raised, store.transaction() as tx:
        tx.accounts.insert(Account("111111111111", "again", None, None, NOW))
    assert raised.value.constraint == "pk_accounts"


def test_settings(store: SqlStore) -> None:
    with store.transaction() as tx:
        assert tx.settings.get("signing-key") is None
        tx.settings.set("signing-key", "one")
        tx.settings.set("signing-key", "two")
        assert tx.settings.get("signing-key") == "two"
        assert tx.settings.set_if_absent("signing-key", "three") == "two"
        assert tx.settings.set_if_absent("other", "first") == "first"
    with store.transaction() as tx:
        assert tx.settings.get("other") == "first"
        assert tx.settings.delete("other")
        assert not tx.settings.delete("other")
        assert tx.settings.get("other") is None


def test_increment_is_atomic_between_concurrent_writers(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.settings.increment("counter")
        tx.settings.increment("counter")
        assert tx.settings.get("counter") == "2"
    failures: list[BaseException] = []

    def second() -> None:
        try:
            # Waits for the first writer's lock (BEGIN IMMEDIATE on SQLite,
            # the row lock on PostgreSQL), then adds to what it committed.
            with store.transaction() as tx:
                tx.settings.increment("counter")
        except BaseException as exc:  # reported below
            failures.append(exc)

    with store.transaction() as tx:
        tx.settings.increment("counter")
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=0.5)  # let the second writer block on the lock
    thread.join(timeout=30)
    assert not failures
    with store.transaction(read_only=True) as tx:
        assert tx.settings.get("counter") == "4"
