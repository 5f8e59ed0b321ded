"""Role credentials for an instance profile: what EC2 hands the applications on a host.

An application that runs with an instance profile holds no secret of its
own: the platform assumes the profile's role for it and serves the
temporary credentials on a local endpoint. Here iamd is that platform. The
session is the profile's role assumed by the service principal
`ec2.amazonaws.com`, so, as in AWS, the role's trust policy alone decides
(a service has no identity policies) and it must trust that service. The
session is named after the instance (`assumed-role/ROLE/i-...`) and sealed
like every STS session token, so any iamd node on the same store verifies
it. `InstanceCredentialSource` keeps one session and renews it when less
than 15 minutes of its hour remain, well before SDKs (which refresh 5 to 15
minutes ahead) would ask again with stale credentials.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from iamd.model.entities import InstanceProfile, Role
from iamd.model.errors import IamdError
from iamd.policy import Context, PolicySet, Principal, Request
from iamd.service import arns, ids
from iamd.service.context import ASSUMED_ROLE, iso_seconds
from iamd.service.runtime import Runtime
from iamd.service.sts.tokens import SessionClaims, seal

log = logging.getLogger("iamd.instance_credentials")

EC2_SERVICE = "ec2.amazonaws.com"
SESSION = timedelta(hours=1)
RENEW_BEFORE = timedelta(minutes=15)
# The sentence EC2's metadata service answers when the role does not trust
# it (quoted from a real instance in aws/aws-cli issue 2060), two spaces and all.
UNTRUSTED = ("EC2 cannot assume the role {role}.  Please see documentation at "
             "http://docs.amazonwebservices.com/IAM/latest/UserGuide/RolesTroubleshooting.html.")

Clock = Callable[[], datetime]


class InstanceCredentialsError(IamdError):
    """Why no credentials can be issued; `code` names it for the endpoint."""

    code = "InstanceCredentialsError"


class InstanceProfileNotFound(InstanceCredentialsError):
    code = "InstanceProfileNotFound"


class NoRoleInProfile(InstanceCredentialsError):
    code = "NoRoleInProfile"


class RoleNotTrusted(InstanceCredentialsError):
    code = "AssumeRoleUnauthorizedAccess"

    def __init__(self, role: Role) -> None:
        super().__init__(UNTRUSTED.format(role=role.name))
        self.role = role


@dataclass(frozen=True)
class InstanceCredentials:
    access_key_id: str
    secret_access_key: str
    token: str
    issued: datetime
    expiration: datetime
    role_name: str
    role_arn: str
    account_id: str
    assumed_role_arn: str


def new_instance_id() -> str:
    """An id in EC2's current form: "i-" and 17 hexadecimal digits."""
    return "i-" + secrets.token_hex(9)[:17]


def _now() -> datetime:
    # AWS reports times to the second; so do the tokens and the endpoint.
    return datetime.now(UTC).replace(microsecond=0)


def profile_and_role(runtime: Runtime, account_id: str,
                     profile_name: str) -> tuple[InstanceProfile, Role | None]:
    """The profile and the role in it now (None: the profile has no role)."""
    with runtime.store.transaction(read_only=True) as tx:
        profile = tx.instance_profiles.get_by_name(account_id, profile_name)
        if profile is None:
            raise InstanceProfileNotFound(
                f"Instance Profile {profile_name} cannot be found in account {account_id}.")
        roles = tx.instance_profiles.roles(profile.id)
    return profile, (roles[0] if roles else None)


def trusts_ec2(role: Role, now: datetime) -> bool:
    """Whether the role's trust policy lets EC2 assume it, as AWS decides for a service."""
    stamp = now.astimezone(UTC)
    context = Context.of({
        "aws:CurrentTime": iso_seconds(stamp),
        "aws:EpochTime": str(int(stamp.timestamp())),
        "aws:PrincipalServiceName": EC2_SERVICE,
        "aws:PrincipalIsAWSService": "true",
    })
    principal = Principal(arn=None, account=None, kind="service", service=EC2_SERVICE)
    decision = PolicySet.compile(resource=role.assume_role_policy_document).decide(
        Request(action="sts:AssumeRole", resource=role.arn, principal=principal,
                context=context, resource_account=role.account_id))
    return decision.allowed


def issue_instance_credentials(runtime: Runtime, account_id: str, profile_name: str,
                               instance_id: str, now: datetime,
                               region: str = "us-east-1") -> InstanceCredentials:
    """A new one-hour session of the profile's role for `instance_id`."""
    with runtime.store.transaction() as tx:
        profile = tx.instance_profiles.get_by_name(account_id, profile_name)
        if profile is None:
            raise InstanceProfileNotFound(
                f"Instance Profile {profile_name} cannot be found in account {account_id}.")
        roles = tx.instance_profiles.roles(profile.id)
        if not roles:
            raise NoRoleInProfile(f"Instance Profile {profile.name} has no role.")
        role = roles[0]
        if not trusts_ec2(role, now):
            raise RoleNotTrusted(role)
        # As for AssumeRole: the role was used, whoever assumed it.
        tx.roles.record_last_used(role.id, now, region)
    arn = f"arn:{arns.PARTITION}:sts::{role.account_id}:assumed-role/{role.name}/{instance_id}"
    expires = now + SESSION
    claims = SessionClaims(
        access_key_id=ids.access_key_id(ids.TEMPORARY_ACCESS_KEY, role.account_id),
        secret_access_key=ids.secret_access_key(), account_id=role.account_id,
        kind=ASSUMED_ROLE, arn=arn, user_id=f"{role.id}:{instance_id}", principal_id=role.id,
        issued=now.isoformat(), expires=expires.isoformat(), session_name=instance_id)
    return InstanceCredentials(
        access_key_id=claims.access_key_id, secret_access_key=claims.secret_access_key,
        token=seal(runtime, claims), issued=now, expiration=expires, role_name=role.name,
        role_arn=role.arn, account_id=role.account_id, assumed_role_arn=arn)


class InstanceCredentialSource:
    """One instance's credentials for one profile, issued once and renewed in time.

    Thread-safe: the endpoint serves requests from a thread pool, and only
    one of them renews. When renewing fails for a passing reason (the
    database is briefly away) while the held session is still valid, that
    session is served on; when the profile, its role or the role's trust
    is gone, the held session is dropped and the error reported, since
    credentials nobody may have any more should not be handed out again.
    """

    def __init__(self, runtime: Runtime, account_id: str, profile_name: str,
                 instance_id: str | None = None, clock: Clock = _now,
                 region: str = "us-east-1") -> None:
        self.runtime = runtime
        self.account_id = account_id
        self.profile_name = profile_name
        self.instance_id = instance_id or new_instance_id()
        self._clock = clock
        self._region = region
        self._lock = threading.Lock()
        self._held: InstanceCredentials | None = None

    def now(self) -> datetime:
        return self._clock()

    def current(self) -> InstanceCredentials:
        with self._lock:
            now = self._clock()
            held = self._held
            if held is not None and held.expiration - now > RENEW_BEFORE:
                return held
            try:
                self._held = issue_instance_credentials(
                    self.runtime, self.account_id, self.profile_name, self.instance_id, now,
                    self._region)
            except InstanceCredentialsError:
                self._held = None
                raise
            except Exception:
                if held is None or held.expiration <= now:
                    raise
                log.warning("renewing credentials for instance profile %s failed; serving the "
                            "current ones until %s", self.profile_name,
                            held.expiration.isoformat(), exc_info=True)
                return held
            return self._held

    def profile(self) -> tuple[InstanceProfile, Role | None]:
        return profile_and_role(self.runtime, self.account_id, self.profile_name)
