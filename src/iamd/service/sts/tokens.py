"""Session tokens: self-contained, encrypted and authenticated, verifiable by any node.

A token is `IQoJ` (a marker) followed by base64url of: a version byte, the
4-byte id of the key that sealed it, a 12-byte nonce, and the AES-GCM
ciphertext of the zlib-compressed JSON claims. The claims carry everything a
temporary credential means: its access key id and secret, the principal,
expiry, session policies and tags. The temporary access key id is bound as
associated data, so a token cannot be replayed under another key id.

Token keys live in the store's settings, sealed by the master key; the
newest signs, all verify, so keys can rotate without cutting sessions short.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import struct
import threading
import zlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from iamd.service.runtime import Runtime

MARKER = "IQoJ"
VERSION = 1
SETTINGS_KEY = "sts_token_keys"
_lock = threading.Lock()


@dataclass(frozen=True)
class SessionClaims:
    access_key_id: str
    secret_access_key: str
    account_id: str
    kind: str  # "assumed-role", "federated-user" or "user" (GetSessionToken)
    arn: str
    user_id: str  # aws:userid of the session
    principal_id: str  # the role id (AROA...) or user id (AIDA...)
    issued: str  # ISO 8601
    expires: str
    session_name: str = ""
    policies: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    transitive_tag_keys: list[str] = field(default_factory=list)
    source_identity: str | None = None
    mfa_authenticated: bool = False
    mfa_time: str | None = None  # ISO 8601: when the MFA code was checked, if not at issue
    chained: bool = False
    federated_provider: str | None = None  # the OIDC or SAML provider's ARN
    root: bool = False  # GetSessionToken called by the root user

    @property
    def expires_at(self) -> datetime:
        return datetime.fromisoformat(self.expires)

    @property
    def issued_at(self) -> datetime:
        return datetime.fromisoformat(self.issued)


class TokenInvalid(Exception):
    """The token does not open: forged, corrupted, or sealed by an unknown key."""


def ensure_token_keys(runtime: Runtime) -> None:
    """At start: make the first token key if the store has none, and load them all."""
    with _lock, runtime.store.transaction() as tx:
        if not json.loads(tx.settings.get(SETTINGS_KEY) or "[]"):
            tx.settings.set(SETTINGS_KEY, json.dumps([_new_key(runtime)]))
    _keys(runtime, refresh=True)


def _new_key(runtime: Runtime) -> dict[str, Any]:
    key_id = secrets.randbits(31)
    sealed = runtime.secrets.encrypt(os.urandom(32), _key_aad(key_id))
    return {"id": key_id, "sealed": sealed.hex(), "created": datetime.now(UTC).isoformat()}


def _keys(runtime: Runtime, refresh: bool = False) -> dict[int, bytes]:
    if runtime.token_keys is not None and not refresh:
        return runtime.token_keys
    # Read-only: this may run while the request's own write transaction is open.
    with runtime.store.transaction(read_only=True) as tx:
        stored = json.loads(tx.settings.get(SETTINGS_KEY) or "[]")
    if not stored:
        raise TokenInvalid("no token keys: the server was not started properly")
    keys = {entry["id"]: runtime.secrets.decrypt(bytes.fromhex(entry["sealed"]), _key_aad(entry["id"]))
            for entry in stored}
    runtime.token_keys = keys
    runtime.token_signing_key = stored[-1]["id"]
    return keys


def _key_aad(key_id: int) -> bytes:
    return f"iamd-sts-token-key:{key_id}".encode()


def rotate_keys(runtime: Runtime) -> int:
    """Add a new signing key; older keys keep verifying tokens they sealed."""
    with _lock, runtime.store.transaction() as tx:
        stored = json.loads(tx.settings.get(SETTINGS_KEY) or "[]")
        stored.append(_new_key(runtime))
        tx.settings.set(SETTINGS_KEY, json.dumps(stored))
    _keys(runtime, refresh=True)
    key_id: int = stored[-1]["id"]
    return key_id


def seal(runtime: Runtime, claims: SessionClaims) -> str:
    keys = _keys(runtime)
    key_id = runtime.token_signing_key
    assert key_id is not None
    payload = zlib.compress(json.dumps(asdict(claims), separators=(",", ":")).encode(), 9)
    nonce = os.urandom(12)
    sealed = AESGCM(keys[key_id]).encrypt(nonce, payload, claims.access_key_id.encode())
    blob = struct.pack(">BI", VERSION, key_id) + nonce + sealed
    return MARKER + base64.urlsafe_b64encode(blob).decode().rstrip("=")


def packed_size(claims: SessionClaims) -> int:
    """How much of the token the session policies and tags take, compressed, in bytes."""
    packed = json.dumps({"p": claims.policies, "t": claims.tags,
                         "k": claims.transitive_tag_keys}, separators=(",", ":"))
    return len(zlib.compress(packed.encode(), 9))


def unseal(runtime: Runtime, token: str, access_key_id: str) -> SessionClaims:
    if not token.startswith(MARKER):
        raise TokenInvalid("not an iamd session token")
    try:
        text = token[len(MARKER):]
        blob = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        version, key_id = struct.unpack(">BI", blob[:5])
    except (ValueError, struct.error) as exc:
        raise TokenInvalid("malformed token") from exc
    if version != VERSION:
        raise TokenInvalid("unknown token version")
    keys = _keys(runtime)
    if key_id not in keys:
        keys = _keys(runtime, refresh=True)  # another node may have rotated
        if key_id not in keys:
            raise TokenInvalid("unknown token key")
    try:
        payload = AESGCM(keys[key_id]).decrypt(blob[5:17], blob[17:], access_key_id.encode())
        data: dict[str, Any] = json.loads(zlib.decompress(payload))
    except (InvalidTag, ValueError, zlib.error) as exc:
        raise TokenInvalid("token does not open") from exc
    return SessionClaims(**data)
