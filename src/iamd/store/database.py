"""Opening a database: engine set-up per backend, schema migration, error mapping.

`open_database(url)` accepts `sqlite:///path` (the embedded default) or
`postgresql://...` (for several iamd nodes sharing one database), configures
the engine so that both behave the same to the layers above, migrates the
schema to the newest revision this iamd knows, and refuses a database that a
newer iamd has already migrated further. SQLite serializes writers: a write
transaction starts with BEGIN IMMEDIATE, so two writers queue on the lock
(busy_timeout) instead of both reading and then deadlocking on the upgrade to
a write lock. SQLite keeps a write-ahead log with synchronous=NORMAL: readers
never wait for the writer, and a commit costs no fsync (a power loss, not a
crash, may lose the last commits; the database stays intact). PostgreSQL
runs at READ COMMITTED and relies on constraints; callers that
check-then-act lock the parent row first (`for_update=True`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Final, Literal

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry

from iamd.store import schema
from iamd.store.errors import (
    Conflict,
    Contention,
    DatabaseUnavailable,
    IntegrityViolation,
    ReadOnlyTransaction,
    SchemaTooNew,
    StoreError,
    UnsupportedDatabase,
)

Backend = Literal["sqlite", "postgresql"]

# Execution option the store sets on a connection before beginning a
# transaction; the SQLite begin hook reads it to choose how to BEGIN.
READ_ONLY_OPTION: Final = "iamd_read_only"

SQLITE_BUSY_TIMEOUT_MS: Final = 15_000
# Any fixed 32-bit number, the same for every iamd; with the schema's name
# it keys the advisory lock under which nodes starting together take turns
# migrating one schema instead of racing to create the same tables.
MIGRATION_LOCK_CLASS: Final = 0x69616D64

MIGRATIONS: Final = "iamd.store:migrations"


@dataclass(frozen=True)
class Database:
    """An engine configured for iamd, and what it is connected to."""

    engine: Engine
    backend: Backend
    revision: str
    # SQLite has one writer at a time. Writers of this process queue here, on
    # a lock that hands over at once, instead of in SQLite's busy handler,
    # which polls with sleeps of up to 100 ms; writers of other processes
    # still meet the busy timeout. Unused on PostgreSQL.
    writer: threading.Lock = field(default_factory=threading.Lock, compare=False)
    # Read-only transactions draw from a pool of their own, its connections
    # read-only for good: on SQLite a connection then keeps its query_only
    # pragma instead of switching it around every write; on PostgreSQL they
    # run in autocommit with default_transaction_read_only, so a read costs
    # no BEGIN and no COMMIT round trip. At READ COMMITTED each statement
    # takes its own snapshot inside a transaction too, so nothing is lost:
    # every read is as new as the generation read before it.
    readers: Engine | None = field(default=None, compare=False)
    # On SQLite each thread reads on a connection of its own, kept for the
    # thread's life (`thread_reader`): a pool checkout and its return cost
    # twice a small read (12 us against 6), on every signed request.
    _thread_readers: threading.local = field(default_factory=threading.local, compare=False)
    _kept_readers: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet, compare=False)

    def acquire_writer(self, *, wait: bool = True) -> bool:
        """Take this process's SQLite writer turn (False: none within the busy
        timeout, or at once when not `wait`)."""
        if not wait:
            return self.writer.acquire(blocking=False)
        return self.writer.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)

    def checkout(self, *, read_only: bool) -> Connection:
        """A pooled connection prepared for one read-only or writing transaction;
        the caller closes it (back to the pool)."""
        return self._engines[read_only].connect()

    def checkout_raw(self) -> Any:
        """A pooled DBAPI connection for one read-only transaction (its reads
        run on the driver); the caller closes it (back to the pool)."""
        return self._engines[True].raw_connection()

    def thread_reader(self) -> sqlite3.Connection | None:
        """SQLite: this thread's own read-only driver connection, opened at
        its first read and kept until the thread ends or the database is
        disposed (never closed by its user). None on PostgreSQL, whose pooled
        connections are checked for life when checked out."""
        if self.backend != "sqlite":
            return None
        found = getattr(self._thread_readers, "connection", None)
        if found is None or not found.is_valid:  # invalid: disposed of since
            found = self._engines[True].raw_connection()
            found.detach()  # the pool neither counts nor resets it any more
            self._thread_readers.connection = found
            self._kept_readers.add(found)
        connection = found.dbapi_connection
        assert isinstance(connection, sqlite3.Connection)
        return connection

    def wrap(self, raw: Any) -> Connection:
        """SQLAlchemy's Connection over a connection `checkout_raw` gave, for
        the statements that need it; closing it closes `raw`."""
        return Connection(self._engines[True], connection=raw)

    @cached_property
    def _engines(self) -> dict[bool, Engine]:
        # The engine with each kind's execution options set once (they share
        # its pool), rather than on every connection.
        engines: dict[bool, Engine] = {}
        for read_only in (False, True):
            options: dict[str, Any] = {READ_ONLY_OPTION: read_only}
            engine = self.readers if read_only and self.readers is not None else self.engine
            if self.backend == "postgresql" and engine is self.engine:
                # A pool-level characteristic: SQLAlchemy sets it on each
                # connection from this engine and resets it when the
                # connection goes back to the pool.
                options["postgresql_readonly"] = read_only
            engines[read_only] = engine.execution_options(**options)
        return engines

    @contextmanager
    def connect(self, *, read_only: bool) -> Iterator[Connection]:
        """A pooled connection prepared for one read-only or writing transaction."""
        with self.checkout(read_only=read_only) as connection:
            yield connection

    def translate(self, exc: DBAPIError) -> StoreError:
        """The store exception for a database error, per backend."""
        return self.translate_driver(exc.orig)

    @property
    def driver_error(self) -> type[Exception]:
        """The base class of the driver's errors (statements run on its cursor)."""
        return psycopg.Error if self.backend == "postgresql" else sqlite3.Error

    def translate_driver(self, orig: BaseException | None) -> StoreError:
        """The store exception for an error the driver raised, per backend."""
        if self.backend == "postgresql":
            return _postgresql_error(orig)
        return _sqlite_error(orig)

    def dispose(self) -> None:
        for kept in list(self._kept_readers):
            connection = kept.dbapi_connection
            kept.invalidate()  # its thread opens another should it read again
            if connection is not None:
                connection.close()
        self.engine.dispose()
        if self.readers is not None:
            self.readers.dispose()


def open_database(url: str, *, pool_size: int | None = None) -> Database:
    """Connect to `url`, migrate its schema to head and return the database."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UnsupportedDatabase("not a database URL") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        engine = _sqlite_engine(parsed, pool_size)
    elif backend in ("postgresql", "postgres"):
        engine = _postgresql_engine(parsed, pool_size)
    else:
        raise UnsupportedDatabase(
            f"unsupported database {backend!r}: use sqlite:///path or postgresql://...")
    database = Database(engine, "sqlite" if backend == "sqlite" else "postgresql", "")
    try:
        revision = _migrate(database)
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseUnavailable(
            f"cannot prepare {parsed.render_as_string(hide_password=True)}: {exc.orig}"
        ) from exc
    except BaseException:
        engine.dispose()
        raise
    readers = (_sqlite_engine(parsed, pool_size, readers=True) if database.backend == "sqlite"
               else _postgresql_engine(parsed, pool_size, readers=True))
    return replace(database, revision=revision, readers=readers)


def migrations_config() -> Config:
    """An Alembic configuration for iamd's packaged migrations; no ini file."""
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return config


def _migrate(database: Database) -> str:
    config = migrations_config()
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    assert head is not None, "iamd ships at least one migration"
    with database.connect(read_only=False) as connection, connection.begin():
        if database.backend == "postgresql":
            # Held until this transaction ends; the schema change commits
            # with it, so the next node sees it done.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:class, hashtext(current_schema()))"),
                {"class": MIGRATION_LOCK_CLASS})
        context = MigrationContext.configure(
            connection, opts={"version_table": schema.VERSION_TABLE})
        current = context.get_current_heads()
        for revision in current:
            try:
                script.get_revision(revision)
            except CommandError:
                raise SchemaTooNew(revision, head) from None
        if current != (head,):
            # env.py runs inside this transaction (Alembic sees it is
            # already begun), so a failed migration leaves nothing behind.
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    return head


def _sqlite_engine(url: URL, pool_size: int | None, *, readers: bool = False) -> Engine:
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        raise UnsupportedDatabase(
            "in-memory SQLite cannot be shared between connections; give a file path")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise DatabaseUnavailable(f"directory for the SQLite database does not exist: {directory}")
    if not os.path.exists(path):
        # The file holds password hashes and sealed secrets: create it
        # private. SQLite gives its -wal and -shm files the same mode.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    engine = create_engine(
        url.set(drivername="sqlite+pysqlite"),
        pool_size=pool_size or 8,
        max_overflow=24,
        pool_timeout=30,
    )
    event.listen(engine, "connect", _sqlite_on_connect)
    if readers:
        event.listen(engine, "connect", _sqlite_reader_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_reader_on_connect(dbapi_connection: sqlite3.Connection,
                              record: ConnectionPoolEntry) -> None:
    # A reader's connection is read-only for good (its transactions begin
    # nothing and read in autocommit; a BEGIN SQLAlchemy may still issue
    # finds the pragma already set).
    dbapi_connection.execute("PRAGMA query_only = 1")
    record.info[_QUERY_ONLY] = True


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
    # Take BEGIN away from the sqlite3 module, which would otherwise start
    # transactions lazily and only for DML; _sqlite_on_begin issues it.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()
        if mode is None or str(mode[0]).lower() != "wal":
            raise DatabaseUnavailable(
                "SQLite could not switch to write-ahead logging; keep the data "
                "directory on a local file system")
        # In WAL mode NORMAL cannot corrupt the database; it only lets the last
        # commits before a power loss (not a crash of iamd) roll back, and
        # spares every commit an fsync of the log (one per checkpoint instead).
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


_QUERY_ONLY: Final = "iamd_query_only"
# An execution option of a writing transaction's connection: BEGIN without
# waiting for another process's writer (transaction.py's `without_waiting`).
NO_WAIT_OPTION: Final = "iamd_no_wait"


def _sqlite_on_begin(connection: Connection) -> None:
    read_only = bool(connection.get_execution_options().get(READ_ONLY_OPTION, False))
    # Straight on the driver: two statements per transaction are not worth
    # SQLAlchemy's execution machinery. Errors leave as SQLAlchemy's own,
    # as they would from exec_driver_sql, so callers translate them alike.
    driver = connection.connection.driver_connection
    assert driver is not None
    statement = "BEGIN" if read_only else "BEGIN IMMEDIATE"
    impatient = not read_only and connection.get_execution_options().get(NO_WAIT_OPTION, False)
    try:
        # A pooled connection may have served the other kind before: set the
        # pragma whenever it changes. `info` lives as long as the DBAPI
        # connection, as the pragma does.
        info = connection.info
        if info.get(_QUERY_ONLY) is not read_only:
            statement = f"PRAGMA query_only = {int(read_only)}"
            driver.execute(statement)
            info[_QUERY_ONLY] = read_only
            statement = "BEGIN" if read_only else "BEGIN IMMEDIATE"
        if impatient:
            # Another process's writer holds the lock: fail at once (SQLITE_BUSY)
            # rather than wait in the busy handler; patient again afterwards.
            driver.execute("PRAGMA busy_timeout = 0")
            try:
                driver.execute(statement)
            finally:
                driver.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        else:
            driver.execute(statement)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc


def _postgresql_engine(url: URL, pool_size: int | None, *, readers: bool = False) -> Engine:
    url = url.set(drivername="postgresql+psycopg")
    connect_args: dict[str, Any] = {}
    if "application_name" not in url.query:
        connect_args["application_name"] = "iamd"
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = 10
    engine = create_engine(
        url,
        isolation_level="AUTOCOMMIT" if readers else "READ COMMITTED",
        pool_size=pool_size or 10,
        max_overflow=20,
        pool_timeout=30,
        pool_recycle=1800,
        connect_args=connect_args,
    )
    # Survive a database restart or failover: a connection that sat idle in
    # the pool is pinged before use, and a dead one replaced. Not on every
    # checkout (SQLAlchemy's pool_pre_ping), which costs a round trip per
    # transaction, most of a short read's time; a connection in steady use
    # meets a restart as a failed statement, as it would after any ping.
    event.listen(engine, "checkout", _ping_when_idle)
    event.listen(engine, "checkin", _note_checkin)
    if readers:
        event.listen(engine, "connect", _read_only_session)
    return engine


def _read_only_session(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    # Every statement of this connection is a read-only transaction: a write
    # on it fails in PostgreSQL whatever iamd's own checks say.
    dbapi_connection.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    dbapi_connection.commit()


# A pooled PostgreSQL connection idle longer than this is pinged before use.
PING_AFTER_IDLE_SECONDS: Final = 5.0
_CHECKED_IN: Final = "iamd_checked_in"


def _note_checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_CHECKED_IN] = time.monotonic()


def _ping_when_idle(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
    since = record.info.get(_CHECKED_IN)
    if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
    except psycopg.Error as exc:
        # The pool drops this connection and checks out (or opens) another.
        raise DisconnectionError(str(exc)) from exc


# SQLSTATE classes and codes, PostgreSQL appendix A.
_PG_CONTENTION = {"40001", "40P01", "55P03", "57014"}


def _translate_postgresql(exc: DBAPIError) -> StoreError:
    return _postgresql_error(exc.orig)


def _postgresql_error(orig: BaseException | None) -> StoreError:
    state = getattr(orig, "sqlstate", None) or ""
    if state == "23505":
        diag = getattr(orig, "diag", None)
        constraint = getattr(diag, "constraint_name", None)
        return Conflict(constraint, str(getattr(diag, "message_detail", "") or ""))
    if state.startswith("23"):
        return IntegrityViolation(str(orig))
    if state in _PG_CONTENTION:
        return Contention(str(orig))
    if state == "25006":
        return ReadOnlyTransaction("write attempted in a read-only transaction")
    if isinstance(orig, psycopg.OperationalError):
        return DatabaseUnavailable(str(orig))
    return StoreError(f"database error {state}: {orig}")


_SQLITE_UNIQUE_PREFIX = "UNIQUE constraint failed: "


def _translate_sqlite(exc: DBAPIError) -> StoreError:
    return _sqlite_error(exc.orig)


def _sqlite_error(orig: BaseException | None) -> StoreError:
    name = str(getattr(orig, "sqlite_errorname", ""))
    message = str(orig)
    if name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY") or (
            message.startswith(_SQLITE_UNIQUE_PREFIX)):
        return Conflict(_sqlite_constraint(message), message)
    if name.startswith("SQLITE_CONSTRAINT"):
        return IntegrityViolation(message)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return Contention(message)
    if name.startswith("SQLITE_READONLY") or "attempt to write a readonly database" in message:
        return ReadOnlyTransaction("write attempted in a read-only transaction")
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CORRUPT")):
        return DatabaseUnavailable(message)
    return StoreError(f"database error {name}: {message}")


_UNIQUE_CONSTRAINTS = schema.unique_constraint_names()


def _sqlite_constraint(message: str) -> str | None:
    # "UNIQUE constraint failed: users.account_id, users.name_lower"
    if not message.startswith(_SQLITE_UNIQUE_PREFIX):
        return None
    table = None
    columns = set()
    for part in message[len(_SQLITE_UNIQUE_PREFIX):].split(","):
        table, _, column = part.strip().partition(".")
        columns.add(column)
    if table is None:
        return None
    return _UNIQUE_CONSTRAINTS.get((table, frozenset(columns)))
