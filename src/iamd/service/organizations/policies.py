"""SCPs and RCPs: Enable/DisablePolicyType, CreatePolicy, UpdatePolicy,
DeletePolicy, DescribePolicy, ListPolicies, AttachPolicy, DetachPolicy,
ListPoliciesForTarget, ListTargetsForPolicy and DescribeEffectivePolicy.

Enabling a type attaches its AWS managed full-access policy (FullAWSAccess,
RCPFullAWSAccess) to the root, every OU and every account, as AWS does;
disabling it detaches every policy of the type. A policy of a type is
created only while the type is enabled. Documents are checked with the
policy grammar of their type, and their size counts every character (AWS
counts whitespace in these documents, unlike IAM's). A target keeps at
least one SCP and at most five of each type; RCPFullAWSAccess never comes off.
iamd serves these two types only: they are the ones it enforces.
"""

from __future__ import annotations

from typing import Any

from iamd.model.errors import LimitExceeded
from iamd.model.errors import MalformedPolicyDocument as IamMalformedPolicyDocument
from iamd.model.organizations_errors import (
    ConstraintViolation,
    DuplicatePolicy,
    DuplicatePolicyAttachment,
    EffectivePolicyNotFound,
    InvalidInput,
    MalformedPolicyDocument,
    PolicyInUse,
    PolicyNotAttached,
    PolicyNotFound,
    PolicyTypeAlreadyEnabled,
    PolicyTypeNotAvailableForOrganization,
    PolicyTypeNotEnabled,
    RootNotFound,
    TargetNotFound,
)
from iamd.policy import PolicyKind, parse_policy
from iamd.service.context import OperationContext
from iamd.service.organizations.common import (
    check_tags,
    managed_organization,
    org_operation,
    page,
    save,
)
from iamd.service.organizations.shapes import policy_summary, root_shape, target_type
from iamd.service.organizations.state import (
    FULL_ACCESS,
    RCP,
    SCP,
    Organization,
    OrgPolicy,
    new_policy_id,
)
from iamd.service.registry import Params

KINDS = {SCP: PolicyKind.SCP, RCP: PolicyKind.RCP}
MAX_SIZE = 5120
MAX_POLICIES = {SCP: 10000, RCP: 1000}
MAX_ATTACHED = 5


def _served_type(policy_type: str) -> str:
    if policy_type not in KINDS:
        raise InvalidInput(f"iamd serves policies of type {SCP} and {RCP} only, not {policy_type}.",
                           reason="INVALID_ENUM_POLICY_TYPE")
    return policy_type


def check_content(content: str, policy_type: str) -> str:
    """The document as given, once it is valid for its type."""
    if len(content) > MAX_SIZE:
        raise ConstraintViolation("You have exceeded the maximum policy size.",
                                  reason="POLICY_CONTENT_LIMIT_EXCEEDED")
    try:
        parse_policy(content, KINDS[policy_type])
    except (IamMalformedPolicyDocument, LimitExceeded) as error:
        raise MalformedPolicyDocument(error.message) from None
    return content


def _policy(found: Organization, policy_id: str) -> OrgPolicy:
    policy = found.policies.get(policy_id)
    if policy is None:
        raise PolicyNotFound()
    return policy


def _customer_policy(found: Organization, policy_id: str) -> OrgPolicy:
    policy = _policy(found, policy_id)
    if policy.aws_managed:
        raise InvalidInput("You can't modify or delete a policy that AWS manages.",
                           reason="IMMUTABLE_POLICY")
    return policy


def _target(found: Organization, target_id: str) -> str:
    if found.arn_of(target_id) is None or target_id in found.policies:
        raise TargetNotFound()
    return target_id


def _root(found: Organization, root_id: str) -> None:
    if root_id != found.root_id:
        raise RootNotFound()


@org_operation("EnablePolicyType", target="RootId")
def enable_policy_type(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    _root(found, params["RootId"])
    policy_type = _served_type(params["PolicyType"])
    if found.feature_set != "ALL":
        # Authorization policies need all features; consolidated billing has none.
        raise PolicyTypeNotAvailableForOrganization()
    if found.enabled(policy_type):
        raise PolicyTypeAlreadyEnabled()
    found.policy_types.append(policy_type)
    for target in [found.root_id, *found.units, *found.members]:
        found.attachments.setdefault(target, []).append(FULL_ACCESS[policy_type])
    save(ctx, found)
    return {"Root": root_shape(found)}


@org_operation("DisablePolicyType", target="RootId")
def disable_policy_type(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    _root(found, params["RootId"])
    policy_type = _served_type(params["PolicyType"])
    if not found.enabled(policy_type):
        raise PolicyTypeNotEnabled()
    found.policy_types.remove(policy_type)
    for target, ids in found.attachments.items():
        found.attachments[target] = [p for p in ids if found.policies[p].type != policy_type]
    save(ctx, found)
    return {"Root": root_shape(found)}


def _check_unique_name(found: Organization, policy_type: str, name: str, policy_id: str = "") -> None:
    for other in found.policies.values():
        if other.type == policy_type and other.name == name and other.id != policy_id:
            raise DuplicatePolicy()


@org_operation("CreatePolicy")
def create_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    policy_type = _served_type(params["Type"])
    if not found.enabled(policy_type):
        raise PolicyTypeNotEnabled()
    content = check_content(params["Content"], policy_type)
    _check_unique_name(found, policy_type, params["Name"])
    if sum(p.type == policy_type for p in found.policies.values()) >= MAX_POLICIES[policy_type]:
        raise ConstraintViolation("You have created the maximum number of policies of this type.",
                                  reason="POLICY_NUMBER_LIMIT_EXCEEDED")
    tags = check_tags(params.get("Tags") or [])
    policy = OrgPolicy(new_policy_id(), policy_type, params["Name"], params["Description"], content)
    found.policies[policy.id] = policy
    if tags:
        found.tags[policy.id] = tags
    save(ctx, found)
    return {"Policy": {"PolicySummary": policy_summary(found, policy), "Content": content}}


@org_operation("UpdatePolicy", target="PolicyId")
def update_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    policy = _customer_policy(found, params["PolicyId"])
    content = (check_content(params["Content"], policy.type)
               if params.get("Content") is not None else policy.content)
    if params.get("Name") is not None:
        _check_unique_name(found, policy.type, params["Name"], policy.id)
        policy.name = params["Name"]
    if params.get("Description") is not None:
        policy.description = params["Description"]
    policy.content = content
    save(ctx, found)
    return {"Policy": {"PolicySummary": policy_summary(found, policy), "Content": content}}


@org_operation("DeletePolicy", target="PolicyId")
def delete_policy(ctx: OperationContext, params: Params) -> None:
    found = managed_organization(ctx)
    policy = _customer_policy(found, params["PolicyId"])
    if found.targets_of(policy.id):
        raise PolicyInUse()
    del found.policies[policy.id]
    found.tags.pop(policy.id, None)
    save(ctx, found)


@org_operation("DescribePolicy", read_only=True, target="PolicyId")
def describe_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    policy = _policy(found, params["PolicyId"])
    return {"Policy": {"PolicySummary": policy_summary(found, policy), "Content": policy.content}}


@org_operation("ListPolicies", read_only=True)
def list_policies(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    policy_type = _served_type(params["Filter"])
    policies = [policy_summary(found, p) for p in found.policies.values() if p.type == policy_type]
    return page(policies, params, "Policies")


@org_operation("AttachPolicy", target="TargetId")
def attach_policy(ctx: OperationContext, params: Params) -> None:
    found = managed_organization(ctx)
    policy = _policy(found, params["PolicyId"])
    target = _target(found, params["TargetId"])
    if not found.enabled(policy.type):
        raise PolicyTypeNotEnabled()
    attached = found.attachments.setdefault(target, [])
    if policy.id in attached:
        raise DuplicatePolicyAttachment()
    if len(found.attached(target, policy.type)) >= MAX_ATTACHED:
        raise ConstraintViolation(
            "You have attached the maximum number of policies of this type to the target.",
            reason="MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
    attached.append(policy.id)
    save(ctx, found)


@org_operation("DetachPolicy", target="TargetId")
def detach_policy(ctx: OperationContext, params: Params) -> None:
    found = managed_organization(ctx)
    policy = _policy(found, params["PolicyId"])
    target = _target(found, params["TargetId"])
    attached = found.attachments.get(target, [])
    if policy.id not in attached:
        raise PolicyNotAttached()
    if policy.id == FULL_ACCESS[RCP]:
        raise InvalidInput("You can't detach the RCPFullAWSAccess policy.",
                           reason="NON_DETACHABLE_POLICY")
    if policy.type == SCP and len(found.attached(target, SCP)) == 1:
        raise ConstraintViolation(
            "You can't detach the last service control policy from a root, OU or account.",
            reason="MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
    attached.remove(policy.id)
    save(ctx, found)


@org_operation("ListPoliciesForTarget", read_only=True, target="TargetId")
def list_policies_for_target(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    target = _target(found, params["TargetId"])
    policy_type = _served_type(params["Filter"])
    policies = [policy_summary(found, p) for p in found.attached(target, policy_type)]
    return page(policies, params, "Policies")


def _target_name(ctx: OperationContext, found: Organization, target_id: str) -> str:
    if target_id == found.root_id:
        return "Root"
    if target_id in found.units:
        return found.units[target_id].name
    account = ctx.tx.accounts.get(target_id)
    return account.name if account is not None else target_id


@org_operation("ListTargetsForPolicy", read_only=True, target="PolicyId")
def list_targets_for_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    policy = _policy(found, params["PolicyId"])
    targets = [{"TargetId": t, "Arn": found.arn_of(t), "Name": _target_name(ctx, found, t),
                "Type": target_type(found, t)} for t in found.targets_of(policy.id)]
    return page(targets, params, "Targets")


@org_operation("DescribeEffectivePolicy", read_only=True, target="TargetId")
def describe_effective_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    # AWS computes effective policies for management policy types (tag, backup,
    # AI services opt-out...), never for SCPs or RCPs, which are evaluated
    # level by level instead; iamd serves none of the former.
    found = managed_organization(ctx)
    if params.get("TargetId") is not None:
        _target(found, params["TargetId"])
    if params["PolicyType"] in KINDS:
        raise InvalidInput("You specified an invalid value.", reason="INVALID_ENUM_POLICY_TYPE")
    raise EffectivePolicyNotFound()
