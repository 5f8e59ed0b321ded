"""TagUser, UntagUser and ListUserTags through boto3 against a real `iamd serve`."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.testing import IamdServer


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = exc.value.response
    return (str(response["Error"]["Code"]), str(response["Error"]["Message"]),
            int(response["ResponseMetadata"]["HTTPStatusCode"]))


def tags(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in pairs]


def listed(iam: Any, user: str) -> dict[str, str]:
    result = iam.list_user_tags(UserName=user)
    assert result["IsTruncated"] is False and "Marker" not in result
    return {t["Key"]: t["Value"] for t in result["Tags"]}


def test_tag_list_untag(iam: Any, unique: Any) -> None:
    user = unique("tagged")
    iam.create_user(UserName=user, Tags=tags(("team", "core")))
    assert listed(iam, user) == {"team": "core"}
    iam.tag_user(UserName=user, Tags=tags(("cost-center", "41200"), ("empty", "")))
    assert listed(iam, user) == {"team": "core", "cost-center": "41200", "empty": ""}
    # An existing key is overwritten, matched ignoring case: the new spelling wins.
    iam.tag_user(UserName=user.upper(), Tags=tags(("Team", "platform")))
    assert listed(iam, user) == {"Team": "platform", "cost-center": "41200", "empty": ""}
    assert {t["Key"]: t["Value"] for t in iam.get_user(UserName=user)["User"]["Tags"]} == listed(iam, user)

    iam.untag_user(UserName=user, TagKeys=["TEAM", "absent"])  # ignoring case; absent keys are fine
    assert listed(iam, user) == {"cost-center": "41200", "empty": ""}
    iam.untag_user(UserName=user, TagKeys=["cost-center", "empty"])
    assert iam.list_user_tags(UserName=user)["Tags"] == []
    assert "Tags" not in iam.get_user(UserName=user)["User"]


def test_missing_user(iam: Any, unique: Any) -> None:
    missing = unique("ghost")
    expected = ("NoSuchEntity", f"The user with name {missing} cannot be found.", 404)
    calls: list[tuple[Any, dict[str, Any]]] = [
        (iam.tag_user, {"Tags": tags(("k", "v"))}),
        (iam.untag_user, {"TagKeys": ["k"]}),
        (iam.list_user_tags, {}),
    ]
    for call, kwargs in calls:
        with pytest.raises(ClientError) as exc:
            call(UserName=missing, **kwargs)
        assert error_of(exc) == expected


def test_at_most_fifty_tags(iam: Any, unique: Any) -> None:
    user = unique("full")
    iam.create_user(UserName=user)
    fifty = tags(*((f"k{i:02}", str(i)) for i in range(50)))
    iam.tag_user(UserName=user, Tags=fifty[:30])
    iam.tag_user(UserName=user, Tags=fifty[20:])  # overlapping keys count once
    assert len(listed(iam, user)) == 50
    with pytest.raises(ClientError) as exc:
        iam.tag_user(UserName=user, Tags=tags(("K00", "new"), ("one-more", "x")))
    assert error_of(exc) == ("LimitExceeded", "The number of tags has reached the maximum limit.", 409)
    assert listed(iam, user)["k00"] == "0"  # the refused call changed nothing
    iam.tag_user(UserName=user, Tags=tags(("K00", "new")))  # at 50, an existing key may change
    assert listed(iam, user)["K00"] == "new"
    iam.untag_user(UserName=user, TagKeys=["k01"])
    iam.tag_user(UserName=user, Tags=tags(("one-more", "x")))
    assert len(listed(iam, user)) == 50


def test_invalid_tags(iam: Any, unique: Any) -> None:
    user = unique("picky")
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.tag_user(UserName=user, Tags=tags(("Env", "a"), ("env", "b")))
    assert error_of(exc) == (
        "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400)
    with pytest.raises(ClientError) as exc:
        iam.tag_user(UserName=user, Tags=tags(("AWS:owner", "me")))
    assert error_of(exc)[0::2] == ("InvalidInput", 400)
    with pytest.raises(ClientError) as exc:
        iam.tag_user(UserName=user, Tags=tags(("bad#key", "v")))
    assert error_of(exc)[0::2] == ("ValidationError", 400)
    assert iam.list_user_tags(UserName=user)["Tags"] == []


def test_pagination(iam: Any, unique: Any) -> None:
    user = unique("paged")
    iam.create_user(UserName=user)
    # Keys in other scripts, longer than a Marker could spell: the marker must not carry them.
    keys = ["b", "A", "c", "Ü" * 128, "日本" * 64]
    iam.tag_user(UserName=user, Tags=tags(*((k, k[:3]) for k in keys)))
    ordered = sorted(keys, key=str.lower)

    first = iam.list_user_tags(UserName=user, MaxItems=2)
    assert first["IsTruncated"] and [t["Key"] for t in first["Tags"]] == ordered[:2]
    seen = [t["Key"] for t in first["Tags"]]
    marker = first["Marker"]
    while marker:
        page = iam.list_user_tags(UserName=user, MaxItems=2, Marker=marker)
        seen += [t["Key"] for t in page["Tags"]]
        marker = page.get("Marker")
        assert page["IsTruncated"] == (marker is not None)
    assert seen == ordered
    pages = iam.get_paginator("list_user_tags").paginate(UserName=user, PaginationConfig={"PageSize": 1})
    assert [t["Key"] for p in pages for t in p["Tags"]] == ordered

    # A tag removed between pages: the listing resumes where it stood.
    page = iam.list_user_tags(UserName=user, MaxItems=2)
    iam.untag_user(UserName=user, TagKeys=[page["Tags"][-1]["Key"]])
    rest = iam.list_user_tags(UserName=user, Marker=page["Marker"])
    assert [t["Key"] for t in rest["Tags"]] == ordered[2:]

    with pytest.raises(ClientError) as exc:
        iam.list_user_tags(UserName=user, Marker="not-a-marker")
    assert error_of(exc) == ("ValidationError", "Invalid Marker.", 400)


def test_tagging_needs_permission(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    caller, target = unique("caller"), unique("target")
    iam.create_user(UserName=caller)
    iam.create_user(UserName=target)
    key = iam.create_access_key(UserName=caller)["AccessKey"]
    own = iamd_server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    caller_arn = iam.get_user(UserName=caller)["User"]["Arn"]
    with pytest.raises(ClientError) as exc:
        own.tag_user(UserName=target, Tags=tags(("k", "v")))
    assert error_of(exc) == (
        "AccessDenied",
        f"User: {caller_arn} is not authorized to perform: iam:TagUser on resource: user {target} "
        "because no identity-based policy allows the iam:TagUser action", 403)
    calls: list[tuple[Any, dict[str, Any]]] = [(own.untag_user, {"TagKeys": ["k"]}),
                                                (own.list_user_tags, {})]
    for call, kwargs in calls:
        with pytest.raises(ClientError) as exc:
            call(UserName=target, **kwargs)
        assert error_of(exc)[0] == "AccessDenied"
    assert iam.list_user_tags(UserName=target)["Tags"] == []


def test_tag_conditions(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    """aws:TagKeys and aws:RequestTag reach the policy engine for TagUser and UntagUser."""
    caller, target = unique("tagger"), unique("target")
    iam.create_user(UserName=caller)
    iam.create_user(UserName=target, Tags=tags(("cost", "1")))
    policy = """{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:TagUser", "iam:UntagUser"], "Resource": "*",
         "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}},
        {"Effect": "Deny", "Action": "iam:TagUser", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestTag/team": "forbidden"}}}]}"""
    try:
        iam.put_user_policy(UserName=caller, PolicyName="team-tags", PolicyDocument=policy)
    except ClientError as refused:  # skip while iamd lacks the operation
        if refused.response["Error"]["Code"] == "NotImplemented":
            pytest.skip(refused.response["Error"]["Message"])
        raise
    key = iam.create_access_key(UserName=caller)["AccessKey"]
    own = iamd_server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])

    own.tag_user(UserName=target, Tags=tags(("team", "core")))
    calls: list[tuple[Any, dict[str, Any]]] = [
        (own.tag_user, {"Tags": tags(("team", "x"), ("cost", "2"))}),  # a key not allowed
        (own.tag_user, {"Tags": tags(("team", "forbidden"))}),  # a value denied
        (own.untag_user, {"TagKeys": ["cost"]}),
    ]
    for call, kwargs in calls:
        with pytest.raises(ClientError) as exc:
            call(UserName=target, **kwargs)
        assert error_of(exc)[0] == "AccessDenied"
    own.untag_user(UserName=target, TagKeys=["team"])
    assert listed(iam, target) == {"cost": "1"}
