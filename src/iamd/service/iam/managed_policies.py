"""Managed policies: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, and their tags.

A customer managed policy belongs to one account; AWS managed policies belong
to the pseudo-account "aws" and every account sees them. A policy ARN that
names another account is "outside your own account": it cannot be deleted or
versioned (AccessDenied, AWS's words) and is not found by the other calls.
Deleting a policy needs it detached from every principal, unused as a
permissions boundary and down to its default version, as in AWS. The helpers
the version and attachment operations share (finding a visible policy, the
ARN check, in-memory pagination) live here too.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from iamd.model.entities import ManagedPolicy, ResourceKind, Tag
from iamd.model.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    NoSuchPolicy,
)
from iamd.policy import PolicyKind, parse_policy
from iamd.service import arns, ids
from iamd.service.context import OperationContext
from iamd.service.iam.common import (
    add_tags,
    check_tags,
    checked_marker,
    invalid_marker,
    page_args,
    remove_tags,
    tag_shape,
    tags_result,
)
from iamd.service.registry import Params, operation
from iamd.store.errors import Conflict, IntegrityViolation

T = TypeVar("T")

AWS_ACCOUNT = "aws"
MAX_POLICIES_PER_ACCOUNT = 1500


# --- shared with policy_versions, attachments --------------------------------


def arn_account(arn: str) -> str:
    return arn.split(":", 5)[4]


def is_aws_managed(policy: ManagedPolicy) -> bool:
    return policy.account_id == AWS_ACCOUNT


def visible_policy(ctx: OperationContext, arn: str, *,
                   for_update: bool = False) -> ManagedPolicy | None:
    """The policy if the caller's account may see it: its own or an AWS managed one.

    Usage counts are those of the caller's account (an AWS managed policy is
    attached in many accounts, and each sees only its own use).
    """
    policy = ctx.tx.policies.get_by_arn(arn, viewer_account_id=ctx.account_id,
                                        for_update=for_update)
    if policy is None or policy.account_id not in (ctx.account_id, AWS_ACCOUNT):
        return None
    return policy


def policy_not_found(arn: str) -> NoSuchEntity:
    return NoSuchPolicy(arn=arn)


def policy_or_fail(ctx: OperationContext, arn: str, *, for_update: bool = False) -> ManagedPolicy:
    arns.check_shape(arn)
    policy = visible_policy(ctx, arn, for_update=for_update)
    if policy is None:
        raise policy_not_found(arn)
    return policy


def refuse_outside_account(ctx: OperationContext, arn: str, message: str) -> None:
    """AWS managed policies and other accounts' policies are not the caller's to change."""
    arns.check_shape(arn)
    if arn_account(arn) != ctx.account_id:
        raise AccessDenied(message)


def _encode_marker(key: Sequence[str]) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), ensure_ascii=True)
    return base64.urlsafe_b64encode(raw.encode("ascii")).decode("ascii").rstrip("=")


def _decode_marker(marker: str, width: int) -> tuple[str, ...]:
    try:
        value = json.loads(base64.urlsafe_b64decode((marker + "=" * (-len(marker) % 4)).encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        value = None
    if not isinstance(value, list) or len(value) != width or not all(isinstance(v, str) for v in value):
        raise invalid_marker()
    return tuple(value)


def paginate(items: Sequence[T], params: Params, key: Callable[[T], tuple[str, ...]],
             ordered: bool = False) -> tuple[list[T], str | None]:
    """One page of a list held in memory, ordered by `key` unless already `ordered`.

    The marker is the last item's key, opaque to the client, so a page
    resumes after it even when items come and go in between.
    """
    marker, max_items = page_args(params)
    rows = list(items) if ordered else sorted(items, key=key)
    if marker is not None:
        if not rows:
            return [], None
        last = _decode_marker(marker, len(key(rows[0])))
        if ordered:
            positions = [i for i, row in enumerate(rows) if key(row) == last]
            rows = rows[positions[0] + 1:] if positions else []
        else:
            rows = [row for row in rows if key(row) > last]
    chunk = rows[:max_items]
    next_marker = _encode_marker(key(chunk[-1])) if len(rows) > max_items else None
    return chunk, next_marker


def listing(member: str, chunk: list[Any], marker: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {member: chunk, "IsTruncated": marker is not None}
    if marker is not None:
        result["Marker"] = marker
    return result


def policy_shape(policy: ManagedPolicy, *, description: bool = True,
                 tags: list[dict[str, str]] | None = None) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "PolicyName": policy.name, "PolicyId": policy.id, "Arn": policy.arn, "Path": policy.path,
        "DefaultVersionId": policy.default_version_id, "AttachmentCount": policy.attachment_count,
        "PermissionsBoundaryUsageCount": policy.permissions_boundary_usage_count,
        "IsAttachable": policy.is_attachable,
    }
    if description and policy.description:
        shape["Description"] = policy.description
    shape["CreateDate"] = policy.created
    shape["UpdateDate"] = policy.updated
    if tags is not None:
        shape["Tags"] = tags
    return shape


def _policy_tags(params: Params) -> list[Tag]:
    tags = [Tag(t["Key"], t.get("Value", "")) for t in params.get("Tags") or []]
    # AWS words a duplicate key on a policy without the note about case the
    # user and role calls add; iamd keeps tag keys unique ignoring case on
    # every resource, so a key differing only in case is a duplicate here too.
    lowered = [tag.key.lower() for tag in tags]
    if len(set(lowered)) != len(lowered):
        raise InvalidInput("Duplicate tag keys found.")
    return tags


# --- operations ---------------------------------------------------------------


@operation("iam", "CreatePolicy")
def create_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    name, path = params["PolicyName"], params.get("Path") or "/"
    document = params["PolicyDocument"]
    parse_policy(document, PolicyKind.MANAGED)
    tags = _policy_tags(params)
    check_tags(tags)
    if ctx.tx.policies.count(ctx.account_id) >= MAX_POLICIES_PER_ACCOUNT:
        raise LimitExceeded(f"Cannot exceed quota for PoliciesPerAccount: {MAX_POLICIES_PER_ACCOUNT}")
    try:
        policy = ctx.tx.policies.create(
            policy_id=ids.unique_id(ids.POLICY), account_id=ctx.account_id, path=path, name=name,
            arn=arns.entity_arn("policy", ctx.account_id, path, name), document=document,
            created=ctx.info.now, description=params.get("Description") or None)
    except Conflict:
        raise EntityAlreadyExists(
            f"A policy called {name} already exists. Duplicate names are not allowed.") from None
    if tags:
        ctx.tx.tags.replace(ResourceKind.POLICY, policy.id, tags)
    # CreatePolicy's answer leaves the description out (GetPolicy has it),
    # and names Tags only when some were given.
    return {"Policy": policy_shape(policy, description=False,
                                   tags=[tag_shape(t) for t in tags] if tags else None)}


@operation("iam", "GetPolicy", read_only=True)
def get_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    policy = policy_or_fail(ctx, params["PolicyArn"])
    tags = [tag_shape(t) for t in ctx.tx.tags.list(ResourceKind.POLICY, policy.id)]
    return {"Policy": policy_shape(policy, tags=tags)}


_SCOPES = {"All": (None, AWS_ACCOUNT), "AWS": (AWS_ACCOUNT,), "Local": (None,)}


@operation("iam", "ListPolicies", read_only=True)
def list_policies(ctx: OperationContext, params: Params) -> dict[str, Any]:
    owners = [owner or ctx.account_id for owner in _SCOPES[params.get("Scope") or "All"]]
    usage = params.get("PolicyUsageFilter")
    # A policy in use as a permissions policy is one attached somewhere in the
    # account: the store answers that itself.
    only_attached = bool(params.get("OnlyAttached")) or usage == "PermissionsPolicy"
    path_prefix = params.get("PathPrefix")
    if usage != "PermissionsBoundary":
        marker, max_items = page_args(params)
        with checked_marker():
            page = ctx.tx.policies.list(ctx.account_id, owners=owners, path_prefix=path_prefix,
                                        only_attached=only_attached, after=marker, limit=max_items)
        return listing("Policies", [policy_shape(p, description=False) for p in page.items],
                       page.marker)
    # Boundary use is rare and the store has no filter for it: read the
    # account's policies and page through the few that qualify.
    bounded: list[ManagedPolicy] = []
    after = None
    while True:
        page = ctx.tx.policies.list(ctx.account_id, owners=owners, path_prefix=path_prefix,
                                    only_attached=only_attached, after=after, limit=1000)
        bounded += [p for p in page.items if p.permissions_boundary_usage_count > 0]
        if page.marker is None:
            break
        after = page.marker
    chunk, next_marker = paginate(bounded, params, key=lambda p: (p.name.lower(), p.id))
    return listing("Policies", [policy_shape(p, description=False) for p in chunk], next_marker)


@operation("iam", "DeletePolicy")
def delete_policy(ctx: OperationContext, params: Params) -> None:
    arn = params["PolicyArn"]
    refuse_outside_account(ctx, arn, "Cannot delete policies outside your own account.")
    policy = policy_or_fail(ctx, arn, for_update=True)
    tx = ctx.tx
    if tx.attachments.count_for_policy(policy.id) or policy.permissions_boundary_usage_count:
        raise DeleteConflict("Cannot delete a policy attached to entities.")
    if tx.policy_versions.count(policy.id) > 1:
        raise DeleteConflict("This policy has more than one version. Before you delete a policy, "
                             "you must delete the policy's versions. The default version is "
                             "deleted with the policy.")
    try:
        tx.policies.delete(policy.id)
    except IntegrityViolation:
        # Attached by a concurrent request after the check above.
        raise DeleteConflict("Cannot delete a policy attached to entities.") from None


def _own_policy(ctx: OperationContext, arn: str) -> ManagedPolicy:
    """Tags are the owner's: an AWS managed policy cannot be tagged from an account."""
    policy = policy_or_fail(ctx, arn, for_update=True)
    if is_aws_managed(policy):
        raise policy_not_found(arn)
    return policy


@operation("iam", "TagPolicy")
def tag_policy(ctx: OperationContext, params: Params) -> None:
    policy = _own_policy(ctx, params["PolicyArn"])
    _policy_tags(params)
    add_tags(ctx.tx, ResourceKind.POLICY, policy.id, params)


@operation("iam", "UntagPolicy")
def untag_policy(ctx: OperationContext, params: Params) -> None:
    policy = _own_policy(ctx, params["PolicyArn"])
    remove_tags(ctx.tx, ResourceKind.POLICY, policy.id, params)


@operation("iam", "ListPolicyTags", read_only=True)
def list_policy_tags(ctx: OperationContext, params: Params) -> dict[str, Any]:
    policy = policy_or_fail(ctx, params["PolicyArn"])
    return tags_result(ctx.tx, ResourceKind.POLICY, policy.id, params)
