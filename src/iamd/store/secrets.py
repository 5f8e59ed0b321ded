"""Sealing secrets at rest: AES-256-GCM under a master key kept outside the database.

Access key secrets must be recoverable (SigV4 verification needs them), so
they are encrypted, not hashed. A sealed value is one key-id byte, a 12-byte
random nonce and the ciphertext with its 16-byte tag. The key id is derived
from the master key, so a value sealed under another key is reported as such
instead of as a mere tag failure, and a future key rotation can keep old keys
by id. The caller's associated data (for access keys, the key id; see
`access_key_associated_data`) is authenticated with it: a ciphertext copied
into another row does not decrypt.

The master key comes from the environment (`IAMD_MASTER_KEY`, base64 of 32
bytes) or from `master.key` in the data directory, created on first use with
mode 0600; a key file that group or others can read is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import stat
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from iamd.model.errors import InternalError

MASTER_KEY_ENV: Final = "IAMD_MASTER_KEY"
MASTER_KEY_FILE: Final = "master.key"
KEY_SIZE: Final = 32
NONCE_SIZE: Final = 12
_HEADER_SIZE: Final = 1 + NONCE_SIZE
_TAG_SIZE: Final = 16


class MasterKeyError(InternalError):
    """The master key is missing, malformed or not kept private."""


class SecretDecryptionError(InternalError):
    """A sealed secret does not open: wrong key, wrong binding, or tampered with."""


def access_key_associated_data(access_key_id: str) -> bytes:
    """What an access key's secret is bound to: its own key id."""
    return b"iamd/access-key/" + access_key_id.encode("ascii")


def key_id_of(master_key: bytes) -> int:
    return hashlib.sha256(b"iamd master key id\x00" + master_key).digest()[0]


class SecretBox:
    """Seals and opens small secrets with AES-GCM under the master key."""

    def __init__(self, master_key: bytes) -> None:
        if len(master_key) != KEY_SIZE:
            raise MasterKeyError(f"master key must be {KEY_SIZE} bytes, not {len(master_key)}")
        self._key_id = key_id_of(master_key)
        self._aead = AESGCM(master_key)

    @classmethod
    def load(cls, data_dir: Path, environ: Mapping[str, str] | None = None) -> SecretBox:
        """The box for the master key in the environment, else in `data_dir`."""
        environ = os.environ if environ is None else environ
        encoded = environ.get(MASTER_KEY_ENV)
        if encoded is not None:
            return cls(_decode(encoded.strip(), f"${MASTER_KEY_ENV}"))
        return cls(load_or_create_key_file(data_dir / MASTER_KEY_FILE))

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> bytes:
        header = bytes([self._key_id]) + secrets.token_bytes(NONCE_SIZE)
        return header + self._aead.encrypt(header[1:], plaintext, header[:1] + associated_data)

    def decrypt(self, sealed: bytes, associated_data: bytes) -> bytes:
        if len(sealed) < _HEADER_SIZE + _TAG_SIZE:
            raise SecretDecryptionError("sealed secret is too short")
        if sealed[0] != self._key_id:
            raise SecretDecryptionError(
                f"secret was sealed under another master key (key id {sealed[0]}, "
                f"this key's id is {self._key_id})")
        try:
            return self._aead.decrypt(sealed[1:_HEADER_SIZE], sealed[_HEADER_SIZE:],
                                      sealed[:1] + associated_data)
        except InvalidTag:
            raise SecretDecryptionError(
                "sealed secret does not authenticate: altered, or bound to other data") from None


def _decode(encoded: str, where: str) -> bytes:
    try:
        key = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (ValueError, binascii.Error):
        try:
            key = base64.urlsafe_b64decode(encoded.encode("ascii"))
        except (ValueError, binascii.Error):
            raise MasterKeyError(f"master key in {where} is not base64") from None
    if len(key) != KEY_SIZE:
        raise MasterKeyError(
            f"master key in {where} must be {KEY_SIZE} bytes of base64, not {len(key)} bytes")
    return key


def load_or_create_key_file(path: Path) -> bytes:
    """Read the key file, creating it (0600, atomically) if it does not exist."""
    try:
        if not path.exists():
            _create_key_file(path)
        info = path.stat()
        text = path.read_text("ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise MasterKeyError(f"cannot read or create master key file {path}: {exc}") from exc
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise MasterKeyError(
            f"master key file {path} is accessible to group or others "
            f"(mode {stat.S_IMODE(info.st_mode):04o}); run: chmod 600 {path}")
    return _decode(text.strip(), str(path))


def _create_key_file(path: Path) -> None:
    encoded = base64.b64encode(secrets.token_bytes(KEY_SIZE)) + b"\n"
    # Write a private temporary file completely, then link it into place:
    # a concurrent first start either wins the link or reads the winner's
    # whole key, never half a file.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(encoded)
            file.flush()
            os.fsync(file.fileno())
        with suppress(FileExistsError):  # another process made the key first: use theirs
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
