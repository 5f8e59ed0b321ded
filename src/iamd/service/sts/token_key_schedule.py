"""Session token keys rotated on a schedule, by whichever node notices first.

Every node runs one `TokenKeySchedule` thread. It asks its `TokenKeys`
whether the newest key is older than the rotation period (`iamd serve
--token-key-rotation-days`): answered from memory while it is not, and in
one store transaction when it is, where at most one node adds the key (see
token_keys.py). The check also makes a node that missed another's rotation
load the new key, so every node signs with it within one interval; tokens
sealed under the previous key keep opening until they expire.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from iamd.service.sts.token_keys import TokenKeys

log = logging.getLogger(__name__)

DEFAULT_PERIOD_DAYS = 30.0
# How often a node looks: a tenth of the period, at most five minutes (a
# node learns of another's new key that fast), never busier than once a second.
_LONGEST_INTERVAL = 300.0
_SHORTEST_INTERVAL = 1.0


class TokenKeySchedule:
    def __init__(self, keys: TokenKeys, period: timedelta) -> None:
        self._keys = keys
        self.period = period
        self.interval = min(max(period.total_seconds() / 10, _SHORTEST_INTERVAL),
                            _LONGEST_INTERVAL)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.check()
        self._thread = threading.Thread(target=self._run, name="iamd-token-keys", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def check(self) -> None:
        """Rotate if due (never raises: a store that is down now is asked again later)."""
        try:
            made = self._keys.rotate_if_due(self.period)
        except Exception:
            log.exception("could not check the session token keys' age")
            return
        if made is not None:
            log.info("new session token key %d (rotated every %s)", made, self.period)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()
