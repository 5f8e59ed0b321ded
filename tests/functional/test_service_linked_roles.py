"""Service-linked roles through boto3 against a real `iamd serve`.

"Service role name X has been taken in this account, please try a different
suffix." is AWS's answer to a second role for the same service (quoted in
many public issues); the role names and the /aws-service-role/<service>/
path are those AWS gives (IAM User Guide).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError


def test_create_delete_and_poll(iam: Any, unique: Any) -> None:
    suffix = unique("s")
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com",
                                          CustomSuffix=suffix, Description="scaling")["Role"]
    name = f"AWSServiceRoleForAutoScaling_{suffix}"
    assert role["RoleName"] == name
    assert role["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert role["Arn"].endswith(f":role/aws-service-role/autoscaling.amazonaws.com/{name}")
    assert role["Description"] == "scaling"
    trust = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "autoscaling.amazonaws.com"}
    assert trust["Statement"][0]["Action"] == "sts:AssumeRole"

    with pytest.raises(ClientError) as taken:
        iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com",
                                       CustomSuffix=suffix)
    assert taken.value.response["Error"]["Code"] == "InvalidInput"
    assert taken.value.response["Error"]["Message"] == (
        f"Service role name {name} has been taken in this account, please try a different suffix.")

    # The role is AWS's: the ordinary calls may not change or delete it.
    with pytest.raises(ClientError) as refused:
        iam.delete_role(RoleName=name)
    assert refused.value.response["Error"]["Code"] == "UnmodifiableEntity"

    task = iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    assert task.startswith(f"task/aws-service-role/autoscaling.amazonaws.com/{name}/")
    status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert status["Status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as gone:
        iam.get_role(RoleName=name)
    assert gone.value.response["Error"]["Code"] == "NoSuchEntity"


def test_role_name_without_suffix(iam: Any) -> None:
    role = iam.create_service_linked_role(AWSServiceName="elasticloadbalancing.amazonaws.com")["Role"]
    try:
        assert role["RoleName"] == "AWSServiceRoleForElasticLoadBalancing"
        assert role["Path"] == "/aws-service-role/elasticloadbalancing.amazonaws.com/"
        roles = iam.list_roles(PathPrefix="/aws-service-role/")["Roles"]
        assert "AWSServiceRoleForElasticLoadBalancing" in [r["RoleName"] for r in roles]
    finally:
        iam.delete_service_linked_role(RoleName="AWSServiceRoleForElasticLoadBalancing")


def test_unknown_service_and_unknown_task(iam: Any) -> None:
    with pytest.raises(ClientError) as unknown:
        iam.create_service_linked_role(AWSServiceName="no-such-service.amazonaws.com")
    assert unknown.value.response["Error"]["Code"] == "InvalidInput"
    with pytest.raises(ClientError) as suffix:
        iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com", CustomSuffix="x")
    assert suffix.value.response["Error"]["Code"] == "InvalidInput"
    task = ("task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling/"
            "8f2a1c0e-0000-4000-8000-000000000000")
    with pytest.raises(ClientError) as missing:
        iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"


def test_ordinary_role_is_not_deleted_as_service_linked(iam: Any, unique: Any) -> None:
    name = unique("plain")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    try:
        with pytest.raises(ClientError) as refused:
            iam.delete_service_linked_role(RoleName=name)
        assert refused.value.response["Error"]["Code"] == "InvalidInput"
    finally:
        iam.delete_role(RoleName=name)
