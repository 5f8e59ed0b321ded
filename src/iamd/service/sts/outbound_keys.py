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
from datetime import UTC, datetime, timedelta
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
RETIRED = "retired"
# A replaced key stays in the key set while a token it signed may be valid
# (an hour: GetWebIdentityToken's longest), verifiers' cached key sets
# (five minutes) catch up, and clocks disagree.
RETIRED_PUBLISHED = timedelta(hours=2)

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


@dataclass(frozen=True)
class AccountKeys:
    signing: dict[str, SigningKey]  # by algorithm: what signs new tokens
    made: datetime  # when the oldest of them was made: rotation is due a period later
    retired: tuple[tuple[dict[str, Any], datetime], ...]  # (public JWK, retired at)


def _open(runtime: Runtime, account_id: str, stored: str) -> AccountKeys:
    digest = hashlib.sha256(f"{account_id}\x00{stored}".encode()).hexdigest()
    cached: AccountKeys | None = runtime.outbound_keys.get(digest)
    if cached is not None:
        return cached
    data = json.loads(stored)
    keys: dict[str, SigningKey] = {}
    made: list[datetime] = []
    for algorithm in ALGORITHMS:
        entry = data.get(algorithm)
        if entry is None:
            continue
        kid = str(entry["kid"])
        der = runtime.secrets.decrypt(bytes.fromhex(entry["sealed"]),
                                      associated_data(account_id, algorithm, kid))
        key: Key = RSAKey.import_key(der) if algorithm == RS256 else ECKey.import_key(der)
        keys[algorithm] = SigningKey(algorithm, kid, key)
        made.append(_moment(entry["created"]))
    retired = tuple((dict(entry["public"]), _moment(entry["retired"]))
                    for entry in data.get(RETIRED, []))
    opened = AccountKeys(keys, min(made, default=datetime.now(UTC)), retired)
    with runtime.lock:
        if len(runtime.outbound_keys) > _CACHE_LIMIT:
            runtime.outbound_keys.clear()
        runtime.outbound_keys[digest] = opened
    return opened


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def account_keys(runtime: Runtime, tx: Transaction, account_id: str) -> AccountKeys:
    """The account's keys, made now if it has none yet and replaced now if they
    are older than the rotation period (`iamd serve --outbound-key-rotation-days`).

    `tx` is the caller's open transaction, used to read; making keys writes
    in a transaction of its own.
    """
    stored = tx.settings.get(_settings_key(account_id))
    if stored is None:
        fresh = _new_key_set(runtime, account_id)
        with runtime.store.transaction() as write:
            stored = write.settings.set_if_absent(_settings_key(account_id), fresh)
    opened = _open(runtime, account_id, stored)
    now = datetime.now(UTC)
    if now - opened.made >= runtime.outbound_key_rotation:
        opened = _open(runtime, account_id, _rotated(runtime, account_id, stored, now))
    return opened


def _rotated(runtime: Runtime, account_id: str, stored: str, now: datetime) -> str:
    """New keys in place of `stored`'s, which stay published (public halves only:
    their private halves are dropped) while a token they signed may be valid."""
    old = json.loads(stored)
    opened = _open(runtime, account_id, stored)
    retired = [entry for entry in old.get(RETIRED, [])
               if now - _moment(entry["retired"]) < RETIRED_PUBLISHED]
    retired += [{"public": key.public_jwk(), "retired": now.replace(microsecond=0).isoformat()}
                for key in opened.signing.values()]
    fresh = json.loads(_new_key_set(runtime, account_id))  # made before the write opens
    replacement = json.dumps({**fresh, RETIRED: retired}, sort_keys=True)
    with runtime.store.transaction() as write:
        # Written only if no other node rotated first; if one did, its keys win.
        if write.sealed.replace_setting(_settings_key(account_id), stored, replacement):
            return replacement
        current = write.settings.get(_settings_key(account_id))
    return current or replacement


def signing_keys(runtime: Runtime, tx: Transaction, account_id: str) -> dict[str, SigningKey]:
    """The keys by algorithm that sign the account's tokens now (see account_keys)."""
    return account_keys(runtime, tx, account_id).signing


def key_set(keys: dict[str, SigningKey],
            retired: tuple[tuple[dict[str, Any], datetime], ...] = (),
            now: datetime | None = None) -> dict[str, Any]:
    """The JSON Web Key Set verifiers fetch: public halves only, with the keys
    retired recently enough that a token they signed may still be valid."""
    now = now or datetime.now(UTC)
    return {"keys": [keys[algorithm].public_jwk() for algorithm in ALGORITHMS if algorithm in keys]
            + [jwk for jwk, when in retired if now - when < RETIRED_PUBLISHED]}


def sign(key: SigningKey, claims: dict[str, Any]) -> str:
    """A compact JWS of the claims, its header naming the algorithm and key id."""
    header = {"typ": "JWT", "alg": key.algorithm, "kid": key.kid}
    token: str = jwt.encode(header, claims, key.key, algorithms=[key.algorithm])
    return token
