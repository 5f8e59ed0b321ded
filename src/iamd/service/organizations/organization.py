"""The organization itself: CreateOrganization, DescribeOrganization,
DeleteOrganization, LeaveOrganization and ListRoots.

The caller's account becomes the management account; it is the
organization's first member, in the root. An organization is deleted only
once the management account is its last member.
"""

from __future__ import annotations

from typing import Any

from iamd.model.organizations_errors import (
    AlreadyInOrganization,
    MasterCannotLeaveOrganization,
    OrganizationNotEmpty,
)
from iamd.service.context import OperationContext
from iamd.service.organizations.common import (
    epoch,
    find_organization,
    insert,
    managed_organization,
    org_operation,
    organization,
    page,
    save,
)
from iamd.service.organizations.shapes import organization_shape, root_shape
from iamd.service.organizations.state import (
    FULL_ACCESS,
    FULL_ACCESS_CONTENT,
    FULL_ACCESS_DESCRIPTIONS,
    FULL_ACCESS_NAMES,
    Member,
    Organization,
    OrgPolicy,
    new_organization_id,
    new_root_id,
)
from iamd.service.registry import Params
from iamd.store.errors import Conflict


def _aws_managed_policies() -> dict[str, OrgPolicy]:
    return {FULL_ACCESS[t]: OrgPolicy(FULL_ACCESS[t], t, FULL_ACCESS_NAMES[t],
                                      FULL_ACCESS_DESCRIPTIONS[t], FULL_ACCESS_CONTENT[t],
                                      aws_managed=True)
            for t in FULL_ACCESS}


@org_operation("CreateOrganization")
def create_organization(ctx: OperationContext, params: Params) -> dict[str, Any]:
    if find_organization(ctx) is not None:
        raise AlreadyInOrganization()
    created = Organization(id=new_organization_id(), management_account_id=ctx.account_id,
                           root_id=new_root_id(), feature_set=params.get("FeatureSet", "ALL"),
                           policies=_aws_managed_policies())
    created.members[ctx.account_id] = Member(ctx.account_id, created.root_id, "CREATED",
                                             epoch(ctx.info.now))
    try:
        insert(ctx, created)
        ctx.tx.organizations.add_member(created.id, ctx.account_id)
    except Conflict:
        # Another request made this account a management account or a member meanwhile.
        raise AlreadyInOrganization() from None
    return {"Organization": organization_shape(ctx, created)}


@org_operation("DescribeOrganization", read_only=True)
def describe_organization(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return {"Organization": organization_shape(ctx, organization(ctx))}


@org_operation("DeleteOrganization")
def delete_organization(ctx: OperationContext, params: Params) -> None:
    found = managed_organization(ctx)
    if set(found.members) != {found.management_account_id}:
        raise OrganizationNotEmpty()
    ctx.tx.organizations.delete(found.id)


@org_operation("LeaveOrganization")
def leave_organization(ctx: OperationContext, params: Params) -> None:
    found = organization(ctx)
    if ctx.account_id == found.management_account_id:
        raise MasterCannotLeaveOrganization()
    remove_member(ctx, found, ctx.account_id)


def remove_member(ctx: OperationContext, found: Organization, account_id: str) -> None:
    """The account out of the organization: its attachments and tags go with it."""
    del found.members[account_id]
    found.attachments.pop(account_id, None)
    found.tags.pop(account_id, None)
    save(ctx, found)
    ctx.tx.organizations.remove_member(account_id)


@org_operation("ListRoots", read_only=True)
def list_roots(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return page([root_shape(managed_organization(ctx))], params, "Roots")
