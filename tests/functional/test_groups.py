"""Groups and group membership through boto3 against a real `iamd serve`.

Expected messages are AWS's, as recorded against AWS in LocalStack's snapshot
tests (tests/aws/services/iam/test_iam_groups.snapshot.json and
test_iam_users.snapshot.json) unless a test says otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.testing import IamdServer


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = exc.value.response
    return (str(response["Error"]["Code"]), str(response["Error"]["Message"]),
            int(response["ResponseMetadata"]["HTTPStatusCode"]))


def no_such_group(name: str) -> tuple[str, str, int]:
    return ("NoSuchEntity", f"The group with name {name} cannot be found.", 404)


def no_such_user(name: str) -> tuple[str, str, int]:
    return ("NoSuchEntity", f"The user with name {name} cannot be found.", 404)


def skip_unless_implemented(call: Any, **kwargs: Any) -> None:
    """Run a call another module provides; skip the test while iamd lacks it."""
    try:
        call(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NotImplemented":
            pytest.skip(exc.response["Error"]["Message"])
        raise


def test_create_get_list_delete_group(iam: Any, unique: Any) -> None:
    name = unique("eng")
    path = f"/{unique('p')}/"
    created = iam.create_group(GroupName=name, Path=path)["Group"]
    assert created["GroupId"].startswith("AGPA") and len(created["GroupId"]) == 21
    assert created["Path"] == path and created["GroupName"] == name
    account = iam.get_user()["User"]["Arn"].split(":")[4]
    assert created["Arn"] == f"arn:aws:iam::{account}:group{path}{name}"
    got = iam.get_group(GroupName=name.upper())  # names ignore case
    assert got["Group"] == created
    assert got["Users"] == [] and got["IsTruncated"] is False and "Marker" not in got
    listed = iam.list_groups(PathPrefix=path)
    assert listed["Groups"] == [created] and listed["IsTruncated"] is False
    default = iam.create_group(GroupName=unique("plain"))["Group"]
    assert default["Path"] == "/" and default["Arn"].endswith(f":group/{default['GroupName']}")
    assert default["GroupName"] in [g["GroupName"] for g in iam.list_groups()["Groups"]]
    iam.delete_group(GroupName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_group(GroupName=name)
    assert error_of(exc) == no_such_group(name)
    assert iam.list_groups(PathPrefix=path)["Groups"] == []


def test_duplicate_group_ignoring_case(iam: Any, unique: Any) -> None:
    name = unique("dup")
    iam.create_group(GroupName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_group(GroupName=name.upper(), Path="/other/")
    assert error_of(exc) == ("EntityAlreadyExists", f"Group with name {name.upper()} already exists.", 409)


def test_missing_group_everywhere(iam: Any, unique: Any) -> None:
    missing = unique("nogroup")
    user = unique("u")
    iam.create_user(UserName=user)
    calls: list[tuple[Any, dict[str, str]]] = [
        (iam.get_group, {}),
        (iam.delete_group, {}),
        (iam.update_group, {"NewGroupName": unique("n")}),
        (iam.add_user_to_group, {"UserName": user}),
        (iam.remove_user_from_group, {"UserName": user}),
    ]
    for call, kwargs in calls:
        with pytest.raises(ClientError) as exc:
            call(GroupName=missing, **kwargs)
        assert error_of(exc) == no_such_group(missing)


def test_missing_user_is_named_before_missing_group(iam: Any, unique: Any) -> None:
    group, missing_user = unique("g"), unique("nouser")
    iam.create_group(GroupName=group)
    for call in (iam.add_user_to_group, iam.remove_user_from_group):
        with pytest.raises(ClientError) as exc:
            call(GroupName=group, UserName=missing_user)
        assert error_of(exc) == no_such_user(missing_user)
    # Both missing: AWS names the user (LocalStack's snapshot of RemoveUserFromGroup).
    with pytest.raises(ClientError) as exc:
        iam.remove_user_from_group(GroupName=unique("nogroup"), UserName=missing_user)
    assert error_of(exc) == no_such_user(missing_user)
    with pytest.raises(ClientError) as exc:
        iam.list_groups_for_user(UserName=missing_user)
    assert error_of(exc) == no_such_user(missing_user)


def test_update_group_name_and_path(iam: Any, unique: Any) -> None:
    old, new, other = unique("old"), unique("new"), unique("other")
    created = iam.create_group(GroupName=old, Path="/a/")["Group"]
    iam.create_group(GroupName=other)
    user = unique("member")
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=old, UserName=user)

    iam.update_group(GroupName=old, NewGroupName=new, NewPath="/b/")
    with pytest.raises(ClientError) as exc:
        iam.get_group(GroupName=old)
    assert error_of(exc) == no_such_group(old)
    got = iam.get_group(GroupName=new)
    assert got["Group"]["GroupId"] == created["GroupId"]
    assert got["Group"]["CreateDate"] == created["CreateDate"]
    assert got["Group"]["Path"] == "/b/"
    assert got["Group"]["Arn"] == created["Arn"].replace(f"group/a/{old}", f"group/b/{new}")
    assert [u["UserName"] for u in got["Users"]] == [user]  # members follow the rename
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [new]

    # Only the path, then only the name (a new spelling of the same name is no conflict).
    iam.update_group(GroupName=new, NewPath="/c/")
    assert iam.get_group(GroupName=new)["Group"]["Arn"].endswith(f":group/c/{new}")
    iam.update_group(GroupName=new, NewGroupName=new.upper())
    assert iam.get_group(GroupName=new)["Group"]["GroupName"] == new.upper()

    with pytest.raises(ClientError) as exc:
        iam.update_group(GroupName=new, NewGroupName=other.upper())
    assert error_of(exc) == ("EntityAlreadyExists", f"Group with name {other.upper()} already exists.", 409)
    assert iam.get_group(GroupName=new)["Group"]["GroupName"] == new.upper()  # nothing changed


def test_membership_shows_in_get_group_and_list_groups_for_user(iam: Any, unique: Any) -> None:
    group, user = unique("team"), unique("alice")
    iam.create_group(GroupName=group)
    created = iam.create_user(UserName=user, Path="/people/", Tags=[{"Key": "k", "Value": "v"}])["User"]
    assert iam.list_groups_for_user(UserName=user) | {"ResponseMetadata": None} == {
        "Groups": [], "IsTruncated": False, "ResponseMetadata": None}

    iam.add_user_to_group(GroupName=group.upper(), UserName=user.upper())
    iam.add_user_to_group(GroupName=group, UserName=user)  # again: a no-op, as in AWS
    members = iam.get_group(GroupName=group)["Users"]
    # Members are listed as ListUsers lists users: no tags.
    assert members == [{key: created[key] for key in ("Path", "UserName", "UserId", "Arn", "CreateDate")}]
    groups = iam.list_groups_for_user(UserName=user)
    assert [g["GroupName"] for g in groups["Groups"]] == [group]
    assert groups["Groups"][0] == iam.get_group(GroupName=group)["Group"]

    iam.remove_user_from_group(GroupName=group, UserName=user)
    assert iam.get_group(GroupName=group)["Users"] == []
    assert iam.list_groups_for_user(UserName=user)["Groups"] == []
    # Removing a user who is not a member succeeds in AWS (LocalStack's
    # snapshot "remove-nonmember-user-from-group", recorded against AWS).
    iam.remove_user_from_group(GroupName=group, UserName=user)


def test_group_with_members_cannot_be_deleted(iam: Any, unique: Any) -> None:
    group, user = unique("busy"), unique("member")
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.delete_group(GroupName=group)
    assert error_of(exc) == ("DeleteConflict", "Cannot delete entity, must remove users from group first.", 409)
    # Nor can the member be deleted while in the group.
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=user)
    assert error_of(exc) == ("DeleteConflict", "Cannot delete entity, must remove users from group first.", 409)
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [user]
    iam.remove_user_from_group(GroupName=group, UserName=user)
    iam.delete_group(GroupName=group)
    iam.delete_user(UserName=user)


def test_group_with_inline_policy_cannot_be_deleted(iam: Any, unique: Any) -> None:
    group = unique("inline")
    iam.create_group(GroupName=group)
    document = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}'
    skip_unless_implemented(iam.put_group_policy, GroupName=group, PolicyName="p", PolicyDocument=document)
    with pytest.raises(ClientError) as exc:
        iam.delete_group(GroupName=group)
    assert error_of(exc) == ("DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    iam.delete_group_policy(GroupName=group, PolicyName="p")
    iam.delete_group(GroupName=group)


def test_group_with_attached_policy_cannot_be_deleted(iam: Any, unique: Any) -> None:
    group = unique("attached")
    iam.create_group(GroupName=group)
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    skip_unless_implemented(iam.attach_group_policy, GroupName=group, PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.delete_group(GroupName=group)
    assert error_of(exc) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    iam.detach_group_policy(GroupName=group, PolicyArn=arn)
    iam.delete_group(GroupName=group)


def test_a_user_belongs_to_at_most_ten_groups(iam: Any, unique: Any) -> None:
    user = unique("joiner")
    iam.create_user(UserName=user)
    groups = [unique("g") for _ in range(11)]
    for group in groups:
        iam.create_group(GroupName=group)
    for group in groups[:10]:
        iam.add_user_to_group(GroupName=group, UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.add_user_to_group(GroupName=groups[10], UserName=user)
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10", 409)
    iam.add_user_to_group(GroupName=groups[0], UserName=user)  # already a member: still fine
    assert iam.get_group(GroupName=groups[10])["Users"] == []
    iam.remove_user_from_group(GroupName=groups[0], UserName=user)
    iam.add_user_to_group(GroupName=groups[10], UserName=user)
    assert len(iam.list_groups_for_user(UserName=user)["Groups"]) == 10


def test_an_account_holds_at_most_300_groups(tmp_path: Path) -> None:
    # Its own server: filling the shared one would break every other test.
    with IamdServer.start(tmp_path / "iamd") as server:
        iam = server.client("iam")
        existing = len(iam.list_groups()["Groups"])  # the first start makes Administrators
        for i in range(300 - existing):
            iam.create_group(GroupName=f"g{i:03}")
        with pytest.raises(ClientError) as exc:
            iam.create_group(GroupName="one-too-many")
        assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for GroupsPerAccount: 300", 409)
        with pytest.raises(ClientError) as exc:
            iam.create_group(GroupName="G000")  # the limit is checked before the name
        assert error_of(exc)[0] == "LimitExceeded"
        iam.delete_group(GroupName="g000")
        iam.create_group(GroupName="one-more")
        names = [g["GroupName"] for p in iam.get_paginator("list_groups").paginate() for g in p["Groups"]]
        assert len(names) == 300 and names == sorted(names, key=str.lower)


def test_pagination(iam: Any, unique: Any) -> None:
    path = f"/{unique('page')}/"
    groups = sorted((unique("grp") for _ in range(5)), key=str.lower)
    users = sorted((unique("usr") for _ in range(5)), key=str.lower)
    for group in groups:
        iam.create_group(GroupName=group, Path=path)
    for user in users:
        iam.create_user(UserName=user)
        iam.add_user_to_group(GroupName=groups[0], UserName=user)
    for group in groups:
        iam.add_user_to_group(GroupName=group, UserName=users[0])

    first = iam.list_groups(PathPrefix=path, MaxItems=2)
    assert first["IsTruncated"] and len(first["Groups"]) == 2
    seen = [g["GroupName"] for g in first["Groups"]]
    marker = first["Marker"]
    while marker:
        page = iam.list_groups(PathPrefix=path, MaxItems=2, Marker=marker)
        seen += [g["GroupName"] for g in page["Groups"]]
        marker = page.get("Marker")
        assert page["IsTruncated"] == (marker is not None)
    assert seen == groups

    def paginate(operation: str, member: str, key: str, **kwargs: Any) -> list[str]:
        pages = iam.get_paginator(operation).paginate(**kwargs, PaginationConfig={"PageSize": 2})
        return [item[key] for p in pages for item in p[member]]

    assert paginate("list_groups", "Groups", "GroupName", PathPrefix=path) == groups
    assert paginate("get_group", "Users", "UserName", GroupName=groups[0]) == users
    assert paginate("list_groups_for_user", "Groups", "GroupName", UserName=users[0]) == groups

    page = iam.get_group(GroupName=groups[0], MaxItems=3)
    assert page["IsTruncated"] and [u["UserName"] for u in page["Users"]] == users[:3]
    assert page["Group"]["GroupName"] == groups[0]  # every page carries the group
    rest = iam.get_group(GroupName=groups[0], Marker=page["Marker"])
    assert [u["UserName"] for u in rest["Users"]] == users[3:] and not rest["IsTruncated"]

    # A marker from another listing, or one never handed out, is refused.
    for bad in (page["Marker"], "not-a-marker"):
        with pytest.raises(ClientError) as exc:
            iam.list_groups_for_user(UserName=users[0], Marker=bad)
        assert error_of(exc) == ("ValidationError", "Invalid Marker.", 400)


def test_group_operations_need_permission(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    name = unique("nobody")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    own = iamd_server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    arn = iam.get_user(UserName=name)["User"]["Arn"]
    group = unique("wanted")
    with pytest.raises(ClientError) as exc:
        own.create_group(GroupName=group, Path="/x/")
    assert error_of(exc) == (
        "AccessDenied",
        f"User: {arn} is not authorized to perform: iam:CreateGroup on resource: "
        f"group {group} because no identity-based policy allows "
        "the iam:CreateGroup action", 403)
    with pytest.raises(ClientError) as exc:
        iam.get_group(GroupName=group)
    assert error_of(exc)[0] == "NoSuchEntity"  # nothing was created
    iam.create_group(GroupName=group, Path="/x/")
    calls: list[tuple[Any, dict[str, str]]] = [
        (own.add_user_to_group, {"UserName": name}), (own.get_group, {}), (own.delete_group, {})]
    for call, kwargs in calls:
        with pytest.raises(ClientError) as exc:
            call(GroupName=group, **kwargs)
        assert error_of(exc)[0] == "AccessDenied"
        assert f"on resource: group {group} " in error_of(exc)[1]
    assert iam.get_group(GroupName=group)["Users"] == []


def test_a_groups_policies_apply_to_its_members(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    # The first start makes the group Administrators with AdministratorAccess attached.
    name = unique("promoted")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    own = iamd_server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(ClientError) as exc:
        own.create_group(GroupName=unique("before"))
    assert error_of(exc)[0] == "AccessDenied"
    iam.add_user_to_group(GroupName="Administrators", UserName=name)
    try:
        made = unique("made-by-member")
        own.create_group(GroupName=made)
        own.delete_group(GroupName=made)
    finally:
        iam.remove_user_from_group(GroupName="Administrators", UserName=name)
    with pytest.raises(ClientError) as exc:
        own.create_group(GroupName=unique("after"))
    assert error_of(exc)[0] == "AccessDenied"


def test_renaming_a_group_needs_permission_on_both_names(iamd_server: IamdServer, iam: Any,
                                                         unique: Any) -> None:
    # AWS: "the principal must have a policy that allows them to update both groups".
    name, old, new = unique("renamer"), unique("old"), unique("new")
    old_path = f"/{unique('allowed')}/"
    iam.create_user(UserName=name)
    iam.create_group(GroupName=old, Path=old_path)
    policy = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:UpdateGroup",'
              f'"Resource":"arn:aws:iam::*:group{old_path}*"}}]}}')
    skip_unless_implemented(iam.put_user_policy, UserName=name, PolicyName="rename", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    own = iamd_server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    caller_arn = iam.get_user(UserName=name)["User"]["Arn"]
    account = caller_arn.split(":")[4]

    with pytest.raises(ClientError) as exc:
        own.update_group(GroupName=old, NewPath="/elsewhere/")
    assert error_of(exc) == (
        "AccessDenied",
        f"User: {caller_arn} is not authorized to perform: iam:UpdateGroup on resource: "
        f"group {old} because no identity-based policy allows "
        "the iam:UpdateGroup action", 403)
    assert iam.get_group(GroupName=old)["Group"]["Path"] == old_path
    own.update_group(GroupName=old, NewGroupName=new)  # both ARNs are under the allowed path
    assert iam.get_group(GroupName=new)["Group"]["Arn"] == f"arn:aws:iam::{account}:group{old_path}{new}"
