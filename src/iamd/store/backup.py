"""Copies of a live SQLite store, and putting one back: SQLite's online backup API.

The backup API copies the database page by page under one read
transaction, so the copy is the store as it was at one instant, whatever
iamd writes meanwhile (in WAL mode readers do not block writers, and the
server does not block the copy). Restoring runs the same API the other way
into the store's file, which SQLite then treats as a change of the whole
database: its WAL and shared memory are dealt with by SQLite itself, never
by deleting files beside a database someone may have open.

A copy is written to a private temporary file beside its target, checked
(`PRAGMA quick_check`), synced and only then linked into place, so a crash
leaves either no backup or a whole one, and an existing file is never
overwritten. PostgreSQL stores are not copied here: pg_dump and the
database's own point-in-time recovery do that better.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from iamd.store import schema


class BackupError(Exception):
    """A backup or restore that cannot be done; nothing was changed."""


def sqlite_path(database_url: str) -> Path:
    """The file of a `sqlite:///...` store; BackupError for anything else."""
    try:
        url = make_url(database_url)
    except ArgumentError:
        raise BackupError("not a database URL") from None
    if url.get_backend_name() != "sqlite":
        raise BackupError(
            "iamd backup copies SQLite stores; back up PostgreSQL with pg_dump (or your "
            "database's point-in-time recovery) and keep the master key apart from it")
    if not url.database or url.database == ":memory:":
        raise BackupError("the SQLite store has no file to copy")
    return Path(url.database)


def copy_store(source: Path, target: Path) -> None:
    """A consistent copy of the SQLite database `source` at `target` (which must not exist)."""
    if not source.is_file():
        raise BackupError(f"there is no store at {source}")
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new name")
    if not target.parent.is_dir():
        raise BackupError(f"directory {target.parent} does not exist")
    # Read-only: a backup must not be able to change the store it copies.
    with closing(_connect(f"{source.resolve().as_uri()}?mode=ro")) as origin:
        _copy_into_new_file(origin, target)


def check_backup(path: Path) -> str:
    """The schema revision of the iamd backup at `path`, after SQLite's check of it."""
    if not path.is_file():
        raise BackupError(f"there is no backup at {path}")
    try:
        with closing(_connect(f"{path.resolve().as_uri()}?mode=ro")) as backup:
            verdict = backup.execute("PRAGMA quick_check").fetchone()
            if verdict is None or verdict[0] != "ok":
                raise BackupError(f"{path} is damaged: {verdict[0] if verdict else 'no answer'}")
            row = backup.execute(f"SELECT version_num FROM {schema.VERSION_TABLE}").fetchone()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not an iamd backup: {error}") from None
    if row is None:
        raise BackupError(f"{path} is not an iamd backup: it has no schema revision")
    return str(row[0])


def staged_copy(backup: Path, directory: Path) -> Path:
    """A private working copy of `backup` in `directory`, to check before it is restored."""
    staged = directory / f".restore-{secrets.token_hex(6)}.sqlite3"
    with closing(_connect(f"{backup.resolve().as_uri()}?mode=ro")) as origin:
        _copy_into_new_file(origin, staged)
    return staged


def restore_into(staged: Path, store: Path) -> None:
    """Replace the content of the SQLite database `store` (made if absent) with `staged`'s."""
    if not store.exists():
        os.close(os.open(store, os.O_CREAT | os.O_WRONLY, 0o600))
    with (closing(_connect(f"{staged.resolve().as_uri()}?mode=ro")) as origin,
          closing(_connect(str(store))) as live):
        origin.backup(live)


def remove_staged(staged: Path) -> None:
    for leftover in (staged, Path(f"{staged}-wal"), Path(f"{staged}-shm")):
        leftover.unlink(missing_ok=True)


def _connect(target: str) -> sqlite3.Connection:
    connection = sqlite3.connect(target, uri=target.startswith("file:"), isolation_level=None)
    connection.execute("PRAGMA busy_timeout = 30000")
    return connection


def _copy_into_new_file(origin: sqlite3.Connection, target: Path) -> None:
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    # Created private before SQLite opens it: the copy holds sealed secrets
    # and password hashes, as the store does.
    os.close(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        copy = _connect(str(temporary))
        try:
            origin.backup(copy)
            # A copy of a WAL store is a WAL database; a backup is one file.
            copy.execute("PRAGMA journal_mode = DELETE")
            verdict = copy.execute("PRAGMA quick_check").fetchone()
            if verdict is None or verdict[0] != "ok":
                raise BackupError(f"the copy did not pass SQLite's check: {verdict}")
        finally:
            copy.close()
        with temporary.open("rb") as written:
            os.fsync(written.fileno())
        try:
            os.link(temporary, target)  # fails rather than overwrite a file made meanwhile
        except FileExistsError:
            raise BackupError(f"{target} already exists; choose a new name") from None
    finally:
        temporary.unlink(missing_ok=True)
