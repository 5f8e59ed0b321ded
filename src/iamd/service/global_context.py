"""The global condition keys: the one list of those iamd fills from the caller
and the request, and the one builder of their values.

Every decision starts from `global_context(ctx)`: iamd's own calls (the
Query endpoint and the console, through dispatch and authorization.py), a
second permission an operation needs (iam:PassRole and the like), and the
client of a request another service forwards (/_iamd/authorize, which also
refuses these keys from the calling service: they come from authentication,
never from the body). Keys are spelled as AWS spells them.
"""

from __future__ import annotations

from iamd.model.entities import ResourceKind
from iamd.service.context import (
    ASSUMED_ROLE,
    FEDERATED_USER,
    IAM_USER,
    ROOT,
    OperationContext,
    iso_seconds,
)
from iamd.service.organizations.state import parsed_organization

SOURCE_IP = "aws:SourceIp"
SECURE_TRANSPORT = "aws:SecureTransport"
CURRENT_TIME = "aws:CurrentTime"
EPOCH_TIME = "aws:EpochTime"
PRINCIPAL_ARN = "aws:PrincipalArn"
PRINCIPAL_ACCOUNT = "aws:PrincipalAccount"
PRINCIPAL_TYPE = "aws:PrincipalType"
USER_ID = "aws:userid"
USERNAME = "aws:username"
REQUESTED_REGION = "aws:RequestedRegion"
MFA_PRESENT = "aws:MultiFactorAuthPresent"
MFA_AGE = "aws:MultiFactorAuthAge"
TOKEN_ISSUE_TIME = "aws:TokenIssueTime"
SOURCE_IDENTITY = "aws:SourceIdentity"
FEDERATED_PROVIDER = "aws:FederatedProvider"
PRINCIPAL_TAG_PREFIX = "aws:PrincipalTag/"
PRINCIPAL_ORG_ID = "aws:PrincipalOrgID"
PRINCIPAL_ORG_PATHS = "aws:PrincipalOrgPaths"

# Every key global_context may fill (with the aws:PrincipalTag/ family).
GLOBAL_KEYS = (SOURCE_IP, SECURE_TRANSPORT, CURRENT_TIME, EPOCH_TIME, PRINCIPAL_ARN,
               PRINCIPAL_ACCOUNT, PRINCIPAL_TYPE, USER_ID, USERNAME, REQUESTED_REGION, MFA_PRESENT,
               MFA_AGE, TOKEN_ISSUE_TIME, SOURCE_IDENTITY, FEDERATED_PROVIDER, PRINCIPAL_ORG_ID,
               PRINCIPAL_ORG_PATHS)

# The values of aws:PrincipalType (IAM User Guide, "AWS global condition context keys").
AWS_PRINCIPAL_TYPES = {ROOT: "Account", IAM_USER: "User", ASSUMED_ROLE: "AssumedRole",
                       FEDERATED_USER: "FederatedUser"}




def global_context(ctx: OperationContext) -> dict[str, str | list[str]]:
    """The global keys of this caller and request, by their AWS names."""
    caller, info = ctx.caller, ctx.info
    values: dict[str, str | list[str]] = {
        SOURCE_IP: info.source_ip,
        CURRENT_TIME: iso_seconds(info.now),
        EPOCH_TIME: str(int(info.now.timestamp())),
        SECURE_TRANSPORT: "true" if info.secure_transport else "false",
        PRINCIPAL_ARN: caller.principal_arn,
        PRINCIPAL_ACCOUNT: caller.account_id,
        PRINCIPAL_TYPE: AWS_PRINCIPAL_TYPES.get(caller.kind, "User"),
        USER_ID: caller.user_id,
        REQUESTED_REGION: info.region,
    }
    if caller.username is not None:
        values[USERNAME] = caller.username
    principal_tags = dict(principal_tags_of(ctx))
    session = caller.session
    if session is not None:
        principal_tags.update(session.tags)
        values[MFA_PRESENT] = "true" if session.mfa_authenticated else "false"
        mfa_time = session.mfa_time or session.issued
        if session.mfa_authenticated and mfa_time is not None:
            age = int((info.now - mfa_time).total_seconds())
            values[MFA_AGE] = str(max(age, 0))
        if session.issued is not None:
            values[TOKEN_ISSUE_TIME] = iso_seconds(session.issued)
        if session.source_identity:
            values[SOURCE_IDENTITY] = session.source_identity
        if session.federated_provider:
            values[FEDERATED_PROVIDER] = session.federated_provider
    for key, value in principal_tags.items():
        values[PRINCIPAL_TAG_PREFIX + key] = value
    if caller.account_id:
        values.update(principal_organization(ctx))
    return values


def principal_organization(ctx: OperationContext) -> dict[str, str]:
    """aws:PrincipalOrgID and aws:PrincipalOrgPaths of the caller's account
    (none outside an organization), cached under the authorization
    generation as the caller's tags are."""
    account_id = ctx.caller.account_id
    key = (f"organization:{account_id}", ctx.generation)
    cached = ctx.runtime.principal_tags.get(key)
    if cached is not None:
        return cached
    values: dict[str, str] = {}
    organization_id = ctx.tx.organizations.of_account(account_id)
    stored = ctx.tx.organizations.get(organization_id) if organization_id else None
    if stored is not None:
        organization = parsed_organization(stored.document)
        path = "/".join([organization.id, *organization.path_to(account_id)[:-1]])
        values = {PRINCIPAL_ORG_ID: organization.id, PRINCIPAL_ORG_PATHS: path + "/"}
    ctx.runtime.remember_tags(key, values)
    return values


def principal_tags_of(ctx: OperationContext) -> dict[str, str]:
    """The caller's own tags, cached under the authorization generation:
    tagging is a write that changes a row, and every such write moves the
    generation on."""
    caller = ctx.caller
    key = (f"tags:{caller.user_id}", ctx.generation)
    cached = ctx.runtime.principal_tags.get(key)
    if cached is not None:
        return cached
    tags: dict[str, str] = {}
    if caller.user is not None:
        tags.update({t.key: t.value for t in ctx.tx.tags.list(ResourceKind.USER, caller.user.id)})
    if caller.role is not None:
        tags.update({t.key: t.value for t in ctx.tx.tags.list(ResourceKind.ROLE, caller.role.id)})
    ctx.runtime.remember_tags(key, tags)
    return tags
