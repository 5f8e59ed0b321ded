"""What every Organizations operation shares: finding the caller's
organization, saving it, and how a call is registered and authorized.

An operation reads the organization of the caller's account once per call
(`organization`), locked for update in a write, so its checks and its change
rest on the same state; `save` writes it back. `org_operation` registers an
operation with the resource its authorization is decided on: the ARN of the
root, OU, account or policy a parameter names (from the Service
Authorization Reference's formats), "*" when the call names none, as AWS's
Organizations actions without resource types are granted on "*".
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from iamd.model.organizations_errors import (
    AccessDeniedException,
    AWSOrganizationsNotInUse,
    InvalidInput,
)
from iamd.service.context import OperationContext
from iamd.service.organizations.state import Organization
from iamd.service.registry import ContextValues, Handler, Params, operation
from iamd.store.organizations import StoredOrganization

_KEY = ("organization", "")
T = TypeVar("T")


def find_organization(ctx: OperationContext) -> Organization | None:
    """The organization of the caller's account, read once per call (locked
    for update in a write), or None."""
    if _KEY not in ctx.lookups:
        found = None
        organization_id = ctx.tx.organizations.of_account(ctx.account_id)
        if organization_id is not None:
            stored = ctx.tx.organizations.get(organization_id,
                                              for_update=not ctx.tx.read_only)
            if stored is not None:
                found = Organization.from_json(stored.document)
        ctx.lookups[_KEY] = found
    organization: Organization | None = ctx.lookups[_KEY]
    return organization


def organization(ctx: OperationContext) -> Organization:
    """The caller's organization; AWSOrganizationsNotInUse when there is none."""
    found = find_organization(ctx)
    if found is None:
        raise AWSOrganizationsNotInUse()
    return found


def managed_organization(ctx: OperationContext) -> Organization:
    """The organization the caller's account manages: a member account may not
    make the calls only a management account can."""
    found = organization(ctx)
    if found.management_account_id != ctx.account_id:
        raise AccessDeniedException()
    return found


def save(ctx: OperationContext, changed: Organization) -> None:
    ctx.tx.organizations.save(changed.id, changed.to_json())
    ctx.lookups[_KEY] = changed


def insert(ctx: OperationContext, created: Organization) -> None:
    ctx.tx.organizations.insert(StoredOrganization(
        created.id, created.management_account_id, created.to_json(), ctx.info.now))
    ctx.lookups[_KEY] = created


def epoch(moment: datetime) -> float:
    return moment.astimezone(UTC).timestamp()


def moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _resource(param: str | None) -> Callable[[OperationContext, Params], str]:
    """The ARN of the root, OU, account or policy `param` names; "*" when
    there is no such parameter or it names nothing of the organization."""
    def resolve(ctx: OperationContext, params: Params) -> str:
        target_id = params.get(param) if param is not None else None
        if not isinstance(target_id, str):
            return "*"
        found = find_organization(ctx)
        return (found.arn_of(target_id) if found is not None else None) or "*"
    return resolve


def _context(target: str | None) -> Callable[[OperationContext, Params], ContextValues]:
    """organizations:PolicyType (the type a call names, or its policy's type)
    and aws:ResourceTag/* (the tags of the root, OU, account or policy the
    call acts on)."""
    def resolve(ctx: OperationContext, params: Params) -> ContextValues:
        values: dict[str, str | list[str]] = {}
        found = find_organization(ctx)
        for name in ("Type", "PolicyType", "Filter"):
            if isinstance(params.get(name), str):
                values["organizations:PolicyType"] = params[name]
                break
        else:
            policy = found.policies.get(params.get("PolicyId", "")) if found is not None else None
            if policy is not None:
                values["organizations:PolicyType"] = policy.type
        target_id = params.get(target) if target else None
        if found is not None and isinstance(target_id, str):
            for key, value in found.tags.get(target_id, {}).items():
                values[f"aws:ResourceTag/{key}"] = value
        return values
    return resolve


def org_operation(name: str, *, read_only: bool = False,
                  target: str | None = None) -> Callable[[Handler], Handler]:
    """Register an Organizations operation, authorized on the ARN of what its
    parameter `target` names (on "*" without one)."""
    return operation("organizations", name, read_only=read_only, resource=_resource(target),
                     context=_context(target))


def page(items: list[T], params: Params, member: str) -> dict[str, Any]:
    """One page of `items` under `member`, resumed from NextToken (an offset
    into the listing, as the listing is ordered stably); MaxResults 1 to 20."""
    token = params.get("NextToken")
    start = 0
    if token is not None:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("iamd:"))
        except (ValueError, UnicodeDecodeError):
            start = -1
        if start < 0:
            raise InvalidInput("The specified pagination token isn't valid.",
                               reason="INVALID_NEXT_TOKEN")
    limit = params.get("MaxResults") or 20
    chunk = items[start:start + limit]
    out: dict[str, Any] = {member: chunk}
    if start + limit < len(items):
        out["NextToken"] = base64.urlsafe_b64encode(f"iamd:{start + limit}".encode()).decode()
    return out


def check_tags(tags: list[dict[str, str]]) -> dict[str, str]:
    """Tags as a dict; a key given twice is InvalidInput (DUPLICATE_TAG_KEY)."""
    out: dict[str, str] = {}
    for tag in tags:
        if tag["Key"] in out:
            raise InvalidInput("You provided duplicate tag keys.", reason="DUPLICATE_TAG_KEY")
        out[tag["Key"]] = tag.get("Value", "")
    return out


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]
