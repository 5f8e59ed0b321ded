"""What an account's outbound federation issuer publishes: OpenID Connect
discovery (`<issuer>/.well-known/openid-configuration`) and its key set
(`<issuer>/.well-known/jwks.json`).

Verifiers of GetWebIdentityToken's tokens fetch these without credentials,
so they are public by design and hold only public material. An issuer id no
account has, or the issuer of an account whose federation is off, has no
documents (the HTTP layer answers 404): turning the feature off is how an
account stops its tokens from being accepted, including those still
unexpired. An account's keys are made on the first fetch if no token has
made them yet, so the key set does not change under a verifier's cache.
"""

from __future__ import annotations

from typing import Any

from iamd.service.iam.outbound_federation import (
    ISSUER_PATH,
    account_of_issuer,
    federation_of,
    issuer_url,
)
from iamd.service.runtime import Runtime
from iamd.service.sts.outbound_keys import ALGORITHMS, account_keys, key_set
from iamd.service.sts.outbound_tokens import CLAIMS_NAMESPACE

__all__ = ["CONFIGURATION_PATH", "ISSUER_PATH", "JWKS_PATH", "jwks", "openid_configuration"]

CONFIGURATION_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks.json"


def _enabled_account(runtime: Runtime, issuer_id: str) -> str | None:
    with runtime.store.transaction(read_only=True) as tx:
        account_id = account_of_issuer(tx, issuer_id)
        if account_id is None:
            return None
        state = federation_of(tx, account_id)
        if not state.enabled or state.issuer_id != issuer_id:
            return None
        return account_id


def openid_configuration(runtime: Runtime, issuer_id: str) -> dict[str, Any] | None:
    if _enabled_account(runtime, issuer_id) is None:
        return None
    return configuration_document(issuer_url(runtime, issuer_id))


def configuration_document(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "jwks_uri": issuer + JWKS_PATH,
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(ALGORITHMS),
        "claims_supported": ["aud", "exp", "iat", "iss", "jti", "sub", CLAIMS_NAMESPACE],
    }


def jwks(runtime: Runtime, issuer_id: str) -> dict[str, Any] | None:
    account_id = _enabled_account(runtime, issuer_id)
    if account_id is None:
        return None
    with runtime.store.transaction(read_only=True) as tx:
        keys = account_keys(runtime, tx, account_id)
    return key_set(keys.signing, keys.retired)
