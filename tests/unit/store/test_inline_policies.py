"""Inline policies of users, groups and roles, on every backend."""

from __future__ import annotations

import pytest

from iamd.model.entities import InlinePolicy, PrincipalKind
from iamd.store import IntegrityViolation, SqlStore

from .factories import make_group, make_role, make_user

USER, GROUP, ROLE = PrincipalKind.USER, PrincipalKind.GROUP, PrincipalKind.ROLE


def test_put_get_replace_delete(store: SqlStore, account: str) -> None:
    user = make_user("alice")
    with store.transaction() as tx:
        tx.users.insert(user)
        tx.inline_policies.put(USER, user.id, "ReadS3", '{"v":1}')
    with store.transaction() as tx:
        assert tx.inline_policies.get(USER, user.id, "reads3") == InlinePolicy(
            USER, user.id, "ReadS3", '{"v":1}')
        # Same name in another case replaces, taking the new spelling.
        tx.inline_policies.put(USER, user.id, "READS3", '{"v":2}')
        assert tx.inline_policies.count(USER, user.id) == 1
        assert tx.inline_policies.get(USER, user.id, "ReadS3") == InlinePolicy(
            USER, user.id, "READS3", '{"v":2}')
        assert tx.inline_policies.get(ROLE, user.id, "ReadS3") is None
    with store.transaction() as tx:
        assert tx.inline_policies.delete(USER, user.id, "reads3")
        assert not tx.inline_policies.delete(USER, user.id, "reads3")
        assert tx.inline_policies.get(USER, user.id, "ReadS3") is None


def test_names_are_per_principal(store: SqlStore, account: str) -> None:
    user, group, role = make_user("same"), make_group("same"), make_role("same")
    with store.transaction() as tx:
        tx.users.insert(user)
        tx.groups.insert(group)
        tx.roles.insert(role)
        for kind, owner in ((USER, user), (GROUP, group), (ROLE, role)):
            tx.inline_policies.put(kind, owner.id, "Policy", f'{{"{kind.value}":1}}')
        assert [p.document for p in (tx.inline_policies.get(USER, user.id, "policy"),
                                     tx.inline_policies.get(GROUP, group.id, "policy"),
                                     tx.inline_policies.get(ROLE, role.id, "policy"))
                if p is not None] == ['{"user":1}', '{"group":1}', '{"role":1}']


def test_list_names_and_all(store: SqlStore, account: str) -> None:
    role = make_role("r")
    names = ["delta", "Alpha", "charlie", "Bravo", "echo"]
    with store.transaction() as tx:
        tx.roles.insert(role)
        for name in names:
            tx.inline_policies.put(ROLE, role.id, name, "{}")
        first = tx.inline_policies.list_names(ROLE, role.id, limit=2)
        second = tx.inline_policies.list_names(ROLE, role.id, after=first.marker, limit=2)
        third = tx.inline_policies.list_names(ROLE, role.id, after=second.marker, limit=2)
        assert list(first.items + second.items + third.items) == sorted(names, key=str.lower)
        assert third.marker is None
        assert [p.name for p in tx.inline_policies.all(ROLE, role.id)] == sorted(
            names, key=str.lower)


def test_inline_policies_die_with_their_owner(store: SqlStore, account: str) -> None:
    group = make_group("g")
    with store.transaction() as tx:
        tx.groups.insert(group)
        tx.inline_policies.put(GROUP, group.id, "p", "{}")
    with store.transaction() as tx:
        tx.groups.delete(group.id)
        assert tx.inline_policies.count(GROUP, group.id) == 0


def test_put_needs_an_owner(store: SqlStore, account: str) -> None:
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.inline_policies.put(USER, "AIDANOSUCHUSER0000", "p", "{}")
