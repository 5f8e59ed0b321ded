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

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from iamd.store.accounts import SqlAccounts
from iamd.store.activity import SqlServiceActivity
from iamd.store.attachments import SqlAttachments
from iamd.store.audit_events import SqlAuditEvents
from iamd.store.certificates import (
    SqlServerCertificates,
    SqlServiceCredentials,
    SqlSigningCertificates,
    SqlSSHPublicKeys,
)
from iamd.store.console import SqlConsoleSessions, SqlSigninFailures, SqlSpentTokens
from iamd.store.database import Backend, Database, open_database
from iamd.store.groups import SqlGroups
from iamd.store.inline import SqlInlinePolicies
from iamd.store.instance_profiles import SqlInstanceProfiles
from iamd.store.keys import SqlAccessKeys
from iamd.store.memberships import SqlMemberships
from iamd.store.mfa import SqlMfaDevices
from iamd.store.organizations import SqlOrganizations
from iamd.store.passwords import SqlLoginProfiles, SqlPasswordPolicies
from iamd.store.policies import SqlPolicies, SqlPolicyVersions
from iamd.store.providers import SqlOidcProviders, SqlSamlProviders
from iamd.store.roles import SqlRoles
from iamd.store.sealed import SqlSealedValues
from iamd.store.settings import SqlSettings
from iamd.store.tags import SqlTags
from iamd.store.transaction import TransactionCore
from iamd.store.users import SqlUsers

if TYPE_CHECKING:
    from iamd.store import interface


R = TypeVar("R")


class _repository(Generic[R]):
    """A repository made on first use and kept on the transaction: functools'
    cached_property without its lock, which Python 3.11 shares between all
    transactions of all threads."""

    def __init__(self, make: Callable[[SqlTransaction], R]) -> None:
        self._make = make
        self._name = make.__name__

    @overload
    def __get__(self, tx: None, owner: type[Any]) -> _repository[R]: ...
    @overload
    def __get__(self, tx: SqlTransaction, owner: type[Any]) -> R: ...

    def __get__(self, tx: SqlTransaction | None, owner: type[Any]) -> _repository[R] | R:
        if tx is None:
            return self
        value = self._make(tx)
        tx.__dict__[self._name] = value  # found before this descriptor from now on
        return value


class SqlTransaction:
    """The repositories of one open transaction, each made when first used (a
    request touches three or four of the two dozen)."""

    def __init__(self, core: TransactionCore) -> None:
        self._core = core
        self.read_only = core.read_only
        self.committed_hooks: list[Callable[[], None]] = []

    @property
    def changed(self) -> bool:
        """False while no write of this transaction has changed a row."""
        return self._core.changed

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Call `hook` once this transaction has committed (never if it rolls back)."""
        self.committed_hooks.append(hook)

    @_repository
    def accounts(self) -> SqlAccounts:
        return SqlAccounts(self._core)

    @_repository
    def users(self) -> SqlUsers:
        return SqlUsers(self._core)

    @_repository
    def groups(self) -> SqlGroups:
        return SqlGroups(self._core)

    @_repository
    def memberships(self) -> SqlMemberships:
        return SqlMemberships(self._core, self.users, self.groups)

    @_repository
    def roles(self) -> SqlRoles:
        return SqlRoles(self._core)

    @_repository
    def instance_profiles(self) -> SqlInstanceProfiles:
        return SqlInstanceProfiles(self._core, self.roles)

    @_repository
    def policies(self) -> SqlPolicies:
        return SqlPolicies(self._core)

    @_repository
    def policy_versions(self) -> SqlPolicyVersions:
        return SqlPolicyVersions(self._core)

    @_repository
    def attachments(self) -> SqlAttachments:
        return SqlAttachments(self._core)

    @_repository
    def inline_policies(self) -> SqlInlinePolicies:
        return SqlInlinePolicies(self._core)

    @_repository
    def access_keys(self) -> SqlAccessKeys:
        return SqlAccessKeys(self._core)

    @_repository
    def login_profiles(self) -> SqlLoginProfiles:
        return SqlLoginProfiles(self._core)

    @_repository
    def password_policies(self) -> SqlPasswordPolicies:
        return SqlPasswordPolicies(self._core)

    @_repository
    def mfa_devices(self) -> SqlMfaDevices:
        return SqlMfaDevices(self._core)

    @_repository
    def server_certificates(self) -> SqlServerCertificates:
        return SqlServerCertificates(self._core)

    @_repository
    def signing_certificates(self) -> SqlSigningCertificates:
        return SqlSigningCertificates(self._core)

    @_repository
    def ssh_public_keys(self) -> SqlSSHPublicKeys:
        return SqlSSHPublicKeys(self._core)

    @_repository
    def service_credentials(self) -> SqlServiceCredentials:
        return SqlServiceCredentials(self._core)

    @_repository
    def oidc_providers(self) -> SqlOidcProviders:
        return SqlOidcProviders(self._core)

    @_repository
    def saml_providers(self) -> SqlSamlProviders:
        return SqlSamlProviders(self._core)

    @_repository
    def sealed(self) -> SqlSealedValues:
        return SqlSealedValues(self._core)

    @_repository
    def tags(self) -> SqlTags:
        return SqlTags(self._core)

    @_repository
    def settings(self) -> SqlSettings:
        return SqlSettings(self._core)

    @_repository
    def service_activity(self) -> SqlServiceActivity:
        return SqlServiceActivity(self._core)

    @_repository
    def console_sessions(self) -> SqlConsoleSessions:
        return SqlConsoleSessions(self._core)

    @_repository
    def signin_failures(self) -> SqlSigninFailures:
        return SqlSigninFailures(self._core)

    @_repository
    def spent_tokens(self) -> SqlSpentTokens:
        return SqlSpentTokens(self._core)

    @_repository
    def audit_events(self) -> SqlAuditEvents:
        return SqlAuditEvents(self._core)

    @_repository
    def organizations(self) -> SqlOrganizations:
        return SqlOrganizations(self._core)


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
        tx = SqlTransaction(core)
        try:
            yield tx
        except BaseException:
            core.end(commit=False)
            raise
        core.end(commit=True)
        for hook in tx.committed_hooks:
            hook()

    def close(self) -> None:
        self.database.dispose()


def open_store(url: str, *, pool_size: int | None = None) -> SqlStore:
    """Open (and migrate) the database at `url` and return a store on it."""
    return SqlStore(open_database(url, pool_size=pool_size))


if TYPE_CHECKING:
    def _conforms(store: SqlStore) -> interface.Store:
        return store
