"""Roles in the console: create for another account, trust policy edits, denial."""

from __future__ import annotations

import json
from typing import Any

from iamd.testing import IamdServer

from .browser import assert_accessible, shoot
from .limited import limited_user_page

OTHER_ACCOUNT = "210987654321"


def create_role_for_another_account(page: Any, server: IamdServer, name: str) -> None:
    page.goto(f"{server.endpoint}/console/roles")
    page.get_by_role("link", name="Create role").click()
    page.get_by_label("AWS account", exact=True).check()
    page.get_by_label("Another AWS account").check()
    page.get_by_label("Account ID").fill(OTHER_ACCOUNT)
    page.get_by_label("Require external ID").check()
    page.get_by_label("External ID", exact=True).fill("shared-secret-id")
    assert_accessible(page)
    shoot(page, "role-create-trust")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Filter policies by name").fill("ReadOnly")
    page.get_by_label("ReadOnlyAccess", exact=True).check()
    shoot(page, "role-create-permissions")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Role name").fill(name)
    page.get_by_label("Description").fill("Auditors from the partner account")
    page.get_by_label("Maximum session duration").select_option("2")
    page.get_by_label("Key (tag 1)").fill("team")
    page.get_by_label("Value - optional (tag 1)").fill("audit")
    page.get_by_role("button", name="Create role").click()
    page.wait_for_url(f"**/console/roles/{name}?**")


def test_create_role_for_another_account_with_external_id(
        console_server: IamdServer, admin_page: Any) -> None:
    page = admin_page
    create_role_for_another_account(page, console_server, "partner-auditor")
    assert page.get_by_text("Role created.").is_visible()
    iam = console_server.client("iam")
    role = iam.get_role(RoleName="partner-auditor")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "shared-secret-id"}}}]
    assert role["MaxSessionDuration"] == 7200
    assert role["Tags"] == [{"Key": "team", "Value": "audit"}]
    attached = iam.list_attached_role_policies(RoleName="partner-auditor")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["ReadOnlyAccess"]
    switch = page.get_by_role("link", name="/console/switch-role", exact=False)
    assert switch.get_attribute("href") == (f"/console/switch-role?account={console_server.account_id}"
                                            "&roleName=partner-auditor&displayName=partner-auditor")
    assert_accessible(page)
    shoot(page, "role")
    # The list summarises the trust policy.
    page.goto(f"{console_server.endpoint}/console/roles?search=partner")
    row = page.get_by_role("row").filter(has_text="partner-auditor")
    assert f"AWS account: {OTHER_ACCOUNT}" in row.inner_text()
    assert_accessible(page)
    shoot(page, "roles")


def test_max_session_duration_and_trust_policy_edits(
        console_server: IamdServer, admin_page: Any) -> None:
    iam = console_server.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="web-server", AssumeRolePolicyDocument=json.dumps(trust))
    page = admin_page
    page.goto(f"{console_server.endpoint}/console/roles/web-server")
    page.get_by_label("Maximum session duration").select_option("12")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**notice=saved**")
    assert iam.get_role(RoleName="web-server")["Role"]["MaxSessionDuration"] == 43200

    page.get_by_role("link", name="Trust relationships").click()
    page.get_by_role("link", name="Edit trust policy").click()
    broken = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}'
    page.get_by_label("Edit trust policy").fill(broken)
    page.get_by_role("button", name="Update policy").click()
    alert = page.get_by_role("alert").inner_text()
    assert alert == ("Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: "
                     "The passed in policy has a statement with no principals!")
    assert page.get_by_label("Edit trust policy").input_value() == broken
    assert iam.get_role(RoleName="web-server")["Role"]["AssumeRolePolicyDocument"] == trust
    assert_accessible(page)
    shoot(page, "role-trust-error")

    trust["Statement"][0]["Principal"] = {"Service": "lambda.amazonaws.com"}
    page.get_by_label("Edit trust policy").fill(json.dumps(trust))
    page.get_by_role("button", name="Update policy").click()
    page.wait_for_url("**notice=trust-updated**")
    assert iam.get_role(RoleName="web-server")["Role"]["AssumeRolePolicyDocument"] == trust


def test_role_tags_inline_policy_and_last_accessed(console_server: IamdServer,
                                                   admin_page: Any) -> None:
    iam = console_server.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=json.dumps(trust),
                    Tags=[{"Key": "old", "Value": "1"}])
    page = admin_page
    page.goto(f"{console_server.endpoint}/console/roles/tagged?tab=tags")
    page.get_by_label("Key (tag 1)").fill("env")
    page.get_by_label("Value - optional (tag 1)").fill("prod")
    assert_accessible(page)
    shoot(page, "role-tags")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**tab=tags**notice=saved")
    assert iam.list_role_tags(RoleName="tagged")["Tags"] == [{"Key": "env", "Value": "prod"}]

    page.goto(f"{console_server.endpoint}/console/roles/tagged")
    page.get_by_role("link", name="Create inline policy").click()
    page.get_by_label("Policy name").fill("list-buckets")
    page.get_by_label("Policy editor").fill('{"Version": "2012-10-17"}')
    page.get_by_role("button", name="Create policy").click()
    assert page.get_by_role("alert").inner_text()  # AWS's message, in place
    page.get_by_label("Policy editor").fill(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}))
    page.get_by_role("button", name="Create policy").click()
    page.wait_for_url("**notice=saved")
    assert iam.list_role_policies(RoleName="tagged")["PolicyNames"] == ["list-buckets"]
    page.get_by_text("Attach policies").click()
    page.get_by_label("ReadOnlyAccess", exact=True).check()
    page.get_by_role("button", name="Add permissions").click()
    page.wait_for_url("**notice=saved")
    assert [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="tagged")[
        "AttachedPolicies"]] == ["ReadOnlyAccess"]
    page.get_by_role("button", name="Set permissions boundary").click()
    page.wait_for_url("**notice=saved")
    assert "PermissionsBoundary" in iam.get_role(RoleName="tagged")["Role"]
    page.get_by_role("button", name="Remove boundary").click()
    page.wait_for_url("**notice=saved")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="tagged")["Role"]

    page.get_by_role("link", name="Last accessed").click()
    assert "Amazon S3" in page.get_by_role("table").inner_text()
    assert_accessible(page)
    shoot(page, "role-last-accessed")


def test_delete_role_detaches_and_removes_first(console_server: IamdServer,
                                                admin_page: Any) -> None:
    iam = console_server.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="doomed", AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName="doomed", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.put_role_policy(RoleName="doomed", PolicyName="inline", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))
    iam.create_instance_profile(InstanceProfileName="doomed-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="doomed-profile", RoleName="doomed")
    page = admin_page
    page.goto(f"{console_server.endpoint}/console/roles/doomed")
    page.get_by_label("To confirm deletion, enter the role name").fill("doomed")
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_url("**/console/roles?notice=deleted")
    assert "doomed" not in [r["RoleName"] for r in iam.list_roles()["Roles"]]


def test_a_user_who_cannot_list_roles_sees_access_denied(console_server: IamdServer,
                                                         browser: Any) -> None:
    page = limited_user_page(console_server, browser, "no-roles", ["iam:GetUser"])
    response = page.goto(f"{console_server.endpoint}/console/roles")
    assert response is not None and response.status == 403
    assert "is not authorized to perform: iam:ListRoles" in page.get_by_role("alert").inner_text()
    shoot(page, "roles-denied")
    page.context.close()


def test_roles_list_pages_and_searches(console_server: IamdServer, admin_page: Any) -> None:
    iam = console_server.client("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]})
    for number in range(55):
        iam.create_role(RoleName=f"paged-{number:02d}", AssumeRolePolicyDocument=trust)
    page = admin_page
    page.goto(f"{console_server.endpoint}/console/roles?search=paged-")
    first = page.get_by_role("table").inner_text()
    assert "paged-00" in first and "paged-49" in first and "paged-50" not in first
    assert "AWS service: lambda" in first
    page.get_by_role("link", name="Next page").click()
    second = page.get_by_role("table").inner_text()
    assert "paged-50" in second and "paged-54" in second and "paged-49" not in second
    assert page.get_by_role("link", name="Next page").count() == 0
    assert page.get_by_label("Search roles").input_value() == "paged-"
