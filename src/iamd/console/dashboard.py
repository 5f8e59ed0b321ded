"""The IAM dashboard: security status, resource counts, the sign-in link.

Each check is read through the service operations as the signed-in
principal (GetAccountSummary, GetAccountPasswordPolicy, ListAccountAliases);
a check the principal may not read says so instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response
from starlette.routing import Route

from iamd.console.web import View, page
from iamd.model.errors import NoSuchEntity
from iamd.service.bootstrap import signin_link
from iamd.service.runtime import Runtime


@dataclass(frozen=True)
class Check:
    title: str
    passed: bool | None  # None: the caller may not read what decides it
    fix: str
    href: str


def security_checks(view: View, summary: dict[str, int] | None) -> list[Check]:
    checks = []
    if summary is None:
        unknown = None
        checks += [Check("Activate MFA on your root account", unknown,
                         "Sign in as the root user and assign an MFA device.", "/console"),
                   Check("Delete your root access keys", unknown,
                         "Sign in as the root user and delete its access keys.", "/console"),
                   Check("Create individual IAM users", unknown, "Add users", "/console/users/new"),
                   Check("Use groups to assign permissions", unknown, "Create a group",
                         "/console/groups")]
    else:
        checks += [
            Check("Activate MFA on your root account", summary.get("AccountMFAEnabled", 0) == 1,
                  "Sign in as the root user and assign an MFA device.", "/console/security-credentials"),
            Check("Delete your root access keys", summary.get("AccountAccessKeysPresent", 0) == 0,
                  "Sign in as the root user and delete its access keys.",
                  "/console/security-credentials"),
            Check("Create individual IAM users", summary.get("Users", 0) > 0, "Add users",
                  "/console/users/new"),
            Check("Use groups to assign permissions", summary.get("Groups", 0) > 0,
                  "Create a group and add users to it", "/console/groups"),
        ]
    _, error = view.try_call("GetAccountPasswordPolicy")
    checks.append(Check("Apply an IAM password policy",
                        None if error is not None and not isinstance(error, NoSuchEntity)
                        else error is None,
                        "Set a password policy", "/console/account-settings"))
    return checks


def dashboard(view: View) -> Response:
    assert view.caller is not None
    summary_result, summary_error = view.try_call("GetAccountSummary")
    summary = summary_result.get("SummaryMap") if summary_result else None
    aliases, _ = view.try_call("ListAccountAliases")
    alias = (aliases or {}).get("AccountAliases") or []
    link = signin_link(view.runtime, alias[0] if alias else view.caller.account_id)
    return view.render("dashboard.html", summary=summary, summary_error=summary_error,
                       checks=security_checks(view, summary), signin_link=link,
                       account_id=view.caller.account_id, alias=alias[0] if alias else "")


def routes(runtime: Runtime) -> list[Route]:
    return [Route("/console", page(runtime, dashboard), methods=["GET"])]
