"""A user's page: /console/users/{name}, a summary and five tabs.

Every part is its own read as the signed-in principal, so a user who may
read only some of it (an IAM user looking at their own credentials under
AWS's self-manage policy) sees those parts and a short note for the rest.
Only GetUser is required: without it the page is AWS's AccessDenied.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from iamd.console.listing import every_or_error, inline_policies, managed_policies
from iamd.console.web import View, page
from iamd.model.errors import AwsError, NoSuchEntity
from iamd.service.runtime import Runtime

TABS = (("permissions", "Permissions"), ("groups", "Groups"), ("tags", "Tags"),
        ("security_credentials", "Security credentials"), ("access_advisor", "Access Advisor"))


def age(view: View, when: datetime | None) -> str:
    if when is None:
        return "Never"
    days = (view.now - when).days
    return "Today" if days <= 0 else f"{days} day{'s' if days != 1 else ''} ago"


def _console_access(view: View, name: str) -> dict[str, Any]:
    answer, error = view.try_call("GetLoginProfile", {"UserName": name})
    if isinstance(error, NoSuchEntity):
        return {"enabled": False, "error": None}
    if error is not None:
        return {"enabled": None, "error": error}
    profile = (answer or {})["LoginProfile"]
    return {"enabled": True, "error": None, "reset": profile.get("PasswordResetRequired", False),
            "created": profile["CreateDate"]}


def _keys(view: View, name: str) -> tuple[list[dict[str, Any]], AwsError | None]:
    keys, error = every_or_error(view, "ListAccessKeys", "AccessKeyMetadata", UserName=name)
    for key in keys:
        used, _ = view.try_call("GetAccessKeyLastUsed", {"AccessKeyId": key["AccessKeyId"]})
        key["last_used"] = (used or {}).get("AccessKeyLastUsed", {})
    return keys, error


def _permissions(view: View, name: str) -> dict[str, Any]:
    attached, attached_error = every_or_error(view, "ListAttachedUserPolicies",
                                              "AttachedPolicies", UserName=name)
    inline, inline_error = inline_policies(view, "User", name)
    groups, groups_error = every_or_error(view, "ListGroupsForUser", "Groups", UserName=name)
    from_groups = []
    for group in groups:
        group_name = group["GroupName"]
        policies, _ = every_or_error(view, "ListAttachedGroupPolicies", "AttachedPolicies",
                                     GroupName=group_name)
        names, _ = every_or_error(view, "ListGroupPolicies", "PolicyNames", GroupName=group_name)
        from_groups += [{"group": group_name, "name": p["PolicyName"], "arn": p["PolicyArn"],
                         "kind": "Managed"} for p in policies]
        from_groups += [{"group": group_name, "name": n, "arn": None, "kind": "Inline"}
                        for n in names]
    return {"attached": attached, "attached_error": attached_error, "inline": inline,
            "inline_error": inline_error, "from_groups": from_groups,
            "groups_error": groups_error}


def _mfa(view: View, name: str) -> tuple[list[dict[str, Any]], AwsError | None]:
    return every_or_error(view, "ListMFADevices", "MFADevices", UserName=name)


def _access_advisor(view: View, arn: str) -> dict[str, Any]:
    job, error = view.try_call("GenerateServiceLastAccessedDetails", {"Arn": arn})
    if error is not None or job is None:
        return {"error": error, "services": []}
    details, error = view.try_call("GetServiceLastAccessedDetails", {"JobId": job["JobId"]})
    services = (details or {}).get("ServicesLastAccessed", [])
    services.sort(key=lambda s: (s.get("LastAuthenticated") is None, s["ServiceName"]))
    return {"error": error, "services": services}


def user_page(view: View) -> Response:
    return render_user(view, view.query.get("tab", "permissions"))


def render_user(view: View, tab: str, error: AwsError | None = None) -> Response:
    """The user's page on `tab`, with `error` (from a form on it) shown in place."""
    name = view.path_params["name"]
    user = view.call("GetUser", {"UserName": name})["User"]
    if tab not in dict(TABS):
        tab = "permissions"
    keys, keys_error = _keys(view, name)
    devices, mfa_error = _mfa(view, name)
    values: dict[str, Any] = {
        "user": user, "name": name, "tab": tab, "tabs": TABS,
        "console": _console_access(view, name), "keys": keys, "keys_error": keys_error,
        "devices": devices, "mfa_error": mfa_error, "age": lambda when: age(view, when),
        "is_self": view.caller is not None and view.caller.username == name,
        "boundary": (user.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
    }
    if tab == "permissions":
        values["permissions"] = _permissions(view, name)
        values["policies"], _ = managed_policies(view)
    elif tab == "groups":
        values["groups"], values["groups_error"] = every_or_error(
            view, "ListGroupsForUser", "Groups", UserName=name)
    elif tab == "tags":
        tags, values["tags_error"] = every_or_error(view, "ListUserTags", "Tags", UserName=name)
        values["tags"] = tags
    elif tab == "access_advisor":
        values["advisor"] = _access_advisor(view, user["Arn"])
    return view.render("user_detail.html", status=400 if error else 200, error=error, **values)


def routes(runtime: Runtime) -> list[Route]:
    return [Route("/console/users/{name}", page(runtime, user_page), methods=["GET"])]
