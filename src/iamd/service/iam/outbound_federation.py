"""Outbound web identity federation: EnableOutboundWebIdentityFederation,
DisableOutboundWebIdentityFederation and GetOutboundWebIdentityFederationInfo.

The feature is off until an account turns it on, as in AWS. Turning it on
gives the account its issuer identifier, unique to the account and kept when
the feature is turned off and on again; enabling it twice is FeatureEnabled
(409), and disabling it, or asking for its information, while it is off is
FeatureDisabled (404), the errors botocore's model declares for each call.
Whether the feature is on decides sts:GetWebIdentityToken
(sts/root_and_delegation.py).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from iamd.model.errors import AwsError
from iamd.service.context import OperationContext
from iamd.service.registry import Params, operation
from iamd.store.interface import Transaction

# The issuer's host: AWS's issuers are https://<uuid>.tokens.sts.global.api.aws;
# iamd's keep the shape under a name of its own rather than claim AWS's.
ISSUER_DOMAIN = "tokens.sts.iamd.internal"


class FeatureDisabled(AwsError):
    code = "FeatureDisabled"
    status = 404


class FeatureEnabled(AwsError):
    code = "FeatureEnabled"
    status = 409


def _disabled(account_id: str) -> FeatureDisabled:
    # AWS's sentence, as a live account answers GetOutboundWebIdentityFederationInfo.
    return FeatureDisabled(f"Outbound identity federation is disabled for account {account_id}")


def _enabled(account_id: str) -> FeatureEnabled:
    return FeatureEnabled(f"Outbound identity federation is already enabled for account {account_id}")


@dataclass(frozen=True)
class OutboundFederation:
    enabled: bool
    issuer: str | None


def _settings_key(account_id: str) -> str:
    return f"outbound_web_identity_federation:{account_id}"


def federation_of(tx: Transaction, account_id: str) -> OutboundFederation:
    raw = tx.settings.get(_settings_key(account_id))
    state: dict[str, Any] = json.loads(raw) if raw else {}
    return OutboundFederation(bool(state.get("enabled")), state.get("issuer"))


def _save(tx: Transaction, account_id: str, state: OutboundFederation) -> None:
    tx.settings.set(_settings_key(account_id),
                    json.dumps({"enabled": state.enabled, "issuer": state.issuer}))


@operation("iam", "EnableOutboundWebIdentityFederation")
def enable_outbound_federation(ctx: OperationContext, params: Params) -> dict[str, Any]:
    state = federation_of(ctx.tx, ctx.account_id)
    if state.enabled:
        raise _enabled(ctx.account_id)
    issuer = state.issuer or f"https://{uuid.uuid4()}.{ISSUER_DOMAIN}"
    _save(ctx.tx, ctx.account_id, OutboundFederation(True, issuer))
    return {"IssuerIdentifier": issuer}


@operation("iam", "DisableOutboundWebIdentityFederation")
def disable_outbound_federation(ctx: OperationContext, params: Params) -> None:
    state = federation_of(ctx.tx, ctx.account_id)
    if not state.enabled:
        raise _disabled(ctx.account_id)
    _save(ctx.tx, ctx.account_id, OutboundFederation(False, state.issuer))


@operation("iam", "GetOutboundWebIdentityFederationInfo", read_only=True)
def get_outbound_federation_info(ctx: OperationContext, params: Params) -> dict[str, Any]:
    state = federation_of(ctx.tx, ctx.account_id)
    if not state.enabled:
        raise _disabled(ctx.account_id)
    return {"IssuerIdentifier": state.issuer, "JwtVendingEnabled": True}
