"""One managed policy: summary, its document, versions and attachments.

The ARN is the path (URL-quoted). "Edit" saves a new default version with
CreatePolicyVersion; when the policy already has five, AWS refuses with
LimitExceeded and its console asks which version to delete: the page shows
that message, keeps the new text, and offers the non-default versions.
Deleting a customer managed policy first detaches it from every entity and
deletes its non-default versions, as AWS's console does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.responses import Response
from starlette.routing import Route

from iamd.console.form_values import pretty
from iamd.console.paging import read_all
from iamd.console.web import View, page
from iamd.model.errors import LimitExceeded
from iamd.service.runtime import Runtime

TABS = (("permissions", "Permissions"), ("entities", "Entities attached"),
        ("versions", "Policy versions"))
DETACH = {"PolicyUsers": ("DetachUserPolicy", "UserName"),
          "PolicyGroups": ("DetachGroupPolicy", "GroupName"),
          "PolicyRoles": ("DetachRolePolicy", "RoleName")}


def href(arn: str, tab: str = "", notice: str = "") -> str:
    query = "&".join(part for part in (f"tab={tab}" if tab else "",
                                       f"notice={notice}" if notice else "") if part)
    return f"/console/policies/{quote(arn, safe='')}" + (f"?{query}" if query else "")


def _arn(view: View) -> str:
    return str(view.path_params["arn"])


def _entities(view: View, arn: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {member: [] for member in DETACH}
    marker = None
    while True:
        params: dict[str, Any] = {"PolicyArn": arn}
        if marker:
            params["Marker"] = marker
        result = view.call("ListEntitiesForPolicy", params)
        for member in DETACH:
            found[member] += result.get(member, [])
        marker = result.get("Marker") if result.get("IsTruncated") else None
        if marker is None:
            return found


def policy_page(view: View, *, tab: str | None = None, edit_text: str | None = None,
                error: str = "", limit_reached: bool = False, status: int = 200) -> Response:
    arn = _arn(view)
    policy = view.call("GetPolicy", {"PolicyArn": arn})["Policy"]
    version = view.call("GetPolicyVersion", {"PolicyArn": arn,
                                             "VersionId": policy["DefaultVersionId"]})
    document = pretty(version["PolicyVersion"]["Document"])
    tab = tab or view.query.get("tab", "permissions")
    if tab not in dict(TABS):
        tab = "permissions"
    if edit_text is None and view.query.get("edit") == "1":
        edit_text = document
    versions = read_all(view, "ListPolicyVersions", "Versions", {"PolicyArn": arn})
    entities = _entities(view, arn) if tab == "entities" else {}
    return view.render(
        "policy.html", status=status, policy=policy, arn=arn, document=document, tab=tab,
        tabs=TABS, versions=versions, entities=entities, edit_text=edit_text, error=error,
        delete_error=error if edit_text is None else "",
        limit_reached=limit_reached, customer=not arn.startswith("arn:aws:iam::aws:"),
        self_href=href(arn))


def policy_view(view: View) -> Response:
    return policy_page(view)


def _edit(view: View, arn: str) -> Response:
    text = view.field("policy_document")
    doomed = view.field("delete_version")
    if doomed:
        _, failure = view.try_call("DeletePolicyVersion", {"PolicyArn": arn, "VersionId": doomed})
        if failure is not None:
            return policy_page(view, tab="permissions", edit_text=text, error=failure.message,
                               limit_reached=True, status=400)
    _, failure = view.try_call("CreatePolicyVersion", {"PolicyArn": arn, "PolicyDocument": text,
                                                       "SetAsDefault": True})
    if failure is None:
        return view.redirect(href(arn, notice="policy-updated"))
    return policy_page(view, tab="permissions", edit_text=text, error=failure.message,
                       limit_reached=isinstance(failure, LimitExceeded), status=400)


def _delete(view: View, arn: str) -> Response:
    name = arn.rsplit("/", 1)[-1]
    if view.field("confirm") != name:
        return policy_page(view, status=400, error=(
            "To confirm deletion, enter the policy name in the text input field."))
    for member, entities in _entities(view, arn).items():
        operation, key = DETACH[member]
        for entity in entities:
            view.call(operation, {key: entity[key], "PolicyArn": arn})
    for version in read_all(view, "ListPolicyVersions", "Versions", {"PolicyArn": arn}):
        if not version["IsDefaultVersion"]:
            view.call("DeletePolicyVersion", {"PolicyArn": arn, "VersionId": version["VersionId"]})
    view.call("DeletePolicy", {"PolicyArn": arn})
    return view.redirect("/console/policies?notice=deleted")


def policy_post(view: View) -> Response:
    arn = _arn(view)
    action = view.field("action")
    if action == "edit":
        return _edit(view, arn)
    if action == "delete":
        return _delete(view, arn)
    if action == "set-default":
        view.call("SetDefaultPolicyVersion", {"PolicyArn": arn,
                                              "VersionId": view.field("version_id")})
        return view.redirect(href(arn, "versions", "saved"))
    if action == "delete-version":
        view.call("DeletePolicyVersion", {"PolicyArn": arn, "VersionId": view.field("version_id")})
        return view.redirect(href(arn, "versions", "deleted"))
    if action == "detach" and view.field("member") in DETACH:
        operation, key = DETACH[view.field("member")]
        view.call(operation, {key: view.field("entity"), "PolicyArn": arn})
        return view.redirect(href(arn, "entities", "saved"))
    return view.redirect(href(arn))


def routes(runtime: Runtime) -> list[Route]:
    return [Route("/console/policies/{arn:path}", page(runtime, policy_view), methods=["GET"]),
            Route("/console/policies/{arn:path}", page(runtime, policy_post), methods=["POST"])]
