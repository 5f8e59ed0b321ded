"""Core operations not covered by the area files: renaming users, inline
policies of groups and roles read back, access key last use, key info."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.testing import IamdServer

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}


def test_update_user_renames_and_moves(iam: Any, unique: Any) -> None:
    old, new = unique("before"), unique("after")
    iam.create_user(UserName=old)
    iam.update_user(UserName=old, NewUserName=new, NewPath="/moved/")
    user = iam.get_user(UserName=new)["User"]
    assert user["Path"] == "/moved/" and user["Arn"].endswith(f":user/moved/{new}")
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=old)
    assert exc.value.response["Error"]["Code"] == "NoSuchEntity"
    taken = unique("taken")
    iam.create_user(UserName=taken)
    with pytest.raises(ClientError) as exc:
        iam.update_user(UserName=new, NewUserName=taken.upper())
    assert exc.value.response["Error"]["Code"] == "EntityAlreadyExists"


def test_group_and_role_inline_policies_read_back(iam: Any, unique: Any) -> None:
    group, role = unique("g"), unique("r")
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="read", PolicyDocument=json.dumps(DOC))
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == ["read"]
    assert iam.get_group_policy(GroupName=group, PolicyName="read")["PolicyDocument"] == DOC
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=role, PolicyName="read", PolicyDocument=json.dumps(DOC))
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["read"]
    assert iam.get_role_policy(RoleName=role, PolicyName="read")["PolicyDocument"] == DOC
    with pytest.raises(ClientError) as exc:
        iam.get_role_policy(RoleName=role, PolicyName="other")
    assert exc.value.response["Error"]["Code"] == "NoSuchEntity"


def test_access_key_last_used_and_key_info(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    name = unique("used")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    fresh = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert fresh["UserName"] == name
    assert fresh["AccessKeyLastUsed"]["ServiceName"] == "N/A"
    assert "LastUsedDate" not in fresh["AccessKeyLastUsed"]
    sts = iamd_server.client("sts", key["AccessKeyId"], key["SecretAccessKey"], region="eu-west-1")
    sts.get_caller_identity()
    deadline = time.monotonic() + 15
    while True:  # recorded off the request path, within a few seconds
        used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
        if "LastUsedDate" in used or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert used["ServiceName"] == "sts" and used["Region"] == "eu-west-1"
    account = iamd_server.client("sts").get_caller_identity()["Account"]
    assert iamd_server.client("sts").get_access_key_info(AccessKeyId=key["AccessKeyId"])["Account"] == account
    with pytest.raises(ClientError) as exc:
        iam.get_access_key_last_used(AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    assert exc.value.response["Error"]["Code"] == "NoSuchEntity"


def test_delete_conflicts_for_mfa_devices_and_instance_profiles(iam: Any, unique: Any) -> None:
    import pyotp

    name, role, profile = unique("mfa-user"), unique("in-profile"), unique("profile")
    iam.create_user(UserName=name)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("dev"))["VirtualMFADevice"]
    totp = pyotp.TOTP(device["Base32StringSeed"].decode())
    now = time.time()
    iam.enable_mfa_device(UserName=name, SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp.at(now - 30), AuthenticationCode2=totp.at(now))
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=name)
    assert exc.value.response["Error"]["Message"] == "Cannot delete entity, must delete MFA device first."
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=role)
    assert exc.value.response["Error"]["Message"] == (
        "Cannot delete entity, must remove roles from instance profile first.")
    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
    iam.delete_role(RoleName=role)


def test_resource_tag_conditions_see_the_target_roles_tags(
        iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    blue, red, user = unique("blue"), unique("red"), unique("tagged-reader")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName=blue, AssumeRolePolicyDocument=trust, Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_role(RoleName=red, AssumeRolePolicyDocument=trust, Tags=[{"Key": "team", "Value": "red"}])
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="blue-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
            "Condition": {"StringEquals": {"iam:ResourceTag/team": "blue"}}}]}))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    own = iamd_server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    assert own.get_role(RoleName=blue)["Role"]["RoleName"] == blue
    with pytest.raises(ClientError) as exc:
        own.get_role(RoleName=red)
    assert exc.value.response["Error"]["Code"] == "AccessDenied"


def test_a_null_resource_tag_condition_in_a_group_policy_sees_the_targets_tags(
        iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    # Only a group's policy names the tag, and only to test that it is absent:
    # the target's tags must still be read for the decision.
    tagged, bare, user, group = (unique("tagged"), unique("untagged"), unique("reader"),
                                 unique("tag-readers"))
    iam.create_user(UserName=tagged, Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_user(UserName=bare)
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="read-users", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="only-tagged", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Action": "iam:GetUser", "Resource": "*",
            "Condition": {"Null": {"iam:ResourceTag/team": "true"}}}]}))
    iam.add_user_to_group(GroupName=group, UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    own = iamd_server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    assert own.get_user(UserName=tagged)["User"]["UserName"] == tagged
    with pytest.raises(ClientError) as exc:
        own.get_user(UserName=bare)
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    assert "explicit deny in an identity-based policy" in exc.value.response["Error"]["Message"]
    # Tagging the bare user lets the next call through.
    iam.tag_user(UserName=bare, Tags=[{"Key": "team", "Value": "red"}])
    assert own.get_user(UserName=bare)["User"]["UserName"] == bare
