"""The statement runner every repository of one transaction shares.

It runs statements on the transaction's connection and turns database errors
into store exceptions (`Conflict`, `IntegrityViolation`, ...). After the first
error the transaction is marked failed and refuses further statements on both
backends alike: PostgreSQL cannot continue an aborted transaction anyway, and
letting SQLite carry on would make the two behave differently. It also holds
the few statement shapes that differ per dialect (insert-or-ignore, upsert)
and the keyset pagination all listings use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, CursorResult, Executable, Select, Table
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

    def __init__(self, database: Database, connection: Connection, *, read_only: bool) -> None:
        self.database = database
        self.read_only = read_only
        self._connection = connection
        self.failure: StoreError | None = None

    def execute(self, statement: Executable,
                parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
                ) -> CursorResult[Any]:
        if self.failure is not None:
            raise TransactionAborted(
                "the transaction already failed; leave the transaction block") from self.failure
        try:
            return self._connection.execute(statement, parameters)
        except DBAPIError as exc:
            self.failure = self.database.translate(exc)
            raise self.failure from exc
        except StatementError as exc:
            # A value the column type refused before anything reached the
            # database (a naive datetime, say): the caller's bug, and the
            # transaction is still intact.
            raise ValueError(str(exc.orig or exc)) from exc

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
