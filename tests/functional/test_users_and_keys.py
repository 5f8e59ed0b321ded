"""Users and access keys through boto3 against a real `iamd serve`."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.testing import IamdServer


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_create_get_list_delete_user(iam: Any, unique: Any) -> None:
    name = unique("alice")
    created = iam.create_user(UserName=name, Path="/eng/", Tags=[{"Key": "team", "Value": "core"}])["User"]
    assert created["UserId"].startswith("AIDA") and len(created["UserId"]) == 21
    assert created["Arn"].endswith(f":user/eng/{name}")
    got = iam.get_user(UserName=name.upper())["User"]  # names ignore case
    assert got["UserName"] == name and got["Tags"] == [{"Key": "team", "Value": "core"}]
    listed = [u["UserName"] for u in iam.list_users(PathPrefix="/eng/")["Users"]]
    assert name in listed
    iam.delete_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=name)
    assert error_code(exc) == "NoSuchEntity"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_duplicate_user_ignoring_case(iam: Any, unique: Any) -> None:
    name = unique("dup")
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=name.upper())
    assert error_code(exc) == "EntityAlreadyExists"
    assert exc.value.response["Error"]["Message"] == f"User with name {name.upper()} already exists."


def test_user_with_keys_cannot_be_deleted(iam: Any, unique: Any) -> None:
    name = unique("keyed")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=name)
    assert error_code(exc) == "DeleteConflict"
    iam.create_access_key(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_access_key(UserName=name)
    assert error_code(exc) == "LimitExceeded"
    for meta in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=meta["AccessKeyId"])
    iam.delete_user(UserName=name)


def test_pagination_of_users(iam: Any, unique: Any) -> None:
    path = f"/{unique('page')}/"
    names = sorted(unique("p") for _ in range(5))
    for name in names:
        iam.create_user(UserName=name, Path=path)
    first = iam.list_users(PathPrefix=path, MaxItems=2)
    assert first["IsTruncated"] and len(first["Users"]) == 2
    seen = [u["UserName"] for u in first["Users"]]
    marker = first["Marker"]
    while marker:
        page = iam.list_users(PathPrefix=path, MaxItems=2, Marker=marker)
        seen += [u["UserName"] for u in page["Users"]]
        marker = page.get("Marker")
    assert seen == names
    paginated = [u["UserName"] for p in iam.get_paginator("list_users").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 2}) for u in p["Users"]]
    assert paginated == names


def test_users_own_key_is_denied_without_policy(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    name = unique("nobody")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    own = iamd_server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as exc:
        own.list_users()
    assert error_code(exc) == "AccessDenied"
    arn = iam.get_user(UserName=name)["User"]["Arn"]
    assert exc.value.response["Error"]["Message"] == (
        f"User: {arn} is not authorized to perform: iam:ListUsers on resource: "
        f"arn:aws:iam::{arn.split(':')[4]}:user/ "
        "because no identity-based policy allows the iam:ListUsers action")
    identity = iamd_server.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    assert identity["Arn"] == arn


def test_bad_credentials_are_refused(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iamd_server.client("iam", iamd_server.access_key_id, "x" * 40).list_users()
    assert error_code(exc) == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as exc:
        iamd_server.client("iam", "AKIAIOSFODNN7EXAMPLE", "x" * 40).list_users()
    assert error_code(exc) == "InvalidClientTokenId"
    name = unique("inactive")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as exc:
        iamd_server.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    assert error_code(exc) == "InvalidClientTokenId"


def test_invalid_name_is_a_validation_error(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName="bad name")
    assert error_code(exc) == "ValidationError"
