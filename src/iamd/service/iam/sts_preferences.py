"""SetSecurityTokenServicePreferences: which session tokens the global STS
endpoint issues for an account.

AWS's version 1 tokens are valid only in the Regions enabled by default;
version 2 tokens in every Region. iamd's tokens are valid everywhere either
way, but the choice is kept per account (in the settings table) and read back
by GetAccountSummary's GlobalEndpointTokenVersion, as AWS reports it.
"""

from __future__ import annotations

from iamd.service.context import OperationContext
from iamd.service.registry import Params, operation
from iamd.store.interface import Transaction

_VERSIONS = {"v1Token": 1, "v2Token": 2}


def _key(account_id: str) -> str:
    return f"sts-preferences/{account_id}/global-endpoint-token-version"


def global_endpoint_token_version(tx: Transaction, account_id: str) -> int:
    """1 until the account asks for version 2 tokens, as AWS."""
    return _VERSIONS.get(tx.settings.get(_key(account_id)) or "v1Token", 1)


@operation("iam", "SetSecurityTokenServicePreferences")
def set_security_token_service_preferences(ctx: OperationContext, params: Params) -> None:
    # The decoder checks the value against the model's enum (v1Token | v2Token).
    ctx.tx.settings.set(_key(ctx.account_id), params["GlobalEndpointTokenVersion"])
