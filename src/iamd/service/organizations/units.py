"""Organizational units and the tree: CreateOrganizationalUnit,
Describe/Update/DeleteOrganizationalUnit, ListOrganizationalUnitsForParent,
ListParents and ListChildren.

OU names are unique among their siblings; OUs nest five deep under the root
at most, 2000 in an organization; an OU is deleted only when empty. A new OU gets the AWS managed
full-access policy of each enabled type, as AWS attaches it.
"""

from __future__ import annotations

from typing import Any

from iamd.model.organizations_errors import (
    ChildNotFound,
    ConstraintViolation,
    DuplicateOrganizationalUnit,
    OrganizationalUnitNotEmpty,
    OrganizationalUnitNotFound,
    ParentNotFound,
)
from iamd.service.context import OperationContext
from iamd.service.organizations.common import (
    check_tags,
    managed_organization,
    org_operation,
    page,
    save,
)
from iamd.service.organizations.shapes import target_type, unit_shape
from iamd.service.organizations.state import FULL_ACCESS, Organization, Unit, new_unit_id
from iamd.service.registry import Params

MAX_DEPTH = 5
MAX_UNITS = 2000  # OUs in an organization (AWS's quota)


def attach_defaults(found: Organization, target_id: str) -> None:
    """The full-access policy of every enabled type, on a new OU or account."""
    found.attachments[target_id] = [FULL_ACCESS[t] for t in found.policy_types]


def _parent(found: Organization, parent_id: str) -> str:
    if not found.is_container(parent_id):
        raise ParentNotFound()
    return parent_id


def _unit(found: Organization, unit_id: str) -> Unit:
    unit = found.units.get(unit_id)
    if unit is None:
        raise OrganizationalUnitNotFound()
    return unit


def _depth(found: Organization, container_id: str) -> int:
    depth = 0
    while container_id in found.units:
        depth += 1
        container_id = found.units[container_id].parent_id
    return depth


def _check_unique(found: Organization, parent_id: str, name: str, unit_id: str = "") -> None:
    for other in found.units.values():
        if other.parent_id == parent_id and other.name == name and other.id != unit_id:
            raise DuplicateOrganizationalUnit()


@org_operation("CreateOrganizationalUnit", target="ParentId")
def create_unit(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    parent_id = _parent(found, params["ParentId"])
    if _depth(found, parent_id) >= MAX_DEPTH:
        raise ConstraintViolation("You have exceeded the maximum depth of the OU tree.",
                                  reason="OU_DEPTH_LIMIT_EXCEEDED")
    if len(found.units) >= MAX_UNITS:
        raise ConstraintViolation("You have exceeded the maximum number of OUs in the organization.",
                                  reason="OU_NUMBER_LIMIT_EXCEEDED")
    _check_unique(found, parent_id, params["Name"])
    tags = check_tags(params.get("Tags") or [])
    unit = Unit(new_unit_id(found.root_id), params["Name"], parent_id)
    found.units[unit.id] = unit
    attach_defaults(found, unit.id)
    if tags:
        found.tags[unit.id] = tags
    save(ctx, found)
    return {"OrganizationalUnit": unit_shape(found, unit.id)}


@org_operation("DescribeOrganizationalUnit", read_only=True, target="OrganizationalUnitId")
def describe_unit(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    unit = _unit(found, params["OrganizationalUnitId"])
    return {"OrganizationalUnit": unit_shape(found, unit.id)}


@org_operation("UpdateOrganizationalUnit", target="OrganizationalUnitId")
def update_unit(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    unit = _unit(found, params["OrganizationalUnitId"])
    if params.get("Name") is not None:
        _check_unique(found, unit.parent_id, params["Name"], unit.id)
        unit.name = params["Name"]
        save(ctx, found)
    return {"OrganizationalUnit": unit_shape(found, unit.id)}


@org_operation("DeleteOrganizationalUnit", target="OrganizationalUnitId")
def delete_unit(ctx: OperationContext, params: Params) -> None:
    found = managed_organization(ctx)
    unit = _unit(found, params["OrganizationalUnitId"])
    if found.children(unit.id, "ACCOUNT") or found.children(unit.id, "ORGANIZATIONAL_UNIT"):
        raise OrganizationalUnitNotEmpty()
    del found.units[unit.id]
    found.attachments.pop(unit.id, None)
    found.tags.pop(unit.id, None)
    save(ctx, found)


@org_operation("ListOrganizationalUnitsForParent", read_only=True, target="ParentId")
def list_units_for_parent(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    parent_id = _parent(found, params["ParentId"])
    units = [unit_shape(found, u) for u in found.children(parent_id, "ORGANIZATIONAL_UNIT")]
    return page(units, params, "OrganizationalUnits")


@org_operation("ListParents", read_only=True, target="ChildId")
def list_parents(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    parent = found.parent_of(params["ChildId"])
    if parent is None:
        raise ChildNotFound()
    return page([{"Id": parent, "Type": target_type(found, parent)}], params, "Parents")


@org_operation("ListChildren", read_only=True, target="ParentId")
def list_children(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    parent_id = _parent(found, params["ParentId"])
    child_type = params["ChildType"]
    children = [{"Id": c, "Type": child_type} for c in found.children(parent_id, child_type)]
    return page(children, params, "Children")
