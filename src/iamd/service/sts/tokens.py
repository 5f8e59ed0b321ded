"""Session tokens: self-contained, encrypted and authenticated, verifiable by any node.

A token is `IQoJ` (a marker) followed by base64url of: a version byte, the
4-byte id of the key that sealed it, a 12-byte nonce, and the AES-GCM
ciphertext of the zlib-compressed JSON claims. The claims carry everything a
temporary credential means: its access key id and secret, the principal,
expiry, session policies and tags. The temporary access key id is bound as
associated data, so a token cannot be replayed under another key id.

The keys are sts/token_keys.py's: the newest seals, all open, so keys can
rotate without cutting sessions short.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import zlib
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from iamd.service.runtime import Runtime
from iamd.service.sts.token_keys import NoTokenKeys

MARKER = "IQoJ"
VERSION = 1


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


def seal(runtime: Runtime, claims: SessionClaims) -> str:
    key_id, key = runtime.token_keys.signing()
    payload = zlib.compress(json.dumps(asdict(claims), separators=(",", ":")).encode(), 9)
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, payload, claims.access_key_id.encode())
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
    try:
        key = runtime.token_keys.opening(key_id)
    except NoTokenKeys as exc:
        raise TokenInvalid(str(exc)) from None
    if key is None:
        raise TokenInvalid("unknown token key")
    try:
        payload = AESGCM(key).decrypt(blob[5:17], blob[17:], access_key_id.encode())
        data: dict[str, Any] = json.loads(zlib.decompress(payload))
    except (InvalidTag, ValueError, zlib.error) as exc:
        raise TokenInvalid("token does not open") from exc
    return SessionClaims(**data)
