"""Managed policies attached to users, groups and roles: Attach/Detach{User,Group,Role}Policy,
ListAttached{User,Group,Role}Policies and ListEntitiesForPolicy.

A principal holds at most ten managed policies (AWS's default quota for
each kind); attaching one twice is not an error. Roles AWS owns (service-
linked and IAM Identity Center roles) cannot be changed, and an AWS service
role policy attaches only to such a role. ListEntitiesForPolicy names both
the principals a policy is attached to and the users and roles that use it
as their permissions boundary, unless asked for one use only.
"""

from __future__ import annotations

from typing import Any

from iamd.model.entities import Group, ManagedPolicy, PrincipalKind, Role, User
from iamd.model.errors import (
    LimitExceeded,
    NoSuchAttachablePolicy,
    NoSuchPolicy,
    PolicyNotAttachable,
    UnmodifiableEntity,
)
from iamd.service import arns
from iamd.service.context import OperationContext
from iamd.service.iam.common import checked_marker, page_args, page_result
from iamd.service.iam.managed_policies import (
    AWS_ACCOUNT,
    paginate,
    visible_policy,
)
from iamd.service.lookup import PRINCIPALS, find
from iamd.service.registry import Params, operation
from iamd.store.errors import IntegrityViolation

MAX_ATTACHED = 10
_QUOTA_NAMES = {PrincipalKind.USER: "PoliciesPerUser", PrincipalKind.GROUP: "PoliciesPerGroup",
                PrincipalKind.ROLE: "PoliciesPerRole"}
_NAME_PARAMS = {PrincipalKind.USER: "UserName", PrincipalKind.GROUP: "GroupName",
                PrincipalKind.ROLE: "RoleName"}
# Paths of the roles AWS manages for its services and for IAM Identity Center.
_PROTECTED_ROLE_PATHS = ("/aws-service-role/", "/aws-reserved/")
_SERVICE_ROLE_POLICY_PATH = "/aws-service-role/"

Principal = User | Group | Role




def boundary_context(ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    """iam:PermissionsBoundary for calls on a user or role: the boundary it has now.

    The Service Authorization Reference lists the key for attaching, detaching,
    putting and deleting policies of a user or role, so that an administrator
    can be allowed those only on principals bounded by a given policy.
    """
    # The same (locked) read as the resource's: the user or role is read once.
    if "UserName" in params:
        entity: User | Role | None = ctx.named("users", params["UserName"])
    elif "RoleName" in params:
        entity = ctx.named("roles", params["RoleName"])
    else:
        return {}
    if entity is None or not entity.permissions_boundary_arn:
        return {}
    return {"iam:PermissionsBoundary": entity.permissions_boundary_arn}


def refuse_protected_role(role: Principal) -> None:
    if isinstance(role, Role) and role.path.startswith(_PROTECTED_ROLE_PATHS):
        raise UnmodifiableEntity(f"Cannot perform the operation on the protected role '{role.name}' "
                                 "- this role is only modifiable by AWS")


def _attach(ctx: OperationContext, kind: PrincipalKind, params: Params) -> None:
    arn = params["PolicyArn"]
    arns.check_shape(arn)
    principal = find(ctx, PRINCIPALS[kind], params[_NAME_PARAMS[kind]], for_update=True)
    refuse_protected_role(principal)
    policy = visible_policy(ctx, arn)
    if policy is None or not policy.is_attachable:
        raise NoSuchAttachablePolicy(arn=arn)
    if (kind is PrincipalKind.ROLE and policy.account_id == AWS_ACCOUNT
            and policy.path.startswith(_SERVICE_ROLE_POLICY_PATH)):
        raise PolicyNotAttachable("Cannot attach a Service Role Policy to a Customer Role.")
    attached = ctx.tx.attachments.all_for_principal(kind, principal.id)
    if any(a.policy_id == policy.id for a in attached):
        return  # already attached: AWS answers success and changes nothing
    if len(attached) >= MAX_ATTACHED:
        raise LimitExceeded(f"Cannot exceed quota for {_QUOTA_NAMES[kind]}: {MAX_ATTACHED}")
    try:
        ctx.tx.attachments.attach(kind, principal.id, policy.id)
    except IntegrityViolation:
        # The policy was deleted by a concurrent request after the lookup.
        raise NoSuchAttachablePolicy(arn=arn) from None


def _detach(ctx: OperationContext, kind: PrincipalKind, params: Params) -> None:
    arn = params["PolicyArn"]
    arns.check_shape(arn)
    principal = find(ctx, PRINCIPALS[kind], params[_NAME_PARAMS[kind]], for_update=True)
    refuse_protected_role(principal)
    policy = visible_policy(ctx, arn)
    if policy is None or not ctx.tx.attachments.detach(kind, principal.id, policy.id):
        raise NoSuchPolicy(arn=arn)


def _list_attached(ctx: OperationContext, kind: PrincipalKind, params: Params) -> dict[str, Any]:
    principal = find(ctx, PRINCIPALS[kind], params[_NAME_PARAMS[kind]])
    marker, max_items = page_args(params)
    with checked_marker():
        page = ctx.tx.attachments.list_for_principal(kind, principal.id,
                                                     path_prefix=params.get("PathPrefix"),
                                                     after=marker, limit=max_items)
    return page_result(page, "AttachedPolicies",
                       lambda a: {"PolicyName": a.name, "PolicyArn": a.arn})


@operation("iam", "AttachUserPolicy", context=boundary_context)
def attach_user_policy(ctx: OperationContext, params: Params) -> None:
    _attach(ctx, PrincipalKind.USER, params)


@operation("iam", "AttachGroupPolicy")
def attach_group_policy(ctx: OperationContext, params: Params) -> None:
    _attach(ctx, PrincipalKind.GROUP, params)


@operation("iam", "AttachRolePolicy", context=boundary_context)
def attach_role_policy(ctx: OperationContext, params: Params) -> None:
    _attach(ctx, PrincipalKind.ROLE, params)


@operation("iam", "DetachUserPolicy", context=boundary_context)
def detach_user_policy(ctx: OperationContext, params: Params) -> None:
    _detach(ctx, PrincipalKind.USER, params)


@operation("iam", "DetachGroupPolicy")
def detach_group_policy(ctx: OperationContext, params: Params) -> None:
    _detach(ctx, PrincipalKind.GROUP, params)


@operation("iam", "DetachRolePolicy", context=boundary_context)
def detach_role_policy(ctx: OperationContext, params: Params) -> None:
    _detach(ctx, PrincipalKind.ROLE, params)


@operation("iam", "ListAttachedUserPolicies", read_only=True)
def list_attached_user_policies(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _list_attached(ctx, PrincipalKind.USER, params)


@operation("iam", "ListAttachedGroupPolicies", read_only=True)
def list_attached_group_policies(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _list_attached(ctx, PrincipalKind.GROUP, params)


@operation("iam", "ListAttachedRolePolicies", read_only=True)
def list_attached_role_policies(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _list_attached(ctx, PrincipalKind.ROLE, params)


# --- ListEntitiesForPolicy ------------------------------------------------------

_FILTERS = {"User": PrincipalKind.USER, "Group": PrincipalKind.GROUP, "Role": PrincipalKind.ROLE}
_ID_MEMBERS = {PrincipalKind.USER: ("UserName", "UserId"), PrincipalKind.GROUP: ("GroupName", "GroupId"),
               PrincipalKind.ROLE: ("RoleName", "RoleId")}
_LIST_MEMBERS = {PrincipalKind.GROUP: "PolicyGroups", PrincipalKind.USER: "PolicyUsers",
                 PrincipalKind.ROLE: "PolicyRoles"}

Entity = tuple[PrincipalKind, str, str]  # kind, name, id


def _attached_entities(ctx: OperationContext, policy: ManagedPolicy, kinds: set[PrincipalKind],
                       path_prefix: str | None) -> list[Entity]:
    found: list[Entity] = []
    after = None
    while True:
        page = ctx.tx.attachments.list_entities(policy.id, account_id=ctx.account_id, kinds=kinds,
                                                path_prefix=path_prefix, after=after, limit=1000)
        found += [(e.kind, e.name, e.id) for e in page.items]
        if page.marker is None:
            return found
        after = page.marker


def _bounded_entities(ctx: OperationContext, policy: ManagedPolicy, kinds: set[PrincipalKind],
                      path_prefix: str | None) -> list[Entity]:
    # Groups have no permissions boundary. The store keeps the boundary as a
    # column of the user or role, with no index to ask it by: read them all.
    found: list[Entity] = []
    for kind, repository in ((PrincipalKind.USER, ctx.tx.users), (PrincipalKind.ROLE, ctx.tx.roles)):
        if kind not in kinds:
            continue
        after = None
        while True:
            page: Any = repository.list(ctx.account_id, path_prefix=path_prefix, after=after, limit=1000)
            found += [(kind, e.name, e.id) for e in page.items
                      if e.permissions_boundary_arn == policy.arn]
            if page.marker is None:
                break
            after = page.marker
    return found


@operation("iam", "ListEntitiesForPolicy", read_only=True)
def list_entities_for_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    arn = params["PolicyArn"]
    arns.check_shape(arn)
    policy = visible_policy(ctx, arn)
    if policy is None:
        raise NoSuchAttachablePolicy(arn=arn)
    entity_filter = params.get("EntityFilter")
    # The two policy-kind filters name no principals (as AWS answers them).
    kinds = ({_FILTERS[entity_filter]} if entity_filter in _FILTERS
             else set() if entity_filter else set(PrincipalKind))
    usage = params.get("PolicyUsageFilter")
    path_prefix = params.get("PathPrefix")
    entities: set[Entity] = set()
    if kinds and usage != "PermissionsBoundary":
        entities.update(_attached_entities(ctx, policy, kinds, path_prefix))
    if kinds and usage != "PermissionsPolicy":
        entities.update(_bounded_entities(ctx, policy, kinds, path_prefix))
    chunk, marker = paginate(list(entities), params,
                             key=lambda e: (e[0].value, e[1].lower(), e[2]))
    result: dict[str, Any] = {member: [] for member in _LIST_MEMBERS.values()}
    for kind, name, entity_id in chunk:
        name_member, id_member = _ID_MEMBERS[kind]
        result[_LIST_MEMBERS[kind]].append({name_member: name, id_member: entity_id})
    result["IsTruncated"] = marker is not None
    if marker is not None:
        result["Marker"] = marker
    return result
