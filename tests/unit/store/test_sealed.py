"""Sealed values for a master key rotation, on every backend: listed by key in
pages, swapped only if unchanged; settings found by a prefix taken literally."""

from __future__ import annotations

from iamd.model.entities import AccessKey
from iamd.store import SqlStore

from .factories import NOW, make_user


def test_pages_and_compare_and_swap(store: SqlStore, account: str) -> None:
    user = make_user("alice")
    ids = [f"AKIAEXAMPLE{n:09d}" for n in range(5)]
    with store.transaction() as tx:
        tx.users.insert(user)
        for number, key_id in enumerate(ids):
            tx.access_keys.insert(AccessKey(id=key_id, user_id=user.id, account_id=account,
                                            secret_ciphertext=bytes([number]) * 40,
                                            status="Active", created=NOW))
    with store.transaction(read_only=True) as tx:
        first = tx.sealed.page("access_keys", limit=3)
        rest = tx.sealed.page("access_keys", after=first[-1][0], limit=3)
    assert [key for key, _ in first + rest] == ids
    assert rest[0][1] == bytes([3]) * 40
    with store.transaction() as tx:
        assert tx.sealed.replace("access_keys", ids[0], bytes([0]) * 40, b"new" * 20)
        # Changed since it was read: left alone.
        assert not tx.sealed.replace("access_keys", ids[1], bytes([9]) * 40, b"stale" * 10)
    with store.transaction(read_only=True) as tx:
        assert [sealed for _, sealed in tx.sealed.page("access_keys", limit=2)] == [
            b"new" * 20, bytes([1]) * 40]


def test_settings_by_prefix(store: SqlStore) -> None:
    with store.transaction() as tx:
        for key in ("saml_provider_keys:a", "saml_provider_keys:b", "samlXprovider_keys:c",
                    "other"):
            tx.settings.set(key, key.upper())
    with store.transaction(read_only=True) as tx:
        assert tx.sealed.settings_page("saml_provider_keys:") == [
            ("saml_provider_keys:a", "SAML_PROVIDER_KEYS:A"),
            ("saml_provider_keys:b", "SAML_PROVIDER_KEYS:B")]
        assert tx.sealed.settings_page("saml_provider_keys:", after="saml_provider_keys:a",
                                       limit=1) == [("saml_provider_keys:b",
                                                     "SAML_PROVIDER_KEYS:B")]
    with store.transaction() as tx:
        assert tx.sealed.replace_setting("other", "OTHER", "changed")
        assert not tx.sealed.replace_setting("other", "OTHER", "again")
        assert tx.settings.get("other") == "changed"
