"""Outbound web identity federation: EnableOutboundWebIdentityFederation,
DisableOutboundWebIdentityFederation and GetOutboundWebIdentityFederationInfo.

The feature is off until an account turns it on, as in AWS. Turning it on
gives the account its issuer, unique to the account and kept when the
feature is turned off and on again; enabling it twice is FeatureEnabled
(409), and disabling it, or asking for its information, while it is off is
FeatureDisabled (404), the errors botocore's model declares for each call.
Whether the feature is on decides sts:GetWebIdentityToken
(sts/outbound_tokens.py).

AWS's issuers are `https://<uuid>.tokens.sts.global.api.aws`, hosts AWS
serves the OIDC discovery documents on. iamd serves them itself, so an
account's issuer is iamd's public URL (`iamd serve --public-url`) followed
by `/outbound/<uuid>`: the store keeps the random uuid, and the URL is built
from the server's public URL when asked, so an iamd that moves to another
address moves its issuers with it. A second settings row maps the uuid back
to its account for the discovery endpoints (sts/outbound_discovery.py).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from iamd.model.errors import FeatureDisabled, FeatureEnabled
from iamd.service.context import OperationContext
from iamd.service.registry import Params, operation
from iamd.service.runtime import Runtime
from iamd.store.interface import Transaction

ISSUER_PATH = "/outbound/"
_ISSUER_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _disabled(account_id: str) -> FeatureDisabled:
    # AWS's sentence, as a live account answers GetOutboundWebIdentityFederationInfo.
    return FeatureDisabled(f"Outbound identity federation is disabled for account {account_id}")


def _enabled(account_id: str) -> FeatureEnabled:
    return FeatureEnabled(f"Outbound identity federation is already enabled for account {account_id}")


@dataclass(frozen=True)
class OutboundFederation:
    enabled: bool
    issuer_id: str | None  # the uuid of the account's issuer, once it has one


def _settings_key(account_id: str) -> str:
    return f"outbound_web_identity_federation:{account_id}"


def _issuer_key(issuer_id: str) -> str:
    return f"outbound_web_identity_issuer:{issuer_id}"


def federation_of(tx: Transaction, account_id: str) -> OutboundFederation:
    raw = tx.settings.get(_settings_key(account_id))
    state: dict[str, Any] = json.loads(raw) if raw else {}
    issuer_id = state.get("issuer_id")
    if not isinstance(issuer_id, str):
        # A row from before issuers were served (it named a host nobody could
        # reach) counts as off: enabling gives the account a servable issuer.
        return OutboundFederation(False, None)
    return OutboundFederation(bool(state.get("enabled")), issuer_id)


def issuer_url(runtime: Runtime, issuer_id: str) -> str:
    return runtime.public_url.rstrip("/") + ISSUER_PATH + issuer_id


def account_of_issuer(tx: Transaction, issuer_id: str) -> str | None:
    """The account whose issuer this is, or None for an id no account has."""
    if not _ISSUER_ID.match(issuer_id):
        return None
    return tx.settings.get(_issuer_key(issuer_id))


def _save(tx: Transaction, account_id: str, state: OutboundFederation) -> None:
    tx.settings.set(_settings_key(account_id),
                    json.dumps({"enabled": state.enabled, "issuer_id": state.issuer_id}))


@operation("iam", "EnableOutboundWebIdentityFederation")
def enable_outbound_federation(ctx: OperationContext, params: Params) -> dict[str, Any]:
    state = federation_of(ctx.tx, ctx.account_id)
    if state.enabled:
        raise _enabled(ctx.account_id)
    issuer_id = state.issuer_id or str(uuid.uuid4())
    ctx.tx.settings.set(_issuer_key(issuer_id), ctx.account_id)
    _save(ctx.tx, ctx.account_id, OutboundFederation(True, issuer_id))
    return {"IssuerIdentifier": issuer_url(ctx.runtime, issuer_id)}


@operation("iam", "DisableOutboundWebIdentityFederation")
def disable_outbound_federation(ctx: OperationContext, params: Params) -> None:
    state = federation_of(ctx.tx, ctx.account_id)
    if not state.enabled:
        raise _disabled(ctx.account_id)
    _save(ctx.tx, ctx.account_id, OutboundFederation(False, state.issuer_id))


@operation("iam", "GetOutboundWebIdentityFederationInfo", read_only=True)
def get_outbound_federation_info(ctx: OperationContext, params: Params) -> dict[str, Any]:
    state = federation_of(ctx.tx, ctx.account_id)
    if not state.enabled or state.issuer_id is None:
        raise _disabled(ctx.account_id)
    return {"IssuerIdentifier": issuer_url(ctx.runtime, state.issuer_id), "JwtVendingEnabled": True}
