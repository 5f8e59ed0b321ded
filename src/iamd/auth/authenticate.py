"""Authenticating an HTTP request: who signed it, and is the signature good.

The SigV4 claims are read first (sigv4.py, pure), the key is resolved to its
principal through the service layer, then the signature is checked against
the key's secret in constant time. In dev mode an unknown key is the root of
the default account and its signature is not checked; a known key's is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from iamd.auth.sigv4 import SignedRequest, verify_signature
from iamd.service.authentication import resolve_access_key
from iamd.service.context import Caller
from iamd.service.runtime import Runtime
from iamd.store.interface import Transaction


def authenticate(runtime: Runtime, signed: SignedRequest, method: str, path: str, query: str,
                 headers: Mapping[str, str], body: bytes, now: datetime,
                 transaction: Transaction | None = None, *, rate_limited: bool = True) -> Caller:
    """The caller who signed the request; `transaction`, if given, is the
    read-only one the operation will run in (one BEGIN for both). A verified
    signature uses up one of its key's requests, unless not `rate_limited`."""
    resolved = resolve_access_key(runtime, signed.access_key_id, signed.security_token, now,
                                  transaction)
    if resolved.secret is not None:
        verify_signature(signed, method, path, query, headers, body, resolved.secret, now)
    if rate_limited and runtime.rate_limits is not None:
        # Only a verified signature uses up its key's requests.
        runtime.rate_limits.charge_key(signed.access_key_id)
    return resolved.caller
