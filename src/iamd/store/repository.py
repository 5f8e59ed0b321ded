"""The SQL store: transactions over SQLite or PostgreSQL and the repositories in them.

`SqlStore(open_database(url))` is the implementation of `interface.Store`.
Each `with store.transaction() as tx:` block is one database transaction; the
repositories hang off `tx` (`tx.users`, `tx.policies`, ...). The block
commits when it ends normally and rolls back when an exception leaves it. A
statement that fails (a `Conflict`, say) poisons the transaction on both
backends: catch the error to choose the AWS error to raise, but leave the
block by raising; leaving it normally after a failure raises
`TransactionAborted` and rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from iamd.store.accounts import SqlAccounts
from iamd.store.activity import SqlServiceActivity
from iamd.store.attachments import SqlAttachments
from iamd.store.certificates import (
    SqlServerCertificates,
    SqlServiceCredentials,
    SqlSigningCertificates,
    SqlSSHPublicKeys,
)
from iamd.store.database import Backend, Database, open_database
from iamd.store.groups import SqlGroups
from iamd.store.inline import SqlInlinePolicies
from iamd.store.instance_profiles import SqlInstanceProfiles
from iamd.store.keys import SqlAccessKeys
from iamd.store.memberships import SqlMemberships
from iamd.store.mfa import SqlMfaDevices
from iamd.store.passwords import SqlLoginProfiles, SqlPasswordPolicies
from iamd.store.policies import SqlPolicies, SqlPolicyVersions
from iamd.store.providers import SqlOidcProviders, SqlSamlProviders
from iamd.store.roles import SqlRoles
from iamd.store.settings import SqlSettings
from iamd.store.tags import SqlTags
from iamd.store.transaction import TransactionCore
from iamd.store.users import SqlUsers

if TYPE_CHECKING:
    from iamd.store import interface


class SqlTransaction:
    """The repositories of one open transaction."""

    def __init__(self, core: TransactionCore) -> None:
        self._core = core
        self.read_only = core.read_only
        self.accounts = SqlAccounts(core)
        self.users = SqlUsers(core)
        self.groups = SqlGroups(core)
        self.memberships = SqlMemberships(core, self.users, self.groups)
        self.roles = SqlRoles(core)
        self.instance_profiles = SqlInstanceProfiles(core, self.roles)
        self.policies = SqlPolicies(core)
        self.policy_versions = SqlPolicyVersions(core)
        self.attachments = SqlAttachments(core)
        self.inline_policies = SqlInlinePolicies(core)
        self.access_keys = SqlAccessKeys(core)
        self.login_profiles = SqlLoginProfiles(core)
        self.password_policies = SqlPasswordPolicies(core)
        self.mfa_devices = SqlMfaDevices(core)
        self.server_certificates = SqlServerCertificates(core)
        self.signing_certificates = SqlSigningCertificates(core)
        self.ssh_public_keys = SqlSSHPublicKeys(core)
        self.service_credentials = SqlServiceCredentials(core)
        self.oidc_providers = SqlOidcProviders(core)
        self.saml_providers = SqlSamlProviders(core)
        self.tags = SqlTags(core)
        self.settings = SqlSettings(core)
        self.service_activity = SqlServiceActivity(core)


class SqlStore:
    """iamd's store on a SQL database (SQLite or PostgreSQL)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @property
    def backend(self) -> Backend:
        return self.database.backend

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[SqlTransaction]:
        """One database transaction; read-only ones refuse writes on both backends.

        A writing transaction begins here (on SQLite, BEGIN IMMEDIATE takes
        the write lock, waiting up to the busy timeout); a read-only one at
        its first statement, and not at all if it reads nothing."""
        core = TransactionCore(self.database, read_only=read_only)
        if not read_only:
            core.begin()
        try:
            yield SqlTransaction(core)
        except BaseException:
            core.end(commit=False)
            raise
        core.end(commit=True)

    def close(self) -> None:
        self.database.dispose()


def open_store(url: str, *, pool_size: int | None = None) -> SqlStore:
    """Open (and migrate) the database at `url` and return a store on it."""
    return SqlStore(open_database(url, pool_size=pool_size))


if TYPE_CHECKING:
    def _conforms(store: SqlStore) -> interface.Store:
        return store
