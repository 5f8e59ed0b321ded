"""The console's own state in the store: sessions, failed sign-ins, spent tokens.

Sessions live server-side so that signing out ends them on every node and an
idle or too-old session can be refused. A row is found by the SHA-256 of the
cookie (the store never holds a usable session id) and its state is sealed
by the service layer before it gets here. Failed sign-ins are counted per
subject so that throttling holds across nodes. A spent token is remembered
until it expires, which makes "works once" one primary-key insert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from iamd.model.entities import ConsoleSessionRecord
from iamd.store import schema
from iamd.store.transaction import TransactionCore

_sessions = schema.console_sessions
_failures = schema.signin_failures
_spent = schema.spent_tokens


def _record(row: Any) -> ConsoleSessionRecord:
    m = row._mapping
    return ConsoleSessionRecord(id_hash=m["id_hash"], account_id=m["account_id"],
                                state=bytes(m["state"]), created=m["created"],
                                last_seen=m["last_seen"], expires=m["expires"])


class SqlConsoleSessions:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def insert(self, record: ConsoleSessionRecord) -> None:
        self._core.execute(_sessions.insert().values(
            id_hash=record.id_hash, account_id=record.account_id, state=record.state,
            created=record.created, last_seen=record.last_seen, expires=record.expires))

    def get(self, id_hash: str) -> ConsoleSessionRecord | None:
        row = self._core.execute(select(_sessions).where(_sessions.c.id_hash == id_hash)).first()
        return None if row is None else _record(row)

    def touch(self, id_hash: str, last_seen: datetime) -> None:
        self._core.execute(update(_sessions).where(_sessions.c.id_hash == id_hash)
                           .values(last_seen=last_seen))

    def replace_state(self, id_hash: str, state: bytes, expires: datetime) -> bool:
        result = self._core.execute(update(_sessions).where(_sessions.c.id_hash == id_hash)
                                    .values(state=state, expires=expires))
        return result.rowcount == 1

    def delete(self, id_hash: str) -> bool:
        result = self._core.execute(delete(_sessions).where(_sessions.c.id_hash == id_hash))
        return result.rowcount == 1

    def delete_expired(self, now: datetime) -> int:
        result = self._core.execute(delete(_sessions).where(_sessions.c.expires <= now))
        return int(result.rowcount)


class SqlSigninFailures:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def get(self, subject: str) -> tuple[int, datetime] | None:
        row = self._core.execute(select(_failures).where(_failures.c.subject == subject)).first()
        return None if row is None else (int(row.failures), row.last_failure)

    def record(self, subject: str, now: datetime) -> None:
        """One more failure, atomically (two nodes counting at once both count)."""
        self._core.insert_ignoring_duplicate(
            _failures, {"subject": subject, "failures": 0, "last_failure": now})
        self._core.execute(update(_failures).where(_failures.c.subject == subject).values(
            failures=_failures.c.failures + 1, last_failure=now))

    def clear(self, subject: str) -> None:
        self._core.execute(delete(_failures).where(_failures.c.subject == subject))


class SqlSpentTokens:
    def __init__(self, core: TransactionCore) -> None:
        self._core = core

    def spend(self, token_hash: str, expires: datetime, now: datetime) -> bool:
        """True the first time a token is spent, False ever after."""
        self._core.execute(delete(_spent).where(_spent.c.expires <= now))
        return self._core.insert_ignoring_duplicate(
            _spent, {"token_hash": token_hash, "expires": expires})
