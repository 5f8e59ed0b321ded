"""What the forms of a user's page change: permissions, groups, tags, deletion.

Each POST runs the operation(s) as the signed-in principal and goes back to
the tab it came from with a notice; an AWS error re-renders that tab with
the message in place. "Add permissions" has its own page (add to groups, or
attach policies directly), as in AWS's console.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.routing import Route

from iamd.console.listing import every, every_or_error, managed_policies
from iamd.console.model_check import checked_input
from iamd.console.user_detail import render_user
from iamd.console.user_removal import delete_user_completely
from iamd.console.web import View, page
from iamd.model.errors import AwsError
from iamd.service.runtime import Runtime


def _back(view: View, tab: str, notice: str) -> Response:
    name = view.path_params["name"]
    return view.redirect(f"/console/users/{name}?tab={tab}&notice={notice}")


def _action(tab: str, notice: str, change: Callable[[View, str], None]) -> Callable[[View], Response]:
    def run(view: View) -> Response:
        try:
            change(view, view.path_params["name"])
        except AwsError as error:
            return render_user(view, tab, error)
        return _back(view, tab, notice)
    return run


def _detach(view: View, name: str) -> None:
    view.call("DetachUserPolicy", {"UserName": name, "PolicyArn": view.field("PolicyArn")})


def _delete_inline(view: View, name: str) -> None:
    view.call("DeleteUserPolicy", {"UserName": name, "PolicyName": view.field("PolicyName")})


def _boundary(view: View, name: str) -> None:
    if view.field("action") == "delete":
        view.call("DeleteUserPermissionsBoundary", {"UserName": name})
    else:
        view.call("PutUserPermissionsBoundary", {"UserName": name,
                                                 "PermissionsBoundary": view.field("PolicyArn")})


def _leave_group(view: View, name: str) -> None:
    view.call("RemoveUserFromGroup", {"UserName": name, "GroupName": view.field("GroupName")})


def _tags(view: View, name: str) -> None:
    keys, values = view.form_lists.get("tag_key", []), view.form_lists.get("tag_value", [])
    wanted = [{"Key": k.strip(), "Value": v} for k, v in zip(keys, values, strict=False)
              if k.strip()]
    if wanted:  # refuse bad tags before removing any
        checked_input("iam", "TagUser", {"UserName": name, "Tags": wanted})
    current = every(view, "ListUserTags", "Tags", UserName=name)
    gone = [t["Key"] for t in current if t["Key"] not in {w["Key"] for w in wanted}]
    if gone:
        view.call("UntagUser", {"UserName": name, "TagKeys": gone})
    if wanted:
        view.call("TagUser", {"UserName": name, "Tags": wanted})


def add_permissions(view: View) -> Response:
    """Add permissions: add the user to groups, or attach policies directly."""
    name = view.path_params["name"]
    view.call("GetUser", {"UserName": name})
    error: AwsError | None = None
    if view.method == "POST":
        try:
            if view.field("option") == "attach":
                for arn in view.fields("PolicyArn"):
                    view.call("AttachUserPolicy", {"UserName": name, "PolicyArn": arn})
                return _back(view, "permissions", "permissions-added")
            for group in view.fields("GroupName"):
                view.call("AddUserToGroup", {"UserName": name, "GroupName": group})
            return _back(view, "groups", "groups-updated")
        except AwsError as failed:
            error = failed
    member_of, _ = every_or_error(view, "ListGroupsForUser", "Groups", UserName=name)
    groups, groups_error = every_or_error(view, "ListGroups", "Groups")
    current = {g["GroupName"] for g in member_of}
    policies, policies_error = managed_policies(view)
    option = view.field("option") or view.query.get("option", "groups")
    return view.render("user_add_permissions.html", status=400 if error else 200, name=name,
                       error=error, option=option if option in ("groups", "attach") else "groups",
                       groups=[g for g in groups if g["GroupName"] not in current],
                       groups_error=groups_error, policies=policies,
                       policies_error=policies_error)


def delete_user(view: View) -> Response:
    name = view.path_params["name"]
    view.call("GetUser", {"UserName": name})
    error: AwsError | None = None
    if view.method == "POST":
        if view.field("confirm") != name:
            return view.render("user_delete.html", status=400, name=name, error=None,
                               mismatch=True)
        error = delete_user_completely(view, name)
        if error is None:
            return view.redirect("/console/users?notice=user-deleted")
    return view.render("user_delete.html", status=400 if error else 200, name=name, error=error,
                       mismatch=False)


def routes(runtime: Runtime) -> list[Route]:
    base = "/console/users/{name}"
    actions = {
        "detach-policy": _action("permissions", "permissions-removed", _detach),
        "delete-inline": _action("permissions", "permissions-removed", _delete_inline),
        "boundary": _action("permissions", "saved", _boundary),
        "remove-from-group": _action("groups", "groups-updated", _leave_group),
        "tags": _action("tags", "tags-saved", _tags),
    }
    return [
        *(Route(f"{base}/{path}", page(runtime, fn), methods=["POST"])
          for path, fn in actions.items()),
        Route(f"{base}/add-permissions", page(runtime, add_permissions), methods=["GET", "POST"]),
        Route(f"{base}/delete", page(runtime, delete_user), methods=["GET", "POST"]),
    ]
