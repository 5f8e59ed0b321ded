"""Schema migrations and opening databases, on every backend."""

from __future__ import annotations

import os
import stat
import threading
from importlib import resources
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, inspect, text

from iamd.store import (
    DatabaseUnavailable,
    SchemaTooNew,
    UnsupportedDatabase,
    open_database,
)
from iamd.store.database import migrations_config
from iamd.store.schema import VERSION_TABLE, metadata

# The newest revision this iamd ships.
HEAD = ScriptDirectory.from_config(migrations_config()).get_current_head()


def test_migrating_an_empty_database_yields_exactly_the_schema(database_url: str) -> None:
    database = open_database(database_url)
    try:
        with database.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"version_table": VERSION_TABLE, "compare_type": True})
            assert compare_metadata(context, metadata) == []
            # The comparison does notice a difference (it is not vacuous).
            changed = MetaData()
            for table in metadata.tables.values():
                table.to_metadata(changed)
            changed.tables["users"].append_column(Column("extra", Integer()))
            assert [d[0] for d in compare_metadata(context, changed)] == ["add_column"]
            # Alembic does not compare collations; ordering depends on them.
            inspector = inspect(connection)
            for table in metadata.tables.values():
                reflected = {c["name"]: getattr(c["type"], "collation", None)
                             for c in inspector.get_columns(table.name)}
                expected = {c.name: getattr(c.type.dialect_impl(connection.dialect),
                                            "collation", None) for c in table.columns}
                assert reflected == expected, table.name
        assert database.revision == HEAD
    finally:
        database.dispose()


def test_reopening_is_a_no_op(database_url: str) -> None:
    for _ in range(2):
        database = open_database(database_url)
        assert database.revision == HEAD
        database.dispose()


def test_a_newer_schema_revision_is_refused(database_url: str) -> None:
    database = open_database(database_url)
    with database.engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '0042'"))
    database.dispose()
    with pytest.raises(SchemaTooNew) as raised:
        open_database(database_url)
    assert str(raised.value) == (
        f"database schema revision 0042 is newer than this iamd (knows up to {HEAD}); "
        "upgrade iamd")


def test_the_initial_revision_downgrades_cleanly(database_url: str) -> None:
    database = open_database(database_url)
    try:
        with database.engine.begin() as connection:
            config = migrations_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        with database.engine.connect() as connection:
            assert inspect(connection).get_table_names() == [VERSION_TABLE]
    finally:
        database.dispose()
    reopened = open_database(database_url)
    assert reopened.revision == HEAD
    reopened.dispose()


def test_nodes_starting_together_migrate_once(database_url: str) -> None:
    start = threading.Barrier(4)
    results: list[str] = []

    def open_one() -> None:
        start.wait()
        database = open_database(database_url)
        results.append(database.revision)
        database.dispose()

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == [HEAD] * 4


@pytest.mark.parametrize("url", [
    "mysql://localhost/iamd",
    "sqlite://",
    "sqlite:///:memory:",
    "not a url",
])
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedDatabase):
        open_database(url)


def test_sqlite_in_a_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailable, match="does not exist"):
        open_database(f"sqlite:///{tmp_path / 'missing' / 'iamd.db'}")


def test_sqlite_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "iamd.db"
    database = open_database(f"sqlite:///{path}")
    try:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        database.dispose()


def test_migrations_ship_inside_the_package() -> None:
    folder = resources.files("iamd.store") / "migrations"
    for name in ("env.py", "script.py.mako", "versions/0001_initial.py",
                 "versions/0002_providers_and_instance_profiles.py",
                 "versions/0003_credentials_and_activity.py", "versions/0004_console.py",
                 "versions/0005_audit_trail.py", "versions/0006_organizations.py"):
        assert (folder / name).is_file(), name
