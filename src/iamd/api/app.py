"""The HTTP face of iamd: the AWS Query protocol on `/`, plus health, metrics, dev reset
and the OIDC discovery documents of outbound federation issuers.

One request: read the form (POST body and query string), read the SigV4
claims, pick the service from the credential scope (iam or sts), authenticate,
decode the parameters with botocore's model, run the operation, encode the
answer. What every endpoint shares (request id, body limit, error mapping,
the log line) is lifecycle.py's; an error that is not an AWS error is answered
here as ServiceFailure, without internals.
"""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from iamd.api.authorize_http import PATH as AUTHORIZE_PATH
from iamd.api.authorize_http import AuthorizeEndpoint
from iamd.api.json_endpoint import JsonEndpoint, TargetRouted
from iamd.api.lifecycle import EndpointRoutes, Exchange, OwnAccessLines, serve
from iamd.api.metrics_http import PATH as METRICS_PATH
from iamd.api.metrics_http import MetricsEndpoint
from iamd.api.query_protocol import QueryProtocol
from iamd.auth.authenticate import authenticate
from iamd.auth.sigv4 import SignedRequest, parse_signed_request
from iamd.model.errors import AwsError, MissingAuthenticationToken, ServiceFailure
from iamd.service.context import Caller
from iamd.service.dispatch import anonymous_caller, execute, is_read, retried
from iamd.service.registry import Result
from iamd.service.runtime import Runtime
from iamd.service.sts import outbound_discovery
from iamd.store.interface import Transaction

PROTOCOLS = {"iam": QueryProtocol("iam"), "sts": QueryProtocol("sts")}
_STS_ONLY = frozenset(PROTOCOLS["sts"].operation_names) - frozenset(PROTOCOLS["iam"].operation_names)
# STS calls that carry their own proof of identity instead of a signature.
UNSIGNED_STS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})
XML = "text/xml"


def _form(query: str, body: bytes, content_type: str) -> dict[str, str]:
    """Query string and form fields; a repeated field keeps its first value, as AWS does."""
    pairs = parse_qsl(query, keep_blank_values=True) if query else []
    if body and "application/x-www-form-urlencoded" in content_type:
        pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    params: dict[str, str] = {}
    for name, value in pairs:
        params.setdefault(name, value)
    return params


def _service_for(action: str | None, signed_service: str | None) -> str:
    if signed_service in PROTOCOLS:
        return signed_service
    return "sts" if action in _STS_ONLY else "iam"


# Reads that may take long are never answered on the event loop: listings,
# reports and simulations, and the federation calls that may fetch a
# provider's keys over the network.
_LONG_READS = frozenset({
    "GetAccountAuthorizationDetails", "GetAccountSummary", "GetCredentialReport",
    "GetServiceLastAccessedDetails", "GetServiceLastAccessedDetailsWithEntities",
    "GetOrganizationsAccessReport", "GetContextKeysForPrincipalPolicy",
    "GetContextKeysForCustomPolicy"})


# Writes answered on the event loop on SQLite (when its write lock is free,
# lifecycle._answer): the one-entity changes a provisioning tool makes in
# bulk. Not those that hash a password, make an MFA seed's picture, parse a
# provider's metadata or fetch anything, nor STS's.
_SHORT_WRITES = frozenset({
    "CreateUser", "DeleteUser", "UpdateUser", "CreateGroup", "DeleteGroup", "UpdateGroup",
    "AddUserToGroup", "RemoveUserFromGroup", "CreateRole", "DeleteRole", "UpdateRole",
    "UpdateRoleDescription", "UpdateAssumeRolePolicy", "PutUserPolicy", "DeleteUserPolicy",
    "PutGroupPolicy", "DeleteGroupPolicy", "PutRolePolicy", "DeleteRolePolicy",
    "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy",
    "AttachRolePolicy", "DetachRolePolicy", "CreatePolicy", "DeletePolicy",
    "CreatePolicyVersion", "DeletePolicyVersion", "SetDefaultPolicyVersion",
    "PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary",
    "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary",
    "TagUser", "UntagUser", "TagRole", "UntagRole", "TagPolicy", "UntagPolicy",
    "TagInstanceProfile", "UntagInstanceProfile", "CreateInstanceProfile",
    "DeleteInstanceProfile", "AddRoleToInstanceProfile", "RemoveRoleFromInstanceProfile",
    "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey"})


def _short_read(action: str | None) -> bool:
    if action is None or action in _LONG_READS:
        return False
    if not (action.startswith("Get") or action == "DecodeAuthorizationMessage"):
        return False
    return any(is_read(service, action) for service in PROTOCOLS)


class QueryEndpoint:
    """The AWS Query protocol of IAM and STS on `/` (lifecycle.py runs it)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        # A short read: answered on the event loop when the store is fast.
        self.inline_reads = runtime.reads_on_loop
        # SQLite writes never wait on the loop (WouldWait); PostgreSQL's row
        # locks are met statement by statement, so its writes stay in the pool.
        self.inline_writes = runtime.store.backend == "sqlite"

    def _params(self, exchange: Exchange) -> dict[str, str]:
        if exchange.form is None:
            exchange.form = _form(exchange.query, exchange.body,
                                  exchange.headers.get("content-type", ""))
        return exchange.form

    def inline(self, exchange: Exchange) -> bool:
        action = self._params(exchange).get("Action")
        if action in _SHORT_WRITES:  # IAM's names, none of them STS's
            return self.inline_writes
        return self.inline_reads and _short_read(action)

    def handle(self, exchange: Exchange) -> Response:
        params = self._params(exchange)
        action = exchange.action = params.get("Action")
        signed = None
        try:
            signed = parse_signed_request(exchange.method, exchange.path, exchange.query,
                                          exchange.headers)
        except MissingAuthenticationToken:
            if not (action in UNSIGNED_STS and action in _STS_ONLY):
                raise
        service = exchange.service = _service_for(action, signed.service if signed else None)
        protocol = PROTOCOLS[service]
        region = signed.region if signed else "us-east-1"
        if signed is not None:
            # A signed call authenticates and runs in one transaction, read-only
            # for a read: one BEGIN, one generation read, one COMMIT for both.
            def attempt() -> tuple[str, Result]:
                with self.runtime.store.transaction(read_only=is_read(service, action)) as tx:
                    caller = self._authenticate(exchange, signed, tx)
                    operation, arguments = protocol.decode(params)
                    return operation, execute(self.runtime, caller, exchange.info(region),
                                              service, operation, arguments, transaction=tx)
            operation, result = retried(attempt)
        else:
            operation, arguments = protocol.decode(params)
            if operation not in UNSIGNED_STS:
                raise MissingAuthenticationToken()
            result = execute(self.runtime, anonymous_caller(), exchange.info(region), service,
                             operation, arguments)
        return Response(protocol.encode_result(operation, result or {}, exchange.request_id),
                        media_type=XML)

    def _authenticate(self, exchange: Exchange, signed: SignedRequest,
                      tx: Transaction | None) -> Caller:
        return authenticate(self.runtime, signed, exchange.method, exchange.path, exchange.query,
                            exchange.headers, exchange.body, exchange.now, tx)

    def render_error(self, error: AwsError, exchange: Exchange) -> Response:
        protocol = PROTOCOLS[exchange.service or "iam"]
        return Response(protocol.encode_error(error, exchange.request_id),
                        status_code=error.status, media_type=XML)

    def internal_failure(self) -> AwsError:
        return ServiceFailure()


def freeze_startup_heap() -> None:
    """Leave what start-up built (the service models, the Service Authorization
    Reference, compiled statements: well over 100,000 objects that live as long
    as the process) out of every garbage collection from now on. Otherwise each
    full collection walks all of it, stopping the requests it interrupts for
    tens of milliseconds (123 ms seen, on a 2-core machine); frozen, the same
    collection takes about a millisecond."""
    gc.collect()
    gc.freeze()


def create_app(runtime: Runtime) -> Starlette:
    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, OwnAccessLines) for f in access_log.filters):
        access_log.addFilter(OwnAccessLines())
    endpoint = QueryEndpoint(runtime)
    # POST / also serves the JSON 1.1 services (Organizations): by X-Amz-Target.
    posted = TargetRouted(endpoint, JsonEndpoint(runtime))
    authorizer = AuthorizeEndpoint(runtime)
    metrics_endpoint = MetricsEndpoint(runtime)
    # Per source address here, per key in auth/authenticate.py. The authorization
    # endpoint is not limited: its caller is a service asking for many clients.
    limits = runtime.rate_limits

    async def query(request: Request) -> Response:
        return await serve(posted if request.method == "POST" else endpoint, request, limits)

    async def authorize(request: Request) -> Response:
        return await serve(authorizer, request)

    async def metrics(request: Request) -> Response:
        return await serve(metrics_endpoint, request, limits)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def reset(request: Request) -> Response:
        if not runtime.dev_mode:
            return JSONResponse({"error": "reset is only available in --dev mode"}, status_code=404)
        from iamd.service.dev_reset import reset_store
        await run_in_threadpool(reset_store, runtime)
        return JSONResponse({"status": "reset"})

    def issuer_document(build: Callable[[Runtime, str], dict[str, Any] | None]) -> Any:
        # Public by design: verifiers of outbound web identity tokens fetch
        # these unsigned. Unknown or disabled issuers are 404.
        async def serve(request: Request) -> Response:
            document = await run_in_threadpool(build, runtime, request.path_params["issuer_id"])
            if document is None:
                return JSONResponse({"error": "not found"}, status_code=404)
            return JSONResponse(document, headers={"Cache-Control": "public, max-age=300"})
        return serve

    issuer = outbound_discovery.ISSUER_PATH + "{issuer_id}"
    routes = [
        Route("/", query, methods=["GET", "POST"]),
        Route(issuer + outbound_discovery.CONFIGURATION_PATH,
              issuer_document(outbound_discovery.openid_configuration), methods=["GET"]),
        Route(issuer + outbound_discovery.JWKS_PATH, issuer_document(outbound_discovery.jwks),
              methods=["GET"]),
        Route("/_iamd/health", health, methods=["GET"]),
        Route(METRICS_PATH, metrics, methods=["GET"]),  # for a caller allowed iamd:GetMetrics
        # The authorization endpoint for other services (docs/authorization-endpoint.md).
        Route(AUTHORIZE_PATH, authorize, methods=["POST"]),
        Route("/_iamd/reset", reset, methods=["POST"]),
        # moto's test suites reset their server through this path.
        Route("/moto-api/reset", reset, methods=["POST"]),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        freeze_startup_heap()
        if runtime.usage is not None:
            runtime.usage.start()
        if runtime.audit is not None:
            runtime.audit.start()
        if runtime.token_key_schedule is not None:
            runtime.token_key_schedule.start()
        try:
            yield
        finally:
            if runtime.token_key_schedule is not None:
                runtime.token_key_schedule.stop()
            if runtime.usage is not None:
                runtime.usage.stop()
            if runtime.audit is not None:
                runtime.audit.stop()

    # The two API endpoints are served ahead of Starlette's routing (the routes
    # above stay as their description, and answer a URL the fast path leaves).
    fast = Middleware(EndpointRoutes, endpoints={
        ("GET", "/"): endpoint, ("POST", "/"): posted, ("POST", AUTHORIZE_PATH): authorizer},
        limits=limits, unlimited_paths=frozenset({AUTHORIZE_PATH}))
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[fast])
    app.state.runtime = runtime
    return app
