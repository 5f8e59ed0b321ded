"""The HTTP face of iamd: the AWS Query protocol on `/`, plus health, dev reset
and the OIDC discovery documents of outbound federation issuers.

One request: read the form (POST body and query string), read the SigV4
claims, pick the service from the credential scope (iam or sts), authenticate,
decode the parameters with botocore's model, run the operation, encode the
answer. Every answer carries a request id in `<RequestId>` and the
`x-amzn-RequestId` header. An error that is not an AWS error is logged with
the request id and answered as ServiceFailure, without internals.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from iamd.api.authorize_http import PATH as AUTHORIZE_PATH
from iamd.api.authorize_http import AuthorizeEndpoint
from iamd.api.bodies import read_body
from iamd.api.query_protocol import QueryProtocol
from iamd.auth.authenticate import authenticate
from iamd.auth.sigv4 import parse_signed_request
from iamd.model.errors import (
    AwsError,
    MissingAuthenticationToken,
    RequestEntityTooLarge,
    ServiceFailure,
)
from iamd.service.context import Caller, RequestInfo
from iamd.service.dispatch import anonymous_caller, execute
from iamd.service.runtime import Runtime
from iamd.service.sts import outbound_discovery

log = logging.getLogger("iamd.api")

PROTOCOLS = {"iam": QueryProtocol("iam"), "sts": QueryProtocol("sts")}
_STS_ONLY = frozenset(PROTOCOLS["sts"].operation_names) - frozenset(PROTOCOLS["iam"].operation_names)
# STS calls that carry their own proof of identity instead of a signature.
UNSIGNED_STS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})
XML = "text/xml"


def _form(query: str, body: bytes, content_type: str) -> dict[str, str]:
    """Query string and form fields; a repeated field keeps its first value, as AWS does."""
    pairs = parse_qsl(query, keep_blank_values=True)
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


# The largest real IAM or STS request is far under this: a SAML assertion
# (100,000 characters) or a policy document (131,072), form-encoded. Bodies up
# to it are decoded and answered with the validation error AWS gives; a body
# beyond it is refused before it is read into memory whole.
MAX_BODY_BYTES = 8 * 1024 * 1024


class QueryEndpoint:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str],
               body: bytes, client_ip: str, secure: bool) -> Response:
        request_id = str(uuid.uuid4())
        started = time.perf_counter()
        params = _form(query, body, headers.get("content-type", ""))
        action = params.get("Action")
        service = "iam"
        status = 200
        try:
            signed = None
            try:
                signed = parse_signed_request(method, path, query, headers)
            except MissingAuthenticationToken:
                if not (action in UNSIGNED_STS and action in _STS_ONLY):
                    raise
            service = _service_for(action, signed.service if signed else None)
            protocol = PROTOCOLS[service]
            # AWS reports times to the second; stored dates follow suit.
            now = datetime.now(UTC).replace(microsecond=0)
            caller: Caller | None = None
            if signed is not None:
                caller = authenticate(self.runtime, signed, method, path, query, headers, body, now)
            operation, arguments = protocol.decode(params)
            info = RequestInfo(request_id=request_id, now=now, source_ip=client_ip,
                               secure_transport=secure,
                               region=signed.region if signed else "us-east-1",
                               user_agent=headers.get("user-agent", ""))
            if caller is None:
                if operation not in UNSIGNED_STS:
                    raise MissingAuthenticationToken()
                caller = anonymous_caller()
            result = execute(self.runtime, caller, info, service, operation, arguments)
            if caller.access_key_id is not None and self.runtime.usage is not None:
                self.runtime.usage.note(caller.access_key_id, now, service, info.region)
            if caller.arn and self.runtime.usage is not None:
                self.runtime.usage.note_activity(caller.principal_arn, caller.account_id, service,
                                                 operation, info.region, now)
            payload = protocol.encode_result(operation, result or {}, request_id)
        except AwsError as error:
            status = error.status
            payload = PROTOCOLS[service].encode_error(error, request_id)
        except Exception:
            log.exception("request %s failed", request_id)
            status = 500
            payload = PROTOCOLS[service].encode_error(ServiceFailure(), request_id)
        log.info("request_id=%s action=%s status=%d ms=%.1f", request_id, action, status,
                 (time.perf_counter() - started) * 1000)
        return Response(payload, status_code=status, media_type=XML,
                        headers={"x-amzn-RequestId": request_id})

    async def respond(self, request: Request) -> Response:
        body = await read_body(request, MAX_BODY_BYTES)
        if body is None:
            request_id = str(uuid.uuid4())
            log.info("request_id=%s refused: body over %d bytes", request_id, MAX_BODY_BYTES)
            return Response(PROTOCOLS["iam"].encode_error(RequestEntityTooLarge(), request_id),
                            status_code=RequestEntityTooLarge.status, media_type=XML,
                            headers={"x-amzn-RequestId": request_id, "connection": "close"})
        headers = {k.lower(): v for k, v in request.headers.items()}
        client_ip = request.client.host if request.client else "127.0.0.1"
        return await run_in_threadpool(
            self.handle, request.method, request.url.path, request.url.query, headers, body,
            client_ip, request.url.scheme == "https")


def create_app(runtime: Runtime) -> Starlette:
    endpoint = QueryEndpoint(runtime)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def reset(request: Request) -> Response:
        if not runtime.dev_mode:
            return JSONResponse({"error": "reset is only available in --dev mode"}, status_code=404)
        from iamd.service.bootstrap import reset_store
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
        Route("/", endpoint.respond, methods=["GET", "POST"]),
        Route(issuer + outbound_discovery.CONFIGURATION_PATH,
              issuer_document(outbound_discovery.openid_configuration), methods=["GET"]),
        Route(issuer + outbound_discovery.JWKS_PATH, issuer_document(outbound_discovery.jwks),
              methods=["GET"]),
        Route("/_iamd/health", health, methods=["GET"]),
        # The authorization endpoint for other services (docs/authorization-endpoint.md).
        Route(AUTHORIZE_PATH, AuthorizeEndpoint(runtime).respond, methods=["POST"]),
        Route("/_iamd/reset", reset, methods=["POST"]),
        # moto's test suites reset their server through this path.
        Route("/moto-api/reset", reset, methods=["POST"]),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if runtime.usage is not None:
            runtime.usage.start()
        try:
            yield
        finally:
            if runtime.usage is not None:
                runtime.usage.stop()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.runtime = runtime
    return app
