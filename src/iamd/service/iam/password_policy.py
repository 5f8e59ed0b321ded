"""The account password policy: GetAccountPasswordPolicy, UpdateAccountPasswordPolicy,
DeleteAccountPasswordPolicy.

UpdateAccountPasswordPolicy writes the whole policy: a field left out takes
AWS's default (length 6, nothing required, no expiry, no reuse prevention),
not its previous value. The ranges (length 6..128, age 1..1095 days, reuse
1..24) are the service model's, checked when the request is decoded.
ExpirePasswords is not stored: it says whether MaxPasswordAge is set.
"""

from __future__ import annotations

from typing import Any

from iamd.model.entities import PasswordPolicy
from iamd.model.errors import NoSuchEntity
from iamd.service.context import OperationContext
from iamd.service.passwords import authorize_with_password_grant
from iamd.service.registry import Params, operation

DEFAULT_MINIMUM_LENGTH = 6


def _shape(policy: PasswordPolicy) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "MinimumPasswordLength": policy.minimum_password_length,
        "RequireSymbols": policy.require_symbols,
        "RequireNumbers": policy.require_numbers,
        "RequireUppercaseCharacters": policy.require_uppercase_characters,
        "RequireLowercaseCharacters": policy.require_lowercase_characters,
        "AllowUsersToChangePassword": policy.allow_users_to_change_password,
        "ExpirePasswords": bool(policy.max_password_age),
    }
    # AWS leaves these out unless set (a policy of defaults shows neither,
    # nor HardExpiry).
    if policy.max_password_age:
        shape["MaxPasswordAge"] = policy.max_password_age
    if policy.password_reuse_prevention:
        shape["PasswordReusePrevention"] = policy.password_reuse_prevention
    if policy.hard_expiry:
        shape["HardExpiry"] = True
    return shape


@operation("iam", "GetAccountPasswordPolicy", read_only=True, authorize=False)
def get_account_password_policy(ctx: OperationContext, params: Params) -> dict[str, Any]:
    authorize_with_password_grant(ctx, params)
    policy = ctx.tx.password_policies.get(ctx.account_id)
    if policy is None:
        raise NoSuchEntity(f"The Password Policy with domain name {ctx.account_id} cannot be found.")
    return {"PasswordPolicy": _shape(policy)}


@operation("iam", "UpdateAccountPasswordPolicy")
def update_account_password_policy(ctx: OperationContext, params: Params) -> None:
    ctx.tx.password_policies.put(PasswordPolicy(
        account_id=ctx.account_id,
        minimum_password_length=params.get("MinimumPasswordLength", DEFAULT_MINIMUM_LENGTH),
        require_symbols=bool(params.get("RequireSymbols")),
        require_numbers=bool(params.get("RequireNumbers")),
        require_uppercase_characters=bool(params.get("RequireUppercaseCharacters")),
        require_lowercase_characters=bool(params.get("RequireLowercaseCharacters")),
        allow_users_to_change_password=bool(params.get("AllowUsersToChangePassword")),
        max_password_age=params.get("MaxPasswordAge"),
        password_reuse_prevention=params.get("PasswordReusePrevention"),
        hard_expiry=bool(params.get("HardExpiry"))))


@operation("iam", "DeleteAccountPasswordPolicy")
def delete_account_password_policy(ctx: OperationContext, params: Params) -> None:
    if not ctx.tx.password_policies.delete(ctx.account_id):
        raise NoSuchEntity("The account policy with name PasswordPolicy cannot be found.")
