"""Add users: the wizard at /console/users/new and what its "Create user" does.

One form in four steps (user details, permissions, tags, review); without
JavaScript it is one long form. The POST checks everything it can before
changing anything (names, tags and paths against the API's model, names
already taken, groups, policies, the user to copy from, a custom password
against the account's policy), then for each user runs CreateUser,
CreateLoginProfile, CreateAccessKey, AddUserToGroup and AttachUserPolicy as
the signed-in principal. A failure after that point removes the user it
was creating (so no half-made user stays) and shows AWS's message. The
success page shows each password and secret key once, with "Download .csv".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from iamd.console.listing import every, every_or_error, managed_policies
from iamd.console.model_check import checked_input
from iamd.console.new_passwords import account_password_policy, new_password
from iamd.console.user_removal import delete_user_completely
from iamd.console.web import View, page
from iamd.model.errors import (
    AwsError,
    EntityAlreadyExists,
    InvalidInput,
    NoSuchAttachablePolicy,
    NoSuchEntity,
    PasswordPolicyViolation,
)
from iamd.service.bootstrap import signin_link
from iamd.service.passwords import POLICY_VIOLATION, conforms
from iamd.service.runtime import Runtime

MAX_USERS_AT_ONCE = 10  # as AWS's wizard
# AWS's wizard attaches this to a user who must reset their password, so they can.
CHANGE_PASSWORD_POLICY = "arn:aws:iam::aws:policy/IAMUserChangePassword"
TAG_ROWS = 5


@dataclass
class Plan:
    """What the form asks for, read and checked before anything is created."""

    names: list[str]
    console: bool
    custom_password: str | None
    require_reset: bool
    access_key: bool
    groups: list[str] = field(default_factory=list)
    new_group: str = ""
    new_group_policies: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)
    boundary: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)


def split_names(text: str) -> list[str]:
    names: list[str] = []
    for name in re.split(r"[\n,]", text):
        name = name.strip()
        if name and name not in names:
            names.append(name)
    return names


def _exists(view: View, operation: str, params: dict[str, str]) -> bool:
    """Whether the entity exists; a read the caller may not do counts as 'no'
    (the create call then decides)."""
    _, error = view.try_call(operation, params)
    return error is None


def _copied(view: View, source: str, plan: Plan) -> None:
    """Copy permissions: the source user's groups, managed policies and boundary."""
    user = view.call("GetUser", {"UserName": source})["User"]
    plan.groups += [g["GroupName"] for g in every(view, "ListGroupsForUser", "Groups",
                                                    UserName=source)]
    plan.policies += [p["PolicyArn"] for p in every(view, "ListAttachedUserPolicies",
                                                    "AttachedPolicies", UserName=source)]
    plan.boundary = (user.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")


def read_plan(view: View) -> Plan:
    """The form as a Plan; raises the AWS error that creating would meet first."""
    names = split_names(view.field("user_names"))
    if not names:
        raise InvalidInput("Enter at least one user name.")
    if len(names) > MAX_USERS_AT_ONCE:
        raise InvalidInput(f"You can add up to {MAX_USERS_AT_ONCE} users at one time.")
    console = view.field("console_access") == "on"
    custom = view.field("custom_password") if view.field("password_type") == "custom" else None
    plan = Plan(names, console, custom if console else None,
                console and view.field("require_reset") == "on",
                view.field("programmatic_access") == "on")
    keys, values = view.form_lists.get("tag_key", []), view.form_lists.get("tag_value", [])
    plan.tags = [{"Key": k.strip(), "Value": v} for k, v in zip(keys, values, strict=False)
                 if k.strip()]
    option = view.field("permission_option", "groups")
    if option == "groups":
        plan.groups = view.fields("GroupName")
        plan.new_group = view.field("new_group_name").strip()
        plan.new_group_policies = view.fields("new_group_policy")
    elif option == "copy":
        source = view.field("copy_from").strip()
        if not source:
            raise InvalidInput("Choose the user to copy permissions from.")
        _copied(view, source, plan)
    elif option == "attach":
        plan.policies = view.fields("PolicyArn")
    if view.field("use_boundary") == "on" and view.field("boundary_arn"):
        plan.boundary = view.field("boundary_arn")
    _check(view, plan)
    return plan


def _check(view: View, plan: Plan) -> None:
    for name in plan.names:
        checked_input("iam", "CreateUser", {"UserName": name, "Tags": plan.tags,
                                          **({"PermissionsBoundary": plan.boundary}
                                             if plan.boundary else {})})
        if _exists(view, "GetUser", {"UserName": name}):
            raise EntityAlreadyExists(f"User with name {name} already exists.")
    if plan.new_group:
        checked_input("iam", "CreateGroup", {"GroupName": plan.new_group})
        if _exists(view, "GetGroup", {"GroupName": plan.new_group, "MaxItems": "1"}):
            raise EntityAlreadyExists(f"Group with name {plan.new_group} already exists.")
    for group in plan.groups:
        view.call("GetGroup", {"GroupName": group, "MaxItems": 1})
    for arn in {*plan.policies, *plan.new_group_policies, *([plan.boundary] if plan.boundary else [])}:
        try:
            view.call("GetPolicy", {"PolicyArn": arn})
        except NoSuchEntity:
            raise NoSuchAttachablePolicy(arn=arn) from None
    if plan.custom_password is not None and not conforms(plan.custom_password, account_password_policy(view)):
        raise PasswordPolicyViolation(POLICY_VIOLATION)


def _create_group(view: View, plan: Plan) -> None:
    view.call("CreateGroup", {"GroupName": plan.new_group})
    for arn in plan.new_group_policies:
        view.call("AttachGroupPolicy", {"GroupName": plan.new_group, "PolicyArn": arn})
    plan.groups.append(plan.new_group)


def _create_one(view: View, plan: Plan, name: str, link: str) -> dict[str, str]:
    params: dict[str, Any] = {"UserName": name}
    if plan.tags:
        params["Tags"] = plan.tags
    if plan.boundary:
        params["PermissionsBoundary"] = plan.boundary
    view.call("CreateUser", params)
    row = {"UserName": name, "Password": "", "AccessKeyId": "", "SecretAccessKey": "",
           "SigninLink": link}
    try:
        if plan.console:
            password = plan.custom_password or new_password(view)
            view.call("CreateLoginProfile", {"UserName": name, "Password": password,
                                             "PasswordResetRequired": plan.require_reset})
            row["Password"] = password
            if plan.require_reset:
                view.call("AttachUserPolicy", {"UserName": name,
                                               "PolicyArn": CHANGE_PASSWORD_POLICY})
        if plan.access_key:
            key = view.call("CreateAccessKey", {"UserName": name})["AccessKey"]
            row["AccessKeyId"], row["SecretAccessKey"] = key["AccessKeyId"], key["SecretAccessKey"]
        for group in dict.fromkeys(plan.groups):
            view.call("AddUserToGroup", {"UserName": name, "GroupName": group})
        for arn in dict.fromkeys(a for a in plan.policies if a != CHANGE_PASSWORD_POLICY
                                 or not (plan.console and plan.require_reset)):
            view.call("AttachUserPolicy", {"UserName": name, "PolicyArn": arn})
    except AwsError:
        delete_user_completely(view, name)  # no half-made user stays behind
        raise
    return row


def _signin_link(view: View) -> str:
    aliases, _ = view.try_call("ListAccountAliases")
    alias = (aliases or {}).get("AccountAliases") or []
    assert view.caller is not None
    return signin_link(view.runtime, alias[0] if alias else view.caller.account_id)


def _form(view: View, error: AwsError | None = None, status: int = 200) -> Response:
    groups, groups_error = every_or_error(view, "ListGroups", "Groups")
    for group in groups:
        attached, _ = view.try_call("ListAttachedGroupPolicies", {"GroupName": group["GroupName"]})
        group["policies"] = [p["PolicyName"] for p in (attached or {}).get("AttachedPolicies", [])]
    policies, policies_error = managed_policies(view)
    users, _ = view.try_call("ListUsers", {"MaxItems": 100})
    return view.render("user_wizard.html", status=status, error=error, groups=groups,
                       groups_error=groups_error, policies=policies,
                       policies_error=policies_error,
                       known_users=[u["UserName"] for u in (users or {}).get("Users", [])],
                       tag_rows=TAG_ROWS, form=view.form, form_lists=view.form_lists)


def add_users(view: View) -> Response:
    if view.method == "GET":
        return _form(view)
    try:
        plan = read_plan(view)
    except AwsError as error:
        return _form(view, error, status=400)
    link = _signin_link(view)
    created: list[dict[str, str]] = []
    try:
        if plan.new_group:
            _create_group(view, plan)
        for name in plan.names:
            created.append(_create_one(view, plan, name, link))
    except AwsError as error:
        return view.render("users_created.html", status=400, rows=created, error=error,
                           signin_link=link)
    return view.render("users_created.html", rows=created, error=None, signin_link=link)


def routes(runtime: Runtime) -> list[Route]:
    return [Route("/console/users/new", page(runtime, add_users), methods=["GET", "POST"])]
