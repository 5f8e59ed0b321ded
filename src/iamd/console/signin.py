"""Signing in and out: IAM users, the root user, MFA, and the forced password change.

The sign-in link of an account is `/signin/<account id or alias>`. The forms
carry a CSRF token bound to a cookie (there is no session yet); success
opens a server-side session and sets its cookie (HttpOnly, SameSite=Lax,
Secure under HTTPS). A principal with an MFA device gets a pending session
that only the MFA page accepts. A password that must be reset (or has
expired) is changed with iam:ChangePassword, as the user, before any page.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

from starlette.responses import Response
from starlette.routing import Route

from iamd.console.web import SESSION_COOKIE, View, local_path, page, public
from iamd.model.errors import AwsError
from iamd.service.audit.signin import SignIn, record_sign_in
from iamd.service.console_sessions import (
    PENDING_MFA,
    ROOT_USER,
    USER_SESSION,
    ConsoleState,
    constant_time_equal,
    end_session,
    load_session,
    open_session,
    save_state,
)
from iamd.service.console_signin import complete_mfa, sign_in_root, sign_in_user
from iamd.service.runtime import Runtime


def signin_form(view: View) -> Response:
    account = view.path_params.get("account", "") or view.query.get("account", "")
    return view.render("signin.html", root=bool(view.query.get("root")), account=account,
                       username="", email="", error="",
                       redirect_uri=local_path(view.query.get("redirect_uri")))


def signin(view: View) -> Response:
    redirect_uri = local_path(view.field("redirect_uri"))
    root = view.field("signin_type") == "root"
    form = {"root": root, "account": view.field("account"), "username": view.field("username"),
            "email": view.field("email"), "redirect_uri": redirect_uri}
    if not view.signin_csrf_ok():
        return view.render("signin.html", status=403, **form,
                           error="Your sign-in form expired. Please try again.")
    password = view.field("password")
    if root:
        result = sign_in_root(view.runtime, view.field("email"), password, view.client_ip, view.now)
    else:
        result = sign_in_user(view.runtime, view.field("account"), view.field("username"),
                              password, view.client_ip, view.now)
    if result.state is None or result.state.kind != PENDING_MFA:  # else the MFA step's
        record_console_login(view, root=root, succeeded=result.state is not None, mfa_used=False,
                state=result.state, account_ref=view.field("account"),
                user_name=view.field("username"), email=view.field("email"))
    if result.state is None:
        return view.render("signin.html", status=429 if result.retry_after else 401, **form,
                           error=result.error)
    end_session(view.runtime, view.cookie)  # never keep a session id across a sign-in
    token = open_session(view.runtime, result.state, view.now)
    view.set_cookies.append((SESSION_COOKIE, token, int(USER_SESSION.total_seconds())))
    if result.state.kind == PENDING_MFA:
        return view.redirect(f"/signin/mfa?redirect_uri={quote(redirect_uri, safe='')}")
    return view.redirect(redirect_uri)


def mfa(view: View) -> Response:
    session = load_session(view.runtime, view.cookie, view.now)
    if session is None or session.state.kind != PENDING_MFA:
        return view.redirect("/signin")
    view.session = session
    redirect_uri = local_path(view.field("redirect_uri") or view.query.get("redirect_uri"))
    if view.method == "GET":
        return view.render("mfa.html", redirect_uri=redirect_uri, error="")
    if not constant_time_equal(view.field("csrf_token"), session.state.csrf_token):
        return view.render("mfa.html", status=403, redirect_uri=redirect_uri,
                           error="Your sign-in form expired. Please try again.")
    result = complete_mfa(view.runtime, session.state, view.field("mfa_code"), view.client_ip,
                          view.now)
    record_console_login(view, root=(session.state.base or {}).get("kind") == ROOT_USER,
            succeeded=result.state is not None, mfa_used=True, state=session.state)
    if result.state is None:
        return view.render("mfa.html", status=429 if result.retry_after else 401,
                           redirect_uri=redirect_uri, error=result.error)
    # A new session id once fully signed in: the pending one is spent.
    end_session(view.runtime, view.cookie)
    token = open_session(view.runtime, result.state, view.now)
    view.set_cookies.append((SESSION_COOKIE, token, int(USER_SESSION.total_seconds())))
    return view.redirect(redirect_uri)


def record_console_login(view: View, *, root: bool, succeeded: bool, mfa_used: bool,
                         state: ConsoleState | None, account_ref: str = "",
                         user_name: str = "", email: str = "",
                         session: ConsoleState | None = None) -> None:
    """The attempt's ConsoleLogin audit event (built off the request)."""
    record_sign_in(view.runtime, SignIn(
        view.runtime, view.client_ip, view.request.headers.get("user-agent", ""),
        str(view.request.url.replace(query="")), root, account_ref=account_ref,
        user_name=user_name, email=email, account_id=state.account_id if state else "",
        user_id=state.user_id if state else "", succeeded=succeeded, mfa_used=mfa_used,
        session=session))


def change_password(view: View) -> Response:
    if view.method == "GET":
        return view.render("change_password.html", error="")
    new, again = view.field("new_password"), view.field("confirm_password")
    if new != again:
        return view.render("change_password.html", status=400,
                           error="The new passwords do not match.")
    try:
        view.call("ChangePassword", {"OldPassword": view.field("old_password"),
                                     "NewPassword": new})
    except AwsError as error:
        return view.render("change_password.html", status=error.status, error=error.message)
    assert view.session is not None
    save_state(view.runtime, view.session, replace(view.session.state, must_change_password=False),
               view.now)
    return view.redirect("/console?notice=password-changed")


def signout(view: View) -> Response:
    session = load_session(view.runtime, view.cookie, view.now)
    issuer = session.state.issuer if session is not None else ""
    if session is not None and not constant_time_equal(view.field("csrf_token"),
                                                       session.state.csrf_token):
        return view.redirect("/console")
    end_session(view.runtime, view.cookie)
    view.set_cookies.append((SESSION_COOKIE, "", 0))
    return view.redirect(issuer if issuer.startswith(("https://", "http://")) else "/signin")


def routes(runtime: Runtime) -> list[Route]:
    return [
        Route("/signin", public(runtime, signin_form), methods=["GET"]),
        Route("/signin", public(runtime, signin), methods=["POST"]),
        Route("/signin/mfa", public(runtime, mfa), methods=["GET", "POST"]),
        Route("/signin/{account}", public(runtime, signin_form), methods=["GET"]),
        Route("/signout", public(runtime, signout), methods=["POST"]),
        Route("/console/change-password", page(runtime, change_password, allow_pending_reset=True),
              methods=["GET", "POST"]),
    ]
