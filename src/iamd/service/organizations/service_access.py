"""Trusted access for AWS services and delegated administrators:
Enable/DisableAWSServiceAccess, ListAWSServiceAccessForOrganization, and the
delegated administrator calls.

iamd keeps which service principals the management account trusted (IAM's
centralized root access needs iam.amazonaws.com among them, as in AWS). No
account can be registered as a delegated administrator here: iamd serves
none of the services that delegate, so Register answers as AWS answers a
service that does not support it, and the listings are empty, as AWS answers
an organization without delegated administrators.
"""

from __future__ import annotations

from typing import Any

from iamd.model.organizations_errors import (
    AccountNotFound,
    AccountNotRegistered,
    InvalidInput,
)
from iamd.service.context import OperationContext
from iamd.service.organizations.common import (
    epoch,
    managed_organization,
    moment,
    org_operation,
    page,
    save,
)
from iamd.service.registry import Params


@org_operation("EnableAWSServiceAccess")
def enable_service_access(ctx: OperationContext, params: Params) -> None:
    found = managed_organization(ctx)
    principal = params["ServicePrincipal"]
    if principal not in found.service_access:
        found.service_access[principal] = epoch(ctx.info.now)
        save(ctx, found)


@org_operation("DisableAWSServiceAccess")
def disable_service_access(ctx: OperationContext, params: Params) -> None:
    found = managed_organization(ctx)
    if found.service_access.pop(params["ServicePrincipal"], None) is not None:
        save(ctx, found)


@org_operation("ListAWSServiceAccessForOrganization", read_only=True)
def list_service_access(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    principals = [{"ServicePrincipal": p, "DateEnabled": moment(when)}
                  for p, when in sorted(found.service_access.items())]
    return page(principals, params, "EnabledServicePrincipals")


@org_operation("RegisterDelegatedAdministrator", target="AccountId")
def register_delegated_administrator(ctx: OperationContext, params: Params) -> None:
    found = managed_organization(ctx)
    if params["AccountId"] not in found.members:
        raise AccountNotFound()
    raise InvalidInput("You specified an unrecognized service principal.",
                       reason="UNRECOGNIZED_SERVICE_PRINCIPAL")


@org_operation("DeregisterDelegatedAdministrator", target="AccountId")
def deregister_delegated_administrator(ctx: OperationContext, params: Params) -> None:
    found = managed_organization(ctx)
    if params["AccountId"] not in found.members:
        raise AccountNotFound()
    raise AccountNotRegistered()


@org_operation("ListDelegatedAdministrators", read_only=True)
def list_delegated_administrators(ctx: OperationContext, params: Params) -> dict[str, Any]:
    managed_organization(ctx)
    return page([], params, "DelegatedAdministrators")


@org_operation("ListDelegatedServicesForAccount", read_only=True, target="AccountId")
def list_delegated_services(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    if params["AccountId"] not in found.members:
        raise AccountNotFound()
    raise AccountNotRegistered()
