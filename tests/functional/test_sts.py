"""STS end to end: roles assumed within and across accounts, session policies,
chaining, federation tokens, session tokens, and what a token may not do."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from test_authorization_endpoint import authorize, client_request

from iamd.testing import IamdServer

ALLOW_ALL_IAM_READ = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"}]}


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return str(exc.value.response["Error"]["Code"]), str(exc.value.response["Error"]["Message"])


def trust(principal: Any, action: str = "sts:AssumeRole", **extra: Any) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action, **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def user_with_keys(iam: Any, name: str, policy: dict[str, Any] | None = None) -> tuple[str, str, str]:
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, key["AccessKeyId"], key["SecretAccessKey"]


def session_client(server: IamdServer, service: str, credentials: dict[str, Any]) -> Any:
    return server.client(service, credentials["AccessKeyId"], credentials["SecretAccessKey"],
                         credentials["SessionToken"])


def test_admin_role_assumed_temporarily(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    """The IAM introductions' story: a restricted user assumes an admin role for a task,
    and has only their own permissions again afterwards."""
    account = iamd_server.client("sts").get_caller_identity()["Account"]
    role_name, user_name = unique("Admin"), unique("operator")
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust(
        {"AWS": f"arn:aws:iam::{account}:root"}))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=role_name, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    _, key_id, secret = user_with_keys(iam, user_name, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]})
    own_iam = iamd_server.client("iam", key_id, secret)
    with pytest.raises(ClientError) as exc:
        own_iam.list_roles()
    assert error(exc)[0] == "AccessDenied"

    assumed = iamd_server.client("sts", key_id, secret).assume_role(
        RoleArn=role_arn, RoleSessionName="task-1", DurationSeconds=900)
    credentials = assumed["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{role_name}/task-1"
    assert assumed["AssumedRoleUser"]["AssumedRoleId"].endswith(":task-1")
    identity = session_client(iamd_server, "sts", credentials).get_caller_identity()
    assert identity["Arn"] == assumed["AssumedRoleUser"]["Arn"]
    assert role_name in [r["RoleName"] for r in session_client(iamd_server, "iam", credentials)
                         .list_roles(MaxItems=1000)["Roles"]]
    # After the session, the user's own permissions are what they were.
    with pytest.raises(ClientError):
        own_iam.list_roles()


def test_denied_assume_has_aws_message(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    account = iamd_server.client("sts").get_caller_identity()["Account"]
    role_name = unique("Locked")
    other = iam.create_user(UserName=unique("other"))["User"]["Arn"]
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust(
        {"AWS": other}))["Role"]["Arn"]
    user_arn, key_id, secret = user_with_keys(iam, unique("caller"), {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]})
    with pytest.raises(ClientError) as exc:
        iamd_server.client("sts", key_id, secret).assume_role(RoleArn=role_arn, RoleSessionName="session")
    code, message = error(exc)
    assert code == "AccessDenied"
    assert message == (f"User: {user_arn} is not authorized to perform: sts:AssumeRole on resource: "
                       f"{role_arn} because no resource-based policy allows the sts:AssumeRole action")
    assert account in role_arn


def test_external_id_and_session_policy(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    account = iamd_server.client("sts").get_caller_identity()["Account"]
    role_name = unique("Partner")
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust(
        {"AWS": f"arn:aws:iam::{account}:root"},
        Condition={"StringEquals": {"sts:ExternalId": "secret-handshake"}}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role_name, PolicyName="read", PolicyDocument=json.dumps(ALLOW_ALL_IAM_READ))
    sts = iamd_server.client("sts")
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="session")
    assert error(exc)[0] == "AccessDenied"
    narrowed = sts.assume_role(
        RoleArn=role_arn, RoleSessionName="session", ExternalId="secret-handshake",
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))
    session = session_client(iamd_server, "iam", narrowed["Credentials"])
    session.list_users()
    with pytest.raises(ClientError) as exc:
        session.list_roles()
    assert error(exc)[1].endswith("because no session policy allows the iam:ListRoles action")


def test_role_chaining_is_limited_to_an_hour_and_carries_transitive_tags(
        iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    account = iamd_server.client("sts").get_caller_identity()["Account"]
    first, second = unique("First"), unique("Second")
    root = {"AWS": f"arn:aws:iam::{account}:root"}
    both = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": root, "Action": ["sts:AssumeRole", "sts:TagSession"]}]}
    first_arn = iam.create_role(RoleName=first, AssumeRolePolicyDocument=json.dumps(both))["Role"]["Arn"]
    second_arn = iam.create_role(RoleName=second, AssumeRolePolicyDocument=json.dumps(both),
                                 MaxSessionDuration=7200)["Role"]["Arn"]
    iam.put_role_policy(RoleName=first, PolicyName="hop", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": second_arn}]}))
    iam.put_role_policy(RoleName=second, PolicyName="tagged", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/project": "apollo"}}}]}))
    hop = iamd_server.client("sts").assume_role(
        RoleArn=first_arn, RoleSessionName="one", Tags=[{"Key": "project", "Value": "apollo"}],
        TransitiveTagKeys=["project"])["Credentials"]
    chained_sts = session_client(iamd_server, "sts", hop)
    with pytest.raises(ClientError) as exc:
        chained_sts.assume_role(RoleArn=second_arn, RoleSessionName="two", DurationSeconds=3601)
    assert error(exc)[0] == "ValidationError"
    second_session = chained_sts.assume_role(RoleArn=second_arn, RoleSessionName="two")["Credentials"]
    # The transitive tag reached the second session, so its tag condition holds.
    session_client(iamd_server, "iam", second_session).list_users()


def test_federation_token_needs_a_policy(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    """A federated user may do only what both the user's policies and the session
    policy allow, and never call IAM (the "Compare AWS STS credentials" table):
    its permissions show where it is used, at another service (/_iamd/authorize)."""
    name = unique("broker")
    _, key_id, secret = user_with_keys(iam, name, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sts:GetFederationToken", "iam:List*", "s3:*"],
         "Resource": "*"}]})
    sts = iamd_server.client("sts", key_id, secret)
    bare = sts.get_federation_token(Name="carol")
    assert bare["FederatedUser"]["Arn"].endswith(":federated-user/carol")
    with pytest.raises(ClientError) as exc:
        session_client(iamd_server, "iam", bare["Credentials"]).list_users()
    assert error(exc)[0] == "InvalidClientTokenId"

    def decision(issued: dict[str, Any], action: str = "s3:GetObject") -> str:
        creds = Credentials(issued["AccessKeyId"], issued["SecretAccessKey"],
                            issued["SessionToken"])
        method = "GET" if action == "s3:GetObject" else "DELETE"
        answer = authorize(iamd_server, client_request(creds, method=method), action=action)
        return str(answer["decision"])

    assert decision(bare["Credentials"]) == "ImplicitDeny"
    scoped = sts.get_federation_token(Name="carol", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                "Resource": "*"}]}))
    assert decision(scoped["Credentials"]) == "Allow"
    assert decision(scoped["Credentials"], "s3:DeleteObject") == "ImplicitDeny"


def test_session_token_and_tampering(iamd_server: IamdServer) -> None:
    credentials = iamd_server.client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    session = session_client(iamd_server, "sts", credentials)
    assert session.get_caller_identity()["Arn"].endswith(":user/admin")
    with pytest.raises(ClientError) as exc:
        session.get_session_token()
    assert error(exc)[0] == "AccessDenied"
    forged = dict(credentials, SessionToken=credentials["SessionToken"][:-6] + "AAAAAA")
    with pytest.raises(ClientError) as exc:
        session_client(iamd_server, "sts", forged).get_caller_identity()
    assert error(exc)[0] == "InvalidClientTokenId"
    missing = dict(credentials, SessionToken="")
    with pytest.raises(ClientError) as exc:
        iamd_server.client("sts", missing["AccessKeyId"], missing["SecretAccessKey"]).get_caller_identity()
    assert error(exc)[0] == "InvalidClientTokenId"


def test_cross_account_role(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    """A second account trusts the first; both sides must agree."""
    other_account, key_id, secret = iamd_server.create_account(unique("prod"))
    other_iam = iamd_server.client("iam", key_id, secret)
    home = iamd_server.client("sts").get_caller_identity()["Account"]
    role_arn = other_iam.create_role(RoleName="FromHome", AssumeRolePolicyDocument=trust(
        {"AWS": f"arn:aws:iam::{home}:root"}))["Role"]["Arn"]
    other_iam.put_role_policy(RoleName="FromHome", PolicyName="read",
                              PolicyDocument=json.dumps(ALLOW_ALL_IAM_READ))
    assert other_account in role_arn
    # The home admin (AdministratorAccess) may assume it: identity side allows, trust agrees.
    credentials = iamd_server.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="xx")["Credentials"]
    in_other = session_client(iamd_server, "iam", credentials)
    assert [u["UserName"] for u in in_other.list_users()["Users"]] == ["admin"]
    # A home user without an identity allow is refused although the trust names the account.
    _, key_id, secret = user_with_keys(iam, unique("plain"))
    with pytest.raises(ClientError) as exc:
        iamd_server.client("sts", key_id, secret).assume_role(RoleArn=role_arn, RoleSessionName="xx")
    assert error(exc)[0] == "AccessDenied"
    # Accounts do not see each other's IAM data.
    with pytest.raises(ClientError) as exc:
        other_iam.get_user(UserName="admin-not-there")
    assert error(exc)[0] == "NoSuchEntity"


def test_revoking_a_roles_active_sessions(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    """The console's "Revoke active sessions": an inline policy that denies
    everything to sessions issued before now (aws:TokenIssueTime), as AWS
    attaches it. Sessions issued later are untouched."""
    account = iamd_server.client("sts").get_caller_identity()["Account"]
    role = unique("revoked")
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust(
        {"AWS": f"arn:aws:iam::{account}:root"}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="read", PolicyDocument=json.dumps(ALLOW_ALL_IAM_READ))
    sts = iamd_server.client("sts")
    old = session_client(iamd_server, "iam", sts.assume_role(
        RoleArn=role_arn, RoleSessionName="before")["Credentials"])
    old.get_role(RoleName=role)

    time.sleep(1.1)  # aws:TokenIssueTime has whole seconds
    revoked_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    iam.put_role_policy(RoleName=role, PolicyName="AWSRevokeOlderSessions", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": ["*"], "Resource": ["*"],
                       "Condition": {"DateLessThan": {"aws:TokenIssueTime": revoked_at}}}]}))
    with pytest.raises(ClientError) as exc:
        old.get_role(RoleName=role)
    code, message = error(exc)
    assert code == "AccessDenied"
    assert "with an explicit deny in an identity-based policy" in message

    time.sleep(1.1)
    new = session_client(iamd_server, "iam", sts.assume_role(
        RoleArn=role_arn, RoleSessionName="after")["Credentials"])
    assert new.get_role(RoleName=role)["Role"]["RoleName"] == role
