"""What iamd counts for Prometheus, and the text a scrape reads.

The metrics are prometheus_client's, one set per process (module level, as
the library intends). Their labels are bounded: an operation is named only
when iamd knows it (anything a client makes up is `unknown`), a status is an
HTTP code, a decision one of three words. Hot paths touch prebound
children from small dictionaries, not `labels()` (which takes a lock and
builds a key each time).

Under `iamd serve --workers N` every worker writes its values to files in
one directory (prometheus_client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR,
set by `iamd serve` before the workers start), and `exposition()` adds them
up: a scrape of any worker, or of the supervisor's --metrics-port, reads the
totals of all of them.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter("iamd_requests", "API requests answered, by service, operation and status",
                   ["service", "operation", "status"])
LATENCY = Histogram("iamd_request_duration_seconds",
                    "Time to answer an API request, from its body read to its answer",
                    ["service", "operation"],
                    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                             1.0, 2.5, 5.0, 10.0))
DECISIONS = Counter("iamd_authorization_decisions",
                    "Policy decisions (iamd's own calls and /_iamd/authorize), by outcome",
                    ["decision"])
SIGNINS = Counter("iamd_console_signins", "Console sign-in attempts, by outcome", ["outcome"])
STORE_ERRORS = Counter("iamd_store_errors",
                       "Storage failures: retried lock contention and errors that failed a request",
                       ["error"])
CACHE_LOOKUPS = Counter("iamd_cache_lookups", "Lookups in iamd's caches, by cache and result",
                        ["cache", "result"])
RATE_LIMITED = Counter("iamd_rate_limited_requests",
                       "Requests refused with Throttling by the rate limits, by what was limited",
                       ["limit"])

_requests: dict[tuple[str, str, int], tuple[Any, Any]] = {}
_decisions: dict[str, Any] = {}
_cache_hits: dict[str, Any] = {}
_cache_misses: dict[str, Any] = {}


def count_request(service: str, operation: str, status: int, seconds: float) -> None:
    children = _requests.get((service, operation, status))
    if children is None:
        children = (REQUESTS.labels(service, operation, str(status)),
                    LATENCY.labels(service, operation))
        _requests[(service, operation, status)] = children
    children[0].inc()
    children[1].observe(seconds)


def count_decision(decision: str) -> None:
    child = _decisions.get(decision)
    if child is None:
        child = _decisions[decision] = DECISIONS.labels(decision)
    child.inc()


def count_cache(cache: str, hit: bool) -> None:
    children = _cache_hits if hit else _cache_misses
    child = children.get(cache)
    if child is None:
        child = children[cache] = CACHE_LOOKUPS.labels(cache, "hit" if hit else "miss")
    child.inc()


def count_signin(outcome: str) -> None:
    SIGNINS.labels(outcome).inc()


def count_store_error(error: BaseException) -> None:
    STORE_ERRORS.labels(type(error).__name__).inc()


def count_rate_limited(limit: str) -> None:
    RATE_LIMITED.labels(limit).inc()


def exposition_registry() -> CollectorRegistry:
    """The registry a scrape reads: this process's, or every worker's added up."""
    if os.environ.get(MULTIPROCESS_DIR_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def exposition() -> tuple[bytes, str]:
    """The Prometheus text format of the metrics, and its content type."""
    return generate_latest(exposition_registry()), CONTENT_TYPE_LATEST
