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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from typing import Any, TypeVar

from sqlalchemy import Connection, CursorResult, Executable, RootTransaction, Row, Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.elements import KeyedColumnElement

from iamd.model.entities import Page
from iamd.store import markers
from iamd.store.database import Database
from iamd.store.errors import StoreError, TransactionAborted

T = TypeVar("T")


def fold(name: str) -> str:
    """The case-insensitive form of a name, as kept in the *_lower columns."""
    return name.lower()


class TransactionCore:
    """Runs statements for one transaction; shared by its repositories."""

    def __init__(self, database: Database, *, read_only: bool) -> None:
        self.database = database
        self.read_only = read_only
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None
        self._memo: dict[tuple[int, tuple[tuple[str, Any], ...]], Sequence[Row[Any]]] | None = (
            {} if read_only else None)
        self.failure: StoreError | None = None

    def begin(self) -> Connection:
        """Check a connection out of the pool and begin (at most once).

        On SQLite a writer's BEGIN is BEGIN IMMEDIATE: the write lock is
        taken here, waiting up to the busy timeout."""
        if self._connection is not None:
            return self._connection
        database = self.database
        try:
            connection = database.checkout(read_only=self.read_only)
        except DBAPIError as exc:
            raise database.translate(exc) from exc
        try:
            self._transaction = connection.begin()
        except DBAPIError as exc:
            connection.close()
            raise database.translate(exc) from exc
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection

    def end(self, *, commit: bool) -> None:
        """Commit (or roll back) and give the connection back to the pool.

        Committing after a failed statement rolls back and raises
        TransactionAborted instead."""
        connection, transaction = self._connection, self._transaction
        self._connection = self._transaction = None
        self._memo = None
        if connection is None or transaction is None:
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

    def execute(self, statement: Executable,
                parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
                ) -> CursorResult[Any]:
        if self.failure is not None:
            raise TransactionAborted(
                "the transaction already failed; leave the transaction block") from self.failure
        connection = self._connection if self._connection is not None else self.begin()
        try:
            return connection.execute(statement, parameters)
        except DBAPIError as exc:
            self.failure = self.database.translate(exc)
            raise self.failure from exc
        except StatementError as exc:
            # A value the column type refused before anything reached the
            # database (a naive datetime, say): the caller's bug, and the
            # transaction is still intact.
            raise ValueError(str(exc.orig or exc)) from exc

    def rows(self, statement: Select[Any], parameters: Mapping[str, Any]) -> Sequence[Row[Any]]:
        """Every row of a read built once at module level (its identity keys the
        memory of a read-only transaction), with its bound parameters."""
        memo = self._memo
        if memo is None:
            return self.execute(statement, parameters).all()
        key = (id(statement), tuple(parameters.items()))
        found = memo.get(key)
        if found is None:
            found = memo[key] = self.execute(statement, parameters).all()
        return found

    def first(self, statement: Select[Any], parameters: Mapping[str, Any]) -> Row[Any] | None:
        """The first row of `rows`, or None."""
        found = self.rows(statement, parameters)
        return found[0] if found else None

    def insert_ignoring_duplicate(self, table: Table, values: Mapping[str, Any]) -> bool:
        """Insert a row unless one with the same primary key exists; True if inserted."""
        dialect = postgresql if self.database.backend == "postgresql" else sqlite
        statement = dialect.insert(table).values(**values).on_conflict_do_nothing(
            index_elements=[c.name for c in table.primary_key.columns])
        # SQLAlchemy only keeps an INSERT's row count when asked to.
        return self.execute(statement.execution_options(preserve_rowcount=True)).rowcount == 1

    def upsert(self, table: Table, values: Mapping[str, Any], update: Sequence[str]) -> None:
        """Insert a row or, if its primary key exists, overwrite the `update` columns."""
        if self.database.backend == "postgresql":
            pg = postgresql.insert(table).values(**values)
            self.execute(pg.on_conflict_do_update(
                index_elements=[c.name for c in table.primary_key.columns],
                set_={name: pg.excluded[name] for name in update}))
        else:
            lite = sqlite.insert(table).values(**values)
            self.execute(lite.on_conflict_do_update(
                index_elements=[c.name for c in table.primary_key.columns],
                set_={name: lite.excluded[name] for name in update}))

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
