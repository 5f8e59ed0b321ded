"""Managed policies, their versions, attachments and inline policies through boto3
against a real `iamd serve`.

Expected messages are AWS's. Unless a test says otherwise they are as recorded
against AWS in LocalStack's snapshot tests (tests/aws/services/iam/
test_iam_policies.snapshot.json, test_iam.snapshot.json): policy and version
lifecycle, tags, ListEntitiesForPolicy, attach errors. Others come from AWS
answers quoted in public issues and logs, named where used.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.policy import policy_size

ALLOW_LIST = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
ALLOW_EC2 = {"Version": "2012-10-17",
             "Statement": [{"Sid": "Statement1", "Effect": "Allow",
                            "Action": ["ec2:DescribeInstances"], "Resource": "*"}]}
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY_ARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = exc.value.response
    return (str(response["Error"]["Code"]), str(response["Error"]["Message"]),
            int(response["ResponseMetadata"]["HTTPStatusCode"]))


def doc(document: dict[str, Any]) -> str:
    return json.dumps(document)


def sized_document(size: int, action: str = "s3:GetObject") -> str:
    """A valid identity policy whose size, as IAM counts it, is exactly `size`."""
    base = {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": "arn:aws:s3:::"}]}
    padding = size - policy_size(json.dumps(base))
    assert padding >= 0
    base["Statement"][0]["Resource"] = "arn:aws:s3:::" + "b" * padding  # type: ignore[index]
    text = json.dumps(base)
    assert policy_size(text) == size
    return text


def account_of(iam: Any) -> str:
    return str(iam.get_user()["User"]["Arn"].split(":")[4])


def new_policy(iam: Any, unique: Any, document: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    created: dict[str, Any] = iam.create_policy(PolicyName=unique("pol"),
                                                PolicyDocument=doc(document or ALLOW_LIST), **kwargs)["Policy"]
    return created


def not_found(arn: str) -> tuple[str, str, int]:
    return ("NoSuchEntity", f"Policy {arn} was not found.", 404)


def not_attachable(arn: str) -> tuple[str, str, int]:
    return ("NoSuchEntity", f"Policy {arn} does not exist or is not attachable.", 404)


def no_version(arn: str, version: str) -> tuple[str, str, int]:
    return ("NoSuchEntity", f"Policy {arn} version {version} does not exist or is not attachable.", 404)


def new_role(iam: Any, unique: Any, path: str = "/") -> str:
    name = unique("role")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "ec2.amazonaws.com"}}]}
    iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=doc(trust))
    return str(name)


def new_principal(iam: Any, unique: Any, kind: str) -> str:
    """A new user, group or role; its name."""
    if kind == "user":
        return str(iam.create_user(UserName=unique("u"))["User"]["UserName"])
    if kind == "group":
        return str(iam.create_group(GroupName=unique("g"))["Group"]["GroupName"])
    return new_role(iam, unique)


# --- managed policies -----------------------------------------------------------


def test_create_get_list_delete_policy(iam: Any, unique: Any) -> None:
    path = f"/{unique('team')}/"
    name = unique("pol")
    created = iam.create_policy(PolicyName=name, Path=path, PolicyDocument=doc(ALLOW_LIST),
                                Description="testing",
                                Tags=[{"Key": "somekey", "Value": "somevalue"}])["Policy"]
    account = account_of(iam)
    arn = f"arn:aws:iam::{account}:policy{path}{name}"
    assert created["Arn"] == arn and created["Path"] == path and created["PolicyName"] == name
    assert created["PolicyId"].startswith("ANPA") and len(created["PolicyId"]) == 21
    assert created["DefaultVersionId"] == "v1" and created["IsAttachable"] is True
    assert created["AttachmentCount"] == 0 and created["PermissionsBoundaryUsageCount"] == 0
    # CreatePolicy leaves the description out of its answer; GetPolicy has it.
    assert "Description" not in created
    assert created["Tags"] == [{"Key": "somekey", "Value": "somevalue"}]
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["Description"] == "testing" and got["Tags"] == created["Tags"]
    assert got["CreateDate"] == created["CreateDate"] and got["UpdateDate"] == created["UpdateDate"]
    listed = iam.list_policies(Scope="Local", PathPrefix=path)
    assert listed["IsTruncated"] is False
    (entry,) = listed["Policies"]
    assert entry["Arn"] == arn and "Description" not in entry and "Tags" not in entry
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == ALLOW_LIST and version["IsDefaultVersion"] is True
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.get_policy(PolicyArn=arn)
    assert error_of(exc) == not_found(arn)
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(exc) == not_found(arn)


def test_policy_without_tags_or_description(iam: Any, unique: Any) -> None:
    created = new_policy(iam, unique)
    assert "Tags" not in created and created["Path"] == "/"
    got = iam.get_policy(PolicyArn=created["Arn"])["Policy"]
    assert got["Tags"] == [] and "Description" not in got


def test_policy_names_are_unique_in_the_account_ignoring_case_and_path(iam: Any, unique: Any) -> None:
    created = new_policy(iam, unique)
    name = created["PolicyName"]
    for other in (name, name.upper()):
        with pytest.raises(ClientError) as exc:
            iam.create_policy(PolicyName=other, Path="/elsewhere/", PolicyDocument=doc(ALLOW_LIST))
        assert error_of(exc) == (
            "EntityAlreadyExists", f"A policy called {other} already exists. Duplicate names are not allowed.",
            409)


def test_refused_documents_store_nothing(iam: Any, unique: Any) -> None:
    account = account_of(iam)
    name = unique("bad")
    arn = f"arn:aws:iam::{account}:policy/{name}"
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=name, PolicyDocument='{"Version": "2012-10-17", "Statement": [')
    assert error_of(exc) == ("MalformedPolicyDocument", "Syntax errors in policy.", 400)
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=name, PolicyDocument=doc(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}))
    assert error_of(exc) == ("MalformedPolicyDocument", "Policy statement must contain resources.", 400)
    # IAM Quotas: a managed policy holds 6,144 characters, whitespace not counted.
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=name, PolicyDocument=sized_document(6145))
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144", 409)
    with pytest.raises(ClientError) as exc:
        iam.get_policy(PolicyArn=arn)
    assert error_of(exc) == not_found(arn)
    iam.create_policy(PolicyName=name, PolicyDocument=sized_document(6144))
    iam.delete_policy(PolicyArn=arn)


def test_arn_that_is_no_arn_is_invalid_input(iam: Any, unique: Any) -> None:
    for call in (iam.get_policy, iam.delete_policy, iam.list_policy_versions, iam.list_entities_for_policy):
        with pytest.raises(ClientError) as exc:
            call(PolicyArn="longpolicynamebutnoarn")
        assert error_of(exc) == ("InvalidInput", "ARN longpolicynamebutnoarn is not valid.", 400)
    user = unique("u")
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName=user, PolicyArn="longpolicynamebutnoarn")
    assert error_of(exc) == ("InvalidInput", "ARN longpolicynamebutnoarn is not valid.", 400)


def test_aws_managed_policies_are_listed_and_readable(iam: Any) -> None:
    got = iam.get_policy(PolicyArn=ADMIN_ARN)["Policy"]
    assert got["PolicyName"] == "AdministratorAccess" and got["Path"] == "/"
    assert got["Description"] == "Provides full access to AWS services and resources."
    assert got["Tags"] == [] and got["IsAttachable"] is True
    # The bootstrap attaches AdministratorAccess to the Administrators group.
    assert got["AttachmentCount"] >= 1
    version = iam.get_policy_version(PolicyArn=ADMIN_ARN, VersionId=got["DefaultVersionId"])
    assert version["PolicyVersion"]["Document"]["Statement"][0]["Action"] == "*"
    aws_names = [p["PolicyName"] for page in iam.get_paginator("list_policies").paginate(Scope="AWS")
                 for p in page["Policies"]]
    assert "AdministratorAccess" in aws_names and "ReadOnlyAccess" in aws_names
    local = [p["Arn"] for page in iam.get_paginator("list_policies").paginate(Scope="Local")
             for p in page["Policies"]]
    assert all(":aws:policy/" not in arn for arn in local)
    attached = iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert ADMIN_ARN in [p["Arn"] for p in attached]
    assert all(p["AttachmentCount"] > 0 for p in attached)
    everything = [p["Arn"] for page in iam.get_paginator("list_policies").paginate()
                  for p in page["Policies"]]
    assert ADMIN_ARN in everything and set(local) <= set(everything)


def test_aws_managed_policies_cannot_be_changed(iam: Any) -> None:
    # AWS's sentences for policies of another account; the CreatePolicyVersion
    # one as AWS answered it for a policy owned by another account (a public
    # Databricks setup log), the others as LocalStack records them.
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=ADMIN_ARN)
    assert error_of(exc) == ("AccessDenied", "Cannot delete policies outside your own account.", 403)
    with pytest.raises(ClientError) as exc:
        iam.create_policy_version(PolicyArn=ADMIN_ARN, PolicyDocument=doc(ALLOW_LIST))
    assert error_of(exc) == (
        "AccessDenied", "Cannot create versions for policies outside your own account.", 403)
    with pytest.raises(ClientError) as exc:
        iam.set_default_policy_version(PolicyArn=ADMIN_ARN, VersionId="v1")
    assert error_of(exc) == ("AccessDenied", "Cannot update policies outside your own account.", 403)
    with pytest.raises(ClientError) as exc:
        iam.delete_policy_version(PolicyArn=ADMIN_ARN, VersionId="v1")
    assert error_of(exc) == (
        "AccessDenied", "Cannot delete policy versions for policies outside your own account.", 403)
    with pytest.raises(ClientError) as exc:
        iam.tag_policy(PolicyArn=ADMIN_ARN, Tags=[{"Key": "k", "Value": "v"}])
    assert error_of(exc) == not_found(ADMIN_ARN)
    assert iam.list_policy_tags(PolicyArn=ADMIN_ARN)["Tags"] == []
    assert iam.get_policy(PolicyArn=ADMIN_ARN)["Policy"]["Tags"] == []


def test_policies_of_another_account_are_not_found(iam: Any, unique: Any) -> None:
    arn = f"arn:aws:iam::000000000000:policy/{unique('theirs')}"
    with pytest.raises(ClientError) as exc:
        iam.get_policy(PolicyArn=arn)
    assert error_of(exc) == not_found(arn)
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(exc) == ("AccessDenied", "Cannot delete policies outside your own account.", 403)


def test_delete_policy_conflicts(iam: Any, unique: Any) -> None:
    policy = new_policy(iam, unique)
    arn = policy["Arn"]
    user = unique("u")
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    attached = "Cannot delete a policy attached to entities."
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(exc) == ("DeleteConflict", attached, 409)
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    # A permissions boundary counts as a use (gruntwork-io/cloud-nuke#972).
    iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(exc) == ("DeleteConflict", attached, 409)
    iam.delete_user_permissions_boundary(UserName=user)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(ALLOW_EC2))
    # As AWS answers it (rebuy-de/aws-nuke#1, redradrat/aws-iam-operator#13).
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(exc) == (
        "DeleteConflict", "This policy has more than one version. Before you delete a policy, you must "
        "delete the policy's versions. The default version is deleted with the policy.", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    iam.delete_policy(PolicyArn=arn)
    iam.delete_user(UserName=user)


def test_list_policies_pagination(iam: Any, unique: Any) -> None:
    path = f"/{unique('page')}/"
    names = sorted(unique("p") for _ in range(5))
    for name in names:
        iam.create_policy(PolicyName=name, Path=path, PolicyDocument=doc(ALLOW_LIST))
    first = iam.list_policies(PathPrefix=path, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Policies"]) == 2
    seen = [p["PolicyName"] for p in first["Policies"]]
    marker = first["Marker"]
    while marker:
        page = iam.list_policies(PathPrefix=path, MaxItems=2, Marker=marker)
        seen += [p["PolicyName"] for p in page["Policies"]]
        marker = page.get("Marker")
    assert seen == names
    paginated = [p["PolicyName"] for page in iam.get_paginator("list_policies").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 3}) for p in page["Policies"]]
    assert paginated == names
    with pytest.raises(ClientError) as exc:
        iam.list_policies(PathPrefix=path, Marker="not-a-marker")
    assert error_of(exc) == ("ValidationError", "Invalid Marker.", 400)


def test_list_policies_by_usage(iam: Any, unique: Any) -> None:
    path = f"/{unique('use')}/"
    attached = new_policy(iam, unique, Path=path)
    boundary = new_policy(iam, unique, Path=path)
    unused = new_policy(iam, unique, Path=path)
    user = unique("u")
    iam.create_user(UserName=user, PermissionsBoundary=boundary["Arn"])
    iam.attach_user_policy(UserName=user, PolicyArn=attached["Arn"])

    def names(**kwargs: Any) -> set[str]:
        return {p["PolicyName"] for page in iam.get_paginator("list_policies").paginate(
            PathPrefix=path, PaginationConfig={"PageSize": 1}, **kwargs) for p in page["Policies"]}

    assert names() == {attached["PolicyName"], boundary["PolicyName"], unused["PolicyName"]}
    assert names(OnlyAttached=True) == {attached["PolicyName"]}
    assert names(PolicyUsageFilter="PermissionsPolicy") == {attached["PolicyName"]}
    assert names(PolicyUsageFilter="PermissionsBoundary") == {boundary["PolicyName"]}
    assert names(Scope="AWS", PolicyUsageFilter="PermissionsBoundary") == set()


def test_policy_tags(iam: Any, unique: Any) -> None:
    policy = new_policy(iam, unique)
    arn = policy["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "somekey", "Value": "somevalue"},
                                        {"Key": "someotherkey", "Value": "someothervalue"}])
    listed = iam.list_policy_tags(PolicyArn=arn)
    assert listed["IsTruncated"] is False
    assert listed["Tags"] == [{"Key": "somekey", "Value": "somevalue"},
                              {"Key": "someotherkey", "Value": "someothervalue"}]
    first = iam.list_policy_tags(PolicyArn=arn, MaxItems=1)
    assert first["IsTruncated"] is True and len(first["Tags"]) == 1
    second = iam.list_policy_tags(PolicyArn=arn, MaxItems=1, Marker=first["Marker"])
    assert second["IsTruncated"] is False and first["Tags"] + second["Tags"] == listed["Tags"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "somekey", "Value": ""}])
    assert {"Key": "somekey", "Value": ""} in iam.list_policy_tags(PolicyArn=arn)["Tags"]
    iam.untag_policy(PolicyArn=arn, TagKeys=["somekey", "absent"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "someotherkey", "Value": "someothervalue"}]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == [
        {"Key": "someotherkey", "Value": "someothervalue"}]
    with pytest.raises(ClientError) as exc:
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}])
    assert error_of(exc) == ("InvalidInput", "Duplicate tag keys found.", 400)
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=unique("p"), PolicyDocument=doc(ALLOW_LIST),
                          Tags=[{"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}])
    assert error_of(exc) == ("InvalidInput", "Duplicate tag keys found.", 400)
    missing = arn + "-gone"
    for call, extra in ((iam.tag_policy, {"Tags": [{"Key": "k", "Value": "v"}]}),
                        (iam.untag_policy, {"TagKeys": ["k"]}), (iam.list_policy_tags, {})):
        with pytest.raises(ClientError) as exc:
            call(PolicyArn=missing, **extra)
        assert error_of(exc) == not_found(missing)


def test_policy_tag_limit(iam: Any, unique: Any) -> None:
    arn = new_policy(iam, unique, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "k0", "Value": "new"}])  # replacing is no growth
    with pytest.raises(ClientError) as exc:
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "one-more", "Value": "v"}])
    assert error_of(exc)[0] == "LimitExceeded"
    assert len(iam.list_policy_tags(PolicyArn=arn)["Tags"]) == 50


# --- versions -------------------------------------------------------------------


def test_policy_version_lifecycle(iam: Any, unique: Any) -> None:
    arn = new_policy(iam, unique, document=ALLOW_LIST)["Arn"]
    v2 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(ALLOW_EC2), SetAsDefault=True)
    assert set(v2["PolicyVersion"]) == {"VersionId", "IsDefaultVersion", "CreateDate"}
    assert v2["PolicyVersion"]["VersionId"] == "v2" and v2["PolicyVersion"]["IsDefaultVersion"] is True
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]
    assert got["Document"] == ALLOW_EC2 and got["IsDefaultVersion"] is True
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    v3 = iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(ALLOW_LIST))["PolicyVersion"]
    assert v3["VersionId"] == "v3" and v3["IsDefaultVersion"] is False
    listed = iam.list_policy_versions(PolicyArn=arn)
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in listed["Versions"]] == [
        ("v3", False), ("v2", True), ("v1", False)]
    assert listed["IsTruncated"] is False and all("Document" not in v for v in listed["Versions"])
    page = iam.list_policy_versions(PolicyArn=arn, MaxItems=2)
    rest = iam.list_policy_versions(PolicyArn=arn, Marker=page["Marker"])
    assert [v["VersionId"] for v in page["Versions"] + rest["Versions"]] == ["v3", "v2", "v1"]
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    with pytest.raises(ClientError) as exc:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert error_of(exc) == ("DeleteConflict", "Cannot delete the default version of a policy.", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    with pytest.raises(ClientError) as exc:
        iam.get_policy_version(PolicyArn=arn, VersionId="v3")
    assert error_of(exc) == no_version(arn, "v3")
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v2", "v1"]


def test_policy_version_limit(iam: Any, unique: Any) -> None:
    arn = new_policy(iam, unique)["Arn"]
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(ALLOW_EC2))
    with pytest.raises(ClientError) as exc:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(ALLOW_EC2))
    assert error_of(exc) == (
        "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, "
        "you must delete an existing version.", 409)
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 5
    iam.delete_policy_version(PolicyArn=arn, VersionId="v4")
    # Version ids are never reused.
    assert iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(ALLOW_EC2))[
        "PolicyVersion"]["VersionId"] == "v6"


def test_policy_version_errors(iam: Any, unique: Any) -> None:
    arn = new_policy(iam, unique)["Arn"]
    missing = f"arn:aws:iam::{account_of(iam)}:policy/{unique('TestNonExistingPolicy')}"
    with pytest.raises(ClientError) as exc:
        iam.get_policy_version(PolicyArn=missing, VersionId="v1")
    assert error_of(exc) == no_version(missing, "v1")
    with pytest.raises(ClientError) as exc:
        iam.get_policy_version(PolicyArn=arn, VersionId="v9")
    assert error_of(exc) == no_version(arn, "v9")
    with pytest.raises(ClientError) as exc:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v9")
    assert error_of(exc) == no_version(arn, "v9")
    with pytest.raises(ClientError) as exc:
        iam.set_default_policy_version(PolicyArn=missing, VersionId="v1")
    assert error_of(exc) == no_version(missing, "v1")
    with pytest.raises(ClientError) as exc:
        iam.set_default_policy_version(PolicyArn=arn, VersionId="v4")
    assert error_of(exc) == no_version(arn, "v4")
    with pytest.raises(ClientError) as exc:
        iam.set_default_policy_version(PolicyArn=arn, VersionId="1")
    assert error_of(exc)[0] == "ValidationError"
    with pytest.raises(ClientError) as exc:
        iam.list_policy_versions(PolicyArn=missing)
    assert error_of(exc) == not_found(missing)
    with pytest.raises(ClientError) as exc:
        iam.create_policy_version(PolicyArn=missing, PolicyDocument=doc(ALLOW_LIST))
    assert error_of(exc) == not_found(missing)
    with pytest.raises(ClientError) as exc:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument='{"Statement": "nope"}')
    assert error_of(exc)[0] == "MalformedPolicyDocument"
    with pytest.raises(ClientError) as exc:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(
            {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    assert error_of(exc) == (
        "MalformedPolicyDocument", "Policy document must be version 2012-10-17 or greater.", 400)
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v1"]


# --- attachments ----------------------------------------------------------------


def test_attach_list_detach_user_policy(iam: Any, unique: Any) -> None:
    path = f"/{unique('att')}/"
    first = new_policy(iam, unique, Path=path)
    second = new_policy(iam, unique)
    user = unique("u")
    iam.create_user(UserName=user)
    empty = iam.list_attached_user_policies(UserName=user)
    assert empty["AttachedPolicies"] == [] and empty["IsTruncated"] is False and "Marker" not in empty
    iam.attach_user_policy(UserName=user, PolicyArn=first["Arn"])
    iam.attach_user_policy(UserName=user.upper(), PolicyArn=first["Arn"])  # again: no error, no change
    iam.attach_user_policy(UserName=user, PolicyArn=second["Arn"])
    iam.attach_user_policy(UserName=user, PolicyArn=READ_ONLY_ARN)
    listed = iam.list_attached_user_policies(UserName=user)
    assert sorted((a["PolicyName"], a["PolicyArn"]) for a in listed["AttachedPolicies"]) == sorted(
        [(first["PolicyName"], first["Arn"]), (second["PolicyName"], second["Arn"]),
         ("ReadOnlyAccess", READ_ONLY_ARN)])
    assert iam.list_attached_user_policies(UserName=user, PathPrefix=path)["AttachedPolicies"] == [
        {"PolicyName": first["PolicyName"], "PolicyArn": first["Arn"]}]
    page = iam.list_attached_user_policies(UserName=user, MaxItems=2)
    assert page["IsTruncated"] is True and len(page["AttachedPolicies"]) == 2
    rest = iam.list_attached_user_policies(UserName=user, Marker=page["Marker"])
    assert page["AttachedPolicies"] + rest["AttachedPolicies"] == listed["AttachedPolicies"]
    assert iam.get_policy(PolicyArn=first["Arn"])["Policy"]["AttachmentCount"] == 1
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=user)
    assert error_of(exc) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    iam.detach_user_policy(UserName=user, PolicyArn=first["Arn"])
    with pytest.raises(ClientError) as exc:
        iam.detach_user_policy(UserName=user, PolicyArn=first["Arn"])
    assert error_of(exc) == not_found(first["Arn"])
    assert iam.get_policy(PolicyArn=first["Arn"])["Policy"]["AttachmentCount"] == 0
    iam.detach_user_policy(UserName=user, PolicyArn=second["Arn"])
    iam.detach_user_policy(UserName=user, PolicyArn=READ_ONLY_ARN)
    assert iam.list_attached_user_policies(UserName=user)["AttachedPolicies"] == []
    iam.delete_user(UserName=user)


def test_attach_errors(iam: Any, unique: Any) -> None:
    policy = new_policy(iam, unique)
    user = unique("u")
    iam.create_user(UserName=user)
    missing = policy["Arn"] + "123"
    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName=user, PolicyArn=missing)
    assert error_of(exc) == not_attachable(missing)
    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName=user, PolicyArn=policy["PolicyName"] + "-is-no-arn")
    assert error_of(exc) == ("InvalidInput", f"ARN {policy['PolicyName']}-is-no-arn is not valid.", 400)
    nobody = unique("nobody")
    for call in (iam.attach_user_policy, iam.detach_user_policy):
        with pytest.raises(ClientError) as exc:
            call(UserName=nobody, PolicyArn=policy["Arn"])
        assert error_of(exc) == ("NoSuchEntity", f"The user with name {nobody} cannot be found.", 404)
    with pytest.raises(ClientError) as exc:
        iam.list_attached_user_policies(UserName=nobody)
    assert error_of(exc) == ("NoSuchEntity", f"The user with name {nobody} cannot be found.", 404)
    with pytest.raises(ClientError) as exc:
        iam.detach_user_policy(UserName=user, PolicyArn=missing)
    assert error_of(exc) == not_found(missing)


def test_ten_managed_policies_per_principal(iam: Any, unique: Any) -> None:
    user = unique("u")
    iam.create_user(UserName=user)
    arns = [new_policy(iam, unique)["Arn"] for _ in range(11)]
    for arn in arns[:10]:
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_user_policy(UserName=user, PolicyArn=arns[0])  # already attached: still fine at the quota
    # As AWS answers it (AWS CLI output quoted in public deployment logs).
    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName=user, PolicyArn=arns[10])
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for PoliciesPerUser: 10", 409)
    group = unique("g")
    iam.create_group(GroupName=group)
    for arn in arns[:10]:
        iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.attach_group_policy(GroupName=group, PolicyArn=arns[10])
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for PoliciesPerGroup: 10", 409)
    role = new_role(iam, unique)
    for arn in arns[:10]:
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.attach_role_policy(RoleName=role, PolicyArn=arns[10])
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10", 409)


def test_group_and_role_attachments(iam: Any, unique: Any) -> None:
    policy = new_policy(iam, unique)
    arn = policy["Arn"]
    group, role = unique("g"), new_role(iam, unique)
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    expected = [{"PolicyName": policy["PolicyName"], "PolicyArn": arn}]
    assert iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"] == expected
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == expected
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 2
    iam.detach_group_policy(GroupName=group, PolicyArn=arn)
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    for call, kwargs in ((iam.detach_group_policy, {"GroupName": group}),
                         (iam.detach_role_policy, {"RoleName": role})):
        with pytest.raises(ClientError) as exc:
            call(PolicyArn=arn, **kwargs)
        assert error_of(exc) == not_found(arn)
    nobody = unique("nobody")
    with pytest.raises(ClientError) as exc:
        iam.attach_group_policy(GroupName=nobody, PolicyArn=arn)
    assert error_of(exc) == ("NoSuchEntity", f"The group with name {nobody} cannot be found.", 404)
    with pytest.raises(ClientError) as exc:
        iam.list_attached_role_policies(RoleName=nobody)
    assert error_of(exc) == ("NoSuchEntity", f"The role with name {nobody} cannot be found.", 404)
    with pytest.raises(ClientError) as exc:
        iam.attach_role_policy(RoleName=role, PolicyArn=arn + "x")
    assert error_of(exc) == not_attachable(arn + "x")
    iam.delete_policy(PolicyArn=arn)


def test_list_entities_for_policy(iam: Any, unique: Any) -> None:
    policy = new_policy(iam, unique)
    arn = policy["Arn"]

    def entities(**kwargs: Any) -> tuple[list[str], list[str], list[str]]:
        got = iam.list_entities_for_policy(PolicyArn=arn, **kwargs)
        assert got["IsTruncated"] is False
        return ([g["GroupName"] for g in got["PolicyGroups"]], [u["UserName"] for u in got["PolicyUsers"]],
                [r["RoleName"] for r in got["PolicyRoles"]])

    assert entities() == ([], [], [])
    path = f"/{unique('ent')}/"
    user, bounded, group = unique("u"), unique("b"), unique("g")
    user_id = iam.create_user(UserName=user, Path=path)["User"]["UserId"]
    iam.create_user(UserName=bounded, PermissionsBoundary=arn)
    group_id = iam.create_group(GroupName=group)["Group"]["GroupId"]
    role = new_role(iam, unique)
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    full = iam.list_entities_for_policy(PolicyArn=arn)
    assert full["PolicyGroups"] == [{"GroupName": group, "GroupId": group_id}]
    assert {"UserName": user, "UserId": user_id} in full["PolicyUsers"]
    # Without a usage filter the users bounded by the policy are named too
    # (gruntwork-io/cloud-nuke#972: AWS listed a boundary-only role).
    assert entities() == ([group], sorted([user, bounded], key=str.lower), [role])
    assert entities(PolicyUsageFilter="PermissionsPolicy") == ([group], [user], [role])
    assert entities(PolicyUsageFilter="PermissionsBoundary") == ([], [bounded], [])
    assert entities(EntityFilter="User", PolicyUsageFilter="PermissionsPolicy") == ([], [user], [])
    assert entities(EntityFilter="Group") == ([group], [], [])
    assert entities(EntityFilter="Role") == ([], [], [role])
    assert entities(EntityFilter="LocalManagedPolicy") == ([], [], [])
    assert entities(EntityFilter="AWSManagedPolicy") == ([], [], [])
    assert entities(PathPrefix=path) == ([], [user], [])
    seen: list[str] = []
    marker = None
    while True:
        page = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=1, **({"Marker": marker} if marker else {}))
        names = [g["GroupName"] for g in page["PolicyGroups"]] + [u["UserName"] for u in page["PolicyUsers"]] + [
            r["RoleName"] for r in page["PolicyRoles"]]
        assert len(names) == 1
        seen += names
        if not page["IsTruncated"]:
            break
        marker = page["Marker"]
    assert sorted(seen) == sorted([group, user, bounded, role])
    missing = arn + "-gone"
    with pytest.raises(ClientError) as exc:
        iam.list_entities_for_policy(PolicyArn=missing)
    assert error_of(exc) == not_attachable(missing)


def test_aws_managed_policy_attachment_counts_are_per_account(iam: Any, unique: Any) -> None:
    before = iam.get_policy(PolicyArn=READ_ONLY_ARN)["Policy"]["AttachmentCount"]
    role = new_role(iam, unique)
    iam.attach_role_policy(RoleName=role, PolicyArn=READ_ONLY_ARN)
    assert iam.get_policy(PolicyArn=READ_ONLY_ARN)["Policy"]["AttachmentCount"] == before + 1
    assert role in [r["RoleName"] for r in iam.list_entities_for_policy(
        PolicyArn=READ_ONLY_ARN, EntityFilter="Role")["PolicyRoles"]]
    iam.detach_role_policy(RoleName=role, PolicyArn=READ_ONLY_ARN)


# --- inline policies --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_inline_policy_lifecycle(iam: Any, unique: Any, kind: str) -> None:
    Kind = kind.capitalize()
    owner = new_principal(iam, unique, kind)
    name_param = f"{Kind}Name"
    put = getattr(iam, f"put_{kind}_policy")
    get = getattr(iam, f"get_{kind}_policy")
    delete = getattr(iam, f"delete_{kind}_policy")
    listing = getattr(iam, f"list_{kind}_policies")
    assert listing(**{name_param: owner})["PolicyNames"] == []
    put(**{name_param: owner}, PolicyName="ReadStuff", PolicyDocument=doc(ALLOW_LIST))
    put(**{name_param: owner}, PolicyName="describe", PolicyDocument=doc(ALLOW_EC2))
    got = get(**{name_param: owner.upper()}, PolicyName="readstuff")
    assert got[name_param] == owner and got["PolicyName"] == "ReadStuff"
    assert got["PolicyDocument"] == ALLOW_LIST
    # Putting a name again replaces the document (and takes the new spelling).
    put(**{name_param: owner}, PolicyName="READSTUFF", PolicyDocument=doc(ALLOW_EC2))
    got = get(**{name_param: owner}, PolicyName="ReadStuff")
    assert got["PolicyName"] == "READSTUFF" and got["PolicyDocument"] == ALLOW_EC2
    listed = listing(**{name_param: owner})
    assert listed["PolicyNames"] == ["describe", "READSTUFF"] and listed["IsTruncated"] is False
    page = listing(**{name_param: owner}, MaxItems=1)
    assert page["PolicyNames"] == ["describe"] and page["IsTruncated"] is True
    assert listing(**{name_param: owner}, Marker=page["Marker"])["PolicyNames"] == ["READSTUFF"]
    delete(**{name_param: owner}, PolicyName="readstuff")
    for call in (get, delete):
        with pytest.raises(ClientError) as exc:
            call(**{name_param: owner}, PolicyName="readstuff")
        # AWS's words for each kind (AWS CLI output in aws/aws-cli#6139 for roles).
        assert error_of(exc) == ("NoSuchEntity", f"The {kind} policy with name readstuff cannot be found.", 404)
    nobody = unique("nobody")
    for call, extra in ((put, {"PolicyName": "p", "PolicyDocument": doc(ALLOW_LIST)}),
                        (get, {"PolicyName": "p"}), (delete, {"PolicyName": "p"}), (listing, {})):
        with pytest.raises(ClientError) as exc:
            call(**{name_param: nobody}, **extra)
        assert error_of(exc) == ("NoSuchEntity", f"The {kind} with name {nobody} cannot be found.", 404)
    delete(**{name_param: owner}, PolicyName="describe")


@pytest.mark.parametrize(("kind", "quota"), [("user", 2048), ("group", 5120), ("role", 10240)])
def test_inline_policy_size_is_the_sum_per_principal(iam: Any, unique: Any, kind: str, quota: int) -> None:
    owner = new_principal(iam, unique, kind)
    name_param = f"{kind.capitalize()}Name"
    put = getattr(iam, f"put_{kind}_policy")
    exceeded = ("LimitExceeded", f"Maximum policy size of {quota} bytes exceeded for {kind} {owner}", 409)
    with pytest.raises(ClientError) as exc:
        put(**{name_param: owner}, PolicyName="big", PolicyDocument=sized_document(quota + 1))
    assert error_of(exc) == exceeded
    half = quota // 2
    put(**{name_param: owner}, PolicyName="first", PolicyDocument=sized_document(half))
    put(**{name_param: owner}, PolicyName="second", PolicyDocument=sized_document(quota - half))
    # Replacing a policy counts its new size instead of the old one.
    put(**{name_param: owner}, PolicyName="second", PolicyDocument=sized_document(quota - half))
    with pytest.raises(ClientError) as exc:
        put(**{name_param: owner}, PolicyName="third", PolicyDocument=sized_document(200))
    assert error_of(exc) == exceeded
    with pytest.raises(ClientError) as exc:
        put(**{name_param: owner}, PolicyName="second", PolicyDocument=sized_document(quota - half + 1))
    assert error_of(exc) == exceeded
    # Whitespace is not counted.
    spaced = json.dumps(json.loads(sized_document(quota - half)), indent=8)
    put(**{name_param: owner}, PolicyName="second", PolicyDocument=spaced)
    assert sorted(getattr(iam, f"list_{kind}_policies")(**{name_param: owner})["PolicyNames"]) == [
        "first", "second"]


def test_refused_inline_document_keeps_the_old_one(iam: Any, unique: Any) -> None:
    user = unique("u")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=doc(ALLOW_LIST))
    with pytest.raises(ClientError) as exc:
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=doc(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                                     "Principal": "*"}]}))
    assert error_of(exc) == ("MalformedPolicyDocument", "Policy document should not specify a principal.", 400)
    assert iam.get_user_policy(UserName=user, PolicyName="p")["PolicyDocument"] == ALLOW_LIST
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=user)
    assert error_of(exc) == ("DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
