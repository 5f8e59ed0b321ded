"""Finding an OpenID Connect issuer's signing keys: discovery, JWKS, a short cache.

AssumeRoleWithWebIdentity verifies a token with the keys its issuer
publishes: `<iss>/.well-known/openid-configuration` names a `jwks_uri`, and
that document holds the JSON Web Key Set. Both are fetched with httpx under
short timeouts and a size cap, and the key set is cached per issuer for a
few minutes, so a burst of tokens costs one fetch. A token whose `kid` is not
in the cached set triggers one early refetch (the issuer may have rotated its
keys), at most once per `REFETCH_INTERVAL`, so a stream of forged `kid`s
cannot make iamd hammer an issuer.

Only https URLs are fetched, as AWS requires, with one exception of iamd's
own: plain http to a loopback host (127.0.0.0/8, ::1, localhost), so that a
test issuer running beside iamd on the same machine can be used. No other
host is ever reached over http. An issuer is only ever fetched after it was
found registered as a provider in the role's account, so an unsigned caller
cannot make iamd fetch a URL of its choosing.

Failures are `IssuerUnreachable` (network error, timeout, 5xx: worth a retry,
AWS's IDPCommunicationError) or `KeysUnavailable` (the issuer answered, but
not with usable discovery or keys).
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

TIMEOUT = httpx.Timeout(5.0, connect=3.0)
MAX_DOCUMENT_BYTES = 512 * 1024
CACHE_SECONDS = 300.0
REFETCH_INTERVAL = 30.0  # the least time between two fetches of one issuer's keys
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


class DiscoveryError(Exception):
    """The issuer's keys could not be had."""


class IssuerUnreachable(DiscoveryError):
    """No answer from the issuer (network, timeout, server error)."""


class KeysUnavailable(DiscoveryError):
    """The issuer answered, but with no usable configuration or key set."""


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def fetchable(url: str) -> bool:
    """https anywhere; http only to a loopback host (iamd's test issuers)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    return parts.scheme == "http" and is_loopback_host(parts.hostname)


@dataclass
class _Entry:
    keys: KeySet
    fetched: float


_cache: dict[str, _Entry] = {}
_lock = threading.Lock()


def signing_keys(issuer: str, kid: str | None) -> KeySet:
    """The issuer's key set, from the cache while fresh and holding `kid`."""
    now = time.monotonic()
    with _lock:
        entry = _cache.get(issuer)
    if entry is not None:
        fresh = now - entry.fetched < CACHE_SECONDS
        has_kid = kid is None or any(k.kid == kid for k in entry.keys.keys)
        if fresh and (has_kid or now - entry.fetched < REFETCH_INTERVAL):
            return entry.keys
    keys = _fetch_keys(issuer)
    with _lock:
        _cache[issuer] = _Entry(keys, time.monotonic())
    return keys


def forget(issuer: str | None = None) -> None:
    """Drop cached keys (of one issuer, or all)."""
    with _lock:
        if issuer is None:
            _cache.clear()
        else:
            _cache.pop(issuer, None)


def _fetch_keys(issuer: str) -> KeySet:
    configuration = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    jwks_uri = configuration.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not fetchable(jwks_uri):
        raise KeysUnavailable("the issuer's configuration has no usable jwks_uri")
    document = _get_json(jwks_uri)
    usable = [key for key in document.get("keys", []) if isinstance(key, dict)
              and key.get("kty") in ("RSA", "EC") and key.get("use", "sig") == "sig"]
    try:
        return KeySet.import_key_set({"keys": usable})
    except (JoseError, ValueError, TypeError) as exc:
        raise KeysUnavailable(f"the issuer's key set does not load: {exc}") from exc


def _get_json(url: str) -> dict[str, Any]:
    if not fetchable(url):
        raise KeysUnavailable(f"refusing to fetch {url}")
    try:
        # No redirects: a redirect could lead from a checked URL to an unchecked one.
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client, \
                client.stream("GET", url, headers={"Accept": "application/json"}) as response:
            if response.status_code >= 500:
                raise IssuerUnreachable(f"{url} answered {response.status_code}")
            if response.status_code != 200:
                raise KeysUnavailable(f"{url} answered {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise KeysUnavailable(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes")
    except httpx.HTTPError as exc:
        raise IssuerUnreachable(f"{url}: {exc}") from exc
    try:
        document = json.loads(bytes(body))
    except ValueError as exc:
        raise KeysUnavailable(f"{url} is not JSON") from exc
    if not isinstance(document, dict):
        raise KeysUnavailable(f"{url} is not a JSON object")
    return document
