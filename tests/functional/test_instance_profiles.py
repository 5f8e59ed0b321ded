"""Instance profiles and their tags through boto3 against a real `iamd serve`.

The shapes and messages asserted here are AWS's own, as recorded against AWS
in LocalStack's snapshot tests (tests/aws/services/iam/
test_iam_instance_profiles.snapshot.json): "Instance Profile X already
exists.", "Instance Profile X cannot be found.", "The role with name X cannot
be found.", "Role R in Instance Profile X cannot be found.", "Cannot exceed
quota for InstanceSessionsPerInstanceProfile: 1", "Cannot delete entity,
must remove roles from instance profile first." (also quoted by AWS users,
e.g. cloud-custodian issues 6044 and 6340). CreateInstanceProfile answers
Tags only when given, GetInstanceProfile always, listings never; a profile's
roles carry six fields.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.model.entities import InstanceProfile
from iamd.service import ids
from iamd.testing import IamdServer

EC2_TRUST = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                            "Action": "sts:AssumeRole"}]}
ROLE_IN_PROFILE_FIELDS = {"Path", "RoleName", "RoleId", "Arn", "CreateDate",
                          "AssumeRolePolicyDocument"}


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = exc.value.response
    return (str(response["Error"]["Code"]), str(response["Error"]["Message"]),
            int(response["ResponseMetadata"]["HTTPStatusCode"]))


def no_such_profile(name: str) -> tuple[str, str, int]:
    return ("NoSuchEntity", f"Instance Profile {name} cannot be found.", 404)


def account_of(iam: Any) -> str:
    return str(iam.get_user()["User"]["Arn"].split(":")[4])


def make_role(iam: Any, name: str, path: str = "/") -> dict[str, Any]:
    role: dict[str, Any] = iam.create_role(RoleName=name, Path=path,
                                           AssumeRolePolicyDocument=json.dumps(EC2_TRUST))["Role"]
    return role


def test_create_get_list_delete(iam: Any, unique: Any) -> None:
    account = account_of(iam)
    name, path = unique("web"), f"/{unique('tier')}/"
    created = iam.create_instance_profile(InstanceProfileName=name, Path=path)["InstanceProfile"]
    assert created["InstanceProfileId"].startswith("AIPA") and len(created["InstanceProfileId"]) == 21
    assert created["Arn"] == f"arn:aws:iam::{account}:instance-profile{path}{name}"
    assert created["Path"] == path and created["InstanceProfileName"] == name
    assert created["Roles"] == []
    assert "Tags" not in created

    got = iam.get_instance_profile(InstanceProfileName=name.upper())["InstanceProfile"]
    assert got["InstanceProfileId"] == created["InstanceProfileId"]
    assert got["InstanceProfileName"] == name  # as created, whatever case it was asked in
    assert got["CreateDate"] == created["CreateDate"]
    assert got["Roles"] == [] and got["Tags"] == []

    listed = iam.list_instance_profiles(PathPrefix=path)
    assert [p["InstanceProfileName"] for p in listed["InstanceProfiles"]] == [name]
    assert listed["IsTruncated"] is False
    assert "Tags" not in listed["InstanceProfiles"][0]
    assert iam.list_instance_profiles(PathPrefix=path + "nothing/")["InstanceProfiles"] == []

    iam.delete_instance_profile(InstanceProfileName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_instance_profile(InstanceProfileName=name)
    assert error_of(exc) == no_such_profile(name)


def test_default_path_and_tags_on_create(iam: Any, unique: Any) -> None:
    name = unique("tagged")
    created = iam.create_instance_profile(
        InstanceProfileName=name, Tags=[{"Key": "InitialKey", "Value": "InitialValue"}],
    )["InstanceProfile"]
    assert created["Path"] == "/"
    assert created["Tags"] == [{"Key": "InitialKey", "Value": "InitialValue"}]
    got = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    assert got["Tags"] == [{"Key": "InitialKey", "Value": "InitialValue"}]
    iam.delete_instance_profile(InstanceProfileName=name)


def test_names_are_unique_ignoring_case(iam: Any, unique: Any) -> None:
    name = unique("Dup")
    iam.create_instance_profile(InstanceProfileName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_instance_profile(InstanceProfileName=name.lower(), Path="/elsewhere/")
    assert error_of(exc) == ("EntityAlreadyExists",
                             f"Instance Profile {name.lower()} already exists.", 409)
    iam.delete_instance_profile(InstanceProfileName=name)


def test_unknown_profiles_are_no_such_entity(iam: Any, unique: Any) -> None:
    name, role = unique("ghost"), unique("role")
    make_role(iam, role)
    calls = [
        (iam.get_instance_profile, {}),
        (iam.delete_instance_profile, {}),
        (iam.add_role_to_instance_profile, {"RoleName": role}),
        (iam.remove_role_from_instance_profile, {"RoleName": role}),
        (iam.tag_instance_profile, {"Tags": [{"Key": "k", "Value": "v"}]}),
        (iam.untag_instance_profile, {"TagKeys": ["k"]}),
        (iam.list_instance_profile_tags, {}),
    ]
    for call, extra in calls:
        with pytest.raises(ClientError) as exc:
            call(InstanceProfileName=name, **extra)
        assert error_of(exc) == no_such_profile(name), call
    iam.delete_role(RoleName=role)


def test_one_role_per_profile_and_the_role_shape(iam: Any, unique: Any) -> None:
    profile, role, other = unique("web"), unique("app"), unique("other")
    iam.create_instance_profile(InstanceProfileName=profile)
    created = make_role(iam, role, path="/svc/")
    make_role(iam, other)

    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    roles = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"]
    assert len(roles) == 1 and set(roles[0]) == ROLE_IN_PROFILE_FIELDS
    assert roles[0]["RoleName"] == role and roles[0]["RoleId"] == created["RoleId"]
    assert roles[0]["Arn"] == created["Arn"] and roles[0]["Path"] == "/svc/"
    assert roles[0]["AssumeRolePolicyDocument"] == EC2_TRUST

    quota = ("LimitExceeded", "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1", 409)
    for again in (other, role):  # the same role a second time counts too
        with pytest.raises(ClientError) as exc:
            iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=again)
        assert error_of(exc) == quota

    with pytest.raises(ClientError) as exc:
        iam.delete_instance_profile(InstanceProfileName=profile)
    assert error_of(exc) == ("DeleteConflict",
                             "Cannot delete entity, must remove roles from instance profile first.",
                             409)

    with pytest.raises(ClientError) as exc:
        iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=other)
    assert error_of(exc) == ("NoSuchEntity",
                             f"Role {other} in Instance Profile {profile} cannot be found.", 404)

    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"] == []
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=other)  # room again
    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=other)
    iam.delete_instance_profile(InstanceProfileName=profile)
    for name in (role, other):
        iam.delete_role(RoleName=name)


def test_unknown_roles_are_no_such_entity(iam: Any, unique: Any) -> None:
    profile, role = unique("web"), unique("nobody")
    iam.create_instance_profile(InstanceProfileName=profile)
    expected = ("NoSuchEntity", f"The role with name {role} cannot be found.", 404)
    for call in (iam.add_role_to_instance_profile, iam.remove_role_from_instance_profile):
        with pytest.raises(ClientError) as exc:
            call(InstanceProfileName=profile, RoleName=role)
        assert error_of(exc) == expected
    with pytest.raises(ClientError) as exc:
        iam.list_instance_profiles_for_role(RoleName=role)
    assert error_of(exc) == expected
    iam.delete_instance_profile(InstanceProfileName=profile)


def test_a_role_in_a_profile_cannot_be_deleted(iam: Any, unique: Any) -> None:
    profile, role = unique("web"), unique("app")
    iam.create_instance_profile(InstanceProfileName=profile)
    make_role(iam, role)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=role)
    code, message, status = error_of(exc)
    assert code == "DeleteConflict" and status == 409
    assert message == "Cannot delete entity, must remove roles from instance profile first."
    assert iam.get_role(RoleName=role)["Role"]["RoleName"] == role  # still there
    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
    iam.delete_role(RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=profile)


def test_list_instance_profiles_for_role(iam: Any, unique: Any) -> None:
    role, lonely = unique("app"), unique("lonely")
    prefix = f"/{unique('p')}/"
    names = sorted(unique(f"ip{i}") for i in range(3))
    make_role(iam, role)
    make_role(iam, lonely)
    for name in names:
        iam.create_instance_profile(InstanceProfileName=name, Path=prefix)
        iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)

    first = iam.list_instance_profiles_for_role(RoleName=role, MaxItems=2)
    assert [p["InstanceProfileName"] for p in first["InstanceProfiles"]] == names[:2]
    assert first["IsTruncated"] is True
    rest = iam.list_instance_profiles_for_role(RoleName=role, Marker=first["Marker"])
    assert [p["InstanceProfileName"] for p in rest["InstanceProfiles"]] == names[2:]
    assert rest["IsTruncated"] is False
    assert all(p["Roles"][0]["RoleName"] == role for p in first["InstanceProfiles"])
    assert iam.list_instance_profiles_for_role(RoleName=lonely)["InstanceProfiles"] == []

    paginator = iam.get_paginator("list_instance_profiles")
    seen = [p["InstanceProfileName"] for page in paginator.paginate(
        PathPrefix=prefix, PaginationConfig={"PageSize": 1}) for p in page["InstanceProfiles"]]
    assert seen == names
    listed = iam.list_instance_profiles(PathPrefix=prefix)["InstanceProfiles"]
    assert all([r["RoleName"] for r in p["Roles"]] == [role] for p in listed)

    with pytest.raises(ClientError) as exc:
        iam.list_instance_profiles(Marker="not-a-marker")
    assert error_of(exc) == ("ValidationError", "Invalid Marker.", 400)

    for name in names:
        iam.remove_role_from_instance_profile(InstanceProfileName=name, RoleName=role)
        iam.delete_instance_profile(InstanceProfileName=name)
    for name in (role, lonely):
        iam.delete_role(RoleName=name)


def test_tag_untag_list_tags(iam: Any, unique: Any) -> None:
    name = unique("tags")
    iam.create_instance_profile(InstanceProfileName=name)
    assert iam.list_instance_profile_tags(InstanceProfileName=name)["Tags"] == []
    iam.tag_instance_profile(InstanceProfileName=name, Tags=[{"Key": "MyKey", "Value": "myValue"}])
    iam.tag_instance_profile(InstanceProfileName=name,
                             Tags=[{"Key": "MyKey2", "Value": "myValue2"}])
    listed = iam.list_instance_profile_tags(InstanceProfileName=name)
    assert listed["Tags"] == [{"Key": "MyKey", "Value": "myValue"},
                              {"Key": "MyKey2", "Value": "myValue2"}]
    assert listed["IsTruncated"] is False
    page = iam.list_instance_profile_tags(InstanceProfileName=name, MaxItems=1)
    assert page["Tags"] == [{"Key": "MyKey", "Value": "myValue"}] and page["IsTruncated"] is True
    assert iam.list_instance_profile_tags(InstanceProfileName=name, Marker=page["Marker"])["Tags"] \
        == [{"Key": "MyKey2", "Value": "myValue2"}]
    # Keys match ignoring case: the value is overwritten.
    iam.tag_instance_profile(InstanceProfileName=name, Tags=[{"Key": "mykey", "Value": "new"}])
    got = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Tags"]
    assert {t["Value"] for t in got} == {"new", "myValue2"}

    with pytest.raises(ClientError) as exc:
        iam.tag_instance_profile(InstanceProfileName=name, Tags=[{"Key": "aws:x", "Value": "v"}])
    assert error_of(exc)[0] == "InvalidInput"
    with pytest.raises(ClientError) as exc:
        iam.tag_instance_profile(InstanceProfileName=name, Tags=[
            {"Key": f"k{i}", "Value": "v"} for i in range(49)])
    assert error_of(exc) == ("LimitExceeded", "The number of tags has reached the maximum limit.",
                             409)

    iam.untag_instance_profile(InstanceProfileName=name, TagKeys=["MYKEY", "absent"])
    assert iam.list_instance_profile_tags(InstanceProfileName=name)["Tags"] == [
        {"Key": "MyKey2", "Value": "myValue2"}]
    iam.delete_instance_profile(InstanceProfileName=name)
    # The tags went with the profile: a new one of the same name starts bare.
    iam.create_instance_profile(InstanceProfileName=name)
    assert iam.list_instance_profile_tags(InstanceProfileName=name)["Tags"] == []
    iam.delete_instance_profile(InstanceProfileName=name)


def test_adding_a_role_needs_pass_role(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    user, profile, role = unique("ops"), unique("web"), unique("app")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.put_user_policy(UserName=user, PolicyName="profiles", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Resource": "*",
                       "Action": ["iam:AddRoleToInstanceProfile",
                                  "iam:RemoveRoleFromInstanceProfile",
                                  "iam:GetInstanceProfile"]}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    ops = iamd_server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    iam.create_instance_profile(InstanceProfileName=profile)
    role_arn = make_role(iam, role)["Arn"]

    with pytest.raises(ClientError) as exc:
        ops.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    code, message, status = error_of(exc)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(f"User: {arn} is not authorized to perform: iam:PassRole "
                              f"on resource: {role_arn}")
    assert iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"] == []

    # PassRole here passes the role to EC2: a grant for another service does not do.
    def grant_pass_role(service: str) -> None:
        iam.put_user_policy(UserName=user, PolicyName="pass", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arn,
                           "Condition": {"StringEquals": {"iam:PassedToService": service}}}]}))
    grant_pass_role("lambda.amazonaws.com")
    with pytest.raises(ClientError) as exc:
        ops.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert error_of(exc)[0] == "AccessDenied"
    grant_pass_role("ec2.amazonaws.com")
    ops.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    # Creating profiles is another permission, checked on the profile's ARN.
    with pytest.raises(ClientError) as exc:
        ops.create_instance_profile(InstanceProfileName=unique("mine"), Path="/x/")
    code, message, _ = error_of(exc)
    assert code == "AccessDenied"
    assert "iam:CreateInstanceProfile on resource: instance profile mine-" in message

    ops.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=profile)
    iam.delete_role(RoleName=role)
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    for policy in ("profiles", "pass"):
        iam.delete_user_policy(UserName=user, PolicyName=policy)
    iam.delete_user(UserName=user)


def test_instance_profile_quota(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    """InstanceProfilesPerAccount is 1000. The profiles that fill the account
    are written straight into the server's store (a thousand calls would take
    minutes) and removed again."""
    from iamd.store.repository import open_store

    account = account_of(iam)
    path = f"/{unique('quota')}/"
    store = open_store(iamd_server.database or
                       f"sqlite:///{iamd_server.data_dir.resolve() / 'iamd.sqlite3'}")
    made: list[str] = []
    try:
        with store.transaction() as tx:
            for index in range(1000 - tx.instance_profiles.count(account)):
                name = f"q{index}-{unique('p')}"
                tx.instance_profiles.insert(InstanceProfile(
                    id=ids.unique_id(ids.INSTANCE_PROFILE), account_id=account, path=path,
                    name=name, arn=f"arn:aws:iam::{account}:instance-profile{path}{name}",
                    created=datetime.now(UTC)))
                made.append(name)
        with pytest.raises(ClientError) as exc:
            iam.create_instance_profile(InstanceProfileName=unique("over"))
        assert error_of(exc) == ("LimitExceeded",
                                 "Cannot exceed quota for InstanceProfilesPerAccount: 1000", 409)
        iam.delete_instance_profile(InstanceProfileName=made.pop(0))  # one freed place is enough
        fits = unique("fits")
        iam.create_instance_profile(InstanceProfileName=fits)
        made.append(fits)
    finally:
        with store.transaction() as tx:
            for name in made:
                profile = tx.instance_profiles.get_by_name(account, name)
                if profile is not None:
                    tx.instance_profiles.delete(profile.id)
        store.close()
