"""One role's page and what it lets a user change.

The summary (ARN, creation, last activity, maximum session duration and
the switch-role link) sits above four tabs as in AWS's console:
Permissions (attached and inline policies, the permissions boundary),
Trust relationships (the trust policy, edited in place; AWS's
MalformedPolicyDocument message comes back above the text as typed), Tags,
and Last accessed. Deleting a role does what AWS's console does first:
removes it from its instance profiles, detaches its managed policies and
deletes its inline ones.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.responses import Response
from starlette.routing import Route

from iamd.console.form_values import STARTER_POLICY, pretty, tag_rows, tags_from_form
from iamd.console.paging import read_all
from iamd.console.trust_policy import trusted_entities
from iamd.console.web import View, page
from iamd.service.bootstrap import signin_link
from iamd.service.runtime import Runtime

TABS = (("permissions", "Permissions"), ("trust", "Trust relationships"), ("tags", "Tags"),
        ("access", "Last accessed"))


def _name(view: View) -> str:
    return str(view.path_params["name"])


def _home(name: str, tab: str = "permissions", notice: str = "") -> str:
    url = f"/console/roles/{quote(name)}?tab={tab}"
    return url + (f"&notice={notice}" if notice else "")


def last_accessed(view: View, arn: str) -> tuple[list[dict[str, Any]], str]:
    """Every service the entity's policies allow, with when it last used each."""
    job, error = view.try_call("GenerateServiceLastAccessedDetails", {"Arn": arn})
    if error is not None or job is None:
        return [], error.message if error else ""
    services: list[dict[str, Any]] = []
    params: dict[str, Any] = {"JobId": job["JobId"]}
    while True:
        details, error = view.try_call("GetServiceLastAccessedDetails", params)
        if error is not None or details is None:
            return services, error.message if error else ""
        services += details.get("ServicesLastAccessed", [])
        if not details.get("IsTruncated"):
            return services, ""
        params["Marker"] = details["Marker"]


def role_page(view: View, *, trust_text: str | None = None, trust_error: str = "",
              tab: str | None = None, status: int = 200, delete_error: str = "") -> Response:
    name = _name(view)
    role = view.call("GetRole", {"RoleName": name})["Role"]
    tab = tab or view.query.get("tab", "permissions")
    if tab not in dict(TABS):
        tab = "permissions"
    values: dict[str, Any] = {}
    if tab == "permissions":
        values["attached"] = read_all(view, "ListAttachedRolePolicies", "AttachedPolicies",
                                      {"RoleName": name})
        values["inline"] = read_all(view, "ListRolePolicies", "PolicyNames", {"RoleName": name})
        attached = {p["PolicyArn"] for p in values["attached"]}
        values["attachable"] = [p for p in read_all(view, "ListPolicies", "Policies",
                                                    {"Scope": "All"})
                                if p["Arn"] not in attached]
    elif tab == "tags":
        values["tag_rows"] = tag_rows(role.get("Tags", []))
    elif tab == "access":
        values["services"], values["access_error"] = last_accessed(view, role["Arn"])
    assert view.caller is not None
    switch = (f"/console/switch-role?account={view.caller.account_id}"
              f"&roleName={quote(name)}&displayName={quote(name)}")
    base_url = signin_link(view.runtime, view.caller.account_id).split("/signin/", 1)[0]
    return view.render(
        "role.html", base_url=base_url, status=status, role=role, tab=tab, tabs=TABS, switch_link=switch,
        trusted=trusted_entities(role["AssumeRolePolicyDocument"]),
        trust_text=trust_text if trust_text is not None else pretty(
            role["AssumeRolePolicyDocument"]),
        trust_error=trust_error, editing_trust=trust_text is not None,
        hours=range(1, 13), chosen=set(), delete_error=delete_error, **values)


def role_view(view: View) -> Response:
    if view.query.get("edit") == "trust":
        return role_page(view, trust_text=pretty(view.call(
            "GetRole", {"RoleName": _name(view)})["Role"]["AssumeRolePolicyDocument"]),
            tab="trust")
    return role_page(view)


def edit_trust(view: View) -> Response:
    text = view.field("trust_policy")
    _, error = view.try_call("UpdateAssumeRolePolicy",
                             {"RoleName": _name(view), "PolicyDocument": text})
    if error is not None:
        return role_page(view, trust_text=text, trust_error=error.message, tab="trust",
                         status=400)
    return view.redirect(_home(_name(view), "trust", "trust-updated"))


def edit_max_session(view: View) -> Response:
    hours = view.field("max_session", "1")
    seconds = int(hours) * 3600 if hours.isdigit() else 0
    view.call("UpdateRole", {"RoleName": _name(view), "MaxSessionDuration": seconds})
    return view.redirect(_home(_name(view), notice="saved"))


def attach(view: View) -> Response:
    for arn in view.fields("policy_arn"):
        view.call("AttachRolePolicy", {"RoleName": _name(view), "PolicyArn": arn})
    return view.redirect(_home(_name(view), notice="saved"))


def detach(view: View) -> Response:
    view.call("DetachRolePolicy", {"RoleName": _name(view), "PolicyArn": view.field("policy_arn")})
    return view.redirect(_home(_name(view), notice="saved"))


def delete_inline(view: View) -> Response:
    view.call("DeleteRolePolicy", {"RoleName": _name(view),
                                   "PolicyName": view.field("policy_name")})
    return view.redirect(_home(_name(view), notice="deleted"))


def boundary(view: View) -> Response:
    if view.field("remove"):
        view.call("DeleteRolePermissionsBoundary", {"RoleName": _name(view)})
    else:
        view.call("PutRolePermissionsBoundary", {"RoleName": _name(view),
                                                 "PermissionsBoundary": view.field("policy_arn")})
    return view.redirect(_home(_name(view), notice="saved"))


def edit_tags(view: View) -> Response:
    name = _name(view)
    wanted = tags_from_form(view)
    current = view.call("ListRoleTags", {"RoleName": name}).get("Tags", [])
    gone = [t["Key"] for t in current if t["Key"] not in {w["Key"] for w in wanted}]
    if gone:
        view.call("UntagRole", {"RoleName": name, "TagKeys": gone})
    if wanted:
        view.call("TagRole", {"RoleName": name, "Tags": wanted})
    return view.redirect(_home(name, "tags", "saved"))


def delete_role(view: View) -> Response:
    name = _name(view)
    if view.field("confirm") != name:
        return role_page(view, status=400, delete_error=(
            "To confirm deletion, enter the role name in the text input field."))
    for profile in read_all(view, "ListInstanceProfilesForRole", "InstanceProfiles",
                            {"RoleName": name}):
        view.call("RemoveRoleFromInstanceProfile", {
            "InstanceProfileName": profile["InstanceProfileName"], "RoleName": name})
    for policy in read_all(view, "ListAttachedRolePolicies", "AttachedPolicies",
                           {"RoleName": name}):
        view.call("DetachRolePolicy", {"RoleName": name, "PolicyArn": policy["PolicyArn"]})
    for policy_name in read_all(view, "ListRolePolicies", "PolicyNames", {"RoleName": name}):
        view.call("DeleteRolePolicy", {"RoleName": name, "PolicyName": policy_name})
    view.call("DeleteRole", {"RoleName": name})
    return view.redirect("/console/roles?notice=deleted")


def inline_policy(view: View) -> Response:
    """Create or view an inline policy: a name and a JSON document."""
    name = _name(view)
    error = ""
    policy_name = view.query.get("name", "") if view.method == "GET" else view.field("policy_name")
    text = ""
    if view.method == "POST":
        text = view.field("policy_document")
        _, failure = view.try_call("PutRolePolicy", {"RoleName": name, "PolicyName": policy_name,
                                                     "PolicyDocument": text})
        if failure is None:
            return view.redirect(_home(name, notice="saved"))
        error = failure.message
    elif policy_name:
        text = pretty(view.call("GetRolePolicy", {"RoleName": name, "PolicyName": policy_name})
                      ["PolicyDocument"])
    existing = bool(policy_name) if view.method == "GET" else bool(view.field("existing"))
    return view.render("inline_policy.html", status=400 if error else 200, owner=name,
                       existing=existing,
                       owner_href=_home(name), action=f"/console/roles/{quote(name)}/inline",
                       policy_name=policy_name, text=text or STARTER_POLICY, error=error)


def routes(runtime: Runtime) -> list[Route]:
    base = "/console/roles/{name}"
    posts = {"trust": edit_trust, "max-session": edit_max_session, "attach": attach,
             "detach": detach, "inline/delete": delete_inline, "boundary": boundary,
             "tags": edit_tags, "delete": delete_role}
    return [Route(base, page(runtime, role_view), methods=["GET"]),
            Route(f"{base}/inline", page(runtime, inline_policy), methods=["GET", "POST"]),
            *[Route(f"{base}/{path}", page(runtime, fn), methods=["POST"])
              for path, fn in posts.items()]]
