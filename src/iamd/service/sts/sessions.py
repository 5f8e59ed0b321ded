"""Temporary credentials: AssumeRole, GetSessionToken, GetFederationToken.

A session's permissions are its principal's policies intersected with the
session policies it was given (inline and managed ARNs), under the principal's
boundary. AssumeRole is decided by the caller's identity policies and the
role's trust policy together (a trust policy must itself allow the caller,
even within an account); tags need sts:TagSession and a source identity
sts:SetSourceIdentity from both sides too. A session assumed from another
role session is a chain: at most one hour, its transitive tags and source
identity carried along.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from iamd.model.entities import Role
from iamd.model.errors import (
    AccessDenied,
    InvalidParameterValue,
    PackedPolicyTooLarge,
    ValidationError,
)
from iamd.policy import Context, PolicyKind, PolicySet, Principal, Request, parse_policy
from iamd.service import arns, ids
from iamd.service.authorization import decide, denial_message, request_context
from iamd.service.context import ASSUMED_ROLE, FEDERATED_USER, IAM_USER, ROOT, OperationContext
from iamd.service.mfa import verify_session_mfa
from iamd.service.permissions import managed_document, policies_for, resource_controls
from iamd.service.registry import Params, operation
from iamd.service.sts.tokens import SessionClaims, packed_size, seal

CHAINED_MAX_SECONDS = 3600
PACKED_LIMIT = 2048  # compressed bytes of session policies and tags
MAX_SESSION_TAGS = 50


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _session_policies(ctx: OperationContext, params: Params) -> list[str]:
    documents = []
    if params.get("Policy"):
        parse_policy(params["Policy"], PolicyKind.SESSION)
        documents.append(params["Policy"])
    for entry in params.get("PolicyArns") or []:
        arn = entry.get("arn", "")
        document = managed_document(ctx.tx, arn, ctx.account_id)
        if document is None:
            raise InvalidParameterValue(f"Policy {arn} does not exist or is not attachable.")
        documents.append(document)
    return documents


def _tags(params: Params, inherited: dict[str, str], transitive: list[str]) -> dict[str, str]:
    tags = dict(inherited)
    given = params.get("Tags") or []
    if len(given) > MAX_SESSION_TAGS:
        raise ValidationError(f"1 validation error detected: Value at 'tags' failed to satisfy "
                              f"constraint: Member must have length less than or equal to {MAX_SESSION_TAGS}")
    seen: set[str] = set()
    for tag in given:
        lowered = tag["Key"].lower()
        if lowered in seen:
            raise InvalidParameterValue("Duplicate tag keys found. Please note that Tag keys are "
                                        "case insensitive.")
        seen.add(lowered)
        if any(k.lower() == lowered for k in inherited):
            # Transitive tags from the chain cannot be overridden.
            raise InvalidParameterValue("One of the specified transitive tag keys can't be set "
                                        "because it conflicts with a transitive tag key from the "
                                        "calling session.")
        tags[tag["Key"]] = tag["Value"]
    lowered_given = {t["Key"].lower() for t in given}
    for key in transitive:
        if key.lower() not in lowered_given:
            raise InvalidParameterValue("The specified transitive tag key must be included in the "
                                        "requested tags.")
    return tags


def _check_packed(claims: SessionClaims) -> int:
    size = packed_size(claims)
    percent = size * 100 // PACKED_LIMIT
    if size > PACKED_LIMIT:
        raise PackedPolicyTooLarge(f"Packed policy consumes {percent}% of allotted space, please "
                                   "use smaller policy for this operation.")
    return percent


def _credentials(ctx: OperationContext, claims: SessionClaims) -> dict[str, Any]:
    return {"AccessKeyId": claims.access_key_id, "SecretAccessKey": claims.secret_access_key,
            "SessionToken": seal(ctx.runtime, claims), "Expiration": claims.expires_at}


def _role_from_arn(ctx: OperationContext, role_arn: str) -> Role | None:
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    name = parts[5].rsplit("/", 1)[-1]
    role = ctx.tx.roles.get_by_name(parts[4], name)
    return role if role is not None and role.arn == role_arn else None


def _trust_decision(ctx: OperationContext, action: str, role: Role | None, role_arn: str,
                    context: Context) -> None:
    """Caller's identity policies and the role's trust policy, as AWS decides AssumeRole."""
    caller = ctx.caller
    denied = AccessDenied(
        f"User: {caller.arn} is not authorized to perform: {action} on resource: {role_arn}")
    if role is None:
        raise denied
    # The caller's own policies and SCPs; the RCPs of the role's account.
    identity = resource_controls(ctx.tx, policies_for(ctx.runtime, ctx.tx, caller),
                                 role.account_id, caller).gates
    trust = PolicySet.compile(resource=role.assume_role_policy_document).gates
    combined = PolicySet(replace(identity, resource=trust.resource, resource_required=True))

    principal = Principal(arn=caller.arn, account=caller.account_id,
                          kind="root" if caller.kind == ROOT else caller.kind,
                          role_arn=caller.role.arn if caller.role is not None else None)
    decision = combined.decide(Request(action=action, resource=role_arn, principal=principal,
                                       context=context, resource_account=role.account_id))
    if not decision.allowed:
        raise AccessDenied(denial_message(caller.arn, action, role_arn, decision))


@operation("sts", "AssumeRole", authorize=False)
def assume_role(ctx: OperationContext, params: Params) -> dict[str, Any]:
    caller, now = ctx.caller, ctx.info.now
    role_arn, session_name = params["RoleArn"], params["RoleSessionName"]
    if caller.kind == ROOT:
        raise AccessDenied("Roles may not be assumed by root accounts.")
    role = _role_from_arn(ctx, role_arn)
    chained = caller.kind == ASSUMED_ROLE
    inherited: dict[str, str] = {}
    transitive_in: list[str] = []
    source_identity = params.get("SourceIdentity")
    if caller.session is not None:
        inherited = {k: v for k, v in caller.session.tags.items()
                     if k in caller.session.transitive_tag_keys}
        transitive_in = list(caller.session.transitive_tag_keys)
        if caller.session.source_identity:
            if source_identity and source_identity != caller.session.source_identity:
                raise AccessDenied("SourceIdentity cannot be changed once set in a role chain.")
            source_identity = caller.session.source_identity
    transitive = list(dict.fromkeys([*transitive_in, *(params.get("TransitiveTagKeys") or [])]))
    tags = _tags(params, inherited, params.get("TransitiveTagKeys") or [])

    context = request_context(ctx, "sts:AssumeRole", params)
    context.put("sts:RoleSessionName", session_name)
    if params.get("ExternalId") is not None:
        context.put("sts:ExternalId", params["ExternalId"])
    if source_identity:
        context.put("sts:SourceIdentity", source_identity)
    if params.get("TransitiveTagKeys"):
        context.put("sts:TransitiveTagKeys", list(params["TransitiveTagKeys"]))
    mfa_authenticated = verify_session_mfa(ctx, params.get("SerialNumber"),
                                           params.get("TokenCode"))
    mfa_time: str | None = None
    if mfa_authenticated:
        context.put("aws:MultiFactorAuthPresent", "true")
        context.put("aws:MultiFactorAuthAge", "0")
    elif caller.session is not None and caller.session.mfa_authenticated:
        # Credentials from an MFA-authenticated session (GetSessionToken with a
        # code, then AssumeRole): the role session is MFA-authenticated too, and
        # aws:MultiFactorAuthAge keeps counting from the original check.
        mfa_authenticated = True
        first = caller.session.mfa_time or caller.session.issued
        mfa_time = _iso(first) if first is not None else None
    _trust_decision(ctx, "sts:AssumeRole", role, role_arn, context)
    if params.get("Tags"):
        _trust_decision(ctx, "sts:TagSession", role, role_arn, context)
    if params.get("SourceIdentity"):
        _trust_decision(ctx, "sts:SetSourceIdentity", role, role_arn, context)
    assert role is not None

    duration = int(params.get("DurationSeconds") or 3600)
    if chained and duration > CHAINED_MAX_SECONDS:
        raise ValidationError("The requested DurationSeconds exceeds the 1 hour session limit "
                              "for roles assumed by role chaining.")
    if duration > role.max_session_duration:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set "
                              "for this role.")
    policies = _session_policies(ctx, params)
    arn = f"arn:{arns.PARTITION}:sts::{role.account_id}:assumed-role/{role.name}/{session_name}"
    claims = SessionClaims(
        access_key_id=ids.access_key_id(ids.TEMPORARY_ACCESS_KEY, role.account_id),
        secret_access_key=ids.secret_access_key(),
        account_id=role.account_id, kind=ASSUMED_ROLE, arn=arn, user_id=f"{role.id}:{session_name}",
        principal_id=role.id, issued=_iso(now), expires=_iso(now + timedelta(seconds=duration)),
        session_name=session_name, policies=policies, tags=tags, transitive_tag_keys=transitive,
        source_identity=source_identity, mfa_authenticated=mfa_authenticated, mfa_time=mfa_time,
        chained=chained)
    percent = _check_packed(claims)
    ctx.tx.roles.record_last_used(role.id, now, ctx.info.region)
    result: dict[str, Any] = {
        "Credentials": _credentials(ctx, claims),
        "AssumedRoleUser": {"AssumedRoleId": claims.user_id, "Arn": arn},
        "PackedPolicySize": percent,
    }
    if source_identity:
        result["SourceIdentity"] = source_identity
    return result


# AWS requires no permission for GetSessionToken: a user may always get a session of itself.
@operation("sts", "GetSessionToken", authorize=False)
def get_session_token(ctx: OperationContext, params: Params) -> dict[str, Any]:
    caller, now = ctx.caller, ctx.info.now
    if caller.session is not None:
        raise AccessDenied("Cannot call GetSessionToken with session credentials")
    default, ceiling = (3600, 3600) if caller.kind == ROOT else (43200, 129600)
    duration = min(int(params.get("DurationSeconds") or default), ceiling)
    mfa_authenticated = verify_session_mfa(ctx, params.get("SerialNumber"),
                                           params.get("TokenCode"))
    principal_id = caller.user.id if caller.user is not None else caller.account_id
    claims = SessionClaims(
        access_key_id=ids.access_key_id(ids.TEMPORARY_ACCESS_KEY, caller.account_id),
        secret_access_key=ids.secret_access_key(),
        account_id=caller.account_id, kind=IAM_USER if caller.kind == IAM_USER else ROOT,
        arn=caller.arn, user_id=caller.user_id, principal_id=principal_id, issued=_iso(now),
        expires=_iso(now + timedelta(seconds=duration)), mfa_authenticated=mfa_authenticated,
        root=caller.kind == ROOT)
    return {"Credentials": _credentials(ctx, claims)}


def _federation_resource(ctx: OperationContext, params: Params) -> str:
    return f"arn:{arns.PARTITION}:sts::{ctx.account_id}:federated-user/{params.get('Name', '')}"


@operation("sts", "GetFederationToken", resource=_federation_resource)
def get_federation_token(ctx: OperationContext, params: Params) -> dict[str, Any]:
    caller, now = ctx.caller, ctx.info.now
    if caller.session is not None or caller.kind not in (IAM_USER, ROOT):
        raise AccessDenied("Cannot call GetFederationToken with session credentials")
    default, ceiling = (3600, 3600) if caller.kind == ROOT else (43200, 129600)
    duration = min(int(params.get("DurationSeconds") or default), ceiling)
    name = params["Name"]
    if params.get("Tags"):
        context = request_context(ctx, "sts:TagSession", params)
        decision = decide(ctx, "sts:TagSession", _federation_resource(ctx, params), context)
        if not decision.allowed:
            raise AccessDenied(denial_message(caller.arn, "sts:TagSession",
                                              _federation_resource(ctx, params), decision))
    arn = _federation_resource(ctx, params)
    claims = SessionClaims(
        access_key_id=ids.access_key_id(ids.TEMPORARY_ACCESS_KEY, caller.account_id),
        secret_access_key=ids.secret_access_key(),
        account_id=caller.account_id, kind=FEDERATED_USER, arn=arn,
        user_id=f"{caller.account_id}:{name}",
        principal_id=caller.user.id if caller.user is not None else caller.account_id,
        issued=_iso(now), expires=_iso(now + timedelta(seconds=duration)), session_name=name,
        policies=_session_policies(ctx, params), tags=_tags(params, {}, []), root=caller.kind == ROOT)
    percent = _check_packed(claims)
    return {"Credentials": _credentials(ctx, claims),
            "FederatedUser": {"FederatedUserId": claims.user_id, "Arn": arn},
            "PackedPolicySize": percent}


@operation("sts", "GetAccessKeyInfo", read_only=True, authorize=False)
def get_access_key_info(ctx: OperationContext, params: Params) -> dict[str, Any]:
    key_id = params["AccessKeyId"]
    key = ctx.tx.access_keys.get(key_id)
    if key is not None:
        return {"Account": key.account_id}
    if key_id == ctx.caller.access_key_id:
        return {"Account": ctx.caller.account_id}
    # A temporary key, or one of another store: its id encodes its account,
    # as AWS's do. Long-term keys of this store are answered above.
    account = ids.account_of_key(key_id) if key_id[:4] in (
        ids.ACCESS_KEY, ids.TEMPORARY_ACCESS_KEY) else None
    if account is None:
        raise InvalidParameterValue("The access key ID provided is not valid.")
    return {"Account": account}

