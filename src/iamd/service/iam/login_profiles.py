"""Console passwords of IAM users: CreateLoginProfile, GetLoginProfile,
UpdateLoginProfile, DeleteLoginProfile and ChangePassword.

A user has at most one login profile. Administrators set and reset passwords
with the *LoginProfile calls (UserName omitted: the calling user);
ChangePassword is the calling IAM user changing its own, proving the old one.
Every new password is checked against the account's password policy and,
with reuse prevention, against the earlier ones; none is ever returned,
logged or stored in clear (see iamd.service.passwords).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from iamd.model.entities import LoginProfile, User
from iamd.model.errors import (
    AccessDenied,
    EntityAlreadyExists,
    InvalidUserType,
    NoSuchEntity,
    NoSuchLoginProfile,
    NoSuchUser,
    ValidationError,
)
from iamd.service.context import IAM_USER, OperationContext
from iamd.service.iam.users import target_user
from iamd.service.lookup import USER, find
from iamd.service.passwords import (
    authorize_with_password_grant,
    check_new_password,
    new_login_profile,
    verify_password,
    with_new_password,
)
from iamd.service.registry import Params, operation
from iamd.store.errors import Conflict


def _shape(user: User, profile: LoginProfile) -> dict[str, Any]:
    return {"LoginProfile": {"UserName": user.name, "CreateDate": profile.created,
                             "PasswordResetRequired": profile.password_reset_required}}


def _no_profile(user: User) -> NoSuchEntity:
    return NoSuchLoginProfile(user=user.name)


def _profile_or_fail(ctx: OperationContext, user: User, for_update: bool = False) -> LoginProfile:
    profile = ctx.tx.login_profiles.get(user.id, for_update=for_update)
    if profile is None:
        raise _no_profile(user)
    return profile


@operation("iam", "CreateLoginProfile")
def create_login_profile(ctx: OperationContext, params: Params) -> dict[str, Any]:
    # The user's row is locked so that a concurrent DeleteUser either sees
    # this profile or has already removed the user.
    user = target_user(ctx, params, for_update=True)
    password = params.get("Password")
    if password is None:
        # Optional in the model only for AssumeRoot sessions, which iamd does not issue.
        raise ValidationError("1 validation error detected: Value at 'password' failed to "
                              "satisfy constraint: Member must not be null")
    if ctx.tx.login_profiles.get(user.id) is not None:
        raise EntityAlreadyExists(f"Login Profile for user {user.name} already exists.")
    check_new_password(ctx.tx, ctx.account_id, password)
    profile = new_login_profile(user, password, ctx.info.now,
                                reset_required=bool(params.get("PasswordResetRequired")))
    try:
        ctx.tx.login_profiles.insert(profile)
    except Conflict:
        raise EntityAlreadyExists(f"Login Profile for user {user.name} already exists.") from None
    return _shape(user, profile)


@operation("iam", "GetLoginProfile", read_only=True)
def get_login_profile(ctx: OperationContext, params: Params) -> dict[str, Any]:
    user = target_user(ctx, params)
    return _shape(user, _profile_or_fail(ctx, user))


@operation("iam", "UpdateLoginProfile")
def update_login_profile(ctx: OperationContext, params: Params) -> None:
    user = find(ctx, USER, params["UserName"], for_update=True)
    profile = _profile_or_fail(ctx, user, for_update=True)
    reset_required = params.get("PasswordResetRequired")
    if reset_required is None:
        reset_required = profile.password_reset_required
    password = params.get("Password")
    if password is not None:
        check_new_password(ctx.tx, ctx.account_id, password, profile)
        updated = with_new_password(profile, password, ctx.info.now,
                                    reset_required=reset_required)
    else:
        updated = replace(profile, password_reset_required=reset_required)
    ctx.tx.login_profiles.update(updated)


@operation("iam", "DeleteLoginProfile")
def delete_login_profile(ctx: OperationContext, params: Params) -> None:
    user = target_user(ctx, params, for_update=True)
    _profile_or_fail(ctx, user, for_update=True)
    ctx.tx.login_profiles.delete(user.id)


@operation("iam", "ChangePassword", authorize=False)
def change_password(ctx: OperationContext, params: Params) -> None:
    authorize_with_password_grant(ctx, params)
    caller = ctx.caller
    if caller.kind != IAM_USER or caller.user is None:
        # The root user and role or federated sessions have no IAM user password.
        raise InvalidUserType("Only IAM users can change their own password.")
    user = ctx.tx.users.get(caller.user.id, for_update=True)
    if user is None:
        raise NoSuchUser(name=caller.user.name)
    profile = _profile_or_fail(ctx, user, for_update=True)
    if not verify_password(profile.password_hash, params["OldPassword"]):
        raise AccessDenied("The old password was incorrect.")
    check_new_password(ctx.tx, ctx.account_id, params["NewPassword"], profile)
    # A successful change satisfies a pending "reset on next sign-in".
    ctx.tx.login_profiles.update(with_new_password(profile, params["NewPassword"], ctx.info.now,
                                                   reset_required=False))
