"""Fixtures for the store contract suite: every test runs on each backend.

SQLite runs in a temporary directory. PostgreSQL runs when
IAMD_TEST_POSTGRES_URL names a server; each test gets a fresh schema (set as
the connection's search_path) that is dropped afterwards, so tests neither
see each other's rows nor need a database of their own.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from iamd.model.entities import Account
from iamd.store import SqlStore, open_store

from .factories import ACCOUNT, NOW, OTHER_ACCOUNT

POSTGRES_ENV = "IAMD_TEST_POSTGRES_URL"
POSTGRES_SKIP = "set IAMD_TEST_POSTGRES_URL to run the PostgreSQL store tests"


def _libpq_url(url: str) -> str:
    # psycopg takes the URL libpq-style; SQLAlchemy's driver suffix is not.
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'iamd.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(POSTGRES_SKIP)
    schema_name = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(_libpq_url(base), autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema_name}"')
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema_name}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq_url(base), autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema_name}" CASCADE')


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    opened = open_store(database_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def account(store: SqlStore) -> str:
    """Two accounts exist; the test works in the first."""
    with store.transaction() as tx:
        tx.accounts.insert(Account(ACCOUNT, "main", "main@example.com", None, NOW))
        tx.accounts.insert(Account(OTHER_ACCOUNT, "other", None, None, NOW))
    return ACCOUNT
