"""Temporary access delegation and role templates: the *DelegationRequest
family, SendDelegationToken, GetHumanReadableSummary, AcquireRole and
GetRoleTemplateVersion.

Delegation requests are filed by AWS partners that went through AWS's
onboarding, into the accounts of their customers; role templates are
published by AWS services. An iamd account has no delegation partners and
no service publishes templates into it, so the store holds none of either:
listing answers an empty list, every request id, template ARN and entity is
unknown (NoSuchEntity), and filing a request is refused, since no caller of
this account is an onboarded partner. Each call is authorized first, as
AWS does, so a caller without the permission learns nothing.
"""

from __future__ import annotations

from typing import Any

from iamd.model.errors import AccessDenied, InvalidInput, NoSuchEntity
from iamd.service.context import OperationContext
from iamd.service.registry import Params, operation


def _no_request(params: Params) -> NoSuchEntity:
    return NoSuchEntity(f"The delegation request with id {params['DelegationRequestId']} cannot be found.")


def _no_template(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"The role template with ARN {arn} cannot be found.")


@operation("iam", "CreateDelegationRequest")
def create_delegation_request(ctx: OperationContext, params: Params) -> dict[str, Any]:
    raise AccessDenied(
        f"User: {ctx.caller.arn} is not authorized to perform: iam:CreateDelegationRequest "
        "because the account is not onboarded as a temporary delegation partner")


@operation("iam", "GetDelegationRequest", read_only=True)
def get_delegation_request(ctx: OperationContext, params: Params) -> dict[str, Any]:
    raise _no_request(params)


@operation("iam", "ListDelegationRequests", read_only=True)
def list_delegation_requests(ctx: OperationContext, params: Params) -> dict[str, Any]:
    # botocore spells this output's flag isTruncated, lower case.
    return {"DelegationRequests": [], "isTruncated": False}


@operation("iam", "AcceptDelegationRequest")
def accept_delegation_request(ctx: OperationContext, params: Params) -> None:
    raise _no_request(params)


@operation("iam", "AssociateDelegationRequest")
def associate_delegation_request(ctx: OperationContext, params: Params) -> None:
    raise _no_request(params)


@operation("iam", "RejectDelegationRequest")
def reject_delegation_request(ctx: OperationContext, params: Params) -> None:
    raise _no_request(params)


@operation("iam", "UpdateDelegationRequest")
def update_delegation_request(ctx: OperationContext, params: Params) -> None:
    raise _no_request(params)


@operation("iam", "SendDelegationToken")
def send_delegation_token(ctx: OperationContext, params: Params) -> None:
    raise _no_request(params)


@operation("iam", "GetHumanReadableSummary", read_only=True)
def get_human_readable_summary(ctx: OperationContext, params: Params) -> dict[str, Any]:
    arn = params["EntityArn"]
    # The only entity type AWS summarizes is delegation-request.
    if ":delegation-request/" not in arn:
        raise InvalidInput(f"Unsupported entity type for ARN {arn}: only delegation-request is supported.")
    raise NoSuchEntity(f"The delegation request with ARN {arn} cannot be found.")


@operation("iam", "GetRoleTemplateVersion", read_only=True)
def get_role_template_version(ctx: OperationContext, params: Params) -> dict[str, Any]:
    raise _no_template(params["TemplateArn"])


@operation("iam", "AcquireRole")
def acquire_role(ctx: OperationContext, params: Params) -> dict[str, Any]:
    raise _no_template(params["TemplateArn"])
