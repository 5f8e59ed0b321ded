"""The console federation endpoint's tokens: temporary credentials in, a browser session out.

A custom identity broker holds temporary credentials (from AssumeRole or
GetFederationToken) and asks `getSigninToken` for a sign-in token; the
browser then opens `login` with it. The token is the credentials sealed by
the master key with an expiry of 15 minutes (AWS's), so any node can read
it; it works once (its hash is spent in the store). The console session it
opens acts as exactly those credentials and ends with them, or earlier if
the broker asked for a shorter SessionDuration (900 s to 12 h, role
credentials only, as AWS allows).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from iamd.model.errors import AwsError
from iamd.service import ids
from iamd.service.authentication import resolve_access_key
from iamd.service.console_sessions import (
    CREDENTIALS,
    ConsoleState,
    RoleCredentials,
    new_state,
)
from iamd.service.context import ASSUMED_ROLE, FEDERATED_USER
from iamd.service.runtime import Runtime

TOKEN_LIFETIME = timedelta(minutes=15)
MIN_SESSION = 900
MAX_SESSION = 43200
_TOKEN_DATA = b"iamd console sign-in token"


class FederationError(Exception):
    """A request the federation endpoint refuses (answered 400, as AWS does)."""


@dataclass(frozen=True)
class SigninRequest:
    credentials: RoleCredentials
    session_seconds: int | None
    role_session: bool


def _check_credentials(runtime: Runtime, session_json: str, now: datetime) -> SigninRequest:
    try:
        session = json.loads(session_json)
        key_id, secret, token = (session["sessionId"], session["sessionKey"],
                                 session["sessionToken"])
    except (ValueError, KeyError, TypeError):
        raise FederationError("The Session parameter must be JSON with sessionId, sessionKey "
                              "and sessionToken.") from None
    if not all(isinstance(v, str) for v in (key_id, secret, token)) \
            or not key_id.startswith(ids.TEMPORARY_ACCESS_KEY):
        raise FederationError("The credentials must be temporary security credentials.")
    try:
        resolved = resolve_access_key(runtime, key_id, token, now)
    except AwsError as error:
        raise FederationError(error.message) from None
    expected = resolved.secret or ""
    if not secrets.compare_digest(expected.encode(), secret.encode()):
        raise FederationError("The security token included in the request is invalid.")
    caller = resolved.caller
    if caller.kind not in (ASSUMED_ROLE, FEDERATED_USER) or caller.session is None \
            or caller.session.expires is None:
        raise FederationError("Only credentials from AssumeRole, AssumeRoleWithSAML, "
                              "AssumeRoleWithWebIdentity or GetFederationToken sign in.")
    return SigninRequest(RoleCredentials(access_key_id=key_id, secret_access_key=secret,
                                         session_token=token,
                                         expiration=caller.session.expires.isoformat(),
                                         role_arn=caller.role.arn if caller.role else ""),
                         None, caller.kind == ASSUMED_ROLE)


def issue_signin_token(runtime: Runtime, session_json: str, session_duration: str | None,
                       now: datetime) -> str:
    request = _check_credentials(runtime, session_json, now)
    seconds = None
    if session_duration:
        if not request.role_session:
            raise FederationError("SessionDuration is only allowed with role credentials.")
        if not session_duration.isdigit() or not MIN_SESSION <= int(session_duration) <= MAX_SESSION:
            raise FederationError(f"SessionDuration must be between {MIN_SESSION} and "
                                  f"{MAX_SESSION} seconds.")
        seconds = int(session_duration)
    claims = {"k": request.credentials.access_key_id, "s": request.credentials.secret_access_key,
              "t": request.credentials.session_token, "d": seconds,
              "e": (now + TOKEN_LIFETIME).isoformat(), "n": secrets.token_hex(8)}
    sealed = runtime.secrets.encrypt(json.dumps(claims).encode(), _TOKEN_DATA)
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def redeem_signin_token(runtime: Runtime, token: str, issuer: str, now: datetime) -> ConsoleState:
    """The console state of a sign-in token; each token works once, for 15 minutes."""
    if not token or len(token) > 16384:
        raise FederationError("The sign-in token is invalid.")
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        claims = json.loads(runtime.secrets.decrypt(sealed, _TOKEN_DATA))
    except Exception:
        raise FederationError("The sign-in token is invalid.") from None
    expires = datetime.fromisoformat(claims["e"])
    if now >= expires:
        raise FederationError("The sign-in token has expired.")
    with runtime.store.transaction() as tx:
        fresh = tx.spent_tokens.spend(hashlib.sha256(token.encode()).hexdigest(), expires, now)
    if not fresh:
        raise FederationError("The sign-in token has already been used.")
    session = json.dumps({"sessionId": claims["k"], "sessionKey": claims["s"],
                          "sessionToken": claims["t"]})
    request = _check_credentials(runtime, session, now)
    credentials = request.credentials
    if claims.get("d"):
        ends = min(datetime.fromisoformat(credentials.expiration),
                   now + timedelta(seconds=int(claims["d"])))
        credentials = replace(credentials, expiration=ends.isoformat())
    account_id = credentials.role_arn.split(":")[4] if credentials.role_arn else ""
    if not account_id:
        resolved = resolve_access_key(runtime, credentials.access_key_id,
                                      credentials.session_token, now)
        account_id = resolved.caller.account_id
    return new_state(CREDENTIALS, account_id, now, credentials=credentials,
                     issuer=issuer if issuer.startswith(("https://", "http://")) else "")
