"""IAM instance profiles: CreateInstanceProfile, GetInstanceProfile,
ListInstanceProfiles, DeleteInstanceProfile, AddRoleToInstanceProfile,
RemoveRoleFromInstanceProfile, ListInstanceProfilesForRole and the profile's
tags (TagInstanceProfile, UntagInstanceProfile, ListInstanceProfileTags).

A profile's name is unique in its account ignoring case (the database
enforces it); an account holds at most 1,000 (InstanceProfilesPerAccount). A
profile holds at most one role (InstanceSessionsPerInstanceProfile), counted
with the profile's row locked so two concurrent AddRoleToInstanceProfile
calls cannot both pass; AWS asks for iam:PassRole on the role as well, since
whoever runs on a host with the profile gets the role's permissions. AWS
refuses to delete a profile that still has its role: DeleteConflict. The
answers are shaped as AWS's (recorded against AWS in LocalStack's snapshot
tests): a profile's Roles carry the six fields AWS returns there, listings
leave out Tags, and GetInstanceProfile always carries Tags, empty or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from iamd.model.entities import InstanceProfile, ResourceKind, Role, Tag
from iamd.model.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from iamd.service import arns, ids
from iamd.service.context import OperationContext
from iamd.service.iam.attachments import refuse_protected_role
from iamd.service.iam.common import (
    add_tags,
    checked_marker,
    listed_under,
    page_args,
    remove_tags,
    tag_shape,
    tags_from,
    tags_result,
)
from iamd.service.lookup import INSTANCE_PROFILE, ROLE, find
from iamd.service.registry import Params, Permission, operation
from iamd.store.errors import Conflict

MAX_INSTANCE_PROFILES = 1000  # IAM's default InstanceProfilesPerAccount quota
MAX_ROLES_PER_PROFILE = 1  # InstanceSessionsPerInstanceProfile, fixed by AWS


def profile_role_shape(role: Role) -> dict[str, Any]:
    """A role as AWS lists it inside an instance profile: no description,
    session duration, boundary, tags or last use."""
    return {"Path": role.path, "RoleName": role.name, "RoleId": role.id, "Arn": role.arn,
            "CreateDate": role.created,
            "AssumeRolePolicyDocument": role.assume_role_policy_document}


def profile_shape(profile: InstanceProfile, roles: Sequence[Role],
                  tags: Sequence[Tag] | None = None) -> dict[str, Any]:
    """The InstanceProfile structure; `tags` None leaves Tags out (listings)."""
    shape: dict[str, Any] = {"Path": profile.path, "InstanceProfileName": profile.name,
                             "InstanceProfileId": profile.id, "Arn": profile.arn,
                             "CreateDate": profile.created,
                             "Roles": [profile_role_shape(r) for r in roles]}
    if tags is not None:
        shape["Tags"] = [tag_shape(t) for t in tags]
    return shape






def _page(ctx: OperationContext, profiles: Sequence[InstanceProfile],
          marker: str | None) -> dict[str, Any]:
    # One statement for the roles of the whole page, not one per profile.
    roles = ctx.tx.instance_profiles.roles_of([p.id for p in profiles])
    result: dict[str, Any] = {
        "InstanceProfiles": [profile_shape(p, roles.get(p.id, ())) for p in profiles],
        "IsTruncated": marker is not None}
    if marker is not None:
        result["Marker"] = marker
    return result


@operation("iam", "CreateInstanceProfile")
def create_instance_profile(ctx: OperationContext, params: Params) -> dict[str, Any]:
    name, path = params["InstanceProfileName"], params.get("Path") or "/"
    tags = tags_from(params)
    if ctx.tx.instance_profiles.count(ctx.account_id) >= MAX_INSTANCE_PROFILES:
        raise LimitExceeded(
            f"Cannot exceed quota for InstanceProfilesPerAccount: {MAX_INSTANCE_PROFILES}")
    profile = InstanceProfile(id=ids.unique_id(ids.INSTANCE_PROFILE), account_id=ctx.account_id,
                              path=path, name=name,
                              arn=arns.entity_arn("instance-profile", ctx.account_id, path, name),
                              created=ctx.info.now)
    try:
        ctx.tx.instance_profiles.insert(profile)
    except Conflict:
        raise EntityAlreadyExists(f"Instance Profile {name} already exists.") from None
    if tags:
        ctx.tx.tags.replace(ResourceKind.INSTANCE_PROFILE, profile.id, tags)
    # CreateInstanceProfile answers Tags only when some were given.
    return {"InstanceProfile": profile_shape(profile, (), tags or None)}


@operation("iam", "GetInstanceProfile", read_only=True)
def get_instance_profile(ctx: OperationContext, params: Params) -> dict[str, Any]:
    profile = find(ctx, INSTANCE_PROFILE, params["InstanceProfileName"])
    tags = ctx.tx.tags.list(ResourceKind.INSTANCE_PROFILE, profile.id)
    return {"InstanceProfile": profile_shape(profile, ctx.tx.instance_profiles.roles(profile.id),
                                             tags)}


@operation("iam", "ListInstanceProfiles", read_only=True, resource=listed_under("instance-profile"))
def list_instance_profiles(ctx: OperationContext, params: Params) -> dict[str, Any]:
    after, limit = page_args(params)
    with checked_marker():
        page = ctx.tx.instance_profiles.list(ctx.account_id, path_prefix=params.get("PathPrefix"),
                                             after=after, limit=limit)
    return _page(ctx, page.items, page.marker)


@operation("iam", "ListInstanceProfilesForRole", read_only=True)
def list_instance_profiles_for_role(ctx: OperationContext, params: Params) -> dict[str, Any]:
    role = find(ctx, ROLE, params["RoleName"])
    after, limit = page_args(params)
    with checked_marker():
        page = ctx.tx.instance_profiles.list_for_role(role.id, after=after, limit=limit)
    return _page(ctx, page.items, page.marker)


@operation("iam", "DeleteInstanceProfile")
def delete_instance_profile(ctx: OperationContext, params: Params) -> None:
    profile = find(ctx, INSTANCE_PROFILE, params["InstanceProfileName"], for_update=True)
    if ctx.tx.instance_profiles.count_roles(profile.id):
        raise DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
    ctx.tx.instance_profiles.delete(profile.id)  # its tags go with it


def _pass_role_to_ec2(ctx: OperationContext, params: Params) -> list[Permission]:
    # "The caller of this operation must be granted the PassRole permission
    # on the IAM role" (IAM API reference, AddRoleToInstanceProfile).
    # The role goes to EC2, for any of the account's instances: what the IAM
    # User Guide's iam:AssociatedResourceArn note says a policy must allow here.
    role = ctx.named("roles", params["RoleName"])
    if role is None:
        return []  # the handler answers NoSuchEntity
    return [Permission("iam:PassRole", role.arn, {
        "iam:PassedToService": "ec2.amazonaws.com",
        "iam:AssociatedResourceArn": f"arn:{arns.PARTITION}:ec2:*:{ctx.account_id}:instance/*"})]


@operation("iam", "AddRoleToInstanceProfile", also=_pass_role_to_ec2)
def add_role_to_instance_profile(ctx: OperationContext, params: Params) -> None:
    # Locked first: the quota is checked and the link written under the lock.
    profile = find(ctx, INSTANCE_PROFILE, params["InstanceProfileName"], for_update=True)
    role = find(ctx, ROLE, params["RoleName"])
    refuse_protected_role(role)
    # The same role again counts against the quota too, as AWS answers.
    if ctx.tx.instance_profiles.count_roles(profile.id) >= MAX_ROLES_PER_PROFILE:
        raise LimitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: "
                            f"{MAX_ROLES_PER_PROFILE}")
    ctx.tx.instance_profiles.add_role(profile.id, role.id)


@operation("iam", "RemoveRoleFromInstanceProfile")
def remove_role_from_instance_profile(ctx: OperationContext, params: Params) -> None:
    profile = find(ctx, INSTANCE_PROFILE, params["InstanceProfileName"], for_update=True)
    role = find(ctx, ROLE, params["RoleName"])
    refuse_protected_role(role)
    if not ctx.tx.instance_profiles.remove_role(profile.id, role.id):
        raise NoSuchEntity(f"Role {role.name} in Instance Profile {profile.name} cannot be found.")


@operation("iam", "TagInstanceProfile")
def tag_instance_profile(ctx: OperationContext, params: Params) -> None:
    # The request's own faults (reserved prefix, a key given twice) first, as
    # for users and roles; the limit needs the profile's current tags.
    tags_from(params)
    # Locked so that two concurrent TagInstanceProfile calls cannot pass 50 together.
    profile = find(ctx, INSTANCE_PROFILE, params["InstanceProfileName"], for_update=True)
    add_tags(ctx.tx, ResourceKind.INSTANCE_PROFILE, profile.id, params)


@operation("iam", "UntagInstanceProfile")
def untag_instance_profile(ctx: OperationContext, params: Params) -> None:
    profile = find(ctx, INSTANCE_PROFILE, params["InstanceProfileName"], for_update=True)
    remove_tags(ctx.tx, ResourceKind.INSTANCE_PROFILE, profile.id, params)


@operation("iam", "ListInstanceProfileTags", read_only=True)
def list_instance_profile_tags(ctx: OperationContext, params: Params) -> dict[str, Any]:
    profile = find(ctx, INSTANCE_PROFILE, params["InstanceProfileName"])
    return tags_result(ctx.tx, ResourceKind.INSTANCE_PROFILE, profile.id, params)
