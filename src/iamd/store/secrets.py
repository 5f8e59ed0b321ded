"""Sealing secrets at rest: AES-256-GCM under a master key kept outside the database.

Access key secrets must be recoverable (SigV4 verification needs them), so
they are encrypted, not hashed. A sealed value is one key-id byte, a 12-byte
random nonce and the ciphertext with its 16-byte tag. The key id is derived
from the master key, so a value sealed under another key is reported as such
instead of as a mere tag failure, and a box holding several keys (during a
rotation) opens each value with the key it names. The caller's associated data (for access keys, the key id; see
`access_key_associated_data`) is authenticated with it: a ciphertext copied
into another row does not decrypt.

The master key comes from the environment (`IAMD_MASTER_KEY`, base64 of 32
bytes) or from `master.key` in the data directory, created on first use with
mode 0600; a key file that group or others can read is refused. Either may
hold a ring of keys (`MasterKeys`): the first seals, each opens what it
sealed, found by the key id every sealed value starts with.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import secrets
import stat
import threading
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
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

_log = logging.getLogger(__name__)


class MasterKeyError(InternalError):
    """The master key is missing, malformed or not kept private."""


class SecretDecryptionError(InternalError):
    """A sealed secret does not open: wrong key, wrong binding, or tampered with."""


def access_key_associated_data(access_key_id: str) -> bytes:
    """What an access key's secret is bound to: its own key id."""
    return b"iamd/access-key/" + access_key_id.encode("ascii")


def key_id_of(master_key: bytes) -> int:
    return hashlib.sha256(b"iamd master key id\x00" + master_key).digest()[0]


@dataclass(frozen=True)
class MasterKeys:
    """A key ring: the first key seals, every key opens what it sealed.

    Written as one base64 key a line (the key file) or separated by commas
    ($IAMD_MASTER_KEY). A ring holds more than one key only while a rotation
    re-seals (`iamd keys rotate-master`): the old key keeps opening what it
    sealed until nothing sealed by it is left.
    """

    keys: tuple[bytes, ...]
    where: str

    @classmethod
    def parse(cls, text: str, where: str) -> MasterKeys:
        words = text.replace(",", " ").split()
        if not words:
            raise MasterKeyError(f"no master key in {where}")
        keys = tuple(_decode(word, where) for word in words)
        ids = [key_id_of(key) for key in keys]
        if len(set(ids)) != len(ids):
            raise MasterKeyError(f"two master keys in {where} share a key id: keep one of them")
        return cls(keys, where)

    @property
    def sealing(self) -> bytes:
        return self.keys[0]

    @property
    def ids(self) -> frozenset[int]:
        return frozenset(key_id_of(key) for key in self.keys)

    @property
    def ids_text(self) -> str:
        return ", ".join(str(key_id_of(key)) for key in self.keys)

    @property
    def text(self) -> str:
        """The key file's content: one key a line, the sealing key first."""
        return "".join(base64.b64encode(key).decode("ascii") + "\n" for key in self.keys)


@dataclass(frozen=True)
class _Ring:
    sealing_id: int
    sealing: AESGCM
    by_id: dict[int, AESGCM]


def _ring_of(keys: MasterKeys) -> _Ring:
    by_id = {key_id_of(key): AESGCM(key) for key in keys.keys}
    return _Ring(key_id_of(keys.sealing), by_id[key_id_of(keys.sealing)], by_id)


class SecretBox:
    """Seals and opens small secrets with AES-GCM under the master key ring.

    A box loaded from a key file follows the file: when it changes (a
    rotation wrote a new ring), the next seal uses its new first key, and a
    value sealed under a key id this box does not hold sends it back to the
    file once, so a running server takes a new key without a restart.
    """

    def __init__(self, master_key: bytes, *older: bytes, source: Path | None = None) -> None:
        for key in (master_key, *older):
            if len(key) != KEY_SIZE:
                raise MasterKeyError(f"master key must be {KEY_SIZE} bytes, not {len(key)}")
        if len({key_id_of(key) for key in (master_key, *older)}) != 1 + len(older):
            raise MasterKeyError("two master keys share a key id: keep one of them")
        self._ring = _ring_of(MasterKeys((master_key, *older), "the keys given"))
        self._source = source
        self._stamp = _stamp_of(source) if source is not None else None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, keys: MasterKeys, source: Path | None = None) -> SecretBox:
        return cls(*keys.keys, source=source)

    @classmethod
    def load(cls, data_dir: Path, environ: Mapping[str, str] | None = None) -> SecretBox:
        """The box for the master keys in the environment, else in `data_dir`'s
        key file (made on first use)."""
        environ = os.environ if environ is None else environ
        if environ.get(MASTER_KEY_ENV) is not None:
            return cls.of(current_master_keys(data_dir, environ))
        path = data_dir / MASTER_KEY_FILE
        try:
            if not path.exists():
                _create_key_file(path)
        except OSError as exc:
            raise MasterKeyError(f"cannot read or create master key file {path}: {exc}") from exc
        return cls.of(current_master_keys(data_dir, environ), source=path)

    @property
    def sealing_key_id(self) -> int:
        self._follow_source()
        return self._ring.sealing_id

    @property
    def key_ids(self) -> list[int]:
        """The ids of every key this box opens with."""
        self._follow_source()
        return sorted(self._ring.by_id)

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> bytes:
        self._follow_source()
        ring = self._ring
        header = bytes([ring.sealing_id]) + secrets.token_bytes(NONCE_SIZE)
        return header + ring.sealing.encrypt(header[1:], plaintext, header[:1] + associated_data)

    def decrypt(self, sealed: bytes, associated_data: bytes) -> bytes:
        if len(sealed) < _HEADER_SIZE + _TAG_SIZE:
            raise SecretDecryptionError("sealed secret is too short")
        aead = self._ring.by_id.get(sealed[0])
        if aead is None:
            self._follow_source()  # a rotation elsewhere may have sealed it under a new key
            aead = self._ring.by_id.get(sealed[0])
        if aead is None:
            raise SecretDecryptionError(
                f"secret was sealed under another master key (key id {sealed[0]}, "
                f"this server's key ids are {', '.join(map(str, sorted(self._ring.by_id)))})")
        try:
            return aead.decrypt(sealed[1:_HEADER_SIZE], sealed[_HEADER_SIZE:],
                                sealed[:1] + associated_data)
        except InvalidTag:
            raise SecretDecryptionError(
                "sealed secret does not authenticate: altered, or bound to other data") from None

    def _follow_source(self) -> None:
        # One stat a seal: seals are rare (a new key, session or device), and
        # this is what lets every process sharing the file switch keys at once.
        if self._source is None or _stamp_of(self._source) == self._stamp:
            return
        with self._lock:
            stamp = _stamp_of(self._source)
            if stamp == self._stamp:
                return
            try:
                keys = MasterKeys.parse(read_key_file(self._source), str(self._source))
            except (MasterKeyError, OSError) as error:
                # Keep sealing under the keys this box holds: every one of
                # them still opens, and the file is written whole or not at all.
                _log.warning("master key file %s not reloaded: %s", self._source, error)
                return
            ring = _ring_of(keys)
            # Keys dropped from the file stay readable here: a value another
            # process sealed a moment before the change must still open.
            self._ring = _Ring(ring.sealing_id, ring.sealing, {**self._ring.by_id, **ring.by_id})
            self._stamp = stamp


def _stamp_of(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def current_master_keys(data_dir: Path, environ: Mapping[str, str] | None = None) -> MasterKeys:
    """The keys a server on `data_dir` runs with: $IAMD_MASTER_KEY, else the key
    file (FileNotFoundError if there is none; nothing is made)."""
    environ = os.environ if environ is None else environ
    encoded = environ.get(MASTER_KEY_ENV)
    if encoded is not None:
        return MasterKeys.parse(encoded, f"${MASTER_KEY_ENV}")
    path = data_dir / MASTER_KEY_FILE
    if not path.exists():
        raise FileNotFoundError(path)
    return MasterKeys.parse(read_key_file(path), str(path))


def read_key_file(path: Path) -> str:
    """A key file's text, refused if group or others can read it."""
    try:
        info = path.stat()
        text = path.read_text("ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise MasterKeyError(f"cannot read master key file {path}: {exc}") from exc
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise MasterKeyError(
            f"master key file {path} is accessible to group or others "
            f"(mode {stat.S_IMODE(info.st_mode):04o}); run: chmod 600 {path}")
    return text


def write_key_file(path: Path, text: str) -> None:
    """Write a key file whole (0600, synced) in place of any before it."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)  # readers see the old ring or the new, never half
            _sync_directory(path.parent)
        finally:
            temporary.unlink(missing_ok=True)
    except OSError as error:
        raise MasterKeyError(f"cannot write master key file {path}: {error.strerror}") from None


def _sync_directory(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
