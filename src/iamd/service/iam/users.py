"""IAM users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser.

A user's name is unique in its account ignoring case (the database enforces
it). AWS refuses to delete a user that still has access keys, policies,
group memberships or other credentials: DeleteConflict, checked with the
user's row locked so a concurrent attach cannot slip in between.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from iamd.model.entities import PrincipalKind, ResourceKind, User
from iamd.model.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from iamd.service import arns, ids
from iamd.service.context import OperationContext
from iamd.service.iam.common import listed_under, page_args, page_result, tag_shape, tags_from
from iamd.service.lookup import USER, find
from iamd.service.registry import Params, operation
from iamd.store.errors import Conflict

MAX_USERS = 5000


def user_shape(user: User, tags: list[dict[str, str]] | None = None) -> dict[str, Any]:
    shape: dict[str, Any] = {"Path": user.path, "UserName": user.name, "UserId": user.id,
                             "Arn": user.arn, "CreateDate": user.created}
    if user.password_last_used is not None:
        shape["PasswordLastUsed"] = user.password_last_used
    if user.permissions_boundary_arn:
        shape["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                        "PermissionsBoundaryArn": user.permissions_boundary_arn}
    if tags:
        shape["Tags"] = tags
    return shape






def target_user(ctx: OperationContext, params: Params, for_update: bool = False) -> User:
    """The named user, or the calling IAM user when UserName is omitted."""
    name = params.get("UserName")
    if name is not None:
        return find(ctx, USER, name, for_update=for_update)
    if ctx.caller.user is None:
        raise ValidationError("Must specify userName when calling with non-User credentials")
    return find(ctx, USER, ctx.caller.user.name, for_update=for_update)


def check_boundary(ctx: OperationContext, arn: str) -> None:
    """A permissions boundary must name an existing managed policy."""
    if not arn.startswith("arn:"):
        raise InvalidInput(f"ARN {arn} is not valid.")
    if ctx.tx.policies.get_by_arn(arn, viewer_account_id=ctx.account_id) is None:
        raise NoSuchEntity(f"Scope ARN: {arn} does not exist or is not attachable.")


@operation("iam", "CreateUser")
def create_user(ctx: OperationContext, params: Params) -> dict[str, Any]:
    name, path = params["UserName"], params.get("Path") or "/"
    tags = tags_from(params)
    boundary = params.get("PermissionsBoundary")
    if boundary:
        check_boundary(ctx, boundary)
    if ctx.tx.users.count(ctx.account_id) >= MAX_USERS:
        raise LimitExceeded(f"Cannot exceed quota for UsersPerAccount: {MAX_USERS}")
    user = User(id=ids.unique_id(ids.USER), account_id=ctx.account_id, path=path, name=name,
                arn=arns.entity_arn("user", ctx.account_id, path, name), created=ctx.info.now,
                permissions_boundary_arn=boundary)
    try:
        ctx.tx.users.insert(user)
    except Conflict:
        raise EntityAlreadyExists(f"User with name {name} already exists.") from None
    if tags:
        ctx.tx.tags.replace(ResourceKind.USER, user.id, tags)
    return {"User": user_shape(user, [tag_shape(t) for t in tags])}


@operation("iam", "GetUser", read_only=True)
def get_user(ctx: OperationContext, params: Params) -> dict[str, Any]:
    if params.get("UserName") is None and ctx.caller.user is None:
        # The root user asking about itself.
        return {"User": {"UserId": ctx.account_id, "Arn": arns.root_arn(ctx.account_id),
                         "CreateDate": _account_created(ctx)}}
    user = target_user(ctx, params)
    tags = [tag_shape(t) for t in ctx.tx.tags.list(ResourceKind.USER, user.id)]
    return {"User": user_shape(user, tags)}


def _account_created(ctx: OperationContext) -> Any:
    account = ctx.tx.accounts.get(ctx.account_id)
    return account.created if account is not None else ctx.info.now


@operation("iam", "ListUsers", read_only=True, resource=listed_under("user"))
def list_users(ctx: OperationContext, params: Params) -> dict[str, Any]:
    after, limit = page_args(params)
    page = ctx.tx.users.list(ctx.account_id, path_prefix=params.get("PathPrefix"),
                             after=after, limit=limit)
    # ListUsers leaves out PermissionsBoundary and Tags (IAM API reference).
    return page_result(page, "Users", _listed_user)


def _listed_user(user: User) -> dict[str, Any]:
    shape = user_shape(user)
    shape.pop("PermissionsBoundary", None)
    return shape


@operation("iam", "UpdateUser")
def update_user(ctx: OperationContext, params: Params) -> None:
    user = find(ctx, USER, params["UserName"], for_update=True)
    name = params.get("NewUserName") or user.name
    path = params.get("NewPath") or user.path
    updated = replace(user, name=name, path=path, arn=arns.entity_arn("user", ctx.account_id, path, name))
    try:
        ctx.tx.users.update(updated)
    except Conflict:
        raise EntityAlreadyExists(f"User with name {name} already exists.") from None


@operation("iam", "DeleteUser")
def delete_user(ctx: OperationContext, params: Params) -> None:
    user = find(ctx, USER, params["UserName"], for_update=True)
    tx = ctx.tx
    if tx.login_profiles.get(user.id) is not None:
        raise DeleteConflict("Cannot delete entity, must delete login profile first.")
    if tx.access_keys.count_for_user(user.id):
        raise DeleteConflict("Cannot delete entity, must delete access keys first.")
    if tx.mfa_devices.count_for_user(user.id):
        raise DeleteConflict("Cannot delete entity, must delete MFA device first.")
    if tx.signing_certificates.count_for_user(user.id):
        raise DeleteConflict("Cannot delete entity, must delete signing certificates first.")
    if tx.ssh_public_keys.count_for_user(user.id):
        raise DeleteConflict("Cannot delete entity, must delete SSH public keys first.")
    if tx.service_credentials.count_for_user(user.id):
        raise DeleteConflict("Cannot delete entity, must remove referenced objects first.")
    if tx.inline_policies.count(PrincipalKind.USER, user.id):
        raise DeleteConflict("Cannot delete entity, must delete policies first.")
    if tx.attachments.count_for_principal(PrincipalKind.USER, user.id):
        raise DeleteConflict("Cannot delete entity, must detach all policies first.")
    if tx.memberships.count_groups(user.id):
        raise DeleteConflict("Cannot delete entity, must remove users from group first.")
    tx.users.delete(user.id)  # its tags go with it


@operation("iam", "PutUserPermissionsBoundary")
def put_user_permissions_boundary(ctx: OperationContext, params: Params) -> None:
    user = find(ctx, USER, params["UserName"], for_update=True)
    check_boundary(ctx, params["PermissionsBoundary"])
    ctx.tx.users.update(replace(user, permissions_boundary_arn=params["PermissionsBoundary"]))


@operation("iam", "DeleteUserPermissionsBoundary")
def delete_user_permissions_boundary(ctx: OperationContext, params: Params) -> None:
    user = find(ctx, USER, params["UserName"], for_update=True)
    ctx.tx.users.update(replace(user, permissions_boundary_arn=None))
