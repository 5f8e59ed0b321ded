"""The private keys a SAML provider decrypts assertions with, and its encryption mode.

An IdP that encrypts assertions encrypts them for the service provider's
public key; the provider's owner hands iamd the matching RSA private key
(AddPrivateKey, PEM) and AssumeRoleWithSAML decrypts with it. A provider
holds at most two keys, so that a key can be rotated: add the new one,
move the IdP to it, remove the old one.

The keys and the provider's AssertionEncryptionMode live in one settings
row per provider, keyed by the provider's ARN (no schema change): JSON with
the mode and, per key, its KeyId, upload time and the key's PKCS#8 DER
sealed by the master key (store/secrets.py), bound to the provider's ARN
and the KeyId, so a sealed key copied into another provider's row does not
open. The row is written only while the provider's own row is locked for
update, and deleted with the provider. A provider without a row is in mode
"Allowed" with no keys.

A KeyId is the first 26 characters of the unpadded base32 of the SHA-256
of the key's public half (DER SubjectPublicKeyInfo): uppercase letters and
digits as the API's pattern wants, the same for the same key, and never
derived from the private half.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from iamd.model.errors import InvalidInput
from iamd.service.runtime import Runtime
from iamd.store.interface import Transaction

ALLOWED = "Allowed"
REQUIRED = "Required"
MODES = (ALLOWED, REQUIRED)
MAX_KEYS = 2
MIN_KEY_BITS = 2048
KEY_ID_LENGTH = 26
NOT_A_KEY = ("The private key must be an unencrypted RSA private key of at least "
             f"{MIN_KEY_BITS} bits in PEM format.")


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    created: datetime
    sealed: bytes


@dataclass(frozen=True)
class EncryptionSettings:
    mode: str
    keys: tuple[StoredKey, ...]


NONE = EncryptionSettings(ALLOWED, ())


def settings_key(provider_arn: str) -> str:
    return f"saml_provider_keys:{provider_arn}"


def associated_data(provider_arn: str, key_id: str) -> bytes:
    return f"iamd/saml-private-key/{provider_arn}/{key_id}".encode()


def key_id(key: rsa.RSAPrivateKey) -> str:
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b32encode(hashlib.sha256(public).digest()).decode()[:KEY_ID_LENGTH]


def parse_private_key(pem: str) -> rsa.RSAPrivateKey:
    """The RSA key of a PEM document; InvalidInput, never echoing it, otherwise."""
    try:
        key = serialization.load_pem_private_key(pem.strip().encode("utf-8"), password=None)
    except Exception:  # ValueError, TypeError, UnsupportedAlgorithm: all the same answer
        raise InvalidInput(NOT_A_KEY) from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_KEY_BITS:
        raise InvalidInput(NOT_A_KEY)
    return key


def load(tx: Transaction, provider_arn: str) -> EncryptionSettings:
    stored = tx.settings.get(settings_key(provider_arn))
    if stored is None:
        return NONE
    data = json.loads(stored)
    keys = tuple(StoredKey(str(k["id"]), datetime.fromisoformat(k["created"]),
                           bytes.fromhex(k["sealed"])) for k in data.get("keys", []))
    mode = data.get("mode", ALLOWED)
    return EncryptionSettings(mode if mode in MODES else ALLOWED, keys)


def save(tx: Transaction, provider_arn: str, settings: EncryptionSettings) -> None:
    if settings == NONE:
        tx.settings.delete(settings_key(provider_arn))
        return
    data = {"mode": settings.mode,
            "keys": [{"id": k.key_id, "created": k.created.isoformat(), "sealed": k.sealed.hex()}
                     for k in settings.keys]}
    tx.settings.set(settings_key(provider_arn), json.dumps(data, sort_keys=True))


def seal(runtime: Runtime, provider_arn: str, key: rsa.RSAPrivateKey,
         created: datetime) -> StoredKey:
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    identifier = key_id(key)
    sealed = runtime.secrets.encrypt(der, associated_data(provider_arn, identifier))
    return StoredKey(identifier, created, sealed)


def private_keys(runtime: Runtime, provider_arn: str,
                 settings: EncryptionSettings) -> list[rsa.RSAPrivateKey]:
    """The provider's keys, opened; newest first (the one an IdP most likely uses)."""
    keys: list[rsa.RSAPrivateKey] = []
    for stored in sorted(settings.keys, key=lambda k: k.created, reverse=True):
        der = runtime.secrets.decrypt(stored.sealed, associated_data(provider_arn, stored.key_id))
        # Checked when it was added; skip the slow consistency check on every use.
        key = serialization.load_der_private_key(der, password=None,
                                                 unsafe_skip_rsa_key_validation=True)
        if isinstance(key, rsa.RSAPrivateKey):
            keys.append(key)
    return keys
