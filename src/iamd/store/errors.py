"""What the store raises, so the service layer can tell failures apart.

All of them are `InternalError`s: none reaches a client as such. The service
layer catches the ones that stand for a caller's mistake and answers with the
AWS error that fits (a `Conflict` on a name becomes `EntityAlreadyExists`, an
`IntegrityViolation` on delete usually a `DeleteConflict` it should have
checked for first); the rest are ours.

    StoreError
    ├── Conflict              a unique constraint or primary key was violated
    ├── IntegrityViolation    a foreign key (or NOT NULL / CHECK) was violated
    ├── Contention            lock timeout, deadlock, serialization failure:
    │                         the whole transaction may be retried
    ├── ReadOnlyTransaction   a write inside a read-only transaction
    ├── TransactionAborted    the transaction already failed; leave the block
    ├── InvalidMarker         a pagination marker this store did not hand out
    ├── UnsupportedDatabase   a URL for a database iamd cannot use
    ├── DatabaseUnavailable   the database could not be opened or reached
    └── SchemaTooNew          the database was migrated by a newer iamd
"""

from __future__ import annotations

from iamd.model.errors import InternalError


class StoreError(InternalError):
    """A failure in the persistence layer."""


class Conflict(StoreError):
    """A row would duplicate another on a unique constraint (or primary key).

    `constraint` is the constraint's name in iamd's schema (for example
    ``uq_users_account_id_name_lower``), or None when the database did not
    say which.
    """

    def __init__(self, constraint: str | None, detail: str = "") -> None:
        self.constraint = constraint
        super().__init__(f"unique constraint {constraint or '(unknown)'} violated"
                         + (f": {detail}" if detail else ""))


class IntegrityViolation(StoreError):
    """A row refers to a parent that does not exist, or is still referred to."""


class Contention(StoreError):
    """The transaction lost a race for a lock; running it again may succeed."""


class WouldWait(StoreError):
    """A transaction begun without waiting (`without_waiting`) found SQLite's
    write lock taken: nothing happened; begin it again where waiting is fine."""


class ReadOnlyTransaction(StoreError):
    """A write was attempted in a transaction opened read-only."""


class TransactionAborted(StoreError):
    """The transaction hit an error before; nothing more can run in it."""


class InvalidMarker(StoreError):
    """A pagination marker that was not produced by this listing."""


class UnsupportedDatabase(StoreError):
    """The database URL names an engine or driver iamd does not support."""


class DatabaseUnavailable(StoreError):
    """The database could not be opened or reached."""


class SchemaTooNew(StoreError):
    """The database schema is at a revision this iamd does not know."""

    def __init__(self, revision: str, head: str) -> None:
        self.revision = revision
        self.head = head
        super().__init__(f"database schema revision {revision} is newer than this iamd "
                         f"(knows up to {head}); upgrade iamd")
