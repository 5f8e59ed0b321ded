"""The IAM operations that act on an AWS Organization: centralized root access
(ListOrganizationsFeatures, Enable/DisableOrganizationsRootCredentialsManagement,
Enable/DisableOrganizationsRootSessions) and the Organizations access report
(GenerateOrganizationsAccessReport, GetOrganizationsAccessReport).

An iamd account is a standalone account: no organization holds it, so it is
neither a management account nor a delegated administrator. AWS answers the
root access calls of such an account with OrganizationNotFoundException and
the sentence its API reference gives for it; a report job id it never issued
is NoSuchEntity, and a report on an organization entity path is refused for
the same reason as the root access calls.
"""

from __future__ import annotations

from typing import Any

from iamd.model.errors import NoSuchEntity, OrganizationNotFound
from iamd.service.context import OperationContext
from iamd.service.registry import Params, operation


@operation("iam", "ListOrganizationsFeatures", read_only=True)
def list_organizations_features(ctx: OperationContext, params: Params) -> dict[str, Any]:
    raise OrganizationNotFound()


@operation("iam", "EnableOrganizationsRootCredentialsManagement")
def enable_root_credentials_management(ctx: OperationContext, params: Params) -> dict[str, Any]:
    raise OrganizationNotFound()


@operation("iam", "DisableOrganizationsRootCredentialsManagement")
def disable_root_credentials_management(ctx: OperationContext, params: Params) -> dict[str, Any]:
    raise OrganizationNotFound()


@operation("iam", "EnableOrganizationsRootSessions")
def enable_root_sessions(ctx: OperationContext, params: Params) -> dict[str, Any]:
    raise OrganizationNotFound()


@operation("iam", "DisableOrganizationsRootSessions")
def disable_root_sessions(ctx: OperationContext, params: Params) -> dict[str, Any]:
    raise OrganizationNotFound()


@operation("iam", "GenerateOrganizationsAccessReport", read_only=True)
def generate_organizations_access_report(ctx: OperationContext, params: Params) -> dict[str, Any]:
    # The entity path names an organization (o-.../r-...); this account is in none.
    raise OrganizationNotFound()


@operation("iam", "GetOrganizationsAccessReport", read_only=True)
def get_organizations_access_report(ctx: OperationContext, params: Params) -> dict[str, Any]:
    # No report can ever have been generated, so every job id is unknown.
    raise NoSuchEntity(f"Job ID {params['JobId']} not found.")
