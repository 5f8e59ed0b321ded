"""The account as a whole: its alias (CreateAccountAlias, DeleteAccountAlias,
ListAccountAliases), GetAccountSummary and GetAccountAuthorizationDetails.

An account has at most one alias, and aliases are unique across the store
(AWS: across its partition, since they form sign-in URLs): creating an alias
replaces the account's old one, and an alias any account holds already is
EntityAlreadyExists. The summary answers every key AWS's SummaryMap has,
counting from the store what is a count and stating iamd's quotas (AWS's
defaults) for the rest. The authorization details are one listing over
users, groups, roles and managed policies, in that order, with what each
holds: inline documents, attachments, memberships, instance profiles, tags,
policy versions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from iamd.model.entities import (
    Account,
    Group,
    ManagedPolicy,
    Page,
    PrincipalKind,
    ResourceKind,
    Role,
    User,
)
from iamd.model.errors import EntityAlreadyExists, NoSuchEntity
from iamd.service.bootstrap import AWS_ACCOUNT
from iamd.service.context import OperationContext
from iamd.service.iam.access_keys import MAX_KEYS_PER_USER
from iamd.service.iam.attachments import MAX_ATTACHED
from iamd.service.iam.common import invalid_marker, page_args, tag_shape
from iamd.service.iam.groups import MAX_GROUPS, MAX_GROUPS_PER_USER
from iamd.service.iam.managed_policies import MAX_POLICIES_PER_ACCOUNT, policy_shape
from iamd.service.iam.policy_versions import MAX_VERSIONS
from iamd.service.iam.roles import MAX_ROLES
from iamd.service.iam.server_certificates import MAX_SERVER_CERTIFICATES
from iamd.service.iam.signing_certificates import MAX_CERTIFICATES_PER_USER
from iamd.service.iam.sts_preferences import global_endpoint_token_version
from iamd.service.iam.users import MAX_USERS
from iamd.service.registry import Params, operation
from iamd.store.errors import Conflict
from iamd.store.interface import Transaction

# AWS's default quotas that no iamd operation counts against (document sizes
# are checked where documents are accepted).
USER_POLICY_SIZE = 2048
GROUP_POLICY_SIZE = 5120
ROLE_POLICY_SIZE = 10240
POLICY_SIZE = 6144
ASSUME_ROLE_POLICY_SIZE = 2048
INSTANCE_PROFILES_QUOTA = 1000
POLICY_VERSIONS_IN_USE_QUOTA = 10000


def _account_or_fail(ctx: OperationContext) -> Account:
    account = ctx.tx.accounts.get(ctx.account_id)
    if account is None:  # the caller authenticated, so its account exists
        raise NoSuchEntity(f"The account {ctx.account_id} cannot be found.")
    return account


def alias_taken(alias: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"The account alias {alias} already exists.")


# --- aliases -------------------------------------------------------------------------

@operation("iam", "CreateAccountAlias")
def create_account_alias(ctx: OperationContext, params: Params) -> None:
    alias = params["AccountAlias"]
    account = _account_or_fail(ctx)
    # An alias the account holds already is taken too: AWS answers the same.
    if ctx.tx.accounts.get_by_alias(alias) is not None:
        raise alias_taken(alias)
    try:
        ctx.tx.accounts.update(replace(account, alias=alias))
    except Conflict:  # another account took it since the check
        raise alias_taken(alias) from None


@operation("iam", "DeleteAccountAlias")
def delete_account_alias(ctx: OperationContext, params: Params) -> None:
    alias = params["AccountAlias"]
    account = _account_or_fail(ctx)
    # The alias must be named: a stale name never clears a newer alias.
    if account.alias != alias:
        raise NoSuchEntity(f"The account alias {alias} cannot be found.")
    ctx.tx.accounts.update(replace(account, alias=None))


@operation("iam", "ListAccountAliases", read_only=True)
def list_account_aliases(ctx: OperationContext, params: Params) -> dict[str, Any]:
    account = _account_or_fail(ctx)
    return {"AccountAliases": [account.alias] if account.alias else [], "IsTruncated": False}


# --- summary -------------------------------------------------------------------------

def _policy_versions_in_use(tx: Transaction, account_id: str) -> int:
    """The versions of every managed policy (customer or AWS) attached in the account."""
    total, after = 0, None
    while True:
        page = tx.policies.list(account_id, owners=[account_id, AWS_ACCOUNT], only_attached=True,
                                after=after, limit=1000)
        total += sum(tx.policy_versions.count(p.id) for p in page.items)
        if page.marker is None:
            return total
        after = page.marker


@operation("iam", "GetAccountSummary", read_only=True)
def get_account_summary(ctx: OperationContext, params: Params) -> dict[str, Any]:
    tx, account_id = ctx.tx, ctx.account_id
    summary = {
        "Users": tx.users.count(account_id),
        "UsersQuota": MAX_USERS,
        "Groups": tx.groups.count(account_id),
        "GroupsQuota": MAX_GROUPS,
        "Roles": tx.roles.count(account_id),
        "RolesQuota": MAX_ROLES,
        "Policies": tx.policies.count(account_id),
        "PoliciesQuota": MAX_POLICIES_PER_ACCOUNT,
        "PolicyVersionsInUse": _policy_versions_in_use(tx, account_id),
        "PolicyVersionsInUseQuota": POLICY_VERSIONS_IN_USE_QUOTA,
        "VersionsPerPolicyQuota": MAX_VERSIONS,
        "ServerCertificates": tx.server_certificates.count(account_id),
        "ServerCertificatesQuota": MAX_SERVER_CERTIFICATES,
        "InstanceProfiles": tx.instance_profiles.count(account_id),
        "InstanceProfilesQuota": INSTANCE_PROFILES_QUOTA,
        "Providers": tx.oidc_providers.count(account_id) + tx.saml_providers.count(account_id),
        "MFADevices": tx.mfa_devices.count(account_id),
        "MFADevicesInUse": tx.mfa_devices.count(account_id, assigned=True),
        "GroupsPerUserQuota": MAX_GROUPS_PER_USER,
        "AttachedPoliciesPerUserQuota": MAX_ATTACHED,
        "AttachedPoliciesPerGroupQuota": MAX_ATTACHED,
        "AttachedPoliciesPerRoleQuota": MAX_ATTACHED,
        "AccessKeysPerUserQuota": MAX_KEYS_PER_USER,
        "SigningCertificatesPerUserQuota": MAX_CERTIFICATES_PER_USER,
        "UserPolicySizeQuota": USER_POLICY_SIZE,
        "GroupPolicySizeQuota": GROUP_POLICY_SIZE,
        "RolePolicySizeQuota": ROLE_POLICY_SIZE,
        "PolicySizeQuota": POLICY_SIZE,
        "AssumeRolePolicySizeQuota": ASSUME_ROLE_POLICY_SIZE,
        # The root user's own credentials (it has no signing certificates).
        "AccountMFAEnabled": int(bool(tx.mfa_devices.list_for_root(account_id))),
        "AccountAccessKeysPresent": int(bool(tx.access_keys.list_for_root(account_id))),
        "AccountPasswordPresent": int(tx.accounts.root_password_hash(account_id) is not None),
        "AccountSigningCertificatesPresent": 0,
        # Session tokens valid in every Region, as AWS's version 2 tokens; the
        # global endpoint answers 1 while an account has not opted in.
        "GlobalEndpointTokenVersion": global_endpoint_token_version(tx, account_id),
    }
    return {"SummaryMap": summary}


# --- authorization details -----------------------------------------------------------

def _inline(tx: Transaction, kind: PrincipalKind, owner_id: str) -> list[dict[str, str]]:
    return [{"PolicyName": p.name, "PolicyDocument": p.document}
            for p in sorted(tx.inline_policies.all(kind, owner_id), key=lambda p: p.name.lower())]


def _attached(tx: Transaction, kind: PrincipalKind, owner_id: str) -> list[dict[str, str]]:
    return [{"PolicyName": a.name, "PolicyArn": a.arn}
            for a in tx.attachments.all_for_principal(kind, owner_id)]


def _tags(tx: Transaction, kind: ResourceKind, resource_id: str) -> list[dict[str, str]]:
    return [tag_shape(t) for t in tx.tags.list(kind, resource_id)]


def _boundary(arn: str | None) -> dict[str, str] | None:
    if not arn:
        return None
    return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}


def _group_names(tx: Transaction, user_id: str) -> list[str]:
    names: list[str] = []
    after = None
    while True:
        page = tx.memberships.list_groups(user_id, after=after, limit=100)
        names.extend(g.name for g in page.items)
        if page.marker is None:
            return names
        after = page.marker


def _user_detail(tx: Transaction, user: User) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "Path": user.path, "UserName": user.name, "UserId": user.id, "Arn": user.arn,
        "CreateDate": user.created,
        "UserPolicyList": _inline(tx, PrincipalKind.USER, user.id),
        "GroupList": _group_names(tx, user.id),
        "AttachedManagedPolicies": _attached(tx, PrincipalKind.USER, user.id),
    }
    boundary = _boundary(user.permissions_boundary_arn)
    if boundary is not None:
        detail["PermissionsBoundary"] = boundary
    tags = _tags(tx, ResourceKind.USER, user.id)
    if tags:
        detail["Tags"] = tags
    return detail


def _group_detail(tx: Transaction, group: Group) -> dict[str, Any]:
    return {"Path": group.path, "GroupName": group.name, "GroupId": group.id, "Arn": group.arn,
            "CreateDate": group.created,
            "GroupPolicyList": _inline(tx, PrincipalKind.GROUP, group.id),
            "AttachedManagedPolicies": _attached(tx, PrincipalKind.GROUP, group.id)}


def _role_in_profile(role: Role) -> dict[str, Any]:
    return {"Path": role.path, "RoleName": role.name, "RoleId": role.id, "Arn": role.arn,
            "CreateDate": role.created, "AssumeRolePolicyDocument": role.assume_role_policy_document}


def _instance_profiles(tx: Transaction, role_id: str) -> list[dict[str, Any]]:
    profiles: list[Any] = []
    after = None
    while True:
        page = tx.instance_profiles.list_for_role(role_id, after=after, limit=100)
        profiles.extend(page.items)
        if page.marker is None:
            break
        after = page.marker
    roles = tx.instance_profiles.roles_of([p.id for p in profiles]) if profiles else {}
    return [{"Path": p.path, "InstanceProfileName": p.name, "InstanceProfileId": p.id,
             "Arn": p.arn, "CreateDate": p.created,
             "Roles": [_role_in_profile(r) for r in roles.get(p.id, ())]} for p in profiles]


def _role_detail(tx: Transaction, role: Role) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "Path": role.path, "RoleName": role.name, "RoleId": role.id, "Arn": role.arn,
        "CreateDate": role.created, "AssumeRolePolicyDocument": role.assume_role_policy_document,
        "InstanceProfileList": _instance_profiles(tx, role.id),
        "RolePolicyList": _inline(tx, PrincipalKind.ROLE, role.id),
        "AttachedManagedPolicies": _attached(tx, PrincipalKind.ROLE, role.id),
    }
    boundary = _boundary(role.permissions_boundary_arn)
    if boundary is not None:
        detail["PermissionsBoundary"] = boundary
    tags = _tags(tx, ResourceKind.ROLE, role.id)
    if tags:
        detail["Tags"] = tags
    last_used: dict[str, Any] = {}
    if role.last_used is not None:
        last_used["LastUsedDate"] = role.last_used
        if role.last_used_region:
            last_used["Region"] = role.last_used_region
    detail["RoleLastUsed"] = last_used  # present, and empty for a role never used, as AWS
    return detail


def _policy_detail(tx: Transaction, policy: ManagedPolicy) -> dict[str, Any]:
    detail = policy_shape(policy)
    detail["PolicyVersionList"] = [
        {"Document": v.document, "VersionId": v.version_id, "IsDefaultVersion": v.is_default,
         "CreateDate": v.created} for v in tx.policy_versions.list(policy.id)]
    return detail


# A section of the listing: which filter value selects it, the answer's list it
# fills, how to read one page of it, and how to describe one item.
Lister = Callable[[Transaction, str, str | None, int], Page[Any]]
Describer = Callable[[Transaction, Any], dict[str, Any]]
SECTIONS: Sequence[tuple[str, str, Lister, Describer]] = (
    ("User", "UserDetailList",
     lambda tx, acct, after, limit: tx.users.list(acct, after=after, limit=limit), _user_detail),
    ("Group", "GroupDetailList",
     lambda tx, acct, after, limit: tx.groups.list(acct, after=after, limit=limit), _group_detail),
    ("Role", "RoleDetailList",
     lambda tx, acct, after, limit: tx.roles.list(acct, after=after, limit=limit), _role_detail),
    ("LocalManagedPolicy", "Policies",
     lambda tx, acct, after, limit: tx.policies.list(acct, owners=[acct], after=after,
                                                     limit=limit), _policy_detail),
    # AWS lists the AWS managed policies that are in use in the account, not
    # the whole catalogue.
    ("AWSManagedPolicy", "Policies",
     lambda tx, acct, after, limit: tx.policies.list(acct, owners=[AWS_ACCOUNT],
                                                     only_attached=True, after=after,
                                                     limit=limit), _policy_detail),
)


def _decode_marker(marker: str | None, count: int) -> tuple[int, str | None]:
    """A marker is "<section>.<the section's store marker>" (empty: its start)."""
    if marker is None:
        return 0, None
    section, dot, inner = marker.partition(".")
    if not dot or not section.isdigit() or int(section) >= count:
        raise invalid_marker()
    return int(section), inner or None


@operation("iam", "GetAccountAuthorizationDetails", read_only=True)
def get_account_authorization_details(ctx: OperationContext, params: Params) -> dict[str, Any]:
    tx, account_id = ctx.tx, ctx.account_id
    wanted = set(params.get("Filter") or [s[0] for s in SECTIONS])
    sections = [s for s in SECTIONS if s[0] in wanted]
    result: dict[str, Any] = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [],
                              "Policies": []}
    after, remaining = page_args(params)
    index, inner = _decode_marker(after, len(sections))
    marker: str | None = None
    while index < len(sections):
        _, member, lister, describe = sections[index]
        page = lister(tx, account_id, inner, remaining)
        result[member].extend(describe(tx, item) for item in page.items)
        remaining -= len(page.items)
        if page.marker is not None:
            marker = f"{index}.{page.marker}"
            break
        index, inner = index + 1, None
        if remaining == 0:
            # The page is full: it is the last only if no later section has anything.
            following = next((i for i in range(index, len(sections))
                              if sections[i][2](tx, account_id, None, 1).items), None)
            if following is not None:
                marker = f"{following}."
            break
    result["IsTruncated"] = marker is not None
    if marker is not None:
        result["Marker"] = marker
    return result
