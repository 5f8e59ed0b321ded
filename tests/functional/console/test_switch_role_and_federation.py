"""Switch role and back, and the custom identity broker's federation endpoint."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from iamd.testing import IamdServer

from .browser import admin_signed_in, assert_accessible, shoot


def _trust(account_id: str, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "sts:AssumeRole",
                                 "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"}}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture(scope="module")
def roles(console_server: IamdServer) -> dict[str, str]:
    iam = console_server.client("iam")
    account = console_server.account_id
    reader = iam.create_role(RoleName="ConsoleReader", AssumeRolePolicyDocument=_trust(account))
    iam.attach_role_policy(RoleName="ConsoleReader",
                           PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.create_role(RoleName="NeedsMfa", AssumeRolePolicyDocument=_trust(
        account, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    return {"reader": reader["Role"]["Arn"]}


def test_switch_role_then_switch_back(console_server: IamdServer, browser: Any,
                                      roles: dict[str, str]) -> None:
    page = admin_signed_in(console_server, browser)
    page.get_by_role("link", name="Switch role").click()
    assert_accessible(page)
    shoot(page, "switch-role")
    page.get_by_label("Account ID or account alias").fill(console_server.account_id)
    page.get_by_label("Role", exact=True).fill("ConsoleReader")
    page.get_by_label("Display name").fill("Reader")
    page.get_by_label("Green").check()
    page.get_by_role("button", name="Switch role").click()
    page.wait_for_url("**/console")
    assert page.get_by_text(f"Reader @ {console_server.account_id}").is_visible()
    # The role reads but may not write: its own permissions decide.
    assert page.get_by_role("heading", name="IAM resources").is_visible()
    shoot(page, "dashboard-switched")
    page.get_by_role("button", name="Switch back").click()
    page.wait_for_url("**/console?notice=switched-back")
    assert page.get_by_text(f"admin @ {console_server.account_id}").is_visible()
    # The role is offered again.
    page.get_by_role("link", name="Switch role").click()
    assert page.get_by_role("button", name="Reader").is_visible()
    page.context.close()


def test_switch_role_refused_by_an_mfa_condition(console_server: IamdServer, browser: Any,
                                                 roles: dict[str, str]) -> None:
    page = admin_signed_in(console_server, browser)
    page.goto(f"{console_server.endpoint}/console/switch-role?account="
              f"{console_server.account_id}&roleName=NeedsMfa")
    assert page.get_by_label("Role", exact=True).input_value() == "NeedsMfa"
    page.get_by_role("button", name="Switch role").click()
    alert = page.get_by_role("alert").inner_text()
    assert "Invalid information in one or more fields" in alert
    assert "is not authorized to perform: sts:AssumeRole" in alert
    page.context.close()


def _signin_token(server: IamdServer, credentials: dict[str, Any],
                  duration: str | None = None) -> httpx.Response:
    session = json.dumps({"sessionId": credentials["AccessKeyId"],
                          "sessionKey": credentials["SecretAccessKey"],
                          "sessionToken": credentials["SessionToken"]})
    params = {"Action": "getSigninToken", "Session": session}
    if duration:
        params["SessionDuration"] = duration
    return httpx.get(f"{server.endpoint}/federation", params=params)


def test_federation_endpoint_signs_a_browser_in_as_the_role(
        console_server: IamdServer, browser: Any, roles: dict[str, str]) -> None:
    sts = console_server.client("sts")
    credentials = sts.assume_role(RoleArn=roles["reader"], RoleSessionName="broker-bob")[
        "Credentials"]
    answer = _signin_token(console_server, credentials, duration="3600")
    assert answer.status_code == 200, answer.text
    token = answer.json()["SigninToken"]
    login = (f"{console_server.endpoint}/federation?Action=login&Issuer="
             f"{quote('https://broker.example/')}&Destination={quote('/console/switch-role')}"
             f"&SigninToken={token}")
    context = browser.new_context()
    page = context.new_page()
    page.goto(login)
    assert "/console" in page.url
    assert page.get_by_text(f"ConsoleReader @ {console_server.account_id}").is_visible()
    # A token works once.
    again = httpx.get(login)
    assert again.status_code == 400 and "already been used" in again.text
    context.close()


def test_federation_endpoint_refuses_what_aws_refuses(console_server: IamdServer,
                                                      roles: dict[str, str]) -> None:
    sts = console_server.client("sts")
    role = sts.assume_role(RoleArn=roles["reader"], RoleSessionName="s1")["Credentials"]
    wrong_secret = {**role, "SecretAccessKey": "x" * 40}
    assert _signin_token(console_server, wrong_secret).status_code == 400
    assert _signin_token(console_server, role, duration="60").status_code == 400
    federated = sts.get_federation_token(Name="fed", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]}))["Credentials"]
    assert _signin_token(console_server, federated).status_code == 200
    refused = _signin_token(console_server, federated, duration="3600")
    assert refused.status_code == 400 and "role credentials" in refused.text
    forged = httpx.get(f"{console_server.endpoint}/federation",
                       params={"Action": "login", "SigninToken": "bm90IGEgdG9rZW4"})
    assert forged.status_code == 400
    long_term = {"AccessKeyId": console_server.access_key_id,
                 "SecretAccessKey": console_server.secret_access_key, "SessionToken": "x"}
    assert _signin_token(console_server, long_term).status_code == 400


def test_federation_login_never_redirects_elsewhere(console_server: IamdServer, browser: Any,
                                                    roles: dict[str, str]) -> None:
    sts = console_server.client("sts")
    credentials = sts.assume_role(RoleArn=roles["reader"], RoleSessionName="s2")["Credentials"]
    token = _signin_token(console_server, credentials).json()["SigninToken"]
    answer = httpx.get(f"{console_server.endpoint}/federation", params={
        "Action": "login", "Destination": "https://evil.example/", "SigninToken": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
