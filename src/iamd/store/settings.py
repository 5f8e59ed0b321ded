"""Server-wide settings: a small key/value table for iamd's own state.

For things every node must agree on and that are not IAM entities, such as
the key ids of the server's token-signing keys. Values are text; callers
encode anything else (base64 for bytes, JSON for structures).
"""

from __future__ import annotations

from sqlalchemy import Integer, Text, bindparam, cast, delete, select, update

from iamd.store import schema
from iamd.store.transaction import TransactionCore

_settings = schema.settings
# Every authorized call reads the authorization generation: built once, compiled once.
_GET = select(_settings.c.value).where(_settings.c.key == bindparam("key"))
# Every write that changes a row moves the authorization generation on: built
# once, compiled once.
_INCREMENT = update(_settings).where(_settings.c.key == bindparam("key")).values(
    value=cast(cast(_settings.c.value, Integer) + 1, Text))


class SqlSettings:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def get(self, key: str) -> str | None:
        row = self._core.first(_GET, {"key": key})
        return None if row is None else str(row.value)

    def set(self, key: str, value: str) -> None:
        self._core.upsert(_settings, {"key": key, "value": value}, update=("value",))

    def set_if_absent(self, key: str, value: str) -> str:
        """Store `value` unless the key has one; return the value that is stored.

        For first-start bootstrap (a signing key, say) on several nodes at
        once: every node ends up with the one value that won.
        """
        self._core.insert_ignoring_duplicate(_settings, {"key": key, "value": value})
        stored = self.get(key)
        assert stored is not None
        return stored

    def increment(self, key: str) -> None:
        """Add one to an integer setting (absent counts as 0), atomically: two
        writers incrementing at once end two higher, on PostgreSQL too, where
        a read-then-write at READ COMMITTED would let both write the same value."""
        # The UPDATE waits for a concurrent writer's row lock, then adds to
        # the value that writer committed.
        if self._core.write(_INCREMENT, {"key": key}) == 0:
            self._core.insert_ignoring_duplicate(_settings, {"key": key, "value": "0"})
            self._core.write(_INCREMENT, {"key": key})

    def delete(self, key: str) -> bool:
        result = self._core.execute(delete(_settings).where(_settings.c.key == key))
        return result.rowcount == 1
