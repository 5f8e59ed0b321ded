"""Roles and their tags through boto3 against a real `iamd serve`.

The messages asserted here are AWS's own, as reported by AWS users (GitHub
issues quoting real IAM answers) and recorded by moto: "Role with name X
already exists.", "The role with name X cannot be found.", "Has prohibited
field Resource", "Cannot delete entity, must delete policies first.",
"Cannot delete entity, must detach all policies first.", "Cannot exceed
quota for RolesPerAccount: 1000", "Path prefix '/aws-service-role/' can only
be used for AWS Service linked Roles". The '/aws-reserved/' wording follows
the service-role one by analogy (no AWS answer seen).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from iamd.model.entities import Role
from iamd.service import ids
from iamd.testing import IamdServer

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def error_message(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Message"])


def status(exc: pytest.ExceptionInfo[ClientError]) -> int:
    return int(exc.value.response["ResponseMetadata"]["HTTPStatusCode"])


def trust(account_id: str) -> dict[str, Any]:
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                           "Action": "sts:AssumeRole"}]}


def service_trust(service: str = "ec2.amazonaws.com") -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                                      "Action": "sts:AssumeRole"}]})


def account_of(iam: Any) -> str:
    return str(iam.get_user()["User"]["Arn"].split(":")[4])


def unvalidated(server: IamdServer) -> Any:
    """A client that sends what botocore would refuse (MaxSessionDuration below its minimum)."""
    return boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=server.access_key_id,
                        aws_secret_access_key=server.secret_access_key,
                        config=Config(retries={"max_attempts": 1}, parameter_validation=False))


def test_create_get_list_delete_role(iam: Any, unique: Any) -> None:
    account = account_of(iam)
    name, path = unique("app"), f"/{unique('svc')}/"
    document = trust(account)
    created = iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(document),
                              Description="runs the app", Tags=[{"Key": "team", "Value": "core"}])["Role"]
    assert created["RoleId"].startswith("AROA") and len(created["RoleId"]) == 21
    assert created["Arn"] == f"arn:aws:iam::{account}:role{path}{name}"
    assert created["Path"] == path and created["RoleName"] == name
    assert created["AssumeRolePolicyDocument"] == document  # botocore decodes the URL-encoded JSON
    assert created["Tags"] == [{"Key": "team", "Value": "core"}]
    assert created["MaxSessionDuration"] == 3600

    got = iam.get_role(RoleName=name.upper())["Role"]  # names ignore case
    assert got["RoleName"] == name and got["RoleId"] == created["RoleId"]
    assert got["AssumeRolePolicyDocument"] == document
    assert got["Description"] == "runs the app"
    assert got["MaxSessionDuration"] == 3600
    assert got["RoleLastUsed"] == {}
    assert got["Tags"] == [{"Key": "team", "Value": "core"}]
    assert "PermissionsBoundary" not in got

    listed = iam.list_roles(PathPrefix=path)["Roles"]
    assert [r["RoleName"] for r in listed] == [name]
    # ListRoles leaves out PermissionsBoundary, RoleLastUsed and Tags, as AWS documents.
    assert not {"Tags", "RoleLastUsed", "PermissionsBoundary"} & set(listed[0])
    assert listed[0]["Description"] == "runs the app" and listed[0]["MaxSessionDuration"] == 3600
    assert listed[0]["AssumeRolePolicyDocument"] == document

    iam.delete_role(RoleName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=name)
    assert error_code(exc) == "NoSuchEntity" and status(exc) == 404
    assert error_message(exc) == f"The role with name {name} cannot be found."
    assert iam.list_roles(PathPrefix=path)["Roles"] == []


def test_missing_role_everywhere(iam: Any, unique: Any) -> None:
    name = unique("ghost")
    calls: list[Callable[[], Any]] = [
        lambda: iam.get_role(RoleName=name),
        lambda: iam.delete_role(RoleName=name),
        lambda: iam.update_role(RoleName=name, Description="x"),
        lambda: iam.update_role_description(RoleName=name, Description="x"),
        lambda: iam.update_assume_role_policy(RoleName=name, PolicyDocument=service_trust()),
        lambda: iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=READ_ONLY),
        lambda: iam.delete_role_permissions_boundary(RoleName=name),
        lambda: iam.tag_role(RoleName=name, Tags=[{"Key": "k", "Value": "v"}]),
        lambda: iam.untag_role(RoleName=name, TagKeys=["k"]),
        lambda: iam.list_role_tags(RoleName=name),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_code(exc) == "NoSuchEntity"
        assert error_message(exc) == f"The role with name {name} cannot be found."


def test_duplicate_role_ignoring_case(iam: Any, unique: Any) -> None:
    name = unique("dup")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=service_trust())
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=name.upper(), AssumeRolePolicyDocument=service_trust())
    assert error_code(exc) == "EntityAlreadyExists" and status(exc) == 409
    assert error_message(exc) == f"Role with name {name.upper()} already exists."
    iam.delete_role(RoleName=name)


@pytest.mark.parametrize(("document", "code", "message"), [
    ("{not json", "MalformedPolicyDocument", "This policy contains invalid Json"),
    # An identity policy given as a trust policy: IAM names the Resource field.
    (json.dumps({"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}),
     "MalformedPolicyDocument", "Has prohibited field Resource"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}),
     "MalformedPolicyDocument",
     "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: "
     "The passed in policy has a statement with no principals!"),
    (json.dumps({"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                "Action": "s3:GetObject"}]}),
     "MalformedPolicyDocument", "AssumeRole policy may only specify STS AssumeRole actions."),
    (json.dumps({"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"aws:SourceAccount": "1" * 2100}}}]}),
     "LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048"),
])
def test_bad_trust_policy_is_refused_and_nothing_stored(iam: Any, unique: Any, document: str,
                                                         code: str, message: str) -> None:
    name = unique("bad")
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)
    assert error_code(exc) == code and error_message(exc) == message
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=name)
    assert error_code(exc) == "NoSuchEntity"

    # UpdateAssumeRolePolicy refuses the same documents and keeps the old one.
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=service_trust())
    with pytest.raises(ClientError) as exc:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=document)
    assert error_code(exc) == code and error_message(exc) == message
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == json.loads(service_trust())
    iam.delete_role(RoleName=name)


@pytest.mark.parametrize("reserved", ["/aws-service-role/", "/aws-reserved/"])
def test_paths_of_aws_roles_are_reserved(iam: Any, unique: Any, reserved: str) -> None:
    name = unique("mimic")
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=name, Path=f"{reserved}ecs.amazonaws.com/",
                        AssumeRolePolicyDocument=service_trust("ecs.amazonaws.com"))
    assert error_code(exc) == "InvalidInput" and status(exc) == 400
    assert error_message(exc) == f"Path prefix '{reserved}' can only be used for AWS Service linked Roles"


def test_update_assume_role_policy(iam: Any, unique: Any) -> None:
    name = unique("retrust")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=service_trust())
    new = trust(account_of(iam))
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(new))
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == new
    iam.delete_role(RoleName=name)


def test_max_session_duration_bounds(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    raw = unvalidated(iamd_server)
    low, high = unique("low"), unique("high")
    assert iam.create_role(RoleName=low, AssumeRolePolicyDocument=service_trust(),
                           MaxSessionDuration=3600)["Role"]["MaxSessionDuration"] == 3600
    assert iam.create_role(RoleName=high, AssumeRolePolicyDocument=service_trust(),
                           MaxSessionDuration=43200)["Role"]["MaxSessionDuration"] == 43200
    for value, bound in ((43201, "less than or equal to 43200"), (3599, "greater than or equal to 3600")):
        for operation in ("create_role", "update_role"):
            with pytest.raises(ClientError) as exc:
                if operation == "create_role":
                    raw.create_role(RoleName=unique("out"), MaxSessionDuration=value,
                                    AssumeRolePolicyDocument=service_trust())
                else:
                    raw.update_role(RoleName=low, MaxSessionDuration=value)
            assert error_code(exc) == "ValidationError" and status(exc) == 400
            message = error_message(exc)
            assert message.startswith("1 validation error detected: Value")
            assert message.endswith(f"at 'maxSessionDuration' failed to satisfy constraint: "
                                    f"Member must have value {bound}")
    iam.update_role(RoleName=low, MaxSessionDuration=7200)
    assert iam.get_role(RoleName=low)["Role"]["MaxSessionDuration"] == 7200
    for name in (low, high):
        iam.delete_role(RoleName=name)


def test_update_role_and_description(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    name = unique("desc")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=service_trust(), MaxSessionDuration=7200)
    iam.update_role(RoleName=name, Description="first")
    got = iam.get_role(RoleName=name)["Role"]
    assert got["Description"] == "first" and got["MaxSessionDuration"] == 7200  # untouched
    role = iam.update_role_description(RoleName=name, Description="second")["Role"]
    assert role["RoleName"] == name and role["Description"] == "second"
    assert role["AssumeRolePolicyDocument"] == json.loads(service_trust())
    iam.update_role(RoleName=name, Description="")  # how Terraform clears a description
    assert "Description" not in iam.get_role(RoleName=name)["Role"]
    with pytest.raises(ClientError) as exc:
        unvalidated(iamd_server).update_role(RoleName=name, Description="x" * 1001)
    assert error_code(exc) == "ValidationError"
    assert "at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000" \
        in error_message(exc)
    iam.delete_role(RoleName=name)


def test_permissions_boundary(iam: Any, unique: Any) -> None:
    name = unique("bounded")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=service_trust(),
                           PermissionsBoundary=READ_ONLY)["Role"]
    expected = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": READ_ONLY}
    assert role["PermissionsBoundary"] == expected
    assert iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"] == expected
    iam.delete_role_permissions_boundary(RoleName=name)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=name)["Role"]
    iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=READ_ONLY)
    assert iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"] == expected

    missing = "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere"
    with pytest.raises(ClientError) as exc:
        iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=missing)
    assert error_code(exc) == "NoSuchEntity"
    assert error_message(exc) == f"Scope ARN: {missing} does not exist or is not attachable."
    assert iam.get_role(RoleName=name)["Role"]["PermissionsBoundary"] == expected

    other = unique("unbounded")
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=other, AssumeRolePolicyDocument=service_trust(),
                        PermissionsBoundary=missing)
    assert error_code(exc) == "NoSuchEntity"
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=other)
    assert error_code(exc) == "NoSuchEntity"
    iam.delete_role(RoleName=name)


def test_role_tags(iam: Any, unique: Any) -> None:
    name = unique("tagged")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=service_trust(),
                    Tags=[{"Key": "zeta", "Value": "1"}, {"Key": "Dept", "Value": "eng"}])
    iam.tag_role(RoleName=name, Tags=[{"Key": "alpha", "Value": "2"}, {"Key": "dept", "Value": "ops"}])
    listed = iam.list_role_tags(RoleName=name)
    # Sorted by key, as AWS documents; "dept" replaced "Dept" (keys ignore case).
    assert listed["Tags"] == [{"Key": "alpha", "Value": "2"}, {"Key": "dept", "Value": "ops"},
                              {"Key": "zeta", "Value": "1"}]
    assert listed["IsTruncated"] is False
    first = iam.list_role_tags(RoleName=name, MaxItems=2)
    assert first["IsTruncated"] and [t["Key"] for t in first["Tags"]] == ["alpha", "dept"]
    rest = iam.list_role_tags(RoleName=name, MaxItems=2, Marker=first["Marker"])
    assert not rest["IsTruncated"] and [t["Key"] for t in rest["Tags"]] == ["zeta"]

    iam.untag_role(RoleName=name, TagKeys=["ZETA", "not-there"])  # unknown keys are ignored
    assert [t["Key"] for t in iam.get_role(RoleName=name)["Role"]["Tags"]] == ["dept", "alpha"]
    iam.untag_role(RoleName=name, TagKeys=["dept", "alpha"])
    assert "Tags" not in iam.get_role(RoleName=name)["Role"]
    assert iam.list_role_tags(RoleName=name)["Tags"] == []
    iam.delete_role(RoleName=name)


def test_role_tag_limits(iam: Any, unique: Any) -> None:
    name = unique("fifty")
    fifty = [{"Key": f"k{i:02d}", "Value": str(i)} for i in range(50)]
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=service_trust(), Tags=fifty)
    iam.tag_role(RoleName=name, Tags=[{"Key": "K00", "Value": "new"}])  # overwriting stays at 50
    with pytest.raises(ClientError) as exc:
        iam.tag_role(RoleName=name, Tags=[{"Key": "one-more", "Value": "x"}])
    assert error_code(exc) == "LimitExceeded" and status(exc) == 409
    assert error_message(exc) == "The number of tags has reached the maximum limit."
    assert len(iam.list_role_tags(RoleName=name)["Tags"]) == 50

    with pytest.raises(ClientError) as exc:
        iam.tag_role(RoleName=name, Tags=[{"Key": "aws:reserved", "Value": "x"}])
    assert error_code(exc) == "InvalidInput"
    assert error_message(exc) == ("User-defined tag keys can't start with 'aws:'. "
                                  "This prefix is reserved for AWS tags.")
    with pytest.raises(ClientError) as exc:
        iam.tag_role(RoleName=name, Tags=[{"Key": "same", "Value": "1"}, {"Key": "SAME", "Value": "2"}])
    assert error_code(exc) == "InvalidInput"
    assert error_message(exc) == ("Duplicate tag keys found. Please note that Tag keys are "
                                  "case insensitive.")

    other = unique("toomany")
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=other, AssumeRolePolicyDocument=service_trust(),
                        Tags=[*fifty, {"Key": "k50", "Value": "50"}])
    assert error_code(exc) == "ValidationError"
    assert "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50" \
        in error_message(exc)
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=other, AssumeRolePolicyDocument=service_trust(),
                        Tags=[{"Key": "aws:cloudformation:stack-name", "Value": "x"}])
    assert error_code(exc) == "InvalidInput"
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=other)
    assert error_code(exc) == "NoSuchEntity"
    iam.delete_role(RoleName=name)


def test_pagination_of_roles(iam: Any, unique: Any) -> None:
    path = f"/{unique('page')}/"
    names = sorted(unique("p") for _ in range(5))
    for name in names:
        iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=service_trust())
    first = iam.list_roles(PathPrefix=path, MaxItems=2)
    assert first["IsTruncated"] and len(first["Roles"]) == 2
    paginated = [r["RoleName"] for p in iam.get_paginator("list_roles").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 2}) for r in p["Roles"]]
    assert paginated == names
    forged: list[Callable[[], Any]] = [
        lambda: iam.list_roles(PathPrefix=path, Marker="forged-marker"),
        lambda: iam.list_role_tags(RoleName=names[0], Marker="forged-marker"),
    ]
    for call in forged:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_code(exc) == "ValidationError" and error_message(exc) == "Invalid Marker."
    for name in names:
        iam.delete_role(RoleName=name)


def test_delete_conflict_with_inline_policy(iam: Any, unique: Any) -> None:
    name = unique("inline")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=service_trust())
    policy = json.dumps({"Version": "2012-10-17",
                         "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]})
    try:
        iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=policy)
    except ClientError as exc:
        iam.delete_role(RoleName=name)
        if exc.response["Error"]["Code"] == "NotImplemented":
            pytest.skip("PutRolePolicy is not implemented yet")
        raise
    with pytest.raises(ClientError) as exc_info:
        iam.delete_role(RoleName=name)
    assert error_code(exc_info) == "DeleteConflict" and status(exc_info) == 409
    assert error_message(exc_info) == "Cannot delete entity, must delete policies first."
    iam.get_role(RoleName=name)  # still there
    iam.delete_role_policy(RoleName=name, PolicyName="inline")
    iam.delete_role(RoleName=name)


def test_delete_conflict_with_attached_policy(iam: Any, unique: Any) -> None:
    name = unique("attached")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=service_trust())
    try:
        iam.attach_role_policy(RoleName=name, PolicyArn=READ_ONLY)
    except ClientError as exc:
        iam.delete_role(RoleName=name)
        if exc.response["Error"]["Code"] == "NotImplemented":
            pytest.skip("AttachRolePolicy is not implemented yet")
        raise
    with pytest.raises(ClientError) as exc_info:
        iam.delete_role(RoleName=name)
    assert error_code(exc_info) == "DeleteConflict" and status(exc_info) == 409
    assert error_message(exc_info) == "Cannot delete entity, must detach all policies first."
    iam.detach_role_policy(RoleName=name, PolicyArn=READ_ONLY)
    iam.delete_role(RoleName=name)


def server_store(server: IamdServer) -> Any:
    """The server's own store, to arrange a state that would take a thousand calls to reach."""
    from iamd.store.repository import open_store

    args = [str(a) for a in server.process.args]  # type: ignore[union-attr]
    url = (args[args.index("--database") + 1] if "--database" in args
           else f"sqlite:///{server.data_dir.resolve() / 'iamd.sqlite3'}")
    return open_store(url)


def test_role_quota(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    """RolesPerAccount is 1000. The roles that fill the account are written
    straight into the server's store (a thousand CreateRole calls would take
    minutes) and removed again."""
    account = account_of(iam)
    path = f"/{unique('quota')}/"
    store = server_store(iamd_server)
    made: list[str] = []
    try:
        with store.transaction() as tx:
            for index in range(1000 - tx.roles.count(account)):
                name = f"q{index}-{unique('r')}"
                tx.roles.insert(Role(id=ids.unique_id(ids.ROLE), account_id=account, path=path,
                                     name=name, arn=f"arn:aws:iam::{account}:role{path}{name}",
                                     created=datetime.now(UTC),
                                     assume_role_policy_document=service_trust()))
                made.append(name)
        with pytest.raises(ClientError) as exc:
            iam.create_role(RoleName=unique("over"), AssumeRolePolicyDocument=service_trust())
        assert error_code(exc) == "LimitExceeded" and status(exc) == 409
        assert error_message(exc) == "Cannot exceed quota for RolesPerAccount: 1000"
        iam.delete_role(RoleName=made[0])  # one freed place is enough
        made.pop(0)
        fits = unique("fits")
        iam.create_role(RoleName=fits, AssumeRolePolicyDocument=service_trust())
        made.append(fits)
    finally:
        with store.transaction() as tx:
            for name in made:
                role = tx.roles.get_by_name(account, name)
                if role is not None:
                    tx.roles.delete(role.id)
        store.close()


def test_role_operations_are_denied_without_policy(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    user, role = unique("nobody"), unique("guarded")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    user_arn = iam.get_user(UserName=user)["User"]["Arn"]
    account = user_arn.split(":")[4]
    path = "/guarded/"
    iam.create_role(RoleName=role, Path=path, AssumeRolePolicyDocument=service_trust())
    own = iamd_server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])

    denied = unique("denied")
    with pytest.raises(ClientError) as exc:
        own.create_role(RoleName=denied, AssumeRolePolicyDocument=service_trust())
    assert error_code(exc) == "AccessDenied" and status(exc) == 403
    assert error_message(exc) == (
        f"User: {user_arn} is not authorized to perform: iam:CreateRole on resource: "
        f"role {denied} "
        "because no identity-based policy allows the iam:CreateRole action")
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=denied)
    assert error_code(exc) == "NoSuchEntity"

    # IAM names the role by its name alone; the decision is on its ARN, path included.
    attempts: list[tuple[str, Callable[[], Any]]] = [
        ("GetRole", lambda: own.get_role(RoleName=role)),
        ("DeleteRole", lambda: own.delete_role(RoleName=role)),
        ("TagRole", lambda: own.tag_role(RoleName=role, Tags=[{"Key": "k", "Value": "v"}])),
    ]
    for action, call in attempts:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_code(exc) == "AccessDenied"
        assert error_message(exc) == (
            f"User: {user_arn} is not authorized to perform: iam:{action} on resource: "
            f"role {role} "
            f"because no identity-based policy allows the iam:{action} action")
    with pytest.raises(ClientError) as exc:
        own.list_roles()
    assert error_code(exc) == "AccessDenied"
    iam.get_role(RoleName=role)  # untouched
    # A grant on the role's path allows it: the decision is on the ARN with its path.
    iam.put_user_policy(UserName=user, PolicyName="path", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetRole",
                                                "Resource": f"arn:aws:iam::{account}:role{path}*"}]}))
    assert own.get_role(RoleName=role)["Role"]["Path"] == path
    iam.delete_user_policy(UserName=user, PolicyName="path")
    iam.delete_role(RoleName=role)
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=user)
