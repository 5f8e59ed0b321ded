"""Turning an access key id into the principal it belongs to, for authentication.

Long-term keys (AKIA...) are looked up in the store and their secret
unsealed; an unknown or inactive key is InvalidClientTokenId, as AWS answers.
The dev-mode fallback (any unknown key is the root of the default account)
lives here too, so that every path shares it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from iamd.model.errors import ExpiredToken, InvalidClientTokenId
from iamd.service import arns, ids
from iamd.service.context import ASSUMED_ROLE, FEDERATED_USER, IAM_USER, ROOT, Caller, Session
from iamd.service.runtime import Runtime
from iamd.service.sts.tokens import TokenInvalid, unseal
from iamd.store.secrets import access_key_associated_data


@dataclass(frozen=True)
class ResolvedKey:
    caller: Caller
    secret: str | None  # None: do not check the signature (dev mode only)


def root_caller(account_id: str, access_key_id: str | None = None) -> Caller:
    return Caller(account_id=account_id, arn=arns.root_arn(account_id), kind=ROOT,
                  user_id=account_id, access_key_id=access_key_id)


def resolve_access_key(runtime: Runtime, access_key_id: str, session_token: str | None,
                       now: datetime) -> ResolvedKey:
    if access_key_id.startswith(ids.TEMPORARY_ACCESS_KEY):
        return _resolve_session(runtime, access_key_id, session_token, now)
    with runtime.store.transaction(read_only=True) as tx:
        found = tx.access_keys.get_with_user(access_key_id)
    if found is not None and session_token:
        # A long-term key signs without a token; AWS refuses the pair.
        raise InvalidClientTokenId()
    if found is not None:
        key, user = found
        if key.status == "Active" and (user is not None or key.user_id is None):
            secret = runtime.secrets.decrypt(key.secret_ciphertext,
                                             access_key_associated_data(key.id)).decode()
            if user is None:  # a key of the root user
                return ResolvedKey(root_caller(key.account_id, key.id), secret)
            caller = Caller(account_id=user.account_id, arn=user.arn, kind=IAM_USER,
                            user_id=user.id, access_key_id=key.id, user=user)
            return ResolvedKey(caller, secret)
    elif runtime.dev_mode:
        return ResolvedKey(root_caller(runtime.default_account_id, access_key_id), None)
    raise InvalidClientTokenId()


def _resolve_session(runtime: Runtime, access_key_id: str, token: str | None,
                     now: datetime) -> ResolvedKey:
    """A temporary key: its token holds everything; the principal must still exist."""
    if not token:
        raise InvalidClientTokenId()
    try:
        claims = unseal(runtime, token, access_key_id)
    except TokenInvalid:
        raise InvalidClientTokenId() from None
    if claims.access_key_id != access_key_id:
        raise InvalidClientTokenId()
    if now >= claims.expires_at:
        raise ExpiredToken("The security token included in the request is expired")
    session = Session(policies=tuple(claims.policies), tags=dict(claims.tags),
                      transitive_tag_keys=tuple(claims.transitive_tag_keys),
                      source_identity=claims.source_identity,
                      mfa_authenticated=claims.mfa_authenticated, issued=claims.issued_at,
                      mfa_time=(datetime.fromisoformat(claims.mfa_time)
                                if claims.mfa_time else None),
                      expires=claims.expires_at, chained=claims.chained,
                      federated_provider=claims.federated_provider)
    with runtime.store.transaction(read_only=True) as tx:
        if claims.kind == ASSUMED_ROLE:
            role = tx.roles.get(claims.principal_id)
            if role is None:
                raise InvalidClientTokenId()
            caller = Caller(account_id=claims.account_id, arn=claims.arn, kind=ASSUMED_ROLE,
                            user_id=claims.user_id, access_key_id=access_key_id, role=role,
                            session=session)
        elif claims.root:
            caller = replace(root_caller(claims.account_id, access_key_id), session=session,
                             kind=FEDERATED_USER if claims.kind == FEDERATED_USER else ROOT,
                             arn=claims.arn, user_id=claims.user_id)
        else:
            user = tx.users.get(claims.principal_id)
            if user is None:
                raise InvalidClientTokenId()
            caller = Caller(account_id=claims.account_id, arn=claims.arn, kind=claims.kind,
                            user_id=claims.user_id, access_key_id=access_key_id, user=user,
                            session=session)
    return ResolvedKey(caller, claims.secret_access_key)
