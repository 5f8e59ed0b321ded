"""Request rate limits: a token bucket per source address and per access key.

A bucket holds up to `burst` tokens and gains `per_second` of them each
second; a request takes one, and a request that finds less than one is
refused with AWS's Throttling, "Rate exceeded" (HTTP 400, as IAM and STS
answer it). AWS's own limits are token buckets too, per account and API.

Where each is charged: the source address as soon as the request is read
(api/lifecycle.py), before any work, so floods of unsigned or badly signed
requests are refused cheaply; the access key only once its signature has
been verified (auth/authenticate.py), so that nobody can use up a key's
bucket with requests that merely name it. The buckets live in the process's
memory: each worker of `--workers N` and each node has its own, so the
limits are per process (documented in docs/edge-and-monitoring.md).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from iamd.model.errors import Throttling
from iamd.service.metrics import count_rate_limited

# Idle buckets are forgotten past this many (a full bucket is the same as none).
MAX_BUCKETS = 100_000


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: float

    @classmethod
    def of(cls, per_second: float) -> Rate | None:
        """A rate with two seconds' worth of burst; None (no limit) for 0."""
        return None if per_second <= 0 else cls(per_second, max(1.0, 2 * per_second))


@dataclass
class TokenBuckets:
    """One bucket per key (an address, an access key id).

    A request's take is not locked (it is on every request's path): two
    threads taking from one bucket at the same instant may both get the
    last token, which lets one request more through; the GIL keeps each
    dictionary and list operation whole. Only the sweep of idle buckets
    takes the lock.
    """

    rate: Rate
    # key -> [tokens, monotonic time they were counted at]
    buckets: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str, now: float) -> bool:
        """Take a token for `key`; False when its bucket is empty."""
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= MAX_BUCKETS:
                self._forget_idle(now)
            self.buckets[key] = [self.rate.burst - 1, now]
            return True
        tokens = bucket[0] + (now - bucket[1]) * self.rate.per_second
        bucket[1] = now
        if tokens < 1:
            bucket[0] = tokens
            return False
        burst = self.rate.burst
        bucket[0] = (tokens if tokens < burst else burst) - 1
        return True

    def _forget_idle(self, now: float) -> None:
        refill = self.rate.burst / self.rate.per_second
        with self.lock:
            for key, (_, at) in list(self.buckets.items()):
                if now - at >= refill:
                    self.buckets.pop(key, None)
            if len(self.buckets) >= MAX_BUCKETS:
                self.buckets.clear()  # all busy: start afresh rather than grow


class RateLimits:
    """The limits of one process: per source address and per access key."""

    def __init__(self, per_address: Rate | None, per_key: Rate | None) -> None:
        self.addresses = TokenBuckets(per_address) if per_address is not None else None
        self.keys = TokenBuckets(per_key) if per_key is not None else None

    @classmethod
    def of(cls, per_address: float, per_key: float) -> RateLimits | None:
        """Requests per second for each (0: that limit is off); None when both are."""
        if per_address <= 0 and per_key <= 0:
            return None
        return cls(Rate.of(per_address), Rate.of(per_key))

    def charge_address(self, address: str) -> None:
        if self.addresses is not None and not self.addresses.take(address, time.monotonic()):
            count_rate_limited("source_ip")
            raise Throttling("Rate exceeded")

    def charge_key(self, access_key_id: str) -> None:
        if self.keys is not None and not self.keys.take(access_key_id, time.monotonic()):
            count_rate_limited("access_key")
            raise Throttling("Rate exceeded")
