"""Group memberships, on every backend."""

from __future__ import annotations

import pytest

from iamd.store import IntegrityViolation, SqlStore

from .factories import make_group, make_user


def test_add_list_count_remove(store: SqlStore, account: str) -> None:
    users = [make_user(name) for name in ("carol", "Alice", "bob")]
    groups = [make_group(name) for name in ("Ops", "admins")]
    with store.transaction() as tx:
        for user in users:
            tx.users.insert(user)
        for group in groups:
            tx.groups.insert(group)
        for user in users:
            assert tx.memberships.add(groups[0].id, user.id)
        assert tx.memberships.add(groups[1].id, users[0].id)
        assert not tx.memberships.add(groups[0].id, users[0].id)  # already a member
    with store.transaction(read_only=True) as tx:
        assert tx.memberships.is_member(groups[0].id, users[1].id)
        assert not tx.memberships.is_member(groups[1].id, users[1].id)
        assert tx.memberships.count_users(groups[0].id) == 3
        assert tx.memberships.count_groups(users[0].id) == 2
        first = tx.memberships.list_users(groups[0].id, limit=2)
        rest = tx.memberships.list_users(groups[0].id, after=first.marker, limit=2)
        assert [u.name for u in first.items + rest.items] == ["Alice", "bob", "carol"]
        assert rest.marker is None
        assert first.items[0] == users[1]
        assert [g.name for g in tx.memberships.list_groups(users[0].id).items] == [
            "admins", "Ops"]
        assert tx.memberships.all_groups(users[0].id) == tx.memberships.list_groups(
            users[0].id).items == (groups[1], groups[0])
        assert tx.memberships.all_groups(users[1].id) == (groups[0],)
    with store.transaction() as tx:
        assert tx.memberships.remove(groups[0].id, users[0].id)
        assert not tx.memberships.remove(groups[0].id, users[0].id)
        assert tx.memberships.count_groups(users[0].id) == 1


def test_memberships_die_with_the_user_or_the_group(store: SqlStore, account: str) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    ops, dev = make_group("ops"), make_group("dev")
    with store.transaction() as tx:
        for entity in (alice, bob):
            tx.users.insert(entity)
        for group in (ops, dev):
            tx.groups.insert(group)
        for group in (ops, dev):
            for user in (alice, bob):
                tx.memberships.add(group.id, user.id)
    with store.transaction() as tx:
        tx.users.delete(alice.id)
        tx.groups.delete(ops.id)
    with store.transaction(read_only=True) as tx:
        assert tx.memberships.list_groups(bob.id).items == (dev,)
        assert tx.memberships.list_users(dev.id).items == (bob,)
        assert tx.memberships.count_users(ops.id) == 0


def test_membership_needs_both_sides(store: SqlStore, account: str) -> None:
    group = make_group("ops")
    with store.transaction() as tx:
        tx.groups.insert(group)
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.memberships.add(group.id, "AIDANOSUCHUSER0000")
