"""The IAM and STS calls that rest on an AWS Organization, on delegation
partners, on role templates, on outbound federation or on account
properties, end to end with boto3, answered as AWS answers a standalone
account: no organization (OrganizationNotFoundException), no delegation
requests or templates (an empty list, NoSuchEntity), no trade-in tokens,
AssumeRoot refused; outbound federation and account properties are served
for real, per account.

The server is shared by the session: the outbound federation test leaves the
feature as it found it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

NO_ORGANIZATION = "The request was rejected because no organization is associated with your account."
REQUEST_ID = "dr-0123456789abcdef0123"
TEMPLATE = "arn:aws:iam::aws:role-template/ExampleTemplate"


def failure(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as exc:
        call()
    response = exc.value.response
    return (str(response["Error"]["Code"]), str(response["Error"]["Message"]),
            int(response["ResponseMetadata"]["HTTPStatusCode"]))


def test_root_access_needs_an_organization(iam: Any) -> None:
    refused = ("OrganizationNotFoundException", NO_ORGANIZATION, 400)
    assert failure(lambda: iam.list_organizations_features()) == refused
    assert failure(lambda: iam.enable_organizations_root_credentials_management()) == refused
    assert failure(lambda: iam.disable_organizations_root_credentials_management()) == refused
    assert failure(lambda: iam.enable_organizations_root_sessions()) == refused
    assert failure(lambda: iam.disable_organizations_root_sessions()) == refused


def test_organizations_access_report(iam: Any) -> None:
    code, message, status = failure(
        lambda: iam.generate_organizations_access_report(EntityPath="o-a1b2c3d4e5/r-f6g7h8i9j0"))
    assert (code, message, status) == ("OrganizationNotFoundException", NO_ORGANIZATION, 400)
    job = "examplef-1305-c245-eba4-71fe298bcda7"
    code, message, status = failure(lambda: iam.get_organizations_access_report(JobId=job))
    assert (code, status) == ("NoSuchEntity", 404)
    assert job in message


def test_no_delegation_requests(iam: Any) -> None:
    listed = iam.list_delegation_requests()
    assert listed["DelegationRequests"] == [] and listed["isTruncated"] is False
    assert failure(lambda: iam.get_delegation_request(DelegationRequestId=REQUEST_ID))[2] == 404
    calls = [lambda: iam.accept_delegation_request(DelegationRequestId=REQUEST_ID),
             lambda: iam.associate_delegation_request(DelegationRequestId=REQUEST_ID),
             lambda: iam.reject_delegation_request(DelegationRequestId=REQUEST_ID),
             lambda: iam.update_delegation_request(DelegationRequestId=REQUEST_ID),
             lambda: iam.send_delegation_token(DelegationRequestId=REQUEST_ID)]
    for call in calls:
        code, message, status = failure(call)
        assert (code, status) == ("NoSuchEntity", 404) and REQUEST_ID in message


def test_filing_a_delegation_request_needs_partner_onboarding(iam: Any) -> None:
    code, _message, status = failure(lambda: iam.create_delegation_request(
        Description="access", RequestorWorkflowId="workflow-1",
        NotificationChannel="arn:aws:sns:us-east-1:123456789012:topic", SessionDuration=3600,
        Permissions={"PolicyTemplateArn": "arn:aws:iam::aws:delegation-template/Example"}))
    assert (code, status) == ("AccessDenied", 403)


def test_summaries_and_role_templates(iam: Any) -> None:
    code, _message, status = failure(lambda: iam.get_human_readable_summary(
        EntityArn=f"arn:aws:iam::123456789012:delegation-request/{REQUEST_ID}"))
    assert (code, status) == ("NoSuchEntity", 404)
    code, _message, status = failure(lambda: iam.get_human_readable_summary(
        EntityArn="arn:aws:iam::123456789012:user/alice"))
    assert (code, status) == ("InvalidInput", 400)
    assert failure(lambda: iam.get_role_template_version(TemplateArn=TEMPLATE))[::2] == ("NoSuchEntity", 404)
    assert failure(lambda: iam.acquire_role(TemplateArn=TEMPLATE))[::2] == ("NoSuchEntity", 404)


def test_account_properties(iam: Any, unique: Any) -> None:
    name = unique("Setting").replace("-", "")
    iam.put_account_properties(Properties={f"IamdTests/{name}": "true"})
    assert iam.get_account_properties()["Properties"][f"IamdTests/{name}"] == "true"
    iam.put_account_properties(Properties={f"IamdTests/{name}": "false"})
    assert iam.get_account_properties()["Properties"][f"IamdTests/{name}"] == "false"
    refused = ("InvalidInput", 400)
    assert failure(lambda: iam.put_account_properties(Properties={"NoNamespace": "1"}))[::2] == refused
    mixed = {"One/a": "1", "Two/b": "2"}
    assert failure(lambda: iam.put_account_properties(Properties=mixed))[::2] == refused


def test_sts_features_of_organizations_and_partners(sts: Any) -> None:
    task = {"arn": "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"}
    code, message, status = failure(
        lambda: sts.assume_root(TargetPrincipal="111122223333", TaskPolicyArn=task))
    assert (code, status) == ("AccessDenied", 403)
    assert "sts:AssumeRoot on resource: arn:aws:iam::111122223333:root" in message
    code, _message, status = failure(lambda: sts.get_delegated_access_token(TradeInToken="x" * 64))
    assert (code, status) == ("ExpiredTradeInTokenException", 400)
