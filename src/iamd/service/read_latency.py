"""Whether the store answers reads fast enough to wait for them on the event loop.

A thread hop costs more than a short read's own work, and worker threads
contend for the GIL with the loop that serves the sockets: answered on the
loop, a signed read over HTTP costs about two thirds of what it costs in the
thread pool (bench/http_throughput.py, PostgreSQL on the same machine:
GetCallerIdentity 1,450 -> 2,230/s, GetUser 830 -> 1,140/s). But the loop
serves nothing else while a read waits for its database, where requests in
the pool wait side by side: with a database a millisecond away, a read of
three queries would hold every other request for three milliseconds.

SQLite is a local file (and a read never waits for a lock under the
write-ahead log): always fast. PostgreSQL's round trip is measured once, at
start-up, before anything else runs (a measurement under load would count
the time spent waiting for the GIL): under `FAST_ROUND_TRIP` the short reads
run on the loop.
"""

from __future__ import annotations

import logging
import statistics
import time

from iamd.service.permissions import generation
from iamd.store.interface import Store

log = logging.getLogger("iamd.store")

FAST_ROUND_TRIP = 0.0005  # seconds: a database on this machine or right beside it
SAMPLES = 15


def round_trip(store: Store, samples: int = SAMPLES) -> float:
    """The median time of a read-only transaction of one small read, in seconds."""
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        with store.transaction(read_only=True) as tx:
            generation(tx)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def reads_on_loop(store: Store, fast: float = FAST_ROUND_TRIP) -> bool:
    """Whether short reads should be answered on the event loop."""
    if store.backend == "sqlite":
        return True
    seconds = round_trip(store)
    log.info("a read of the database takes %.2f ms: short reads are answered %s", seconds * 1000,
             "on the event loop" if seconds < fast else "in the thread pool")
    return seconds < fast
