"""OpenID Connect and SAML providers, on every backend."""

from __future__ import annotations

import dataclasses

import pytest

from iamd.model.entities import OidcProvider, ResourceKind, SamlProvider, Tag
from iamd.store import Conflict, IntegrityViolation, SqlStore

from .factories import ACCOUNT, NOW, OTHER_ACCOUNT, later

OIDC, SAML = ResourceKind.OPENID_CONNECT_PROVIDER, ResourceKind.SAML_PROVIDER


def make_oidc(host: str, account_id: str = ACCOUNT, client_ids: tuple[str, ...] = ("sts.amazonaws.com",),
              ) -> OidcProvider:
    return OidcProvider(arn=f"arn:aws:iam::{account_id}:oidc-provider/{host}", account_id=account_id,
                        url=f"https://{host}", client_ids=client_ids,
                        thumbprints=("a" * 40, "b" * 40), created=NOW)


def make_saml(name: str, account_id: str = ACCOUNT) -> SamlProvider:
    return SamlProvider(arn=f"arn:aws:iam::{account_id}:saml-provider/{name}", account_id=account_id,
                        name=name, metadata_document="<md:EntityDescriptor/>" + "x" * 1000,
                        valid_until=later(86400 * 365), created=NOW)


# --- OpenID Connect ---------------------------------------------------------

def test_oidc_provider_round_trip_keeps_lists_in_order(store: SqlStore, account: str) -> None:
    provider = make_oidc("token.example.com/path", client_ids=("zeta", "alpha", "mid"))
    with store.transaction() as tx:
        tx.oidc_providers.insert(provider)
    with store.transaction(read_only=True) as tx:
        assert tx.oidc_providers.get(provider.arn) == provider
        assert tx.oidc_providers.get(provider.arn, for_update=False) == provider
        assert tx.oidc_providers.get(provider.arn.replace(ACCOUNT, OTHER_ACCOUNT)) is None
        assert tx.oidc_providers.count(account) == 1
        assert tx.oidc_providers.count(OTHER_ACCOUNT) == 0
    assert provider.client_ids == ("zeta", "alpha", "mid")


def test_oidc_provider_url_is_unique_in_its_account(store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        tx.oidc_providers.insert(make_oidc("idp.example.com"))
        # The same URL in another account is another provider.
        tx.oidc_providers.insert(make_oidc("idp.example.com", OTHER_ACCOUNT))
    with pytest.raises(Conflict) as raised, store.transaction() as tx:
        tx.oidc_providers.insert(make_oidc("idp.example.com", client_ids=()))
    assert raised.value.constraint == "pk_oidc_providers"


def test_oidc_providers_list_per_account_by_arn(store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        for host in ("b.example.com", "a.example.com/x", "c.example.com"):
            tx.oidc_providers.insert(make_oidc(host))
        tx.oidc_providers.insert(make_oidc("other.example.com", OTHER_ACCOUNT))
    with store.transaction(read_only=True) as tx:
        listed = [p.url for p in tx.oidc_providers.list(account)]
        assert listed == ["https://a.example.com/x", "https://b.example.com", "https://c.example.com"]
        assert [p.account_id for p in tx.oidc_providers.list(OTHER_ACCOUNT)] == [OTHER_ACCOUNT]


def test_oidc_provider_update_writes_client_ids_and_thumbprints_only(
        store: SqlStore, account: str) -> None:
    provider = make_oidc("idp.example.com")
    with store.transaction() as tx:
        tx.oidc_providers.insert(provider)
        changed = dataclasses.replace(provider, client_ids=(), thumbprints=("c" * 40,),
                                      url="https://elsewhere", created=later(5))
        assert tx.oidc_providers.update(changed)
        assert not tx.oidc_providers.update(make_oidc("missing.example.com"))
    with store.transaction(read_only=True) as tx:
        assert tx.oidc_providers.get(provider.arn) == dataclasses.replace(
            provider, client_ids=(), thumbprints=("c" * 40,))


def test_deleting_an_oidc_provider_takes_its_tags(store: SqlStore, account: str) -> None:
    provider, other = make_oidc("idp.example.com"), make_oidc("other.example.com")
    with store.transaction() as tx:
        tx.oidc_providers.insert(provider)
        tx.oidc_providers.insert(other)
        tx.tags.replace(OIDC, provider.arn, [Tag("team", "a")])
        tx.tags.replace(OIDC, other.arn, [Tag("team", "b")])
    with store.transaction() as tx:
        assert tx.oidc_providers.delete(provider.arn)
        assert not tx.oidc_providers.delete(provider.arn)
    with store.transaction(read_only=True) as tx:
        assert tx.oidc_providers.get(provider.arn) is None
        assert tx.tags.list(OIDC, provider.arn) == ()
        assert tx.tags.list(OIDC, other.arn) == (Tag("team", "b"),)


def test_an_oidc_provider_needs_its_account(store: SqlStore, account: str) -> None:
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.oidc_providers.insert(make_oidc("idp.example.com", "999999999999"))


# --- SAML ---------------------------------------------------------------------

def test_saml_provider_round_trip_by_arn_and_name(store: SqlStore, account: str) -> None:
    provider = make_saml("Okta")
    undated = dataclasses.replace(make_saml("Plain"), valid_until=None)
    with store.transaction() as tx:
        tx.saml_providers.insert(provider)
        tx.saml_providers.insert(undated)
    with store.transaction(read_only=True) as tx:
        assert tx.saml_providers.get(provider.arn) == provider
        assert tx.saml_providers.get(undated.arn) == undated
        assert tx.saml_providers.get_by_name(account, "OKTA") == provider
        assert tx.saml_providers.get_by_name(account, "okta", for_update=False) == provider
        assert tx.saml_providers.get_by_name(OTHER_ACCOUNT, "Okta") is None
        assert tx.saml_providers.count(account) == 2


def test_saml_provider_names_are_unique_per_account_ignoring_case(
        store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        tx.saml_providers.insert(make_saml("Okta"))
        tx.saml_providers.insert(make_saml("OKTA", OTHER_ACCOUNT))
    with pytest.raises(Conflict) as raised, store.transaction() as tx:
        tx.saml_providers.insert(make_saml("okta"))
    assert raised.value.constraint == "uq_saml_providers_account_id_name_lower"


def test_saml_providers_list_by_name_ignoring_case(store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        for name in ("beta", "Alpha", "gamma"):
            tx.saml_providers.insert(make_saml(name))
        tx.saml_providers.insert(make_saml("other", OTHER_ACCOUNT))
    with store.transaction(read_only=True) as tx:
        assert [p.name for p in tx.saml_providers.list(account)] == ["Alpha", "beta", "gamma"]


def test_saml_provider_update_writes_the_document_and_validity(
        store: SqlStore, account: str) -> None:
    provider = make_saml("Okta")
    with store.transaction() as tx:
        tx.saml_providers.insert(provider)
        changed = dataclasses.replace(provider, metadata_document="<new/>" + "y" * 1000,
                                      valid_until=None, name="Renamed", created=later(9))
        assert tx.saml_providers.update(changed)
        assert not tx.saml_providers.update(make_saml("Missing"))
    with store.transaction(read_only=True) as tx:
        assert tx.saml_providers.get(provider.arn) == dataclasses.replace(
            provider, metadata_document=changed.metadata_document, valid_until=None)


def test_deleting_a_saml_provider_takes_its_tags(store: SqlStore, account: str) -> None:
    provider = make_saml("Okta")
    with store.transaction() as tx:
        tx.saml_providers.insert(provider)
        tx.tags.replace(SAML, provider.arn, [Tag("team", "a"), Tag("env", "prod")])
    with store.transaction() as tx:
        assert tx.saml_providers.delete(provider.arn)
        assert not tx.saml_providers.delete(provider.arn)
    with store.transaction(read_only=True) as tx:
        assert tx.saml_providers.get(provider.arn) is None
        assert tx.tags.list(SAML, provider.arn) == ()
        # The name is free again.
    with store.transaction() as tx:
        tx.saml_providers.insert(make_saml("okta"))
