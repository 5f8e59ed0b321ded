"""The Roles list and the "Create role" wizard.

The list reads ListRoles a page at a time (search by name as AWS's console
does) and summarises each trust policy; "Last activity" needs GetRole
(ListRoles leaves RoleLastUsed out), read only for the rows on the page.
"Create role" is one form in three steps (trusted entity, permissions,
name) that builds the trust policy as AWS's console does, then runs
CreateRole and AttachRolePolicy; an error comes back in place with every
choice kept.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from iamd.console import role_detail
from iamd.console.form_values import tag_rows, tags_from_form
from iamd.console.paging import list_page, name_filter, read_all
from iamd.console.trust_policy import (
    COMMON_SERVICES,
    ENTITY_TYPES,
    TrustChoice,
    build_trust_policy,
    trusted_entities,
)
from iamd.console.web import View, page
from iamd.service.runtime import Runtime

SESSION_HOURS = tuple(range(1, 13))


def roles_list(view: View) -> Response:
    search = view.query.get("search", "")
    listed = list_page(view, "ListRoles", "Roles", {}, name_filter(search, "RoleName"))
    rows = []
    for role in listed.items:
        detail, _ = view.try_call("GetRole", {"RoleName": role["RoleName"]})
        last_used = ((detail or {}).get("Role", {}).get("RoleLastUsed") or {}).get("LastUsedDate")
        rows.append({"role": role, "last_used": last_used,
                     "trusted": trusted_entities(role["AssumeRolePolicyDocument"])})
    return view.render("roles.html", rows=rows, search=search, next_marker=listed.next_marker,
                       first_page=not view.query.get("marker"))


def _choice(view: View) -> TrustChoice:
    assert view.caller is not None
    entity = view.field("entity", "service")
    return TrustChoice(
        entity=entity, account_id=view.caller.account_id, service=view.field("service"),
        other_account=view.field("account_choice") == "other",
        other_account_id=view.field("other_account_id"),
        require_external_id=bool(view.field("require_external_id")),
        external_id=view.field("external_id"), require_mfa=bool(view.field("require_mfa")),
        provider_arn=view.field("oidc_provider" if entity == "web" else "saml_provider"),
        audience=view.field("audience"), custom=view.field("custom_policy"))


def _providers(view: View) -> tuple[list[dict[str, Any]], list[str]]:
    oidc, _ = view.try_call("ListOpenIDConnectProviders")
    saml, _ = view.try_call("ListSAMLProviders")
    oidc_rows = []
    for provider in (oidc or {}).get("OpenIDConnectProviderList", []):
        details, _ = view.try_call("GetOpenIDConnectProvider",
                                   {"OpenIDConnectProviderArn": provider["Arn"]})
        oidc_rows.append({"arn": provider["Arn"],
                          "audiences": (details or {}).get("ClientIDList", [])})
    return oidc_rows, [p["Arn"] for p in (saml or {}).get("SAMLProviderList", [])]


STARTER_TRUST = """{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {
                "AWS": "arn:aws:iam::%s:root"
            },
            "Action": "sts:AssumeRole"
        }
    ]
}"""


def role_create(view: View) -> Response:
    assert view.caller is not None
    error = ""
    if view.method == "POST":
        document, problem = build_trust_policy(_choice(view))
        if document is None:
            error = problem or ""
        else:
            params: dict[str, Any] = {
                "RoleName": view.field("role_name").strip(), "AssumeRolePolicyDocument": document,
                "MaxSessionDuration": int(view.field("max_session", "1") or 1) * 3600}
            if view.field("description").strip():
                params["Description"] = view.field("description").strip()
            tags = tags_from_form(view)
            if tags:
                params["Tags"] = tags
            _, failure = view.try_call("CreateRole", params)
            if failure is None:
                for arn in view.fields("policy_arn"):
                    view.call("AttachRolePolicy", {"RoleName": params["RoleName"],
                                                   "PolicyArn": arn})
                return view.redirect(f"/console/roles/{params['RoleName']}?notice=role-created")
            error = failure.message
    oidc, saml = _providers(view)
    policies = read_all(view, "ListPolicies", "Policies", {"Scope": "All"})
    chosen = set(view.fields("policy_arn"))
    return view.render(
        "role_create.html", error=error, form=view.form, entity_types=ENTITY_TYPES,
        services=COMMON_SERVICES, oidc_providers=oidc, saml_providers=saml, policies=policies,
        chosen=chosen, hours=SESSION_HOURS, tag_rows=tag_rows(tags_from_form(view)),
        starter=STARTER_TRUST % view.caller.account_id)


def routes(runtime: Runtime) -> list[Route]:
    return [Route("/console/roles", page(runtime, roles_list), methods=["GET"]),
            Route("/console/roles/create", page(runtime, role_create), methods=["GET", "POST"]),
            *role_detail.routes(runtime)]
