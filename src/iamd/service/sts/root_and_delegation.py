"""STS calls that rest on features a standalone account does not have:
AssumeRoot (centralized root access of an AWS Organization) and
GetDelegatedAccessToken (temporary access delegation by a partner).

AssumeRoot is for the management account of an organization, or its
delegated administrator, acting on a member account; an iamd account is in
no organization, so a caller the policies allow is still refused with
AccessDenied for the target. A trade-in token comes from an accepted
delegation request, and an iamd account never has one, so every token is
ExpiredTradeInTokenException, the one error AWS declares for a token it will
not trade.
"""

from __future__ import annotations

import re
from typing import Any

from iamd.model.errors import AccessDenied, ExpiredTradeInToken
from iamd.service.context import OperationContext
from iamd.service.registry import Params, operation

_ACCOUNT = re.compile(r"^\d{12}$")


def _target_root(ctx: OperationContext, params: Params) -> str:
    """The member account's root, from an account id or a root ARN."""
    target = str(params.get("TargetPrincipal", ""))
    return f"arn:aws:iam::{target}:root" if _ACCOUNT.match(target) else target


@operation("sts", "AssumeRoot", read_only=True, resource=_target_root)
def assume_root(ctx: OperationContext, params: Params) -> dict[str, Any]:
    raise AccessDenied(
        f"User: {ctx.caller.arn} is not authorized to perform: sts:AssumeRoot on resource: "
        f"{_target_root(ctx, params)} because the account is not the management account or a "
        "delegated administrator of an organization with centralized root access")


@operation("sts", "GetDelegatedAccessToken", read_only=True)
def get_delegated_access_token(ctx: OperationContext, params: Params) -> dict[str, Any]:
    raise ExpiredTradeInToken()
