"""Running operations through dispatch, as every caller (the Query endpoint, the
console) does: a successful call is recorded wherever it came from."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from iamd.cli.serve_command import build_runtime, config_from
from iamd.model.errors import AccessDenied, Throttling
from iamd.service.context import GENERATION_KEY, Session
from iamd.service.runtime import Runtime

from .runtimes import authenticated, call, now


def test_a_call_records_its_access_keys_use_and_the_principals_last_access(
        runtime: Runtime) -> None:
    assert runtime.initial_admin is not None and runtime.usage is not None
    key = runtime.initial_admin.access_key_id
    admin = authenticated(runtime, key)
    call(runtime, admin, "iam", "ListUsers")
    runtime.usage.flush()
    used = call(runtime, admin, "iam", "GetAccessKeyLastUsed", AccessKeyId=key)
    assert used["AccessKeyLastUsed"]["ServiceName"] == "iam"
    with runtime.store.transaction(read_only=True) as tx:
        actions = {a.action for a in tx.service_activity.actions([admin.arn])}
    assert "ListUsers" in actions


def test_a_call_without_an_access_key_records_the_principals_last_access(
        runtime: Runtime) -> None:
    # A console session: the user signed in with a password, no access key.
    assert runtime.initial_admin is not None and runtime.usage is not None
    admin = authenticated(runtime, runtime.initial_admin.access_key_id)
    console = replace(admin, access_key_id=None,
                      session=Session(mfa_authenticated=False, issued=now()))
    call(runtime, console, "iam", "ListGroups")
    runtime.usage.flush()
    with runtime.store.transaction(read_only=True) as tx:
        actions = {a.action for a in tx.service_activity.actions([admin.arn])}
    assert "ListGroups" in actions


def test_a_denied_call_is_not_recorded_as_an_access(runtime: Runtime) -> None:
    assert runtime.initial_admin is not None and runtime.usage is not None
    admin = authenticated(runtime, runtime.initial_admin.access_key_id)
    call(runtime, admin, "iam", "CreateUser", UserName="erin")
    key = call(runtime, admin, "iam", "CreateAccessKey", UserName="erin")["AccessKey"]["AccessKeyId"]
    erin = authenticated(runtime, key)
    with pytest.raises(AccessDenied):
        call(runtime, erin, "iam", "ListUsers")
    runtime.usage.flush()
    with runtime.store.transaction(read_only=True) as tx:
        assert not tx.service_activity.actions([erin.arn])


def generation_of(runtime: Runtime) -> str | None:
    with runtime.store.transaction(read_only=True) as tx:
        return tx.settings.get(GENERATION_KEY)


def test_a_write_that_changes_nothing_leaves_the_generation(runtime: Runtime) -> None:
    # Every node's caches stay valid when a write changed no row.
    assert runtime.initial_admin is not None
    admin = authenticated(runtime, runtime.initial_admin.access_key_id)
    call(runtime, admin, "iam", "CreateUser", UserName="gina")
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    before = generation_of(runtime)
    call(runtime, admin, "iam", "AttachUserPolicy", UserName="gina", PolicyArn=arn)
    attached = generation_of(runtime)
    assert attached != before
    call(runtime, admin, "iam", "AttachUserPolicy", UserName="gina", PolicyArn=arn)
    assert generation_of(runtime) == attached
    call(runtime, admin, "iam", "AddUserToGroup", UserName="gina", GroupName="Administrators")
    joined = generation_of(runtime)
    assert joined != attached
    call(runtime, admin, "iam", "AddUserToGroup", UserName="gina", GroupName="Administrators")
    assert generation_of(runtime) == joined
    call(runtime, admin, "iam", "DetachUserPolicy", UserName="gina", PolicyArn=arn)
    assert generation_of(runtime) != joined


@pytest.mark.postgres
def test_contention_is_retried_then_answered_as_throttling(
        runtime: Runtime, database: str | None, tmp_path: Path) -> None:
    # A write that cannot get a row lock within PostgreSQL's lock timeout is
    # Contention; dispatch retries it (the transaction did nothing) and, when
    # it keeps failing, answers Throttling, as AWS does under load.
    if database is None:
        pytest.skip("PostgreSQL only: SQLite writers queue rather than time out quickly")
    assert runtime.initial_admin is not None
    admin = authenticated(runtime, runtime.initial_admin.access_key_id)
    call(runtime, admin, "iam", "CreateUser", UserName="hank")
    impatient, _ = build_runtime(config_from(str(tmp_path),
                                             f"{database}%20-clock_timeout%3D100", False, None))
    try:
        caller = authenticated(impatient, runtime.initial_admin.access_key_id)
        schema = database.rsplit("%3D", 1)[1]
        base = database.split("?", 1)[0]
        with psycopg.connect(base) as holder:
            holder.execute(f'SELECT 1 FROM "{schema}".users WHERE name = %s FOR UPDATE',
                           ("hank",))
            with pytest.raises(Throttling):
                call(impatient, caller, "iam", "AttachUserPolicy", UserName="hank",
                     PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
            holder.rollback()
        call(impatient, caller, "iam", "AttachUserPolicy", UserName="hank",
             PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    finally:
        impatient.store.close()
