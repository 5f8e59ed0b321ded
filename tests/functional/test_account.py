"""The account as a whole, end to end with boto3: the alias (one per account,
a new one replaces the old, an alias taken is EntityAlreadyExists), the
summary with every key AWS's SummaryMap has and counts that follow the
store, and the authorization details of users, groups, roles and policies
with their documents, paged with MaxItems and Marker.

The alias belongs to the session's whole server: the alias test puts back
whatever alias the account had when it started.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.loaders import Loader

DOCUMENT = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}

# AWS's default quotas, as GetAccountSummary answers them.
QUOTAS = {
    "UsersQuota": 5000, "GroupsQuota": 300, "RolesQuota": 1000, "PoliciesQuota": 1500,
    "InstanceProfilesQuota": 1000, "ServerCertificatesQuota": 20, "PolicyVersionsInUseQuota": 10000,
    "VersionsPerPolicyQuota": 5, "GroupsPerUserQuota": 10, "AccessKeysPerUserQuota": 2,
    "SigningCertificatesPerUserQuota": 2, "AttachedPoliciesPerUserQuota": 10,
    "AttachedPoliciesPerGroupQuota": 10, "AttachedPoliciesPerRoleQuota": 10,
    "UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120, "RolePolicySizeQuota": 10240,
    "PolicySizeQuota": 6144, "AssumeRolePolicySizeQuota": 2048, "GlobalEndpointTokenVersion": 1,
}


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = exc.value.response
    return (str(response["Error"]["Code"]), str(response["Error"]["Message"]),
            int(response["ResponseMetadata"]["HTTPStatusCode"]))


@pytest.fixture
def restored_alias(iam: Any) -> Iterator[None]:
    """Whatever alias the account has now, it has again after the test."""
    before = iam.list_account_aliases()["AccountAliases"]
    yield
    current = iam.list_account_aliases()["AccountAliases"]
    if current != before:
        for alias in current:
            iam.delete_account_alias(AccountAlias=alias)
        for alias in before:
            iam.create_account_alias(AccountAlias=alias)


def test_alias_lifecycle(iam: Any, unique: Any, restored_alias: None) -> None:
    first, second = unique("iamd-first"), unique("iamd-second")
    iam.create_account_alias(AccountAlias=first)
    assert iam.list_account_aliases() | {"ResponseMetadata": None} == {
        "AccountAliases": [first], "IsTruncated": False, "ResponseMetadata": None}
    # One alias an account: a new one replaces the old.
    iam.create_account_alias(AccountAlias=second)
    assert iam.list_account_aliases()["AccountAliases"] == [second]
    with pytest.raises(ClientError) as exc:
        iam.create_account_alias(AccountAlias=second)
    assert error(exc) == ("EntityAlreadyExists", f"The account alias {second} already exists.", 409)
    with pytest.raises(ClientError) as exc:
        iam.delete_account_alias(AccountAlias=first)
    assert error(exc)[::2] == ("NoSuchEntity", 404)
    iam.delete_account_alias(AccountAlias=second)
    assert iam.list_account_aliases()["AccountAliases"] == []
    # The model's pattern: lower-case letters, digits and single dashes.
    with pytest.raises(ClientError) as exc:
        iam.create_account_alias(AccountAlias="Not--Valid")
    assert error(exc)[0] == "ValidationError"


def test_summary_has_every_key_and_counts_from_the_store(iam: Any, unique: Any) -> None:
    model = Loader().load_service_model("iam", "service-2")
    keys = set(model["shapes"]["summaryKeyType"]["enum"])
    before = iam.get_account_summary()["SummaryMap"]
    assert set(before) == keys
    assert {k: before[k] for k in QUOTAS} == QUOTAS
    assert before["Users"] >= 1 and before["Groups"] >= 1  # the bootstrap admin and its group
    assert before["PolicyVersionsInUse"] >= 1  # AdministratorAccess, attached to the group

    user, group, role = unique("summary-user"), unique("summary-group"), unique("summary-role")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    policy_arn = iam.create_policy(PolicyName=unique("summary-policy"),
                                   PolicyDocument=json.dumps(DOCUMENT))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=policy_arn)
    serial = iam.create_virtual_mfa_device(
        VirtualMFADeviceName=unique("summary-mfa"))["VirtualMFADevice"]["SerialNumber"]
    after = iam.get_account_summary()["SummaryMap"]
    changed = {k: after[k] - before[k] for k in keys if after[k] != before[k]}
    assert changed == {"Users": 1, "Groups": 1, "Roles": 1, "Policies": 1,
                       "PolicyVersionsInUse": 1, "MFADevices": 1}

    iam.detach_role_policy(RoleName=role, PolicyArn=policy_arn)
    iam.delete_policy(PolicyArn=policy_arn)
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    iam.delete_role(RoleName=role)
    iam.delete_group(GroupName=group)
    iam.delete_user(UserName=user)
    assert iam.get_account_summary()["SummaryMap"] == before


def details(iam: Any, **kwargs: Any) -> dict[str, Any]:
    result: dict[str, Any] = iam.get_paginator("get_account_authorization_details").paginate(
        **kwargs).build_full_result()
    return result


def test_authorization_details(iam: Any, unique: Any) -> None:
    user, group, role = unique("details-user"), unique("details-group"), unique("details-role")
    policy_name = unique("details-policy")
    iam.create_user(UserName=user, Path="/staff/", Tags=[{"Key": "team", "Value": "blue"}])
    iam.put_user_policy(UserName=user, PolicyName="inline", PolicyDocument=json.dumps(DOCUMENT))
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_group_policy(GroupName=group, PolicyName="group-inline",
                         PolicyDocument=json.dumps(DOCUMENT))
    policy = iam.create_policy(PolicyName=policy_name, PolicyDocument=json.dumps(DOCUMENT))["Policy"]
    second = dict(DOCUMENT, Statement=[dict(DOCUMENT["Statement"][0], Action="s3:GetObject")])
    iam.create_policy_version(PolicyArn=policy["Arn"], PolicyDocument=json.dumps(second),
                              SetAsDefault=True)
    iam.attach_user_policy(UserName=user, PolicyArn=policy["Arn"])
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName=role, PolicyName="role-inline", PolicyDocument=json.dumps(DOCUMENT))

    everything = details(iam)
    [user_detail] = [u for u in everything["UserDetailList"] if u["UserName"] == user]
    assert user_detail["Path"] == "/staff/" and user_detail["Arn"].endswith(f":user/staff/{user}")
    # boto3 decodes the URL-encoded documents into dicts.
    assert user_detail["UserPolicyList"] == [{"PolicyName": "inline", "PolicyDocument": DOCUMENT}]
    assert user_detail["GroupList"] == [group]
    assert user_detail["AttachedManagedPolicies"] == [{"PolicyName": policy_name,
                                                       "PolicyArn": policy["Arn"]}]
    assert user_detail["Tags"] == [{"Key": "team", "Value": "blue"}]
    [group_detail] = [g for g in everything["GroupDetailList"] if g["GroupName"] == group]
    assert group_detail["GroupPolicyList"] == [{"PolicyName": "group-inline",
                                                "PolicyDocument": DOCUMENT}]
    [role_detail] = [r for r in everything["RoleDetailList"] if r["RoleName"] == role]
    assert role_detail["AssumeRolePolicyDocument"] == TRUST
    assert role_detail["RolePolicyList"] == [{"PolicyName": "role-inline", "PolicyDocument": DOCUMENT}]
    assert role_detail["InstanceProfileList"] == [] and role_detail["RoleLastUsed"] == {}
    [policy_detail] = [p for p in everything["Policies"] if p["PolicyName"] == policy_name]
    assert policy_detail["AttachmentCount"] == 1 and policy_detail["DefaultVersionId"] == "v2"
    assert [(v["VersionId"], v["IsDefaultVersion"], v["Document"])
            for v in policy_detail["PolicyVersionList"]] == [("v2", True, second),
                                                              ("v1", False, DOCUMENT)]
    # AWS managed policies appear while attached in the account, and only then.
    aws_managed = {p["PolicyName"] for p in everything["Policies"] if ":aws:policy/" in p["Arn"]}
    assert "AdministratorAccess" in aws_managed and "ReadOnlyAccess" not in aws_managed

    only_users = details(iam, Filter=["User"])
    assert only_users["GroupDetailList"] == only_users["RoleDetailList"] == only_users["Policies"] == []
    assert user in {u["UserName"] for u in only_users["UserDetailList"]}
    local = details(iam, Filter=["LocalManagedPolicy"])["Policies"]
    assert policy_name in {p["PolicyName"] for p in local}
    assert all(":aws:policy/" not in p["Arn"] for p in local)

    # One item a page crosses every section and gives the same items.
    paged: dict[str, list[str]] = {"UserDetailList": [], "GroupDetailList": [],
                                   "RoleDetailList": [], "Policies": []}
    marker = None
    while True:
        page = iam.get_account_authorization_details(MaxItems=1, **({"Marker": marker} if marker else {}))
        assert sum(len(page[k]) for k in paged) <= 1
        for member in paged:
            paged[member].extend(item["Arn"] for item in page[member])
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert {k: sorted(v) for k, v in paged.items()} == {
        k: sorted(item["Arn"] for item in everything[k]) for k in paged}
    with pytest.raises(ClientError) as exc:
        iam.get_account_authorization_details(Marker="9.nothing")
    assert error(exc)[:2] == ("ValidationError", "Invalid Marker.")

    iam.detach_user_policy(UserName=user, PolicyArn=policy["Arn"])
    with contextlib.suppress(ClientError):
        iam.delete_policy_version(PolicyArn=policy["Arn"], VersionId="v1")
    iam.delete_policy(PolicyArn=policy["Arn"])
