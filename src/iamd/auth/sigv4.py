"""Verify AWS Signature Version 4, in the Authorization header or presigned in the URL.

Two steps, both pure functions of strings, bytes and a clock value handed in:
`parse_signed_request` reads what a request claims (access key id, credential
scope, request time, signed headers, signature, session token) and rejects the
malformed ones with the error AWS gives, before anything is looked up;
`verify_signature` then rebuilds the canonical request and the string to sign
with the caller's secret key, checks the request time against `now`, and
compares signatures in constant time. The rules are those AWS applies to every
service but S3: the URI path is normalised (dot segments and repeated slashes
removed) and encoded a second time, query parameters are decoded, re-encoded
and sorted, header values are trimmed with inner runs of whitespace collapsed,
and the payload hash is always that of the body received. Nothing here reads a
clock, a socket or a key store; the caller does those and passes the results.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote, quote_from_bytes, unquote_to_bytes

from iamd.model.errors import (
    AuthorizationQueryParametersError,
    IncompleteSignature,
    MalformedQueryString,
    MissingAuthenticationToken,
    RequestExpired,
    SignatureDoesNotMatch,
)

__all__ = [
    "ALGORITHM",
    "CLOCK_SKEW",
    "MAX_PRESIGNED_EXPIRES",
    "UNSIGNED_PAYLOAD",
    "SignedRequest",
    "canonical_query_string",
    "canonical_request",
    "canonical_uri",
    "check_request_time",
    "parse_signed_request",
    "signing_key",
    "string_to_sign",
    "verify_signature",
]

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# AWS accepts a request stamped up to 15 minutes either side of its own clock.
CLOCK_SKEW = timedelta(minutes=15)
# A signing key is valid for seven days, so a presigned URL cannot outlive that.
MAX_PRESIGNED_EXPIRES = 604800
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation "
    "for details."
)
_HASHED = "(Hashed with SHA-256 and encoded with Base64)"
_HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
_FOUND_BOTH = (
    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
)
_REGION = "Credential should be scoped to a valid region."
_TERMINATOR = "Credential should be scoped with a valid terminator: 'aws4_request'."
_SCOPE_DATE = (
    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP."
)
_HEADER_PARAMETERS = ("Credential", "Signature", "SignedHeaders")
_QUERY_PARAMETERS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
)
_REGION_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_INTEGER = re.compile(r"-?[0-9]+")


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a request claims about its signature, before any key is looked up."""

    access_key_id: str
    date: str  # yyyymmdd, from the credential scope
    region: str
    service: str
    amz_date: datetime  # the request time, UTC
    signed_headers: tuple[str, ...]  # lowercase, in the order the client listed them
    signature: str
    security_token: str | None
    presigned: bool
    expires: int | None  # X-Amz-Expires, for a presigned URL that names one

    @property
    def scope(self) -> str:
        """The credential scope as it enters the string to sign."""
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"


def parse_signed_request(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    *,
    service: str | None = None,
    regions: Collection[str] | None = None,
) -> SignedRequest:
    """Read the signature claims of a request, header or presigned, in AWS's order of checks.

    `query` is the raw query string as sent; header names are matched without
    regard to case. `service` is the signing name this endpoint answers to
    (None: any), `regions` the regions it accepts (None: any well-formed name).
    Raises MissingAuthenticationToken, IncompleteSignature, SignatureDoesNotMatch,
    MalformedQueryString or AuthorizationQueryParametersError.
    """
    del method, path  # part of the request, but nothing in them is a claim
    lowered = _lowercase(headers)
    if "%" in query:
        _check_escapes(query)
    params = _auth_query_params(query) if "X-Amz-" in query else {}
    authorization = lowered.get("authorization")
    if "X-Amz-Algorithm" in params:
        if authorization is not None:
            raise SignatureDoesNotMatch(_FOUND_BOTH)
        return _parse_presigned(params, lowered, service, regions)
    if authorization is None or not authorization.strip():
        raise MissingAuthenticationToken()
    return _parse_authorization(authorization, lowered, service, regions)


def check_request_time(request: SignedRequest, now: datetime) -> None:
    """Refuse a request stamped too far from `now`, or a presigned URL past X-Amz-Expires.

    Callers may run this before looking the access key up, as AWS does;
    `verify_signature` runs it too. A naive `now` is taken as UTC.
    """
    now = _utc_seconds(now)
    stamp = request.amz_date
    if stamp > now + CLOCK_SKEW:
        raise SignatureDoesNotMatch(
            f"Signature not yet current: {_stamp(stamp)} is still later than "
            f"{_stamp(now + CLOCK_SKEW)} ({_stamp(now)} + 15 min.)"
        )
    if request.presigned and request.expires is not None:
        # A presigned URL lives exactly as long as its signer asked, as in S3;
        # the clock-skew allowance only guards its start.
        if now > stamp + timedelta(seconds=request.expires):
            raise RequestExpired("Request has expired.")
    elif stamp < now - CLOCK_SKEW:
        raise SignatureDoesNotMatch(
            f"Signature expired: {_stamp(stamp)} is now earlier than "
            f"{_stamp(now - CLOCK_SKEW)} ({_stamp(now)} - 15 min.)"
        )


def verify_signature(
    request: SignedRequest,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_access_key: str,
    now: datetime,
) -> None:
    """Check the request time, then recompute the signature with the secret key and compare.

    `path` and `query` are the raw, still percent-encoded path and query string
    as they arrived; `body` the bytes received.

    Raises SignatureDoesNotMatch (or RequestExpired for a stale presigned URL);
    returns None when the signature is good.
    """
    if not _host_signed(request.signed_headers):
        raise SignatureDoesNotMatch(_HOST_NOT_SIGNED)
    if _yyyymmdd(request.amz_date) != request.date:
        raise SignatureDoesNotMatch(_SCOPE_DATE)
    check_request_time(request, now)
    values = _header_values(headers, request.signed_headers)
    body_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
    # Non-S3 services hash the body they received whatever the client claims,
    # so a body cannot be swapped under a signed "UNSIGNED-PAYLOAD". A presigned
    # URL without a body has nothing to protect, and signers differ on what
    # they put there (botocore: the empty hash; S3-style presigners: the
    # constant), so both are accepted then.
    candidates = [body_hash]
    if request.presigned and not body:
        candidates.append(UNSIGNED_PAYLOAD)
    key = signing_key(secret_access_key, request.date, request.region, request.service)
    provided = request.signature.encode("utf-8", "replace")
    matched = False
    for payload_hash in candidates:
        try:
            canonical = _canonical_request(
                method,
                path,
                query,
                values,
                request.signed_headers,
                payload_hash,
                request.presigned,
            )
            to_sign = _string_to_sign(_stamp(request.amz_date), request.scope, canonical)
        except UnicodeEncodeError:
            # Text no client could have signed (a lone surrogate) cannot match.
            break
        expected = hmac.digest(key, to_sign.encode("utf-8"), "sha256").hex().encode("ascii")
        # Every candidate is compared, so timing does not tell which one matched.
        matched |= hmac.compare_digest(expected, provided)
    if not matched:
        raise SignatureDoesNotMatch(SIGNATURE_MISMATCH)


def canonical_request(
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: tuple[str, ...] | list[str],
    payload_hash: str,
    *,
    presigned: bool = False,
) -> str:
    """The canonical request AWS would build, for tests and for debugging a mismatch."""
    names = tuple(name.lower() for name in signed_headers)
    values = _header_values(headers, names)
    return _canonical_request(method, path, query, values, names, payload_hash, presigned)


def string_to_sign(amz_date: datetime | str, scope: str, canonical: str) -> str:
    """The string to sign: algorithm, request time, credential scope, hash of the canonical request.

    `scope` is yyyymmdd/region/service/aws4_request; `amz_date` a UTC datetime
    or its ISO 8601 basic form.
    """
    stamp = amz_date if isinstance(amz_date, str) else _stamp(amz_date)
    return _string_to_sign(stamp, scope, canonical)


@lru_cache(maxsize=1024)
def signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    """Derive the signing key: four chained HMACs, memoised because each costs as much as
    checking the signature itself and a client reuses one scope for a whole day."""
    key = hmac.digest(f"AWS4{secret_access_key}".encode(), date.encode("utf-8"), "sha256")
    for part in (region, service, TERMINATOR):
        key = hmac.digest(key, part.encode("utf-8"), "sha256")
    return key


def canonical_uri(path: str) -> str:
    """Normalise the raw (percent-encoded) path and encode it once more, as non-S3 services do."""
    if path == "/" or not path:
        return "/"
    return quote(_remove_dot_segments(path), safe="/")


def canonical_query_string(query: str, *, drop_signature: bool = False) -> str:
    """Decode every name and value, re-encode them the AWS way, sort by name then value."""
    if not query:
        return ""
    pairs = []
    for item in query.split("&"):
        if not item:
            continue
        raw_name, _, raw_value = item.partition("=")
        name = unquote_to_bytes(raw_name.replace("+", " "))
        if drop_signature and name == b"X-Amz-Signature":
            continue
        value = unquote_to_bytes(raw_value.replace("+", " "))
        pairs.append((quote_from_bytes(name, safe="~"), quote_from_bytes(value, safe="~")))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


# -- parsing ---------------------------------------------------------------------------------


def _parse_authorization(
    authorization: str,
    headers: dict[str, str],
    service: str | None,
    regions: Collection[str] | None,
) -> SignedRequest:
    algorithm, _, rest = authorization.strip().partition(" ")
    if "\t" in algorithm:  # rare: a tab instead of the space
        algorithm, _, tail = algorithm.partition("\t")
        rest = f"{tail} {rest}"
    if "=" in algorithm:
        raise IncompleteSignature(
            "Authorization header must begin with the algorithm name, "
            "which cannot include an equal-sign"
        )
    fields: dict[str, str] = {}
    # Components are separated by commas, spaces or both; none of their values
    # can hold either, so splitting on both is safe.
    for item in rest.replace(",", " ").split():
        name, equals, value = item.partition("=")
        if not equals:
            raise IncompleteSignature(
                "Invalid key=value pair (missing equal-sign) in Authorization header "
                f"(hashed with SHA-256 and encoded with Base64): '{_digest(authorization)}'."
            )
        fields[name] = value
    date_text = headers.get("x-amz-date") or headers.get("date")
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in _HEADER_PARAMETERS
        if not fields.get(name)
    ]
    if not date_text:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if missing or not date_text:
        # AWS no longer echoes the header (it holds a signature), only its digest.
        raise IncompleteSignature(
            " ".join(missing) + f" {_HASHED} Authorization={_digest(authorization)}"
        )
    if algorithm != ALGORITHM:
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{algorithm}'.")
    signed_headers = _signed_header_names(fields["SignedHeaders"])
    if headers.get("x-amz-date"):
        amz_date = _parse_basic_date(date_text)
    else:
        amz_date = _parse_http_date(date_text)
    access_key_id, date, region, signing_service = _parse_credential(
        fields["Credential"], amz_date, service, regions
    )
    return SignedRequest(
        access_key_id=access_key_id,
        date=date,
        region=region,
        service=signing_service,
        amz_date=amz_date,
        signed_headers=signed_headers,
        signature=fields["Signature"],
        security_token=headers.get("x-amz-security-token"),
        presigned=False,
        expires=None,
    )


def _parse_presigned(
    params: dict[str, str],
    headers: dict[str, str],
    service: str | None,
    regions: Collection[str] | None,
) -> SignedRequest:
    missing = [name for name in _QUERY_PARAMETERS if not params.get(name)]
    if missing:
        raise IncompleteSignature(
            "".join(f"AWS query-string parameters must include '{name}'. " for name in missing)
            + "Re-examine the query-string parameters."
        )
    algorithm = params["X-Amz-Algorithm"]
    if algorithm != ALGORITHM:
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{algorithm}'.")
    signed_headers = _signed_header_names(params["X-Amz-SignedHeaders"])
    amz_date = _parse_basic_date(params["X-Amz-Date"])
    expires = _parse_expires(params.get("X-Amz-Expires"))
    access_key_id, date, region, signing_service = _parse_credential(
        params["X-Amz-Credential"], amz_date, service, regions
    )
    token = params.get("X-Amz-Security-Token")
    if token is None:
        token = headers.get("x-amz-security-token")
    return SignedRequest(
        access_key_id=access_key_id,
        date=date,
        region=region,
        service=signing_service,
        amz_date=amz_date,
        signed_headers=signed_headers,
        signature=params["X-Amz-Signature"],
        security_token=token,
        presigned=True,
        expires=expires,
    )


def _signed_header_names(text: str) -> tuple[str, ...]:
    names = tuple(text.lower().split(";"))
    if "" in names or " " in text or "\t" in text:
        names = tuple(name.strip() for name in names if name.strip())
    if not _host_signed(names):
        # Without the host a signature could be replayed against another endpoint.
        raise SignatureDoesNotMatch(_HOST_NOT_SIGNED)
    return names


def _host_signed(names: tuple[str, ...]) -> bool:
    return "host" in names or ":authority" in names


def _parse_credential(
    credential: str,
    amz_date: datetime,
    service: str | None,
    regions: Collection[str] | None,
) -> tuple[str, str, str, str]:
    parts = credential.rstrip("/").split("/")
    if len(parts) != 5:
        raise IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{credential}'"
        )
    access_key_id, date, region, signing_service, terminator = parts
    problems = []
    if not (region in regions if regions is not None else _REGION_NAME.fullmatch(region)):
        problems.append(_REGION)
    if not signing_service or (service is not None and signing_service != service):
        expected = service if service is not None else signing_service
        problems.append(f"Credential should be scoped to correct service: '{expected}'.")
    if terminator != TERMINATOR:
        problems.append(_TERMINATOR)
    if date != _yyyymmdd(amz_date):
        problems.append(_SCOPE_DATE)
    if problems:
        message = " ".join(problems)
        # AWS ends the region complaint with a space when it stands alone.
        raise SignatureDoesNotMatch(message + " " if problems == [_REGION] else message)
    return access_key_id, date, region, signing_service


def _parse_expires(text: str | None) -> int | None:
    if text is None:
        return None
    if not _INTEGER.fullmatch(text):
        raise AuthorizationQueryParametersError("X-Amz-Expires should be a number")
    seconds = int(text)
    if seconds < 0:
        raise AuthorizationQueryParametersError("X-Amz-Expires must be non-negative")
    if seconds > MAX_PRESIGNED_EXPIRES:
        raise AuthorizationQueryParametersError(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given "
            "X-Amz-Expires must be less than 604800 seconds"
        )
    return seconds


def _parse_basic_date(text: str) -> datetime:
    """ISO 8601 basic format, yyyymmddThhmmssZ: the only form X-Amz-Date takes."""
    if len(text) == 16 and text[8] == "T" and text[15] == "Z":
        digits = text[:8] + text[9:15]
        if digits.isascii() and digits.isdigit():
            try:
                return datetime(
                    int(text[0:4]),
                    int(text[4:6]),
                    int(text[6:8]),
                    int(text[9:11]),
                    int(text[11:13]),
                    int(text[13:15]),
                    tzinfo=UTC,
                )
            except ValueError:
                pass
    raise IncompleteSignature(
        f"Date must be in ISO-8601 'basic format'. Got '{text}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _parse_http_date(text: str) -> datetime:
    """The Date header: HTTP's own format (botocore sends RFC 2822) or ISO 8601 basic."""
    try:
        return _parse_basic_date(text)
    except IncompleteSignature as not_basic:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            raise not_basic from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _auth_query_params(query: str) -> dict[str, str]:
    """The X-Amz-* parameters of the query string, decoded; the first of a repeated name wins."""
    params: dict[str, str] = {}
    for item in query.split("&"):
        raw_name, _, raw_value = item.partition("=")
        if not raw_name.startswith("X-Amz-") or raw_name in params:
            continue
        value = unquote_to_bytes(raw_value.replace("+", " "))
        params[raw_name] = value.decode("utf-8", "replace")
    return params


def _check_escapes(query: str) -> None:
    bad = _BAD_ESCAPE.search(query)
    if bad is None:
        return
    fragment = query[bad.start() : bad.start() + 3]
    if len(fragment) < 3:
        raise MalformedQueryString("Incomplete trailing escape % sequence")
    raise MalformedQueryString(f"Illegal hex character in escape % pattern: {fragment}")


# -- canonical form ---------------------------------------------------------------------------


def _canonical_request(
    method: str,
    path: str,
    query: str,
    values: list[str],
    signed_headers: tuple[str, ...],
    payload_hash: str,
    presigned: bool,
) -> str:
    header_block = "".join(
        f"{name}:{_trim(value)}\n" for name, value in zip(signed_headers, values, strict=True)
    )
    return "\n".join(
        (
            method.upper(),
            canonical_uri(path),
            canonical_query_string(query, drop_signature=presigned),
            header_block,
            ";".join(signed_headers),
            payload_hash,
        )
    )


def _string_to_sign(stamp: str, scope: str, canonical: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{stamp}\n{scope}\n{digest}"


def _trim(value: str) -> str:
    return " ".join(value.split())


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 on the encoded path, also dropping empty segments as AWS does."""
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    leading = "/" if path.startswith("/") else ""
    trailing = "/" if path.endswith("/") and kept else ""
    return leading + "/".join(kept) + trailing


# -- small helpers ---------------------------------------------------------------------------


def _lowercase(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _header_values(headers: Mapping[str, str], names: tuple[str, ...]) -> list[str]:
    """The values of the signed headers; a header signed but absent counts as empty."""
    try:
        # The ASGI layer hands header names in lowercase already: no copy needed.
        return [headers[name] for name in names]
    except KeyError:
        lowered = _lowercase(headers)
        return [lowered.get(name, "") for name in names]


def _digest(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8", "replace")).digest()).decode()


def _stamp(moment: datetime) -> str:
    # %-formatting: three times faster than strftime or an f-string here.
    return "%04d%02d%02dT%02d%02d%02dZ" % (  # noqa: UP031
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )


def _yyyymmdd(moment: datetime) -> str:
    return "%04d%02d%02d" % (moment.year, moment.month, moment.day)  # noqa: UP031


def _utc_seconds(moment: datetime) -> datetime:
    if moment.tzinfo is UTC:
        return moment.replace(microsecond=0)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(microsecond=0)
