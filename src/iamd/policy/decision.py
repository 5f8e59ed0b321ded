"""The decision: AWS's evaluation order, and the value that says why.

`decide` walks the gates of "Policy evaluation logic" and "Cross-account
policy evaluation logic" in the IAM User Guide:

1. an explicit deny in any applicable policy denies;
2. RCPs, then SCPs: at every level some policy must allow;
3. a same-account resource-based policy that names the caller directly allows
   (not limited by identity policies, boundaries or session policies); one
   that names the caller's role is limited by the boundary and session
   policies; one that names the account needs the identity side too;
4. identity-based policies, then the permissions boundary, then session
   policies must each allow (a federated user session without a session
   policy has no permissions);
5. a cross-account request also needs the resource-based policy to allow it
   (checked before the identity side, as the flowchart orders them); a role
   trust policy must allow the caller even within the account.

The gates ask a `StatementSource` (the compiled engine or the reference one)
which statements apply, so both engines share this one reading of the rules.
The root user is allowed everything in its own account unless something
denies it or an SCP does not allow it. RCPs gate only the services AWS
applies them to (`RCP_SERVICES`); a request to any other service passes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from iamd.policy.principals import ACCOUNT, DIRECT, ROLE
from iamd.policy.request import FEDERATED_USER, ROOT, Request

ALLOW = "Allow"
EXPLICIT_DENY = "ExplicitDeny"
IMPLICIT_DENY = "ImplicitDeny"

IDENTITY = "identity"
RESOURCE = "resource"
BOUNDARY = "permissions_boundary"
SESSION = "session"
SCP = "scp"
RCP = "rcp"

# The services whose resources resource control policies govern ("Resource
# control policies (RCPs)", AWS Organizations User Guide: Amazon S3, AWS STS,
# AWS KMS, Amazon SQS, AWS Secrets Manager, Amazon Cognito, Amazon CloudWatch
# Logs, Amazon DynamoDB, Amazon ECR, Amazon OpenSearch Serverless).
RCP_SERVICES = frozenset({"s3", "sts", "kms", "sqs", "secretsmanager", "cognito-idp",
                          "cognito-identity", "logs", "dynamodb", "ecr", "aoss"})

_NAMES = {
    IDENTITY: ("an identity-based policy", "identity-based policy"),
    RESOURCE: ("a resource-based policy", "resource-based policy"),
    BOUNDARY: ("a permissions boundary", "permissions boundary"),
    SESSION: ("a session policy", "session policy"),
    SCP: ("a service control policy", "service control policy"),
    RCP: ("a resource control policy", "resource control policy"),
}


@dataclass(frozen=True, slots=True)
class StatementRef:
    """Where a statement lives: enough to point a person at it."""

    policy_type: str
    policy_index: int
    policy_id: str | None
    statement_index: int
    sid: str | None
    effect: str
    level: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "policy_type": self.policy_type, "policy_index": self.policy_index,
            "policy_id": self.policy_id, "statement_index": self.statement_index,
            "sid": self.sid, "effect": self.effect,
        }
        if self.level is not None:
            out["level"] = self.level
        return out


@dataclass(slots=True)
class Decision:  # not frozen: built once per request, and frozen slots cost a setattr each
    decision: str
    policy_type: str | None
    action: str
    level: int | None = None
    statements: tuple[StatementRef, ...] = field(default=())

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOW

    @property
    def reason(self) -> str:
        """The end of AWS's AccessDenied sentence, or what allowed the request."""
        if self.decision == EXPLICIT_DENY:
            return f"with an explicit deny in {_NAMES[self.policy_type or IDENTITY][0]}"
        if self.decision == IMPLICIT_DENY:
            return f"because no {_NAMES[self.policy_type or IDENTITY][1]} allows the {self.action} action"
        if self.policy_type is None:
            return "allowed: the root user may do everything in its own account"
        return f"allowed by {_NAMES[self.policy_type][0]}"

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "policy_type": self.policy_type,
            "level": self.level,
            "statements": [s.to_json() for s in self.statements],
            "reason": self.reason,
        }


def explain(result: Mapping[str, Any]) -> str:
    """A decision's JSON form (Decision.to_json, or a result line of `iamd
    policy evaluate`, error included) as lines for a person to read."""
    if "error" in result:
        return f"error: {result['error']['code']}: {result['error']['message']}"
    lines = [f"{result['decision']}: {result['reason']}"]
    if result.get("level") is not None:
        lines.append(f"  at {result['policy_type']} level {result['level']}")
    for st in result["statements"]:
        sid = f" (Sid {st['sid']})" if st["sid"] else ""
        name = f" {st['policy_id']}" if st["policy_id"] else ""
        lines.append(f"  {st['effect']} in {st['policy_type']} policy #{st['policy_index']}{name}, "
                     f"statement #{st['statement_index']}{sid}")
    return "\n".join(lines)


class StatementSource(Protocol):
    """The statements of one group of policies (one gate), as an engine sees them."""

    def find_deny(self, request: Request) -> StatementRef | None: ...

    def find_allow(self, request: Request) -> StatementRef | None: ...


class ResourceSource(StatementSource, Protocol):
    def find_allows(self, request: Request) -> list[tuple[StatementRef, str]]:
        """Every applicable Allow with how its principal names the caller."""
        ...


@dataclass(frozen=True, slots=True)
class Gates:
    """The policies that apply to one request, grouped by gate."""

    identity: StatementSource | None = None
    resource: ResourceSource | None = None
    boundary: StatementSource | None = None
    session: StatementSource | None = None
    scp: Sequence[StatementSource] = ()
    rcp: Sequence[StatementSource] = ()
    # A role trust policy (and a KMS key policy) must itself allow the caller:
    # an identity policy alone is not enough ("Policy evaluation logic").
    resource_required: bool = False


def decide(request: Request, gates: Gates) -> Decision:
    action = request.action
    if gates.rcp and action.partition(":")[0].lower() not in RCP_SERVICES:
        gates = replace(gates, rcp=())
    identity, resource, boundary, session = gates.identity, gates.resource, gates.boundary, gates.session
    # 1. Explicit deny, wherever it is.
    if gates.scp or gates.rcp:
        for kind, levels in ((SCP, gates.scp), (RCP, gates.rcp)):
            for level, source in enumerate(levels):
                ref = source.find_deny(request)
                if ref is not None:
                    return Decision(EXPLICIT_DENY, kind, action, level, (ref,))
    if identity is not None and (ref := identity.find_deny(request)) is not None:
        return Decision(EXPLICIT_DENY, IDENTITY, action, None, (ref,))
    if resource is not None and (ref := resource.find_deny(request)) is not None:
        return Decision(EXPLICIT_DENY, RESOURCE, action, None, (ref,))
    if boundary is not None and (ref := boundary.find_deny(request)) is not None:
        return Decision(EXPLICIT_DENY, BOUNDARY, action, None, (ref,))
    if session is not None and (ref := session.find_deny(request)) is not None:
        return Decision(EXPLICIT_DENY, SESSION, action, None, (ref,))

    # 2. Organization guardrails: every level must allow.
    if gates.scp or gates.rcp:
        for kind, levels in ((RCP, gates.rcp), (SCP, gates.scp)):
            for level, source in enumerate(levels):
                if source.find_allow(request) is None:
                    return Decision(IMPLICIT_DENY, kind, action, level)

    principal = request.principal
    cross_account = request.cross_account
    if principal.kind == ROOT and not cross_account:
        return Decision(ALLOW, None, action)

    # 3. Resource-based policy.
    by_kind: dict[str, StatementRef] = {}
    if resource is not None:
        by_kind = {kind: ref for ref, kind in reversed(resource.find_allows(request))}
    if principal.arn is None:
        # Services and federated callers have no identity side: only the
        # resource-based (trust) policy can let them in.
        if DIRECT in by_kind:
            return Decision(ALLOW, RESOURCE, action, None, (by_kind[DIRECT],))
        return Decision(IMPLICIT_DENY, RESOURCE, action)
    if gates.resource_required and not by_kind:
        return Decision(IMPLICIT_DENY, RESOURCE, action)
    if by_kind and not cross_account:
        if DIRECT in by_kind:
            return Decision(ALLOW, RESOURCE, action, None, (by_kind[DIRECT],))
        if ROLE in by_kind:
            limited = _limits(request, gates)
            if limited is not None:
                return limited
            return Decision(ALLOW, RESOURCE, action, None, (by_kind[ROLE],))
    if cross_account and not by_kind:
        return Decision(IMPLICIT_DENY, RESOURCE, action)

    # 4. Identity side: identity policies, boundary, session policies.
    identity_ref = identity.find_allow(request) if identity is not None else None
    if identity_ref is None and principal.kind != ROOT:
        return Decision(IMPLICIT_DENY, IDENTITY, action)
    if boundary is not None or session is not None or principal.kind == FEDERATED_USER:
        limited = _limits(request, gates)
        if limited is not None:
            return limited

    # 5. Cross-account: the resource's owner must agree.
    if cross_account:
        ref = by_kind.get(DIRECT) or by_kind.get(ROLE) or by_kind.get(ACCOUNT)
        if ref is None:
            return Decision(IMPLICIT_DENY, RESOURCE, action)
        refs = (ref,) if identity_ref is None else (identity_ref, ref)
        return Decision(ALLOW, RESOURCE if identity_ref is None else IDENTITY, action, None, refs)
    assert identity_ref is not None
    return Decision(ALLOW, IDENTITY, action, None, (identity_ref,))


def _limits(request: Request, gates: Gates) -> Decision | None:
    """The implicit deny of a boundary or session policy that does not allow."""
    if request.principal.kind == ROOT:
        return None
    for kind, source in ((BOUNDARY, gates.boundary), (SESSION, gates.session)):
        if source is not None and source.find_allow(request) is None:
            return Decision(IMPLICIT_DENY, kind, request.action)
    if gates.session is None and request.principal.kind == FEDERATED_USER:
        # GetFederationToken without a session policy grants nothing.
        return Decision(IMPLICIT_DENY, SESSION, request.action)
    return None
