"""The IAM policy simulator API: SimulatePrincipalPolicy, SimulateCustomPolicy,
GetContextKeysForPrincipalPolicy and GetContextKeysForCustomPolicy.

SimulatePrincipalPolicy gathers a user's, group's or role's policies exactly
as authorization does (a user's own inline and attached policies, then each
of its groups'; its permissions boundary) and hands them, with the request's
extra documents, caller and context, to service/simulation.py, which decides
with the engine enforcement uses. Each (action, resource) pair is one
EvaluationResult, paginated with MaxItems and Marker. SimulatePrincipalPolicy
and GetContextKeysForPrincipalPolicy are authorized on the PolicySourceArn,
the custom-policy operations on "*", like any other call. Documents given in
the request are checked as IAM checks them (MalformedPolicyDocument); a
request IAM cannot simulate is InvalidInput.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from iamd.model.entities import PrincipalKind, Role
from iamd.model.errors import InvalidInput
from iamd.policy import Context, PolicyDocument, PolicyKind, Principal, parse_policy
from iamd.service.context import IAM_USER, OperationContext
from iamd.service.iam.common import DEFAULT_MAX_ITEMS, invalid_marker
from iamd.service.lookup import PRINCIPALS, find
from iamd.service.permissions import (
    SERVICE_LINKED_PATH,
    account_levels,
    managed_document,
    principal_policies,
    user_groups,
)
from iamd.service.registry import Params, operation
from iamd.service.simulation import (
    BOUNDARY_SOURCE,
    IDENTITY_SOURCE,
    RESOURCE_POLICY_ID,
    RESOURCE_SOURCE,
    Simulation,
    SourcedPolicy,
    context_from_entries,
    context_keys,
    sourced,
)

# Identity documents of a simulation are read as authorization reads stored
# ones (permissions._parsed): no Principal, the most generous identity quota.
_IDENTITY_KIND = PolicyKind.ROLE_INLINE

_ENTITY_ARN = re.compile(r"^arn:[^:]+:iam::(\d{12}):(user|group|role)/(?:[^:]*/)?([^/:]+)$")
_ACCOUNT_ROOT = re.compile(r"^(?:arn:[^:]+:iam::)?(\d{12})(?::root)?$")

# ResourceHandlingOption scenarios and the EC2 resource types each needs
# (SimulatePrincipalPolicy's API reference and the IAM User Guide).
_SCENARIOS: dict[str, frozenset[str]] = {
    "EC2-Classic-InstanceStore": frozenset({"instance", "image", "security-group"}),
    "EC2-Classic-EBS": frozenset({"instance", "image", "security-group", "volume"}),
    "EC2-VPC-InstanceStore": frozenset({"instance", "image", "security-group",
                                        "network-interface"}),
    "EC2-VPC-InstanceStore-Subnet": frozenset({"instance", "image", "security-group",
                                               "network-interface", "subnet"}),
    "EC2-VPC-EBS": frozenset({"instance", "image", "security-group", "network-interface",
                              "volume"}),
    "EC2-VPC-EBS-Subnet": frozenset({"instance", "image", "security-group",
                                     "network-interface", "subnet", "volume"}),
}


@dataclass(frozen=True)
class _Entity:
    """The user, group or role a PolicySourceArn or CallerArn names."""

    kind: PrincipalKind
    account_id: str
    name: str
    arn: str

    def principal(self) -> Principal:
        # A group is no principal: its policies are simulated for a member.
        kind = "role" if self.kind is PrincipalKind.ROLE else "user"
        return Principal(arn=self.arn, account=self.account_id, kind=kind)


def _entity(arn: str) -> _Entity:
    match = _ENTITY_ARN.match(arn)
    if match is None:
        raise InvalidInput(f"Invalid Entity Arn: {arn} does not clearly define entity type and name.")
    return _Entity(PrincipalKind(match.group(2)), match.group(1), match.group(3), arn)


def _source_arn(ctx: OperationContext, params: Params) -> str:
    """What SimulatePrincipalPolicy is authorized on: the entity it reveals."""
    return str(params.get("PolicySourceArn") or "*")


def _source(ctx: OperationContext, arn: str) -> tuple[_Entity, Any]:
    entity = _entity(arn)
    if entity.account_id != ctx.account_id:
        raise InvalidInput(f"Invalid Policy Source Arn: caller's account {ctx.account_id} does not "
                           f"have access to policies in account {entity.account_id}")
    return entity, find(ctx, PRINCIPALS[entity.kind], entity.name)


def _stored_policies(ctx: OperationContext, kind: PrincipalKind, stored: Any) -> list[SourcedPolicy]:
    """The entity's identity policies in authorization's order, each with the
    SourcePolicyId IAM gives it: a managed policy's name, and
    "<user|group|role>_<entity name>_<policy name>" for an inline one."""
    holders = [(kind, stored)]
    if kind is PrincipalKind.USER:
        holders += [(PrincipalKind.GROUP, group) for group in user_groups(ctx.tx, stored.id)]
    policies = []
    for holder_kind, holder in holders:
        for policy in principal_policies(ctx.tx, holder_kind, holder.id, ctx.account_id):
            if policy.policy_arn is None:
                policies.append(sourced(
                    policy.document, f"{holder_kind.value}_{holder.name}_{policy.name}",
                    IDENTITY_SOURCE, _IDENTITY_KIND,
                    holder=(holder_kind.value, holder.name, policy.name)))
            else:
                policies.append(sourced(policy.document, policy.name, IDENTITY_SOURCE,
                                        _IDENTITY_KIND, policy_arn=policy.policy_arn))
    return policies


def _stored_boundary(ctx: OperationContext, stored: Any) -> SourcedPolicy | None:
    arn = getattr(stored, "permissions_boundary_arn", None)
    if not arn:
        return None
    document = managed_document(ctx.tx, arn, ctx.account_id)
    if document is None:
        return None
    return sourced(document, arn.rsplit("/", 1)[-1], BOUNDARY_SOURCE, _IDENTITY_KIND,
                   policy_arn=arn)


def _input_policies(params: Params) -> list[SourcedPolicy]:
    return [sourced(text, f"PolicyInputList.{number}", IDENTITY_SOURCE, _IDENTITY_KIND)
            for number, text in enumerate(params.get("PolicyInputList") or [], start=1)]


def _input_boundary(params: Params) -> SourcedPolicy | None:
    documents = params.get("PermissionsBoundaryPolicyInputList") or []
    if len(documents) > 1:
        # "You can input only one permissions boundary when you pass a policy
        # to this operation" (the API reference).
        raise InvalidInput("The list of Permissions Boundary policies cannot exceed 1 items.")
    if not documents:
        return None
    return sourced(documents[0], "PermissionsBoundaryPolicyInputList.1", BOUNDARY_SOURCE,
                   _IDENTITY_KIND)


def _resource_policy(params: Params) -> SourcedPolicy | None:
    text = params.get("ResourcePolicy")
    if text is None:
        return None
    return sourced(text, RESOURCE_POLICY_ID, RESOURCE_SOURCE, PolicyKind.RESOURCE)


def _scp_levels(params: Params) -> list[list[PolicyDocument]]:
    levels = []
    for level in params.get("OrderedOrganizationPolicyInputList") or []:
        documents = level.get("ServiceControlPolicyInputList") or []
        if not documents:
            raise InvalidInput("Each organization policy level must contain at least one "
                               "service control policy.")
        levels.append([parse_policy(text, PolicyKind.SCP) for text in documents])
    return levels


def _stored_scp_levels(ctx: OperationContext, stored: Any) -> list[list[PolicyDocument]]:
    """The SCPs of every level above the simulated principal's account, as
    enforcement applies them (a service-linked role is exempt)."""
    if isinstance(stored, Role) and stored.path.startswith(SERVICE_LINKED_PATH):
        return []
    scp, _ = account_levels(ctx.tx, stored.account_id)
    return [[parse_policy(document, PolicyKind.SCP) for _, document in level] for level in scp]


def _resource_owner(params: Params, default: str) -> str:
    owner = params.get("ResourceOwner")
    if owner is None:
        return default
    match = _ACCOUNT_ROOT.match(owner)
    if match is None:
        raise InvalidInput(f"Invalid ResourceOwner: {owner} is not an account ID.")
    return match.group(1)


def _actions(params: Params) -> list[str]:
    actions = list(params.get("ActionNames") or [])
    for action in actions:
        # IAM simulates concrete API operations; a wildcard names many, which
        # may need different resources.
        if "*" in action or "?" in action:
            raise InvalidInput(f'Invalid Input Actions: "{action}" require different '
                               "authorization information.")
    return actions


def _resources(params: Params) -> list[str]:
    resources = list(params.get("ResourceArns") or ["*"])
    option = params.get("ResourceHandlingOption")
    if option is not None:
        needed = _SCENARIOS.get(option)
        if needed is None:
            raise InvalidInput(f"Invalid ResourceHandlingOption: {option}. Valid options are "
                               + ", ".join(_SCENARIOS) + ".")
        present = {r.split(":", 5)[5].split("/", 1)[0] for r in resources
                   if r.count(":") >= 5 and r.split(":", 3)[2] == "ec2"}
        absent = sorted(needed - present)
        if absent:
            raise InvalidInput(f"Resource handling option {option} requires resources of "
                               f"type {', '.join(absent)}.")
    return resources


def _caller(params: Params, needs_user: bool, fallback: _Entity | None) -> _Entity | None:
    """The simulated caller. A resource-based policy names principals, so with
    one the caller must be an IAM user (IAM: "Invalid caller - Caller must be
    an IAM user in this context.")."""
    arn = params.get("CallerArn")
    caller = _entity(arn) if arn is not None else fallback
    if needs_user and (caller is None or caller.kind is not PrincipalKind.USER):
        raise InvalidInput("Invalid caller - Caller must be an IAM user in this context.")
    return caller


# --- Pagination over (action, resource) pairs -------------------------------


def _fingerprint(actions: Sequence[str], resources: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps([actions, resources]).encode()).hexdigest()[:16]


def _page(simulation: Simulation, actions: Sequence[str], resources: Sequence[str],
          params: Params) -> dict[str, Any]:
    """One page of EvaluationResults. The marker is the next pair's index with
    a fingerprint of the pairs, so a marker from another simulation is refused."""
    fingerprint = _fingerprint(actions, resources)
    start = 0
    marker = params.get("Marker")
    if marker is not None:
        index, _, mark = marker.partition(".")
        if not index.isdigit() or mark != fingerprint:
            raise invalid_marker()
        start = int(index)
    limit = int(params.get("MaxItems") or DEFAULT_MAX_ITEMS)
    pairs = [(action, resource) for action in actions for resource in resources]
    chunk = pairs[start:start + limit]
    result: dict[str, Any] = {
        "EvaluationResults": [simulation.evaluate(action, resource) for action, resource in chunk],
        "IsTruncated": start + limit < len(pairs)}
    if result["IsTruncated"]:
        result["Marker"] = f"{start + limit}.{fingerprint}"
    return result


# --- Exclusions ---------------------------------------------------------------


def _glob(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    source = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(source, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@dataclass
class _Exclusions:
    """A PolicyExclusionList: policies left out of a SimulatePrincipalPolicy."""

    types: frozenset[str]
    arns: tuple[re.Pattern[str], ...]
    inline: tuple[tuple[str, str, re.Pattern[str]], ...]  # name, holder kind, holder name

    def excludes(self, policy: SourcedPolicy) -> bool:
        if policy.holder is not None:
            holder_kind, holder_name, name = policy.holder
            if "inline" in self.types:
                return True
            return any(kind == holder_kind and name.lower() == wanted
                       and holder.fullmatch(holder_name) is not None
                       for wanted, kind, holder in self.inline)
        if policy.policy_arn is None:
            return False
        managed = "aws-managed" if policy.policy_arn.split(":")[4] == "aws" else "user-managed"
        return managed in self.types or any(p.fullmatch(policy.policy_arn) for p in self.arns)

    @property
    def boundary(self) -> bool:
        return "permission-boundary" in self.types


def _exclusions(items: Sequence[Mapping[str, Any]]) -> _Exclusions:
    types: set[str] = set()
    arns: list[re.Pattern[str]] = []
    inline: list[tuple[str, str, re.Pattern[str]]] = []
    for item in items:
        given = [name for name in ("PolicyType", "PolicyArn", "InlinePolicyIdentifier")
                 if item.get(name) is not None]
        if len(given) != 1:
            raise InvalidInput("Each PolicyExclusionList entry must specify exactly one of "
                               "PolicyType, PolicyArn or InlinePolicyIdentifier.")
        if "PolicyType" in given:
            types.add(item["PolicyType"])
        elif "PolicyArn" in given:
            arns.append(_excluded_arn(item["PolicyArn"]))
        else:
            identifier = item["InlinePolicyIdentifier"]
            inline.append((identifier["PolicyName"].lower(), identifier["AttachmentType"],
                           _glob(identifier["AttachmentName"], ignore_case=True)))
    return _Exclusions(frozenset(types), tuple(arns), tuple(inline))


def _excluded_arn(arn: str) -> re.Pattern[str]:
    """A managed policy ARN; wildcards only in its name (at most one `*`)."""
    parts = arn.split(":", 5)
    valid = (len(parts) == 6 and parts[0] == "arn" and parts[2] == "iam" and parts[3] == ""
             and parts[5].startswith("policy/") and parts[5].count("*") <= 1
             and not any(c in part for part in parts[:5] for c in "*?"))
    if not valid:
        raise InvalidInput(f"Invalid PolicyArn in PolicyExclusionList: {arn}")
    return _glob(arn)


# --- The operations ---------------------------------------------------------


def _context(params: Params) -> Context:
    return context_from_entries(params.get("ContextEntries") or [])


@operation("iam", "SimulatePrincipalPolicy", read_only=True, resource=_source_arn)
def simulate_principal_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    source, stored = _source(ctx, params["PolicySourceArn"])
    exclusions = _exclusions(params.get("PolicyExclusionList") or [])
    identity = [p for p in _stored_policies(ctx, source.kind, stored) if not exclusions.excludes(p)]
    identity += _input_policies(params)
    # A boundary given in the request replaces the entity's own (API reference).
    boundary = _input_boundary(params)
    if boundary is None and not exclusions.boundary:
        boundary = _stored_boundary(ctx, stored)
    resource_policy = _resource_policy(params)
    caller = _caller(params, resource_policy is not None, source)
    assert caller is not None
    simulation = Simulation(
        identity=identity, boundary=boundary, resource_policy=resource_policy,
        scp=[] if "scp" in exclusions.types else _stored_scp_levels(ctx, stored),
        principal=caller.principal(), context=_context(params),
        resource_owner=_resource_owner(params, caller.account_id))
    return _page(simulation, _actions(params), _resources(params), params)


@operation("iam", "SimulateCustomPolicy", read_only=True)
def simulate_custom_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    identity = _input_policies(params)
    boundary = _input_boundary(params)
    scp = _scp_levels(params)
    resource_policy = _resource_policy(params)
    caller = _caller(params, resource_policy is not None, None)
    if caller is not None:
        principal = caller.principal()
        owner = caller.account_id
    else:
        # No simulated caller: the policies are evaluated for an IAM user of the
        # calling account (never as the root user, whom no policy limits).
        principal = Principal(arn=ctx.caller.principal_arn, account=ctx.account_id,
                              kind=IAM_USER)
        owner = ctx.account_id
    simulation = Simulation(
        identity=identity, boundary=boundary, resource_policy=resource_policy, scp=scp,
        principal=principal, context=_context(params),
        resource_owner=_resource_owner(params, owner))
    return _page(simulation, _actions(params), _resources(params), params)


@operation("iam", "GetContextKeysForPrincipalPolicy", read_only=True, resource=_source_arn)
def get_context_keys_for_principal_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    source, stored = _source(ctx, params["PolicySourceArn"])
    policies = _stored_policies(ctx, source.kind, stored) + _input_policies(params)
    return {"ContextKeyNames": context_keys(policies)}


@operation("iam", "GetContextKeysForCustomPolicy", read_only=True)
def get_context_keys_for_custom_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return {"ContextKeyNames": context_keys(_input_policies(params))}
