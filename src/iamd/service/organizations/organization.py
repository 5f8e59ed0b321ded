"""The organization itself: CreateOrganization, DescribeOrganization, DeleteOrganization."""

from __future__ import annotations

from typing import Any

from iamd.model.organizations_errors import AWSOrganizationsNotInUse
from iamd.service.context import OperationContext
from iamd.service.registry import Params, operation


@operation("organizations", "DescribeOrganization", read_only=True)
def describe_organization(ctx: OperationContext, params: Params) -> dict[str, Any]:
    raise AWSOrganizationsNotInUse()
