"""Tags on accounts, OUs, the root and policies: TagResource, UntagResource
and ListTagsForResource. A resource holds 50 tags at most, as AWS allows."""

from __future__ import annotations

from typing import Any

from iamd.model.organizations_errors import ConstraintViolation, TargetNotFound
from iamd.service.context import OperationContext
from iamd.service.organizations.common import (
    check_tags,
    managed_organization,
    org_operation,
    page,
    save,
    tag_list,
)
from iamd.service.organizations.state import Organization
from iamd.service.registry import Params

MAX_TAGS = 50


def _resource(found: Organization, resource_id: str) -> str:
    if found.arn_of(resource_id) is None or (
            resource_id in found.policies and found.policies[resource_id].aws_managed):
        raise TargetNotFound()
    return resource_id


@org_operation("TagResource", target="ResourceId")
def tag_resource(ctx: OperationContext, params: Params) -> None:
    found = managed_organization(ctx)
    resource = _resource(found, params["ResourceId"])
    tags = {**found.tags.get(resource, {}), **check_tags(params["Tags"])}
    if len(tags) > MAX_TAGS:
        raise ConstraintViolation("You have exceeded the number of tags allowed on this resource.",
                                  reason="MAX_TAG_LIMIT_EXCEEDED")
    found.tags[resource] = tags
    save(ctx, found)


@org_operation("UntagResource", target="ResourceId")
def untag_resource(ctx: OperationContext, params: Params) -> None:
    found = managed_organization(ctx)
    resource = _resource(found, params["ResourceId"])
    tags = {k: v for k, v in found.tags.get(resource, {}).items() if k not in params["TagKeys"]}
    if tags:
        found.tags[resource] = tags
    else:
        found.tags.pop(resource, None)
    save(ctx, found)


@org_operation("ListTagsForResource", read_only=True, target="ResourceId")
def list_tags_for_resource(ctx: OperationContext, params: Params) -> dict[str, Any]:
    found = managed_organization(ctx)
    resource = _resource(found, params["ResourceId"])
    return page(tag_list(found.tags.get(resource, {})), params, "Tags")
