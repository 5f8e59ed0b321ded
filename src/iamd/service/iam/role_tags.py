"""Tags on IAM roles: TagRole, UntagRole, ListRoleTags.

TagRole adds tags or overwrites the value of a key the role already has
(keys match ignoring case); the whole request fails if any tag is invalid or
the role would end up with more than 50. UntagRole removes the named keys and
ignores keys the role does not have. ListRoleTags answers sorted by key, as
AWS documents, paginated with MaxItems and Marker. The rules themselves are
common.py's, shared with users and policies.
"""

from __future__ import annotations

from typing import Any

from iamd.model.entities import ResourceKind
from iamd.service.context import OperationContext
from iamd.service.iam.common import add_tags, remove_tags, tags_from, tags_result
from iamd.service.lookup import ROLE, find
from iamd.service.registry import Params, operation


@operation("iam", "TagRole")
def tag_role(ctx: OperationContext, params: Params) -> None:
    # The request's own faults (reserved prefix, a key given twice) before the
    # role is looked up, as for users; the limit needs the role's current tags.
    tags_from(params)
    # Locked so that two concurrent TagRole calls cannot pass 50 together.
    role = find(ctx, ROLE, params["RoleName"], for_update=True)
    add_tags(ctx.tx, ResourceKind.ROLE, role.id, params)


@operation("iam", "UntagRole")
def untag_role(ctx: OperationContext, params: Params) -> None:
    role = find(ctx, ROLE, params["RoleName"], for_update=True)
    remove_tags(ctx.tx, ResourceKind.ROLE, role.id, params)


@operation("iam", "ListRoleTags", read_only=True)
def list_role_tags(ctx: OperationContext, params: Params) -> dict[str, Any]:
    role = find(ctx, ROLE, params["RoleName"])
    return tags_result(ctx.tx, ResourceKind.ROLE, role.id, params)
