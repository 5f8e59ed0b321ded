"""The credential report and service last accessed reports through boto3
against a real `iamd serve`.

The report's columns and value spellings ("N/A", "no_information",
"not_supported", "<root_account>", times as 2019-05-29T18:00:38+00:00) are
those of AWS's credential report (IAM User Guide, "Getting credential
reports"). Each test works in an account of its own, as a report covers the
whole account and AWS keeps a report for four hours.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.testing import IamdServer

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


def test_credential_report(iamd_server: IamdServer, unique: Any) -> None:
    _, key_id, secret = iamd_server.create_account(unique("acct"))
    iam = iamd_server.client("iam", key_id, secret)
    with pytest.raises(ClientError) as absent:
        iam.get_credential_report()
    assert absent.value.response["Error"]["Code"] == "ReportNotPresent"
    assert absent.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410

    iam.update_account_password_policy(MaxPasswordAge=90)
    name = unique("reported")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Very-Secret-Pass-1!")
    first = iam.create_access_key(UserName=name)["AccessKey"]
    iam.create_access_key(UserName=name)
    iam.update_access_key(UserName=name, AccessKeyId=first["AccessKeyId"], Status="Inactive")

    started = iam.generate_credential_report()
    assert started["State"] == "STARTED"
    assert started["Description"] == "No report exists. Starting a new report generation task"
    assert iam.generate_credential_report()["State"] == "COMPLETE"

    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    assert report["GeneratedTime"] is not None
    rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))
    header = report["Content"].decode().splitlines()[0]
    assert header == (
        "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
        "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
        "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
        "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
        "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
        "cert_1_last_rotated,cert_2_active,cert_2_last_rotated")
    root = rows[0]
    assert root["user"] == "<root_account>"
    assert root["arn"].endswith(":root")
    assert root["password_enabled"] == "not_supported"
    assert root["password_next_rotation"] == "not_supported"

    user = next(r for r in rows if r["user"] == name)
    assert ISO.fullmatch(user["user_creation_time"])
    assert user["password_enabled"] == "true"
    assert user["password_last_used"] == "no_information"
    assert ISO.fullmatch(user["password_last_changed"])
    assert ISO.fullmatch(user["password_next_rotation"])
    assert user["mfa_active"] == "false"
    # Both keys were made in the same second: either may be the first.
    assert {user["access_key_1_active"], user["access_key_2_active"]} == {"true", "false"}
    assert ISO.fullmatch(user["access_key_1_last_rotated"])
    assert user["access_key_1_last_used_date"] == "N/A"
    assert user["access_key_1_last_used_region"] == "N/A"
    assert user["cert_1_active"] == "false"
    assert user["cert_1_last_rotated"] == "N/A"

    admin = next(r for r in rows if r["user"] not in ("<root_account>", name))
    assert admin["password_enabled"] == "false"
    assert admin["password_last_used"] == "N/A"
    assert admin["access_key_1_active"] == "true"


def test_security_token_service_preferences(iamd_server: IamdServer, unique: Any) -> None:
    _, key_id, secret = iamd_server.create_account(unique("acct"))
    iam = iamd_server.client("iam", key_id, secret)
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
    with pytest.raises(ClientError) as invalid:
        iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v3Token")
    assert invalid.value.response["Error"]["Code"] == "ValidationError"


POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow",
    "Action": ["iam:ListUsers", "iam:GetUser", "s3:GetObject", "sts:GetCallerIdentity"],
    "Resource": "*"}]})


def _report(iam: Any, arn: str, granularity: str, namespace: str) -> dict[str, Any]:
    """The report on `arn`, once the server has written `namespace`'s activity
    (it batches activity every few seconds)."""
    deadline = time.monotonic() + 20
    while True:
        job = iam.generate_service_last_accessed_details(Arn=arn, Granularity=granularity)["JobId"]
        report: dict[str, Any] = iam.get_service_last_accessed_details(JobId=job)
        services = {s["ServiceNamespace"]: s for s in report["ServicesLastAccessed"]}
        if "LastAuthenticated" in services.get(namespace, {}) or time.monotonic() > deadline:
            report["JobId"] = job
            return report
        time.sleep(0.5)


def test_service_last_accessed(iamd_server: IamdServer, unique: Any) -> None:
    _, key_id, secret = iamd_server.create_account(unique("acct"))
    iam = iamd_server.client("iam", key_id, secret)
    name, group = unique("worker"), unique("workers")
    user = iam.create_user(UserName=name)["User"]
    iam.put_user_policy(UserName=name, PolicyName="work", PolicyDocument=POLICY)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=name)
    iam.put_group_policy(GroupName=group, PolicyName="group-work", PolicyDocument=POLICY)
    managed = iam.create_policy(PolicyName=unique("managed"), PolicyDocument=POLICY)["Policy"]
    iam.attach_user_policy(UserName=name, PolicyArn=managed["Arn"])
    key = iam.create_access_key(UserName=name)["AccessKey"]
    as_user = iamd_server.client("iam", key["AccessKeyId"], key["SecretAccessKey"],
                                 region="eu-west-1")
    as_user.list_users()
    iamd_server.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()

    report = _report(iam, user["Arn"], "SERVICE_LEVEL", "iam")
    assert report["JobStatus"] == "COMPLETED"
    assert report["JobType"] == "SERVICE_LEVEL"
    assert report["IsTruncated"] is False
    services = {s["ServiceNamespace"]: s for s in report["ServicesLastAccessed"]}
    assert sorted(services) == ["iam", "s3", "sts"]
    used = services["iam"]
    assert used["LastAuthenticatedEntity"] == user["Arn"]
    assert used["LastAuthenticatedRegion"] == "eu-west-1"
    assert used["TotalAuthenticatedEntities"] == 1
    assert "TrackedActionsLastAccessed" not in used
    assert "LastAuthenticated" not in services["s3"]
    assert services["s3"]["ServiceName"] == "Amazon S3"

    detailed = _report(iam, user["Arn"], "ACTION_LEVEL", "iam")
    services = {s["ServiceNamespace"]: s for s in detailed["ServicesLastAccessed"]}
    actions = {a["ActionName"]: a for a in services["iam"]["TrackedActionsLastAccessed"]}
    assert sorted(actions) == ["GetUser", "ListUsers"]
    assert actions["ListUsers"]["LastAccessedEntity"] == user["Arn"]
    assert actions["ListUsers"]["LastAccessedRegion"] == "eu-west-1"
    assert "LastAccessedTime" not in actions["GetUser"]
    assert [a["ActionName"] for a in services["s3"]["TrackedActionsLastAccessed"]] == ["GetObject"]
    assert "TrackedActionsLastAccessed" not in services["sts"]

    paged = iam.get_service_last_accessed_details(JobId=report["JobId"], MaxItems=2)
    assert paged["IsTruncated"] is True and len(paged["ServicesLastAccessed"]) == 2
    rest = iam.get_service_last_accessed_details(JobId=report["JobId"], Marker=paged["Marker"])
    assert [s["ServiceNamespace"] for s in rest["ServicesLastAccessed"]] == ["sts"]

    group_arn = iam.get_group(GroupName=group)["Group"]["Arn"]
    for arn in (group_arn, managed["Arn"]):
        job = _report(iam, arn, "SERVICE_LEVEL", "iam")
        entities = iam.get_service_last_accessed_details_with_entities(
            JobId=job["JobId"], ServiceNamespace="iam")
        assert entities["JobStatus"] == "COMPLETED"
        [entity] = entities["EntityDetailsList"]
        assert entity["EntityInfo"]["Arn"] == user["Arn"]
        assert entity["EntityInfo"]["Type"] == "USER"
        assert entity["EntityInfo"]["Id"] == user["UserId"]
        assert "LastAuthenticated" in entity

    granting = iam.list_policies_granting_service_access(
        Arn=user["Arn"], ServiceNamespaces=["iam", "ec2"])["PoliciesGrantingServiceAccess"]
    assert [g["ServiceNamespace"] for g in granting] == ["iam", "ec2"]
    assert granting[1]["Policies"] == []
    policies = {(p["PolicyName"], p["PolicyType"]): p for p in granting[0]["Policies"]}
    assert policies[("work", "INLINE")]["EntityType"] == "USER"
    assert policies[("work", "INLINE")]["EntityName"] == name
    assert policies[("group-work", "INLINE")]["EntityType"] == "GROUP"
    assert policies[(managed["PolicyName"], "MANAGED")]["PolicyArn"] == managed["Arn"]


def test_service_last_accessed_errors(iam: Any) -> None:
    account = iam.get_user()["User"]["Arn"].split(":")[4]
    missing = f"arn:aws:iam::{account}:user/no-such-user-x"
    with pytest.raises(ClientError) as gone:
        iam.generate_service_last_accessed_details(Arn=missing)
    assert gone.value.response["Error"]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError) as invalid:
        iam.generate_service_last_accessed_details(Arn="arn:aws:s3:::some-bucket")
    assert invalid.value.response["Error"]["Code"] == "InvalidInput"
    with pytest.raises(ClientError) as unknown:
        iam.get_service_last_accessed_details(JobId="0f6b9b7e-0000-4000-8000-000000000000")
    assert unknown.value.response["Error"]["Code"] == "NoSuchEntity"
