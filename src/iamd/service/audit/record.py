"""One audit event in CloudTrail's record format, and iamd's reasons beside it.

The fields and their order follow "CloudTrail record contents" (event
version 1.11): who (`userIdentity`, as CloudTrail spells each kind of
principal), when, where from, what (`eventSource`, `eventName`,
`requestParameters`, `responseElements` with secrets hidden, shapes.py),
how it ended (`errorCode`, `errorMessage`), and the ids. Beyond CloudTrail,
the `iamd` member says what decided: each authorization the call made, with
its decision, the sentence AccessDenied gives, and the policy and statement
(`iamd policy evaluate --explain`'s text).

A call is captured as an `ApiCall` (cheap: references to what the request
already holds) and turned into a `StoredEvent` by `api_call_event`, in the
request for a write (its event commits with it) and in the background
writer for everything else.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from iamd.model.errors import AwsError
from iamd.policy import Decision, explain
from iamd.service.audit.shapes import operation_shapes
from iamd.service.context import (
    ASSUMED_ROLE,
    FEDERATED_USER,
    IAM_USER,
    ROOT,
    Caller,
    RequestInfo,
    iso_seconds,
)
from iamd.store.audit_events import AuditResource, StoredEvent

EVENT_VERSION = "1.11"
API_CALL = "AwsApiCall"
CONSOLE_SIGN_IN = "AwsConsoleSignIn"

# CloudTrail's userIdentity.type for each kind of principal.
IDENTITY_TYPES = {ROOT: "Root", IAM_USER: "IAMUser", ASSUMED_ROLE: "AssumedRole",
                  FEDERATED_USER: "FederatedUser"}
# The unsigned STS calls: their caller is the identity in the assertion or token.
_ANONYMOUS_TYPES = {"AssumeRoleWithSAML": "SAMLUser",
                    "AssumeRoleWithWebIdentity": "WebIdentityUser"}


@dataclass(frozen=True, slots=True)
class Verdict:
    """One authorization a call made: the action, on what, and the decision."""

    action: str
    resource: str
    decision: Decision

    def to_json(self, caller_arn: str) -> dict[str, Any]:
        d = self.decision
        sentence = (f"User: {caller_arn} is not authorized to perform: {self.action} "
                    f"on resource: {self.resource} {d.reason}") if not d.allowed else d.reason
        return {
            "action": self.action, "resource": self.resource, "decision": d.decision,
            "reason": sentence, "policyType": d.policy_type,
            "statements": [{"policyType": s.policy_type, "policyId": s.policy_id,
                            "policyIndex": s.policy_index, "statementIndex": s.statement_index,
                            "sid": s.sid, "effect": s.effect} for s in d.statements],
            "explanation": explain(d.to_json()),
        }


@dataclass(slots=True)
class ApiCall:
    """What a call's event is made of, as the request holds it."""

    caller: Caller
    info: RequestInfo
    service: str
    name: str
    params: Mapping[str, Any]
    read_only: bool
    result: Mapping[str, Any] | None = None
    error: AwsError | None = None
    verdicts: list[Verdict] = field(default_factory=list)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def event(self) -> StoredEvent:
        return api_call_event(self)


def new_event_id(when: datetime) -> str:
    """A UUID of version 7 (RFC 9562): `when` in milliseconds, then random
    bits. Ids in time order keep the store's inserts at the end of its key
    (and order the events of one second)."""
    h = bytearray(int(when.timestamp() * 1000).to_bytes(6, "big") + os.urandom(10))
    h[6] = (h[6] & 0x0F) | 0x70
    h[8] = (h[8] & 0x3F) | 0x80
    x = h.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def user_identity(caller: Caller) -> dict[str, Any]:
    """The caller as CloudTrail's userIdentity element describes it."""
    identity: dict[str, Any] = {"type": IDENTITY_TYPES.get(caller.kind, "Unknown"),
                                "principalId": caller.user_id, "arn": caller.arn,
                                "accountId": caller.account_id}
    if caller.access_key_id:
        identity["accessKeyId"] = caller.access_key_id
    if caller.kind == IAM_USER and caller.user is not None:
        identity["userName"] = caller.user.name
    session = caller.session
    if session is not None:
        context: dict[str, Any] = {}
        if caller.kind == ASSUMED_ROLE and caller.role is not None:
            role = caller.role
            context["sessionIssuer"] = {"type": "Role", "principalId": role.id, "arn": role.arn,
                                        "accountId": role.account_id, "userName": role.name}
        elif caller.kind == FEDERATED_USER and caller.user is not None:
            user = caller.user
            context["sessionIssuer"] = {"type": "IAMUser", "principalId": user.id,
                                        "arn": user.arn, "accountId": user.account_id,
                                        "userName": user.name}
        attributes: dict[str, str] = {}
        if session.issued is not None:
            attributes["creationDate"] = iso_seconds(session.issued)
        attributes["mfaAuthenticated"] = "true" if session.mfa_authenticated else "false"
        context["attributes"] = attributes
        if session.source_identity:
            context["sourceIdentity"] = session.source_identity
        identity["sessionContext"] = context
    return identity


def username_of(caller: Caller) -> str | None:
    """The user name CloudTrail's event history shows (the Username lookup)."""
    if caller.kind == ROOT:
        return "root"
    if caller.kind == IAM_USER and caller.user is not None:
        return caller.user.name
    if caller.arn:
        return caller.arn.rsplit("/", 1)[-1]  # the role session's or federated user's name
    return None


def _anonymous_identity(name: str, params: Mapping[str, Any],
                        result: Mapping[str, Any] | None) -> tuple[dict[str, Any], str, str | None]:
    """userIdentity, recipient account and user name of an unsigned STS call."""
    role_arn = str(params.get("RoleArn", ""))
    parts = role_arn.split(":")
    account = parts[4] if len(parts) > 4 else ""
    identity: dict[str, Any] = {"type": _ANONYMOUS_TYPES.get(name, "Unknown")}
    subject = None
    if result is not None:
        subject = result.get("SubjectFromWebIdentityToken") or result.get("Subject")
        provider = result.get("Provider") or result.get("Issuer")
        if provider:
            identity["identityProvider"] = provider
    if subject:
        identity["principalId"] = subject
        identity["userName"] = subject
    return identity, account, subject


def _resources(call: ApiCall, parameters: tuple[tuple[str, str], ...]) -> tuple[AuditResource, ...]:
    found = []
    for parameter, kind in parameters:
        value = call.params.get(parameter)
        if isinstance(value, str) and value:
            found.append(AuditResource(kind, value))
    return tuple(found)


# One encoder for every record: json.dumps with these options builds a new
# one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str)


def dumps(value: Any) -> str:
    """Compact JSON, as the records are written."""
    return _ENCODER.encode(value)


# A request's caller is most often the very object the access key cache holds
# (authentication.py), and its decisions repeat: their JSON is written once
# and reused (keyed by the object, kept alive by the entry; bounded).
_IDENTITIES: dict[int, tuple[Caller, str, str | None]] = {}
_DECISIONS: dict[tuple[Any, ...], str] = {}
_CACHE_LIMIT = 4096


def identity_text(caller: Caller) -> tuple[str, str | None]:
    """The caller's userIdentity as JSON text, and its user name (written once per caller)."""
    found = _IDENTITIES.get(id(caller))
    if found is not None and found[0] is caller:
        return found[1], found[2]
    text, username = dumps(user_identity(caller)), username_of(caller)
    if len(_IDENTITIES) >= _CACHE_LIMIT:
        _IDENTITIES.clear()
    _IDENTITIES[id(caller)] = (caller, text, username)
    return text, username


_AUTHORIZATIONS: dict[tuple[Any, ...], tuple[str, str]] = {}


def authorization_text(caller_arn: str, verdict: Verdict) -> tuple[str, str]:
    """One authorization's JSON (Verdict.to_json) and its sentence, written
    once per caller and decision."""
    d = verdict.decision
    key = (caller_arn, verdict.action, verdict.resource, d.decision, d.policy_type, d.level,
           d.statements, d.reason)
    found = _AUTHORIZATIONS.get(key)
    if found is None:
        described = verdict.to_json(caller_arn)
        found = (dumps(described), described["reason"])
        if len(_AUTHORIZATIONS) >= _CACHE_LIMIT:
            _AUTHORIZATIONS.clear()
        _AUTHORIZATIONS[key] = found
    return found


def _decision_text(call: ApiCall) -> str:
    failed = call.error is not None
    key = (call.caller.arn, failed, *((v.action, v.resource, v.decision.decision,
                                       v.decision.policy_type, v.decision.level,
                                       v.decision.statements) for v in call.verdicts))
    found = _DECISIONS.get(key)
    if found is None:
        decision = (call.verdicts[-1].decision.decision if call.verdicts
                    else (None if failed else "Allow"))
        found = dumps({"decision": decision,
                        "authorizations": [v.to_json(call.caller.arn) for v in call.verdicts]})
        if len(_DECISIONS) >= _CACHE_LIMIT:
            _DECISIONS.clear()
        _DECISIONS[key] = found
    return found


def api_call_event(call: ApiCall) -> StoredEvent:
    """The stored event of one call through dispatch."""
    shapes = operation_shapes(call.service, call.name)
    caller, info = call.caller, call.info
    identity: dict[str, Any] | str
    if caller.arn:
        identity, username = identity_text(caller)
        account = caller.account_id
    else:
        identity, account, username = _anonymous_identity(call.name, call.params, call.result)
    response = None
    if call.error is None and shapes.response is not None and call.result is not None:
        response = shapes.response(call.result)
    resources = _resources(call, shapes.resource_parameters)
    extra: dict[str, Any] = {}
    if info.console:
        extra["sessionCredentialFromConsole"] = "true"
    return build_event(
        at=call.at, account_id=account, identity=identity, username=username,
        access_key_id=caller.access_key_id, source=f"{call.service}.amazonaws.com",
        name=call.name, info=info, request=shapes.request(call.params) or None,
        response=response, error=call.error, read_only=call.read_only, event_type=API_CALL,
        resources=resources, extra=extra, iamd=_decision_text(call))


# Stand-ins for members whose JSON is already written (see _IDENTITIES): the
# record is encoded with them and they are then replaced by that text. The
# identity is the record's second member, so its stand-in is the first match;
# the iamd member is the last, so its stand-in is the last match. A value a
# client sent (a user agent, a parameter) that spells a stand-in can
# therefore never be the one replaced.
_IDENTITY_MARK = "\x00identity\x00"
_IAMD_MARK = "\x00iamd\x00"
_IDENTITY_JSON = json.dumps(_IDENTITY_MARK)
_IAMD_JSON = json.dumps(_IAMD_MARK)


def build_event(*, at: datetime, account_id: str, identity: dict[str, Any] | str,
                username: str | None, access_key_id: str | None, source: str, name: str,
                info: RequestInfo, request: Any, response: Any, error: AwsError | None,
                read_only: bool, error_message: str | None = None, event_type: str, resources: tuple[AuditResource, ...] = (),
                extra: Mapping[str, Any] | None = None, additional: Any = None,
                iamd: Mapping[str, Any] | str | None = None,
                source_ip: str | None = None, user_agent: str | None = None) -> StoredEvent:
    """The record in CloudTrail's field order, and the row that stores it."""
    event_id = new_event_id(at)
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": _IDENTITY_MARK if isinstance(identity, str) else identity,
        "eventTime": iso_seconds(at),
        "eventSource": source,
        "eventName": name,
        "awsRegion": info.region,
        "sourceIPAddress": source_ip if source_ip is not None else info.source_ip,
        "userAgent": user_agent if user_agent is not None else info.user_agent,
    }
    if error is not None:
        record["errorCode"] = error.code
        record["errorMessage"] = error.message
    elif error_message is not None:  # ConsoleLogin's failure has a message, no code
        record["errorMessage"] = error_message
    record["requestParameters"] = request
    record["responseElements"] = response
    if additional is not None:
        record["additionalEventData"] = additional
    record["requestID"] = info.request_id
    record["eventID"] = event_id
    record["readOnly"] = read_only
    if resources:
        record["resources"] = [
            {"accountId": account_id, "type": r.resource_type,
             **({"ARN": r.resource_name} if r.resource_name.startswith("arn:")
                else {"name": r.resource_name})} for r in resources]
    record["eventType"] = event_type
    record["managementEvent"] = True
    record["recipientAccountId"] = account_id
    record["eventCategory"] = "Management"
    if extra:
        record.update(extra)
    if iamd is not None:
        record["iamd"] = _IAMD_MARK if isinstance(iamd, str) else iamd
    text = dumps(record)
    if isinstance(identity, str):
        before, _, after = text.partition(_IDENTITY_JSON)
        text = before + identity + after
    if isinstance(iamd, str):
        before, _, after = text.rpartition(_IAMD_JSON)
        text = before + iamd + after
    return StoredEvent(event_id=event_id, account_id=account_id, event_time=at,
                       event_name=name, event_source=source, username=username,
                       access_key_id=access_key_id, read_only=read_only, record=text,
                       resources=resources)
