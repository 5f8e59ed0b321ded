"""IAM roles: CreateRole, GetRole, ListRoles, UpdateRole, UpdateRoleDescription,
UpdateAssumeRolePolicy, DeleteRole and the role's permissions boundary.

A role's name is unique in its account ignoring case (the database enforces
it). Its trust policy is validated as a trust policy (principals required, no
Resource, only STS actions, the 2,048-character ACLSizePerRole quota) both on
creation and on UpdateAssumeRolePolicy; a refused document changes nothing.
AWS refuses to delete a role that still has policies: DeleteConflict,
checked with the role's row locked so a concurrent attach cannot slip in.
The paths of AWS's own roles (service-linked, IAM Identity Center) are
reserved: CreateRole refuses them, and the trust policy, boundary and life of
such a role are AWS's (UnmodifiableEntity); service-linked roles themselves
come with CreateServiceLinkedRole. Tags are in role_tags.py.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from iamd.model.entities import PrincipalKind, ResourceKind, Role, Tag
from iamd.model.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
)
from iamd.policy import PolicyKind, parse_policy
from iamd.service import arns, ids
from iamd.service.context import OperationContext
from iamd.service.iam.attachments import boundary_context, refuse_protected_role
from iamd.service.iam.common import (
    checked_marker,
    listed_under,
    page_args,
    page_result,
    tag_shape,
    tags_from,
)
from iamd.service.iam.users import check_boundary
from iamd.service.lookup import ROLE, find
from iamd.service.registry import Params, operation
from iamd.store.errors import Conflict

MAX_ROLES = 1000  # IAM's default RolesPerAccount quota
DEFAULT_MAX_SESSION_DURATION = 3600
# Paths of the roles AWS makes for its services and for IAM Identity Center;
# CreateRole may not use them.
RESERVED_PATHS = ("/aws-service-role/", "/aws-reserved/")


def role_shape(role: Role, tags: list[Tag] | None = None, *, listing: bool = False) -> dict[str, Any]:
    """The Role structure; `listing` drops what ListRoles leaves out.

    AWS's ListRoles omits PermissionsBoundary, RoleLastUsed and Tags ("IAM
    resource-listing operations return a subset of the available attributes").
    """
    shape: dict[str, Any] = {"Path": role.path, "RoleName": role.name, "RoleId": role.id,
                             "Arn": role.arn, "CreateDate": role.created,
                             "AssumeRolePolicyDocument": role.assume_role_policy_document,
                             "MaxSessionDuration": role.max_session_duration}
    if role.description:
        shape["Description"] = role.description
    if listing:
        return shape
    if role.permissions_boundary_arn:
        shape["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                        "PermissionsBoundaryArn": role.permissions_boundary_arn}
    if tags:
        shape["Tags"] = [tag_shape(t) for t in tags]
    last_used: dict[str, Any] = {}
    if role.last_used is not None:
        last_used["LastUsedDate"] = role.last_used
        if role.last_used_region:
            last_used["Region"] = role.last_used_region
    # GetRole always carries RoleLastUsed, empty for a role never used.
    shape["RoleLastUsed"] = last_used
    return shape


def listed_role_shape(role: Role) -> dict[str, Any]:
    return role_shape(role, listing=True)






def full_role(ctx: OperationContext, role: Role) -> dict[str, Any]:
    return {"Role": role_shape(role, list(ctx.tx.tags.list(ResourceKind.ROLE, role.id)))}


def trust_policy(document: str) -> str:
    """Validate a trust policy; the text is kept as the caller wrote it."""
    parse_policy(document, PolicyKind.TRUST)
    return document


@operation("iam", "CreateRole")
def create_role(ctx: OperationContext, params: Params) -> dict[str, Any]:
    name, path = params["RoleName"], params.get("Path") or "/"
    for reserved in RESERVED_PATHS:
        if path.startswith(reserved):
            raise InvalidInput(f"Path prefix '{reserved}' can only be used for AWS Service linked Roles")
    document = trust_policy(params["AssumeRolePolicyDocument"])
    tags = tags_from(params)
    boundary = params.get("PermissionsBoundary")
    if boundary:
        check_boundary(ctx, boundary)
    if ctx.tx.roles.count(ctx.account_id) >= MAX_ROLES:
        raise LimitExceeded(f"Cannot exceed quota for RolesPerAccount: {MAX_ROLES}")
    role = Role(id=ids.unique_id(ids.ROLE), account_id=ctx.account_id, path=path, name=name,
                arn=arns.entity_arn("role", ctx.account_id, path, name), created=ctx.info.now,
                assume_role_policy_document=document,
                description=params.get("Description") or None,
                max_session_duration=params.get("MaxSessionDuration") or DEFAULT_MAX_SESSION_DURATION,
                permissions_boundary_arn=boundary or None)
    try:
        ctx.tx.roles.insert(role)
    except Conflict:
        raise EntityAlreadyExists(f"Role with name {name} already exists.") from None
    if tags:
        ctx.tx.tags.replace(ResourceKind.ROLE, role.id, tags)
    shape = role_shape(role, tags)
    del shape["RoleLastUsed"]  # a role just made has no usage to report
    return {"Role": shape}


@operation("iam", "GetRole", read_only=True, context=boundary_context)
def get_role(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return full_role(ctx, find(ctx, ROLE, params["RoleName"]))


@operation("iam", "ListRoles", read_only=True, resource=listed_under("role"))
def list_roles(ctx: OperationContext, params: Params) -> dict[str, Any]:
    after, limit = page_args(params)
    with checked_marker():
        page = ctx.tx.roles.list(ctx.account_id, path_prefix=params.get("PathPrefix"),
                                 after=after, limit=limit)
    return page_result(page, "Roles", listed_role_shape)


@operation("iam", "UpdateRole", context=boundary_context)
def update_role(ctx: OperationContext, params: Params) -> dict[str, Any]:
    role = find(ctx, ROLE, params["RoleName"], for_update=True)
    if "Description" in params:
        # An empty description clears it (Terraform sends "" to remove one).
        role = replace(role, description=params["Description"] or None)
    if params.get("MaxSessionDuration") is not None:
        role = replace(role, max_session_duration=params["MaxSessionDuration"])
    ctx.tx.roles.update(role)
    return {}


@operation("iam", "UpdateRoleDescription", context=boundary_context)
def update_role_description(ctx: OperationContext, params: Params) -> dict[str, Any]:
    role = find(ctx, ROLE, params["RoleName"], for_update=True)
    role = replace(role, description=params["Description"] or None)
    ctx.tx.roles.update(role)
    return full_role(ctx, role)


@operation("iam", "UpdateAssumeRolePolicy", context=boundary_context)
def update_assume_role_policy(ctx: OperationContext, params: Params) -> None:
    role = find(ctx, ROLE, params["RoleName"], for_update=True)
    refuse_protected_role(role)
    document = trust_policy(params["PolicyDocument"])
    ctx.tx.roles.update(replace(role, assume_role_policy_document=document))


@operation("iam", "DeleteRole", context=boundary_context)
def delete_role(ctx: OperationContext, params: Params) -> None:
    role = find(ctx, ROLE, params["RoleName"], for_update=True)
    refuse_protected_role(role)  # service-linked roles go by DeleteServiceLinkedRole
    tx = ctx.tx
    if tx.instance_profiles.count_for_role(role.id):
        raise DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
    if tx.inline_policies.count(PrincipalKind.ROLE, role.id):
        raise DeleteConflict("Cannot delete entity, must delete policies first.")
    if tx.attachments.count_for_principal(PrincipalKind.ROLE, role.id):
        raise DeleteConflict("Cannot delete entity, must detach all policies first.")
    tx.roles.delete(role.id)  # the store deletes the role's tags with it


@operation("iam", "PutRolePermissionsBoundary")
def put_role_permissions_boundary(ctx: OperationContext, params: Params) -> None:
    role = find(ctx, ROLE, params["RoleName"], for_update=True)
    refuse_protected_role(role)
    check_boundary(ctx, params["PermissionsBoundary"])
    ctx.tx.roles.update(replace(role, permissions_boundary_arn=params["PermissionsBoundary"]))


@operation("iam", "DeleteRolePermissionsBoundary", context=boundary_context)
def delete_role_permissions_boundary(ctx: OperationContext, params: Params) -> None:
    role = find(ctx, ROLE, params["RoleName"], for_update=True)
    refuse_protected_role(role)
    ctx.tx.roles.update(replace(role, permissions_boundary_arn=None))
