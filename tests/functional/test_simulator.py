"""The IAM policy simulator end to end: boto3 against a real `iamd serve`.

SimulatePrincipalPolicy and SimulateCustomPolicy answer what AWS answers for
the same documents: the decisions, the statements that matched with IAM's
SourcePolicyIds and Line/Column positions (the numbers here are AWS's own,
from the AWS CLI's examples and a published run against AWS), the context
keys a relevant statement reads but the request lacks, the permissions
boundary and cross-account details, pagination. GetContextKeysFor*Policy list
the keys policies read. Above all, a simulation decides as enforcement does:
for users with group policies, explicit denies, a boundary and conditions,
the simulated decision of each IAM action is what that user's own keys get
when they make the call.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.testing import IamdServer

ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*actions: str, resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource, **extra}


def deny(*actions: str, resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": list(actions), "Resource": resource, **extra}


def error(call: Callable[..., Any], **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return str(exc.value.response["Error"]["Code"]), str(exc.value.response["Error"]["Message"])


def position(line: int, column: int) -> dict[str, int]:
    return {"Line": line, "Column": column}


def statement(source_id: str, start: tuple[int, int], end: tuple[int, int],
              source_type: str = "IAM Policy") -> dict[str, Any]:
    return {"SourcePolicyId": source_id, "SourcePolicyType": source_type,
            "StartPosition": position(*start), "EndPosition": position(*end)}


def one_line(text: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Positions of the only statement of a one-line document whose Statement is a
    list: IAM starts it just after "[" and ends it just after its "}"."""
    return (1, text.index("[") + 2), (1, text.rindex("]") + 1)


def decisions(results: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"]) for r in results]


@pytest.fixture
def account(iamd_server: IamdServer) -> str:
    return str(iamd_server.client("sts").get_caller_identity()["Account"])


# --- What is simulated, and how it is named ---------------------------------


def test_a_users_own_and_group_policies_are_simulated_with_iams_names(
        iam: Any, account: str, unique: Any) -> None:
    user, group = unique("sim-user"), unique("sim-group")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    own = json.dumps({"Version": "2012-10-17", "Statement": [allow("iam:GetUser")]},
                     separators=(",", ":"))
    iam.put_user_policy(UserName=user, PolicyName="read-self", PolicyDocument=own)
    lists = document(allow("iam:ListUsers"))
    iam.put_group_policy(GroupName=group, PolicyName="lists", PolicyDocument=lists)
    managed_name = unique("roles-reader")
    managed_text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n' \
                   '      "Action": "iam:ListRoles",\n      "Resource": "*"\n    }\n  ]\n}'
    managed = iam.create_policy(PolicyName=managed_name, PolicyDocument=managed_text)["Policy"]["Arn"]
    iam.attach_group_policy(GroupName=group, PolicyArn=managed)

    results = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["iam:GetUser", "iam:ListUsers", "iam:ListRoles",
                                          "iam:DeleteUser"])["EvaluationResults"]
    assert decisions(results) == [("iam:GetUser", "*", "allowed"), ("iam:ListUsers", "*", "allowed"),
                                  ("iam:ListRoles", "*", "allowed"),
                                  ("iam:DeleteUser", "*", "implicitDeny")]
    # Inline policies are "<entity type>_<entity name>_<policy name>" (Terraform's
    # acceptance test against AWS checks "user_<user>_<policy>"), managed ones
    # their name; every identity policy is an "IAM Policy".
    assert results[0]["MatchedStatements"] == [statement(f"user_{user}_read-self", *one_line(own))]
    assert results[1]["MatchedStatements"] == [statement(f"group_{group}_lists", *one_line(lists))]
    # The layout AWS stores its own managed policies in: (3,17)-(8,6), as in
    # AWS's answers for AdministratorAccess.
    assert results[2]["MatchedStatements"] == [statement(managed_name, (3, 17), (8, 6))]
    assert results[3]["MatchedStatements"] == []
    for result in results:
        assert result["MissingContextValues"] == []
        # Resources "*": no per-resource results, no decision details.
        assert "ResourceSpecificResults" not in result and "EvalDecisionDetails" not in result
        assert "PermissionsBoundaryDecisionDetail" not in result
        assert "OrganizationsDecisionDetail" not in result


def test_group_and_role_sources_simulate_their_own_policies(iam: Any, unique: Any) -> None:
    group, role = unique("sim-group"), unique("sim-role")
    group_arn = iam.create_group(GroupName=group, Path="/team/")["Group"]["Arn"]
    iam.put_group_policy(GroupName=group, PolicyName="g", PolicyDocument=document(allow("s3:ListBucket")))
    trust = document({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                      "Action": "sts:AssumeRole"})
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="r", PolicyDocument=document(allow("s3:GetObject")))
    iam.attach_role_policy(RoleName=role, PolicyArn=ADMIN_ARN)

    by_group = iam.simulate_principal_policy(PolicySourceArn=group_arn,
                                             ActionNames=["s3:ListBucket", "s3:GetObject"])
    assert decisions(by_group["EvaluationResults"]) == [("s3:ListBucket", "*", "allowed"),
                                                        ("s3:GetObject", "*", "implicitDeny")]
    assert by_group["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyId"] == f"group_{group}_g"
    assert by_group["IsTruncated"] is False and "Marker" not in by_group

    by_role = iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=["s3:GetObject"])
    matched = by_role["EvaluationResults"][0]["MatchedStatements"]
    assert [m["SourcePolicyId"] for m in matched] == [f"role_{role}_r", "AdministratorAccess"]
    # iamd stores AWS managed policies indented by four spaces.
    assert matched[1]["StartPosition"] == position(3, 19)
    assert matched[1]["EndPosition"] == position(8, 10)


def test_extra_policies_join_the_entitys_own(iam: Any, unique: Any) -> None:
    user = unique("sim-extra")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    extra = document(allow("sqs:SendMessage"))
    results = iam.simulate_principal_policy(
        PolicySourceArn=arn, PolicyInputList=[document(deny("sqs:DeleteQueue")), extra],
        ActionNames=["sqs:SendMessage", "sqs:DeleteQueue"])["EvaluationResults"]
    assert decisions(results) == [("sqs:SendMessage", "*", "allowed"),
                                  ("sqs:DeleteQueue", "*", "explicitDeny")]
    assert results[0]["MatchedStatements"] == [statement("PolicyInputList.2", *one_line(extra))]
    assert results[1]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    # Nothing was stored.
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == []


# --- Positions, with AWS's own numbers --------------------------------------

# The AWS CLI's example for simulate-custom-policy: AWS answers Line 1,
# Column 38 to Column 167 for its one statement.
CLI_EXAMPLE = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*",'
               '"Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":'
               '"2018-08-16T12:00:00Z"}}}}')


@pytest.mark.parametrize(("when", "decision", "matched"), [
    ("2019-04-25T11:00:00Z", "allowed", [statement("PolicyInputList.1", (1, 38), (1, 167))]),
    ("2014-04-25T11:00:00Z", "implicitDeny", []),
])
def test_the_aws_cli_example_answers_as_aws_does(iam: Any, when: str, decision: str,
                                                  matched: list[dict[str, Any]]) -> None:
    results = iam.simulate_custom_policy(
        PolicyInputList=[CLI_EXAMPLE], ActionNames=["dynamodb:CreateBackup"],
        ContextEntries=[{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": [when],
                         "ContextKeyType": "date"}])["EvaluationResults"]
    assert results == [{"EvalActionName": "dynamodb:CreateBackup", "EvalResourceName": "*",
                        "EvalDecision": decision, "MatchedStatements": matched,
                        "MissingContextValues": []}]


def test_a_published_run_against_aws_is_reproduced(iam: Any, account: str) -> None:
    """Scott Logic's "Automated permissions testing with AWS IAM Policy Simulator"
    (2025): a role's policy as json.dumps writes it, the bucket policy as S3
    returns it (compact), a dummy user as caller. AWS answered GetObject allowed
    by the role policy (1:41-1:180), PutObject implicitly denied, and DeleteObject
    explicitly denied by the bucket's second statement (1:248-1:470, starting
    where the first one ends) with the role policy's allow listed after it."""
    role_arn = f"arn:aws:iam::{account}:role/tims-test-role"
    role_policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "s3", "Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"],
        "Resource": ["arn:aws:s3:::tims-fancy-bucket/only-here/*"]}]})
    bucket_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "*",
         "Resource": ["arn:aws:s3:::tims-fancy-bucket/*", "arn:aws:s3:::tims-fancy-bucket"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "DenyTimDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
         "Resource": "arn:aws:s3:::tims-fancy-bucket/*",
         "Condition": {"ArnLike": {"aws:PrincipalArn": role_arn}}}]}, separators=(",", ":"))
    resource = "arn:aws:s3:::tims-fancy-bucket/only-here/some-obj"

    def simulate(secure: str) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = iam.simulate_custom_policy(
            PolicyInputList=[role_policy], CallerArn=f"arn:aws:iam::{account}:user/dummy",
            ActionNames=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            ResourceArns=[resource], ResourcePolicy=bucket_policy,
            ContextEntries=[
                {"ContextKeyName": "aws:principalarn", "ContextKeyValues": [role_arn],
                 "ContextKeyType": "string"},
                {"ContextKeyName": "aws:SecureTransport", "ContextKeyValues": [secure],
                 "ContextKeyType": "boolean"}])["EvaluationResults"]
        return results

    role_statement = statement("PolicyInputList.1", (1, 41), (1, 180))
    results = simulate("true")
    assert decisions(results) == [("s3:GetObject", resource, "allowed"),
                                  ("s3:PutObject", resource, "implicitDeny"),
                                  ("s3:DeleteObject", resource, "explicitDeny")]
    assert [r["MatchedStatements"] for r in results] == [
        [role_statement], [],
        [statement("ResourcePolicy", (1, 248), (1, 470), "Resource Policy"), role_statement]]
    # A resource of the caller's own account: details present and empty, and the
    # one resource's own result.
    assert results[0]["EvalDecisionDetails"] == {}
    assert results[0]["ResourceSpecificResults"] == [{
        "EvalResourceName": resource, "EvalResourceDecision": "allowed",
        "MatchedStatements": [role_statement], "MissingContextValues": []}]
    # Over plain HTTP the bucket's first statement denies everything.
    insecure = simulate("false")[0]
    assert insecure["EvalDecision"] == "explicitDeny"
    assert insecure["MatchedStatements"][0] == statement("ResourcePolicy", (1, 38), (1, 248),
                                                          "Resource Policy")


def test_positions_count_lines_and_columns_of_any_layout(iam: Any) -> None:
    two = {"Version": "2012-10-17", "Statement": [allow("s3:GetObject"), deny("s3:GetObject")]}
    crlf = json.dumps(two, indent=2).replace("\n", "\r\n")
    compact = json.dumps(two, separators=(",", ":"))
    for text in (crlf, json.dumps(two, indent=2)):
        matched = iam.simulate_custom_policy(PolicyInputList=[text], ActionNames=["s3:GetObject"])[
            "EvaluationResults"][0]["MatchedStatements"]
        # The deny first; it starts where the allow ends, just after its "}".
        assert matched == [statement("PolicyInputList.1", (10, 6), (17, 6)),
                           statement("PolicyInputList.1", (3, 17), (10, 6))]
    matched = iam.simulate_custom_policy(PolicyInputList=[compact], ActionNames=["s3:GetObject"])[
        "EvaluationResults"][0]["MatchedStatements"]
    first_end = compact.index("},{") + 2
    assert matched == [statement("PolicyInputList.1", (1, first_end), (1, len(compact) - 1)),
                       statement("PolicyInputList.1", (1, 38), (1, first_end))]


# --- Boundaries, exclusions, resource policies -------------------------------


def test_a_permissions_boundary_is_simulated_and_can_be_replaced(iam: Any, unique: Any) -> None:
    boundary_name = unique("sim-boundary")
    boundary = iam.create_policy(PolicyName=boundary_name,
                                 PolicyDocument=document(allow("iam:List*")))["Policy"]["Arn"]
    user = unique("sim-bounded")
    arn = iam.create_user(UserName=user, PermissionsBoundary=boundary)["User"]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=ADMIN_ARN)

    results = iam.simulate_principal_policy(PolicySourceArn=arn,
                                            ActionNames=["iam:ListUsers", "iam:GetUser"])[
        "EvaluationResults"]
    assert decisions(results) == [("iam:ListUsers", "*", "allowed"), ("iam:GetUser", "*", "implicitDeny")]
    assert [r["PermissionsBoundaryDecisionDetail"] for r in results] == [
        {"AllowedByPermissionsBoundary": True}, {"AllowedByPermissionsBoundary": False}]
    assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in results[0]["MatchedStatements"]] == [
        ("AdministratorAccess", "IAM Policy"), (boundary_name, "Permissions Boundary Policy")]
    # The identity policy's allow still shows where the boundary refused.
    assert [m["SourcePolicyId"] for m in results[1]["MatchedStatements"]] == ["AdministratorAccess"]

    # A boundary given in the request replaces the user's own.
    given = document(allow("iam:Get*"), deny("iam:GetRole"))
    results = iam.simulate_principal_policy(
        PolicySourceArn=arn, PermissionsBoundaryPolicyInputList=[given],
        ActionNames=["iam:ListUsers", "iam:GetUser", "iam:GetRole"])["EvaluationResults"]
    assert decisions(results) == [("iam:ListUsers", "*", "implicitDeny"),
                                  ("iam:GetUser", "*", "allowed"),
                                  ("iam:GetRole", "*", "explicitDeny")]
    assert results[2]["MatchedStatements"][0]["SourcePolicyId"] == "PermissionsBoundaryPolicyInputList.1"
    assert results[2]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    assert error(iam.simulate_principal_policy, PolicySourceArn=arn, ActionNames=["iam:GetUser"],
                 PermissionsBoundaryPolicyInputList=[given, given]) == (
        "InvalidInput", "The list of Permissions Boundary policies cannot exceed 1 items.")

    # SimulateCustomPolicy takes one too.
    custom = iam.simulate_custom_policy(PolicyInputList=[document(allow("iam:*"))],
                                        PermissionsBoundaryPolicyInputList=[given],
                                        ActionNames=["iam:ListUsers"])["EvaluationResults"][0]
    assert custom["EvalDecision"] == "implicitDeny"
    assert custom["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_service_control_policies_gate_a_custom_simulation(iam: Any) -> None:
    """Every level of OrderedOrganizationPolicyInputList (root first) must allow,
    and a deny at any level wins; OrganizationsDecisionDetail says which."""
    everything = document(allow("*"))
    levels = [{"ServiceControlPolicyInputList": [everything]},
              {"ServiceControlPolicyInputList": [document(allow("s3:*", "sqs:*"),
                                                          deny("s3:DeleteBucket"))]}]
    results = iam.simulate_custom_policy(
        PolicyInputList=[document(allow("s3:*", "dynamodb:*"))], OrderedOrganizationPolicyInputList=levels,
        ActionNames=["s3:GetObject", "s3:DeleteBucket", "dynamodb:GetItem"])["EvaluationResults"]
    assert [(r["EvalDecision"], r["OrganizationsDecisionDetail"]) for r in results] == [
        ("allowed", {"AllowedByOrganizations": True}),
        ("explicitDeny", {"AllowedByOrganizations": False}),
        ("implicitDeny", {"AllowedByOrganizations": False})]
    # Without SCPs there is no organizations detail at all.
    plain = iam.simulate_custom_policy(PolicyInputList=[everything], ActionNames=["s3:GetObject"])
    assert "OrganizationsDecisionDetail" not in plain["EvaluationResults"][0]
    assert error(iam.simulate_custom_policy, PolicyInputList=[everything], ActionNames=["s3:GetObject"],
                 OrderedOrganizationPolicyInputList=[{"ServiceControlPolicyInputList": ["{}"]}]) == (
        "MalformedPolicyDocument",
        "The provided policy document does not meet the requirements of the specified policy type.")


def test_policies_can_be_left_out_of_a_simulation(iam: Any, unique: Any, account: str) -> None:
    user, group = unique("sim-excl"), unique("sim-excl-group")
    boundary = iam.create_policy(PolicyName=unique("sim-excl-boundary"),
                                 PolicyDocument=document(allow("iam:*")))["Policy"]["Arn"]
    arn = iam.create_user(UserName=user, PermissionsBoundary=boundary)["User"]["Arn"]
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="Own", PolicyDocument=document(allow("iam:GetUser")))
    iam.put_group_policy(GroupName=group, PolicyName="Shared", PolicyDocument=document(allow("iam:ListUsers")))
    local_name = unique("sim-excl-local")
    local = iam.create_policy(PolicyName=local_name,
                              PolicyDocument=document(allow("iam:ListRoles")))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=local)
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    actions = ["iam:GetUser", "iam:ListUsers", "iam:ListRoles", "iam:ListGroups"]

    def simulate(*exclusions: dict[str, Any]) -> list[str]:
        results = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=actions,
                                                PolicyExclusionList=list(exclusions))
        return [r["EvalDecision"] for r in results["EvaluationResults"]]

    assert simulate() == ["allowed"] * 4
    # Everything but the AWS managed policy, which allows all four.
    assert simulate({"PolicyType": "inline"}, {"PolicyType": "user-managed"}) == ["allowed"] * 4
    assert simulate({"PolicyType": "aws-managed"}) == ["allowed", "allowed", "allowed", "implicitDeny"]
    # Names ignore case, as IAM's do.
    assert simulate({"PolicyType": "aws-managed"}, {"InlinePolicyIdentifier": {
        "PolicyName": "shared", "AttachmentType": "group", "AttachmentName": group.upper()}}) == [
        "allowed", "implicitDeny", "allowed", "implicitDeny"]
    assert simulate({"PolicyType": "aws-managed"}, {"PolicyType": "inline"},
                    {"PolicyArn": f"arn:aws:iam::{account}:policy/sim-excl-loc?l-*"}) == [
        "implicitDeny"] * 4
    # Leaving the boundary out: no boundary detail any more.
    result = iam.simulate_principal_policy(PolicySourceArn=arn, ActionNames=["iam:GetUser"],
                                           PolicyExclusionList=[{"PolicyType": "permission-boundary"}])
    assert "PermissionsBoundaryDecisionDetail" not in result["EvaluationResults"][0]
    for bad in ("not-an-arn-of-a-policy", f"arn:aws:iam::{account}:policy/a*b*",
                f"arn:aws:iam::*:policy/{local_name}", f"arn:aws:iam::{account}:role/x"):
        assert error(iam.simulate_principal_policy, PolicySourceArn=arn, ActionNames=actions,
                     PolicyExclusionList=[{"PolicyArn": bad}]) == (
            "InvalidInput", f"Invalid PolicyArn in PolicyExclusionList: {bad}")


def test_a_resource_policy_needs_an_iam_user_as_caller(iam: Any, unique: Any, account: str) -> None:
    user, role, group = unique("sim-caller"), unique("sim-caller-role"), unique("sim-caller-group")
    user_arn = iam.create_user(UserName=user)["User"]["Arn"]
    trust = document({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                      "Action": "sts:AssumeRole"})
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    group_arn = iam.create_group(GroupName=group)["Group"]["Arn"]
    queue = f"arn:aws:sqs:us-east-1:{account}:jobs"
    queue_policy = document({"Effect": "Allow", "Principal": {"AWS": user_arn},
                             "Action": "sqs:SendMessage", "Resource": queue})
    caller_must_be_user = ("InvalidInput", "Invalid caller - Caller must be an IAM user in this context.")

    # The user has no policy of its own: the queue's policy naming it directly allows.
    result = iam.simulate_principal_policy(PolicySourceArn=user_arn, ActionNames=["sqs:SendMessage"],
                                           ResourceArns=[queue], ResourcePolicy=queue_policy)[
        "EvaluationResults"][0]
    assert result["EvalDecision"] == "allowed"
    assert result["MatchedStatements"] == [statement("ResourcePolicy", *one_line(queue_policy),
                                                     "Resource Policy")]
    # A group's policies simulated for a user caller.
    result = iam.simulate_principal_policy(PolicySourceArn=group_arn, CallerArn=user_arn,
                                           ActionNames=["sqs:SendMessage"], ResourceArns=[queue],
                                           ResourcePolicy=queue_policy)["EvaluationResults"][0]
    assert result["EvalDecision"] == "allowed"
    # Another user is not the principal the queue names.
    other = f"arn:aws:iam::{account}:user/someone-else"
    result = iam.simulate_custom_policy(PolicyInputList=[document(allow("s3:ListBucket"))],
                                        CallerArn=other, ActionNames=["sqs:SendMessage"],
                                        ResourceArns=[queue], ResourcePolicy=queue_policy)[
        "EvaluationResults"][0]
    assert (result["EvalDecision"], result["MatchedStatements"]) == ("implicitDeny", [])

    for call, kwargs in (
            (iam.simulate_principal_policy, {"PolicySourceArn": role_arn}),
            (iam.simulate_principal_policy, {"PolicySourceArn": group_arn}),
            (iam.simulate_principal_policy, {"PolicySourceArn": user_arn, "CallerArn": role_arn}),
            (iam.simulate_custom_policy, {"PolicyInputList": [document(allow("s3:*"))]}),
            (iam.simulate_custom_policy, {"PolicyInputList": [document(allow("s3:*"))],
                                          "CallerArn": group_arn})):
        assert error(call, ActionNames=["sqs:SendMessage"], ResourceArns=[queue],
                     ResourcePolicy=queue_policy, **kwargs) == caller_must_be_user
    session = f"arn:aws:sts::{account}:assumed-role/{role}/s"
    assert error(iam.simulate_custom_policy, PolicyInputList=[document(allow("s3:*"))],
                 CallerArn=session, ActionNames=["s3:GetObject"]) == (
        "InvalidInput", f"Invalid Entity Arn: {session} does not clearly define entity type and name.")


def test_a_resource_of_another_account_needs_its_owners_consent(
        iam: Any, unique: Any, account: str) -> None:
    caller = f"arn:aws:iam::{account}:user/{unique('sim-x')}"
    other = "999988887777" if account != "999988887777" else "111122223333"
    identity = document(allow("s3:GetObject"))
    bucket = document({"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "s3:GetObject",
                       "Resource": "arn:aws:s3:::shared/*"})
    obj = "arn:aws:s3:::shared/report.csv"

    def simulate(**kwargs: Any) -> dict[str, Any]:
        result: dict[str, Any] = iam.simulate_custom_policy(
            PolicyInputList=[identity], CallerArn=caller, ActionNames=["s3:GetObject"],
            ResourceArns=[obj], **kwargs)["EvaluationResults"][0]
        return result

    alone = simulate(ResourceOwner=other)
    assert alone["EvalDecision"] == "implicitDeny"
    assert alone["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "implicitDeny"}
    assert alone["ResourceSpecificResults"][0]["EvalDecisionDetails"] == alone["EvalDecisionDetails"]
    both = simulate(ResourceOwner=f"arn:aws:iam::{other}:root", ResourcePolicy=bucket)
    assert both["EvalDecision"] == "allowed"
    assert both["EvalDecisionDetails"] == {"IAM Policy": "allowed", "Resource Policy": "allowed"}
    assert [m["SourcePolicyType"] for m in both["MatchedStatements"]] == ["Resource Policy", "IAM Policy"]
    # Owned by the caller's account (the default): no cross-account details.
    assert simulate()["EvalDecisionDetails"] == {}
    assert error(iam.simulate_custom_policy, PolicyInputList=[identity], ActionNames=["s3:GetObject"],
                 ResourceOwner="nobody") == ("InvalidInput", "Invalid ResourceOwner: nobody is not an account ID.")


# --- Context entries and context keys -----------------------------------------

TYPES = [
    # type, condition operator, policy value, values that match, values that do not
    ("string", "StringEquals", "blue", ["blue"], ["red"]),
    ("stringList", "ForAllValues:StringEquals", ["a", "b"], ["a", "b"], ["a", "c"]),
    ("numeric", "NumericLessThan", "10", ["9.5"], ["11"]),
    ("numericList", "ForAnyValue:NumericEquals", "7", ["1", "7"], ["1", "2"]),
    ("boolean", "Bool", "true", ["TRUE"], ["false"]),
    ("booleanList", "ForAllValues:Bool", "true", ["true", "true"], ["true", "false"]),
    ("ip", "IpAddress", "10.0.0.0/8", ["10.1.2.3"], ["192.168.0.1"]),
    ("ipList", "ForAnyValue:IpAddress", "10.0.0.0/8", ["192.168.0.1", "10.0.0.1"], ["192.168.0.1"]),
    ("binary", "BinaryEquals", "aGVsbG8=", ["aGVsbG8="], ["d29ybGQ="]),
    ("binaryList", "ForAnyValue:BinaryEquals", "aGVsbG8=", ["d29ybGQ=", "aGVsbG8="], ["d29ybGQ="]),
    ("date", "DateGreaterThan", "2020-01-01T00:00:00Z", ["2024-05-01T12:00:00Z"], ["1500000000"]),
    ("dateList", "ForAnyValue:DateLessThan", "2020-01-01T00:00:00Z",
     ["2030-01-01T00:00:00Z", "2010-01-01T00:00:00Z"], ["2030-01-01T00:00:00Z"]),
]


@pytest.mark.parametrize(("kind", "operator", "wanted", "good", "bad"), TYPES,
                         ids=[t[0] for t in TYPES])
def test_context_entries_of_every_type(iam: Any, kind: str, operator: str, wanted: Any,
                                       good: list[str], bad: list[str]) -> None:
    policy = document(allow("s3:GetObject", Condition={operator: {"iamd:TestKey": wanted}}))

    def simulate(values: list[str]) -> dict[str, Any]:
        result: dict[str, Any] = iam.simulate_custom_policy(
            PolicyInputList=[policy], ActionNames=["s3:GetObject"],
            ContextEntries=[{"ContextKeyName": "iamd:TestKey", "ContextKeyValues": values,
                             "ContextKeyType": kind}])["EvaluationResults"][0]
        return result

    assert simulate(good)["EvalDecision"] == "allowed"
    assert simulate(good)["MissingContextValues"] == []
    assert simulate(bad)["EvalDecision"] == "implicitDeny"
    missing = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject"])[
        "EvaluationResults"][0]
    assert missing["MissingContextValues"] == ["iamd:TestKey"]
    # ForAllValues holds for a key the request lacks, as in AWS; the others do not.
    absent = "allowed" if operator.startswith("ForAllValues:") else "implicitDeny"
    assert missing["EvalDecision"] == absent


@pytest.mark.parametrize(("kind", "values", "message"), [
    ("numeric", ["ten"], "Invalid value ten for context key iamd:Key of type numeric."),
    ("numericList", ["1", "x"], "Invalid value x for context key iamd:Key of type numericList."),
    ("boolean", ["yes"], "Invalid value yes for context key iamd:Key of type boolean."),
    ("ip", ["10.0.0.256"], "Invalid value 10.0.0.256 for context key iamd:Key of type ip."),
    ("binary", ["not base64!"], "Invalid value not base64! for context key iamd:Key of type binary."),
    ("date", ["yesterday"], "Invalid value yesterday for context key iamd:Key of type date."),
    ("string", ["a", "b"], "Context key iamd:Key of type string takes exactly one value; "
                           "use stringList for several."),
])
def test_context_values_must_fit_their_type(iam: Any, kind: str, values: list[str],
                                            message: str) -> None:
    assert error(iam.simulate_custom_policy, PolicyInputList=[document(allow("s3:*"))],
                 ActionNames=["s3:GetObject"],
                 ContextEntries=[{"ContextKeyName": "iamd:Key", "ContextKeyValues": values,
                                  "ContextKeyType": kind}]) == ("InvalidInput", message)


def test_context_entry_types_and_keys_are_checked(iam: Any) -> None:
    code, message = error(iam.simulate_custom_policy, PolicyInputList=[document(allow("s3:*"))],
                          ActionNames=["s3:GetObject"],
                          ContextEntries=[{"ContextKeyName": "iamd:Key", "ContextKeyValues": ["1"],
                                           "ContextKeyType": "integer"}])
    assert code == "ValidationError" and "contextKeyType" in message
    twice = [{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.0.0.1"], "ContextKeyType": "ip"},
             {"ContextKeyName": "AWS:sourceip", "ContextKeyValues": ["10.0.0.2"], "ContextKeyType": "ip"}]
    assert error(iam.simulate_custom_policy, PolicyInputList=[document(allow("s3:*"))],
                 ActionNames=["s3:GetObject"], ContextEntries=twice) == (
        "InvalidInput", "Context key AWS:sourceip is specified more than once.")


def test_missing_context_values_name_what_relevant_statements_read(iam: Any) -> None:
    policy = document(
        allow("s3:GetObject", resource="arn:aws:s3:::home/${aws:username}/*",
              Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        # Another action: its key is not this request's concern.
        allow("s3:PutObject", Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
        # A default makes the variable optional.
        allow("s3:GetObject", resource="arn:aws:s3:::shared/${aws:PrincipalTag/team, 'all'}/*"),
        # Another resource: never relevant to home/.
        deny("s3:GetObject", resource="arn:aws:s3:::archive/*",
             Condition={"StringEquals": {"s3:ExistingObjectTag/locked": "yes"}}))
    home = "arn:aws:s3:::home/alice/notes.txt"
    result = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject"],
                                        ResourceArns=[home])["EvaluationResults"][0]
    assert result["EvalDecision"] == "implicitDeny"
    assert result["MissingContextValues"] == ["aws:username", "aws:SourceIp"]
    assert result["ResourceSpecificResults"][0]["MissingContextValues"] == ["aws:username", "aws:SourceIp"]
    result = iam.simulate_custom_policy(
        PolicyInputList=[policy], ActionNames=["s3:GetObject"], ResourceArns=[home],
        ContextEntries=[
            {"ContextKeyName": "aws:username", "ContextKeyValues": ["alice"], "ContextKeyType": "string"},
            {"ContextKeyName": "aws:sourceip", "ContextKeyValues": ["10.9.8.7"], "ContextKeyType": "ip"}])[
        "EvaluationResults"][0]
    assert (result["EvalDecision"], result["MissingContextValues"]) == ("allowed", [])
    # The defaulted variable matches its default.
    shared = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject"],
                                        ResourceArns=["arn:aws:s3:::shared/all/x"])["EvaluationResults"][0]
    assert (shared["EvalDecision"], shared["MissingContextValues"]) == ("allowed", [])


def test_context_keys_of_custom_and_principal_policies(iam: Any, unique: Any) -> None:
    # The AWS CLI's example: AWS answers ["aws:username", "aws:CurrentTime"].
    example = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*",'
               '"Resource":"arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",'
               '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2015-08-16T12:00:00Z"}}}}')
    assert iam.get_context_keys_for_custom_policy(PolicyInputList=[example])["ContextKeyNames"] == [
        "aws:username", "aws:CurrentTime"]
    # Each key once, ignoring case; variables of old documents are literal text.
    legacy = json.dumps({"Version": "2008-10-17", "Statement": [
        allow("s3:*", resource="arn:aws:s3:::${aws:userid}/*",
              Condition={"StringLike": {"s3:prefix": "${aws:username}/*"}})]})
    assert iam.get_context_keys_for_custom_policy(PolicyInputList=[
        example, document(allow("s3:*", Condition={"StringEquals": {"AWS:USERNAME": "x"}})), legacy,
    ])["ContextKeyNames"] == ["aws:username", "aws:CurrentTime", "s3:prefix"]

    user, group = unique("sim-keys"), unique("sim-keys-group")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="ip", PolicyDocument=document(
        allow("s3:*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))
    iam.put_group_policy(GroupName=group, PolicyName="time", PolicyDocument=document(
        allow("s3:*", Condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"},
                                 "StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/dept}"}})))
    keys = iam.get_context_keys_for_principal_policy(
        PolicySourceArn=arn, PolicyInputList=[example, document(allow("s3:*", Condition={
            "IpAddress": {"AWS:SOURCEIP": "10.0.0.1"}}))])["ContextKeyNames"]
    assert keys == ["aws:SourceIp", "aws:CurrentTime", "aws:PrincipalTag/team", "aws:PrincipalTag/dept",
                    "aws:username"]
    assert iam.get_context_keys_for_principal_policy(PolicySourceArn=arn)["ContextKeyNames"][:2] == [
        "aws:SourceIp", "aws:CurrentTime"]


# --- Pagination ---------------------------------------------------------------


def test_results_are_paginated_action_by_resource(iam: Any) -> None:
    actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"]
    resources = ["arn:aws:s3:::a/1", "arn:aws:s3:::b/2", "arn:aws:s3:::c/3"]
    policy = document(allow("s3:GetObject", "s3:ListBucket", resource="arn:aws:s3:::b/*"))
    expected = [(action, resource, "allowed" if action in ("s3:GetObject", "s3:ListBucket")
                 and resource.startswith("arn:aws:s3:::b/") else "implicitDeny")
                for action in actions for resource in resources]
    pages: list[list[tuple[str, str, str]]] = []
    marker: str | None = None
    while True:
        kwargs: dict[str, str] = {"Marker": marker} if marker else {}
        page = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=actions,
                                          ResourceArns=resources, MaxItems=5, **kwargs)
        pages.append(decisions(page["EvaluationResults"]))
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert [len(p) for p in pages] == [5, 5, 2]
    assert [d for p in pages for d in p] == expected
    # boto3's paginator walks the same pages.
    paginator = iam.get_paginator("simulate_custom_policy")
    walked = [d for page in paginator.paginate(PolicyInputList=[policy], ActionNames=actions,
                                               ResourceArns=resources, PaginationConfig={"PageSize": 4})
              for d in decisions(page["EvaluationResults"])]
    assert walked == expected
    # A marker is good for the simulation that gave it only.
    assert error(iam.simulate_custom_policy, PolicyInputList=[policy], ActionNames=actions[:1],
                 ResourceArns=resources, Marker=marker)[0] == "ValidationError"
    assert error(iam.simulate_custom_policy, PolicyInputList=[policy], ActionNames=actions,
                 ResourceArns=resources, Marker="forged") == ("ValidationError", "Invalid Marker.")


def test_principal_simulations_are_paginated_too(iam: Any, unique: Any) -> None:
    user = unique("sim-pages")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=document(allow("iam:List*")))
    actions = [f"iam:{name}" for name in ("ListUsers", "ListRoles", "ListGroups", "GetUser", "GetRole")]
    paginator = iam.get_paginator("simulate_principal_policy")
    pages = list(paginator.paginate(PolicySourceArn=arn, ActionNames=actions,
                                    PaginationConfig={"PageSize": 2}))
    assert [len(p["EvaluationResults"]) for p in pages] == [2, 2, 1]
    assert [r["EvalDecision"] for p in pages for r in p["EvaluationResults"]] == [
        "allowed", "allowed", "allowed", "implicitDeny", "implicitDeny"]


# --- What IAM refuses -----------------------------------------------------------


@pytest.mark.parametrize(("member", "text", "message"), [
    ("PolicyInputList", "not json", "Syntax errors in policy."),
    ("PolicyInputList", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}),
     "Policy document should not specify a principal."),
    ("PolicyInputList", document({"Effect": "Allow", "Resource": "*"}),
     "Policy statement must contain actions."),
    ("PermissionsBoundaryPolicyInputList", document({"Effect": "Permit", "Action": "s3:*",
                                                     "Resource": "*"}), "Syntax errors in policy."),
    ("ResourcePolicy", document(allow("s3:*")), "Missing required field Principal"),
])
def test_malformed_documents_are_refused_as_iam_refuses_them(
        iam: Any, account: str, member: str, text: str, message: str) -> None:
    kwargs: dict[str, Any] = {"PolicyInputList": [document(allow("s3:*"))],
                              "CallerArn": f"arn:aws:iam::{account}:user/u"}
    kwargs[member] = text if member == "ResourcePolicy" else [text]
    assert error(iam.simulate_custom_policy, ActionNames=["s3:GetObject"], **kwargs) == (
        "MalformedPolicyDocument", message)
    if member == "PolicyInputList":
        assert error(iam.get_context_keys_for_custom_policy, PolicyInputList=[text]) == (
            "MalformedPolicyDocument", message)


def test_requests_iam_cannot_simulate_are_invalid_input(iam: Any, unique: Any, account: str) -> None:
    user = unique("sim-bad")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    for source in (f"arn:aws:sts::{account}:assumed-role/r/session", f"arn:aws:iam::{account}:root",
                   f"arn:aws:iam::{account}:policy/{user}"):
        for call in (iam.simulate_principal_policy, iam.get_context_keys_for_principal_policy):
            kwargs = {"ActionNames": ["s3:GetObject"]} if call == iam.simulate_principal_policy else {}
            assert error(call, PolicySourceArn=source, **kwargs) == (
                "InvalidInput", f"Invalid Entity Arn: {source} does not clearly define entity type and name.")
    other = "999988887777" if account != "999988887777" else "111122223333"
    assert error(iam.simulate_principal_policy, PolicySourceArn=f"arn:aws:iam::{other}:user/{user}",
                 ActionNames=["s3:GetObject"]) == (
        "InvalidInput", f"Invalid Policy Source Arn: caller's account {account} does not have access "
                        f"to policies in account {other}")
    for kind in ("user", "group", "role"):
        ghost = unique("ghost")
        assert error(iam.simulate_principal_policy, ActionNames=["s3:GetObject"],
                     PolicySourceArn=f"arn:aws:iam::{account}:{kind}/{ghost}") == (
            "NoSuchEntity", f"The {kind} with name {ghost} cannot be found.")
    assert error(iam.get_context_keys_for_principal_policy,
                 PolicySourceArn=f"arn:aws:iam::{account}:user/{unique('ghost')}")[0] == "NoSuchEntity"
    assert error(iam.simulate_principal_policy, PolicySourceArn=arn, ActionNames=["s3:*"]) == (
        "InvalidInput", 'Invalid Input Actions: "s3:*" require different authorization information.')


def test_resource_handling_options_need_their_resources(iam: Any, account: str) -> None:
    policy = document(allow("ec2:RunInstances"))
    region = f"arn:aws:ec2:us-east-1:{account}"
    resources = [f"{region}:instance/*", "arn:aws:ec2:us-east-1::image/ami-12345678",
                 f"{region}:security-group/sg-1", f"{region}:network-interface/*"]
    results = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["ec2:RunInstances"],
                                         ResourceArns=resources,
                                         ResourceHandlingOption="EC2-VPC-InstanceStore")
    assert [r["EvalDecision"] for r in results["EvaluationResults"]] == ["allowed"] * 4
    assert error(iam.simulate_custom_policy, PolicyInputList=[policy], ActionNames=["ec2:RunInstances"],
                 ResourceArns=resources, ResourceHandlingOption="EC2-VPC-EBS-Subnet") == (
        "InvalidInput", "Resource handling option EC2-VPC-EBS-Subnet requires resources of type "
                        "subnet, volume.")
    code, message = error(iam.simulate_custom_policy, PolicyInputList=[policy],
                          ActionNames=["ec2:RunInstances"], ResourceHandlingOption="EC2-Mainframe")
    assert code == "InvalidInput" and message.startswith("Invalid ResourceHandlingOption: EC2-Mainframe.")


# --- Authorization --------------------------------------------------------------


@dataclass
class Member:
    name: str
    arn: str
    iam: Any  # a boto3 client signed with the member's own key


def make_user(server: IamdServer, iam: Any, name: str, **kwargs: Any) -> Member:
    arn = iam.create_user(UserName=name, **kwargs)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Member(name, arn, server.client("iam", key["AccessKeyId"], key["SecretAccessKey"]))


def test_simulating_is_authorized_like_any_call(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    target = iam.create_user(UserName=unique("sim-target"))["User"]["Arn"]
    other = iam.create_user(UserName=unique("sim-other"))["User"]["Arn"]
    auditor = make_user(iamd_server, iam, unique("sim-auditor"))
    iam.put_user_policy(UserName=auditor.name, PolicyName="audit", PolicyDocument=document(
        allow("iam:SimulatePrincipalPolicy", "iam:GetContextKeysForPrincipalPolicy", resource=target)))

    assert auditor.iam.simulate_principal_policy(PolicySourceArn=target, ActionNames=["s3:GetObject"])[
        "EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    assert auditor.iam.get_context_keys_for_principal_policy(PolicySourceArn=target)["ContextKeyNames"] == []
    for action, call in (("iam:SimulatePrincipalPolicy", auditor.iam.simulate_principal_policy),
                         ("iam:GetContextKeysForPrincipalPolicy",
                          auditor.iam.get_context_keys_for_principal_policy)):
        kwargs = {"ActionNames": ["s3:GetObject"]} if action == "iam:SimulatePrincipalPolicy" else {}
        assert error(call, PolicySourceArn=other, **kwargs) == (
            "AccessDenied", f"User: {auditor.arn} is not authorized to perform: {action} on resource: "
                            f"user {other.rsplit('/', 1)[1]} because no identity-based policy allows the {action} action")
    for action, call, kwargs in (
            ("iam:SimulateCustomPolicy", auditor.iam.simulate_custom_policy,
             {"PolicyInputList": [document(allow("s3:*"))], "ActionNames": ["s3:GetObject"]}),
            ("iam:GetContextKeysForCustomPolicy", auditor.iam.get_context_keys_for_custom_policy,
             {"PolicyInputList": [document(allow("s3:*"))]})):
        assert error(call, **kwargs) == (
            "AccessDenied", f"User: {auditor.arn} is not authorized to perform: {action} on resource: * "
                            f"because no identity-based policy allows the {action} action")
    iam.put_user_policy(UserName=auditor.name, PolicyName="custom", PolicyDocument=document(
        allow("iam:SimulateCustomPolicy", "iam:GetContextKeysForCustomPolicy")))
    assert auditor.iam.simulate_custom_policy(PolicyInputList=[document(allow("s3:*"))],
                                              ActionNames=["s3:GetObject"])[
        "EvaluationResults"][0]["EvalDecision"] == "allowed"


# --- The simulator decides as enforcement does ----------------------------------


@dataclass
class Case:
    action: str
    resource: str
    call: Callable[[Any], Any]  # the real call, made with the user's own client
    shown: str  # the resource as IAM's AccessDenied spells it


def test_simulation_agrees_with_enforcement(iamd_server: IamdServer, iam: Any, unique: Any,
                                            account: str) -> None:
    group = unique("sim-readers")
    group_arn = iam.create_group(GroupName=group, Path="/sim/")["Group"]["Arn"]
    reading = iam.create_policy(PolicyName=unique("sim-read"),
                                PolicyDocument=document(allow("iam:Get*", "iam:List*")))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName=group, PolicyArn=reading)
    boundary = iam.create_policy(PolicyName=unique("sim-cap"),
                                 PolicyDocument=document(allow("iam:List*")))["Policy"]["Arn"]

    reader = make_user(iamd_server, iam, unique("sim-reader"))
    iam.add_user_to_group(GroupName=group, UserName=reader.name)
    denied = make_user(iamd_server, iam, unique("sim-denied"))
    iam.put_user_policy(UserName=denied.name, PolicyName="all", PolicyDocument=document(allow("iam:*")))
    iam.put_user_policy(UserName=denied.name, PolicyName="but", PolicyDocument=document(
        deny("iam:DeleteUser", "iam:GetGroup")))
    bounded = make_user(iamd_server, iam, unique("sim-bounded"), PermissionsBoundary=boundary)
    iam.attach_user_policy(UserName=bounded.name, PolicyArn=ADMIN_ARN)
    iam.add_user_to_group(GroupName=group, UserName=bounded.name)
    selfish = make_user(iamd_server, iam, unique("sim-self"))
    iam.put_user_policy(UserName=selfish.name, PolicyName="self", PolicyDocument=document(
        allow("iam:GetUser", "iam:ListAttachedUserPolicies",
              resource="arn:aws:iam::*:user/${aws:username}")))
    careful = make_user(iamd_server, iam, unique("sim-careful"))
    iam.put_user_policy(UserName=careful.name, PolicyName="plain-http", PolicyDocument=document(
        allow("iam:ListUsers", Condition={"Bool": {"aws:SecureTransport": "false"},
                                          "StringEquals": {"aws:RequestedRegion": "us-east-1"}}),
        allow("iam:ListRoles", Condition={"Bool": {"aws:SecureTransport": "true"}})))

    ghost_user, ghost_group = unique("ghost"), unique("ghost")
    target = reader

    def cases(member: Member) -> list[Case]:
        return [
            Case("iam:GetUser", target.arn, lambda c: c.get_user(UserName=target.name),
                 f"user {target.name}"),
            Case("iam:GetUser", member.arn, lambda c: c.get_user(UserName=member.name),
                 f"user {member.name}"),
            Case("iam:ListAttachedUserPolicies", member.arn,
                 lambda c: c.list_attached_user_policies(UserName=member.name), f"user {member.name}"),
            Case("iam:ListUsers", f"arn:aws:iam::{account}:user/", lambda c: c.list_users(MaxItems=1),
                 f"arn:aws:iam::{account}:user/"),
            Case("iam:ListRoles", f"arn:aws:iam::{account}:role/", lambda c: c.list_roles(MaxItems=1),
                 f"arn:aws:iam::{account}:role/"),
            Case("iam:GetGroup", group_arn, lambda c: c.get_group(GroupName=group), f"group {group}"),
            # Allowed, these fail with NoSuchEntity; refused, with AccessDenied.
            Case("iam:DeleteUser", f"arn:aws:iam::{account}:user/{ghost_user}",
                 lambda c: c.delete_user(UserName=ghost_user), f"user {ghost_user}"),
            Case("iam:DeleteGroup", f"arn:aws:iam::{account}:group/{ghost_group}",
                 lambda c: c.delete_group(GroupName=ghost_group), f"group {ghost_group}"),
        ]

    def context(member: Member) -> list[dict[str, Any]]:
        # What enforcement reads from the real request, given to the simulator.
        return [{"ContextKeyName": "aws:username", "ContextKeyValues": [member.name],
                 "ContextKeyType": "string"},
                {"ContextKeyName": "aws:SecureTransport", "ContextKeyValues": ["false"],
                 "ContextKeyType": "boolean"},
                {"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": ["us-east-1"],
                 "ContextKeyType": "string"}]

    def enforced(member: Member, case: Case) -> str:
        try:
            case.call(member.iam)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "AccessDenied":
                return "allowed"
            message = exc.response["Error"]["Message"]
            assert f"to perform: {case.action} on resource: {case.shown} " in message
            return "explicitDeny" if "with an explicit deny" in message else "implicitDeny"
        return "allowed"

    expected = {  # GetUser(reader), GetUser(self), ListAttached(self), ListUsers, ListRoles,
                  # GetGroup, DeleteUser, DeleteGroup
        reader.name: ["allowed"] * 6 + ["implicitDeny"] * 2,
        denied.name: ["allowed"] * 5 + ["explicitDeny", "explicitDeny", "allowed"],
        bounded.name: ["implicitDeny", "implicitDeny", "allowed", "allowed", "allowed",
                       "implicitDeny", "implicitDeny", "implicitDeny"],
        selfish.name: ["implicitDeny", "allowed", "allowed"] + ["implicitDeny"] * 5,
        careful.name: ["implicitDeny"] * 3 + ["allowed"] + ["implicitDeny"] * 4,
    }
    for member in (reader, denied, bounded, selfish, careful):
        simulated, real = [], []
        for case in cases(member):
            result = iam.simulate_principal_policy(
                PolicySourceArn=member.arn, ActionNames=[case.action], ResourceArns=[case.resource],
                ContextEntries=context(member))["EvaluationResults"][0]
            simulated.append(result["EvalDecision"])
            real.append(enforced(member, case))
        assert simulated == real, member.name
        assert simulated == expected[member.name], member.name
    # Without the context enforcement had, the simulation says which keys it lacked.
    result = iam.simulate_principal_policy(PolicySourceArn=selfish.arn, ActionNames=["iam:GetUser"],
                                           ResourceArns=[selfish.arn])["EvaluationResults"][0]
    assert (result["EvalDecision"], result["MissingContextValues"]) == ("implicitDeny", ["aws:username"])
