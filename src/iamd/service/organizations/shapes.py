"""The output shapes of Organizations' objects, built from the organization's
document and the accounts the store keeps (names and email addresses are
the accounts' own)."""

from __future__ import annotations

from typing import Any

from iamd.service.context import OperationContext
from iamd.service.organizations.common import moment
from iamd.service.organizations.state import Organization, OrgPolicy


def policy_types(organization: Organization) -> list[dict[str, str]]:
    return [{"Type": t, "Status": "ENABLED"} for t in organization.policy_types]


def organization_shape(ctx: OperationContext, organization: Organization) -> dict[str, Any]:
    management = ctx.tx.accounts.get(organization.management_account_id)
    return {
        "Id": organization.id, "Arn": organization.arn, "FeatureSet": organization.feature_set,
        "MasterAccountArn": organization.account_arn(organization.management_account_id),
        "MasterAccountId": organization.management_account_id,
        "MasterAccountEmail": management.email if management is not None else None,
        "AvailablePolicyTypes": policy_types(organization),
    }


def root_shape(organization: Organization) -> dict[str, Any]:
    return {"Id": organization.root_id, "Arn": organization.root_arn, "Name": "Root",
            "PolicyTypes": policy_types(organization)}


def path_of(organization: Organization, child_id: str) -> str:
    """Where an OU or account sits: "o-.../r-.../ou-.../<the child>/"."""
    return "/".join([organization.id, *organization.path_to(child_id)]) + "/"


def unit_shape(organization: Organization, unit_id: str) -> dict[str, Any]:
    unit = organization.units[unit_id]
    return {"Id": unit.id, "Arn": organization.unit_arn(unit.id), "Name": unit.name,
            "Path": path_of(organization, unit_id)}


def account_shape(ctx: OperationContext, organization: Organization,
                  account_id: str) -> dict[str, Any]:
    member = organization.members[account_id]
    account = ctx.tx.accounts.get(account_id)
    return {
        "Id": account_id, "Arn": organization.account_arn(account_id),
        "Email": account.email if account is not None else None,
        "Name": account.name if account is not None else None,
        "Status": member.state, "State": member.state,
        "JoinedMethod": member.joined_method, "JoinedTimestamp": moment(member.joined),
        "Paths": [path_of(organization, account_id)],
    }


def policy_summary(organization: Organization, policy: OrgPolicy) -> dict[str, Any]:
    return {"Id": policy.id, "Arn": organization.policy_arn(policy), "Name": policy.name,
            "Description": policy.description, "Type": policy.type,
            "AwsManaged": policy.aws_managed}


def target_type(organization: Organization, target_id: str) -> str:
    if target_id == organization.root_id:
        return "ROOT"
    return "ORGANIZATIONAL_UNIT" if target_id in organization.units else "ACCOUNT"
