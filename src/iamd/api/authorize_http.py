"""`POST /_iamd/authorize`: the HTTP glue of the authorization endpoint for other services.

JSON in, JSON out (docs/authorization-endpoint.md). The calling service signs
this POST with SigV4 like any call and is authenticated as QueryEndpoint
authenticates; the body is read by service/authorize_endpoint.py, the
client's forwarded signature checked by auth/forwarded.py, and the decision
made by service/authorize_endpoint.py. Errors of the calling service's own
request are AWS-style JSON with the error's status; an unexpected failure is
logged with the request id and answered as InternalFailure without internals.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from iamd.api.bodies import read_body
from iamd.auth.authenticate import authenticate
from iamd.auth.forwarded import authenticate_client
from iamd.auth.sigv4 import parse_signed_request
from iamd.model.errors import AwsError, InternalFailure
from iamd.service.authorize_endpoint import (
    CLIENT_AUTH_ERRORS,
    MAX_BODY_BYTES,
    MalformedAuthorizeRequest,
    authorize_forwarded,
    parse_authorize_body,
)
from iamd.service.context import Caller, RequestInfo
from iamd.service.runtime import Runtime

log = logging.getLogger("iamd.api.authorize")

PATH = "/_iamd/authorize"


def _error(error: AwsError, request_id: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": error.code, "message": error.message, "type": error.fault},
         "request_id": request_id},
        status_code=error.status,
        headers={"x-amzn-RequestId": request_id, "x-amzn-ErrorType": error.code})


class AuthorizeEndpoint:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str],
               body: bytes, client_ip: str, secure: bool) -> Response:
        request_id = str(uuid.uuid4())
        started = time.perf_counter()
        status = 200
        try:
            answer = self._answer(method, path, query, headers, body, client_ip, secure,
                                  request_id)
            response: Response = JSONResponse(answer, headers={"x-amzn-RequestId": request_id})
        except AwsError as error:
            status = error.status
            response = _error(error, request_id)
        except Exception:
            log.exception("request %s failed", request_id)
            status = 500
            response = _error(InternalFailure("We encountered an internal error. Please try again."),
                              request_id)
        log.info("request_id=%s action=iamd:AuthorizeRequest status=%d ms=%.1f", request_id,
                 status, (time.perf_counter() - started) * 1000)
        return response

    def _answer(self, method: str, path: str, query: str, headers: Mapping[str, str],
                body: bytes, client_ip: str, secure: bool, request_id: str) -> dict[str, Any]:
        runtime = self.runtime
        now = datetime.now(UTC).replace(microsecond=0)
        # The calling service, exactly as any caller of iamd.
        signed = parse_signed_request(method, path, query, headers)
        service_caller = authenticate(runtime, signed, method, path, query, headers, body, now)
        info = RequestInfo(request_id=request_id, now=now, source_ip=client_ip,
                           secure_transport=secure, region=signed.region,
                           user_agent=headers.get("user-agent", ""))
        forwarded = parse_authorize_body(body)
        # Its client: an authentication failure is an answer, not an error.
        client: Caller | AwsError
        client_region = None
        try:
            client, client_signed = authenticate_client(runtime, forwarded.request, now)
            client_region = client_signed.region
        except AwsError as error:
            if error.code not in CLIENT_AUTH_ERRORS:
                raise
            client = error
        answer = authorize_forwarded(runtime, service_caller, info, forwarded, client, client_region)
        if runtime.usage is not None:
            if service_caller.access_key_id is not None:
                runtime.usage.note(service_caller.access_key_id, now, "iamd", info.region)
            if isinstance(client, Caller) and client.access_key_id is not None:
                runtime.usage.note(client.access_key_id, now, client_signed.service,
                                   client_signed.region)
        return answer

    async def respond(self, request: Request) -> Response:
        body = await read_body(request, MAX_BODY_BYTES)
        if body is None:
            return _error(MalformedAuthorizeRequest(
                f"the body is larger than {MAX_BODY_BYTES} bytes"), str(uuid.uuid4()))
        headers = {k.lower(): v for k, v in request.headers.items()}
        client_ip = request.client.host if request.client else "127.0.0.1"
        return await run_in_threadpool(
            self.handle, request.method, request.url.path, request.url.query, headers, body,
            client_ip, request.url.scheme == "https")
