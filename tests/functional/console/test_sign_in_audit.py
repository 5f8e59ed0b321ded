"""Console sign-ins and console actions in the audit trail, read back with
boto3's cloudtrail.lookup_events: ConsoleLogin events of a browser's
sign-ins (success, a wrong password, an unknown user name) and the API
events of what the signed-in console did."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from iamd.testing import IamdServer

from .browser import admin_signed_in, sign_in
from .test_mfa_sign_in import PASSWORD, _enable_mfa, _user_with_password
from .test_switch_role_and_federation import _signin_token, _trust


def console_events(server: IamdServer, attribute: str, value: str,
                   until: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
    """The records of LookupEvents' answer, once `until` holds (sign-in events are batched)."""
    cloudtrail = server.client("cloudtrail")
    deadline = time.monotonic() + 15
    while True:
        found = [json.loads(e["CloudTrailEvent"]) for e in cloudtrail.lookup_events(
            LookupAttributes=[{"AttributeKey": attribute, "AttributeValue": value}],
            MaxResults=50)["Events"]]
        if until(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_sign_ins_are_console_login_events(console_server: IamdServer, browser: Any) -> None:
    page = admin_signed_in(console_server, browser)
    page.goto(f"{console_server.endpoint}/console/users")
    page.context.close()
    logins = console_events(console_server, "EventName", "ConsoleLogin", until=lambda found: any(
        e["responseElements"] == {"ConsoleLogin": "Success"} for e in found))
    success = next(e for e in logins if e["responseElements"] == {"ConsoleLogin": "Success"})
    assert success["eventSource"] == "signin.amazonaws.com"
    assert success["eventType"] == "AwsConsoleSignIn"
    assert success["userIdentity"]["type"] == "IAMUser"
    assert success["userIdentity"]["userName"] == "admin"
    assert success["userIdentity"]["arn"].endswith(":user/admin")
    assert success["recipientAccountId"] == console_server.account_id
    assert success["additionalEventData"]["MFAUsed"] == "No"
    assert "errorMessage" not in success
    assert "HeadlessChrome" in success["userAgent"] or "Chrome" in success["userAgent"]
    # What the console did as the admin is an API call of the console's.
    listed = console_events(console_server, "EventName", "ListUsers", until=lambda found: any(
        e.get("sessionCredentialFromConsole") == "true" for e in found))
    assert any(e.get("sessionCredentialFromConsole") == "true"
               and e["userIdentity"]["userName"] == "admin" for e in listed)


def test_failed_sign_ins_say_failure_and_hide_unknown_names(
        console_server: IamdServer, browser: Any) -> None:
    iam = console_server.client("iam")
    iam.create_user(UserName="auditee")
    iam.create_login_profile(UserName="auditee", Password="Right-Passw0rd-1!")
    wrong_password = "Wrong-Passw0rd-typed-1!"
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, console_server, console_server.account_id, "auditee", wrong_password)
    page.get_by_text("Your authentication information is incorrect").wait_for()
    sign_in(page, console_server, console_server.account_id, wrong_password, "anything")
    page.get_by_text("Your authentication information is incorrect").wait_for()
    context.close()
    failed = console_events(console_server, "EventName", "ConsoleLogin", until=lambda found: len(
        [e for e in found if e["responseElements"] == {"ConsoleLogin": "Failure"}]) >= 2)
    failures = [e for e in failed if e["responseElements"] == {"ConsoleLogin": "Failure"}]
    names = {e["userIdentity"]["userName"] for e in failures}
    assert names == {"auditee", "HIDDEN_DUE_TO_SECURITY_REASONS"}
    for event in failures:
        assert event["errorMessage"] == "Failed authentication"
        assert event["additionalEventData"]["MFAUsed"] == "No"
        # A password typed into the user name field never reaches the trail.
        assert wrong_password not in json.dumps(event)


def test_an_mfa_sign_in_says_mfa_used(console_server: IamdServer, browser: Any) -> None:
    _user_with_password(console_server, "mfa-audited")
    totp = _enable_mfa(console_server, "mfa-audited")
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, console_server, console_server.account_id, "mfa-audited", PASSWORD)
    page.wait_for_url("**/signin/mfa**")
    page.get_by_label("MFA code").fill("000000" if totp.now() != "000000" else "111111")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Your authentication information is incorrect").wait_for()
    page.get_by_label("MFA code").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/console")
    context.close()
    found = console_events(console_server, "Username", "mfa-audited", until=lambda found: len(
        [e for e in found if e["eventName"] == "ConsoleLogin"]) >= 2)
    logins = [e for e in found if e["eventName"] == "ConsoleLogin"]
    assert sorted(e["responseElements"]["ConsoleLogin"] for e in logins) == ["Failure", "Success"]
    assert {e["additionalEventData"]["MFAUsed"] for e in logins} == {"Yes"}
    # The codes and the seed of the device's set-up are hidden in its events.
    enabled = console_events(console_server, "EventName", "EnableMFADevice",
                             until=lambda found: bool(found))
    parameters = next(e["requestParameters"] for e in enabled
                      if e["requestParameters"]["userName"] == "mfa-audited")
    assert parameters["authenticationCode1"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert parameters["authenticationCode2"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    created = console_events(console_server, "EventName", "CreateVirtualMFADevice",
                             until=lambda found: bool(found))
    device = next(e["responseElements"]["virtualMFADevice"] for e in created
                  if e["requestParameters"]["virtualMFADeviceName"] == "mfa-audited")
    assert device["base32StringSeed"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert device["qRCodePNG"] == "HIDDEN_DUE_TO_SECURITY_REASONS"


def test_a_federated_sign_in_is_its_role_sessions_console_login(
        console_server: IamdServer) -> None:
    iam = console_server.client("iam")
    role = iam.create_role(RoleName="AuditedBroker",
                           AssumeRolePolicyDocument=_trust(console_server.account_id))["Role"]
    credentials = console_server.client("sts").assume_role(
        RoleArn=role["Arn"], RoleSessionName="audit-broker")["Credentials"]
    token = _signin_token(console_server, credentials).json()["SigninToken"]
    login = httpx.get(f"{console_server.endpoint}/federation",
                      params={"Action": "login", "Issuer": "https://broker.example/",
                              "SigninToken": token})
    assert login.status_code == 303
    found = console_events(console_server, "Username", "audit-broker", until=lambda found: any(
        e["eventName"] == "ConsoleLogin" for e in found))
    (event,) = [e for e in found if e["eventName"] == "ConsoleLogin"]
    identity = event["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"].endswith(":assumed-role/AuditedBroker/audit-broker")
    assert identity["sessionContext"]["sessionIssuer"]["arn"] == role["Arn"]
    assert identity["accessKeyId"] == credentials["AccessKeyId"]
    assert event["responseElements"] == {"ConsoleLogin": "Success"}
    assert credentials["SessionToken"] not in json.dumps(event)
