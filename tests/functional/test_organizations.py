"""AWS Organizations end to end with boto3: the organization, its OUs and
accounts, SCPs and RCPs, and their enforcement on the requests of member
accounts.

Each backend gets a server of its own for this module: the organization it
builds makes the server's first account a management account, which no
other test expects.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from test_authorization_endpoint import call, client_request

from conftest import database_for
from iamd.testing import IamdServer

NOT_IN_USE = "Your account is not a member of an organization."


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[IamdServer]:
    database = database_for(request.param)
    data_dir: Path = tmp_path_factory.mktemp(f"iamd-orgs-{request.param}")
    with IamdServer.start(data_dir, database=database) as started:
        yield started


def failure(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call()
    error = exc.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def test_the_organization_tree(server: IamdServer) -> None:
    # An account of its own: the server's first account manages the `tree` organization.
    management, key_id, secret = server.create_account("tree-test")
    orgs = server.client("organizations", key_id, secret)
    assert failure(orgs.describe_organization) == ("AWSOrganizationsNotInUseException", NOT_IN_USE)
    created = orgs.create_organization(FeatureSet="ALL")["Organization"]
    assert created["Id"].startswith("o-") and created["MasterAccountId"] == management
    assert created["Arn"] == f"arn:aws:organizations::{management}:organization/{created['Id']}"
    assert orgs.describe_organization()["Organization"]["Id"] == created["Id"]
    assert failure(orgs.create_organization)[0] == "AlreadyInOrganizationException"

    root = orgs.list_roots()["Roots"][0]
    assert root["Id"].startswith("r-") and root["Name"] == "Root" and root["PolicyTypes"] == []
    unit = orgs.create_organizational_unit(ParentId=root["Id"], Name="Workloads")["OrganizationalUnit"]
    assert unit["Id"].startswith(f"ou-{root['Id'][2:]}-")
    assert failure(lambda: orgs.create_organizational_unit(ParentId=root["Id"], Name="Workloads")
                   )[0] == "DuplicateOrganizationalUnitException"
    assert failure(lambda: orgs.create_organizational_unit(ParentId="r-zzzz", Name="X")
                   )[0] == "ParentNotFoundException"
    nested = orgs.create_organizational_unit(ParentId=unit["Id"], Name="Prod")["OrganizationalUnit"]
    orgs.update_organizational_unit(OrganizationalUnitId=nested["Id"], Name="Production")
    chain = [nested["Id"]]
    for depth in (3, 4, 5):  # five levels of OUs under the root at most
        chain.append(orgs.create_organizational_unit(
            ParentId=chain[-1], Name=f"Level{depth}")["OrganizationalUnit"]["Id"])
    with pytest.raises(ClientError) as too_deep:
        orgs.create_organizational_unit(ParentId=chain[-1], Name="Level6")
    assert too_deep.value.response["Reason"] == "OU_DEPTH_LIMIT_EXCEEDED"
    for unit_id in reversed(chain[1:]):
        orgs.delete_organizational_unit(OrganizationalUnitId=unit_id)
    described = orgs.describe_organizational_unit(OrganizationalUnitId=nested["Id"])
    assert described["OrganizationalUnit"]["Name"] == "Production"
    listed = orgs.list_organizational_units_for_parent(ParentId=unit["Id"])["OrganizationalUnits"]
    assert [u["Id"] for u in listed] == [nested["Id"]]

    # Organizations calls are authorized by policy, on the resource's ARN and tags.
    orgs.tag_resource(ResourceId=unit["Id"], Tags=[{"Key": "team", "Value": "ci"}])
    iam = server.client("iam", key_id, secret)
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="ci-units", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "organizations:DescribeOrganizationalUnit",
            "Resource": f"arn:aws:organizations::{management}:ou/{created['Id']}/*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "ci"}}}]}))
    reader_key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = server.client("organizations", reader_key["AccessKeyId"],
                           reader_key["SecretAccessKey"])
    reader.describe_organizational_unit(OrganizationalUnitId=unit["Id"])
    assert failure(lambda: reader.describe_organizational_unit(OrganizationalUnitId=nested["Id"])
                   ) == ("AccessDeniedException",
                         f"User: arn:aws:iam::{management}:user/reader is not authorized to perform: "
                         "organizations:DescribeOrganizationalUnit on resource: "
                         f"arn:aws:organizations::{management}:ou/{created['Id']}/{nested['Id']} "
                         "because no identity-based policy allows the "
                         "organizations:DescribeOrganizationalUnit action")

    status = orgs.create_account(Email="dev@example.com", AccountName="dev")["CreateAccountStatus"]
    assert status["State"] == "SUCCEEDED"
    account_id = status["AccountId"]
    again = orgs.describe_create_account_status(CreateAccountRequestId=status["Id"])
    assert again["CreateAccountStatus"]["AccountId"] == account_id
    # Bad input changes nothing.
    assert failure(lambda: orgs.create_account(
        Email="twice@example.com", AccountName="twice",
        Tags=[{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}])
    ) == ("InvalidInputException", "You provided duplicate tag keys.")
    assert len(orgs.list_accounts()["Accounts"]) == 2
    duplicate = orgs.create_account(Email="DEV@example.com", AccountName="dev2")["CreateAccountStatus"]
    assert (duplicate["State"], duplicate["FailureReason"]) == ("FAILED", "EMAIL_ALREADY_EXISTS")
    assert {a["Id"] for a in orgs.list_accounts()["Accounts"]} == {management, account_id}
    account = orgs.describe_account(AccountId=account_id)["Account"]
    assert (account["Name"], account["Email"], account["JoinedMethod"]) == ("dev", "dev@example.com",
                                                                          "CREATED")

    orgs.move_account(AccountId=account_id, SourceParentId=root["Id"],
                      DestinationParentId=nested["Id"])
    assert orgs.describe_account(AccountId=account_id)["Account"]["Paths"] == [
        f"{created['Id']}/{root['Id']}/{unit['Id']}/{nested['Id']}/{account_id}/"]
    assert orgs.describe_organizational_unit(OrganizationalUnitId=nested["Id"])[
        "OrganizationalUnit"]["Path"] == f"{created['Id']}/{root['Id']}/{unit['Id']}/{nested['Id']}/"
    assert orgs.list_parents(ChildId=account_id)["Parents"] == [
        {"Id": nested["Id"], "Type": "ORGANIZATIONAL_UNIT"}]
    children = orgs.list_children(ParentId=nested["Id"], ChildType="ACCOUNT")["Children"]
    assert children == [{"Id": account_id, "Type": "ACCOUNT"}]
    in_parent = orgs.list_accounts_for_parent(ParentId=nested["Id"])["Accounts"]
    assert [a["Id"] for a in in_parent] == [account_id]
    assert failure(lambda: orgs.move_account(AccountId=account_id, SourceParentId=root["Id"],
                                             DestinationParentId=unit["Id"])
                   )[0] == "SourceParentNotFoundException"
    assert failure(lambda: orgs.delete_organizational_unit(OrganizationalUnitId=nested["Id"])
                   )[0] == "OrganizationalUnitNotEmptyException"
    assert failure(orgs.delete_organization)[0] == "OrganizationNotEmptyException"

    # The management account reaches the new account through the role AWS makes there.
    sts = server.client("sts", key_id, secret)
    assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
                              RoleSessionName="admin")["Credentials"]
    member_sts = server.client("sts", assumed["AccessKeyId"], assumed["SecretAccessKey"],
                               assumed["SessionToken"])
    assert member_sts.get_caller_identity()["Account"] == account_id
    member_orgs = server.client("organizations", assumed["AccessKeyId"],
                                assumed["SecretAccessKey"], assumed["SessionToken"])
    assert member_orgs.describe_organization()["Organization"]["Id"] == created["Id"]
    assert failure(member_orgs.list_accounts) == (
        "AccessDeniedException", "You don't have permissions to access this resource.")

    orgs.remove_account_from_organization(AccountId=account_id)
    assert failure(member_orgs.describe_organization)[0] == "AWSOrganizationsNotInUseException"
    orgs.delete_organizational_unit(OrganizationalUnitId=nested["Id"])
    orgs.delete_organizational_unit(OrganizationalUnitId=unit["Id"])
    orgs.delete_organization()
    assert failure(orgs.describe_organization)[0] == "AWSOrganizationsNotInUseException"


def _document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


REGION_LOCK = _document({"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*",
                         "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-west-2"}}})
NO_LEAVING = _document({"Effect": "Deny", "Action": "organizations:LeaveOrganization",
                        "Resource": "*"})


def _session(server: IamdServer, credentials: dict[str, str], service: str,
             region: str = "us-east-1") -> Any:
    return server.client(service, credentials["AccessKeyId"], credentials["SecretAccessKey"],
                         credentials["SessionToken"], region=region)


def _admin_of(server: IamdServer, account_id: str) -> dict[str, str]:
    """Credentials in a member account, through the role CreateAccount made there."""
    credentials: dict[str, str] = server.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
        RoleSessionName="admin")["Credentials"]
    return credentials


@pytest.fixture(scope="module")
def tree(server: IamdServer) -> dict[str, str]:
    """An organization of the server's first account with two OUs and three member accounts (one in each OU,
    one in the root), SCPs and RCPs enabled."""
    orgs = server.client("organizations")
    organization = orgs.create_organization(FeatureSet="ALL")["Organization"]
    root = orgs.list_roots()["Roots"][0]["Id"]
    tree = {"organization": organization["Id"], "root": root}
    for name in ("Prod", "Sandbox"):
        tree[name] = orgs.create_organizational_unit(
            ParentId=root, Name=name)["OrganizationalUnit"]["Id"]
    for name, parent in (("prod", "Prod"), ("sandbox", "Sandbox"), ("shared", None)):
        status = orgs.create_account(Email=f"{name}-{secrets.token_hex(3)}@example.com",
                                     AccountName=name)["CreateAccountStatus"]
        tree[name] = status["AccountId"]
        if parent is not None:
            orgs.move_account(AccountId=status["AccountId"], SourceParentId=root,
                              DestinationParentId=tree[parent])
    for policy_type in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
        enabled = orgs.enable_policy_type(RootId=root, PolicyType=policy_type)["Root"]
    assert {t["Type"] for t in enabled["PolicyTypes"]} == {
        "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"}
    return tree


def test_service_control_policies_are_enforced(server: IamdServer, tree: dict[str, str]) -> None:
    orgs = server.client("organizations")
    management = server.client("sts").get_caller_identity()["Account"]
    attached = orgs.list_policies_for_target(TargetId=tree["Prod"], Filter="SERVICE_CONTROL_POLICY")
    assert [p["Id"] for p in attached["Policies"]] == ["p-FullAWSAccess"]

    region_lock = orgs.create_policy(Content=REGION_LOCK, Description="us-west-2 only",
                                     Name="RegionLock", Type="SERVICE_CONTROL_POLICY")["Policy"]
    region_lock_id = region_lock["PolicySummary"]["Id"]
    no_leaving = orgs.create_policy(Content=NO_LEAVING, Description="stay", Name="NoLeaving",
                                    Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=region_lock_id, TargetId=tree["Prod"])
    orgs.attach_policy(PolicyId=no_leaving, TargetId=tree["root"])
    targets = orgs.list_targets_for_policy(PolicyId=region_lock_id)["Targets"]
    assert [(t["TargetId"], t["Type"], t["Name"]) for t in targets] == [
        (tree["Prod"], "ORGANIZATIONAL_UNIT", "Prod")]

    # A user of the Prod account whom IAM allows to create users.
    admin = _admin_of(server, tree["prod"])
    setup = _session(server, admin, "iam", region="us-west-2")
    user = f"ops-{secrets.token_hex(3)}"
    setup.create_user(UserName=user)
    setup.put_user_policy(UserName=user, PolicyName="users", PolicyDocument=_document(
        {"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"}))
    key = setup.create_access_key(UserName=user)["AccessKey"]
    ops = server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    ops_west = server.client("iam", key["AccessKeyId"], key["SecretAccessKey"], region="us-west-2")

    code, message = failure(lambda: ops.create_user(UserName="denied-east"))
    assert code == "AccessDenied"
    assert message == (f"User: arn:aws:iam::{tree['prod']}:user/{user} is not authorized to "
                       "perform: iam:CreateUser on resource: user denied-east with an explicit "
                       "deny in a service control policy")
    ops_west.create_user(UserName="allowed-west")
    # The policy simulator sees the SCPs above the user's account too.
    simulated = setup.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{tree['prod']}:user/{user}", ActionNames=["iam:CreateUser"],
        ContextEntries=[{"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": ["eu-west-1"],
                         "ContextKeyType": "string"}])["EvaluationResults"][0]
    assert (simulated["EvalDecision"], simulated["OrganizationsDecisionDetail"]) == (
        "explicitDeny", {"AllowedByOrganizations": False})
    # The Sandbox account is outside the OU the region lock is attached to.
    _session(server, _admin_of(server, tree["sandbox"]), "iam").create_user(UserName="east")
    # The management account is exempt from every SCP.
    server.client("iam").create_user(UserName=f"mgmt-{secrets.token_hex(3)}")
    assert management not in (tree["prod"], tree["sandbox"])

    code, message = failure(lambda: _session(server, admin, "organizations").leave_organization())
    assert code == "AccessDeniedException"
    assert message.endswith("with an explicit deny in a service control policy")

    # Detaching the SCP restores access on the very next call.
    orgs.detach_policy(PolicyId=region_lock_id, TargetId=tree["Prod"])
    ops.create_user(UserName="allowed-east")
    orgs.attach_policy(PolicyId=region_lock_id, TargetId=tree["prod"])
    assert failure(lambda: ops.create_user(UserName="denied-again"))[0] == "AccessDenied"
    assert failure(lambda: orgs.delete_policy(PolicyId=region_lock_id))[0] == "PolicyInUseException"
    orgs.detach_policy(PolicyId=region_lock_id, TargetId=tree["prod"])
    ops.create_user(UserName="allowed-again")

    updated = orgs.update_policy(PolicyId=region_lock_id, Name="RegionLockWest")["Policy"]
    assert updated["PolicySummary"]["Name"] == "RegionLockWest" and updated["Content"] == REGION_LOCK
    described = orgs.describe_policy(PolicyId=region_lock_id)["Policy"]
    assert described["PolicySummary"]["Arn"] == (
        f"arn:aws:organizations::{management}:policy/{tree['organization']}"
        f"/service_control_policy/{region_lock_id}")
    listed = orgs.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
    assert {p["Name"] for p in listed} == {"FullAWSAccess", "RegionLockWest", "NoLeaving"}
    orgs.delete_policy(PolicyId=region_lock_id)
    assert failure(lambda: orgs.describe_policy(PolicyId=region_lock_id)
                   )[0] == "PolicyNotFoundException"


def test_policy_documents_and_attachments_are_checked(server: IamdServer,
                                                      tree: dict[str, str]) -> None:
    orgs = server.client("organizations")
    root = tree["root"]
    assert failure(lambda: orgs.create_policy(Content='{"Statement": []', Description="",
                                              Name="Broken", Type="SERVICE_CONTROL_POLICY")
                   ) == ("MalformedPolicyDocumentException",
                         "The provided policy document does not meet the requirements of the "
                         "specified policy type.")
    oversized = _document({"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*",
                           "Sid": "x" * 5200})
    with pytest.raises(ClientError) as too_big:
        orgs.create_policy(Content=oversized, Description="", Name="Big",
                           Type="SERVICE_CONTROL_POLICY")
    assert (too_big.value.response["Error"]["Code"], too_big.value.response["Error"]["Message"],
            too_big.value.response["Reason"]) == ("ConstraintViolationException",
                                                  "You have exceeded the maximum policy size.",
                                                  "POLICY_CONTENT_LIMIT_EXCEEDED")
    # Whitespace counts against an SCP's 5,120 characters, unlike IAM's quotas.
    padded = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}]}, indent=2000)
    assert failure(lambda: orgs.create_policy(Content=padded, Description="", Name="Padded",
                                              Type="SERVICE_CONTROL_POLICY")
                   )[0] == "ConstraintViolationException"
    with pytest.raises(ClientError) as exc:
        orgs.detach_policy(PolicyId="p-FullAWSAccess", TargetId=tree["Sandbox"])
    assert exc.value.response["Error"]["Code"] == "ConstraintViolationException"
    assert exc.value.response["Reason"] == "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"
    assert failure(lambda: orgs.detach_policy(PolicyId="p-RCPFullAWSAccess", TargetId=root)
                   )[0] == "InvalidInputException"
    assert failure(lambda: orgs.attach_policy(PolicyId="p-FullAWSAccess", TargetId=root)
                   )[0] == "DuplicatePolicyAttachmentException"
    assert failure(lambda: orgs.attach_policy(PolicyId="p-FullAWSAccess", TargetId="ou-zzzz-zzzzzzzz")
                   )[0] == "TargetNotFoundException"
    assert failure(lambda: orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
                   )[0] == "PolicyTypeAlreadyEnabledException"
    assert failure(lambda: orgs.describe_effective_policy(PolicyType="TAG_POLICY")
                   )[0] == "EffectivePolicyNotFoundException"


def test_resource_control_policies_guard_the_accounts_resources(
        server: IamdServer, tree: dict[str, str]) -> None:
    orgs = server.client("organizations")
    management = server.client("sts").get_caller_identity()["Account"]
    outsider, key_id, secret = server.create_account("outsider")
    only_us = orgs.create_policy(
        Content=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": tree["organization"]}},
        }]}),
        Description="roles for the organization only", Name=f"OnlyUs-{secrets.token_hex(3)}",
        Type="RESOURCE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=only_us, TargetId=tree["shared"])
    shared_iam = _session(server, _admin_of(server, tree["shared"]), "iam")
    role = f"partner-{secrets.token_hex(3)}"
    arn = shared_iam.create_role(RoleName=role, AssumeRolePolicyDocument=_document({
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": [f"arn:aws:iam::{outsider}:root", f"arn:aws:iam::{management}:root"]},
    }))["Role"]["Arn"]
    outside_sts = server.client("sts", key_id, secret)
    code, message = failure(lambda: outside_sts.assume_role(RoleArn=arn, RoleSessionName="outside"))
    assert code == "AccessDenied"
    assert message.endswith("with an explicit deny in a resource control policy")
    # The organization's own principals pass: the RCP denies only outsiders.
    server.client("sts").assume_role(RoleArn=arn, RoleSessionName="inside")
    orgs.detach_policy(PolicyId=only_us, TargetId=tree["shared"])
    outside_sts.assume_role(RoleArn=arn, RoleSessionName="outside")
    orgs.delete_policy(PolicyId=only_us)


def aws_cli(server: IamdServer, tmp: Path, credentials: dict[str, str], *args: str
            ) -> subprocess.CompletedProcess[str]:
    # Only the credentials given here: no profile, config file or pager of the machine's.
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp / "config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "credentials"), "AWS_PAGER": "",
                "AWS_MAX_ATTEMPTS": "1"})
    if credentials.get("SessionToken"):
        env["AWS_SESSION_TOKEN"] = credentials["SessionToken"]
    aws = str(Path(sys.executable).parent / "aws")
    return subprocess.run([aws, "--endpoint-url", server.endpoint, "--output", "json", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def test_organizations_through_the_aws_cli(server: IamdServer, tmp_path: Path) -> None:
    management, key_id, secret = server.create_account("cli-test")
    admin_key = {"AccessKeyId": key_id, "SecretAccessKey": secret}

    def admin(*args: str) -> Any:
        done = aws_cli(server, tmp_path, admin_key, "organizations", *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None

    organization = admin("create-organization", "--feature-set", "ALL")["Organization"]
    assert organization["MasterAccountId"] == management
    root = admin("list-roots")["Roots"][0]["Id"]
    unit = admin("create-organizational-unit", "--parent-id", root, "--name", "Builds",
                 "--tags", "Key=team,Value=ci")["OrganizationalUnit"]["Id"]
    member = admin("create-account", "--email", f"cli-{secrets.token_hex(3)}@example.com",
                   "--account-name", "builds")["CreateAccountStatus"]["AccountId"]
    admin("move-account", "--account-id", member, "--source-parent-id", root,
          "--destination-parent-id", unit)
    admin("enable-policy-type", "--root-id", root, "--policy-type", "SERVICE_CONTROL_POLICY")
    policy_file = tmp_path / "no-users.json"
    policy_file.write_text(_document({"Effect": "Deny", "Action": "iam:CreateUser",
                                      "Resource": "*"}))
    policy = admin("create-policy", "--name", "NoUsers", "--description", "no users",
                   "--type", "SERVICE_CONTROL_POLICY",
                   "--content", f"file://{policy_file}")["Policy"]["PolicySummary"]["Id"]
    admin("attach-policy", "--policy-id", policy, "--target-id", unit)
    attached = admin("list-policies-for-target", "--target-id", unit,
                     "--filter", "SERVICE_CONTROL_POLICY")["Policies"]
    assert sorted(p["Name"] for p in attached) == ["FullAWSAccess", "NoUsers"]
    assert admin("list-tags-for-resource", "--resource-id", unit)["Tags"] == [
        {"Key": "team", "Value": "ci"}]

    done = aws_cli(server, tmp_path, admin_key, "sts", "assume-role", "--role-arn",
                   f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
                   "--role-session-name", "cli")
    assert done.returncode == 0, done.stderr
    session = json.loads(done.stdout)["Credentials"]
    refused = aws_cli(server, tmp_path, session, "iam", "create-user", "--user-name", "nobody")
    assert refused.returncode != 0
    assert ("An error occurred (AccessDenied) when calling the CreateUser operation: "
            f"User: arn:aws:sts::{member}:assumed-role/OrganizationAccountAccessRole/cli is not "
            "authorized to perform: iam:CreateUser on resource: user nobody with an explicit deny "
            "in a service control policy") in refused.stderr
    admin("detach-policy", "--policy-id", policy, "--target-id", unit)
    allowed = aws_cli(server, tmp_path, session, "iam", "create-user", "--user-name", "somebody")
    assert allowed.returncode == 0, allowed.stderr


def test_consolidated_billing_until_every_member_approves_all_features(server: IamdServer) -> None:
    _, key_id, secret = server.create_account("billing-only")
    orgs = server.client("organizations", key_id, secret)
    created = orgs.create_organization(FeatureSet="CONSOLIDATED_BILLING")["Organization"]
    assert created["FeatureSet"] == "CONSOLIDATED_BILLING"
    root = orgs.list_roots()["Roots"][0]["Id"]
    assert failure(lambda: orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
                   )[0] == "PolicyTypeNotAvailableForOrganizationException"
    iam = server.client("iam", key_id, secret)
    assert failure(iam.list_organizations_features)[0] == "OrganizationNotInAllFeaturesModeException"

    # All features, once every member has approved.
    member, member_key, member_secret = server.create_account("billing-member")
    member_orgs = server.client("organizations", member_key, member_secret)
    invitation = orgs.invite_account_to_organization(Target={"Id": member, "Type": "ACCOUNT"})
    member_orgs.accept_handshake(HandshakeId=invitation["Handshake"]["Id"])
    request = orgs.enable_all_features()["Handshake"]
    assert (request["Action"], request["State"]) == ("ENABLE_ALL_FEATURES", "OPEN")
    assert failure(orgs.enable_all_features)[0] == "HandshakeConstraintViolationException"
    assert failure(lambda: orgs.accept_handshake(HandshakeId=request["Id"])
                   )[0] == "InvalidHandshakeTransitionException"
    approvals = member_orgs.list_handshakes_for_account(
        Filter={"ActionType": "APPROVE_ALL_FEATURES"})["Handshakes"]
    assert len(approvals) == 1
    member_orgs.accept_handshake(HandshakeId=approvals[0]["Id"])
    assert orgs.accept_handshake(HandshakeId=request["Id"])["Handshake"]["State"] == "ACCEPTED"
    assert orgs.describe_organization()["Organization"]["FeatureSet"] == "ALL"
    orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    assert failure(orgs.enable_all_features)[0] == "HandshakeConstraintViolationException"


def test_invitations_tags_closing_and_root_access(server: IamdServer) -> None:
    management, key_id, secret = server.create_account("inviter")
    invited, invited_key, invited_secret = server.create_account("invitee")
    orgs = server.client("organizations", key_id, secret)
    iam = server.client("iam", key_id, secret)
    invited_orgs = server.client("organizations", invited_key, invited_secret)
    organization = orgs.create_organization()["Organization"]["Id"]
    root = orgs.list_roots()["Roots"][0]["Id"]

    # An invitation to an account that exists: declined, then accepted.
    first = orgs.invite_account_to_organization(Target={"Id": invited, "Type": "ACCOUNT"},
                                                Notes="join us")["Handshake"]
    assert first["State"] == "OPEN" and first["Arn"] == (
        f"arn:aws:organizations::{management}:handshake/{organization}/invite/{first['Id']}")
    assert failure(lambda: orgs.invite_account_to_organization(
        Target={"Id": invited, "Type": "ACCOUNT"}))[0] == "DuplicateHandshakeException"
    listed = invited_orgs.list_handshakes_for_account()["Handshakes"]
    assert [h["Id"] for h in listed] == [first["Id"]]
    assert invited_orgs.decline_handshake(HandshakeId=first["Id"])["Handshake"]["State"] == "DECLINED"
    assert failure(lambda: invited_orgs.accept_handshake(HandshakeId=first["Id"])
                   )[0] == "InvalidHandshakeTransitionException"
    second = orgs.invite_account_to_organization(Target={"Id": invited, "Type": "ACCOUNT"})
    second_id = second["Handshake"]["Id"]
    assert orgs.describe_handshake(HandshakeId=second_id)["Handshake"]["State"] == "OPEN"
    assert invited_orgs.accept_handshake(HandshakeId=second_id)["Handshake"]["State"] == "ACCEPTED"
    assert invited_orgs.describe_organization()["Organization"]["Id"] == organization
    assert orgs.describe_account(AccountId=invited)["Account"]["JoinedMethod"] == "INVITED"
    states = {h["Id"]: h["State"] for h in orgs.list_handshakes_for_organization()["Handshakes"]}
    assert states == {first["Id"]: "DECLINED", second_id: "ACCEPTED"}
    assert failure(lambda: orgs.invite_account_to_organization(
        Target={"Id": invited, "Type": "ACCOUNT"}))[0] == "HandshakeConstraintViolationException"
    # Only an account that exists can be invited; an invitation canceled before it is answered.
    assert failure(lambda: orgs.invite_account_to_organization(
        Target={"Id": f"nobody-{secrets.token_hex(3)}@example.com", "Type": "EMAIL"})
    )[0] == "InvalidInputException"
    other_id, other_key, other_secret = server.create_account("canceled-invitee")
    other = server.client("organizations", other_key, other_secret)
    canceled = orgs.invite_account_to_organization(
        Target={"Id": other_id, "Type": "ACCOUNT"})["Handshake"]["Id"]
    assert orgs.cancel_handshake(HandshakeId=canceled)["Handshake"]["State"] == "CANCELED"
    assert failure(lambda: other.accept_handshake(HandshakeId=canceled)
                   )[0] == "InvalidHandshakeTransitionException"
    assert failure(lambda: other.accept_handshake(HandshakeId=second_id)
                   )[0] == "HandshakeNotFoundException"

    # A policy type enabled puts FullAWSAccess on every account; disabled, it is gone.
    orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    attached = orgs.list_policies_for_target(TargetId=invited, Filter="SERVICE_CONTROL_POLICY")
    assert [p["Name"] for p in attached["Policies"]] == ["FullAWSAccess"]
    assert orgs.disable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY"
                                    )["Root"]["PolicyTypes"] == []
    assert orgs.list_policies_for_target(TargetId=invited, Filter="SERVICE_CONTROL_POLICY"
                                         )["Policies"] == []

    # Tags on the root, an account and a policy.
    orgs.tag_resource(ResourceId=root, Tags=[{"Key": "env", "Value": "all"}])
    orgs.tag_resource(ResourceId=invited, Tags=[{"Key": "owner", "Value": "b"},
                                                 {"Key": "cost", "Value": "7"}])
    orgs.untag_resource(ResourceId=invited, TagKeys=["cost"])
    assert orgs.list_tags_for_resource(ResourceId=invited)["Tags"] == [{"Key": "owner", "Value": "b"}]
    assert orgs.list_tags_for_resource(ResourceId=root)["Tags"] == [{"Key": "env", "Value": "all"}]
    assert failure(lambda: orgs.tag_resource(ResourceId="ou-zzzz-zzzzzzzz", Tags=[
        {"Key": "a", "Value": "b"}]))[0] == "TargetNotFoundException"

    # Delegated administrators: none is registered.
    assert orgs.list_delegated_administrators()["DelegatedAdministrators"] == []
    assert failure(lambda: orgs.list_delegated_services_for_account(AccountId=invited)
                   )[0] == "AccountNotRegisteredException"
    assert failure(lambda: orgs.deregister_delegated_administrator(
        AccountId=invited, ServicePrincipal="iam.amazonaws.com"))[0] == "AccountNotRegisteredException"
    assert failure(lambda: orgs.register_delegated_administrator(
        AccountId=invited, ServicePrincipal="iam.amazonaws.com"))[0] == "InvalidInputException"

    # Centralized root access, from the organization: IAM must be trusted first.
    assert failure(iam.list_organizations_features)[0] == "ServiceAccessNotEnabledException"
    orgs.enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    trusted = orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert [p["ServicePrincipal"] for p in trusted] == ["iam.amazonaws.com"]
    features = iam.list_organizations_features()
    assert (features["OrganizationId"], features["EnabledFeatures"]) == (organization, [])
    iam.enable_organizations_root_credentials_management()
    enabled = iam.enable_organizations_root_sessions()
    assert enabled["EnabledFeatures"] == ["RootCredentialsManagement", "RootSessions"]
    assert iam.disable_organizations_root_sessions()["EnabledFeatures"] == ["RootCredentialsManagement"]
    iam.disable_organizations_root_credentials_management()
    assert iam.list_organizations_features()["EnabledFeatures"] == []
    invited_iam = server.client("iam", invited_key, invited_secret)
    assert failure(invited_iam.list_organizations_features)[0] == (
        "AccountNotManagementOrDelegatedAdministratorException")
    orgs.disable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    assert orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"] == []

    # Closing an account: it stays, suspended; the management account cannot be closed.
    orgs.close_account(AccountId=invited)
    assert orgs.describe_account(AccountId=invited)["Account"]["Status"] == "SUSPENDED"
    assert failure(lambda: orgs.close_account(AccountId=invited))[0] == "AccountAlreadyClosedException"
    assert failure(lambda: orgs.close_account(AccountId=management))[0] == "ConstraintViolationException"
    assert failure(lambda: orgs.describe_effective_policy(PolicyType="TAG_POLICY", TargetId=invited)
                   )[0] == "EffectivePolicyNotFoundException"
    statuses = orgs.list_create_account_status()["CreateAccountStatuses"]
    assert statuses == []

    # Every call is in the audit trail, under Organizations' event source.
    trail = server.client("cloudtrail", key_id, secret)
    events = trail.lookup_events(LookupAttributes=[
        {"AttributeKey": "EventName", "AttributeValue": "CreateOrganization"}])["Events"]
    assert [e["EventSource"] for e in events] == ["organizations.amazonaws.com"]


def test_a_change_applies_to_the_next_request_on_every_node(server: IamdServer,
                                                            tree: dict[str, str]) -> None:
    orgs = server.client("organizations")
    # A second node on the same store (and master key).
    with IamdServer.start(server.data_dir, database=server.database) as other_node:
        admin = _admin_of(server, tree["sandbox"])
        elsewhere = other_node.client("iam", admin["AccessKeyId"], admin["SecretAccessKey"],
                                      admin["SessionToken"])
        elsewhere.list_users()  # the other node's caches hold the session's permissions now
        no_listing = orgs.create_policy(
            Content=_document({"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}),
            Description="", Name=f"NoListing-{secrets.token_hex(3)}",
            Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
        orgs.attach_policy(PolicyId=no_listing, TargetId=tree["sandbox"])
        code, message = failure(elsewhere.list_users)
        assert code == "AccessDenied" and message.endswith(
            "with an explicit deny in a service control policy")
        orgs.detach_policy(PolicyId=no_listing, TargetId=tree["sandbox"])
        elsewhere.list_users()
        orgs.delete_policy(PolicyId=no_listing)


def test_the_authorization_endpoint_decides_with_scps_and_rcps(server: IamdServer,
                                                                tree: dict[str, str]) -> None:
    orgs = server.client("organizations")
    shared = _admin_of(server, tree["shared"])
    client = Credentials(shared["AccessKeyId"], shared["SecretAccessKey"], shared["SessionToken"])
    objects = "arn:aws:s3:::shared-reports/q1.csv"

    def decide(action: str, method: str) -> dict[str, Any]:
        status, answer = call(server, {**client_request(client, method=method), "action": action,
                                       "resource": objects, "resource_account": tree["shared"]},
                              (server.access_key_id, server.secret_access_key))
        assert status == 200, answer
        return answer

    assert decide("s3:DeleteObject", "DELETE")["decision"] == "Allow"
    keep = orgs.create_policy(
        Content=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "*"}]}),
        Description="", Name=f"KeepObjects-{secrets.token_hex(3)}",
        Type="RESOURCE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
    no_reading = orgs.create_policy(
        Content=_document({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}),
        Description="", Name=f"NoReading-{secrets.token_hex(3)}",
        Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=keep, TargetId=tree["shared"])
    orgs.attach_policy(PolicyId=no_reading, TargetId=tree["shared"])
    denied = decide("s3:DeleteObject", "DELETE")
    assert (denied["decision"], denied["explanation"]["policy_type"]) == ("ExplicitDeny", "rcp")
    denied = decide("s3:GetObject", "GET")
    assert (denied["decision"], denied["explanation"]["policy_type"]) == ("ExplicitDeny", "scp")
    for policy in (keep, no_reading):
        orgs.detach_policy(PolicyId=policy, TargetId=tree["shared"])
        orgs.delete_policy(PolicyId=policy)
    assert decide("s3:GetObject", "GET")["decision"] == "Allow"


def test_listings_page(server: IamdServer, tree: dict[str, str]) -> None:
    orgs = server.client("organizations")
    pages = list(orgs.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 1}))
    assert all(len(page["Accounts"]) == 1 for page in pages)
    listed = [a["Id"] for page in pages for a in page["Accounts"]]
    assert len(listed) == len(set(listed)) >= 4
    assert {tree["prod"], tree["sandbox"], tree["shared"]} <= set(listed)
    assert failure(lambda: orgs.list_accounts(NextToken="not-a-token")
                   ) == ("InvalidInputException", "The specified pagination token isn't valid.")
