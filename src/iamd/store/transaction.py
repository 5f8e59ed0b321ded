"""The statement runner every repository of one transaction shares.

It owns the transaction's connection, runs statements on it and turns
database errors into store exceptions (`Conflict`, `IntegrityViolation`,
...). After the first error the transaction is marked failed and refuses
further statements on both backends alike: PostgreSQL cannot continue an
aborted transaction anyway, and letting SQLite carry on would make the two
behave differently. It also holds the few statement shapes that differ per
dialect (insert-or-ignore, upsert) and the keyset pagination all listings use.

A read-only transaction begins at its first statement, so a call that reads
nothing (sts:GetCallerIdentity) costs no connection, BEGIN or COMMIT; and it
remembers the rows of the reads built once (`rows`), so the second identical
read in one call (authorization and the operation both look up the user a
request names) is not a second round trip. A read-only transaction cannot
change what it reads; a writing one may, and remembers nothing.

The reads built once are also compiled once per dialect and run on the
driver's cursor directly (`DriverQuery`): SQLAlchemy's execution machinery
(execution context, cache-key lookup, result set set-up) costs several times
the SQLite query itself, on every request's authentication and
authorization. The SQL text, bound-parameter order and column types still
come from SQLAlchemy's compiler, so both backends get the same statement
they would get through `Connection.execute`.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    CursorResult,
    Dialect,
    Executable,
    RootTransaction,
    Select,
    Table,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import KeyedColumnElement

from iamd.model.entities import Page
from iamd.store import markers
from iamd.store.database import NO_WAIT_OPTION, Database
from iamd.store.errors import (
    Contention,
    ReadOnlyTransaction,
    StoreError,
    TransactionAborted,
    WouldWait,
)

T = TypeVar("T")

# Set where a writing transaction must not wait for SQLite's write lock (a
# request answered on the event loop, which serves every other request
# meanwhile): its begin raises WouldWait instead. See `without_waiting`.
_without_waiting: ContextVar[bool] = ContextVar("iamd_without_waiting", default=False)


class without_waiting:  # named as the function it is used as: `with without_waiting():`
    """Writing transactions begun inside raise WouldWait, having done
    nothing, rather than wait for SQLite's write lock (held by another
    thread of this process or another process). No effect on PostgreSQL,
    whose row locks are taken statement by statement. A class, not a
    generator: every request answered on the event loop enters it."""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _without_waiting.set(True)

    def __exit__(self, *exc: object) -> None:
        _without_waiting.reset(self._token)


def fold(name: str) -> str:
    """The case-insensitive form of a name, as kept in the *_lower columns."""
    return name.lower()


Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class DriverQuery:
    """A read compiled for one dialect, to run on the DBAPI cursor itself."""

    sql: str
    positional: tuple[str, ...] | None  # parameter names in order; None: named parameters
    bind_processors: tuple[tuple[str, Processor], ...]
    result_processors: tuple[tuple[int, Processor], ...]
    row: Callable[..., Any]

    @classmethod
    def compile(cls, statement: Select[Any], dialect: Dialect) -> DriverQuery:
        compiled = statement.compile(dialect=dialect)
        binds = tuple(
            (name, processor) for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None)
        columns = list(statement.selected_columns)
        results = tuple(
            (index, processor) for index, column in enumerate(columns)
            if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))
            is not None)
        keys = [str(column.key) for column in columns]
        if len(set(keys)) != len(keys) or any(k.startswith("_") for k in keys):
            raise ValueError(f"columns must have distinct public names: {keys}")
        positional = tuple(compiled.positiontup or ()) if compiled.positional else None
        return cls(compiled.string, positional, binds, results, _row_class(tuple(keys)))

    def run(self, cursor: Any, parameters: Mapping[str, Any]) -> list[Any]:
        if self.bind_processors:
            parameters = dict(parameters)
            for name, process in self.bind_processors:
                parameters[name] = process(parameters[name])
        if self.positional is None:
            cursor.execute(self.sql, parameters)
        else:
            cursor.execute(self.sql, tuple(parameters[name] for name in self.positional))
        raw = cursor.fetchall()
        row, processors = self.row, self.result_processors
        if not processors:
            return [row(*values) for values in raw]
        rows = []
        for values in raw:
            values = list(values)
            for index, process in processors:
                values[index] = process(values[index])
            rows.append(row(*values))
        return rows


@dataclass(frozen=True, slots=True)
class DriverWrite:
    """A write (UPDATE, DELETE) compiled for one dialect, to run on the DBAPI cursor."""

    sql: str
    positional: tuple[str, ...] | None
    bind_processors: tuple[tuple[str, Processor], ...]
    constants: tuple[tuple[str, Any], ...]  # the statement's own literal values

    @classmethod
    def compile(cls, statement: UpdateBase, dialect: Dialect) -> DriverWrite:
        compiled = statement.compile(dialect=dialect)
        binds = tuple(
            (name, processor) for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None)
        positional = tuple(compiled.positiontup or ()) if compiled.positional else None
        constants = tuple((name, bind.value) for name, bind in compiled.binds.items()
                          if not bind.required and bind.callable is None
                          and bind.value is not None)
        return cls(compiled.string, positional, binds, constants)

    def run(self, cursor: Any, parameters: Mapping[str, Any]) -> int:
        parameters = {**dict(self.constants), **parameters}
        if self.bind_processors:
            for name, process in self.bind_processors:
                parameters[name] = process(parameters[name])
        if self.positional is None:
            cursor.execute(self.sql, parameters)
        else:
            cursor.execute(self.sql, tuple(parameters[name] for name in self.positional))
        return int(cursor.rowcount)

    def run_many(self, cursor: Any, rows: Sequence[Mapping[str, Any]]) -> int:
        """An INSERT of many rows; how many rows.

        With positional parameters (SQLite) the rows go as INSERTs of many
        VALUES groups each: the driver gives up the GIL around every statement
        it steps, so an executemany of one row a statement made a background
        writer (the audit trail's) take the GIL back from the request loop once
        a row. Named parameters (psycopg) go in one executemany, which psycopg
        pipelines."""
        prepared = []
        for row in rows:
            parameters = {**dict(self.constants), **row}
            for name, process in self.bind_processors:
                parameters[name] = process(parameters[name])
            prepared.append(parameters if self.positional is None
                            else tuple(parameters[name] for name in self.positional))
        if self.positional is None or len(prepared) == 1:
            cursor.executemany(self.sql, prepared)
            return len(prepared)
        head, values, group = _values_groups(self.sql)
        per_statement = max(1, _MAX_PARAMETERS // max(1, len(self.positional)))
        for start in range(0, len(prepared), per_statement):
            chunk = prepared[start:start + per_statement]
            cursor.execute(head + values + ", ".join([group] * len(chunk)),
                           [value for row in chunk for value in row])
        return len(prepared)


# SQLite's historical limit of bound parameters per statement (newer builds allow more).
_MAX_PARAMETERS = 999


def _values_groups(sql: str) -> tuple[str, str, str]:
    """An INSERT's text split into what precedes its VALUES, the keyword, and
    the one group of placeholders that follows it."""
    head, keyword, group = sql.rpartition(" VALUES ")
    if not keyword or not group.startswith("(") or not group.endswith(")"):
        raise ValueError(f"not a single-row INSERT: {sql}")
    return head, keyword, group


def _row_class(keys: tuple[str, ...]) -> Callable[..., Any]:
    """A row with attribute access and `_mapping`, as SQLAlchemy's rows have."""
    base = namedtuple("Row", keys)  # type: ignore[misc]

    class Row(base):
        __slots__ = ()

        @property
        def _mapping(self) -> dict[str, Any]:
            return self._asdict()

    return Row


# Keyed by the statement object itself (a Select hashes and compares by
# identity), so the dict keeps it alive and no other statement can ever meet
# its entry: keying by id() let a statement built per call, once collected,
# hand its address, and so its SQL, to the next one. Reads are meant to be
# built once at module level; should one be built per call, the cache is
# bounded and simply compiles again.
_COMPILED: dict[tuple[Select[Any] | UpdateBase, str], DriverQuery | DriverWrite] = {}
_COMPILED_LIMIT = 1024
_COMPILING = threading.Lock()


def driver_query(statement: Select[Any], dialect: Dialect) -> DriverQuery:
    """The statement (built once, at module level) compiled for the dialect, once."""
    found = _compiled(statement, dialect, DriverQuery.compile)
    assert isinstance(found, DriverQuery)
    return found


def driver_write(statement: UpdateBase, dialect: Dialect) -> DriverWrite:
    """The write (built once, at module level) compiled for the dialect, once."""
    found = _compiled(statement, dialect, DriverWrite.compile)
    assert isinstance(found, DriverWrite)
    return found


def _compiled(statement: Any, dialect: Dialect,
              make: Callable[[Any, Dialect], DriverQuery | DriverWrite]) -> DriverQuery | DriverWrite:
    key = (statement, dialect.name)
    found = _COMPILED.get(key)
    if found is None:
        with _COMPILING:
            found = _COMPILED.get(key)
            if found is None:
                if len(_COMPILED) >= _COMPILED_LIMIT:
                    _COMPILED.clear()
                found = _COMPILED[key] = make(statement, dialect)
    return found


_COUNTS: dict[tuple[Table, str], Select[Any]] = {}


def _count_statement(table: Table, column: str) -> Select[Any]:
    """SELECT count(*) FROM table WHERE column = :value, built once per pair
    (the dict keeps each alive, so it keys the compiled reads safely)."""
    key = (table, column)
    found = _COUNTS.get(key)
    if found is None:
        with _COMPILING:
            found = _COUNTS.get(key)
            if found is None:
                found = _COUNTS[key] = (select(func.count().label("n")).select_from(table)
                                        .where(table.c[column] == bindparam("value")))
    return found


_INSERTS: dict[tuple[Table, tuple[str, ...]], UpdateBase] = {}


def _insert_statement(table: Table, columns: tuple[str, ...]) -> UpdateBase:
    """INSERT INTO table (columns) VALUES (:column, ...), built once per table
    and set of columns (the columns left out keep their defaults)."""
    key = (table, columns)
    found = _INSERTS.get(key)
    if found is None:
        with _COMPILING:
            found = _INSERTS.get(key)
            if found is None:
                found = _INSERTS[key] = table.insert().values(
                    {name: bindparam(name) for name in columns})
    return found


_UPSERTS: dict[tuple[str, Table, tuple[str, ...], tuple[str, ...]], UpdateBase] = {}


def _upsert_statement(backend: str, table: Table, columns: tuple[str, ...],
                      update: tuple[str, ...]) -> UpdateBase:
    """INSERT ... ON CONFLICT (primary key) DO UPDATE SET the `update` columns,
    built once per backend, table and columns."""
    key = (backend, table, columns, update)
    found = _UPSERTS.get(key)
    if found is None:
        with _COMPILING:
            found = _UPSERTS.get(key)
            if found is None:
                dialect: Any = postgresql if backend == "postgresql" else sqlite
                insert = dialect.insert(table).values({name: bindparam(name) for name in columns})
                found = _UPSERTS[key] = insert.on_conflict_do_update(
                    index_elements=[c.name for c in table.primary_key.columns],
                    set_={name: insert.excluded[name] for name in update})
    return found


class TransactionCore:
    """Runs statements for one transaction; shared by its repositories."""

    def __init__(self, database: Database, *, read_only: bool) -> None:
        self.database = database
        self.read_only = read_only
        self._connection: Connection | None = None
        # A read-only transaction's pooled DBAPI connection: its reads run on
        # the driver, and SQLAlchemy's Connection (costly to make and close)
        # is only wrapped around it for a statement that needs it.
        self._raw: Any | None = None
        self._own: Any | None = None  # the driver connection its compiled reads run on
        self._transaction: RootTransaction | None = None
        # Keyed by the statement object (kept alive for the transaction), not its id.
        self._memo: dict[tuple[Select[Any], tuple[tuple[str, Any], ...]], list[Any]] | None = (
            {} if read_only else None)
        self.failure: StoreError | None = None
        self._writer = False  # holds the SQLite writer turn (Database.writer)
        # True once a write statement may have changed a row: one that reported
        # no rows (an INSERT that ignored a duplicate, an UPDATE or DELETE that
        # matched nothing) leaves it False; an unknown count (-1) sets it.
        self.changed = False

    def begin(self) -> Connection:
        """Check a connection out of the pool and begin (at most once).

        On SQLite a writer's BEGIN is BEGIN IMMEDIATE: the write lock is
        taken here, waiting up to the busy timeout."""
        if self._connection is not None:
            return self._connection
        database = self.database
        if self.read_only:
            # SQLAlchemy's Connection over a pooled connection (closing it
            # returns it), never over the thread's own reader.
            self._connection = database.wrap(self._pooled_reader())
            return self._connection
        impatient = database.backend == "sqlite" and _without_waiting.get()
        if database.backend == "sqlite":
            if not database.acquire_writer(wait=not impatient):
                if impatient:
                    raise WouldWait("another writer of this process holds the database")
                raise Contention("another writer of this process held the database too long")
            self._writer = True
        try:
            try:
                connection = database.checkout(read_only=self.read_only)
                if impatient:
                    connection.execution_options(**{NO_WAIT_OPTION: True})
            except DBAPIError as exc:
                raise database.translate(exc) from exc
            # A read-only transaction begins nothing: its connection reads in
            # autocommit, each statement its own snapshot, as every statement
            # at PostgreSQL's READ COMMITTED takes anyway (what iamd caches
            # under a generation only needs to be read after it).
            if not self.read_only:
                try:
                    self._transaction = connection.begin()
                except DBAPIError as exc:
                    connection.close()
                    error = database.translate(exc)
                    if impatient and isinstance(error, Contention):
                        raise WouldWait("another process's writer holds the database") from exc
                    raise error from exc
                except BaseException:
                    connection.close()
                    raise
        except BaseException:
            self._release_writer()
            raise
        self._connection = connection
        return connection

    def _reader(self) -> Any:
        """The driver connection a read-only transaction's compiled reads run
        on: the thread's own on SQLite, else one checked out of the pool. Its
        reads are each their own snapshot either way (autocommit), so they
        need not share a connection with the statements of `begin`."""
        if self._own is None:
            own = self.database.thread_reader()
            self._own = own if own is not None else self._pooled_reader().driver_connection
        return self._own

    def _pooled_reader(self) -> Any:
        """A read-only transaction's pooled DBAPI connection, checked out once."""
        if self._raw is None:
            try:
                self._raw = self.database.checkout_raw()
            except DBAPIError as exc:
                raise self.database.translate(exc) from exc
        return self._raw

    def _release_writer(self) -> None:
        if self._writer:
            self._writer = False
            self.database.writer.release()

    def end(self, *, commit: bool) -> None:
        """Commit (or roll back) and give the connection back to the pool.

        Committing after a failed statement rolls back and raises
        TransactionAborted instead."""
        connection, transaction, raw = self._connection, self._transaction, self._raw
        self._connection = self._transaction = self._raw = self._own = None
        self._memo = None
        if connection is None or transaction is None:
            # A read-only transaction's: nothing to commit, the connection
            # goes back to the pool (closing the wrapper closes it too).
            if connection is not None:
                connection.close()
            elif raw is not None:
                raw.close()
            self._release_writer()
            if commit and self.failure is not None:
                raise TransactionAborted(
                    "transaction block ended normally after a failed statement") from self.failure
            return
        try:
            if not commit:
                # The error that left the block matters, not a failed
                # rollback on a connection that may be gone.
                with suppress(DBAPIError):
                    transaction.rollback()
                return
            if self.failure is not None:
                transaction.rollback()
                raise TransactionAborted(
                    "transaction block ended normally after a failed statement; "
                    "rolled back") from self.failure
            try:
                transaction.commit()
            except DBAPIError as exc:
                raise self.database.translate(exc) from exc
        finally:
            connection.close()
            self._release_writer()

    def execute(self, statement: Executable,
                parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
                ) -> CursorResult[Any]:
        if self.failure is not None:
            raise TransactionAborted(
                "the transaction already failed; leave the transaction block") from self.failure
        connection = self._connection if self._connection is not None else self.begin()
        try:
            result = connection.execute(statement, parameters)
            if not self.changed and isinstance(statement, UpdateBase) and result.rowcount != 0:
                self.changed = True
            return result
        except DBAPIError as exc:
            self.failure = self.database.translate(exc)
            raise self.failure from exc
        except StatementError as exc:
            # A value the column type refused before anything reached the
            # database (a naive datetime, say): the caller's bug, and the
            # transaction is still intact.
            raise ValueError(str(exc.orig or exc)) from exc

    def rows(self, statement: Select[Any], parameters: Mapping[str, Any]) -> Sequence[Any]:
        """Every row of a read built once at module level (the statement object
        keys the compiled form and the memory of a read-only transaction), with its
        bound parameters. Rows have attributes and `_mapping` by column key."""
        memo = self._memo
        if memo is None:
            return self._run(statement, parameters)
        key = (statement, tuple(parameters.items()))
        found = memo.get(key)
        if found is None:
            found = memo[key] = self._run(statement, parameters)
        return found

    def count(self, table: Table, column: str, value: Any) -> int:
        """How many rows of `table` have `column` = `value` (a compiled read,
        not a statement built and compiled per call)."""
        row = self.first(_count_statement(table, column), {"value": value})
        return int(row.n) if row is not None else 0

    def first(self, statement: Select[Any], parameters: Mapping[str, Any]) -> Any | None:
        """The first row of `rows`, or None."""
        found = self.rows(statement, parameters)
        return found[0] if found else None

    def _run(self, statement: Select[Any], parameters: Mapping[str, Any]) -> list[Any]:
        if self.failure is not None:
            raise TransactionAborted(
                "the transaction already failed; leave the transaction block") from self.failure
        database = self.database
        if self.read_only:
            query = driver_query(statement, database.engine.dialect)
            driver = self._reader()
        else:
            connection = self._connection if self._connection is not None else self.begin()
            query = driver_query(statement, connection.dialect)
            driver = connection.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        try:
            return query.run(cursor, parameters)
        except database.driver_error as exc:
            self.failure = database.translate_driver(exc)
            raise self.failure from exc
        finally:
            cursor.close()

    def write(self, statement: UpdateBase, parameters: Mapping[str, Any]) -> int:
        """Run an UPDATE or DELETE built once at module level (its bound
        parameters given here) on the driver's cursor; the rows it changed."""
        return self._write(statement, lambda write, cursor: write.run(cursor, parameters))

    def insert(self, table: Table, values: Mapping[str, Any]) -> None:
        """Insert one row on the driver's cursor (a duplicate key raises Conflict)."""
        self.write(_insert_statement(table, tuple(values)), values)

    def insert_many(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert rows (each with the same columns) in one executemany on the
        driver's cursor: for rows written in bulk, where SQLAlchemy's per-row
        machinery would cost more than the database."""
        if rows:
            self._write(_insert_statement(table, tuple(rows[0])),
                        lambda write, cursor: write.run_many(cursor, rows))

    def _write(self, statement: UpdateBase, run: Callable[[DriverWrite, Any], int]) -> int:
        if self.read_only:
            raise ReadOnlyTransaction("write attempted in a read-only transaction")
        if self.failure is not None:
            raise TransactionAborted(
                "the transaction already failed; leave the transaction block") from self.failure
        connection = self._connection if self._connection is not None else self.begin()
        database = self.database
        write = driver_write(statement, connection.dialect)
        driver = connection.connection.driver_connection
        assert driver is not None
        cursor = driver.cursor()
        try:
            count = run(write, cursor)
            if count != 0:
                self.changed = True
            return count
        except database.driver_error as exc:
            self.failure = database.translate_driver(exc)
            raise self.failure from exc
        finally:
            cursor.close()

    def insert_ignoring_duplicate(self, table: Table, values: Mapping[str, Any]) -> bool:
        """Insert a row unless one with the same primary key exists; True if inserted."""
        dialect = postgresql if self.database.backend == "postgresql" else sqlite
        statement = dialect.insert(table).values(**values).on_conflict_do_nothing(
            index_elements=[c.name for c in table.primary_key.columns])
        # SQLAlchemy only keeps an INSERT's row count when asked to.
        return self.execute(statement.execution_options(preserve_rowcount=True)).rowcount == 1

    def upsert(self, table: Table, values: Mapping[str, Any], update: Sequence[str]) -> None:
        """Insert a row or, if its primary key exists, overwrite the `update` columns."""
        self.write(_upsert_statement(self.database.backend, table, tuple(values), tuple(update)),
                   values)

    def page(self, statement: Select[Any], *, listing: str,
             order: Sequence[KeyedColumnElement[Any]], after: str | None, limit: int,
             convert: Callable[[Any], T]) -> Page[T]:
        """One page of `statement` in `order`, resumed after the marker `after`.

        `order` must be unique per row (end it with an id); the marker holds
        the values of the last row's `order` columns, as strings.
        """
        if limit < 1:
            raise ValueError("page limit must be at least 1")
        if after is not None:
            statement = statement.where(
                markers.after(order, markers.decode(listing, after, len(order))))
        rows = self.execute(statement.order_by(*order).limit(limit + 1)).all()
        marker = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]._mapping
            marker = markers.encode(listing, [str(last[column]) for column in order])
        return Page(tuple(convert(row) for row in rows), marker)
