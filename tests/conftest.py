"""Fixtures shared by every test: PostgreSQL availability and real iamd servers.

PostgreSQL tests run when IAMD_TEST_POSTGRES_URL is set (CI sets it); with
IAMD_REQUIRE_POSTGRES=1 an unreachable or unset database fails the run
instead of skipping, so CI can never skip them silently.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from iamd.testing import IamdServer

POSTGRES_ENV = "IAMD_TEST_POSTGRES_URL"
SKIP_REASON = f"set {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test) to run the PostgreSQL tests"


def postgres_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("IAMD_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"IAMD_REQUIRE_POSTGRES=1 but {POSTGRES_ENV} is not set")
        return None
    return url


def fresh_postgres_schema(url: str) -> str:
    """A new empty schema; the URL returned points iamd at it."""
    import psycopg

    name = "e2e_" + secrets.token_hex(6)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{name}"


def database_for(backend: str) -> str | None:
    """A server's `--database`: None for SQLite, a fresh PostgreSQL schema's
    URL for "postgresql" (the test skips when none is configured)."""
    if backend != "postgresql":
        return None
    url = postgres_url()
    if url is None:
        pytest.skip(SKIP_REASON)
    return fresh_postgres_schema(url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def iamd_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[IamdServer]:
    """One real `iamd serve` per backend for the whole session; tests use unique names."""
    database = database_for(request.param)
    data_dir: Path = tmp_path_factory.mktemp(f"iamd-{request.param}")
    with IamdServer.start(data_dir, database=database) as server:
        yield server


@pytest.fixture
def iam(iamd_server: IamdServer) -> object:
    return iamd_server.client("iam")


@pytest.fixture
def sts(iamd_server: IamdServer) -> object:
    return iamd_server.client("sts")


@pytest.fixture
def unique() -> object:
    """unique("alice") -> "alice-3f9a1c": names that never collide across tests."""
    return lambda prefix: f"{prefix}-{secrets.token_hex(4)}"
