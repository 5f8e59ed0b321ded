"""What `iamd serve` serves: the API app with the console's routes added.

The console sits above the API layer, so it is the one to assemble both. A
browser's `GET /` (no Action, no signature) goes to the console; every
other request to `/` is the Query API's, exactly as before.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from iamd.api.app import create_app
from iamd.console import (
    account_settings,
    credential_report,
    dashboard,
    identity_providers,
    policies,
    roles,
    signin,
    simulator,
)
from iamd.service.runtime import Runtime

# Each module of pages contributes its routes.
PAGES = (signin, dashboard, roles, policies, identity_providers, account_settings,
         credential_report, simulator)


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


def create_server_app(runtime: Runtime) -> Starlette:
    app = create_app(runtime)
    api_root = next(r for r in app.router.routes if isinstance(r, Route) and r.path == "/")

    async def root(request: Request) -> Response:
        if _is_browser_visit(request):
            return RedirectResponse("/console", status_code=302)
        response: Response = await api_root.endpoint(request)
        return response

    app.router.routes[:0] = [Route("/", root, methods=["GET", "POST"]), *console_routes(runtime)]
    return app
