"""Writing the audit trail: in a write's own transaction, or in batches.

A call that changes the store gets its event inserted in the same
transaction (`write`), so the change and its event commit or roll back
together. Everything else (reads, denials, failed calls, decisions of
`/_iamd/authorize`, console sign-ins) changed nothing, and is handed to
`later`: the request builds its event (mostly text written once and reused,
record.py) and appends it to a list, and a background thread stores those
events in one transaction per batch, every `interval` seconds and once more
at shutdown. So a read never becomes a store write. What a crash can lose
is docs/decisions.md's "Audit trail".

The same thread streams every stored event, committed writes included, as
one JSON line (CloudTrail's record) to the `--audit-log` file or stdout, and
deletes events older than the retention period once an hour.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import BinaryIO, Protocol

from iamd.service.audit.record import ApiCall, api_call_event
from iamd.store.audit_events import StoredEvent
from iamd.store.interface import Store, Transaction

log = logging.getLogger("iamd.audit")

DEFAULT_RETENTION_DAYS = 90
PRUNE_EVERY = 3600.0  # seconds
# Events waiting for the writer while the store refuses them: beyond this the
# oldest are dropped (and counted in the log) rather than exhausting memory.
MAX_PENDING = 100_000


# Why the request builds its own event rather than the writer: the writer
# would then hold the GIL for the whole of a batch's building, and every
# time the request loop let the GIL go (at each socket or database call) it
# waited up to the switch interval (5 ms) to have it back; yielding every
# few events instead cost more in hand-overs than the events did. Built in
# the request, an event costs the same and no request waits for another's
# (GetCallerIdentity over HTTP: p99 12 -> 5 ms at the same rate). The
# writer is left with the database work, which releases the GIL, its rows
# many to a statement.


class Deferred(Protocol):
    """Something that happened, as the request holds it, that builds its event
    (ApiCall, AuthorizeCall, SignIn)."""

    def event(self) -> StoredEvent: ...


class AuditTrail:
    def __init__(self, store: Store, *, retention_days: int = DEFAULT_RETENTION_DAYS,
                 stream: BinaryIO | None = None, interval: float = 1.0) -> None:
        self._store = store
        self.retention = timedelta(days=retention_days)
        self._stream = stream
        self._interval = interval
        self._pending: list[StoredEvent] = []
        self._committed: list[StoredEvent] = []  # stored with their write, not yet streamed
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_prune = 0.0
        self.dropped = 0

    # --- from requests ------------------------------------------------------
    def write(self, tx: Transaction, call: ApiCall) -> StoredEvent:
        """Store a write's event in the write's own transaction; it is
        streamed with the next batch once that transaction has committed."""
        event = api_call_event(call)
        tx.audit_events.insert([event])
        if self._stream is not None:
            tx.after_commit(lambda: self._streamed_later(event))
        return event

    def _streamed_later(self, event: StoredEvent) -> None:
        with self._lock:
            self._committed.append(event)

    def later(self, item: Deferred | StoredEvent) -> None:
        """An event of something that changed nothing: stored with the next batch."""
        try:
            event = item if isinstance(item, StoredEvent) else item.event()
        except Exception:  # a bug in building an event must not fail the request
            log.exception("could not build an audit event")
            return
        with self._lock:
            self._pending.append(event)
            if len(self._pending) > MAX_PENDING:
                del self._pending[0]
                self.dropped += 1

    # --- the background writer -----------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="iamd-audit", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def flush(self) -> None:
        """Store what is pending, stream it, prune when due (never raises)."""
        with self._flushing:
            with self._lock:
                pending, self._pending = self._pending, []
                committed, self._committed = self._committed, []
            events = pending
            if events:
                try:
                    with self._store.transaction() as tx:
                        tx.audit_events.insert(events)
                except Exception:
                    log.exception("could not store %d audit events; retrying", len(events))
                    with self._lock:
                        self._pending[:0] = events
                    events = []
            self._emit([*committed, *events])
            self._prune_when_due()

    def _emit(self, events: list[StoredEvent]) -> None:
        if self._stream is None or not events:
            return
        try:
            for event in sorted(events, key=lambda e: e.event_time):
                # One write a line: lines from several workers appending to one
                # file (O_APPEND) never interleave.
                self._stream.write(event.record.encode("utf-8") + b"\n")
            self._stream.flush()
        except Exception:
            log.exception("could not write the audit log")

    def _prune_when_due(self) -> None:
        now = time.monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY
        self.prune(datetime.now(UTC))

    def prune(self, now: datetime) -> int:
        """Delete the events older than the retention period; how many went."""
        cutoff = now - self.retention
        total = 0
        try:
            while True:
                with self._store.transaction() as tx:
                    count = tx.audit_events.prune(cutoff)
                total += count
                if count == 0:
                    break
        except Exception:
            log.exception("could not prune the audit trail")
        return total


def open_stream(target: str | None) -> BinaryIO | None:
    """The `--audit-log` stream: a file appended to (created 0600), `-` for stdout."""
    if not target:
        return None
    if target == "-":
        return os.fdopen(os.dup(1), "wb", buffering=0)
    descriptor = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    return os.fdopen(descriptor, "wb", buffering=0)
