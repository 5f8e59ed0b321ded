"""How driver errors become store errors, for the cases hard to provoke for real."""

from __future__ import annotations

import sqlite3

import psycopg.errors
import pytest
from sqlalchemy.exc import DBAPIError

from iamd.store import (
    Conflict,
    Contention,
    DatabaseUnavailable,
    IntegrityViolation,
    ReadOnlyTransaction,
    StoreError,
)
from iamd.store.database import _translate_postgresql, _translate_sqlite


def wrap(orig: Exception) -> DBAPIError:
    return DBAPIError("SELECT 1", {}, orig)


def sqlite_error(cls: type[sqlite3.Error], message: str, name: str) -> sqlite3.Error:
    error = cls(message)
    error.sqlite_errorname = name  # set by the sqlite3 module on real errors
    return error


@pytest.mark.parametrize(("error", "expected"), [
    (sqlite_error(sqlite3.IntegrityError, "UNIQUE constraint failed: users.account_id, "
                  "users.name_lower", "SQLITE_CONSTRAINT_UNIQUE"), Conflict),
    (sqlite_error(sqlite3.IntegrityError, "FOREIGN KEY constraint failed",
                  "SQLITE_CONSTRAINT_FOREIGNKEY"), IntegrityViolation),
    (sqlite_error(sqlite3.OperationalError, "database is locked", "SQLITE_BUSY"), Contention),
    (sqlite_error(sqlite3.OperationalError, "attempt to write a readonly database",
                  "SQLITE_READONLY"), ReadOnlyTransaction),
    (sqlite_error(sqlite3.OperationalError, "disk I/O error", "SQLITE_IOERR"),
     DatabaseUnavailable),
    (sqlite_error(sqlite3.OperationalError, "something else", "SQLITE_ERROR"), StoreError),
])
def test_sqlite(error: sqlite3.Error, expected: type[StoreError]) -> None:
    assert type(_translate_sqlite(wrap(error))) is expected


def test_sqlite_names_the_unique_constraint() -> None:
    error = sqlite_error(sqlite3.IntegrityError, "UNIQUE constraint failed: users.account_id, "
                         "users.name_lower", "SQLITE_CONSTRAINT_UNIQUE")
    translated = _translate_sqlite(wrap(error))
    assert isinstance(translated, Conflict)
    assert translated.constraint == "uq_users_account_id_name_lower"


@pytest.mark.parametrize(("error", "expected"), [
    (psycopg.errors.UniqueViolation("duplicate"), Conflict),
    (psycopg.errors.ForeignKeyViolation("missing parent"), IntegrityViolation),
    (psycopg.errors.NotNullViolation("null"), IntegrityViolation),
    (psycopg.errors.DeadlockDetected("deadlock"), Contention),
    (psycopg.errors.SerializationFailure("serialization"), Contention),
    (psycopg.errors.LockNotAvailable("lock timeout"), Contention),
    (psycopg.errors.ReadOnlySqlTransaction("read only"), ReadOnlyTransaction),
    (psycopg.OperationalError("connection refused"), DatabaseUnavailable),
    (psycopg.errors.SyntaxError("oops"), StoreError),
])
def test_postgresql(error: Exception, expected: type[StoreError]) -> None:
    assert type(_translate_postgresql(wrap(error))) is expected
