"""Account settings: the password policy, the account alias, STS tokens.

The password policy is shown as it applies (AWS's IAM default when none is
set) and edited with AWS's console choices: "IAM default" deletes the
policy, "Custom" writes every field with UpdateAccountPasswordPolicy. The
alias changes the sign-in URL, shown with it. The global endpoint's session
token version is read from GetAccountSummary and set with
SetSecurityTokenServicePreferences.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from iamd.console.web import View, page
from iamd.model.errors import NoSuchEntity
from iamd.service.bootstrap import signin_link
from iamd.service.runtime import Runtime

TOKEN_VERSIONS = (("v1Token", 1, "Valid only in AWS Regions enabled by default"),
                  ("v2Token", 2, "Valid in all AWS Regions"))
CHARACTER_TYPES = (
    ("RequireUppercaseCharacters", "Require at least one uppercase letter from the Latin alphabet (A-Z)"),
    ("RequireLowercaseCharacters", "Require at least one lowercase letter from the Latin alphabet (a-z)"),
    ("RequireNumbers", "Require at least one number"),
    ("RequireSymbols",
     "Require at least one non-alphanumeric character (! @ # $ % ^ & * ( ) _ + - = [ ] { } | ')"))


def _password_policy(view: View) -> tuple[dict[str, Any] | None, str]:
    result, error = view.try_call("GetAccountPasswordPolicy")
    if isinstance(error, NoSuchEntity):
        return None, ""
    if error is not None:
        return None, error.message
    return (result or {}).get("PasswordPolicy"), ""


def settings_page(view: View, *, policy_error: str = "", alias_error: str = "",
                  status: int = 200, editing: str = "") -> Response:
    assert view.caller is not None
    policy, policy_read_error = _password_policy(view)
    aliases, alias_read_error = view.try_call("ListAccountAliases")
    alias = ((aliases or {}).get("AccountAliases") or [""])[0]
    summary, summary_error = view.try_call("GetAccountSummary")
    version = ((summary or {}).get("SummaryMap") or {}).get("GlobalEndpointTokenVersion", 1)
    return view.render(
        "account_settings.html", status=status, policy=policy,
        policy_error=policy_error or policy_read_error, alias=alias,
        alias_error=alias_error or (alias_read_error.message if alias_read_error else ""),
        signin_url=signin_link(view.runtime, alias or view.caller.account_id),
        account_id=view.caller.account_id, token_version=version, token_versions=TOKEN_VERSIONS,
        sts_error=summary_error.message if summary_error else "", character_types=CHARACTER_TYPES,
        editing=editing or view.query.get("edit", ""), form=view.form,
        draft=_draft(view, policy))


def _draft(view: View, policy: dict[str, Any] | None) -> dict[str, Any]:
    """The edit form's values: what was posted, else the policy in force."""
    if view.method == "POST" and view.field("policy_kind"):
        return {"custom": view.field("policy_kind") == "custom",
                **{name: bool(view.field(name)) for name, _ in CHARACTER_TYPES},
                "AllowUsersToChangePassword": bool(view.field("AllowUsersToChangePassword")),
                "MinimumPasswordLength": view.field("MinimumPasswordLength"),
                "expire": bool(view.field("expire")), "MaxPasswordAge": view.field("MaxPasswordAge"),
                "HardExpiry": bool(view.field("HardExpiry")),
                "prevent_reuse": bool(view.field("prevent_reuse")),
                "PasswordReusePrevention": view.field("PasswordReusePrevention")}
    current = policy or {}
    return {"custom": policy is not None, **{name: current.get(name, False)
                                             for name, _ in CHARACTER_TYPES},
            "AllowUsersToChangePassword": current.get("AllowUsersToChangePassword", False),
            "MinimumPasswordLength": current.get("MinimumPasswordLength", 8),
            "expire": bool(current.get("MaxPasswordAge")),
            "MaxPasswordAge": current.get("MaxPasswordAge", 90),
            "HardExpiry": current.get("HardExpiry", False),
            "prevent_reuse": bool(current.get("PasswordReusePrevention")),
            "PasswordReusePrevention": current.get("PasswordReusePrevention", 5)}


def settings_view(view: View) -> Response:
    return settings_page(view)


def _number(view: View, name: str) -> int | None:
    value = view.field(name).strip()
    return int(value) if value.isdigit() else None


def edit_password_policy(view: View) -> Response:
    if view.field("policy_kind") == "default":
        _, failure = view.try_call("DeleteAccountPasswordPolicy")
        if failure is not None and not isinstance(failure, NoSuchEntity):
            return settings_page(view, policy_error=failure.message, status=400,
                                 editing="password-policy")
        return view.redirect("/console/account-settings?notice=saved")
    params: dict[str, Any] = {name: bool(view.field(name)) for name, _ in CHARACTER_TYPES}
    params["AllowUsersToChangePassword"] = bool(view.field("AllowUsersToChangePassword"))
    length = _number(view, "MinimumPasswordLength")
    if length is not None:
        params["MinimumPasswordLength"] = length
    if view.field("expire"):
        params["MaxPasswordAge"] = _number(view, "MaxPasswordAge") or 0
        params["HardExpiry"] = bool(view.field("HardExpiry"))
    if view.field("prevent_reuse"):
        params["PasswordReusePrevention"] = _number(view, "PasswordReusePrevention") or 0
    _, failure = view.try_call("UpdateAccountPasswordPolicy", params)
    if failure is not None:
        return settings_page(view, policy_error=failure.message, status=400,
                             editing="password-policy")
    return view.redirect("/console/account-settings?notice=saved")


def edit_alias(view: View) -> Response:
    current = (view.call("ListAccountAliases").get("AccountAliases") or [""])[0]
    wanted = view.field("alias").strip()
    if view.field("action") == "delete" or not wanted:
        if current:
            view.call("DeleteAccountAlias", {"AccountAlias": current})
        return view.redirect("/console/account-settings?notice=deleted")
    if wanted != current:
        if current:
            view.call("DeleteAccountAlias", {"AccountAlias": current})
        _, failure = view.try_call("CreateAccountAlias", {"AccountAlias": wanted})
        if failure is not None:
            if current:  # put the old alias back: a failed edit changes nothing
                view.try_call("CreateAccountAlias", {"AccountAlias": current})
            return settings_page(view, alias_error=failure.message, status=400, editing="alias")
    return view.redirect("/console/account-settings?notice=saved")


def edit_sts(view: View) -> Response:
    version = view.field("token_version")
    if version not in {v for v, _, _ in TOKEN_VERSIONS}:
        version = "v1Token"
    view.call("SetSecurityTokenServicePreferences", {"GlobalEndpointTokenVersion": version})
    return view.redirect("/console/account-settings?notice=saved")


def routes(runtime: Runtime) -> list[Route]:
    base = "/console/account-settings"
    return [Route(base, page(runtime, settings_view), methods=["GET"]),
            Route(f"{base}/password-policy", page(runtime, edit_password_policy), methods=["POST"]),
            Route(f"{base}/alias", page(runtime, edit_alias), methods=["POST"]),
            Route(f"{base}/sts", page(runtime, edit_sts), methods=["POST"])]
