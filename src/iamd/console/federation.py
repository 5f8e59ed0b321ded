"""The federation endpoint of a custom identity broker: `/federation`.

`?Action=getSigninToken&Session=<JSON>` (optional `SessionDuration`) answers
`{"SigninToken": ...}`; `?Action=login&Issuer=...&Destination=...&SigninToken=...`
signs the browser in as those credentials and sends it to Destination, which
must be a page of this console (anything else goes to the dashboard: no open
redirects). Errors are 400, as AWS answers them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from iamd.console.signin import record_console_login
from iamd.console.web import SESSION_COOKIE, View, local_path, public, with_headers
from iamd.service.console_federation import (
    FederationError,
    issue_signin_token,
    redeem_signin_token,
)
from iamd.service.console_sessions import USER_SESSION, end_session, open_session
from iamd.service.runtime import Runtime


def _destination(view: View, destination: str) -> str:
    """Destination as a local path: a full URL is accepted only on this server."""
    parts = urlsplit(destination)
    if parts.scheme in ("http", "https"):
        own = urlsplit(view.runtime.public_url)
        here = view.request.url
        if parts.netloc not in (own.netloc, here.netloc):
            return "/console"
        destination = parts.path + (f"?{parts.query}" if parts.query else "")
    target = local_path(destination)
    return target if target.startswith("/console") else "/console"


def federation(view: View) -> Response:
    action = view.query.get("Action", "")
    try:
        if action == "getSigninToken":
            token = issue_signin_token(view.runtime, view.query.get("Session", ""),
                                       view.query.get("SessionDuration"), view.now)
            return with_headers(JSONResponse({"SigninToken": token}))
        if action == "login":
            state = redeem_signin_token(view.runtime, view.query.get("SigninToken", ""),
                                        view.query.get("Issuer", ""), view.now)
            end_session(view.runtime, view.cookie)
            cookie = open_session(view.runtime, state, view.now)
            record_console_login(view, root=False, succeeded=True, mfa_used=False, state=state,
                                 session=state)
            view.set_cookies.append((SESSION_COOKIE, cookie, int(USER_SESSION.total_seconds())))
            return view.redirect(_destination(view, view.query.get("Destination", "")))
    except FederationError as error:
        return with_headers(PlainTextResponse(str(error), status_code=400))
    return with_headers(PlainTextResponse(
        "Action must be getSigninToken or login.", status_code=400))


def routes(runtime: Runtime) -> list[Route]:
    return [Route("/federation", public(runtime, federation), methods=["GET"])]
