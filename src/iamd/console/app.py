"""What `iamd serve` serves: the API app with the console's routes added.

The console sits above the API layer, so it is the one to assemble both. A
browser's `GET /` (no Action, no signature) goes to the console; every
other request to `/` is the Query API's, exactly as before.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from iamd.api.app import create_app
from iamd.console import (
    account_settings,
    credential_report,
    credentials_csv,
    dashboard,
    federation,
    groups,
    identity_providers,
    policies,
    roles,
    saml_signin,
    security_credentials,
    signin,
    simulator,
    switch_role,
    user_actions,
    user_detail,
    user_security,
    user_wizard,
    users_list,
)
from iamd.console.strict_transport import StrictTransportSecurity
from iamd.service.runtime import Runtime

# Each module of pages contributes its routes.
# /console/users/new and /console/users/delete come before /console/users/{name}.
PAGES = (signin, dashboard, switch_role, federation, saml_signin, security_credentials,
         users_list, user_wizard, user_actions, user_security, user_detail, credentials_csv,
         groups, roles, policies, identity_providers, account_settings, credential_report,
         simulator)


def _is_browser_visit(request: Request) -> bool:
    return (request.method == "GET" and not request.url.query
            and "authorization" not in request.headers)


def console_routes(runtime: Runtime) -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Mount("/console/static", StaticFiles(packages=[("iamd.console", "static")]),
              name="console-static"),
    ]
    for module in PAGES:
        routes += module.routes(runtime)
    return routes


class QueryStringRedaction(logging.Filter):
    """Keep query strings out of the access log: presigned URLs, the
    federation endpoint's Session and SigninToken carry credentials there."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) \
                and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?<redacted>", *args[3:])
        return True


def create_server_app(runtime: Runtime) -> Starlette:
    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QueryStringRedaction) for f in access_log.filters):
        access_log.addFilter(QueryStringRedaction())
    app = create_app(runtime)
    api_root = next(r for r in app.router.routes if isinstance(r, Route) and r.path == "/")

    async def root(request: Request) -> Response:
        if _is_browser_visit(request):
            return RedirectResponse("/console", status_code=302)
        response: Response = await api_root.endpoint(request)
        return response

    app.router.routes[:0] = [Route("/", root, methods=["GET", "POST"]), *console_routes(runtime)]
    app.add_middleware(StrictTransportSecurity)
    return app
