"""GetWebIdentityToken: a signed JWT that says who the caller is, for services outside.

The account must have outbound web identity federation on
(iam/outbound_federation.py), else OutboundWebIdentityFederationDisabledException
(403). The token is a compact JWS signed with the account's key for the
requested algorithm, RS256 or ES384 (sts/outbound_keys.py), `kid` in its
header, verifiable with the key set the account's issuer publishes
(sts/outbound_discovery.py).

Its claims follow AWS's documented token: `iss` (the account's issuer),
`sub` (the caller's principal ARN, aws:PrincipalArn: the role's ARN for a
role session, as AWS's sample token shows), `aud` (one audience as a string,
several as a list), `iat`, `exp`, `jti` (a random uuid), and under the
`https://sts.amazonaws.com/` namespace `aws_account`, `source_region`,
`principal_tags` (the caller's tags with its session's, as aws:PrincipalTag
sees them) and `request_tags` (the call's Tags). AWS's organization and
compute claims (`org_id`, `ou_path`, EC2 and Lambda context) have nothing to
say in iamd and are left out.

Authorization: sts:GetWebIdentityToken with the condition keys the Service
Authorization Reference lists for it, filled from the request:
sts:IdentityTokenAudience (every audience), sts:DurationSeconds (the
duration the token gets, 300 when the call names none), sts:SigningAlgorithm,
and aws:RequestTag/aws:TagKeys for the Tags; passing Tags also needs
sts:TagGetWebIdentityToken, as AWS documents. A temporary-credential caller
cannot get a token that outlives its session (SessionDurationEscalationException,
403), and a token whose claims are larger than `MAX_PAYLOAD_BYTES` is
JWTPayloadSizeExceededException (400).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from iamd.model.errors import (
    InvalidParameterValue,
    JWTPayloadSizeExceeded,
    OutboundFederationDisabled,
    SessionDurationEscalation,
    ValidationError,
)
from iamd.service.context import OperationContext
from iamd.service.global_context import principal_tags_of
from iamd.service.iam.outbound_federation import federation_of, issuer_url
from iamd.service.registry import Params, Permission, operation
from iamd.service.sts.outbound_keys import ALGORITHMS, sign, signing_keys

CLAIMS_NAMESPACE = "https://sts.amazonaws.com/"
DEFAULT_DURATION_SECONDS = 300
# AWS names no figure for its payload limit. iamd's leaves room for every
# audience the model allows (10 of 1,000 characters) and a generous set of
# tags, while keeping the token usable in an HTTP header.
MAX_PAYLOAD_BYTES = 16 * 1024


def duration_of(params: Params) -> int:
    value = params.get("DurationSeconds")
    return DEFAULT_DURATION_SECONDS if value is None else int(value)


def audiences_of(params: Params) -> list[str]:
    """The audiences, in the caller's order, each once."""
    return list(dict.fromkeys(str(a) for a in params.get("Audience") or []))


def check_algorithm(algorithm: str) -> None:
    if algorithm not in ALGORITHMS:
        raise ValidationError(
            f"1 validation error detected: Value '{algorithm}' at 'signingAlgorithm' failed to "
            f"satisfy constraint: Member must satisfy enum value set: [{', '.join(ALGORITHMS)}]")


def request_tags_of(params: Params) -> dict[str, str]:
    """The Tags as a map; keys differing only in case are one key twice, as for session tags."""
    tags: dict[str, str] = {}
    seen: set[str] = set()
    for tag in params.get("Tags") or []:
        lowered = tag["Key"].lower()
        if lowered in seen:
            raise InvalidParameterValue("Duplicate tag keys found. Please note that Tag keys are "
                                        "case insensitive.")
        seen.add(lowered)
        tags[tag["Key"]] = tag["Value"]
    return tags


def token_claims(*, issuer: str, subject: str, audiences: Sequence[str], issued: datetime,
                 duration: int, jti: str, account_id: str, region: str,
                 principal_tags: Mapping[str, str], request_tags: Mapping[str, str]) -> dict[str, Any]:
    aws: dict[str, Any] = {"aws_account": account_id, "source_region": region}
    if principal_tags:
        aws["principal_tags"] = dict(principal_tags)
    if request_tags:
        aws["request_tags"] = dict(request_tags)
    issued_at = int(issued.timestamp())
    return {
        "iss": issuer,
        "sub": subject,
        "aud": audiences[0] if len(audiences) == 1 else list(audiences),
        "iat": issued_at,
        "exp": issued_at + duration,
        "jti": jti,
        CLAIMS_NAMESPACE: aws,
    }


def payload_size(claims: Mapping[str, Any]) -> int:
    """The bytes of the claims as the token carries them (compact JSON, UTF-8)."""
    return len(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())


def _token_context(ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    return {"sts:IdentityTokenAudience": audiences_of(params),
            "sts:DurationSeconds": str(duration_of(params)),
            "sts:SigningAlgorithm": str(params.get("SigningAlgorithm", ""))}


def _tag_the_token(ctx: OperationContext, params: Params) -> list[Permission]:
    """sts:TagGetWebIdentityToken, for a request that puts tags in the token."""
    request_tags = request_tags_of(params)
    if not request_tags:
        return []
    tag_context: dict[str, str | list[str]] = {"aws:TagKeys": list(request_tags)}
    tag_context.update({f"aws:RequestTag/{k}": v for k, v in request_tags.items()})
    return [Permission("sts:TagGetWebIdentityToken", "*", tag_context)]


@operation("sts", "GetWebIdentityToken", read_only=True, context=_token_context,
           also=_tag_the_token)
def get_web_identity_token(ctx: OperationContext, params: Params) -> dict[str, Any]:
    algorithm = str(params.get("SigningAlgorithm", ""))
    check_algorithm(algorithm)
    audiences = audiences_of(params)
    if not audiences:
        # `Audience=` is how an empty list travels, and it decodes as one.
        raise ValidationError("1 validation error detected: Value '[]' at 'audience' failed to "
                              "satisfy constraint: Member must have length greater than or equal to 1")
    request_tags = request_tags_of(params)
    state = federation_of(ctx.tx, ctx.account_id)
    if not state.enabled or state.issuer_id is None:
        raise OutboundFederationDisabled()

    caller, now = ctx.caller, ctx.info.now
    duration = duration_of(params)
    expires = now + timedelta(seconds=duration)
    if caller.session is not None and caller.session.expires is not None \
            and expires > caller.session.expires:
        raise SessionDurationEscalation(
            f"The requested token duration of {duration} seconds would extend the session beyond "
            f"its original expiration time of {caller.session.expires.strftime('%Y-%m-%dT%H:%M:%SZ')}.")

    principal_tags = dict(principal_tags_of(ctx))
    if caller.session is not None:
        principal_tags.update(caller.session.tags)
    claims = token_claims(
        issuer=issuer_url(ctx.runtime, state.issuer_id), subject=caller.principal_arn,
        audiences=audiences, issued=now, duration=duration, jti=str(uuid.uuid4()),
        account_id=ctx.account_id, region=ctx.info.region, principal_tags=principal_tags,
        request_tags=request_tags)
    if payload_size(claims) > MAX_PAYLOAD_BYTES:
        raise JWTPayloadSizeExceeded()
    key = signing_keys(ctx.runtime, ctx.tx, ctx.account_id)[algorithm]
    return {"WebIdentityToken": sign(key, claims), "Expiration": expires}
