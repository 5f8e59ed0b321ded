"""Short reads run on the event loop only when the store answers fast: always
on SQLite, on PostgreSQL when its measured round trip is under the threshold."""

from __future__ import annotations

from iamd.service.read_latency import FAST_ROUND_TRIP, reads_on_loop, round_trip
from iamd.service.runtime import Runtime


def test_the_runtime_decides_by_the_measured_round_trip(runtime: Runtime) -> None:
    seconds = round_trip(runtime.store, samples=5)
    assert 0 < seconds < 1
    if runtime.store.backend == "sqlite":
        # A local file: never measured, always on the loop.
        assert runtime.reads_on_loop and reads_on_loop(runtime.store, fast=0)
    else:
        # The test database is on this machine: far under the threshold.
        assert runtime.reads_on_loop and seconds < FAST_ROUND_TRIP
        # A database slower than the threshold sends reads to the thread pool.
        assert not reads_on_loop(runtime.store, fast=0)
