"""Managed policies in the console: the JSON editor, versions, filters, delete."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from iamd.testing import IamdServer

from .browser import assert_accessible, shoot
from .limited import limited_user_page


def doc(action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": "*"}]})


def policy_url(server: IamdServer, arn: str, query: str = "") -> str:
    return f"{server.endpoint}/console/policies/{quote(arn, safe='')}{query}"


def test_create_policy_validates_on_save(console_server: IamdServer, admin_page: Any) -> None:
    page = admin_page
    page.goto(f"{console_server.endpoint}/console/policies")
    page.get_by_role("link", name="Create policy").click()
    assert '"Version": "2012-10-17"' in page.get_by_label("Policy editor").input_value()
    broken = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"'
    page.get_by_label("Policy editor").fill(broken)
    page.get_by_label("Policy name").fill("s3-readers")
    page.get_by_role("button", name="Create policy").click()
    assert page.get_by_role("alert").inner_text() == "Syntax errors in policy."
    assert page.get_by_label("Policy editor").input_value() == broken
    assert page.get_by_label("Policy name").input_value() == "s3-readers"
    assert_accessible(page)
    shoot(page, "policy-create-error")

    page.get_by_label("Policy editor").fill(doc("s3:GetObject"))
    page.get_by_label("Description - optional").fill("Reads objects")
    page.get_by_role("button", name="Create policy").click()
    page.wait_for_url("**notice=policy-created")
    iam = console_server.client("iam")
    local = iam.list_policies(Scope="Local")["Policies"]
    assert "s3-readers" in [p["PolicyName"] for p in local]
    assert_accessible(page)
    shoot(page, "policy")


def test_edit_makes_a_new_default_version_and_v1_can_be_default_again(
        console_server: IamdServer, admin_page: Any) -> None:
    iam = console_server.client("iam")
    arn = iam.create_policy(PolicyName="versioned", PolicyDocument=doc("s3:GetObject"))["Policy"]["Arn"]
    page = admin_page
    page.goto(policy_url(console_server, arn))
    assert '"s3:GetObject"' in page.locator("pre").inner_text()
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Policy editor").fill(doc("s3:PutObject"))
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**notice=policy-updated")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    assert '"s3:PutObject"' in page.locator("pre").inner_text()

    page.get_by_role("link", name="Policy versions").click()
    assert_accessible(page)
    shoot(page, "policy-versions")
    page.get_by_role("button", name="Set as default v1").click()
    page.wait_for_url("**tab=versions**")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"


def test_a_sixth_version_asks_which_one_to_delete(console_server: IamdServer,
                                                  admin_page: Any) -> None:
    iam = console_server.client("iam")
    arn = iam.create_policy(PolicyName="full", PolicyDocument=doc("s3:GetObject"))["Policy"]["Arn"]
    for action in ("s3:A", "s3:B", "s3:C", "s3:D"):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc(action))
    page = admin_page
    page.goto(policy_url(console_server, arn, "?edit=1"))
    page.get_by_label("Policy editor").fill(doc("s3:E"))
    page.get_by_role("button", name="Save changes").click()
    assert "can have up to 5 versions" in page.get_by_role("alert").inner_text()
    assert '"s3:E"' in page.get_by_label("Policy editor").input_value()
    page.get_by_label("v2 (").check()
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**notice=policy-updated")
    versions = {v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]}
    assert versions == {"v1", "v3", "v4", "v5", "v6"}
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v6"


def test_filter_by_type(console_server: IamdServer, admin_page: Any) -> None:
    iam = console_server.client("iam")
    iam.create_policy(PolicyName="mine-only", PolicyDocument=doc("s3:GetObject"))
    page = admin_page
    page.goto(f"{console_server.endpoint}/console/policies")
    page.get_by_label("Filter by type").select_option("AWS")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**scope=AWS**")
    table = page.get_by_role("table").inner_text()
    assert "ReadOnlyAccess" in table and "mine-only" not in table
    assert_accessible(page)
    shoot(page, "policies")
    page.get_by_label("Filter by type").select_option("Local")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**scope=Local**")
    table = page.get_by_role("table").inner_text()
    assert "mine-only" in table and "ReadOnlyAccess" not in table
    assert "Customer managed" in table


def test_entities_attached_and_delete_policy(console_server: IamdServer,
                                             admin_page: Any) -> None:
    iam = console_server.client("iam")
    arn = iam.create_policy(PolicyName="attached-one", PolicyDocument=doc("s3:GetObject"))[
        "Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=doc("s3:PutObject"), SetAsDefault=True)
    iam.create_user(UserName="holder")
    iam.create_group(GroupName="holders")
    iam.attach_user_policy(UserName="holder", PolicyArn=arn)
    iam.attach_group_policy(GroupName="holders", PolicyArn=arn)
    page = admin_page
    page.goto(policy_url(console_server, arn, "?tab=entities"))
    assert "holder" in page.get_by_role("table").inner_text()
    assert_accessible(page)
    shoot(page, "policy-entities")
    page.get_by_role("button", name="Detach holders").click()
    page.wait_for_url("**tab=entities**")
    assert iam.list_attached_group_policies(GroupName="holders")["AttachedPolicies"] == []
    page.get_by_role("button", name="Delete", exact=True).click()
    assert "To confirm deletion" in page.get_by_role("alert").inner_text()
    page.get_by_label("To confirm deletion, enter the policy name").fill("attached-one")
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_url("**/console/policies?notice=deleted")
    assert arn not in [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]]
    assert iam.list_attached_user_policies(UserName="holder")["AttachedPolicies"] == []


def test_a_user_who_cannot_read_a_policy_sees_access_denied(console_server: IamdServer,
                                                            browser: Any) -> None:
    page = limited_user_page(console_server, browser, "no-policy-reads", ["iam:ListPolicies"])
    page.goto(f"{console_server.endpoint}/console/policies")
    assert "ReadOnlyAccess" in page.get_by_role("table").inner_text()
    response = page.goto(policy_url(console_server, "arn:aws:iam::aws:policy/ReadOnlyAccess"))
    assert response is not None and response.status == 403
    assert "is not authorized to perform: iam:GetPolicy" in page.get_by_role("alert").inner_text()
    page.context.close()
