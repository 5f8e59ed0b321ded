"""The console's user groups pages, driven in Chromium and checked with boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.testing import IamdServer

from .browser import assert_accessible, shoot, sign_in

PASSWORD = "Gr0up-Console-Passw0rd!"


def test_create_a_group_manage_it_and_delete_it(console_server: IamdServer,
                                                admin_page: Any) -> None:
    iam = console_server.client("iam")
    for name in ("grp-ann", "grp-bob"):
        iam.create_user(UserName=name)
    page = admin_page
    page.goto(f"{console_server.endpoint}/console/groups")
    page.get_by_role("link", name="Create group").click()
    assert_accessible(page)
    page.get_by_label("User group name").fill("devs")
    page.get_by_label("grp-ann").check()
    page.get_by_label("Filter policies by name").fill("s3read")
    page.get_by_label("AmazonS3ReadOnlyAccess").check()
    shoot(page, "group-create")
    page.get_by_role("button", name="Create group").click()
    page.wait_for_url("**/console/groups/devs?notice=group-created")
    assert [u["UserName"] for u in iam.get_group(GroupName="devs")["Users"]] == ["grp-ann"]
    assert [p["PolicyName"] for p in iam.list_attached_group_policies(
        GroupName="devs")["AttachedPolicies"]] == ["AmazonS3ReadOnlyAccess"]
    assert_accessible(page)
    shoot(page, "group-detail")
    # Add a member, attach a policy, detach one, remove a member.
    page.get_by_label("Add users").select_option("grp-bob")
    page.get_by_role("button", name="Add users").click()
    page.wait_for_url("**notice=users-added")
    assert {u["UserName"] for u in iam.get_group(GroupName="devs")["Users"]} == {"grp-ann", "grp-bob"}
    page.locator("summary", has_text="Attach policies").click()
    page.get_by_label("IAMReadOnlyAccess").check()
    page.get_by_role("button", name="Attach policies").click()
    page.wait_for_url("**notice=permissions-added")
    page.get_by_role("row", name="AmazonS3ReadOnlyAccess").get_by_role("button", name="Remove").click()
    page.wait_for_url("**notice=permissions-removed")
    assert [p["PolicyName"] for p in iam.list_attached_group_policies(
        GroupName="devs")["AttachedPolicies"]] == ["IAMReadOnlyAccess"]
    page.get_by_role("row", name="grp-ann").get_by_role("button", name="Remove").click()
    page.wait_for_url("**notice=users-removed")
    assert [u["UserName"] for u in iam.get_group(GroupName="devs")["Users"]] == ["grp-bob"]
    # The list shows members and permissions.
    page.goto(f"{console_server.endpoint}/console/groups")
    row = page.get_by_role("row", name="devs")
    assert "IAMReadOnlyAccess" in row.inner_text() and "\t1\t" in row.inner_text()
    assert_accessible(page)
    shoot(page, "groups-list")
    # Delete: members and policies go first; the users stay.
    iam.put_group_policy(GroupName="devs", PolicyName="extra", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))
    page.goto(f"{console_server.endpoint}/console/groups/devs")
    page.get_by_role("link", name="Delete").click()
    page.get_by_label("To confirm deletion").fill("devs")
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url("**/console/groups?notice=group-deleted")
    with pytest.raises(ClientError):
        iam.get_group(GroupName="devs")
    assert iam.get_user(UserName="grp-bob")["User"]["UserName"] == "grp-bob"


def test_bad_group_name_shows_the_aws_error(console_server: IamdServer, admin_page: Any) -> None:
    page = admin_page
    page.goto(f"{console_server.endpoint}/console/groups/new")
    page.get_by_label("User group name").fill("bad name!")
    page.get_by_role("button", name="Create group").click()
    assert "Member must satisfy regular expression pattern" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("User group name").input_value() == "bad name!"
    iam = console_server.client("iam")
    assert "bad name!" not in {g["GroupName"] for g in iam.list_groups()["Groups"]}


def test_groups_denied_without_list_groups(console_server: IamdServer, browser: Any) -> None:
    iam = console_server.client("iam")
    iam.create_user(UserName="no-groups")
    iam.create_login_profile(UserName="no-groups", Password=PASSWORD, PasswordResetRequired=False)
    iam.put_user_policy(UserName="no-groups", PolicyName="limited", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}]}))
    page = browser.new_context().new_page()
    sign_in(page, console_server, console_server.account_id, "no-groups", PASSWORD)
    page.wait_for_url("**/console**")
    page.goto(f"{console_server.endpoint}/console/groups")
    assert "is not authorized to perform: iam:ListGroups" in page.get_by_role("alert").inner_text()
    page.context.close()
