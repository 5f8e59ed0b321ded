"""sts:GetCallerIdentity: who am I. AWS needs no permission for it, and an
explicit deny cannot stop it."""

from __future__ import annotations

from typing import Any

from iamd.service.context import OperationContext
from iamd.service.registry import Params, operation


@operation("sts", "GetCallerIdentity", read_only=True, authorize=False)
def get_caller_identity(ctx: OperationContext, params: Params) -> dict[str, Any]:
    caller = ctx.caller
    return {"UserId": caller.user_id, "Account": caller.account_id, "Arn": caller.arn}
