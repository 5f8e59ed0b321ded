"""Tags on IAM users: TagUser, UntagUser, ListUserTags.

TagUser adds tags and overwrites the value of a key the user already has
(keys match ignoring case); a user carries at most 50. UntagUser removes the
named keys and ignores keys the user lacks. The shared rules (reserved
`aws:` prefix, duplicate keys, the limit, pagination) are in common.py, as
roles and policies follow them too.
"""

from __future__ import annotations

from typing import Any

from iamd.model.entities import ResourceKind
from iamd.service.context import OperationContext
from iamd.service.iam.common import add_tags, remove_tags, tags_from, tags_result
from iamd.service.lookup import USER, find
from iamd.service.registry import Params, operation


@operation("iam", "TagUser")
def tag_user(ctx: OperationContext, params: Params) -> None:
    # The request's own faults (reserved prefix, a key given twice) before
    # the user is looked up; the limit needs the user's current tags.
    tags_from(params)
    # Locked so that two concurrent TagUser calls cannot pass 50 together.
    user = find(ctx, USER, params["UserName"], for_update=True)
    add_tags(ctx.tx, ResourceKind.USER, user.id, params)


@operation("iam", "UntagUser")
def untag_user(ctx: OperationContext, params: Params) -> None:
    user = find(ctx, USER, params["UserName"], for_update=True)
    remove_tags(ctx.tx, ResourceKind.USER, user.id, params)


@operation("iam", "ListUserTags", read_only=True)
def list_user_tags(ctx: OperationContext, params: Params) -> dict[str, Any]:
    user = find(ctx, USER, params["UserName"])
    return tags_result(ctx.tx, ResourceKind.USER, user.id, params)
