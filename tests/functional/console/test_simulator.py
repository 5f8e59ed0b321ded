"""The policy simulator in the console: a user's inline policy, and pasted policies."""

from __future__ import annotations

import json
from typing import Any

from iamd.testing import IamdServer

from .browser import assert_accessible, shoot
from .limited import limited_user_page


def test_simulate_a_users_policies(console_server: IamdServer, admin_page: Any) -> None:
    iam = console_server.client("iam")
    arn = iam.create_user(UserName="reader")["User"]["Arn"]
    iam.put_user_policy(UserName="reader", PolicyName="get-user", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    page = admin_page
    page.goto(f"{console_server.endpoint}/console/simulator?principal={arn}")
    assert page.get_by_label("User, group or role").input_value() == arn
    page.get_by_label("Service", exact=True).select_option("iam")
    page.get_by_role("button", name="Choose service").click()
    page.get_by_label("GetUser", exact=True).check()
    page.get_by_label("CreateUser", exact=True).check()
    assert_accessible(page)
    shoot(page, "simulator")
    page.get_by_role("button", name="Run simulation").click()
    results = page.get_by_role("table", name="Simulation results")
    get_user = results.get_by_role("row").filter(has_text="iam:GetUser")
    assert "allowed" in get_user.inner_text()
    assert "user_reader_get-user (IAM Policy): line 1" in get_user.inner_text()
    create_user = results.get_by_role("row").filter(has_text="iam:CreateUser")
    assert "implicitDeny" in create_user.inner_text()
    assert_accessible(page)
    shoot(page, "simulator-results")


def test_simulate_custom_policies_with_context(console_server: IamdServer,
                                               admin_page: Any) -> None:
    page = admin_page
    page.goto(f"{console_server.endpoint}/console/simulator")
    page.get_by_label("Custom policies").check()
    page.get_by_label("Policy 1").fill(json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                       "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
                      {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}, indent=2))
    page.get_by_label("Service", exact=True).select_option("s3")
    page.get_by_role("button", name="Choose service").click()
    # The pasted policy survives the service change.
    assert "s3:GetObject" in page.get_by_label("Policy 1").input_value()
    page.get_by_label("GetObject", exact=True).check()
    page.get_by_label("DeleteObject", exact=True).check()
    page.get_by_label("Key (context 1)").fill("aws:SourceIp")
    page.get_by_label("Value (context 1)").fill("10.1.2.3")
    page.get_by_label("Type (context 1)").select_option("ip")
    page.get_by_role("button", name="Run simulation").click()
    results = page.get_by_role("table", name="Simulation results")
    assert "allowed" in results.get_by_role("row").filter(has_text="s3:GetObject").inner_text()
    denied = results.get_by_role("row").filter(has_text="s3:DeleteObject").inner_text()
    assert "explicitDeny" in denied
    # The statement that decided it, as written in the pasted policy.
    assert '"Effect": "Deny"' in denied and "PolicyInputList.1" in denied
    shoot(page, "simulator-custom-results")


def test_a_user_who_may_not_simulate_sees_the_denial_in_place(console_server: IamdServer,
                                                              browser: Any) -> None:
    page = limited_user_page(console_server, browser, "no-simulate", ["iam:ListUsers"])
    page.goto(f"{console_server.endpoint}/console/simulator")
    page.get_by_label("User, group or role").select_option(label="no-simulate")
    page.get_by_label("Select all").check()
    page.get_by_role("button", name="Run simulation").click()
    assert "is not authorized to perform: iam:SimulatePrincipalPolicy" in page.get_by_role(
        "alert").inner_text()
    page.context.close()
