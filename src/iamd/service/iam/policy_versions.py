"""Versions of a customer managed policy: CreatePolicyVersion, GetPolicyVersion,
ListPolicyVersions, SetDefaultPolicyVersion, DeletePolicyVersion.

A policy keeps at most five versions; version ids are never reused (the store
counts them), and the default one is what every principal the policy is
attached to gets on its next request. Changing the default is a write, so it
bumps the authorization generation like any other and cached permissions are
rebuilt. Versions of AWS managed policies can be read but not changed.
"""

from __future__ import annotations

from typing import Any

from iamd.model.entities import ManagedPolicy, PolicyVersion
from iamd.model.errors import DeleteConflict, LimitExceeded, NoSuchEntity, NoSuchPolicyVersion
from iamd.policy import PolicyKind, parse_policy
from iamd.service import arns
from iamd.service.context import OperationContext
from iamd.service.iam.managed_policies import (
    listing,
    paginate,
    policy_or_fail,
    refuse_outside_account,
    visible_policy,
)
from iamd.service.registry import Params, operation

MAX_VERSIONS = 5


def _version_not_found(arn: str, version_id: str) -> NoSuchEntity:
    return NoSuchPolicyVersion(arn=arn, version=version_id)


def _policy_for_version(ctx: OperationContext, arn: str, version_id: str, *,
                        for_update: bool = False) -> ManagedPolicy:
    # The calls that name a version answer a missing policy as a missing version.
    arns.check_shape(arn)
    policy = visible_policy(ctx, arn, for_update=for_update)
    if policy is None:
        raise _version_not_found(arn, version_id)
    return policy


def _version_or_fail(ctx: OperationContext, policy: ManagedPolicy, arn: str,
                     version_id: str) -> PolicyVersion:
    version = ctx.tx.policy_versions.get(policy.id, version_id)
    if version is None:
        raise _version_not_found(arn, version_id)
    return version


def _summary(version: PolicyVersion) -> dict[str, Any]:
    # CreatePolicyVersion and ListPolicyVersions leave the document out.
    return {"VersionId": version.version_id, "IsDefaultVersion": version.is_default,
            "CreateDate": version.created}


@operation("iam", "CreatePolicyVersion")
def create_policy_version(ctx: OperationContext, params: Params) -> dict[str, Any]:
    arn, document = params["PolicyArn"], params["PolicyDocument"]
    refuse_outside_account(ctx, arn, "Cannot create versions for policies outside your own account.")
    parse_policy(document, PolicyKind.MANAGED)
    # The row lock makes count-then-add safe against a concurrent CreatePolicyVersion.
    policy = policy_or_fail(ctx, arn, for_update=True)
    if ctx.tx.policy_versions.count(policy.id) >= MAX_VERSIONS:
        raise LimitExceeded(f"A managed policy can have up to {MAX_VERSIONS} versions. Before you "
                            "create a new version, you must delete an existing version.")
    version = ctx.tx.policy_versions.add(policy.id, document, ctx.info.now,
                                         set_as_default=bool(params.get("SetAsDefault")))
    return {"PolicyVersion": _summary(version)}


@operation("iam", "GetPolicyVersion", read_only=True)
def get_policy_version(ctx: OperationContext, params: Params) -> dict[str, Any]:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    policy = _policy_for_version(ctx, arn, version_id)
    version = _version_or_fail(ctx, policy, arn, version_id)
    return {"PolicyVersion": {"Document": version.document, **_summary(version)}}


@operation("iam", "ListPolicyVersions", read_only=True)
def list_policy_versions(ctx: OperationContext, params: Params) -> dict[str, Any]:
    policy = policy_or_fail(ctx, params["PolicyArn"])
    versions = ctx.tx.policy_versions.list(policy.id)  # newest first, as AWS lists them
    chunk, marker = paginate(versions, params, key=lambda v: (v.version_id,), ordered=True)
    return listing("Versions", [_summary(v) for v in chunk], marker)


@operation("iam", "SetDefaultPolicyVersion")
def set_default_policy_version(ctx: OperationContext, params: Params) -> None:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    refuse_outside_account(ctx, arn, "Cannot update policies outside your own account.")
    policy = _policy_for_version(ctx, arn, version_id, for_update=True)
    _version_or_fail(ctx, policy, arn, version_id)
    ctx.tx.policy_versions.set_default(policy.id, version_id, ctx.info.now)


@operation("iam", "DeletePolicyVersion")
def delete_policy_version(ctx: OperationContext, params: Params) -> None:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    refuse_outside_account(ctx, arn,
                           "Cannot delete policy versions for policies outside your own account.")
    policy = _policy_for_version(ctx, arn, version_id, for_update=True)
    version = _version_or_fail(ctx, policy, arn, version_id)
    if version.is_default:
        raise DeleteConflict("Cannot delete the default version of a policy.")
    ctx.tx.policy_versions.delete(policy.id, version_id)
