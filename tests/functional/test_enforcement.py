"""Policies enforced end to end: what an administrator stores is what users may do.

The story of a department: the administrator creates a group with a managed
policy, puts users in it and gives them access keys; the users' own clients
then succeed where the policy allows and get AccessDenied, with AWS's
sentence, where it does not. An explicit deny beats any allow; a permissions
boundary caps even AdministratorAccess; a refused document changes nothing;
switching a managed policy's default version changes what its users may do
on their very next request. One flow runs through the AWS CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.testing import IamdServer

ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
IDENTITY = "because no identity-based policy allows the {action} action"
BOUNDARY = "because no permissions boundary allows the {action} action"
EXPLICIT = "with an explicit deny in an identity-based policy"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*actions: str, resource: str | list[str] = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource}


def deny(*actions: str, resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": list(actions), "Resource": resource}


def denial(caller_arn: str, action: str, resource: str, reason: str) -> str:
    """AWS's AccessDenied sentence.

    `resource` as IAM spells it there: an entity by kind and name ("user
    alice"), a managed policy by kind and ARN ("policy arn:..."), a listing
    by the ARN of its path (see `listing`).
    """
    return (f"User: {caller_arn} is not authorized to perform: {action} on resource: {resource} "
            + reason.format(action=action))


def listing(caller_arn: str, kind: str) -> str:
    """What a List call of `kind` is refused on: "arn:aws:iam::ACCOUNT:user/"."""
    return f"arn:aws:iam::{caller_arn.split(':')[4]}:{kind}/"


def denied(call: Any, **kwargs: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    response = exc.value.response
    return (str(response["Error"]["Code"]), str(response["Error"]["Message"]),
            int(response["ResponseMetadata"]["HTTPStatusCode"]))


@dataclass
class Member:
    name: str
    arn: str
    iam: Any  # a boto3 client signed with the member's own key
    key_id: str
    secret: str


def make_user(server: IamdServer, iam: Any, name: str, **kwargs: Any) -> Member:
    arn = iam.create_user(UserName=name, **kwargs)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Member(name, arn, server.client("iam", key["AccessKeyId"], key["SecretAccessKey"]),
                  key["AccessKeyId"], key["SecretAccessKey"])


@dataclass
class Department:
    group: str
    policy_arn: str
    alice: Member
    bob: Member
    account: str


DEPARTMENT_POLICY = document(
    allow("iam:Get*", "iam:List*"),
    allow("s3:ListBucket", resource="arn:aws:s3:::dept-data"),
    allow("s3:GetObject", resource="arn:aws:s3:::dept-data/*"),
)


@pytest.fixture
def department(iamd_server: IamdServer, iam: Any, unique: Any) -> Iterator[Department]:
    group = unique("dept")
    iam.create_group(GroupName=group)
    policy_arn = iam.create_policy(PolicyName=unique("dept-read"), PolicyDocument=DEPARTMENT_POLICY,
                                   Description="What the department may do")["Policy"]["Arn"]
    iam.attach_group_policy(GroupName=group, PolicyArn=policy_arn)
    alice = make_user(iamd_server, iam, unique("alice"))
    bob = make_user(iamd_server, iam, unique("bob"))
    for member in (alice, bob):
        iam.add_user_to_group(GroupName=group, UserName=member.name)
    yield Department(group, policy_arn, alice, bob, alice.arn.split(":")[4])


def test_members_may_do_what_the_group_policy_allows(iam: Any, department: Department, unique: Any) -> None:
    alice, bob = department.alice, department.bob
    assert alice.name in [u["UserName"] for u in alice.iam.list_users()["Users"]]
    assert alice.iam.get_user(UserName=bob.name)["User"]["Arn"] == bob.arn
    assert alice.iam.get_user()["User"]["UserName"] == alice.name  # the caller itself
    assert alice.iam.get_policy(PolicyArn=department.policy_arn)["Policy"]["AttachmentCount"] == 1
    assert alice.iam.get_group(GroupName=department.group)["Group"]["GroupName"] == department.group
    assert alice.iam.list_attached_group_policies(GroupName=department.group)["AttachedPolicies"][0][
        "PolicyArn"] == department.policy_arn
    assert bob.iam.list_groups_for_user(UserName=bob.name)["Groups"][0]["GroupName"] == department.group

    # Nothing allows writing: each attempt is refused and changes nothing.
    wanted = unique("new")
    account = department.account
    assert denied(alice.iam.create_user, UserName=wanted) == (
        "AccessDenied",
        denial(alice.arn, "iam:CreateUser", f"user {wanted}", IDENTITY), 403)
    assert denied(iam.get_user, UserName=wanted)[0] == "NoSuchEntity"
    assert denied(alice.iam.create_policy, PolicyName=wanted, PolicyDocument=DEPARTMENT_POLICY) == (
        "AccessDenied",
        denial(alice.arn, "iam:CreatePolicy", f"policy arn:aws:iam::{account}:policy/{wanted}", IDENTITY), 403)
    # A member cannot grant itself more.
    assert denied(alice.iam.attach_user_policy, UserName=alice.name, PolicyArn=ADMIN_ARN) == (
        "AccessDenied",
        denial(alice.arn, "iam:AttachUserPolicy", f"user {alice.name}", IDENTITY), 403)
    assert denied(alice.iam.put_user_policy, UserName=alice.name, PolicyName="more",
                  PolicyDocument=document(allow("*"))) == (
        "AccessDenied", denial(alice.arn, "iam:PutUserPolicy", f"user {alice.name}", IDENTITY), 403)
    assert iam.list_attached_user_policies(UserName=alice.name)["AttachedPolicies"] == []
    assert iam.list_user_policies(UserName=alice.name)["PolicyNames"] == []

    # Leaving the group takes its permissions away on the next request.
    iam.remove_user_from_group(GroupName=department.group, UserName=bob.name)
    assert denied(bob.iam.list_users) == (
        "AccessDenied", denial(bob.arn, "iam:ListUsers", listing(bob.arn, "user"), IDENTITY), 403)
    assert alice.iam.list_users()["Users"]


def test_an_explicit_deny_beats_the_group_allow(iam: Any, department: Department) -> None:
    alice, bob = department.alice, department.bob
    iam.put_user_policy(UserName=alice.name, PolicyName="no-listing-users",
                        PolicyDocument=document(deny("iam:ListUsers")))
    assert denied(alice.iam.list_users) == (
        "AccessDenied", denial(alice.arn, "iam:ListUsers", listing(alice.arn, "user"), EXPLICIT), 403)
    assert alice.iam.list_groups()["Groups"]  # everything else the group allows still works
    assert bob.iam.list_users()["Users"]  # and the deny is alice's alone
    # A deny in a group policy applies to every member.
    iam.put_group_policy(GroupName=department.group, PolicyName="no-roles",
                         PolicyDocument=document(deny("iam:ListRoles")))
    for member in (alice, bob):
        assert denied(member.iam.list_roles) == (
            "AccessDenied", denial(member.arn, "iam:ListRoles", listing(member.arn, "role"), EXPLICIT), 403)
    iam.delete_user_policy(UserName=alice.name, PolicyName="no-listing-users")
    iam.delete_group_policy(GroupName=department.group, PolicyName="no-roles")
    assert alice.iam.list_users()["Users"] and bob.iam.list_roles()["IsTruncated"] is False


def test_a_permissions_boundary_caps_administrator_access(
        iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    boundary = iam.create_policy(PolicyName=unique("boundary"), PolicyDocument=document(
        allow("iam:List*", "iam:GetUser", "iam:CreateUser", "iam:DeleteUser")))["Policy"]["Arn"]
    carol = make_user(iamd_server, iam, unique("carol"))
    iam.attach_user_policy(UserName=carol.name, PolicyArn=ADMIN_ARN)
    assert carol.iam.list_policies(Scope="Local", MaxItems=1)["Policies"]
    iam.put_user_permissions_boundary(UserName=carol.name, PermissionsBoundary=boundary)

    assert carol.iam.list_users()["Users"]
    made = unique("made")
    carol.iam.create_user(UserName=made)  # allowed by both AdministratorAccess and the boundary
    carol.iam.delete_user(UserName=made)
    account = carol.arn.split(":")[4]
    name = unique("p")
    assert denied(carol.iam.create_policy, PolicyName=name, PolicyDocument=document(allow("s3:*"))) == (
        "AccessDenied",
        denial(carol.arn, "iam:CreatePolicy", f"policy arn:aws:iam::{account}:policy/{name}", BOUNDARY), 403)
    # The boundary keeps carol from lifting it herself.
    assert denied(carol.iam.delete_user_permissions_boundary, UserName=carol.name) == (
        "AccessDenied",
        denial(carol.arn, "iam:DeleteUserPermissionsBoundary", f"user {carol.name}", BOUNDARY), 403)
    # A boundary grants nothing on its own: without the attachment even what it allows is refused.
    iam.detach_user_policy(UserName=carol.name, PolicyArn=ADMIN_ARN)
    assert denied(carol.iam.list_users) == (
        "AccessDenied", denial(carol.arn, "iam:ListUsers", listing(carol.arn, "user"), IDENTITY), 403)
    iam.attach_user_policy(UserName=carol.name, PolicyArn=ADMIN_ARN)
    iam.delete_user_permissions_boundary(UserName=carol.name)
    carol.iam.create_policy(PolicyName=name, PolicyDocument=document(allow("s3:*")))
    carol.iam.delete_policy(PolicyArn=f"arn:aws:iam::{account}:policy/{name}")


def test_a_refused_document_changes_nothing(iam: Any, department: Department, unique: Any) -> None:
    alice = department.alice
    name = unique("broken")
    arn = f"arn:aws:iam::{department.account}:policy/{name}"
    assert denied(iam.create_policy, PolicyName=name, PolicyDocument='{"Version": "2012-10-17", ') == (
        "MalformedPolicyDocument", "Syntax errors in policy.", 400)
    assert denied(iam.get_policy, PolicyArn=arn) == (
        "NoSuchEntity", f"Policy {arn} was not found.", 404)

    iam.put_user_policy(UserName=alice.name, PolicyName="guard",
                        PolicyDocument=document(deny("iam:ListUsers")))
    assert denied(iam.put_user_policy, UserName=alice.name, PolicyName="guard",
                  PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                      {"Effect": "Allow", "Action": "iam:ListUsers"}]})) == (
        "MalformedPolicyDocument", "Policy statement must contain resources.", 400)
    kept = iam.get_user_policy(UserName=alice.name, PolicyName="guard")["PolicyDocument"]
    assert kept["Statement"] == [deny("iam:ListUsers")]
    # ... and the old document is still the one enforced.
    assert denied(alice.iam.list_users)[1] == denial(alice.arn, "iam:ListUsers", listing(alice.arn, "user"), EXPLICIT)

    assert denied(iam.create_policy_version, PolicyArn=department.policy_arn,
                  PolicyDocument=document(allow("iam:*"), {"Effect": "Allow"})) == (
        "MalformedPolicyDocument", "Policy statement must contain actions.", 400)
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=department.policy_arn)[
        "Versions"]] == ["v1"]
    assert denied(department.bob.iam.create_group, GroupName=unique("g"))[0] == "AccessDenied"


def test_switching_the_default_version_applies_on_the_next_request(
        iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    dave = make_user(iamd_server, iam, unique("dave"))
    arn = iam.create_policy(PolicyName=unique("switch"),
                            PolicyDocument=document(allow("iam:ListGroups")))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=dave.name, PolicyArn=arn)
    assert dave.iam.list_groups()["IsTruncated"] is False
    assert denied(dave.iam.list_roles)[1] == denial(dave.arn, "iam:ListRoles", listing(dave.arn, "role"), IDENTITY)

    # A version that is not the default changes nothing.
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=document(allow("iam:ListRoles")))
    assert dave.iam.list_groups()["IsTruncated"] is False
    assert denied(dave.iam.list_roles)[0] == "AccessDenied"

    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    assert dave.iam.list_roles()["IsTruncated"] is False
    assert denied(dave.iam.list_groups)[1] == denial(dave.arn, "iam:ListGroups", listing(dave.arn, "group"), IDENTITY)

    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert dave.iam.list_groups()["IsTruncated"] is False
    assert denied(dave.iam.list_roles)[0] == "AccessDenied"

    # SetAsDefault on a new version takes effect at once too.
    iam.create_policy_version(PolicyArn=arn, SetAsDefault=True,
                              PolicyDocument=document(allow("iam:ListGroups", "iam:ListRoles")))
    assert dave.iam.list_roles()["IsTruncated"] is False and dave.iam.list_groups()["IsTruncated"] is False
    # Detaching takes everything away.
    iam.detach_user_policy(UserName=dave.name, PolicyArn=arn)
    assert denied(dave.iam.list_groups)[1] == denial(dave.arn, "iam:ListGroups", listing(dave.arn, "group"), IDENTITY)


def _evaluate(request: dict[str, Any]) -> str:
    """`iamd policy evaluate` on one request; the decision."""
    done = subprocess.run([sys.executable, "-m", "iamd.cli.main", "policy", "evaluate", "-"],
                          input=json.dumps(request), capture_output=True, text=True, check=True)
    return str(json.loads(done.stdout)["decision"])


def test_the_stored_documents_decide_other_services_too(iam: Any, department: Department) -> None:
    # iamd has no request endpoint for S3; the documents the department's
    # members get, read back through the API, decide S3 requests as stored.
    alice = department.alice
    iam.put_user_policy(UserName=alice.name, PolicyName="no-secrets",
                        PolicyDocument=document(deny("s3:GetObject", resource="arn:aws:s3:::dept-data/secret/*")))
    policy = iam.get_policy(PolicyArn=department.policy_arn)["Policy"]
    identity = [iam.get_policy_version(PolicyArn=department.policy_arn,
                                       VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"],
                iam.get_user_policy(UserName=alice.name, PolicyName="no-secrets")["PolicyDocument"]]

    def decide(action: str, resource: str) -> str:
        return _evaluate({"action": action, "resource": resource,
                          "principal": {"arn": alice.arn, "account": department.account},
                          "context": {}, "policies": {"identity": identity}})

    assert decide("s3:GetObject", "arn:aws:s3:::dept-data/report.csv") == "Allow"
    assert decide("s3:ListBucket", "arn:aws:s3:::dept-data") == "Allow"
    assert decide("s3:PutObject", "arn:aws:s3:::dept-data/report.csv") == "ImplicitDeny"
    assert decide("s3:GetObject", "arn:aws:s3:::other-bucket/report.csv") == "ImplicitDeny"
    assert decide("s3:GetObject", "arn:aws:s3:::dept-data/secret/plans.txt") == "ExplicitDeny"


# --- the same story through the AWS CLI -------------------------------------------


def aws_cli(server: IamdServer, key_id: str, secret: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Only the credentials given here: no profile, config file or pager of the machine's.
    env = {**os.environ, "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret,
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp / "config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "credentials"), "AWS_PAGER": "",
           "AWS_MAX_ATTEMPTS": "1"}
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    aws = str(Path(sys.executable).parent / "aws")
    return subprocess.run([aws, "--endpoint-url", server.endpoint, "--output", "json", "iam", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def test_the_story_through_the_aws_cli(iamd_server: IamdServer, iam: Any, unique: Any,
                                       tmp_path: Path) -> None:
    admin_key, admin_secret = iamd_server.access_key_id, iamd_server.secret_access_key

    def admin(*args: str) -> Any:
        done = aws_cli(iamd_server, admin_key, admin_secret, tmp_path, *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    policy_file = tmp_path / "read.json"
    policy_file.write_text(document(allow("iam:ListUsers", "iam:GetUser")))
    name = unique("cli-read")
    arn = admin("create-policy", "--policy-name", name, "--policy-document",
                f"file://{policy_file}")["Policy"]["Arn"]
    user = unique("erin")
    admin("create-user", "--user-name", user)
    admin("attach-user-policy", "--user-name", user, "--policy-arn", arn)
    key = admin("create-access-key", "--user-name", user)["AccessKey"]
    user_arn = admin("get-user", "--user-name", user)["User"]["Arn"]
    assert admin("list-attached-user-policies", "--user-name", user)["AttachedPolicies"] == [
        {"PolicyName": name, "PolicyArn": arn}]

    def as_erin(*args: str) -> subprocess.CompletedProcess[str]:
        return aws_cli(iamd_server, key["AccessKeyId"], key["SecretAccessKey"], tmp_path, *args)

    listed = as_erin("list-users")
    assert listed.returncode == 0, listed.stderr
    assert user in [u["UserName"] for u in json.loads(listed.stdout)["Users"]]
    refused = as_erin("list-groups")
    assert refused.returncode != 0
    assert ("An error occurred (AccessDenied) when calling the ListGroups operation: "
            + denial(user_arn, "iam:ListGroups", listing(user_arn, "group"), IDENTITY)) in refused.stderr

    # The administrator switches the policy to a new default version.
    policy_file.write_text(document(allow("iam:ListGroups")))
    version = admin("create-policy-version", "--policy-arn", arn, "--policy-document",
                    f"file://{policy_file}", "--set-as-default")["PolicyVersion"]
    assert version["VersionId"] == "v2" and version["IsDefaultVersion"] is True
    assert as_erin("list-groups").returncode == 0
    refused = as_erin("list-users")
    assert ("An error occurred (AccessDenied) when calling the ListUsers operation: "
            + denial(user_arn, "iam:ListUsers", listing(user_arn, "user"), IDENTITY)) in refused.stderr
    document_back = admin("get-policy-version", "--policy-arn", arn, "--version-id", "v2")
    assert document_back["PolicyVersion"]["Document"]["Statement"] == [allow("iam:ListGroups")]

    # A malformed document through the CLI: refused, and nothing stored.
    policy_file.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}')
    broken = aws_cli(iamd_server, admin_key, admin_secret, tmp_path, "create-policy",
                     "--policy-name", unique("cli-broken"), "--policy-document", f"file://{policy_file}")
    assert broken.returncode != 0
    assert "An error occurred (MalformedPolicyDocument) when calling the CreatePolicy operation: " in broken.stderr
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 2


def test_a_malformed_policy_arn_is_refused_before_authorization(
        iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    # AWS checks an ARN's shape before it looks anything up: a caller allowed
    # nothing hears InvalidInput, not AccessDenied.
    nobody = make_user(iamd_server, iam, unique("nobody"))
    assert denied(nobody.iam.get_policy, PolicyArn="a-policy-name-and-no-arn") == (
        "InvalidInput", "ARN a-policy-name-and-no-arn is not valid.", 400)
    assert denied(nobody.iam.attach_user_policy, UserName=nobody.name,
                  PolicyArn="arn:aws:iam::123456789012") == (
        "InvalidInput", "ARN arn:aws:iam::123456789012 is not valid.", 400)
    # A well-formed one is decided as always.
    code, _, status = denied(nobody.iam.get_policy,
                             PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert (code, status) == ("AccessDenied", 403)
