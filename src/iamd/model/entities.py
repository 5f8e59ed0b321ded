"""The stored entities of IAM, as plain values every layer can pass around.

These are what the store hands back and what the service layer builds
responses from: accounts, users, groups, roles, managed policies and their
versions, inline policies, access keys and tags. They carry no behaviour and
no validation; the service layer decides what a valid name or path is, the
store keeps what it is given. Timestamps are timezone-aware and in UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")


class PrincipalKind(enum.Enum):
    """An IAM identity that policies attach to and inline policies live in."""

    USER = "user"
    GROUP = "group"
    ROLE = "role"


class ResourceKind(enum.Enum):
    """The IAM resources that can carry tags (groups cannot, as in AWS)."""

    USER = "user"
    ROLE = "role"
    POLICY = "policy"
    INSTANCE_PROFILE = "instance-profile"
    OPENID_CONNECT_PROVIDER = "oidc-provider"
    SAML_PROVIDER = "saml-provider"
    SERVER_CERTIFICATE = "server-certificate"
    MFA_DEVICE = "mfa"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a listing; `marker` is None on the last page."""

    items: tuple[T, ...]
    marker: str | None = None

    @property
    def truncated(self) -> bool:
        return self.marker is not None


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str  # twelve digits
    name: str
    email: str | None
    alias: str | None
    created: datetime


@dataclass(frozen=True, slots=True)
class ConsoleSessionRecord:
    """A console session as stored: `state` is sealed by the master key."""

    id_hash: str  # SHA-256 of the session cookie, hex
    account_id: str
    state: bytes
    created: datetime
    last_seen: datetime
    expires: datetime


@dataclass(frozen=True, slots=True)
class User:
    id: str  # AIDA...
    account_id: str
    path: str
    name: str
    arn: str
    created: datetime
    permissions_boundary_arn: str | None = None
    password_last_used: datetime | None = None


@dataclass(frozen=True, slots=True)
class Group:
    id: str  # AGPA...
    account_id: str
    path: str
    name: str
    arn: str
    created: datetime


@dataclass(frozen=True, slots=True)
class Role:
    id: str  # AROA...
    account_id: str
    path: str
    name: str
    arn: str
    created: datetime
    assume_role_policy_document: str
    description: str | None = None
    max_session_duration: int = 3600
    permissions_boundary_arn: str | None = None
    last_used: datetime | None = None
    last_used_region: str | None = None


@dataclass(frozen=True, slots=True)
class InstanceProfile:
    """A container for one role that EC2-style hosts take their credentials from.

    Its role is not a field: the store keeps the link apart and reads the
    role itself, so a profile never shows a stale copy of it.
    """

    id: str  # AIPA...
    account_id: str
    path: str
    name: str
    arn: str
    created: datetime


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    """A managed policy; AWS managed ones belong to the pseudo-account "aws".

    The two counts are not stored: the store computes them when it reads the
    policy, for the account it was asked on behalf of (AWS reports the use of
    an AWS managed policy within the caller's own account only).
    """

    id: str  # ANPA...
    account_id: str
    path: str
    name: str
    arn: str
    default_version_id: str
    created: datetime
    updated: datetime
    description: str | None = None
    is_attachable: bool = True
    attachment_count: int = 0
    permissions_boundary_usage_count: int = 0


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    policy_id: str
    version_id: str  # "v1", "v2", ... never reused within a policy
    document: str
    is_default: bool
    created: datetime


@dataclass(frozen=True, slots=True)
class AttachedPolicy:
    """A managed policy as seen from a principal it is attached to."""

    policy_id: str
    name: str
    arn: str


@dataclass(frozen=True, slots=True)
class PolicyEntity:
    """A principal as seen from a managed policy attached to it."""

    kind: PrincipalKind
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class InlinePolicy:
    owner_kind: PrincipalKind
    owner_id: str
    name: str
    document: str


@dataclass(frozen=True, slots=True)
class AccessKey:
    id: str  # AKIA...
    user_id: str | None  # None: a key of the account's root user
    account_id: str
    secret_ciphertext: bytes  # sealed by iamd.store.secrets.SecretBox
    status: str  # "Active" | "Inactive"
    created: datetime
    last_used: datetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None


@dataclass(frozen=True, slots=True)
class Tag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class LoginProfile:
    """A user's console password: only its Argon2id hash is ever kept."""

    user_id: str
    password_hash: str  # Argon2id, PHC string format
    password_reset_required: bool
    created: datetime
    password_changed: datetime
    history: tuple[str, ...] = ()  # earlier hashes, newest first, for reuse prevention


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """An account's custom password policy (absent: AWS's default policy applies)."""

    account_id: str
    minimum_password_length: int
    require_symbols: bool
    require_numbers: bool
    require_uppercase_characters: bool
    require_lowercase_characters: bool
    allow_users_to_change_password: bool
    max_password_age: int | None  # days; None: passwords never expire
    password_reuse_prevention: int | None  # how many earlier passwords are refused
    hard_expiry: bool


@dataclass(frozen=True, slots=True)
class ServerCertificate:
    """An SSL/TLS certificate with its private key, sealed by the master key."""

    id: str  # ASCA...
    account_id: str
    path: str
    name: str
    arn: str
    body: str
    chain: str | None
    private_key_ciphertext: bytes  # sealed by iamd.store.secrets.SecretBox
    expiration: datetime
    uploaded: datetime


@dataclass(frozen=True, slots=True)
class SigningCertificate:
    """A user's X.509 signing certificate (public: no secret here)."""

    id: str  # 32 characters of base32, as AWS forms them
    user_id: str
    account_id: str
    body: str
    status: str  # "Active" | "Inactive"
    uploaded: datetime


@dataclass(frozen=True, slots=True)
class SSHPublicKey:
    id: str  # APKA...
    user_id: str
    account_id: str
    body: str  # as uploaded (ssh-rsa or PEM)
    fingerprint: str  # MD5 of the key blob, colon-separated hex
    status: str  # "Active" | "Inactive"
    uploaded: datetime


@dataclass(frozen=True, slots=True)
class ServiceSpecificCredential:
    """A user name and password for one service (CodeCommit, Keyspaces)."""

    id: str  # ACCA...
    user_id: str
    account_id: str
    service_name: str
    service_user_name: str
    password_ciphertext: bytes  # sealed by iamd.store.secrets.SecretBox
    status: str  # "Active" | "Inactive"
    created: datetime


@dataclass(frozen=True, slots=True)
class MfaDevice:
    """A virtual MFA device: its TOTP seed sealed by the master key, and the
    user it is enabled for, if any.

    `last_step` is the last TOTP time step a code was accepted for; it
    survives deactivation, so a code seen once is never good again.
    """

    serial_number: str  # the device's ARN: arn:aws:iam::ACCOUNT:mfa/PATH+NAME
    account_id: str
    path: str
    name: str
    seed_ciphertext: bytes  # sealed by iamd.store.secrets.SecretBox
    created: datetime
    user_id: str | None = None  # set while enabled
    enabled: datetime | None = None
    last_step: int | None = None


@dataclass(frozen=True, slots=True)
class OidcProvider:
    """An OpenID Connect identity provider; its ARN is made from its URL, so the
    URL is unique in the account."""

    arn: str
    account_id: str
    url: str  # as given, scheme included
    client_ids: tuple[str, ...]  # audiences, in the order given
    thumbprints: tuple[str, ...]  # 40 hex digits each, lower case
    created: datetime


@dataclass(frozen=True, slots=True)
class SamlProvider:
    """A SAML 2.0 identity provider, described by the IdP's metadata document."""

    arn: str
    account_id: str
    name: str
    metadata_document: str
    valid_until: datetime | None
    created: datetime
