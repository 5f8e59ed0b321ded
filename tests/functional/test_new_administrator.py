"""A new administrator's first day, as the IAM introductions tell it, with boto3
against a real `iamd serve`.

Create a group per department and give each a policy; create a user per
person with console and programmatic access and a forced password reset;
hand them their credentials (shown once); make a leaked access key inactive;
read the credential report; simulate what a user may do; then tidy up. The
story runs in an account of its own, so the report is the story's alone.
"""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.testing import IamdServer

FIRST_PASSWORD = "Welcome-To-Day-1!"
NEW_PASSWORD = "Chosen-By-Me-2026!"
CHANGE_OWN_PASSWORD = "arn:aws:iam::aws:policy/IAMUserChangePassword"
READ_ONLY_IAM = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = exc.value.response["Error"]
    return error["Code"], error["Message"]


def credential_report(iam: Any) -> dict[str, dict[str, str]]:
    """The report's rows by user name, once it is generated."""
    deadline = time.monotonic() + 30
    while iam.generate_credential_report()["State"] != "COMPLETE":
        assert time.monotonic() < deadline, "the credential report never completed"
        time.sleep(0.2)
    content = iam.get_credential_report()["Content"].decode()
    return {row["user"]: row for row in csv.DictReader(io.StringIO(content))}


def hire(iam: Any, name: str, department: str) -> dict[str, str]:
    """A person with console and programmatic access, who must pick a new
    password at first sign-in: what the console's "Download .csv" holds."""
    user = iam.create_user(UserName=name, Tags=[{"Key": "department", "Value": department}])["User"]
    iam.create_login_profile(UserName=name, Password=FIRST_PASSWORD, PasswordResetRequired=True)
    iam.add_user_to_group(GroupName=department, UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"arn": user["Arn"], "key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def test_a_new_administrators_first_day(iamd_server: IamdServer, unique: Any) -> None:
    account, admin_key, admin_secret = iamd_server.create_account(unique("company"))
    iam = iamd_server.client("iam", admin_key, admin_secret)

    # 1-2. A group per department, each with its policy; everyone may change
    # their own password.
    iam.create_group(GroupName="Engineering")
    iam.attach_group_policy(GroupName="Engineering", PolicyArn=READ_ONLY_IAM)
    billing = iam.create_policy(PolicyName="FinanceReadsItsOwnGroup", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:GetGroup", "iam:ListGroupPolicies"],
                       "Resource": f"arn:aws:iam::{account}:group/Finance"}]}))["Policy"]["Arn"]
    iam.create_group(GroupName="Finance")
    iam.attach_group_policy(GroupName="Finance", PolicyArn=billing)
    for group in ("Engineering", "Finance"):
        iam.attach_group_policy(GroupName=group, PolicyArn=CHANGE_OWN_PASSWORD)

    # 3. A person per user, in their department.
    alice = hire(iam, "alice", "Engineering")
    bob = hire(iam, "bob", "Finance")
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is True
    assert [u["UserName"] for u in iam.get_group(GroupName="Finance")["Users"]] == ["bob"]

    # Their downloaded keys work, within what their departments allow.
    alice_iam = iamd_server.client("iam", alice["key"], alice["secret"])
    bob_iam = iamd_server.client("iam", bob["key"], bob["secret"])
    assert {u["UserName"] for u in alice_iam.list_users()["Users"]} == {"admin", "alice", "bob"}
    assert bob_iam.get_group(GroupName="Finance")["Group"]["GroupName"] == "Finance"
    with pytest.raises(ClientError) as denied:
        bob_iam.list_users()
    assert error_of(denied) == ("AccessDenied", (
        f"User: {bob['arn']} is not authorized to perform: iam:ListUsers on resource: "
        f"arn:aws:iam::{account}:user/ because no identity-based policy allows the "
        "iam:ListUsers action"))

    # The forced reset: alice picks her own password and the flag clears.
    alice_iam.change_password(OldPassword=FIRST_PASSWORD, NewPassword=NEW_PASSWORD)
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"] is False
    with pytest.raises(ClientError) as wrong:
        alice_iam.change_password(OldPassword=FIRST_PASSWORD, NewPassword="Another-One-3!")
    assert error_of(wrong) == ("AccessDenied", "The old password was incorrect.")

    # Bob's key was shared by mistake: make it inactive, and it stops working.
    iam.update_access_key(UserName="bob", AccessKeyId=bob["key"], Status="Inactive")
    with pytest.raises(ClientError) as inactive:
        bob_iam.get_group(GroupName="Finance")
    assert error_of(inactive)[0] == "InvalidClientTokenId"

    # The credential report shows the day's state.
    rows = credential_report(iam)
    assert rows["<root_account>"]["arn"] == f"arn:aws:iam::{account}:root"
    assert rows["alice"]["password_enabled"] == "true"
    assert rows["alice"]["access_key_1_active"] == "true"
    assert rows["bob"]["password_enabled"] == "true"
    assert rows["bob"]["access_key_1_active"] == "false"
    assert rows["bob"]["mfa_active"] == "false"

    # What may each of them do? The simulator answers as enforcement did.
    results = {r["EvalActionName"]: r["EvalDecision"] for r in iam.simulate_principal_policy(
        PolicySourceArn=bob["arn"], ActionNames=["iam:ListUsers", "iam:GetGroup"],
        ResourceArns=[f"arn:aws:iam::{account}:group/Finance"])["EvaluationResults"]}
    assert results == {"iam:ListUsers": "implicitDeny", "iam:GetGroup": "allowed"}
    results = {r["EvalActionName"]: r["EvalDecision"] for r in iam.simulate_principal_policy(
        PolicySourceArn=alice["arn"], ActionNames=["iam:ListUsers", "iam:CreateUser"]
    )["EvaluationResults"]}
    assert results == {"iam:ListUsers": "allowed", "iam:CreateUser": "implicitDeny"}

    # Tidy up. A user with credentials and groups cannot simply be deleted.
    with pytest.raises(ClientError) as conflict:
        iam.delete_user(UserName="alice")
    assert error_of(conflict)[0] == "DeleteConflict"
    for person in ("alice", "bob"):
        for key in iam.list_access_keys(UserName=person)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=person, AccessKeyId=key["AccessKeyId"])
        iam.delete_login_profile(UserName=person)
        for group in iam.list_groups_for_user(UserName=person)["Groups"]:
            iam.remove_user_from_group(GroupName=group["GroupName"], UserName=person)
        iam.delete_user(UserName=person)
    with pytest.raises(ClientError) as attached:
        iam.delete_group(GroupName="Finance")
    assert error_of(attached)[0] == "DeleteConflict"
    for group in ("Engineering", "Finance"):
        for policy in iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"]:
            iam.detach_group_policy(GroupName=group, PolicyArn=policy["PolicyArn"])
        iam.delete_group(GroupName=group)
    iam.delete_policy(PolicyArn=billing)
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["admin"]
    assert {g["GroupName"] for g in iam.list_groups()["Groups"]} == {"Administrators"}
    assert iam.list_policies(Scope="Local")["Policies"] == []
