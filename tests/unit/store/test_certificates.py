"""Server and signing certificates, SSH public keys, service-specific credentials,
on every backend."""

from __future__ import annotations

import dataclasses

import pytest

from iamd.model.entities import (
    ResourceKind,
    ServerCertificate,
    ServiceSpecificCredential,
    SigningCertificate,
    SSHPublicKey,
    Tag,
)
from iamd.store import Conflict, IntegrityViolation, InvalidMarker, SqlStore

from .factories import ACCOUNT, NOW, OTHER_ACCOUNT, later, make_user, unique_id

# Bytes a text column would mangle: every value, a NUL, high bytes.
SEALED = bytes(range(256)) + b"\x00tail"


def make_server_certificate(name: str, account_id: str = ACCOUNT, path: str = "/",
                            chain: str | None = None) -> ServerCertificate:
    return ServerCertificate(
        id=unique_id("ASCA"), account_id=account_id, path=path, name=name,
        arn=f"arn:aws:iam::{account_id}:server-certificate{path}{name}",
        body="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", chain=chain,
        private_key_ciphertext=SEALED, expiration=later(86400), uploaded=NOW)


def make_signing_certificate(user_id: str, offset: int = 0, body: str = "cert") -> SigningCertificate:
    return SigningCertificate(id=unique_id("SIGN") + "ABCDEFGHIJKL", user_id=user_id,
                              account_id=ACCOUNT, body=body, status="Active",
                              uploaded=later(offset))


def make_ssh_key(user_id: str, offset: int = 0) -> SSHPublicKey:
    return SSHPublicKey(id=unique_id("APKA"), user_id=user_id, account_id=ACCOUNT,
                        body="ssh-rsa AAAAB3NzaC1yc2E= me@host",
                        fingerprint="00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff",
                        status="Active", uploaded=later(offset))


def make_credential(user_id: str, service: str = "codecommit.amazonaws.com",
                    offset: int = 0) -> ServiceSpecificCredential:
    return ServiceSpecificCredential(
        id=unique_id("ACCA"), user_id=user_id, account_id=ACCOUNT, service_name=service,
        service_user_name=f"alice-at-{ACCOUNT}", password_ciphertext=SEALED, status="Active",
        created=later(offset))


# --- server certificates ----------------------------------------------------

def test_server_certificate_round_trip_by_id_and_name(store: SqlStore, account: str) -> None:
    cert = make_server_certificate("Web", path="/cloudfront/", chain="chain text")
    with store.transaction() as tx:
        tx.server_certificates.insert(cert)
    with store.transaction(read_only=True) as tx:
        assert tx.server_certificates.get(cert.id) == cert
        assert tx.server_certificates.get_by_name(account, "WEB") == cert
        assert tx.server_certificates.get_by_name(account, "web", for_update=False) == cert
        assert tx.server_certificates.get_by_name(OTHER_ACCOUNT, "web") is None
        assert tx.server_certificates.get("ASCANOSUCHCERT000000") is None
        assert tx.server_certificates.count(account) == 1
        assert tx.server_certificates.count(OTHER_ACCOUNT) == 0
    assert isinstance(cert.private_key_ciphertext, bytes)


def test_server_certificate_names_are_unique_per_account_ignoring_case(
        store: SqlStore, account: str) -> None:
    with store.transaction() as tx:
        tx.server_certificates.insert(make_server_certificate("Web"))
    with pytest.raises(Conflict) as raised, store.transaction() as tx:
        tx.server_certificates.insert(make_server_certificate("WEB", path="/other/"))
    assert raised.value.constraint == "uq_server_certificates_account_id_name_lower"
    with store.transaction() as tx:
        tx.server_certificates.insert(make_server_certificate("web", account_id=OTHER_ACCOUNT))


def test_server_certificates_list_by_name_under_a_path_with_markers(
        store: SqlStore, account: str) -> None:
    names = ["delta", "Alpha", "charlie", "bravo"]
    with store.transaction() as tx:
        for name in names:
            tx.server_certificates.insert(make_server_certificate(name, path="/web/"))
        tx.server_certificates.insert(make_server_certificate("elsewhere", path="/webby/"))
        tx.server_certificates.insert(make_server_certificate("theirs", OTHER_ACCOUNT, "/web/"))
    with store.transaction(read_only=True) as tx:
        first = tx.server_certificates.list(account, path_prefix="/web/", limit=3)
        assert [c.name for c in first.items] == ["Alpha", "bravo", "charlie"]
        assert first.marker is not None
        rest = tx.server_certificates.list(account, path_prefix="/web/", after=first.marker)
        assert [c.name for c in rest.items] == ["delta"] and rest.marker is None
        every = tx.server_certificates.list(account, path_prefix="/web")
        assert [c.name for c in every.items] == ["Alpha", "bravo", "charlie", "delta",
                                                 "elsewhere"]
        assert len(tx.server_certificates.list(account, path_prefix="/").items) == 5
        # Path prefixes are case-sensitive, like every IAM path.
        assert tx.server_certificates.list(account, path_prefix="/WEB/").items == ()
    with pytest.raises(InvalidMarker), store.transaction(read_only=True) as tx:
        tx.server_certificates.list(account, after="bm90LWEtbWFya2Vy")


def test_server_certificate_rename_and_move(store: SqlStore, account: str) -> None:
    cert = make_server_certificate("old")
    other = make_server_certificate("taken")
    with store.transaction() as tx:
        tx.server_certificates.insert(cert)
        tx.server_certificates.insert(other)
        assert tx.server_certificates.rename(cert.id, path="/new/", name="New",
                                             arn="arn:aws:iam::123456789012:server-certificate/new/New")
        assert not tx.server_certificates.rename("ASCANOSUCHCERT000000", path="/", name="x",
                                                 arn="arn")
    with store.transaction(read_only=True) as tx:
        moved = tx.server_certificates.get_by_name(account, "new")
        assert moved == dataclasses.replace(
            cert, path="/new/", name="New",
            arn="arn:aws:iam::123456789012:server-certificate/new/New")
        assert tx.server_certificates.get_by_name(account, "old") is None
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.server_certificates.rename(cert.id, path="/", name="TAKEN", arn="arn")


def test_deleting_a_server_certificate_takes_its_tags(store: SqlStore, account: str) -> None:
    cert, kept = make_server_certificate("gone"), make_server_certificate("kept")
    with store.transaction() as tx:
        tx.server_certificates.insert(cert)
        tx.server_certificates.insert(kept)
        tx.tags.replace(ResourceKind.SERVER_CERTIFICATE, cert.id, [Tag("team", "web")])
        tx.tags.replace(ResourceKind.SERVER_CERTIFICATE, kept.id, [Tag("team", "api")])
    with store.transaction() as tx:
        assert tx.server_certificates.delete(cert.id)
        assert not tx.server_certificates.delete(cert.id)
    with store.transaction(read_only=True) as tx:
        assert tx.tags.list(ResourceKind.SERVER_CERTIFICATE, cert.id) == ()
        assert tx.tags.list(ResourceKind.SERVER_CERTIFICATE, kept.id) == (Tag("team", "api"),)
        assert tx.server_certificates.count(account) == 1


def test_server_certificate_needs_its_account(store: SqlStore, account: str) -> None:
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.server_certificates.insert(make_server_certificate("x", account_id="999999999999"))


# --- signing certificates and SSH public keys ---------------------------------

def test_signing_certificates_per_user_and_per_account(store: SqlStore, account: str) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    newer, older = make_signing_certificate(alice.id, 10), make_signing_certificate(alice.id, 0)
    bobs = make_signing_certificate(bob.id, 5)
    with store.transaction() as tx:
        tx.users.insert(alice)
        tx.users.insert(bob)
        for cert in (newer, older, bobs):
            tx.signing_certificates.insert(cert)
    with store.transaction() as tx:
        assert tx.signing_certificates.get(newer.id) == newer
        assert tx.signing_certificates.get("NOSUCHCERTIFICATE0000000") is None
        assert tx.signing_certificates.list_for_user(alice.id) == (older, newer)
        assert tx.signing_certificates.count_for_user(alice.id) == 2
        assert tx.signing_certificates.list_for_account(account) == (older, bobs, newer)
        assert tx.signing_certificates.list_for_account(OTHER_ACCOUNT) == ()
        assert tx.signing_certificates.update_status(older.id, "Inactive")
        assert not tx.signing_certificates.update_status("NOSUCHCERTIFICATE0000000", "Active")
    with store.transaction() as tx:
        assert tx.signing_certificates.get(older.id) == dataclasses.replace(older, status="Inactive")
        assert tx.signing_certificates.delete(older.id)
        assert not tx.signing_certificates.delete(older.id)
        assert tx.signing_certificates.count_for_user(alice.id) == 1


def test_ssh_public_keys_per_user(store: SqlStore, account: str) -> None:
    alice = make_user("alice")
    second, first = make_ssh_key(alice.id, 10), make_ssh_key(alice.id, 0)
    with store.transaction() as tx:
        tx.users.insert(alice)
        tx.ssh_public_keys.insert(second)
        tx.ssh_public_keys.insert(first)
    with store.transaction() as tx:
        assert tx.ssh_public_keys.get(first.id) == first
        assert tx.ssh_public_keys.get("APKANOSUCHKEY0000000") is None
        assert tx.ssh_public_keys.list_for_user(alice.id) == (first, second)
        assert tx.ssh_public_keys.count_for_user(alice.id) == 2
        assert tx.ssh_public_keys.update_status(first.id, "Inactive")
    with store.transaction() as tx:
        assert tx.ssh_public_keys.get(first.id) == dataclasses.replace(first, status="Inactive")
        assert tx.ssh_public_keys.delete(second.id)
        assert not tx.ssh_public_keys.delete(second.id)
        assert tx.ssh_public_keys.list_for_user(alice.id) == (
            dataclasses.replace(first, status="Inactive"),)


# --- service-specific credentials ---------------------------------------------

def test_service_credentials_per_user_and_service(store: SqlStore, account: str) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    git = make_credential(alice.id, offset=0)
    cassandra = make_credential(alice.id, "cassandra.amazonaws.com", offset=5)
    bobs = make_credential(bob.id, offset=1)
    with store.transaction() as tx:
        tx.users.insert(alice)
        tx.users.insert(bob)
        for credential in (git, cassandra, bobs):
            tx.service_credentials.insert(credential)
    with store.transaction() as tx:
        assert tx.service_credentials.get(git.id) == git
        assert tx.service_credentials.get("ACCANOSUCHCREDENTIAL") is None
        assert tx.service_credentials.list_for_user(alice.id) == (git, cassandra)
        assert tx.service_credentials.list_for_user(
            alice.id, service_name="cassandra.amazonaws.com") == (cassandra,)
        assert tx.service_credentials.count_for_user(alice.id) == 2
        assert tx.service_credentials.count_for_user(
            alice.id, service_name="codecommit.amazonaws.com") == 1
        assert tx.service_credentials.update_status(git.id, "Inactive")
        assert tx.service_credentials.replace_password(git.id, b"new sealed \x00\xff")
        assert not tx.service_credentials.replace_password("ACCANOSUCHCREDENTIAL", b"x")
    with store.transaction() as tx:
        assert tx.service_credentials.get(git.id) == dataclasses.replace(
            git, status="Inactive", password_ciphertext=b"new sealed \x00\xff")
        assert tx.service_credentials.delete(cassandra.id)
        assert not tx.service_credentials.delete(cassandra.id)


def test_service_credentials_of_an_account_page_by_id(store: SqlStore, account: str) -> None:
    users = [make_user(f"user{i}") for i in range(3)]
    credentials = [make_credential(user.id) for user in users]
    credentials.append(make_credential(users[0].id, "cassandra.amazonaws.com"))
    with store.transaction() as tx:
        for user in users:
            tx.users.insert(user)
        for credential in credentials:
            tx.service_credentials.insert(credential)
    with store.transaction(read_only=True) as tx:
        git = sorted((c for c in credentials if c.service_name.startswith("codecommit")),
                     key=lambda c: c.id)
        first = tx.service_credentials.list_for_account(
            account, service_name="codecommit.amazonaws.com", limit=2)
        assert first.items == tuple(git[:2]) and first.marker is not None
        rest = tx.service_credentials.list_for_account(
            account, service_name="codecommit.amazonaws.com", after=first.marker)
        assert rest.items == tuple(git[2:]) and rest.marker is None
        assert len(tx.service_credentials.list_for_account(account).items) == 4
        assert tx.service_credentials.list_for_account(OTHER_ACCOUNT).items == ()


# --- what a user's deletion meets ------------------------------------------------

@pytest.mark.parametrize("kind", ["signing", "ssh", "credential"])
def test_a_user_with_certificates_keys_or_credentials_cannot_be_deleted(
        store: SqlStore, account: str, kind: str) -> None:
    user = make_user("alice")
    with store.transaction() as tx:
        tx.users.insert(user)
        if kind == "signing":
            certificate = make_signing_certificate(user.id)
            owned_id = certificate.id
            tx.signing_certificates.insert(certificate)
        elif kind == "ssh":
            key = make_ssh_key(user.id)
            owned_id = key.id
            tx.ssh_public_keys.insert(key)
        else:
            credential = make_credential(user.id)
            owned_id = credential.id
            tx.service_credentials.insert(credential)
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.users.delete(user.id)
    with store.transaction() as tx:
        repository = {"signing": tx.signing_certificates, "ssh": tx.ssh_public_keys,
                      "credential": tx.service_credentials}[kind]
        assert repository.delete(owned_id)
        assert tx.users.delete(user.id)


def test_user_owned_rows_need_their_user(store: SqlStore, account: str) -> None:
    with pytest.raises(IntegrityViolation), store.transaction() as tx:
        tx.ssh_public_keys.insert(make_ssh_key("AIDANOSUCHUSER0000"))
