"""Who is calling and how: the facts an operation and its authorization need.

`Caller` is the authenticated principal (the auth layer builds it);
`RequestInfo` the facts of the HTTP request (time, source address, TLS,
region); `OperationContext` bundles them with the open store transaction and
the server's settings, and is what every operation receives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from iamd.model.entities import Role, User

if TYPE_CHECKING:
    from iamd.service.runtime import Runtime
    from iamd.store.interface import Transaction


def iso_seconds(moment: datetime) -> str:
    """yyyy-mm-ddThh:mm:ssZ of a time, in UTC: the form of aws:CurrentTime and
    of CloudTrail's times (strftime costs several times this)."""
    s = moment.astimezone(UTC)
    return f"{s.year:04d}-{s.month:02d}-{s.day:02d}T{s.hour:02d}:{s.minute:02d}:{s.second:02d}Z"

# The settings key of the authorization generation: every write that changes
# a row moves it on, so caches of compiled permissions know when they are stale.
GENERATION_KEY = "authz_generation"

ROOT = "root"
IAM_USER = "user"
ASSUMED_ROLE = "assumed-role"
FEDERATED_USER = "federated-user"


@dataclass(frozen=True)
class Session:
    """What a temporary credential carries beyond its principal."""

    policies: tuple[str, ...] = ()  # session policy documents (inline and managed)
    tags: Mapping[str, str] = field(default_factory=dict)
    transitive_tag_keys: tuple[str, ...] = ()
    source_identity: str | None = None
    mfa_authenticated: bool = False
    issued: datetime | None = None
    mfa_time: datetime | None = None  # when MFA was checked, when earlier than `issued`
    expires: datetime | None = None
    chained: bool = False
    federated_provider: str | None = None  # aws:FederatedProvider of a federated role session


@dataclass(frozen=True)
class Caller:
    account_id: str
    arn: str
    kind: str  # ROOT, IAM_USER, ASSUMED_ROLE or FEDERATED_USER
    user_id: str  # aws:userid: account id (root), AIDA... (user), AROA...:session (role)
    access_key_id: str | None = None
    user: User | None = None
    role: Role | None = None
    session: Session | None = None

    @property
    def username(self) -> str | None:
        """aws:username exists for IAM users only (not their federated sessions)."""
        return self.user.name if self.user is not None and self.kind == IAM_USER else None

    @property
    def principal_arn(self) -> str:
        """aws:PrincipalArn: the role for a role session, else the caller's ARN."""
        return self.role.arn if self.role is not None else self.arn


@dataclass(frozen=True)
class RequestInfo:
    request_id: str
    now: datetime
    source_ip: str = "127.0.0.1"
    secure_transport: bool = False
    region: str = "us-east-1"
    user_agent: str = ""
    # The web console's own request: what temporary credentials may call
    # through the API (credential_scope.py) does not limit console sessions.
    console: bool = False


@dataclass
class OperationContext:
    caller: Caller
    info: RequestInfo
    tx: Transaction
    runtime: Runtime
    operation: str = ""
    service: str = "iam"
    extra: dict[str, Any] = field(default_factory=dict)
    lookups: dict[tuple[str, str], Any] = field(default_factory=dict)

    @property
    def account_id(self) -> str:
        return self.caller.account_id

    @property
    def generation(self) -> str:
        """The store's authorization generation, read once per call."""
        key = ("generation", "")
        if key not in self.lookups:
            self.lookups[key] = self.tx.settings.get(GENERATION_KEY) or "0"
        value: str = self.lookups[key]
        return value

    def named(self, repository: str, name: str) -> Any:
        """A user, group or role of this account by name, read once per call
        (authorization asks for the same entity several times).

        In a write it is read locked (FOR UPDATE on PostgreSQL), so that the
        decision rests on the row the operation then changes, not on an
        older one another transaction changed in between; the operation's own
        locked read finds the row this transaction already holds."""
        key = (repository, name.lower())
        if key not in self.lookups:
            found = getattr(self.tx, repository)
            self.lookups[key] = (found.get_by_name(self.account_id, name) if self.tx.read_only
                                 else found.get_by_name(self.account_id, name, for_update=True))
        return self.lookups[key]
