"""The database schema, as SQLAlchemy Core tables portable to SQLite and PostgreSQL.

This is the one description of what iamd stores; the Alembic migrations in
`migrations/versions/` build it step by step and a test checks that migrating
an empty database to head yields exactly these tables. Uniqueness that AWS
promises (names unique per account ignoring case, one inline policy of a name
per principal) is a constraint here, so concurrent writers cannot slip past a
check. Child rows that are part of their parent (policy versions, group
memberships, attachments and inline policies of a principal) go with it by
ON DELETE CASCADE; independent things AWS refuses to delete implicitly (a
user's access keys, a policy that is still attached) are protected by a plain
foreign key, so the database refuses too if the service layer ever forgets.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from iamd.model.entities import PrincipalKind

# Deterministic constraint names: `Conflict.constraint` reports them and
# later migrations must be able to name what they alter.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Alembic's bookkeeping table, named for iamd so that it cannot collide with
# another application's migrations in a shared PostgreSQL schema.
VERSION_TABLE = "iamd_alembic_version"


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone and PostgreSQL answers in the session's zone; this
    makes both hand back the same value. Naive datetimes are refused because
    guessing their zone is how timestamps drift.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def key(length: int) -> TypeEngine[str]:
    """A string that is compared and sorted byte by byte on every backend.

    Listings are ordered by these columns and resumed with `>` on them, so
    both backends must agree on the order: SQLite compares bytes, PostgreSQL
    follows the database's locale unless told to use the "C" collation.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


def _created() -> Column[datetime]:
    return Column("created", UtcDateTime(), nullable=False)


ID = 128  # AWS: unique ids and access key ids are 16-128 characters
ACCOUNT = 12
PATH = 512
ARN = 2048
DESCRIPTION = 1000
REGION = 64

accounts = Table(
    "accounts", metadata,
    Column("account_id", key(ACCOUNT), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("email", String(255)),
    # Globally unique, like AWS account aliases (they form sign-in URLs).
    Column("alias", key(63), unique=True),
    _created(),
    Column("root_password_hash", Text()),  # Argon2id; revision 0004
)

users = Table(
    "users", metadata,
    Column("id", key(ID), primary_key=True),
    Column("account_id", key(ACCOUNT), ForeignKey("accounts.account_id"), nullable=False),
    Column("path", String(PATH), nullable=False),
    Column("name", String(64), nullable=False),
    Column("name_lower", key(64), nullable=False),
    Column("arn", String(ARN), nullable=False),
    _created(),
    Column("permissions_boundary_arn", String(ARN)),
    Column("password_last_used", UtcDateTime()),
    UniqueConstraint("account_id", "name_lower"),
    Index(None, "arn"),
    Index(None, "permissions_boundary_arn"),
)

groups = Table(
    "groups", metadata,
    Column("id", key(ID), primary_key=True),
    Column("account_id", key(ACCOUNT), ForeignKey("accounts.account_id"), nullable=False),
    Column("path", String(PATH), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", key(128), nullable=False),
    Column("arn", String(ARN), nullable=False),
    _created(),
    UniqueConstraint("account_id", "name_lower"),
    Index(None, "arn"),
)

group_members = Table(
    "group_members", metadata,
    Column("group_id", key(ID), ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", key(ID), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    PrimaryKeyConstraint("group_id", "user_id"),
    Index(None, "user_id"),
)

roles = Table(
    "roles", metadata,
    Column("id", key(ID), primary_key=True),
    Column("account_id", key(ACCOUNT), ForeignKey("accounts.account_id"), nullable=False),
    Column("path", String(PATH), nullable=False),
    Column("name", String(64), nullable=False),
    Column("name_lower", key(64), nullable=False),
    Column("arn", String(ARN), nullable=False),
    _created(),
    Column("assume_role_policy_document", Text(), nullable=False),
    Column("description", String(DESCRIPTION)),
    Column("max_session_duration", Integer(), nullable=False),
    Column("permissions_boundary_arn", String(ARN)),
    Column("last_used", UtcDateTime()),
    Column("last_used_region", String(REGION)),
    UniqueConstraint("account_id", "name_lower"),
    Index(None, "arn"),
    Index(None, "permissions_boundary_arn"),
)

# No foreign key on account_id: AWS managed policies live under the
# pseudo-account "aws", which is not a row in `accounts`.
policies = Table(
    "policies", metadata,
    Column("id", key(ID), primary_key=True),
    Column("account_id", key(ACCOUNT), nullable=False),
    Column("path", String(PATH), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", key(128), nullable=False),
    Column("arn", String(ARN), nullable=False, unique=True),
    Column("default_version_id", String(32), nullable=False),
    # The highest version number ever given out: AWS never reuses a
    # version id, even after the newest version was deleted.
    Column("version_counter", Integer(), nullable=False),
    Column("description", String(DESCRIPTION)),
    Column("is_attachable", Boolean(), nullable=False),
    _created(),
    Column("updated", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "name_lower"),
)

policy_versions = Table(
    "policy_versions", metadata,
    Column("policy_id", key(ID), ForeignKey("policies.id", ondelete="CASCADE"), nullable=False),
    Column("version_id", key(32), nullable=False),
    Column("number", Integer(), nullable=False),  # orders versions; "v10" sorts after "v9"
    Column("document", Text(), nullable=False),
    _created(),
    PrimaryKeyConstraint("policy_id", "version_id"),
)


def _attachments(kind: PrincipalKind, parent: Table) -> Table:
    # One table per principal kind, so each row has a real foreign key to
    # its principal (and dies with it) and to its policy (which cannot be
    # deleted while attached).
    return Table(
        f"{kind.value}_policy_attachments", metadata,
        Column("principal_id", key(ID), ForeignKey(parent.c.id, ondelete="CASCADE"),
               nullable=False),
        Column("policy_id", key(ID), ForeignKey(policies.c.id), nullable=False),
        PrimaryKeyConstraint("principal_id", "policy_id"),
        Index(None, "policy_id"),
    )


def _inline_policies(kind: PrincipalKind, parent: Table) -> Table:
    # The primary key on (owner_id, name_lower) makes names unique per
    # principal ignoring case.
    return Table(
        f"{kind.value}_inline_policies", metadata,
        Column("owner_id", key(ID), ForeignKey(parent.c.id, ondelete="CASCADE"), nullable=False),
        Column("name", String(128), nullable=False),
        Column("name_lower", key(128), nullable=False),
        Column("document", Text(), nullable=False),
        PrimaryKeyConstraint("owner_id", "name_lower"),
    )


PRINCIPAL_TABLES: dict[PrincipalKind, Table] = {
    PrincipalKind.USER: users,
    PrincipalKind.GROUP: groups,
    PrincipalKind.ROLE: roles,
}
ATTACHMENT_TABLES: dict[PrincipalKind, Table] = {
    kind: _attachments(kind, table) for kind, table in PRINCIPAL_TABLES.items()
}
INLINE_POLICY_TABLES: dict[PrincipalKind, Table] = {
    kind: _inline_policies(kind, table) for kind, table in PRINCIPAL_TABLES.items()
}

# The foreign key to users has no cascade: AWS refuses DeleteUser while the
# user still has access keys.
access_keys = Table(
    "access_keys", metadata,
    Column("id", key(ID), primary_key=True),
    # NULL: a key of the account's root user (revision 0004).
    Column("user_id", key(ID), ForeignKey("users.id")),
    Column("account_id", key(ACCOUNT), ForeignKey("accounts.account_id"), nullable=False),
    Column("secret_ciphertext", LargeBinary(), nullable=False),
    Column("status", String(16), nullable=False),
    _created(),
    Column("last_used", UtcDateTime()),
    Column("last_used_service", String(128)),
    Column("last_used_region", String(REGION)),
    Index(None, "user_id"),
)

# Tags hang off many kinds of resource, so there is no foreign key; the
# store deletes a resource's tags in the transaction that deletes it.
tags = Table(
    "tags", metadata,
    Column("resource_kind", key(32), nullable=False),
    Column("resource_id", key(ARN), nullable=False),  # an id, or the ARN where there is none
    Column("key", String(128), nullable=False),
    Column("key_lower", key(128), nullable=False),
    Column("value", String(256), nullable=False),
    Column("position", Integer(), nullable=False),  # keeps the order tags were given in
    PrimaryKeyConstraint("resource_kind", "resource_id", "key_lower"),
)

# --- revision 0002: identity providers and instance profiles ----------------

oidc_providers = Table(
    "oidc_providers", metadata,
    Column("arn", key(ARN), primary_key=True),
    Column("account_id", key(ACCOUNT), ForeignKey("accounts.account_id"), nullable=False),
    Column("url", String(255), nullable=False),  # as given, https:// included
    Column("client_ids", Text(), nullable=False),  # JSON list, in the order given
    Column("thumbprints", Text(), nullable=False),  # JSON list of 40-hex SHA-1 fingerprints
    _created(),
    Index(None, "account_id"),
)

saml_providers = Table(
    "saml_providers", metadata,
    Column("arn", key(ARN), primary_key=True),
    Column("account_id", key(ACCOUNT), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", key(128), nullable=False),
    Column("metadata_document", Text(), nullable=False),
    Column("valid_until", UtcDateTime()),
    _created(),
    UniqueConstraint("account_id", "name_lower"),
)

instance_profiles = Table(
    "instance_profiles", metadata,
    Column("id", key(ID), primary_key=True),
    Column("account_id", key(ACCOUNT), ForeignKey("accounts.account_id"), nullable=False),
    Column("path", String(PATH), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", key(128), nullable=False),
    Column("arn", String(ARN), nullable=False),
    _created(),
    UniqueConstraint("account_id", "name_lower"),
    Index(None, "arn"),
)

# A role in a profile blocks DeleteRole (no cascade from roles); deleting the
# profile takes the link with it.
instance_profile_roles = Table(
    "instance_profile_roles", metadata,
    Column("instance_profile_id", key(ID), ForeignKey("instance_profiles.id", ondelete="CASCADE"),
           nullable=False),
    Column("role_id", key(ID), ForeignKey("roles.id"), nullable=False),
    PrimaryKeyConstraint("instance_profile_id", "role_id"),
    Index(None, "role_id"),
)

# --- revision 0003: passwords, MFA, certificates, keys, activity -------------

# Deleting a user is refused while any of these exist (DeleteConflict), so
# none cascades from users.
login_profiles = Table(
    "login_profiles", metadata,
    Column("user_id", key(ID), ForeignKey("users.id"), primary_key=True),
    Column("password_hash", Text(), nullable=False),  # Argon2id
    Column("password_reset_required", Boolean(), nullable=False),
    _created(),
    Column("password_changed", UtcDateTime(), nullable=False),
    Column("history", Text(), nullable=False),  # JSON list of earlier hashes, newest first
)

password_policies = Table(
    "password_policies", metadata,
    Column("account_id", key(ACCOUNT), ForeignKey("accounts.account_id"), primary_key=True),
    Column("minimum_password_length", Integer(), nullable=False),
    Column("require_symbols", Boolean(), nullable=False),
    Column("require_numbers", Boolean(), nullable=False),
    Column("require_uppercase_characters", Boolean(), nullable=False),
    Column("require_lowercase_characters", Boolean(), nullable=False),
    Column("allow_users_to_change_password", Boolean(), nullable=False),
    Column("max_password_age", Integer()),
    Column("password_reuse_prevention", Integer()),
    Column("hard_expiry", Boolean(), nullable=False),
)

mfa_devices = Table(
    "mfa_devices", metadata,
    Column("serial_number", key(ARN), primary_key=True),
    Column("account_id", key(ACCOUNT), ForeignKey("accounts.account_id"), nullable=False),
    Column("path", String(PATH), nullable=False),
    Column("name", String(226), nullable=False),
    Column("name_lower", key(226), nullable=False),
    Column("seed_ciphertext", LargeBinary(), nullable=False),  # sealed by the master key
    Column("user_id", key(ID), ForeignKey("users.id")),  # set while enabled for a user
    Column("enabled", UtcDateTime()),
    Column("last_step", Integer()),  # the last TOTP step accepted: a code is good once
    _created(),
    UniqueConstraint("account_id", "name_lower"),
    Index(None, "user_id"),
)

server_certificates = Table(
    "server_certificates", metadata,
    Column("id", key(ID), primary_key=True),
    Column("account_id", key(ACCOUNT), ForeignKey("accounts.account_id"), nullable=False),
    Column("path", String(PATH), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", key(128), nullable=False),
    Column("arn", String(ARN), nullable=False),
    Column("body", Text(), nullable=False),
    Column("chain", Text()),
    Column("private_key_ciphertext", LargeBinary(), nullable=False),
    Column("expiration", UtcDateTime(), nullable=False),
    Column("uploaded", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "name_lower"),
)

signing_certificates = Table(
    "signing_certificates", metadata,
    Column("id", key(ID), primary_key=True),
    Column("user_id", key(ID), ForeignKey("users.id"), nullable=False),
    Column("account_id", key(ACCOUNT), ForeignKey("accounts.account_id"), nullable=False),
    Column("body", Text(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("uploaded", UtcDateTime(), nullable=False),
    Index(None, "user_id"),
)

ssh_public_keys = Table(
    "ssh_public_keys", metadata,
    Column("id", key(ID), primary_key=True),
    Column("user_id", key(ID), ForeignKey("users.id"), nullable=False),
    Column("account_id", key(ACCOUNT), ForeignKey("accounts.account_id"), nullable=False),
    Column("body", Text(), nullable=False),
    Column("fingerprint", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("uploaded", UtcDateTime(), nullable=False),
    Index(None, "user_id"),
)

service_specific_credentials = Table(
    "service_specific_credentials", metadata,
    Column("id", key(ID), primary_key=True),
    Column("user_id", key(ID), ForeignKey("users.id"), nullable=False),
    Column("account_id", key(ACCOUNT), ForeignKey("accounts.account_id"), nullable=False),
    Column("service_name", String(255), nullable=False),
    Column("service_user_name", String(255), nullable=False),
    Column("password_ciphertext", LargeBinary(), nullable=False),
    Column("status", String(16), nullable=False),
    _created(),
    Index(None, "user_id"),
)

# The last use of each service by each principal (for service last accessed
# reports); written in batches off the request path.
service_activity = Table(
    "service_activity", metadata,
    Column("principal_arn", key(ARN), nullable=False),
    Column("service_namespace", key(64), nullable=False),
    Column("account_id", key(ACCOUNT), nullable=False),
    Column("last_accessed", UtcDateTime(), nullable=False),
    Column("region", String(REGION)),
    Column("action", String(128)),
    PrimaryKeyConstraint("principal_arn", "service_namespace"),
    Index(None, "account_id"),
)

# --- revision 0004: the web console --------------------------------------------

# A console session is found by the SHA-256 of its cookie, so the table never
# holds a usable session id; its state (who, MFA, role credentials) is sealed
# by the master key.
console_sessions = Table(
    "console_sessions", metadata,
    Column("id_hash", key(64), primary_key=True),
    Column("account_id", key(ACCOUNT), nullable=False),
    Column("state", LargeBinary(), nullable=False),
    _created(),
    Column("last_seen", UtcDateTime(), nullable=False),
    Column("expires", UtcDateTime(), nullable=False),
    Index(None, "expires"),
)

# Failed console sign-ins per subject (account and user, or client address),
# shared by every node so throttling holds behind a load balancer.
signin_failures = Table(
    "signin_failures", metadata,
    Column("subject", key(512), primary_key=True),
    Column("failures", Integer(), nullable=False),
    Column("last_failure", UtcDateTime(), nullable=False),
)

# Tokens that work once (federation sign-in tokens): a spent token's hash is
# kept until it would have expired anyway.
spent_tokens = Table(
    "spent_tokens", metadata,
    Column("token_hash", key(64), primary_key=True),
    Column("expires", UtcDateTime(), nullable=False),
)

# --- revision 0005: the audit trail ------------------------------------------

# One row per CloudTrail-shaped event: the record itself as JSON, and beside
# it the attributes LookupEvents filters on, the selective ones indexed
# behind the account and time (every lookup is one account's events, newest
# first). Event ids begin with their time (UUID version 7), so new rows land
# at the end of the primary key and pruning deletes a range of it. Every
# index is paid on every request's event: EventSource and ResourceType (a
# handful of values) are filtered, not indexed.
audit_events = Table(
    "audit_events", metadata,
    Column("event_id", key(36), primary_key=True),
    Column("account_id", key(ACCOUNT), nullable=False),
    Column("event_time", UtcDateTime(), nullable=False),
    Column("event_name", key(128), nullable=False),
    Column("event_source", key(128), nullable=False),
    Column("username", key(256)),
    Column("access_key_id", key(ID)),
    Column("read_only", Boolean(), nullable=False),
    Column("record", Text(), nullable=False),
    Index(None, "account_id", "event_time"),
    Index(None, "account_id", "event_name", "event_time"),
    Index(None, "account_id", "username", "event_time"),
    Index(None, "access_key_id"),
)

# The resources an event names (CloudTrail's Resources list), for the
# ResourceName and ResourceType lookups.
audit_event_resources = Table(
    "audit_event_resources", metadata,
    Column("event_id", key(36), ForeignKey("audit_events.event_id", ondelete="CASCADE"),
           nullable=False),
    Column("resource_type", key(128), nullable=False),
    Column("resource_name", key(ARN), nullable=False),
    PrimaryKeyConstraint("event_id", "resource_type", "resource_name"),
    Index(None, "resource_name"),
)

# --- revision 0006: AWS Organizations -------------------------------------

# An organization is one document (its roots, OUs, member accounts,
# policies, attachments, tags, requests and handshakes as JSON): it changes
# rarely, a change rewrites it under a row lock (so two writers of one
# organization are serialized and every rule is checked against the state it
# changes), and authorization reads it whole, once per authorization
# generation. Which organization an account belongs to is a row of its own,
# so that the database guarantees an account is in one organization at most,
# and a request finds its account's organization by key.
organizations = Table(
    "organizations", metadata,
    Column("organization_id", key(34), primary_key=True),
    Column("management_account_id", key(ACCOUNT), ForeignKey("accounts.account_id"),
           nullable=False, unique=True),
    Column("document", Text(), nullable=False),
    _created(),
)

organization_members = Table(
    "organization_members", metadata,
    Column("account_id", key(ACCOUNT), ForeignKey("accounts.account_id"), primary_key=True),
    Column("organization_id", key(34),
           ForeignKey("organizations.organization_id", ondelete="CASCADE"), nullable=False),
    Index(None, "organization_id"),
)

settings = Table(
    "settings", metadata,
    Column("key", key(255), primary_key=True),
    Column("value", Text(), nullable=False),
)


def unique_constraint_names() -> dict[tuple[str, frozenset[str]], str]:
    """Map (table, columns) to the name of the unique or primary key on them.

    SQLite reports a violated uniqueness only as "UNIQUE constraint failed:
    users.account_id, users.name_lower"; this turns that back into a name.
    """
    found: dict[tuple[str, frozenset[str]], str] = {}
    for table in metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint):
                columns = frozenset(c.name for c in constraint.columns)
                name: Any = constraint.name
                if name is None:
                    continue
                found[(table.name, columns)] = str(name)
    return found
