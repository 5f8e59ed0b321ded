"""Switch role and switch back: the console acting as a role session.

Switching calls sts:AssumeRole as the signed-in user (never as a role
already switched to: AWS switches from the original identity), so the trust
policy, its MFA conditions and the role's maximum session duration decide
as they do for the API; the session is named after the user. The console
then acts with the role session's credentials until "Switch back". The last
five roles are offered again, with their display names and colours.
"""

from __future__ import annotations

from dataclasses import asdict, replace

from starlette.responses import Response
from starlette.routing import Route

from iamd.console.web import View, page
from iamd.model.errors import AwsError
from iamd.service import arns
from iamd.service.console_sessions import (
    CREDENTIALS,
    ConsoleState,
    RoleCredentials,
    caller_of,
    save_state,
)
from iamd.service.console_signin import account_id_for
from iamd.service.context import IAM_USER
from iamd.service.runtime import Runtime

COLOURS = ("red", "orange", "green", "blue", "purple")
RECENT = 5
# AWS's own sentence when a switch fails, whatever the reason.
INVALID = ("Invalid information in one or more fields. Check your information or contact "
           "your administrator.")
SESSION_SECONDS = 3600


def _form(view: View, status: int = 200, error: str = "", detail: str = "") -> Response:
    assert view.session is not None
    return view.render("switch_role.html", status=status, error=error, detail=detail,
                       colours=COLOURS, recent=view.session.state.recent_roles,
                       account=view.field("account") or view.query.get("account", ""),
                       role_name=view.field("role") or view.query.get("roleName", ""),
                       display_name=view.field("display_name")
                       or view.query.get("displayName", ""),
                       colour=view.field("colour") or view.query.get("color", ""))


def switch_role(view: View) -> Response:
    assert view.session is not None
    if view.method == "GET":
        return _form(view)
    state = view.session.state
    base = ConsoleState.from_json(state.base) if state.base else state
    base_caller = caller_of(view.runtime, base, view.now)
    if base_caller.kind != IAM_USER or base_caller.user is None:
        return _form(view, 400, "Only IAM users can switch roles. The root user cannot.")
    account_id = account_id_for(view.runtime, view.field("account"))
    role_name = view.field("role").strip()
    if account_id is None or not role_name:
        return _form(view, 400, INVALID)
    role_arn = arns.fill(arns.arn_template("iam", "role"), account_id, RoleNameWithPath=role_name)
    try:
        result = view.call("AssumeRole", {"RoleArn": role_arn,
                                          "RoleSessionName": base_caller.user.name,
                                          "DurationSeconds": SESSION_SECONDS},
                           service="sts", caller=base_caller)
    except AwsError as error:
        return _form(view, error.status, INVALID, error.message)
    issued = result["Credentials"]
    display = view.field("display_name").strip()[:64] or f"{role_name} @ {account_id}"
    colour = view.field("colour") if view.field("colour") in COLOURS else ""
    credentials = RoleCredentials(
        access_key_id=issued["AccessKeyId"], secret_access_key=issued["SecretAccessKey"],
        session_token=issued["SessionToken"], expiration=issued["Expiration"].isoformat(),
        role_arn=role_arn, display_name=display, color=colour)
    entry = {"account": account_id, "role": role_name, "display_name": display, "colour": colour}
    recent = (entry, *[r for r in state.recent_roles
                       if (r["account"], r["role"]) != (account_id, role_name)])[:RECENT]
    switched = replace(state, kind=CREDENTIALS, credentials=credentials,
                       base=asdict(replace(base, recent_roles=())), recent_roles=recent)
    save_state(view.runtime, view.session, switched, view.now)
    return view.redirect("/console")


def switch_back(view: View) -> Response:
    assert view.session is not None
    state = view.session.state
    if state.base is None:
        return view.redirect("/console")
    base = replace(ConsoleState.from_json(state.base), csrf_token=state.csrf_token,
                   recent_roles=state.recent_roles)
    save_state(view.runtime, view.session, base, view.now)
    return view.redirect("/console?notice=switched-back")


def routes(runtime: Runtime) -> list[Route]:
    return [Route("/console/switch-role", page(runtime, switch_role), methods=["GET", "POST"]),
            Route("/console/switch-back", page(runtime, switch_back), methods=["POST"])]
