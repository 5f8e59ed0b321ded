"""Authentication's service half: the principal an access key id stands for.

Long-term keys (AKIA...) are looked up in the store and their secret
unsealed; an unknown or inactive key is InvalidClientTokenId, as AWS answers.
Temporary keys (ASIA...) carry everything in their session token, but their
principal must still exist. The dev-mode fallback (any unknown key is the
root of the default account) lives here too, so that every path shares it.

A long-term key's principal and unsealed secret are cached under the
authorization generation: every change to a key or its user is a write, and
every write that changes a row moves the generation on, so the next request
on any node reads them again. The generation is read first, in the transaction that reads the
key on a miss. The signature is still checked on every request (auth/).

`transaction` may be the read-only transaction the operation will run in
(the Query endpoint shares one for a read): one BEGIN and one generation
read serve both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from iamd.model.errors import ExpiredToken, InvalidClientTokenId
from iamd.service import arns, ids
from iamd.service.context import ASSUMED_ROLE, FEDERATED_USER, IAM_USER, ROOT, Caller, Session
from iamd.service.permissions import generation
from iamd.service.runtime import Runtime
from iamd.service.sts.tokens import TokenInvalid, unseal
from iamd.store.interface import Transaction
from iamd.store.secrets import access_key_associated_data


@dataclass(frozen=True)
class ResolvedKey:
    caller: Caller
    secret: str | None  # None: do not check the signature (dev mode only)


def root_caller(account_id: str, access_key_id: str | None = None) -> Caller:
    return Caller(account_id=account_id, arn=arns.root_arn(account_id), kind=ROOT,
                  user_id=account_id, access_key_id=access_key_id)


@contextmanager
def _reading(runtime: Runtime, transaction: Transaction | None) -> Iterator[Transaction]:
    if transaction is not None:
        yield transaction
        return
    with runtime.store.transaction(read_only=True) as own:
        yield own


def resolve_access_key(runtime: Runtime, access_key_id: str, session_token: str | None,
                       now: datetime, transaction: Transaction | None = None) -> ResolvedKey:
    if access_key_id.startswith(ids.TEMPORARY_ACCESS_KEY):
        return _resolve_session(runtime, access_key_id, session_token, now, transaction)
    with _reading(runtime, transaction) as tx:
        current = generation(tx)
        cached = runtime.cached_key(access_key_id, current)
        if cached is not None:
            if session_token:
                raise InvalidClientTokenId()  # see below
            resolved: ResolvedKey = cached
            return resolved
        found = tx.access_keys.get_with_user(access_key_id)
    if found is not None and session_token:
        # A long-term key signs without a token; AWS refuses the pair.
        raise InvalidClientTokenId()
    if found is not None:
        key, user = found
        if key.status == "Active" and (user is not None or key.user_id is None):
            secret = runtime.unsealed(key.secret_ciphertext,
                                      access_key_associated_data(key.id)).decode()
            if user is None:  # a key of the root user
                resolved = ResolvedKey(root_caller(key.account_id, key.id), secret)
                runtime.remember_key(access_key_id, current, resolved)
                return resolved
            caller = Caller(account_id=user.account_id, arn=user.arn, kind=IAM_USER,
                            user_id=user.id, access_key_id=key.id, user=user)
            resolved = ResolvedKey(caller, secret)
            runtime.remember_key(access_key_id, current, resolved)
            return resolved
    elif runtime.dev_mode:
        return ResolvedKey(root_caller(runtime.default_account_id, access_key_id), None)
    raise InvalidClientTokenId()


def _resolve_session(runtime: Runtime, access_key_id: str, token: str | None,
                     now: datetime, transaction: Transaction | None) -> ResolvedKey:
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
    with _reading(runtime, transaction) as tx:
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
