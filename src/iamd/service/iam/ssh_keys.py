"""SSH public keys: UploadSSHPublicKey, GetSSHPublicKey, ListSSHPublicKeys,
UpdateSSHPublicKey, DeleteSSHPublicKey.

AWS takes RSA keys of at least 2048 bits, "encoded in ssh-rsa format or PEM
format" (the API reference): an OpenSSH line (`ssh-rsa AAAA... comment`) or a
PEM public key (SubjectPublicKeyInfo or PKCS#1). Anything else, including
ECDSA and Ed25519 keys, is an encoding IAM does not recognize. The
fingerprint is the MD5 digest of the key's SSH wire blob in colon-separated
hex, the same for both encodings of one key, so a key uploaded twice to a
user is found whatever its spelling. A user holds at most five keys; ids are
APKA and 16 characters.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from iamd.model.entities import SSHPublicKey, User
from iamd.model.errors import (
    DuplicateSSHPublicKey,
    InvalidPublicKey,
    LimitExceeded,
    NoSuchEntity,
    NoSuchSSHPublicKey,
    UnrecognizedPublicKeyEncoding,
)
from iamd.service import ids
from iamd.service.context import OperationContext
from iamd.service.iam.common import list_result, page_args
from iamd.service.iam.signing_certificates import checked_status
from iamd.service.iam.users import target_user
from iamd.service.lookup import USER, find
from iamd.service.registry import Params, operation

MAX_KEYS_PER_USER = 5  # IAM's SSHPublicKeysPerUser quota
MIN_RSA_BITS = 2048
SSH_KEY_PREFIX = "APKA"


def _is_pem(body: str) -> bool:
    return body.lstrip().startswith("-----BEGIN")


def parse_public_key(body: str) -> rsa.RSAPublicKey:
    data = body.strip().encode("latin-1", errors="replace")
    try:
        key = (serialization.load_pem_public_key(data) if _is_pem(body)
               else serialization.load_ssh_public_key(data))
    except (ValueError, UnsupportedAlgorithm):
        raise UnrecognizedPublicKeyEncoding("Invalid public key uploaded.") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise UnrecognizedPublicKeyEncoding("Invalid public key uploaded.")
    if key.key_size < MIN_RSA_BITS:
        raise InvalidPublicKey(f"The public key must be at least {MIN_RSA_BITS} bits long.")
    return key


def openssh_line(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.OpenSSH,
                            serialization.PublicFormat.OpenSSH).decode("ascii")


def pem_text(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def fingerprint(key: rsa.RSAPublicKey) -> str:
    blob = base64.b64decode(openssh_line(key).split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def not_found(key_id: str) -> NoSuchEntity:
    return NoSuchSSHPublicKey(key_id=key_id)


def _key_or_fail(ctx: OperationContext, params: Params) -> tuple[User, SSHPublicKey]:
    user = find(ctx, USER, params["UserName"])
    key = ctx.tx.ssh_public_keys.get(params["SSHPublicKeyId"])
    if key is None or key.user_id != user.id:
        raise not_found(params["SSHPublicKeyId"])
    return user, key


def key_shape(user: User, key: SSHPublicKey, body: str | None = None) -> dict[str, Any]:
    return {"UserName": user.name, "SSHPublicKeyId": key.id, "Fingerprint": key.fingerprint,
            "SSHPublicKeyBody": key.body if body is None else body, "Status": key.status,
            "UploadDate": key.uploaded}


def metadata_shape(user: User, key: SSHPublicKey) -> dict[str, Any]:
    return {"UserName": user.name, "SSHPublicKeyId": key.id, "Status": key.status,
            "UploadDate": key.uploaded}


@operation("iam", "UploadSSHPublicKey")
def upload_ssh_public_key(ctx: OperationContext, params: Params) -> dict[str, Any]:
    # Locked: the count and the duplicate check hold until the insert commits.
    user = find(ctx, USER, params["UserName"], for_update=True)
    body: str = params["SSHPublicKeyBody"]
    public_key = parse_public_key(body)
    digest = fingerprint(public_key)
    existing = ctx.tx.ssh_public_keys.list_for_user(user.id)
    if any(other.fingerprint == digest for other in existing):
        raise DuplicateSSHPublicKey("The SSH public key is already associated with this user.")
    if len(existing) >= MAX_KEYS_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for SSHPublicKeysPerUser: {MAX_KEYS_PER_USER}")
    key = SSHPublicKey(id=ids.access_key_id(SSH_KEY_PREFIX), user_id=user.id,
                       account_id=ctx.account_id, body=body.strip(), fingerprint=digest,
                       status="Active", uploaded=ctx.info.now)
    ctx.tx.ssh_public_keys.insert(key)
    return {"SSHPublicKey": key_shape(user, key)}


@operation("iam", "GetSSHPublicKey", read_only=True)
def get_ssh_public_key(ctx: OperationContext, params: Params) -> dict[str, Any]:
    user, key = _key_or_fail(ctx, params)
    wants_pem = params["Encoding"] == "PEM"
    if wants_pem == _is_pem(key.body):
        return {"SSHPublicKey": key_shape(user, key)}
    public_key = parse_public_key(key.body)
    body = pem_text(public_key) if wants_pem else openssh_line(public_key)
    return {"SSHPublicKey": key_shape(user, key, body)}


@operation("iam", "ListSSHPublicKeys", read_only=True)
def list_ssh_public_keys(ctx: OperationContext, params: Params) -> dict[str, Any]:
    # UserName may be left out (the caller's own keys), unlike the other four.
    user = target_user(ctx, params)
    marker, limit = page_args(params)
    return list_result(ctx.tx.ssh_public_keys.list_for_user(user.id), "SSHPublicKeys",
                       lambda k: metadata_shape(user, k), marker, limit,
                       key=lambda k: f"{k.uploaded.isoformat()}/{k.id}")


@operation("iam", "UpdateSSHPublicKey")
def update_ssh_public_key(ctx: OperationContext, params: Params) -> None:
    _, key = _key_or_fail(ctx, params)
    ctx.tx.ssh_public_keys.update_status(key.id, checked_status(params["Status"]))


@operation("iam", "DeleteSSHPublicKey")
def delete_ssh_public_key(ctx: OperationContext, params: Params) -> None:
    _, key = _key_or_fail(ctx, params)
    ctx.tx.ssh_public_keys.delete(key.id)
