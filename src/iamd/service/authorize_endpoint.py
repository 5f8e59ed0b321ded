"""Deciding another service's request: the body of `POST /_iamd/authorize`.

A service that received a SigV4-signed request from one of its own clients
hands iamd that request, the action and the resource it asks for, and iamd
answers whether the client may. This module owns what is not HTTP and not
signature checking: reading and validating the JSON body (`parse_authorize_body`,
pure), checking that the calling service itself may ask (`iamd:AuthorizeRequest`,
through the same authorization path as every IAM call), building the client's
request context as iamd does for its own calls, gathering the client's
policies plus the resource policy given, deciding, explaining, and sealing the
details of a denial with sts:DecodeAuthorizationMessage's keys. The permission
check and the decision run in one read-only transaction. The client's
signature is verified by the auth layer (auth/forwarded.py; its key lookup is
the same short read as for iamd's own calls) before this module sees the
client as a `Caller`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from iamd.model.errors import AwsError, MalformedPolicyDocument, ValidationError
from iamd.policy import (
    Context,
    Decision,
    PolicyDocument,
    PolicyKind,
    PolicySet,
    Principal,
    Request,
    explain,
    parse_policy,
)
from iamd.service.authorization import authorize_extra
from iamd.service.context import (
    ASSUMED_ROLE,
    FEDERATED_USER,
    IAM_USER,
    ROOT,
    Caller,
    OperationContext,
    RequestInfo,
)
from iamd.service.dispatch import record_call
from iamd.service.global_context import (
    GLOBAL_KEYS,
    PRINCIPAL_TAG_PREFIX,
    SECURE_TRANSPORT,
    SOURCE_IP,
    global_context,
)
from iamd.service.permissions import policies_for
from iamd.service.runtime import Runtime
from iamd.service.sts.authorization_messages import encode_authorization_message
from iamd.store.interface import Transaction

# The permission a calling service needs; the root user and AdministratorAccess
# have it through "*". Documented in docs/authorization-endpoint.md.
PERMISSION = "iamd:AuthorizeRequest"
PERMISSION_RESOURCE = "*"

# The client errors a calling service forwards to its own client: the request
# was not authenticated, so nothing was decided.
CLIENT_AUTH_ERRORS = frozenset({
    "SignatureDoesNotMatch", "InvalidClientTokenId", "ExpiredToken", "RequestExpired",
    "IncompleteSignature", "MissingAuthenticationToken", "AuthorizationQueryParametersError",
    "MalformedQueryString",
})

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

# CloudTrail's userIdentity.type names for the principal kinds (not the
# values of aws:PrincipalType, which global_context.py has).
CLOUDTRAIL_IDENTITY_TYPES = {ROOT: "Root", IAM_USER: "IAMUser", ASSUMED_ROLE: "AssumedRole",
                             FEDERATED_USER: "FederatedUser"}


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
    unknown = sorted(str(k) for k in data if k not in _FIELDS)
    if unknown:
        raise _bad(f"unknown field(s): {', '.join(unknown)}")
    method = _string(data, "method", required=True) or ""
    if not _METHOD.fullmatch(method):
        raise _bad("'method' must be an HTTP method in capitals, such as GET")
    path = _string(data, "path", default="/") or "/"
    if not path.startswith("/") or any(c in path for c in "\r\n ?#"):
        raise _bad("'path' must be the raw request path, starting with '/', without the query")
    query = _string(data, "query", default="") or ""
    if any(c in query for c in "\r\n #"):
        raise _bad("'query' must be the raw query string, without '?'")
    if "headers" not in data:
        raise _bad("'headers' is required")
    headers = _headers(data["headers"])
    # JSON may hold lone surrogates; no HTTP request could have carried them.
    for text in (path, query, *headers, *headers.values()):
        if not _utf8(text):
            raise _bad("'path', 'query' and 'headers' must be valid Unicode text")
    action = _string(data, "action", required=True) or ""
    if not _ACTION.fullmatch(action):
        raise _bad("'action' must be of the form service:Action, such as s3:GetObject")
    resource = _string(data, "resource", required=True) or ""
    if not resource or len(resource) > 2048 or any(c.isspace() for c in resource):
        raise _bad("'resource' must be an ARN or '*'")
    source_ip = _string(data, "source_ip")
    if source_ip is not None:
        try:
            source_ip = str(ipaddress.ip_address(source_ip))
        except ValueError:
            raise _bad("'source_ip' must be an IPv4 or IPv6 address") from None
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


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- deciding ---------------------------------------------------------------------------------


def principal_json(caller: Caller) -> dict[str, str]:
    return {"arn": caller.arn, "account": caller.account_id, "userid": caller.user_id,
            "type": CLOUDTRAIL_IDENTITY_TYPES.get(caller.kind, "Unknown")}


def explanation(decision: Decision) -> dict[str, Any]:
    """What decided, as `iamd policy evaluate` gives it, plus its --explain text."""
    out = decision.to_json()
    del out["decision"]
    out["text"] = explain(decision.to_json())
    return out


def _principal_name(caller: Caller) -> str:
    if caller.kind == ROOT:
        return caller.account_id
    return caller.arn.rsplit("/", 1)[-1]


def denial_details(caller: Caller, action: str, resource: str,
                   conditions: Mapping[str, str | list[str]], decision: Decision) -> dict[str, Any]:
    """What an encoded authorization message carries about one denial, in AWS's shape."""
    matched = [{"statementId": ref.sid or "", "effect": ref.effect.upper(),
                "policyType": ref.policy_type, "policyId": ref.policy_id,
                "policyIndex": ref.policy_index, "statementIndex": ref.statement_index}
               for ref in decision.statements]
    failures = [] if decision.statements else [
        {"policyType": decision.policy_type, "reason": decision.reason}]
    return {
        "allowed": False,
        "explicitDeny": decision.decision == "ExplicitDeny",
        "matchedStatements": matched,
        "failures": failures,
        "context": {
            "principal": {"id": caller.user_id, "name": _principal_name(caller), "arn": caller.arn},
            "action": action,
            "resource": resource,
            "conditions": dict(sorted(conditions.items(), key=lambda kv: kv[0].lower())),
        },
    }


def _client_conditions(ctx: OperationContext, inp: AuthorizeInput,
                       resource_account: str) -> dict[str, str | list[str]]:
    """The client's request context: the global keys iamd fills for its own
    calls (but aws:SourceIp and aws:SecureTransport only when the calling
    service says them), then the service's own keys."""
    values = {key: value for key, value in global_context(ctx).items()
              if key not in (SOURCE_IP, SECURE_TRANSPORT)}
    if inp.source_ip is not None:
        values[SOURCE_IP] = inp.source_ip
    if inp.secure_transport is not None:
        values[SECURE_TRANSPORT] = "true" if inp.secure_transport else "false"
    values[RESOURCE_ACCOUNT] = resource_account
    values.update(inp.context)
    return values


def _resource_account(inp: AuthorizeInput, caller: Caller) -> str:
    if inp.resource_account is not None:
        return inp.resource_account
    parts = inp.resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and re.fullmatch(r"\d{12}", parts[4]):
        return parts[4]
    return caller.account_id


@dataclass(frozen=True)
class ClientOutcome:
    """The forwarded request's authentication: its client and the service and
    region it signed for, or the authentication error it met."""

    caller: Caller | AwsError
    service: str = ""
    region: str = ""


def authorize_forwarded(runtime: Runtime, service_caller: Caller, info: RequestInfo,
                        inp: AuthorizeInput, outcome: ClientOutcome,
                        transaction: Transaction | None = None) -> dict[str, Any]:
    """The answer for one forwarded request, in one read-only transaction (the
    one given, in which the caller authenticated both, or one of its own).

    AccessDenied (the calling service may not ask) propagates. Both access
    keys' use is recorded when there is an answer, as dispatch records it for
    iamd's own calls.
    """
    if transaction is not None:
        answer = _answer(runtime, transaction, service_caller, info, inp, outcome)
    else:
        with runtime.store.transaction(read_only=True) as tx:
            answer = _answer(runtime, tx, service_caller, info, inp, outcome)
    record_call(runtime, service_caller, info, "iamd", None)
    if isinstance(outcome.caller, Caller):
        record_call(runtime, outcome.caller, replace(info, region=outcome.region),
                    outcome.service, None)
    return answer


def _answer(runtime: Runtime, tx: Transaction, service_caller: Caller, info: RequestInfo,
            inp: AuthorizeInput, outcome: ClientOutcome) -> dict[str, Any]:
    client, client_region = outcome.caller, outcome.region or None
    ctx = OperationContext(caller=service_caller, info=info, tx=tx, runtime=runtime,
                           operation="AuthorizeRequest", service="iamd")
    authorize_extra(ctx, PERMISSION, PERMISSION_RESOURCE)
    if isinstance(client, AwsError):
        return {"decision": "ImplicitDeny",
                "error": {"code": client.code, "message": client.message}}
    client_info = replace(info, source_ip=inp.source_ip or "",
                          region=client_region or info.region)
    client_ctx = OperationContext(caller=client, info=client_info, tx=tx, runtime=runtime,
                                  operation=inp.action, service=inp.action.partition(":")[0])
    resource_account = _resource_account(inp, client)
    conditions = _client_conditions(client_ctx, inp, resource_account)
    principal = Principal(arn=client.arn, account=client.account_id,
                          kind="root" if client.kind == ROOT else client.kind,
                          role_arn=client.role.arn if client.role is not None else None)
    request = Request(action=inp.action, resource=inp.resource, principal=principal,
                      context=Context.of(conditions), resource_account=resource_account)
    identity = policies_for(runtime, tx, client, client_ctx.generation)
    decision = _with_resource_policy(identity, inp.resource_policy).decide(request)
    answer: dict[str, Any] = {"decision": decision.decision,
                              "principal": principal_json(client),
                              "explanation": explanation(decision)}
    if not decision.allowed:
        answer["encoded_message"] = encode_authorization_message(
            runtime, denial_details(client, inp.action, inp.resource, conditions, decision))
    return answer


def _with_resource_policy(identity: PolicySet, document: PolicyDocument | None) -> PolicySet:
    """The principal's cached policy set with this request's resource policy added."""
    if document is None:
        return identity
    resource_gate = _resource_gate(document)
    return PolicySet(replace(identity.gates, resource=resource_gate, resource_required=False))


_RESOURCE_GATES: dict[int, tuple[PolicyDocument, Any]] = {}


def _resource_gate(document: PolicyDocument) -> Any:
    """The compiled gate of a resource policy, once per parsed document (the
    parsed documents are shared, see _parsed_resource_policy; the entry holds
    its document, so its id is not reused while it is kept)."""
    found = _RESOURCE_GATES.get(id(document))
    if found is not None and found[0] is document:
        return found[1]
    gate = PolicySet.compile(resource=document).gates.resource
    if len(_RESOURCE_GATES) > 1024:
        _RESOURCE_GATES.clear()
    _RESOURCE_GATES[id(document)] = (document, gate)
    return gate
