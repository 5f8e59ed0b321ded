"""Managed policies: the list with "Filter by type", and "Create policy".

The list pages ListPolicies by marker (Scope AWS/Local/All, optionally
only attached ones) and, as AWS's console does, fills in each row's
description with GetPolicy (ListPolicies leaves it out). "Create policy" is
a JSON editor that validates on save: CreatePolicy's own error, with AWS's
exact message, is shown above the text the user typed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from iamd.console import policy_detail
from iamd.console.form_values import STARTER_POLICY, tag_rows, tags_from_form
from iamd.console.paging import list_page, name_filter
from iamd.console.web import View, page
from iamd.service.runtime import Runtime

SCOPES = (("All", "All types"), ("AWS", "AWS managed"), ("Local", "Customer managed"))


def policy_type(arn: str) -> str:
    return "AWS managed" if arn.startswith("arn:aws:iam::aws:") else "Customer managed"


def used_as(policy: dict[str, Any]) -> str:
    uses = []
    if policy.get("AttachmentCount"):
        uses.append(f"Permissions policy ({policy['AttachmentCount']})")
    if policy.get("PermissionsBoundaryUsageCount"):
        uses.append(f"Boundary ({policy['PermissionsBoundaryUsageCount']})")
    return ", ".join(uses) or "None"


def policies_list(view: View) -> Response:
    scope = view.query.get("scope", "All")
    if scope not in dict(SCOPES):
        scope = "All"
    search = view.query.get("search", "")
    only_attached = view.query.get("attached") == "1"
    params: dict[str, Any] = {"Scope": scope}
    if only_attached:
        params["OnlyAttached"] = True
    listed = list_page(view, "ListPolicies", "Policies", params, name_filter(search, "PolicyName"))
    rows = []
    for policy in listed.items:
        full, _ = view.try_call("GetPolicy", {"PolicyArn": policy["Arn"]})
        rows.append({**policy, "Description": (full or {}).get("Policy", {}).get("Description", ""),
                     "Type": policy_type(policy["Arn"]), "UsedAs": used_as(policy)})
    keep = {k: v for k, v in (("scope", scope if scope != "All" else ""), ("search", search),
                              ("attached", "1" if only_attached else "")) if v}
    return view.render("policies.html", rows=rows, scope=scope, scopes=SCOPES, search=search,
                       only_attached=only_attached, next_marker=listed.next_marker,
                       first_page=not view.query.get("marker"), pager_query=urlencode(keep))


def policy_create(view: View) -> Response:
    error = ""
    text = STARTER_POLICY
    if view.method == "POST":
        text = view.field("policy_document")
        params: dict[str, Any] = {"PolicyName": view.field("policy_name").strip(),
                                  "PolicyDocument": text}
        if view.field("description").strip():
            params["Description"] = view.field("description").strip()
        tags = tags_from_form(view)
        if tags:
            params["Tags"] = tags
        result, failure = view.try_call("CreatePolicy", params)
        if failure is None and result is not None:
            return view.redirect(policy_detail.href(result["Policy"]["Arn"], notice="policy-created"))
        error = failure.message if failure else ""
    return view.render("policy_create.html", status=400 if error else 200, error=error, text=text,
                       form=view.form, tag_rows=tag_rows(tags_from_form(view)))


def routes(runtime: Runtime) -> list[Route]:
    return [Route("/console/policies", page(runtime, policies_list), methods=["GET"]),
            Route("/console/policies/create", page(runtime, policy_create),
                  methods=["GET", "POST"]),
            *policy_detail.routes(runtime)]
