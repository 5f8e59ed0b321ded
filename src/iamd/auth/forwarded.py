"""Authenticating a request that another service received and forwarded to iamd.

The calling service hands over its client's request as it arrived (method,
raw path and query, headers, and the body or a payload hash header). The
signature claims are read with sigv4.py for any service in the credential
scope, the key is resolved to its principal exactly as for iamd's own calls
(long-term keys, session tokens, expiry), and the signature is recomputed
from sigv4.py's canonical pieces and compared in constant time.

Two differences from iamd's own requests, both AWS's: S3 (`s3`, `s3-*`
signing names) signs the path as sent, neither normalised nor encoded again;
and the payload hash is the signed x-amz-content-sha256 header when the client
sent one (botocore does for S3), so a service need not forward a large body.
Only one canonical path form is tried per service: accepting both would let a
request signed for one object name be replayed for another.
"""

from __future__ import annotations

import hmac
from datetime import datetime

from iamd.auth.sigv4 import (
    SIGNATURE_MISMATCH,
    SignedRequest,
    canonical_request,
    check_request_time,
    parse_signed_request,
    signing_key,
    string_to_sign,
)
from iamd.model.errors import SignatureDoesNotMatch
from iamd.service.authentication import resolve_access_key
from iamd.service.authorize_request import ClientRequest, payload_hashes
from iamd.service.context import Caller
from iamd.service.runtime import Runtime
from iamd.store.interface import Transaction


def signs_raw_path(service: str) -> bool:
    """S3 and its relatives sign the URI path as sent."""
    return service == "s3" or service.startswith("s3-") or service == "s3express"


def client_canonical_request(signed: SignedRequest, request: ClientRequest, payload_hash: str) -> str:
    canonical = canonical_request(request.method, request.path, request.query, request.headers,
                                  signed.signed_headers, payload_hash, presigned=signed.presigned)
    if signs_raw_path(signed.service):
        # The second line is the canonical URI; the method line holds no newline.
        method, _uri, rest = canonical.split("\n", 2)
        canonical = "\n".join((method, request.path or "/", rest))
    return canonical


def verify_client_signature(signed: SignedRequest, request: ClientRequest, secret_access_key: str,
                            now: datetime) -> None:
    """Raise SignatureDoesNotMatch (or RequestExpired) unless the client signed this request."""
    check_request_time(signed, now)
    key = signing_key(secret_access_key, signed.date, signed.region, signed.service)
    provided = signed.signature.encode("utf-8", "replace")
    matched = False
    for payload_hash in payload_hashes(request, presigned=signed.presigned):
        try:
            canonical = client_canonical_request(signed, request, payload_hash)
            to_sign = string_to_sign(signed.amz_date, signed.scope, canonical).encode("utf-8")
        except UnicodeEncodeError:
            break  # text no client could have signed
        expected = hmac.digest(key, to_sign, "sha256").hex().encode("ascii")
        # Every candidate is compared, so timing does not tell which one matched.
        matched |= hmac.compare_digest(expected, provided)
    if not matched:
        raise SignatureDoesNotMatch(SIGNATURE_MISMATCH)


def authenticate_client(runtime: Runtime, request: ClientRequest, now: datetime,
                        transaction: Transaction | None = None) -> tuple[Caller, SignedRequest]:
    """The client's principal and signature claims; the AWS authentication error otherwise."""
    signed = parse_signed_request(request.method, request.path, request.query, request.headers)
    resolved = resolve_access_key(runtime, signed.access_key_id, signed.security_token, now,
                                  transaction)
    if resolved.secret is not None:
        verify_client_signature(signed, request, resolved.secret, now)
    return resolved.caller, signed
