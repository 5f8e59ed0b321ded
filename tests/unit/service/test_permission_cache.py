"""The cache of compiled permissions never keeps a decision older than its key.

A request is authenticated in one transaction and runs its operation in
another; anything the cached policy set depends on must be read in the
transaction whose authorization generation keys it, so that a change
committed between the two (on any node) is never cached as current.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from iamd.model.errors import AccessDenied, InvalidClientTokenId
from iamd.service.context import Session
from iamd.service.runtime import Runtime

from .runtimes import authenticated, call, now


def allow(action: str) -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})


def test_a_boundary_set_between_authentication_and_the_operation_is_not_cached_as_stale(
        runtime: Runtime) -> None:
    assert runtime.initial_admin is not None
    admin = authenticated(runtime, runtime.initial_admin.access_key_id)
    call(runtime, admin, "iam", "CreateUser", UserName="bob")
    call(runtime, admin, "iam", "PutUserPolicy", UserName="bob", PolicyName="read",
         PolicyDocument=allow("iam:GetUser"))
    boundary = call(runtime, admin, "iam", "CreatePolicy", PolicyName="only-sts",
                    PolicyDocument=allow("sts:GetCallerIdentity"))["Policy"]["Arn"]
    key = call(runtime, admin, "iam", "CreateAccessKey", UserName="bob")["AccessKey"]["AccessKeyId"]
    assert call(runtime, authenticated(runtime, key), "iam", "GetUser", UserName="bob")

    # Bob's request is authenticated (his user row read, without a boundary)...
    bob = authenticated(runtime, key)
    # ...then, before its operation's transaction begins, a boundary is set.
    call(runtime, admin, "iam", "PutUserPermissionsBoundary", UserName="bob",
         PermissionsBoundary=boundary)
    # The operation's transaction sees the boundary's generation: it must decide,
    # and cache, on the boundary too.
    with pytest.raises(AccessDenied):
        call(runtime, bob, "iam", "GetUser", UserName="bob")
    # And the next request, authenticated afresh, is denied as well.
    with pytest.raises(AccessDenied):
        call(runtime, authenticated(runtime, key), "iam", "GetUser", UserName="bob")


def test_a_boundary_removed_between_authentication_and_the_operation_is_not_cached_as_stale(
        runtime: Runtime) -> None:
    assert runtime.initial_admin is not None
    admin = authenticated(runtime, runtime.initial_admin.access_key_id)
    boundary = call(runtime, admin, "iam", "CreatePolicy", PolicyName="only-sts",
                    PolicyDocument=allow("sts:GetCallerIdentity"))["Policy"]["Arn"]
    call(runtime, admin, "iam", "CreateUser", UserName="carol", PermissionsBoundary=boundary)
    call(runtime, admin, "iam", "PutUserPolicy", UserName="carol", PolicyName="read",
         PolicyDocument=allow("iam:GetUser"))
    key = call(runtime, admin, "iam", "CreateAccessKey",
               UserName="carol")["AccessKey"]["AccessKeyId"]
    carol = authenticated(runtime, key)
    call(runtime, admin, "iam", "DeleteUserPermissionsBoundary", UserName="carol")
    call(runtime, carol, "iam", "GetUser", UserName="carol")
    assert call(runtime, authenticated(runtime, key), "iam", "GetUser", UserName="carol")


def test_two_sessions_without_access_keys_keep_their_own_session_policies(
        runtime: Runtime) -> None:
    # A console session of an IAM user has no access key; two of them with
    # different session policies must not share one compiled set.
    assert runtime.initial_admin is not None
    admin = authenticated(runtime, runtime.initial_admin.access_key_id)
    call(runtime, admin, "iam", "CreateUser", UserName="dave")
    call(runtime, admin, "iam", "PutUserPolicy", UserName="dave", PolicyName="read",
         PolicyDocument=allow("iam:*"))
    key = call(runtime, admin, "iam", "CreateAccessKey", UserName="dave")["AccessKey"]["AccessKeyId"]
    dave = authenticated(runtime, key)
    wide = replace(dave, access_key_id=None,
                   session=Session(policies=(allow("iam:GetUser"),), issued=now()))
    narrow = replace(dave, access_key_id=None,
                     session=Session(policies=(allow("iam:ListUsers"),), issued=now()))
    assert call(runtime, wide, "iam", "GetUser", UserName="dave")
    with pytest.raises(AccessDenied):
        call(runtime, narrow, "iam", "GetUser", UserName="dave")
    assert call(runtime, wide, "iam", "GetUser", UserName="dave")


def test_a_key_deactivated_on_another_node_is_refused_on_the_next_request(
        runtime: Runtime, other_node: Runtime) -> None:
    # Each node caches a key's principal and unsealed secret under the
    # authorization generation; a change made through another node moves it.
    assert runtime.initial_admin is not None
    admin = authenticated(runtime, runtime.initial_admin.access_key_id)
    call(runtime, admin, "iam", "CreateUser", UserName="frank")
    key = call(runtime, admin, "iam", "CreateAccessKey", UserName="frank")["AccessKey"]["AccessKeyId"]
    assert authenticated(runtime, key).arn.endswith(":user/frank")
    assert authenticated(runtime, key).arn.endswith(":user/frank")  # now from the cache
    elsewhere = authenticated(other_node, runtime.initial_admin.access_key_id)
    call(other_node, elsewhere, "iam", "UpdateAccessKey", UserName="frank", AccessKeyId=key,
         Status="Inactive")
    with pytest.raises(InvalidClientTokenId):
        authenticated(runtime, key)
    call(other_node, elsewhere, "iam", "UpdateAccessKey", UserName="frank", AccessKeyId=key,
         Status="Active")
    call(other_node, elsewhere, "iam", "UpdateUser", UserName="frank", NewUserName="francis")
    assert authenticated(runtime, key).arn.endswith(":user/francis")
