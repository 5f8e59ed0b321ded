"""Recording when access keys are used, off the request's hot path.

Requests only note the use in memory; a background thread writes the latest
use of each key every few seconds (and once more at shutdown), so a busy key
costs one write per interval instead of one per request. The service activity
the last accessed reports read (which principal last called which action) is
batched the same way.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from iamd.store.activity import ActivityNote
from iamd.store.interface import Store

log = logging.getLogger("iamd.usage")


class UsageRecorder:
    def __init__(self, store: Store, interval: float = 2.0) -> None:
        self._store = store
        self._interval = interval
        self._pending: dict[str, tuple[datetime, str, str]] = {}
        self._activity: dict[tuple[str, str, str], ActivityNote] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def note(self, access_key_id: str, when: datetime, service: str, region: str) -> None:
        with self._lock:
            self._pending[access_key_id] = (when, service, region)

    def note_activity(self, principal_arn: str, account_id: str, service: str, action: str,
                      region: str, when: datetime) -> None:
        note = ActivityNote(principal_arn, account_id, service, action, region, when)
        with self._lock:
            self._activity[(principal_arn, service, action)] = note

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="iamd-usage", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            activity, self._activity = self._activity, {}
        if activity:
            try:
                with self._store.transaction() as tx:
                    tx.service_activity.record(activity.values())
            except Exception:  # never let bookkeeping take the server down
                log.exception("could not record service activity")
        if not pending:
            return
        try:
            with self._store.transaction() as tx:
                for key_id, (when, service, region) in pending.items():
                    tx.access_keys.record_last_used(key_id, when, service, region)
        except Exception:  # never let bookkeeping take the server down
            log.exception("could not record access key use")
