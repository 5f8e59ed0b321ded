"""AssumeRoleWithWebIdentity: temporary credentials for the bearer of an OpenID Connect token.

The call is unsigned: the token is the proof. It must be a JWT whose `iss`
names an OIDC provider registered in the role's account (the provider ARN is
`oidc-provider/` + `iss` without its scheme), signed (RS256/384/512 or
ES256/384/512) by a key the issuer publishes through OIDC discovery
(sts/oidc_discovery.py), unexpired (`exp`, and `nbf`/`iat` not in the
future), and meant for one of the provider's client ids (`aud`). Then the
role's trust policy alone decides, for the federated principal that is the
provider's ARN, with the token's claims as condition keys
`<provider host/path>:<claim>`: `aud`, `sub`, `amr`, `email` and `oaud` for
every issuer, and the issuer-specific claims the Service Authorization
Reference lists for AssumeRoleWithWebIdentity (GitHub Actions' `repository`,
`ref`, `environment`, ..., GitLab's, Buildkite's, ...), plus
`sts:RoleSessionName`. Session tags (`https://aws.amazon.com/tags`) need
sts:TagSession and a source identity (`https://aws.amazon.com/source_identity`)
needs sts:SetSourceIdentity from the trust policy too.

Like AWS's, the issuer is fetched over https only; iamd also accepts a plain
http issuer on a loopback host (127.0.0.0/8, ::1, localhost) so that a test
issuer beside it can be used, and never http to any other host. Built-in
identity providers that need no IAM provider (Google, Cognito, Login with
Amazon, Facebook) and OAuth 2.0 access tokens (`ProviderId`) are not
supported: iamd has no keys for them.

The operation reads in a read-only transaction (discovery may wait on the
network, and must not hold the store's write lock meanwhile) and records the
role's last use in a short transaction of its own once the call succeeded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import KeySet

from iamd.model.entities import Role
from iamd.model.errors import (
    AccessDenied,
    ExpiredTokenException,
    IDPCommunicationError,
    InvalidIdentityToken,
    InvalidParameterValue,
    ValidationError,
)
from iamd.policy import Context, PolicyKind, PolicySet, Principal, Request, parse_policy
from iamd.service import arns, ids
from iamd.service.context import ASSUMED_ROLE, OperationContext
from iamd.service.permissions import managed_document
from iamd.service.registry import Params, operation
from iamd.service.sts import oidc_discovery
from iamd.service.sts.sessions import _check_packed, _credentials, _role_from_arn
from iamd.service.sts.tokens import SessionClaims

ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
CLOCK_SKEW = timedelta(minutes=5)  # for nbf and iat only: exp is exact
MAX_SESSION_TAGS = 50
DEFAULT_CLAIMS = ("aud", "sub", "amr", "email", "oaud")
TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"
ACTION = "sts:AssumeRoleWithWebIdentity"
KEYS_UNAVAILABLE = ("Couldn't retrieve verification key from your identity provider,  please "
                    "reference AssumeRoleWithWebIdentity documentation for requirements")


# --- what the federated calls share ----------------------------------------------

@dataclass
class FederatedSession:
    """What AssumeRoleWithWebIdentity and AssumeRoleWithSAML hand to `issue`."""

    role: Role
    session_name: str
    duration: int
    policies: list[str]
    tags: dict[str, str] = field(default_factory=dict)
    transitive_tag_keys: list[str] = field(default_factory=list)
    source_identity: str | None = None
    provider_arn: str | None = None  # becomes aws:FederatedProvider in the session


def role_account(role_arn: str) -> str:
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or \
            not re.fullmatch(r"\d{12}", parts[4]) or not parts[5].startswith("role/"):
        raise ValidationError("Request ARN is invalid")
    return parts[4]


def base_context(ctx: OperationContext, session_name: str) -> Context:
    info = ctx.info
    return Context.of({
        "aws:SourceIp": info.source_ip,
        "aws:CurrentTime": info.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(info.now.timestamp())),
        "aws:SecureTransport": "true" if info.secure_transport else "false",
        "aws:RequestedRegion": info.region,
        "sts:RoleSessionName": session_name,
    })


def trusts(role: Role, federated: str, action: str, context: Context) -> bool:
    """The role's trust policy alone decides for a federated principal (it has no identity side)."""
    trust = PolicySet.compile(resource=role.assume_role_policy_document)
    principal = Principal(arn=None, account=None, kind="federated", federated=federated)
    return trust.decide(Request(action=action, resource=role.arn, principal=principal,
                                context=context, resource_account=role.account_id)).allowed


def session_policies(ctx: OperationContext, params: Params, account_id: str) -> list[str]:
    """Inline and managed session policies; managed ones from the role's account."""
    documents = []
    if params.get("Policy"):
        parse_policy(params["Policy"], PolicyKind.SESSION)
        documents.append(params["Policy"])
    for entry in params.get("PolicyArns") or []:
        arn = entry.get("arn", "")
        document = managed_document(ctx.tx, arn, account_id)
        if document is None:
            raise InvalidParameterValue(f"Policy {arn} does not exist or is not attachable.")
        documents.append(document)
    return documents


def session_duration(params: Params, role: Role, ceiling: int | None = None) -> int:
    duration = int(params.get("DurationSeconds") or 3600)
    if duration > role.max_session_duration:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set "
                              "for this role.")
    return duration if ceiling is None else max(1, min(duration, ceiling))


def issue(ctx: OperationContext, session: FederatedSession) -> dict[str, Any]:
    """Seal the session's credentials and note the role's use; the answer's common part."""
    role, now = session.role, ctx.info.now
    arn = f"arn:{arns.PARTITION}:sts::{role.account_id}:assumed-role/{role.name}/{session.session_name}"
    claims = SessionClaims(
        access_key_id=ids.access_key_id(ids.TEMPORARY_ACCESS_KEY, role.account_id),
        secret_access_key=ids.secret_access_key(), account_id=role.account_id, kind=ASSUMED_ROLE,
        arn=arn, user_id=f"{role.id}:{session.session_name}", principal_id=role.id,
        issued=now.isoformat(), expires=(now + timedelta(seconds=session.duration)).isoformat(),
        session_name=session.session_name, policies=session.policies, tags=session.tags,
        transitive_tag_keys=session.transitive_tag_keys, source_identity=session.source_identity,
        federated_provider=session.provider_arn)
    percent = _check_packed(claims)
    # The call's own transaction is read-only (see the module's docstring).
    with ctx.runtime.store.transaction() as tx:
        tx.roles.record_last_used(role.id, now, ctx.info.region)
    result: dict[str, Any] = {
        "Credentials": _credentials(ctx, claims),
        "AssumedRoleUser": {"AssumedRoleId": claims.user_id, "Arn": arn},
        "PackedPolicySize": percent,
    }
    if session.source_identity:
        result["SourceIdentity"] = session.source_identity
    return result


# --- the token --------------------------------------------------------------------

def _invalid(message: str) -> InvalidIdentityToken:
    return InvalidIdentityToken(message)


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims before verification: only to find the issuer and its key."""
    try:
        signature = jws.extract_compact(token.encode())
        claims = json.loads(signature.payload)
    except (JoseError, ValueError, UnicodeError):
        raise _invalid("The web identity token that was passed is not a valid JSON Web Token.") from None
    if not isinstance(claims, dict):
        raise _invalid("The web identity token that was passed is not a valid JSON Web Token.")
    return dict(signature.headers()), claims


def _verified_claims(token: str, keys: KeySet, kid: str | None) -> dict[str, Any]:
    candidates = [k for k in keys.keys if kid is None or k.kid == kid]
    if not candidates:
        raise _invalid(KEYS_UNAVAILABLE)
    for key in candidates:
        try:
            return dict(jwt.decode(token, key, algorithms=ALGORITHMS).claims)
        except BadSignatureError:
            continue
        except JoseError:
            continue
    raise _invalid("The web identity token's signature is not valid.")


def _numeric(claims: Mapping[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        # AWS: "Timestamps in the token must be formatted as either an integer or a long integer."
        raise _invalid(f"The web identity token's {name} claim is not a number.")
    return int(value)


def _check_times(claims: Mapping[str, Any], now: datetime) -> None:
    current = int(now.timestamp())
    expires = _numeric(claims, "exp")
    if expires is None:
        raise _invalid("The web identity token has no exp claim.")
    if current >= expires:
        raise ExpiredTokenException(f"Token expired: current date/time {current} must be before "
                                    f"the expiration date/time {expires}")
    skew = int(CLOCK_SKEW.total_seconds())
    not_before = _numeric(claims, "nbf")
    if not_before is not None and current + skew < not_before:
        raise _invalid("The web identity token is not valid yet (nbf).")
    issued = _numeric(claims, "iat")
    if issued is not None and current + skew < issued:
        raise _invalid("The web identity token was issued in the future (iat).")


def _audience(claims: Mapping[str, Any], client_ids: tuple[str, ...]) -> str:
    given = claims.get("aud")
    audiences = [given] if isinstance(given, str) else given if isinstance(given, list) else []
    for audience in audiences:
        if isinstance(audience, str) and audience in client_ids:
            return audience
    raise _invalid("Incorrect token audience")


@cache
def _issuer_claims() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(provider pattern, claim) for each issuer-specific key of AssumeRoleWithWebIdentity."""
    found = []
    for key in arns.action_condition_keys("sts", "AssumeRoleWithWebIdentity"):
        prefix, _, claim = key.rpartition(":")
        if not prefix or prefix in ("aws", "sts") or claim in DEFAULT_CLAIMS:
            continue
        # ${Domain}, ${SubPath}, ...: placeholders for any part of the provider's name.
        pattern = ".+".join(re.escape(part) for part in re.split(r"\$\{[^}]*\}", prefix))
        found.append((re.compile(pattern, re.IGNORECASE), claim))
    return tuple(found)


def _key_value(value: Any) -> str | list[str] | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    return None


def claim_keys(provider: str, claims: Mapping[str, Any], audience: str) -> dict[str, str | list[str]]:
    """The condition keys `<provider>:<claim>` the token brings to the trust policy."""
    names = set(DEFAULT_CLAIMS)
    names.update(claim for pattern, claim in _issuer_claims() if pattern.fullmatch(provider))
    values: dict[str, str | list[str]] = {}
    for name in sorted(names):
        value = _key_value(claims.get(name))
        if value is not None:
            values[f"{provider}:{name}"] = value
    values[f"{provider}:aud"] = audience
    values[f"{provider}:oaud"] = audience
    if provider == "accounts.google.com" and isinstance(claims.get("azp"), str):
        # Google's hybrid apps: aud names the authorized party, oaud the original audience.
        values[f"{provider}:aud"] = claims["azp"]
    return values


def _session_tags(claims: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    given = claims.get(TAGS_CLAIM)
    if given is None:
        return {}, []
    if not isinstance(given, dict):
        raise _invalid(f"The {TAGS_CLAIM} claim is not an object.")
    tags: dict[str, str] = {}
    for key, value in (given.get("principal_tags") or {}).items():
        # Each tag is a list holding one value, as AWS documents the claim.
        values = value if isinstance(value, list) else [value]
        if len(values) != 1 or not isinstance(values[0], str):
            raise _invalid(f"The session tag {key} must have exactly one string value.")
        tags[str(key)] = values[0]
    if len(tags) > MAX_SESSION_TAGS:
        raise _invalid(f"A web identity token can pass at most {MAX_SESSION_TAGS} session tags.")
    transitive = [str(k) for k in given.get("transitive_tag_keys") or []]
    lowered = {k.lower() for k in tags}
    if any(k.lower() not in lowered for k in transitive):
        raise InvalidParameterValue("The specified transitive tag key must be included in the "
                                    "requested tags.")
    return tags, transitive


# --- the operation ----------------------------------------------------------------

@operation("sts", "AssumeRoleWithWebIdentity", read_only=True, authorize=False)
def assume_role_with_web_identity(ctx: OperationContext, params: Params) -> dict[str, Any]:
    role_arn, session_name, token = (params["RoleArn"], params["RoleSessionName"],
                                     params["WebIdentityToken"])
    if params.get("ProviderId"):
        raise _invalid("iamd does not verify OAuth 2.0 access tokens: pass an OpenID Connect "
                       "ID token without ProviderId.")
    account_id = role_account(role_arn)
    header, unverified = _unverified(token)
    issuer = unverified.get("iss")
    scheme, _, name = issuer.partition("://") if isinstance(issuer, str) else ("", "", "")
    provider = ctx.tx.oidc_providers.get(
        f"arn:{arns.PARTITION}:iam::{account_id}:oidc-provider/{name}") if name else None
    if provider is None or not provider.url.startswith(f"{scheme}://") or \
            not oidc_discovery.fetchable(str(issuer)):
        raise _invalid(f"No OpenIDConnect provider found in your account for {issuer}")

    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    try:
        keys = oidc_discovery.signing_keys(str(issuer), kid)
    except oidc_discovery.IssuerUnreachable:
        raise IDPCommunicationError("Couldn't connect to your identity provider to verify the "
                                    "web identity token.") from None
    except oidc_discovery.KeysUnavailable:
        raise _invalid(KEYS_UNAVAILABLE) from None
    claims = _verified_claims(token, keys, kid)
    if claims.get("iss") != issuer:
        raise _invalid(f"No OpenIDConnect provider found in your account for {claims.get('iss')}")
    _check_times(claims, ctx.info.now)
    audience = _audience(claims, provider.client_ids)
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise _invalid("The web identity token has no sub claim.")

    role = _role_from_arn(ctx, role_arn)
    denied = AccessDenied(f"Not authorized to perform {ACTION}")
    if role is None:
        raise denied
    context = base_context(ctx, session_name)
    for key, value in claim_keys(name, claims, audience).items():
        context.put(key, value)
    tags, transitive = _session_tags(claims)
    source_identity = claims.get(SOURCE_IDENTITY_CLAIM)
    if source_identity is not None and not (
            isinstance(source_identity, str) and re.fullmatch(r"[\w+=,.@-]{2,64}", source_identity)):
        raise _invalid("The source identity in the web identity token is not valid.")
    if tags:
        context.put("aws:TagKeys", list(tags))
        for key, value in tags.items():
            context.put(f"aws:RequestTag/{key}", value)
    if transitive:
        context.put("sts:TransitiveTagKeys", transitive)
    if source_identity:
        context.put("sts:SourceIdentity", source_identity)
    if not trusts(role, provider.arn, ACTION, context):
        raise denied
    if tags and not trusts(role, provider.arn, "sts:TagSession", context):
        raise denied
    if source_identity and not trusts(role, provider.arn, "sts:SetSourceIdentity", context):
        raise denied

    session = FederatedSession(
        role=role, session_name=session_name, duration=session_duration(params, role),
        policies=session_policies(ctx, params, role.account_id), tags=tags,
        transitive_tag_keys=transitive, source_identity=source_identity, provider_arn=provider.arn)
    result = issue(ctx, session)
    result.update({"SubjectFromWebIdentityToken": subject, "Provider": provider.arn,
                   "Audience": audience})
    return result
