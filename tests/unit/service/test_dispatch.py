"""Running operations through dispatch, as every caller (the Query endpoint, the
console) does: a successful call is recorded wherever it came from."""

from __future__ import annotations

from dataclasses import replace

import pytest

from iamd.model.errors import AccessDenied
from iamd.service.context import Session
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
