"""Organizations in the store, on every backend: the document round trip,
membership (one organization per account) and deletion with its members."""

from __future__ import annotations

import pytest

from iamd.store import Conflict, SqlStore
from iamd.store.organizations import StoredOrganization

from .factories import ACCOUNT, NOW, OTHER_ACCOUNT


def test_an_organization_round_trips_with_its_members(store: SqlStore, account: str) -> None:
    stored = StoredOrganization("o-abcdefghij", ACCOUNT, '{"v":1}', NOW)
    with store.transaction() as tx:
        tx.organizations.insert(stored)
        tx.organizations.add_member("o-abcdefghij", ACCOUNT)
        tx.organizations.add_member("o-abcdefghij", OTHER_ACCOUNT)
    with store.transaction(read_only=True) as tx:
        assert tx.organizations.get("o-abcdefghij") == stored
        assert tx.organizations.of_account(OTHER_ACCOUNT) == "o-abcdefghij"
        assert tx.organizations.get("o-zzzzzzzzzz") is None
    with store.transaction() as tx:
        assert tx.organizations.save("o-abcdefghij", '{"v":2}')
        assert tx.changed
        locked = tx.organizations.get("o-abcdefghij", for_update=True)
        assert locked is not None and locked.document == '{"v":2}'
        assert tx.organizations.remove_member(OTHER_ACCOUNT)
        assert not tx.organizations.remove_member(OTHER_ACCOUNT)
    with store.transaction() as tx:
        assert tx.organizations.delete("o-abcdefghij")
    with store.transaction(read_only=True) as tx:
        assert tx.organizations.of_account(ACCOUNT) is None
        assert tx.organizations.get("o-abcdefghij") is None


def test_an_account_is_in_one_organization_at_most(store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        tx.organizations.insert(StoredOrganization("o-aaaaaaaaaa", ACCOUNT, "{}", NOW))
        tx.organizations.add_member("o-aaaaaaaaaa", ACCOUNT)
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.organizations.insert(StoredOrganization("o-bbbbbbbbbb", OTHER_ACCOUNT, "{}", NOW))
        tx.organizations.add_member("o-bbbbbbbbbb", ACCOUNT)
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.organizations.insert(StoredOrganization("o-cccccccccc", ACCOUNT, "{}", NOW))
