"""User groups: the list, "Create group", a group's page, and deleting one.

The list shows each group's member count and attached policies (one GetGroup
and one ListAttachedGroupPolicies a group; accounts have few groups). A
group's page adds and removes members and attaches and detaches policies.
Deleting a group first removes its members, inline policies and attached
policies, as AWS's console does, since DeleteGroup alone refuses.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.routing import Route

from iamd.console.listing import every, every_or_error, inline_policies, managed_policies
from iamd.console.model_check import checked_input
from iamd.console.web import View, page
from iamd.model.errors import AwsError, EntityAlreadyExists
from iamd.service.runtime import Runtime


def groups_list(view: View) -> Response:
    groups = every(view, "ListGroups", "Groups")
    for group in groups:
        members, _ = every_or_error(view, "GetGroup", "Users", GroupName=group["GroupName"])
        attached, _ = every_or_error(view, "ListAttachedGroupPolicies", "AttachedPolicies",
                                     GroupName=group["GroupName"])
        group["members"] = len(members)
        group["policies"] = [p["PolicyName"] for p in attached]
    return view.render("groups_list.html", groups=groups)


def _known_users(view: View) -> list[str]:
    users, _ = view.try_call("ListUsers", {"MaxItems": 1000})
    return [u["UserName"] for u in (users or {}).get("Users", [])]


def create_group(view: View) -> Response:
    error: AwsError | None = None
    if view.method == "POST":
        name = view.field("GroupName").strip()
        try:
            checked_input("iam", "CreateGroup", {"GroupName": name})
            if view.try_call("GetGroup", {"GroupName": name, "MaxItems": 1})[1] is None:
                raise EntityAlreadyExists(f"Group with name {name} already exists.")
            for arn in view.fields("PolicyArn"):
                view.call("GetPolicy", {"PolicyArn": arn})
            view.call("CreateGroup", {"GroupName": name})
            for user in view.fields("UserName"):
                view.call("AddUserToGroup", {"GroupName": name, "UserName": user})
            for arn in view.fields("PolicyArn"):
                view.call("AttachGroupPolicy", {"GroupName": name, "PolicyArn": arn})
            return view.redirect(f"/console/groups/{name}?notice=group-created")
        except AwsError as failed:
            error = failed
    policies, policies_error = managed_policies(view)
    return view.render("group_create.html", status=400 if error else 200, error=error,
                       users=_known_users(view), policies=policies,
                       policies_error=policies_error, form=view.form,
                       form_lists=view.form_lists)


def render_group(view: View, error: AwsError | None = None) -> Response:
    name = view.path_params["name"]
    members = every(view, "GetGroup", "Users", GroupName=name)
    group = view.call("GetGroup", {"GroupName": name, "MaxItems": 1})["Group"]
    attached, attached_error = every_or_error(view, "ListAttachedGroupPolicies",
                                              "AttachedPolicies", GroupName=name)
    inline, inline_error = inline_policies(view, "Group", name)
    policies, _ = managed_policies(view)
    member_names = {m["UserName"] for m in members}
    attached_arns = {p["PolicyArn"] for p in attached}
    return view.render("group_detail.html", status=400 if error else 200, error=error,
                       name=name, group=group, members=members, attached=attached,
                       attached_error=attached_error, inline=inline, inline_error=inline_error,
                       candidates=[u for u in _known_users(view) if u not in member_names],
                       policies=[p for p in policies if p["Arn"] not in attached_arns])


def group_page(view: View) -> Response:
    return render_group(view)


def _add_users(view: View, name: str) -> None:
    for user in view.fields("UserName"):
        view.call("AddUserToGroup", {"GroupName": name, "UserName": user})


def _attach(view: View, name: str) -> None:
    for arn in view.fields("PolicyArn"):
        view.call("AttachGroupPolicy", {"GroupName": name, "PolicyArn": arn})


def _one(operation: str, field: str) -> Callable[[View, str], None]:
    def change(view: View, name: str) -> None:
        view.call(operation, {"GroupName": name, field: view.field(field)})
    return change


# path -> (what it changes, the notice shown after)
CHANGES: dict[str, tuple[Callable[[View, str], None], str]] = {
    "add-users": (_add_users, "users-added"),
    "remove-user": (_one("RemoveUserFromGroup", "UserName"), "users-removed"),
    "attach": (_attach, "permissions-added"),
    "detach": (_one("DetachGroupPolicy", "PolicyArn"), "permissions-removed"),
    "delete-inline": (_one("DeleteGroupPolicy", "PolicyName"), "permissions-removed"),
}


def _group_change(path: str) -> Callable[[View], Response]:
    change, notice = CHANGES[path]

    def run(view: View) -> Response:
        name = view.path_params["name"]
        try:
            change(view, name)
        except AwsError as error:
            return render_group(view, error)
        return view.redirect(f"/console/groups/{name}?notice={notice}")
    return run


def delete_group(view: View) -> Response:
    name = view.path_params["name"]
    view.call("GetGroup", {"GroupName": name, "MaxItems": 1})
    if view.method == "GET" or view.field("confirm") != name:
        return view.render("group_delete.html", name=name, error=None,
                           mismatch=view.method == "POST")
    try:
        for user in every(view, "GetGroup", "Users", GroupName=name):
            view.call("RemoveUserFromGroup", {"GroupName": name, "UserName": user["UserName"]})
        for policy in every(view, "ListGroupPolicies", "PolicyNames", GroupName=name):
            view.call("DeleteGroupPolicy", {"GroupName": name, "PolicyName": policy})
        for attached in every(view, "ListAttachedGroupPolicies", "AttachedPolicies",
                              GroupName=name):
            view.call("DetachGroupPolicy", {"GroupName": name, "PolicyArn": attached["PolicyArn"]})
        view.call("DeleteGroup", {"GroupName": name})
    except AwsError as error:
        return view.render("group_delete.html", status=400, name=name, error=error,
                           mismatch=False)
    return view.redirect("/console/groups?notice=group-deleted")


def routes(runtime: Runtime) -> list[Route]:
    base = "/console/groups/{name}"
    return [
        Route("/console/groups", page(runtime, groups_list), methods=["GET"]),
        Route("/console/groups/new", page(runtime, create_group), methods=["GET", "POST"]),
        Route(base, page(runtime, group_page), methods=["GET"]),
        Route(f"{base}/delete", page(runtime, delete_group), methods=["GET", "POST"]),
        *(Route(f"{base}/{change}", page(runtime, _group_change(change)), methods=["POST"])
          for change in CHANGES),
    ]
