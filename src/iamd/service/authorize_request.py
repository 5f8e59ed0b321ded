"""The body of `POST /_iamd/authorize`, read and checked: pure, no I/O.

A service that received a SigV4-signed request from one of its own clients
hands iamd that request (method, raw path and query, headers, the body or a
payload hash header), the action and resource it asks for, the request's
own condition keys and, optionally, a resource-based policy.
`parse_authorize_body` turns the JSON into an `AuthorizeInput` or says what
is wrong with it (MalformedAuthorizeRequest, a 400 ValidationError);
`payload_hashes` gives the payload hashes the client may have signed. The
decision is authorize_endpoint.py's; the client's signature auth/forwarded.py's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from iamd.model.errors import AwsError, MalformedPolicyDocument, ValidationError
from iamd.policy import PolicyDocument, PolicyKind, parse_policy
from iamd.service.global_context import GLOBAL_KEYS, PRINCIPAL_TAG_PREFIX

_ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$")
_METHOD = re.compile(r"^[A-Z]{1,16}$")
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_FIELDS = frozenset({"method", "path", "query", "headers", "body", "action", "resource", "context",
                     "resource_policy", "resource_account", "source_ip", "secure_transport"})
# Keys iamd fills from the authenticated client and the clock (the global
# keys, and aws:ResourceAccount from the resource): a calling service may not
# set them (aws:SourceIp and aws:SecureTransport have their own fields).
RESOURCE_ACCOUNT = "aws:ResourceAccount"
_RESERVED_KEYS = frozenset(k.lower() for k in (*GLOBAL_KEYS, RESOURCE_ACCOUNT))
_RESERVED_PREFIXES = (PRINCIPAL_TAG_PREFIX.lower(),)


class MalformedAuthorizeRequest(ValidationError):
    """The body of /_iamd/authorize is not what the contract asks for (400)."""


@dataclass(frozen=True)
class ClientRequest:
    """The client's request as the calling service received it."""

    method: str
    path: str  # raw, still percent-encoded
    query: str  # raw query string, without "?"
    headers: Mapping[str, str]  # names lowercased
    body: bytes | None  # None: not forwarded (a payload hash header stands for it)


@dataclass(frozen=True)
class AuthorizeInput:
    request: ClientRequest
    action: str
    resource: str
    context: Mapping[str, str | list[str]]
    resource_policy: PolicyDocument | None
    resource_account: str | None
    source_ip: str | None
    secure_transport: bool | None


def _bad(message: str) -> MalformedAuthorizeRequest:
    return MalformedAuthorizeRequest(message)


def _string(data: Mapping[str, Any], name: str, *, required: bool = False,
            default: str | None = None) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise _bad(f"'{name}' is required")
        return default
    if not isinstance(value, str):
        raise _bad(f"'{name}' must be a string")
    return value


def _headers(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise _bad("'headers' must be an object of header names to string values")
    headers: dict[str, str] = {}
    for name, text in value.items():
        if not isinstance(name, str) or not isinstance(text, str) or not name:
            raise _bad("'headers' must be an object of header names to string values")
        lower = name.lower()
        if lower in headers:
            raise _bad(f"header '{lower}' is given twice; join repeated headers with ','")
        headers[lower] = text
    return headers


def _context(value: Any) -> dict[str, str | list[str]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _bad("'context' must be an object of condition keys to a string or a list of strings")
    out: dict[str, str | list[str]] = {}
    for key, item in value.items():
        if not isinstance(key, str) or ":" not in key:
            raise _bad("context keys must be strings of the form prefix:Name")
        lower = key.lower()
        if lower in _RESERVED_KEYS or lower.startswith(_RESERVED_PREFIXES):
            raise _bad(f"context key '{key}' is set by iamd from the authenticated request")
        if isinstance(item, str):
            out[key] = item
        elif isinstance(item, list) and all(isinstance(v, str) for v in item):
            out[key] = list(item)
        else:
            raise _bad(f"context value of '{key}' must be a string or a list of strings")
    return out


def _body(value: Any) -> bytes | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad("'body' must be base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _bad("'body' is not valid base64") from None


@lru_cache(maxsize=1024)
def _parsed_resource_policy(text: str) -> PolicyDocument:
    # A service sends the same bucket policy with request after request;
    # a PolicyDocument is immutable. A failure is not cached: it raises again.
    return parse_policy(text, PolicyKind.RESOURCE)


def _resource_policy(value: Any) -> PolicyDocument | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        value = json.dumps(value)
    if not isinstance(value, str):
        raise _bad("'resource_policy' must be a JSON policy document (text or object)")
    try:
        return _parsed_resource_policy(value)
    except MalformedPolicyDocument as exc:
        raise _bad(f"'resource_policy' is not a valid resource-based policy: {exc.message}") from None
    except AwsError as exc:  # a size quota
        raise _bad(f"'resource_policy': {exc.message}") from None


def parse_authorize_body(raw: bytes) -> AuthorizeInput:
    """Read and validate the JSON body; MalformedAuthorizeRequest says what is wrong."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise _bad("the body is not JSON") from None
    if not isinstance(data, Mapping):
        raise _bad("the body must be a JSON object")
    unknown = [str(k) for k in data if k not in _FIELDS]
    if unknown:
        raise _bad(f"unknown field(s): {', '.join(sorted(unknown))}")
    method = _string(data, "method", required=True) or ""
    if not _METHOD.fullmatch(method):
        raise _bad("'method' must be an HTTP method in capitals, such as GET")
    path = _string(data, "path", default="/") or "/"
    if not path.startswith("/") or _NOT_IN_PATH.search(path):
        raise _bad("'path' must be the raw request path, starting with '/', without the query")
    query = _string(data, "query", default="") or ""
    if _NOT_IN_QUERY.search(query):
        raise _bad("'query' must be the raw query string, without '?'")
    if "headers" not in data:
        raise _bad("'headers' is required")
    headers = _headers(data["headers"])
    # JSON may hold lone surrogates; no HTTP request could have carried them.
    if not _utf8("".join((path, query, *headers, *headers.values()))):
        raise _bad("'path', 'query' and 'headers' must be valid Unicode text")
    action = _string(data, "action", required=True) or ""
    if not _ACTION.fullmatch(action):
        raise _bad("'action' must be of the form service:Action, such as s3:GetObject")
    resource = _string(data, "resource", required=True) or ""
    if not resource or len(resource) > 2048 or _SPACE.search(resource):
        raise _bad("'resource' must be an ARN or '*'")
    source_ip = _string(data, "source_ip")
    if source_ip is not None:
        source_ip = _address(source_ip)
    secure = data.get("secure_transport")
    if secure is not None and not isinstance(secure, bool):
        raise _bad("'secure_transport' must be true or false")
    resource_account = _string(data, "resource_account")
    if resource_account is not None and not re.fullmatch(r"\d{12}", resource_account):
        raise _bad("'resource_account' must be a 12-digit account id")
    body = _body(data.get("body"))
    declared = headers.get("x-amz-content-sha256")
    if (body is not None and declared is not None and _HEX_SHA256.fullmatch(declared)
            and declared != _sha256(body)):
        raise _bad("the body's SHA-256 does not match its x-amz-content-sha256 header")
    return AuthorizeInput(
        request=ClientRequest(method=method, path=path, query=query, headers=headers, body=body),
        action=action, resource=resource, context=_context(data.get("context")),
        resource_policy=_resource_policy(data.get("resource_policy")),
        resource_account=resource_account, source_ip=source_ip, secure_transport=secure)


def payload_hashes(request: ClientRequest, *, presigned: bool) -> list[str]:
    """The payload hashes the client may have signed, from what was forwarded.

    A signed x-amz-content-sha256 header is what the client signed (S3's rule,
    and botocore's for every service when the header is there); when the body
    is forwarded too, parse_authorize_body has checked that a hex hash is its
    hash. Without the header the body's own hash is signed; with neither, the
    request had no body. A presigned URL without a body may carry S3's
    UNSIGNED-PAYLOAD.
    """
    declared = request.headers.get("x-amz-content-sha256")
    if declared is not None:
        return [declared]
    body_hash = _sha256(request.body) if request.body is not None else None
    if body_hash is not None:
        return [body_hash]
    empty = _sha256(b"")
    return [empty, "UNSIGNED-PAYLOAD"] if presigned else [empty]


_NOT_IN_PATH = re.compile(r"[\r\n ?#]")
_NOT_IN_QUERY = re.compile(r"[\r\n #]")
_SPACE = re.compile(r"\s")


@lru_cache(maxsize=1024)
def _address(text: str) -> str:
    """An IP address in its canonical form (a service's clients' addresses repeat)."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise _bad("'source_ip' must be an IPv4 or IPv6 address") from None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
