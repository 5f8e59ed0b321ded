"""A real runtime on each backend, and calls through dispatch as any caller makes them."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from iamd.cli.serve_command import build_runtime, config_from
from iamd.service.authentication import resolve_access_key
from iamd.service.context import Caller, RequestInfo
from iamd.service.dispatch import execute
from iamd.service.runtime import Runtime

POSTGRES_ENV = "IAMD_TEST_POSTGRES_URL"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    """None for SQLite in the test's directory, else a fresh PostgreSQL schema's URL."""
    if request.param == "sqlite":
        yield None
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"set {POSTGRES_ENV} to run the PostgreSQL tests")
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def runtime(database: str | None, tmp_path: Path) -> Iterator[Runtime]:
    built, _ = build_runtime(config_from(str(tmp_path), database, False, None))
    try:
        yield built
    finally:
        built.store.close()


@pytest.fixture
def other_node(runtime: Runtime, database: str | None, tmp_path: Path) -> Iterator[Runtime]:
    """A second iamd node on the same store (and master key), with caches of its own."""
    built, _ = build_runtime(config_from(str(tmp_path), database, False, None))
    try:
        yield built
    finally:
        built.store.close()


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def info() -> RequestInfo:
    return RequestInfo(request_id=secrets.token_hex(8), now=now())


def authenticated(runtime: Runtime, key: str) -> Caller:
    return resolve_access_key(runtime, key, None, now()).caller


def call(runtime: Runtime, caller: Caller, service: str, name: str, **params: Any) -> Any:
    return execute(runtime, caller, info(), service, name, params)


