"""Inline policies embedded in users, groups and roles: Put/Get/Delete/List{User,Group,Role}Policy.

Put*Policy creates or replaces a policy by name (names ignore case; the new
spelling wins). The size quota is on the sum of all of one principal's inline
policies, counted without whitespace: 2,048 characters for a user, 5,120 for
a group, 10,240 for a role. A refused document leaves the previous one in
place, because the whole call is one transaction that is rolled back.
"""

from __future__ import annotations

from typing import Any

from iamd.model.entities import PrincipalKind
from iamd.model.errors import NoSuchEntity, NoSuchInlinePolicy
from iamd.policy import PolicyKind, parse_policy, policy_size
from iamd.policy.document import check_policy_size
from iamd.service.context import OperationContext
from iamd.service.iam.attachments import boundary_context, refuse_protected_role
from iamd.service.iam.common import checked_marker, page_args, page_result
from iamd.service.lookup import PRINCIPALS, find
from iamd.service.registry import Params, operation
from iamd.store.errors import IntegrityViolation

_KINDS = {PrincipalKind.USER: PolicyKind.USER_INLINE, PrincipalKind.GROUP: PolicyKind.GROUP_INLINE,
          PrincipalKind.ROLE: PolicyKind.ROLE_INLINE}
_NAME_PARAMS = {PrincipalKind.USER: "UserName", PrincipalKind.GROUP: "GroupName",
                PrincipalKind.ROLE: "RoleName"}


def _not_found(kind: PrincipalKind, name: str) -> NoSuchEntity:
    return NoSuchInlinePolicy(owner=kind.value, name=name)


def _put(ctx: OperationContext, kind: PrincipalKind, params: Params) -> None:
    owner_name, name, document = params[_NAME_PARAMS[kind]], params["PolicyName"], params["PolicyDocument"]
    policy_kind = _KINDS[kind]
    # One document over the quota is over it whatever else the principal has;
    # IAM checks the size before the grammar.
    check_policy_size(policy_size(document), policy_kind, owner_name)
    parse_policy(document, policy_kind)
    owner = find(ctx, PRINCIPALS[kind], owner_name, for_update=True)
    refuse_protected_role(owner)
    others = sum(policy_size(p.document) for p in ctx.tx.inline_policies.all(kind, owner.id)
                 if p.name.lower() != name.lower())
    check_policy_size(others + policy_size(document), policy_kind, owner.name)
    try:
        ctx.tx.inline_policies.put(kind, owner.id, name, document)
    except IntegrityViolation:
        # The principal was deleted by a concurrent request after the lookup.
        raise PRINCIPALS[kind].missing_error(owner_name) from None


def _get(ctx: OperationContext, kind: PrincipalKind, params: Params) -> dict[str, Any]:
    owner = find(ctx, PRINCIPALS[kind], params[_NAME_PARAMS[kind]])
    policy = ctx.tx.inline_policies.get(kind, owner.id, params["PolicyName"])
    if policy is None:
        raise _not_found(kind, params["PolicyName"])
    return {_NAME_PARAMS[kind]: owner.name, "PolicyName": policy.name,
            "PolicyDocument": policy.document}


def _delete(ctx: OperationContext, kind: PrincipalKind, params: Params) -> None:
    owner = find(ctx, PRINCIPALS[kind], params[_NAME_PARAMS[kind]], for_update=True)
    refuse_protected_role(owner)
    if not ctx.tx.inline_policies.delete(kind, owner.id, params["PolicyName"]):
        raise _not_found(kind, params["PolicyName"])


def _list(ctx: OperationContext, kind: PrincipalKind, params: Params) -> dict[str, Any]:
    owner = find(ctx, PRINCIPALS[kind], params[_NAME_PARAMS[kind]])
    marker, max_items = page_args(params)
    with checked_marker():
        page = ctx.tx.inline_policies.list_names(kind, owner.id, after=marker, limit=max_items)
    return page_result(page, "PolicyNames", lambda name: name)


@operation("iam", "PutUserPolicy", context=boundary_context)
def put_user_policy(ctx: OperationContext, params: Params) -> None:
    _put(ctx, PrincipalKind.USER, params)


@operation("iam", "PutGroupPolicy")
def put_group_policy(ctx: OperationContext, params: Params) -> None:
    _put(ctx, PrincipalKind.GROUP, params)


@operation("iam", "PutRolePolicy", context=boundary_context)
def put_role_policy(ctx: OperationContext, params: Params) -> None:
    _put(ctx, PrincipalKind.ROLE, params)


@operation("iam", "GetUserPolicy", read_only=True)
def get_user_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _get(ctx, PrincipalKind.USER, params)


@operation("iam", "GetGroupPolicy", read_only=True)
def get_group_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _get(ctx, PrincipalKind.GROUP, params)


@operation("iam", "GetRolePolicy", read_only=True)
def get_role_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _get(ctx, PrincipalKind.ROLE, params)


@operation("iam", "DeleteUserPolicy", context=boundary_context)
def delete_user_policy(ctx: OperationContext, params: Params) -> None:
    _delete(ctx, PrincipalKind.USER, params)


@operation("iam", "DeleteGroupPolicy")
def delete_group_policy(ctx: OperationContext, params: Params) -> None:
    _delete(ctx, PrincipalKind.GROUP, params)


@operation("iam", "DeleteRolePolicy", context=boundary_context)
def delete_role_policy(ctx: OperationContext, params: Params) -> None:
    _delete(ctx, PrincipalKind.ROLE, params)


@operation("iam", "ListUserPolicies", read_only=True)
def list_user_policies(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _list(ctx, PrincipalKind.USER, params)


@operation("iam", "ListGroupPolicies", read_only=True)
def list_group_policies(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _list(ctx, PrincipalKind.GROUP, params)


@operation("iam", "ListRolePolicies", read_only=True)
def list_role_policies(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _list(ctx, PrincipalKind.ROLE, params)
