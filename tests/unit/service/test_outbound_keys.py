"""Outbound signing keys: made once per account, sealed at rest and bound to
their account, published as public halves, and signing tokens that verify."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from iamd.service.runtime import Runtime
from iamd.service.sts.outbound_keys import (
    ES384,
    RS256,
    RSA_KEY_BITS,
    SigningKey,
    key_set,
    sign,
    signing_keys,
)
from iamd.service.sts.token_keys import TokenKeys
from iamd.store import open_store
from iamd.store.secrets import SecretBox, SecretDecryptionError

ACCOUNT = "123456789012"
OTHER = "210987654321"
THIRD = "333333333333"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    # One store for the module (an RSA key takes a while to make); tests that
    # need an account without keys use one of their own.
    path = tmp_path_factory.mktemp("outbound-keys")
    store = open_store(f"sqlite:///{path / 'iamd.db'}")
    try:
        yield Runtime(store=store, secrets=(box := SecretBox(bytes(range(32)))),
                       token_keys=TokenKeys(store, box), data_dir=path)
    finally:
        store.close()


def published_set(keys: dict[str, SigningKey]) -> KeySet:
    return KeySet.import_key_set(cast(Any, key_set(keys)))


def keys_of(runtime: Runtime, account: str = ACCOUNT) -> dict[str, SigningKey]:
    with runtime.store.transaction(read_only=True) as tx:
        return dict(signing_keys(runtime, tx, account))


def stored(runtime: Runtime, account: str = ACCOUNT) -> str | None:
    with runtime.store.transaction(read_only=True) as tx:
        return tx.settings.get(f"outbound_signing_keys:{account}")


def test_keys_are_made_once_and_kept(runtime: Runtime) -> None:
    fresh = "444444444444"
    assert stored(runtime, fresh) is None
    first = keys_of(runtime, fresh)
    assert set(first) == {RS256, ES384}
    row = stored(runtime, fresh)
    runtime.outbound_keys.clear()  # another node, or a restart: read back from the store
    again = keys_of(runtime, fresh)
    assert stored(runtime, fresh) == row
    assert {a: k.kid for a, k in again.items()} == {a: k.kid for a, k in first.items()}
    assert keys_of(runtime, OTHER)[RS256].kid != first[RS256].kid


def test_private_keys_are_sealed_at_rest(runtime: Runtime) -> None:
    keys = keys_of(runtime)
    row = json.loads(stored(runtime) or "{}")
    assert set(row) == {RS256, ES384}
    for algorithm, entry in row.items():
        assert set(entry) == {"kid", "sealed", "created"}
        private = keys[algorithm].key.as_bytes(encoding="DER", private=True)
        assert private.hex() not in entry["sealed"]
        assert runtime.secrets.decrypt(
            bytes.fromhex(entry["sealed"]),
            f"iamd/outbound-signing-key/{ACCOUNT}/{algorithm}/{entry['kid']}".encode()) == private


def test_sealed_keys_are_bound_to_their_account(runtime: Runtime) -> None:
    keys_of(runtime)
    row = stored(runtime)
    assert row is not None
    with runtime.store.transaction() as tx:
        tx.settings.set(f"outbound_signing_keys:{THIRD}", row)
    with pytest.raises(SecretDecryptionError):
        keys_of(runtime, THIRD)


def test_key_set_holds_public_halves_with_thumbprint_ids(runtime: Runtime) -> None:
    keys = keys_of(runtime)
    published = key_set(keys)
    rsa, ec = published["keys"]
    assert (rsa["kty"], rsa["alg"], rsa["use"]) == ("RSA", RS256, "sig")
    assert (ec["kty"], ec["crv"], ec["alg"], ec["use"]) == ("EC", "P-384", ES384, "sig")
    assert "d" not in rsa and "d" not in ec
    imported = published_set(keys)
    assert [k.thumbprint() for k in imported.keys] == [rsa["kid"], ec["kid"]]
    modulus = imported.keys[0].public_key.public_numbers().n  # type: ignore[union-attr]
    assert modulus.bit_length() == RSA_KEY_BITS


@pytest.mark.parametrize("algorithm", [RS256, ES384])
def test_signed_tokens_verify_with_the_key_set(runtime: Runtime, algorithm: str) -> None:
    keys = keys_of(runtime)
    token = sign(keys[algorithm], {"sub": "arn:aws:iam::123456789012:user/alice"})
    decoded = jwt.decode(token, published_set(keys), algorithms=[algorithm])
    assert decoded.header == {"typ": "JWT", "alg": algorithm, "kid": keys[algorithm].kid}
    assert decoded.claims == {"sub": "arn:aws:iam::123456789012:user/alice"}
