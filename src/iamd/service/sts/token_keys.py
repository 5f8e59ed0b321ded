"""The keys that seal STS session tokens and authorization messages.

They live in the store's settings, each sealed by the master key under its
own id; the newest seals, all open, so a key can be added without cutting
short the sessions the others sealed. One `TokenKeys` per process, held by
the Runtime, keeps them unsealed behind its own lock; a key id it does not
know sends it back to the store once (another node may have rotated).

`rotate_if_due` adds a key when the newest is older than the rotation
period (token_key_schedule.py asks, on every node). It decides and writes
in one transaction, and writes only if the row still holds what it read, so
nodes that find the key due at once make one new key, not several, and
none overwrites another's. A key is dropped once its successor has signed
for longer than any token lives (36 hours, GetSessionToken's longest), so
every token stays good until it expires.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from iamd.store.interface import Store
from iamd.store.secrets import SecretBox

SETTINGS_KEY = "sts_token_keys"
# How long a key keeps opening after a newer one took over: the longest a
# token lives (GetSessionToken's 129,600 seconds), and an hour for clocks
# that disagree between nodes.
RETAINED = timedelta(seconds=129_600) + timedelta(hours=1)


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
        self._newest_created: datetime | None = None

    def ensure(self) -> None:
        """Make the first key if the store has none, then load them all (at
        start, and after the dev-mode reset emptied the store)."""
        with self._lock:
            with self._store.transaction() as tx:
                if not json.loads(tx.settings.get(SETTINGS_KEY) or "[]"):
                    tx.settings.set(SETTINGS_KEY, json.dumps([self._new_key()]))
            self._load()

    def rotate(self) -> int:
        """Add a new signing key now; the older ones keep opening what they sealed."""
        self._rotate(due=lambda newest: True, now=datetime.now(UTC))
        return self.signing()[0]

    def rotate_if_due(self, period: timedelta, now: datetime | None = None) -> int | None:
        """Add a new signing key if the newest is older than `period`, dropping
        keys no unexpired token can need; the new key's id, or None if none
        was due (or another node made it first)."""
        now = now or datetime.now(UTC)
        with self._lock:
            newest = self._newest_created
        if newest is not None and now - newest < period:
            return None  # as far as this process knows: no store access
        return self._rotate(due=lambda created: now - created >= period, now=now)

    def _rotate(self, due: Any, now: datetime) -> int | None:
        made: int | None = None
        # Not under this object's lock: a request that seals a token inside its
        # own write transaction (AssumeRole) takes that lock, and would wait
        # on this transaction while it waits on the request's.
        with self._store.transaction() as tx:
            text = tx.settings.get(SETTINGS_KEY) or "[]"
            stored = json.loads(text)
            if stored and due(_created(stored[-1])):
                kept = [entry for entry, successor in pairwise(stored)
                        if now - _created(successor) < RETAINED]
                fresh = self._new_key(now)
                # Written only if no other node changed the keys since we read them.
                if tx.sealed.replace_setting(SETTINGS_KEY, text,
                                             json.dumps([*kept, stored[-1], fresh])):
                    made = fresh["id"]
        with self._lock:
            self._load()
        return made

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

    def _new_key(self, now: datetime | None = None) -> dict[str, Any]:
        key_id = secrets.randbits(31)
        sealed = self._secrets.encrypt(os.urandom(32), associated_data(key_id))
        return {"id": key_id, "sealed": sealed.hex(),
                "created": (now or datetime.now(UTC)).isoformat()}

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
        self._newest_created = _created(stored[-1])


def _created(entry: dict[str, Any]) -> datetime:
    created = datetime.fromisoformat(entry["created"])
    return created if created.tzinfo else created.replace(tzinfo=UTC)
