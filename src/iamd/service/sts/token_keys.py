"""The keys that seal STS session tokens and authorization messages.

They live in the store's settings, each sealed by the master key under its
own id; the newest seals, all open, so a key can be added without cutting
short the sessions the others sealed. One `TokenKeys` per process, held by
the Runtime, keeps them unsealed behind its own lock; a key id it does not
know sends it back to the store once (another node may have rotated).
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from datetime import UTC, datetime
from typing import Any

from iamd.store.interface import Store
from iamd.store.secrets import SecretBox

SETTINGS_KEY = "sts_token_keys"


class NoTokenKeys(Exception):
    """The store has no token keys: the server was not started properly."""


def associated_data(key_id: int) -> bytes:
    return f"iamd-sts-token-key:{key_id}".encode()


class TokenKeys:
    def __init__(self, store: Store, secrets_box: SecretBox) -> None:
        self._store = store
        self._secrets = secrets_box
        self._lock = threading.Lock()
        self._keys: dict[int, bytes] = {}
        self._signing: int | None = None

    def ensure(self) -> None:
        """Make the first key if the store has none, then load them all (at
        start, and after the dev-mode reset emptied the store)."""
        with self._lock:
            with self._store.transaction() as tx:
                if not json.loads(tx.settings.get(SETTINGS_KEY) or "[]"):
                    tx.settings.set(SETTINGS_KEY, json.dumps([self._new_key()]))
            self._load()

    def rotate(self) -> int:
        """Add a new signing key; the older ones keep opening what they sealed."""
        with self._lock:
            with self._store.transaction() as tx:
                stored = json.loads(tx.settings.get(SETTINGS_KEY) or "[]")
                stored.append(self._new_key())
                tx.settings.set(SETTINGS_KEY, json.dumps(stored))
            self._load()
            key_id: int = stored[-1]["id"]
            return key_id

    def signing(self) -> tuple[int, bytes]:
        """The id and key that seal new tokens."""
        with self._lock:
            if self._signing is None:
                self._load()
            assert self._signing is not None
            return self._signing, self._keys[self._signing]

    def opening(self, key_id: int) -> bytes | None:
        """The key with this id, looked up in the store again if this process
        does not know it; None if there is none."""
        found = self._keys.get(key_id)
        if found is None:
            with self._lock:
                self._load()
                found = self._keys.get(key_id)
        return found

    def _new_key(self) -> dict[str, Any]:
        key_id = secrets.randbits(31)
        sealed = self._secrets.encrypt(os.urandom(32), associated_data(key_id))
        return {"id": key_id, "sealed": sealed.hex(), "created": datetime.now(UTC).isoformat()}

    def _load(self) -> None:
        # Read-only: this may run while a request's own write transaction is open.
        with self._store.transaction(read_only=True) as tx:
            stored = json.loads(tx.settings.get(SETTINGS_KEY) or "[]")
        if not stored:
            raise NoTokenKeys("no token keys: the server was not started properly")
        self._keys = {entry["id"]: self._secrets.decrypt(bytes.fromhex(entry["sealed"]),
                                                         associated_data(entry["id"]))
                      for entry in stored}
        self._signing = stored[-1]["id"]
