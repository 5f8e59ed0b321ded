"""Whole-store maintenance (the dev-mode reset), on every backend."""

from __future__ import annotations

from iamd.model.entities import Account, PrincipalKind, ResourceKind, Tag
from iamd.store import SqlStore
from iamd.store.maintenance import wipe

from .factories import NOW, make_group, make_user
from .test_access_keys import make_key
from .test_policies import create


def test_wipe_empties_every_table_and_keeps_the_schema(store: SqlStore, account: str) -> None:
    user, group = make_user("alice"), make_group("ops")
    with store.transaction() as tx:
        tx.users.insert(user)
        tx.groups.insert(group)
        tx.memberships.add(group.id, user.id)
        policy = create(tx, "P")
        tx.attachments.attach(PrincipalKind.GROUP, group.id, policy.id)
        tx.inline_policies.put(PrincipalKind.USER, user.id, "p", "{}")
        tx.access_keys.insert(make_key(user.id, account))
        tx.tags.replace(ResourceKind.USER, user.id, [Tag("k", "v")])
        tx.settings.set("k", "v")
    wipe(store)
    with store.transaction() as tx:
        assert tx.accounts.list().items == ()
        assert tx.settings.get("k") is None
        assert tx.tags.list(ResourceKind.USER, user.id) == ()
        assert tx.policies.get(policy.id) is None
        tx.accounts.insert(Account(account, "again", None, None, NOW))
        tx.users.insert(make_user("alice"))
