"""The request being decided: who asks, for what action, on which resource, in what context.

A `Request` is built once per decision from the caller's facts (the service
layer builds it directly; `Request.from_json` reads the command-line contract
of docs/policy-engine.md). Context keys are case-insensitive in AWS, so they
are stored lowercased; every value is a tuple of strings so that single- and
multi-valued keys share one shape, and `multi` remembers which keys were given
as lists (policy variables may not use those).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from iamd.model.errors import AwsError

# The principal kinds iamd distinguishes, as AWS does for resource-based policies.
USER = "user"
ASSUMED_ROLE = "assumed-role"
FEDERATED_USER = "federated-user"
ROOT = "root"
ROLE = "role"
SERVICE = "service"
FEDERATED = "federated"
ANONYMOUS = "anonymous"

_ARN_KIND = re.compile(r"^arn:[^:]+:(iam|sts)::(\d{12}):(user/|assumed-role/|federated-user/|root$|role/)")


class InvalidRequest(AwsError):
    code = "InvalidRequest"


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller. `arn` is None for a service or federated caller not yet a session."""

    arn: str | None
    account: str | None
    kind: str
    role_arn: str | None = None  # for assumed-role sessions: the role, path included
    service: str | None = None
    federated: str | None = None
    canonical_user: str | None = None

    @classmethod
    def from_arn(cls, arn: str, account: str | None = None, role_arn: str | None = None) -> Principal:
        m = _ARN_KIND.match(arn)
        if m is None:
            raise InvalidRequest(f"principal.arn is not a principal ARN: {arn!r}")
        acct = account or m.group(2)
        kind = m.group(3).rstrip("/").rstrip("$")
        if kind == ASSUMED_ROLE and role_arn is None:
            # arn:aws:sts::A:assumed-role/Role/Session -> the role without its path,
            # which is all the session ARN carries.
            partition = arn.split(":", 2)[1]
            role_name = arn.split(":", 5)[5].split("/")[1]
            role_arn = f"arn:{partition}:iam::{acct}:role/{role_name}"
        return cls(arn=arn, account=acct, kind=kind, role_arn=role_arn if kind == ASSUMED_ROLE else None)


class Context(dict[str, tuple[str, ...]]):
    """Request context: lowercased key -> values. `multi` holds keys given as lists."""

    __slots__ = ("multi",)

    def __init__(self) -> None:
        super().__init__()
        self.multi: set[str] = set()

    @classmethod
    def of(cls, values: Mapping[str, str | list[str] | tuple[str, ...]]) -> Context:
        ctx = cls()
        for key, value in values.items():
            ctx.put(key, value)
        return ctx

    def put(self, key: str, value: str | list[str] | tuple[str, ...]) -> None:
        lower = key.lower()
        if isinstance(value, str):
            self[lower] = (value,)
            self.multi.discard(lower)
        else:
            self[lower] = tuple(value)
            self.multi.add(lower)

    def single(self, key_lower: str) -> str | None:
        """The value of a single-valued key, as a policy variable may use it."""
        values = self.get(key_lower)
        if values is None or len(values) != 1 or key_lower in self.multi:
            return None
        return values[0]


@dataclass(slots=True)
class Request:
    action: str
    resource: str
    principal: Principal
    context: Context
    resource_account: str | None = None
    has_boundary: bool = False  # NotPrincipal never exempts a principal with a boundary
    action_lower: str = field(init=False)
    cross_account: bool = field(init=False)

    def __post_init__(self) -> None:
        self.action_lower = self.action.lower()
        if self.resource_account is None:
            self.resource_account = _account_of(self.resource) or self.principal.account
        self.cross_account = (self.principal.account is not None
                              and self.resource_account is not None
                              and self.principal.account != self.resource_account)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Request:
        """Read the command-line contract's request (policies excluded)."""
        action = data.get("action")
        if not isinstance(action, str) or ":" not in action:
            raise InvalidRequest("request.action must be a string of the form service:Action")
        resource = data.get("resource", "*")
        if not isinstance(resource, str) or not resource:
            raise InvalidRequest("request.resource must be an ARN or '*'")
        raw_context = data.get("context") or {}
        if not isinstance(raw_context, Mapping):
            raise InvalidRequest("request.context must be an object")
        for key, value in raw_context.items():
            if not (isinstance(value, str) or (isinstance(value, list)
                                               and all(isinstance(v, str) for v in value))):
                raise InvalidRequest(f"context value of {key!r} must be a string or a list of strings")
        context = Context.of(raw_context)
        principal = _principal_from_json(data.get("principal") or {}, context)
        if principal.arn is not None:
            context.setdefault("aws:principalarn", (principal.role_arn or principal.arn,))
        if principal.account is not None:
            context.setdefault("aws:principalaccount", (principal.account,))
        if principal.kind == USER and principal.arn is not None:
            # AWS sets aws:username for IAM users only: the last part of the ARN.
            context.setdefault("aws:username", (principal.arn.rsplit("/", 1)[-1],))
        resource_account = data.get("resource_account")
        if resource_account is not None and not isinstance(resource_account, str):
            raise InvalidRequest("request.resource_account must be a string")
        return cls(action=action, resource=resource, principal=principal, context=context,
                   resource_account=resource_account)


def _principal_from_json(data: Mapping[str, Any], context: Context) -> Principal:
    if not isinstance(data, Mapping):
        raise InvalidRequest("request.principal must be an object")
    for name in ("arn", "account", "service", "federated", "canonical_user"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise InvalidRequest(f"principal.{name} must be a string")
    arn = data.get("arn")
    account = data.get("account")
    if arn:
        principal_arn = context.single("aws:principalarn")
        role_arn = principal_arn if principal_arn and ":role/" in principal_arn else None
        return Principal.from_arn(arn, account, role_arn)
    if data.get("service"):
        return Principal(arn=None, account=account, kind=SERVICE, service=data["service"])
    if data.get("federated"):
        return Principal(arn=None, account=account, kind=FEDERATED, federated=data["federated"])
    if data.get("canonical_user"):
        return Principal(arn=None, account=account, kind=ANONYMOUS,
                         canonical_user=data["canonical_user"])
    return Principal(arn=None, account=account, kind=ANONYMOUS)


def _account_of(resource: str) -> str | None:
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[4]:
        return parts[4]
    return None
