"""The keys an account's outbound web identity tokens are signed with.

Each account has one key per algorithm GetWebIdentityToken offers: an RSA
key of 3072 bits for RS256 and a P-384 key for ES384. They are made the
first time either is needed (a token, or the issuer's key set), so the key
set a verifier sees first already holds both. A key's id (`kid`, in the key
set and in every token's header) is its RFC 7638 thumbprint.

The private keys are kept in the store's settings, sealed by the master key
(store/secrets.py) and bound to their account, algorithm and key id, so a
sealed key copied into another account's row does not open. Several nodes
making an account's keys at once agree on one set: the first write wins and
every node uses what was stored. Keys are generated before the write
transaction opens, so that a slow RSA generation never holds the store's
write lock.

Opened keys are cached in the runtime by the sealed text they came from:
every use reads the (small) settings row, so a store that is reset or
changed by another node is never answered from a stale cache.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from iamd.service.runtime import Runtime
from iamd.store.interface import Transaction

RS256 = "RS256"
ES384 = "ES384"
ALGORITHMS = (RS256, ES384)
RSA_KEY_BITS = 3072
_CACHE_LIMIT = 1024

Key = RSAKey | ECKey


@dataclass(frozen=True)
class SigningKey:
    algorithm: str
    kid: str
    key: Key

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = self.key.as_dict(private=False, kid=self.kid, alg=self.algorithm,
                                               use="sig")
        return jwk


def _settings_key(account_id: str) -> str:
    return f"outbound_signing_keys:{account_id}"


def associated_data(account_id: str, algorithm: str, kid: str) -> bytes:
    return f"iamd/outbound-signing-key/{account_id}/{algorithm}/{kid}".encode()


def _generate(algorithm: str) -> Key:
    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
        rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
        if algorithm == RS256 else ec.generate_private_key(ec.SECP384R1()))
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return RSAKey.import_key(der) if algorithm == RS256 else ECKey.import_key(der)


def _new_key_set(runtime: Runtime, account_id: str) -> str:
    """Fresh keys for every algorithm, sealed, as the JSON the settings row holds."""
    entries: dict[str, dict[str, str]] = {}
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    for algorithm in ALGORITHMS:
        key = _generate(algorithm)
        kid = key.thumbprint()
        der = key.as_bytes(encoding="DER", private=True)
        sealed = runtime.secrets.encrypt(der, associated_data(account_id, algorithm, kid))
        entries[algorithm] = {"kid": kid, "sealed": sealed.hex(), "created": created}
    return json.dumps(entries, sort_keys=True)


def _open(runtime: Runtime, account_id: str, stored: str) -> dict[str, SigningKey]:
    digest = hashlib.sha256(f"{account_id}\x00{stored}".encode()).hexdigest()
    cached: dict[str, SigningKey] | None = runtime.outbound_keys.get(digest)
    if cached is not None:
        return cached
    keys: dict[str, SigningKey] = {}
    for algorithm, entry in json.loads(stored).items():
        if algorithm not in ALGORITHMS:
            continue
        kid = str(entry["kid"])
        der = runtime.secrets.decrypt(bytes.fromhex(entry["sealed"]),
                                      associated_data(account_id, algorithm, kid))
        key: Key = RSAKey.import_key(der) if algorithm == RS256 else ECKey.import_key(der)
        keys[algorithm] = SigningKey(algorithm, kid, key)
    with runtime.lock:
        if len(runtime.outbound_keys) > _CACHE_LIMIT:
            runtime.outbound_keys.clear()
        runtime.outbound_keys[digest] = keys
    return keys


def signing_keys(runtime: Runtime, tx: Transaction, account_id: str) -> dict[str, SigningKey]:
    """The account's keys by algorithm, made now if it has none yet.

    `tx` is the caller's open transaction, used to read; making keys writes
    in a transaction of its own.
    """
    stored = tx.settings.get(_settings_key(account_id))
    if stored is None:
        fresh = _new_key_set(runtime, account_id)
        with runtime.store.transaction() as write:
            stored = write.settings.set_if_absent(_settings_key(account_id), fresh)
    return _open(runtime, account_id, stored)


def key_set(keys: dict[str, SigningKey]) -> dict[str, Any]:
    """The JSON Web Key Set verifiers fetch: public halves only."""
    return {"keys": [keys[algorithm].public_jwk() for algorithm in ALGORITHMS if algorithm in keys]}


def sign(key: SigningKey, claims: dict[str, Any]) -> str:
    """A compact JWS of the claims, its header naming the algorithm and key id."""
    header = {"typ": "JWT", "alg": key.algorithm, "kid": key.kid}
    token: str = jwt.encode(header, claims, key.key, algorithms=[key.algorithm])
    return token
