"""The IAM operations that act on an AWS Organization: centralized root access
(ListOrganizationsFeatures, Enable/DisableOrganizationsRootCredentialsManagement,
Enable/DisableOrganizationsRootSessions) and the Organizations access report
(GenerateOrganizationsAccessReport, GetOrganizationsAccessReport).

Centralized root access is the organization's: its management account lists
and changes the features, once the organization has all features and trusts
IAM (EnableAWSServiceAccess for iam.amazonaws.com), as AWS requires. iamd
registers no delegated administrators, so a member account is refused. An
account outside any organization gets OrganizationNotFoundException with the
sentence AWS's API reference gives for it.

The access report is not computed: a report on an organization entity path
is refused as for an account outside any organization, and a report job id
iamd never issued is NoSuchEntity.
"""

from __future__ import annotations

from typing import Any

from iamd.model.errors import (
    AccountNotManagementOrDelegatedAdministrator,
    CallerIsNotManagementAccount,
    NoSuchEntity,
    OrganizationNotFound,
    OrganizationNotInAllFeaturesMode,
    ServiceAccessNotEnabled,
)
from iamd.service.context import OperationContext
from iamd.service.organizations.common import find_organization, save
from iamd.service.organizations.state import Organization
from iamd.service.registry import Params, operation

IAM_PRINCIPAL = "iam.amazonaws.com"
ROOT_CREDENTIALS = "RootCredentialsManagement"
ROOT_SESSIONS = "RootSessions"


def _organization(ctx: OperationContext, *, enabling: bool = False) -> Organization:
    """The organization whose root access the caller may manage."""
    found = find_organization(ctx)
    if found is None:
        raise OrganizationNotFound()
    if found.feature_set != "ALL":
        raise OrganizationNotInAllFeaturesMode(
            "The request was rejected because your organization does not have All features "
            "enabled.")
    if found.management_account_id != ctx.account_id:
        if enabling:
            raise CallerIsNotManagementAccount(
                "The request was rejected because the account making the request is not the "
                "management account for the organization.")
        raise AccountNotManagementOrDelegatedAdministrator(
            "The request was rejected because the account making the request is not the "
            "management account or delegated administrator account for centralized root access.")
    if IAM_PRINCIPAL not in found.service_access:
        raise ServiceAccessNotEnabled(
            "The request was rejected because trusted access is not enabled for IAM in "
            "Organizations.")
    return found


def _features(found: Organization) -> dict[str, Any]:
    return {"OrganizationId": found.id, "EnabledFeatures": list(found.iam_features)}


def _switch(ctx: OperationContext, feature: str, on: bool) -> dict[str, Any]:
    found = _organization(ctx, enabling=on)
    if (feature in found.iam_features) != on:
        if on:
            found.iam_features.append(feature)
        else:
            found.iam_features.remove(feature)
        save(ctx, found)
    return _features(found)


@operation("iam", "ListOrganizationsFeatures", read_only=True)
def list_organizations_features(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _features(_organization(ctx))


@operation("iam", "EnableOrganizationsRootCredentialsManagement")
def enable_root_credentials_management(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _switch(ctx, ROOT_CREDENTIALS, True)


@operation("iam", "DisableOrganizationsRootCredentialsManagement")
def disable_root_credentials_management(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _switch(ctx, ROOT_CREDENTIALS, False)


@operation("iam", "EnableOrganizationsRootSessions")
def enable_root_sessions(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _switch(ctx, ROOT_SESSIONS, True)


@operation("iam", "DisableOrganizationsRootSessions")
def disable_root_sessions(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return _switch(ctx, ROOT_SESSIONS, False)


@operation("iam", "GenerateOrganizationsAccessReport", read_only=True)
def generate_organizations_access_report(ctx: OperationContext, params: Params) -> dict[str, Any]:
    # iamd computes no Organizations access report (see the module's docstring).
    raise OrganizationNotFound()


@operation("iam", "GetOrganizationsAccessReport", read_only=True)
def get_organizations_access_report(ctx: OperationContext, params: Params) -> dict[str, Any]:
    # No report can ever have been generated, so every job id is unknown.
    raise NoSuchEntity(f"Job ID {params['JobId']} not found.")
