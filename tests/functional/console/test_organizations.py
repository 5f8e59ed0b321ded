"""The console of a member account: its pages are decided with the
organization's SCPs, as the API is, and say so when one denies."""

from __future__ import annotations

import json
from typing import Any

from iamd.testing import IamdServer

from .browser import sign_in

PASSWORD = "Member-Console-Passw0rd!"
EVERYTHING = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
NO_GROUPS = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Deny", "Action": "iam:ListGroups", "Resource": "*"}]}


def test_a_member_accounts_console_obeys_the_scps(console_server: IamdServer, browser: Any) -> None:
    orgs = console_server.client("organizations")
    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]
    member = orgs.create_account(Email="console-member@example.com",
                                 AccountName="member")["CreateAccountStatus"]["AccountId"]
    orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    scp = orgs.create_policy(Content=json.dumps(NO_GROUPS), Description="", Name="NoGroups",
                             Type="SERVICE_CONTROL_POLICY")["Policy"]["PolicySummary"]["Id"]
    orgs.attach_policy(PolicyId=scp, TargetId=member)

    assumed = console_server.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
        RoleSessionName="setup")["Credentials"]
    iam = console_server.client("iam", assumed["AccessKeyId"], assumed["SecretAccessKey"],
                                assumed["SessionToken"])
    iam.create_user(UserName="operator")
    iam.create_login_profile(UserName="operator", Password=PASSWORD, PasswordResetRequired=False)
    iam.put_user_policy(UserName="operator", PolicyName="everything",
                        PolicyDocument=json.dumps(EVERYTHING))

    page = browser.new_context().new_page()
    sign_in(page, console_server, member, "operator", PASSWORD)
    page.wait_for_url("**/console**")
    page.goto(f"{console_server.endpoint}/console/users")
    assert "operator" in page.locator("main").inner_text()
    page.goto(f"{console_server.endpoint}/console/groups")
    assert page.get_by_role("alert").inner_text() == (
        f"User: arn:aws:iam::{member}:user/operator is not authorized to perform: iam:ListGroups "
        f"on resource: arn:aws:iam::{member}:group/ with an explicit deny in a service control "
        "policy")
    # Detached, the next page load is allowed.
    orgs.detach_policy(PolicyId=scp, TargetId=member)
    page.goto(f"{console_server.endpoint}/console/groups")
    assert page.get_by_role("alert").count() == 0
    page.context.close()
