"""Member accounts: CreateAccount (a real iamd account) with
Describe/ListCreateAccountStatus, ListAccounts, ListAccountsForParent,
DescribeAccount, MoveAccount, RemoveAccountFromOrganization and CloseAccount.

CreateAccount makes the account at once: its row, and the role AWS creates
in it (OrganizationAccountAccessRole unless RoleName says otherwise) with
AdministratorAccess, trusted by the management account. The request is
answered SUCCEEDED, or FAILED with AWS's reason (an email address another
account already has). A closed account stays in the organization as
SUSPENDED, as AWS keeps it for its 90 days.
"""

from __future__ import annotations

import json
from typing import Any

from iamd.model.entities import Account, PrincipalKind, Role
from iamd.model.organizations_errors import (
    AccountAlreadyClosed,
    AccountNotFound,
    ConstraintViolation,
    CreateAccountStatusNotFound,
    DestinationParentNotFound,
    DuplicateAccount,
    HandshakeConstraintViolation,
    MasterCannotLeaveOrganization,
    ParentNotFound,
    SourceParentNotFound,
)
from iamd.service import arns, ids
from iamd.service.bootstrap import ADMIN_POLICY_ARN
from iamd.service.context import OperationContext
from iamd.service.organizations.common import (
    check_tags,
    epoch,
    managed_organization,
    moment,
    org_operation,
    page,
    save,
)
from iamd.service.organizations.organization import remove_member
from iamd.service.organizations.shapes import account_shape
from iamd.service.organizations.state import AccountRequest, Member, Organization, new_request_id
from iamd.service.organizations.units import attach_defaults
from iamd.service.registry import Params
from iamd.store.errors import Conflict

DEFAULT_ROLE = "OrganizationAccountAccessRole"


def _access_role(account_id: str, management_account_id: str, name: str,
                 ctx: OperationContext) -> Role:
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": arns.root_arn(management_account_id)},
        "Action": "sts:AssumeRole"}]}
    return Role(id=ids.unique_id(ids.ROLE), account_id=account_id, path="/", name=name,
                arn=arns.entity_arn("role", account_id, "/", name), created=ctx.info.now,
                assume_role_policy_document=json.dumps(trust))


def _open_account(ctx: OperationContext, found: Organization, name: str, email: str,
                  role_name: str) -> str:
    account_id = ids.account_id()
    ctx.tx.accounts.insert(Account(account_id=account_id, name=name, email=email, alias=None,
                                   created=ctx.info.now))
    role = _access_role(account_id, found.management_account_id, role_name, ctx)
    ctx.tx.roles.insert(role)
    administrator = ctx.tx.policies.get_by_arn(ADMIN_POLICY_ARN)
    assert administrator is not None, "AdministratorAccess ships with iamd"
    ctx.tx.attachments.attach(PrincipalKind.ROLE, role.id, administrator.id)
    return account_id


def join(ctx: OperationContext, found: Organization, account_id: str, method: str) -> None:
    """An account into the organization's root, with the default policies."""
    found.members[account_id] = Member(account_id, found.root_id, method, epoch(ctx.info.now))
    attach_defaults(found, account_id)
    try:
        ctx.tx.organizations.add_member(found.id, account_id)
    except Conflict:
        # It joined another organization meanwhile (its invitation was accepted there).
        raise HandshakeConstraintViolation("The account is already a member of an organization.",
                                           reason="ALREADY_IN_AN_ORGANIZATION") from None


def _status(request: AccountRequest) -> dict[str, Any]:
    return {"Id": request.id, "AccountName": request.account_name, "State": request.state,
            "RequestedTimestamp": moment(request.requested),
            "CompletedTimestamp": moment(request.completed) if request.completed else None,
            "AccountId": request.account_id, "FailureReason": request.failure_reason}


@org_operation("CreateAccount")
def create_account(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    tags = check_tags(params.get("Tags") or [])
    now = epoch(ctx.info.now)
    request = AccountRequest(new_request_id(), params["AccountName"], "SUCCEEDED", now, now)
    if ctx.tx.accounts.get_by_email(params["Email"]) is not None:
        request.state, request.failure_reason = "FAILED", "EMAIL_ALREADY_EXISTS"
    else:
        request.account_id = _open_account(ctx, found, params["AccountName"], params["Email"],
                                           params.get("RoleName") or DEFAULT_ROLE)
        join(ctx, found, request.account_id, "CREATED")
        if tags:
            found.tags[request.account_id] = tags
    found.requests[request.id] = request
    save(ctx, found)
    return {"CreateAccountStatus": _status(request)}


@org_operation("DescribeCreateAccountStatus", read_only=True)
def describe_create_account_status(ctx: OperationContext, params: Params) -> dict[str, Any]:
    request = managed_organization(ctx).requests.get(params["CreateAccountRequestId"])
    if request is None:
        raise CreateAccountStatusNotFound()
    return {"CreateAccountStatus": _status(request)}


@org_operation("ListCreateAccountStatus", read_only=True)
def list_create_account_status(ctx: OperationContext, params: Params) -> dict[str, Any]:
    states = params.get("States") or None
    requests = [_status(r) for r in managed_organization(ctx).requests.values()
                if states is None or r.state in states]
    return page(requests, params, "CreateAccountStatuses")


def _members_in_order(found: Organization) -> list[str]:
    return sorted(found.members, key=lambda a: (found.members[a].joined, a))


@org_operation("ListAccounts", read_only=True)
def list_accounts(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    return page([account_shape(ctx, found, a) for a in _members_in_order(found)],
                params, "Accounts")


@org_operation("ListAccountsForParent", read_only=True, target="ParentId")
def list_accounts_for_parent(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    if not found.is_container(params["ParentId"]):
        raise ParentNotFound()
    accounts = [account_shape(ctx, found, a) for a in _members_in_order(found)
                if found.members[a].parent_id == params["ParentId"]]
    return page(accounts, params, "Accounts")


def member(found: Organization, account_id: str) -> Member:
    found_member = found.members.get(account_id)
    if found_member is None:
        raise AccountNotFound()
    return found_member


@org_operation("DescribeAccount", read_only=True, target="AccountId")
def describe_account(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    member(found, params["AccountId"])
    return {"Account": account_shape(ctx, found, params["AccountId"])}


@org_operation("MoveAccount", target="AccountId")
def move_account(ctx: OperationContext, params: Params) -> None:
    found = managed_organization(ctx)
    moved = member(found, params["AccountId"])
    source, destination = params["SourceParentId"], params["DestinationParentId"]
    if not found.is_container(source) or moved.parent_id != source:
        raise SourceParentNotFound()
    if not found.is_container(destination):
        raise DestinationParentNotFound()
    if destination == source:
        raise DuplicateAccount()
    moved.parent_id = destination
    save(ctx, found)


@org_operation("RemoveAccountFromOrganization", target="AccountId")
def remove_account(ctx: OperationContext, params: Params) -> None:
    found = managed_organization(ctx)
    member(found, params["AccountId"])
    if params["AccountId"] == found.management_account_id:
        raise MasterCannotLeaveOrganization()
    remove_member(ctx, found, params["AccountId"])


@org_operation("CloseAccount", target="AccountId")
def close_account(ctx: OperationContext, params: Params) -> None:
    found = managed_organization(ctx)
    closed = member(found, params["AccountId"])
    if params["AccountId"] == found.management_account_id:
        raise ConstraintViolation("You can't close the management account with this operation.",
                                  reason="CANNOT_CLOSE_MANAGEMENT_ACCOUNT")
    if closed.state != "ACTIVE":
        raise AccountAlreadyClosed()
    closed.state = "SUSPENDED"
    save(ctx, found)
