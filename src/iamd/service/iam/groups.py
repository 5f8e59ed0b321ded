"""IAM groups and their members: CreateGroup, GetGroup, ListGroups, UpdateGroup,
DeleteGroup, AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser.

A group's name is unique in its account ignoring case (the database enforces
it); an account holds at most 300 groups and a user belongs to at most 10.
Membership follows AWS's forgiving rules: adding a member again and removing
a user who is not a member both succeed. AWS refuses to delete a group that
still has members or policies (DeleteConflict), checked with the group's row
locked so a concurrent AddUserToGroup cannot slip in between.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from iamd.model.entities import Group, PrincipalKind, User
from iamd.model.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded
from iamd.service import arns, ids
from iamd.service.context import OperationContext
from iamd.service.iam.common import checked_marker, listed_under, page_args, page_result
from iamd.service.iam.users import user_shape
from iamd.service.lookup import GROUP, USER, find
from iamd.service.registry import Params, Permission, operation
from iamd.store.errors import Conflict

MAX_GROUPS = 300  # IAM's GroupsPerAccount quota
MAX_GROUPS_PER_USER = 10  # IAM's GroupsPerUser quota


def group_shape(group: Group) -> dict[str, Any]:
    return {"Path": group.path, "GroupName": group.name, "GroupId": group.id,
            "Arn": group.arn, "CreateDate": group.created}


def member_shape(user: User) -> dict[str, Any]:
    # GetGroup lists members as ListUsers does: without boundary and tags.
    shape = user_shape(user)
    shape.pop("PermissionsBoundary", None)
    return shape




def _already_exists(name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"Group with name {name} already exists.")


@operation("iam", "CreateGroup")
def create_group(ctx: OperationContext, params: Params) -> dict[str, Any]:
    name, path = params["GroupName"], params.get("Path") or "/"
    if ctx.tx.groups.count(ctx.account_id) >= MAX_GROUPS:
        raise LimitExceeded(f"Cannot exceed quota for GroupsPerAccount: {MAX_GROUPS}")
    group = Group(id=ids.unique_id(ids.GROUP), account_id=ctx.account_id, path=path, name=name,
                  arn=arns.entity_arn("group", ctx.account_id, path, name), created=ctx.info.now)
    try:
        ctx.tx.groups.insert(group)
    except Conflict:
        raise _already_exists(name) from None
    return {"Group": group_shape(group)}


@operation("iam", "GetGroup", read_only=True)
def get_group(ctx: OperationContext, params: Params) -> dict[str, Any]:
    group = find(ctx, GROUP, params["GroupName"])
    after, limit = page_args(params)
    with checked_marker():
        page = ctx.tx.memberships.list_users(group.id, after=after, limit=limit)
    result = page_result(page, "Users", member_shape)
    result["Group"] = group_shape(group)
    return result


@operation("iam", "ListGroups", read_only=True, resource=listed_under("group"))
def list_groups(ctx: OperationContext, params: Params) -> dict[str, Any]:
    after, limit = page_args(params)
    with checked_marker():
        page = ctx.tx.groups.list(ctx.account_id, path_prefix=params.get("PathPrefix"),
                                  after=after, limit=limit)
    return page_result(page, "Groups", group_shape)


def _renamed(ctx: OperationContext, group: Group, params: Params) -> tuple[str, str, str]:
    """The group's name, path and ARN after UpdateGroup."""
    name = params.get("NewGroupName") or group.name
    path = params.get("NewPath") or group.path
    return name, path, arns.entity_arn("group", ctx.account_id, path, name)


def _update_under_new_name(ctx: OperationContext, params: Params) -> list[Permission]:
    # AWS: the caller must be allowed to update the group under its old name
    # and under its new one.
    group = ctx.named("groups", params["GroupName"])
    if group is None:
        return []  # the handler answers NoSuchEntity
    arn = _renamed(ctx, group, params)[2]
    return [Permission("iam:UpdateGroup", arn)] if arn != group.arn else []


@operation("iam", "UpdateGroup", also=_update_under_new_name)
def update_group(ctx: OperationContext, params: Params) -> None:
    group = find(ctx, GROUP, params["GroupName"], for_update=True)
    name, path, arn = _renamed(ctx, group, params)
    try:
        ctx.tx.groups.update(replace(group, name=name, path=path, arn=arn))
    except Conflict:
        raise _already_exists(name) from None


@operation("iam", "DeleteGroup")
def delete_group(ctx: OperationContext, params: Params) -> None:
    group = find(ctx, GROUP, params["GroupName"], for_update=True)
    tx = ctx.tx
    if tx.memberships.count_users(group.id):
        raise DeleteConflict("Cannot delete entity, must remove users from group first.")
    if tx.inline_policies.count(PrincipalKind.GROUP, group.id):
        raise DeleteConflict("Cannot delete entity, must delete policies first.")
    if tx.attachments.count_for_principal(PrincipalKind.GROUP, group.id):
        raise DeleteConflict("Cannot delete entity, must detach all policies first.")
    tx.groups.delete(group.id)


@operation("iam", "AddUserToGroup")
def add_user_to_group(ctx: OperationContext, params: Params) -> None:
    # The user first (AWS names a missing user before a missing group), and
    # both rows locked, user before group as everywhere: the user's row
    # serializes the GroupsPerUser count, the group's row a DeleteGroup.
    user = find(ctx, USER, params["UserName"], for_update=True)
    group = find(ctx, GROUP, params["GroupName"], for_update=True)
    tx = ctx.tx
    if tx.memberships.is_member(group.id, user.id):
        return
    if tx.memberships.count_groups(user.id) >= MAX_GROUPS_PER_USER:
        raise LimitExceeded(f"Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}")
    tx.memberships.add(group.id, user.id)


@operation("iam", "RemoveUserFromGroup")
def remove_user_from_group(ctx: OperationContext, params: Params) -> None:
    user = find(ctx, USER, params["UserName"])
    group = find(ctx, GROUP, params["GroupName"])
    # Removing a user who is not a member succeeds in AWS: no error here.
    ctx.tx.memberships.remove(group.id, user.id)


@operation("iam", "ListGroupsForUser", read_only=True)
def list_groups_for_user(ctx: OperationContext, params: Params) -> dict[str, Any]:
    user = find(ctx, USER, params["UserName"])
    after, limit = page_args(params)
    with checked_marker():
        page = ctx.tx.memberships.list_groups(user.id, after=after, limit=limit)
    return page_result(page, "Groups", group_shape)
