"""The plumbing every console page shares: session, caller, CSRF, rendering.

A page is a plain function `(view) -> Response` run in the thread pool (the
store is synchronous). `page()` wraps it: it finds the session behind the
cookie, sends a browser without one to sign-in (and back afterwards), sends
one with a pending reset to the change-password page first, refuses a
state-changing request without the session's CSRF token, and turns the
session into the `Caller` that `View.call` runs service operations as. An
AccessDenied from any operation renders AWS's sentence on a 403 page.

Every response carries the console's security headers: a Content-Security-
Policy without inline scripts or outside origins, no framing, and a
same-origin referrer.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from iamd.api.bodies import read_body
from iamd.api.request_ids import current_request_id, new_request_id
from iamd.console.model_check import checked_input
from iamd.model.errors import AccessDenied, AwsError
from iamd.service.console_sessions import (
    PENDING_MFA,
    ConsoleSession,
    SessionGone,
    caller_of,
    constant_time_equal,
    end_session,
    identity_label,
    load_session,
)
from iamd.service.context import Caller, RequestInfo
from iamd.service.dispatch import execute
from iamd.service.runtime import Runtime

log = logging.getLogger("iamd.console")

SESSION_COOKIE = "iamd-console"
SIGNIN_COOKIE = "iamd-signin"  # the CSRF token of the sign-in forms, before any session
MAX_FORM_BYTES = 1024 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

# Messages a page shows after a redirect, by key (never free text from the URL).
NOTICES = {
    "password-changed": "Your password has been changed.",
    "deleted": "Deleted.",
    "saved": "Saved.",
    "switched-back": "You switched back to your own identity.",
    "user-deleted": "The user was deleted.",
    "users-deleted": "The selected users were deleted.",
    "group-created": "The user group was created.",
    "group-deleted": "The user group was deleted.",
    "permissions-added": "Permissions were added.",
    "permissions-removed": "Permissions were removed.",
    "groups-updated": "Group memberships were updated.",
    "tags-saved": "Tags were saved.",
    "console-enabled": "Console access was enabled.",
    "console-disabled": "Console access was disabled.",
    "mfa-assigned": "The MFA device was assigned.",
    "mfa-removed": "The MFA device was removed.",
    "key-updated": "The access key status was updated.",
    "key-deleted": "The access key was deleted.",
    "users-added": "Users were added to the group.",
    "users-removed": "Users were removed from the group.",
    "role-created": "Role created.",
    "trust-updated": "Trust policy updated.",
    "policy-created": "Policy created.",
    "policy-updated": "Policy updated: a new default version was saved.",
    "provider-added": "Identity provider added.",
}

templates = Environment(loader=PackageLoader("iamd.console", "templates"),
                        autoescape=select_autoescape(default=True),
                        trim_blocks=True, lstrip_blocks=True)


def now_utc() -> datetime:
    # AWS reports times to the second; stored dates follow suit.
    return datetime.now(UTC).replace(microsecond=0)


def local_path(target: str | None, default: str = "/console") -> str:
    """A redirect target only if it stays on this console (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return default
    return target


def secure_request(request: Request) -> bool:
    return request.url.scheme == "https"


def with_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def set_cookie(response: Response, request: Request, name: str, value: str,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=secure_request(request))


@dataclass
class View:
    """One console request: what a page function works with."""

    runtime: Runtime
    request: Request
    form: Mapping[str, str]
    form_lists: Mapping[str, list[str]]
    now: datetime
    session: ConsoleSession | None = None
    caller: Caller | None = None
    cookie: str | None = None
    set_cookies: list[tuple[str, str, int | None]] = field(default_factory=list)

    # --- input -------------------------------------------------------------
    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query_params

    @property
    def path_params(self) -> Mapping[str, Any]:
        return self.request.path_params

    def field(self, name: str, default: str = "") -> str:
        return self.form.get(name, default)

    def fields(self, name: str) -> list[str]:
        return [v for v in self.form_lists.get(name, []) if v]

    @property
    def client_ip(self) -> str:
        return self.request.client.host if self.request.client else "127.0.0.1"

    @property
    def method(self) -> str:
        return self.request.method


    # --- service operations ---------------------------------------------------
    def info(self) -> RequestInfo:
        return RequestInfo(request_id=current_request_id.get() or new_request_id(), now=self.now, source_ip=self.client_ip,
                           secure_transport=secure_request(self.request),
                           user_agent=self.request.headers.get("user-agent", ""), console=True)

    def call(self, operation: str, params: Mapping[str, Any] | None = None, *,
             service: str = "iam", caller: Caller | None = None,
             model_checked: bool = True) -> dict[str, Any]:
        """Run one IAM or STS operation as the signed-in principal.

        `model_checked=False` is for the root user's own MFA calls, which omit
        the UserName the API's model requires (AWS's console does the same)."""
        who = caller or self.caller
        assert who is not None, "call() needs a signed-in session"
        # Validated as the API validates (lengths, ranges, patterns), same messages.
        arguments = (checked_input(service, operation, params or {}) if model_checked
                     else dict(params or {}))
        result = execute(self.runtime, who, self.info(), service, operation, arguments)
        return dict(result or {})

    def try_call(self, operation: str, params: Mapping[str, Any] | None = None, *,
                 service: str = "iam", model_checked: bool = True,
                 ) -> tuple[dict[str, Any] | None, AwsError | None]:
        """Like call(), but an AWS error is returned for the page to show in place."""
        try:
            return self.call(operation, params, service=service,
                             model_checked=model_checked), None
        except AwsError as error:
            return None, error

    def allowed(self, operation: str, params: Mapping[str, Any] | None = None) -> bool:
        """Whether a read would be allowed (for hiding what the caller cannot see)."""
        return self.try_call(operation, params)[1] is None

    # --- output --------------------------------------------------------------
    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        state = self.session.state if self.session is not None else None
        context = {
            "notice": NOTICES.get(self.query.get("notice", ""), ""),
            "view": self,
            "csrf_token": state.csrf_token if state is not None else self.signin_csrf(),
            "identity": (identity_label(self.caller, state)
                         if self.caller is not None and state is not None else ""),
            "state": state,
            "caller": self.caller,
            "path": self.request.url.path,
            **values,
        }
        html = templates.get_template(template).render(context)
        response = HTMLResponse(html, status_code=status)
        for name, value, max_age in self.set_cookies:
            set_cookie(response, self.request, name, value, max_age)
        return with_headers(response)

    def redirect(self, target: str) -> Response:
        response = RedirectResponse(target, status_code=303)
        for name, value, max_age in self.set_cookies:
            set_cookie(response, self.request, name, value, max_age)
        return with_headers(response)

    def signin_csrf(self) -> str:
        token = self.request.cookies.get(SIGNIN_COOKIE, "")
        if not token or len(token) > 64:
            token = secrets.token_urlsafe(24)
            self.set_cookies.append((SIGNIN_COOKIE, token, None))
        return token

    def signin_csrf_ok(self) -> bool:
        cookie = self.request.cookies.get(SIGNIN_COOKIE, "")
        return bool(cookie) and constant_time_equal(cookie, self.field("csrf_token"))

    def denied(self, error: AwsError) -> Response:
        status = error.status if isinstance(error, AccessDenied) else max(error.status, 400)
        return self.render("error.html", status=status, error=error)


PageFunction = Callable[[View], Response]


async def _read_form(request: Request) -> tuple[dict[str, str], dict[str, list[str]]] | None:
    """The fields of a POSTed form (the console's forms are all URL-encoded)."""
    if request.method != "POST":
        return {}, {}
    body = await read_body(request, MAX_FORM_BYTES)
    if body is None:
        return None
    single: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    if "application/x-www-form-urlencoded" in request.headers.get("content-type", ""):
        try:
            pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True,
                              max_num_fields=5000)
        except ValueError:  # more fields than any console form has
            return None
        for name, value in pairs:
            single.setdefault(name, value)
            lists.setdefault(name, []).append(value)
    return single, lists


def _too_large() -> Response:
    return with_headers(HTMLResponse("<h1>Request too large</h1>", status_code=413))


def _endpoint(runtime: Runtime,
              run: Callable[[View], Response]) -> Callable[[Request], Any]:
    """An async endpoint that reads the form, builds the View and runs `run`
    in the thread pool (the store is synchronous)."""
    async def endpoint(request: Request) -> Response:
        new_request_id()  # the page's calls and log lines share it
        form = await _read_form(request)
        if form is None:
            return _too_large()
        view = View(runtime, request, form[0], form[1], now_utc(),
                    cookie=request.cookies.get(SESSION_COOKIE))
        return await run_in_threadpool(run, view)
    return endpoint


def public(runtime: Runtime, function: PageFunction) -> Callable[[Request], Any]:
    """A page for browsers without a session (sign-in, federation)."""
    return _endpoint(runtime, lambda view: _guarded(function, view))


def page(runtime: Runtime, function: PageFunction, *,
         allow_pending_reset: bool = False) -> Callable[[Request], Any]:
    """A page for a signed-in principal; see the module docstring."""
    return _endpoint(runtime, lambda view: _signed_in(function, view, allow_pending_reset))


def _back_to_signin(view: View) -> Response:
    target = view.request.url.path
    if view.request.url.query:
        target += "?" + view.request.url.query
    if view.method != "GET":
        target = "/console"
    return view.redirect(f"/signin?redirect_uri={quote(target, safe='')}")


def _signed_in(function: PageFunction, view: View, allow_pending_reset: bool) -> Response:
    session = load_session(view.runtime, view.cookie, view.now)
    if session is None:
        return _back_to_signin(view)
    if session.state.kind == PENDING_MFA:
        return view.redirect("/signin/mfa")
    view.session = session
    if view.method == "POST" and not constant_time_equal(session.state.csrf_token,
                                                         view.field("csrf_token")):
        return view.render("error.html", status=403, error=AccessDenied(
            "The request could not be verified (missing or invalid CSRF token). "
            "Reload the page and try again."))
    try:
        view.caller = caller_of(view.runtime, session.state, view.now)
    except SessionGone:
        end_session(view.runtime, view.cookie)
        return _back_to_signin(view)
    if session.state.must_change_password and not allow_pending_reset:
        return view.redirect("/console/change-password")
    return _guarded(function, view)


def _guarded(function: PageFunction, view: View) -> Response:
    try:
        return function(view)
    except AwsError as error:
        return view.denied(error)
    except Exception:
        request_id = current_request_id.get() or new_request_id()
        log.exception("console request %s failed", request_id)
        return view.render("error.html", status=500, error=None, request_id=request_id)
