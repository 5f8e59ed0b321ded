"""Console sessions: who a browser is, kept server-side and sealed.

A session is created by a sign-in (an IAM user's or the root user's
password, then an MFA code when the principal has a device), by the
federation endpoint or by SAML; the browser holds only a random cookie, the
store holds its SHA-256 and the state sealed by the master key (role
credentials included). Every page turns the session back into a `Caller`
(`caller_of`) and runs service operations with it, so the console is
authorized exactly as the API is.

Limits as AWS sets them: an IAM user's session lasts at most 12 hours and
ends after an hour without a request; a role session ends with its
credentials or its console duration, whichever is first. Signing out deletes
the row, on every node at once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from iamd.model.entities import ConsoleSessionRecord
from iamd.model.errors import AwsError
from iamd.service.authentication import resolve_access_key, root_caller
from iamd.service.context import IAM_USER, ROOT, Caller, Session
from iamd.service.runtime import Runtime

USER_SESSION = timedelta(hours=12)
IDLE_LIMIT = timedelta(hours=1)
PENDING_LIMIT = timedelta(minutes=5)  # between the password and the MFA code
# Writing last_seen on every page would turn every read into a write; a
# minute's precision is plenty for a one-hour idle limit.
TOUCH_EVERY = timedelta(minutes=1)

USER = "user"
ROOT_USER = "root"
CREDENTIALS = "credentials"  # a role session: switch role, federation, SAML
PENDING_MFA = "pending-mfa"

_STATE_DATA = b"iamd console session"


def state_associated_data(id_hash: str) -> bytes:
    """What a session's sealed state is bound to: the hash of its cookie."""
    return _STATE_DATA + id_hash.encode()


@dataclass(frozen=True)
class RoleCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: str  # ISO 8601
    role_arn: str = ""
    display_name: str = ""
    color: str = ""


@dataclass(frozen=True)
class ConsoleState:
    """What a console session knows; sealed at rest."""

    kind: str  # USER, ROOT_USER, CREDENTIALS or PENDING_MFA
    account_id: str
    csrf_token: str
    signed_in: str  # ISO 8601
    user_id: str = ""
    mfa_time: str = ""  # ISO 8601 when MFA was checked; "" without MFA
    must_change_password: bool = False
    credentials: RoleCredentials | None = None
    # The identity to go back to after "Switch back" (a user's or root's state).
    base: dict[str, Any] | None = None
    recent_roles: tuple[dict[str, str], ...] = ()
    issuer: str = ""  # federation: where "Sign out" sends the browser

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes | str | dict[str, Any]) -> ConsoleState:
        raw = data if isinstance(data, dict) else json.loads(data)
        creds = raw.get("credentials")
        return cls(**{**raw, "credentials": RoleCredentials(**creds) if creds else None,
                      "recent_roles": tuple(raw.get("recent_roles") or ())})


@dataclass
class ConsoleSession:
    """An open session: its cookie's hash, its state, and when it ends."""

    id_hash: str
    state: ConsoleState
    expires: datetime
    extra: dict[str, Any] = field(default_factory=dict)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _seal(runtime: Runtime, id_hash: str, state: ConsoleState) -> bytes:
    return runtime.secrets.encrypt(state.to_json(), state_associated_data(id_hash))


def new_state(kind: str, account_id: str, now: datetime, **fields: Any) -> ConsoleState:
    return ConsoleState(kind=kind, account_id=account_id, csrf_token=secrets.token_urlsafe(32),
                        signed_in=now.isoformat(), **fields)


def lifetime(state: ConsoleState, now: datetime) -> datetime:
    """When a session of this state must end, counted from `now`."""
    if state.kind == PENDING_MFA:
        return now + PENDING_LIMIT
    if state.credentials is not None:
        return min(now + USER_SESSION, datetime.fromisoformat(state.credentials.expiration))
    return datetime.fromisoformat(state.signed_in) + USER_SESSION


def open_session(runtime: Runtime, state: ConsoleState, now: datetime,
                 expires: datetime | None = None) -> str:
    """Store a new session; returns the cookie value (shown to nobody else)."""
    token = secrets.token_urlsafe(32)
    id_hash = _hash(token)
    record = ConsoleSessionRecord(id_hash=id_hash, account_id=state.account_id,
                                  state=_seal(runtime, id_hash, state), created=now,
                                  last_seen=now, expires=expires or lifetime(state, now))
    with runtime.store.transaction() as tx:
        tx.console_sessions.delete_expired(now)
        tx.console_sessions.insert(record)
    return token


def load_session(runtime: Runtime, token: str | None, now: datetime) -> ConsoleSession | None:
    """The live session of a cookie, or None (unknown, ended, expired or idle)."""
    if not token or len(token) > 128:
        return None
    id_hash = _hash(token)
    with runtime.store.transaction(read_only=True) as tx:
        record = tx.console_sessions.get(id_hash)
    if record is None:
        return None
    if now >= record.expires or now - record.last_seen >= IDLE_LIMIT:
        end_session(runtime, token)
        return None
    state = ConsoleState.from_json(
        runtime.secrets.decrypt(record.state, state_associated_data(id_hash)))
    if now - record.last_seen >= TOUCH_EVERY:
        with runtime.store.transaction() as tx:
            tx.console_sessions.touch(id_hash, now)
    return ConsoleSession(id_hash=id_hash, state=state, expires=record.expires)


def save_state(runtime: Runtime, session: ConsoleSession, state: ConsoleState,
               now: datetime) -> None:
    """Replace a session's state (password changed, role switched, ...)."""
    expires = lifetime(state, now)
    if state.credentials is None and state.kind != PENDING_MFA:
        expires = min(expires, datetime.fromisoformat(state.signed_in) + USER_SESSION)
    with runtime.store.transaction() as tx:
        tx.console_sessions.replace_state(session.id_hash, _seal(runtime, session.id_hash, state),
                                          expires)
    session.state, session.expires = state, expires


def end_session(runtime: Runtime, token: str | None) -> None:
    if not token or len(token) > 128:
        return
    with runtime.store.transaction() as tx:
        tx.console_sessions.delete(_hash(token))


class SessionGone(Exception):
    """The principal behind a session no longer exists or its credentials ended."""


def caller_of(runtime: Runtime, state: ConsoleState, now: datetime) -> Caller:
    """The principal a console session acts as, for service operations.

    A user's or root's session carries `aws:MultiFactorAuthPresent` (and
    MultiFactorAuthAge when MFA was used), as AWS's console sessions do; a
    role session is exactly its credentials' caller.
    """
    if state.credentials is not None:
        try:
            resolved = resolve_access_key(runtime, state.credentials.access_key_id,
                                          state.credentials.session_token, now)
        except AwsError:
            raise SessionGone() from None
        return resolved.caller
    mfa_time = datetime.fromisoformat(state.mfa_time) if state.mfa_time else None
    session = Session(mfa_authenticated=mfa_time is not None,
                      issued=datetime.fromisoformat(state.signed_in), mfa_time=mfa_time)
    if state.kind == ROOT_USER:
        return replace(root_caller(state.account_id), session=session)
    if state.kind != USER:
        raise SessionGone()
    with runtime.store.transaction(read_only=True) as tx:
        user = tx.users.get(state.user_id)
    if user is None:
        raise SessionGone()
    return Caller(account_id=user.account_id, arn=user.arn, kind=IAM_USER, user_id=user.id,
                  user=user, session=session)


def identity_label(caller: Caller, state: ConsoleState) -> str:
    """Who the header says you are: "alice @ 1234...", "Admin @ 1234..." for a role."""
    if state.credentials is not None:
        shown = state.credentials.display_name or caller.arn.rsplit("/", 2)[-2]
        return f"{shown} @ {caller.account_id}"
    if caller.kind == ROOT:
        return f"root @ {caller.account_id}"
    return f"{caller.user.name if caller.user else caller.arn} @ {caller.account_id}"


def constant_time_equal(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())
