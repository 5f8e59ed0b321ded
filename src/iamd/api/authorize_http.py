"""`POST /_iamd/authorize`: the HTTP glue of the authorization endpoint for other services.

JSON in, JSON out (docs/authorization-endpoint.md). The calling service signs
this POST with SigV4 like any call and is authenticated as QueryEndpoint
authenticates; the body is read by service/authorize_request.py, the
client's forwarded signature checked by auth/forwarded.py, and the decision
made by service/authorize_endpoint.py. lifecycle.py runs it as every
endpoint; errors of the calling service's own request are AWS-style JSON with
the error's status, and an unexpected failure is InternalFailure.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from iamd.api.lifecycle import Exchange
from iamd.auth.authenticate import authenticate
from iamd.auth.forwarded import authenticate_client
from iamd.auth.sigv4 import parse_signed_request
from iamd.model.errors import AwsError, InternalFailure
from iamd.service.authorize_endpoint import CLIENT_AUTH_ERRORS, ClientOutcome, authorize_forwarded
from iamd.service.authorize_request import parse_authorize_body
from iamd.service.runtime import Runtime

PATH = "/_iamd/authorize"
ACTION = "iamd:AuthorizeRequest"


class IamdJsonErrors:
    """How iamd's own endpoints spell an error: AWS-style JSON with the
    error's status (docs/authorization-endpoint.md), and InternalFailure for
    what nobody expected."""

    def render_error(self, error: AwsError, exchange: Exchange) -> Response:
        return JSONResponse(
            {"error": {"code": error.code, "message": error.message, "type": error.fault},
             "request_id": exchange.request_id},
            status_code=error.status, headers={"x-amzn-ErrorType": error.code})

    def internal_failure(self) -> AwsError:
        return InternalFailure("We encountered an internal error. Please try again.")


class AuthorizeEndpoint(IamdJsonErrors):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        # A short read: answered on the event loop when the store is fast.
        self.inline_reads = runtime.reads_on_loop

    def inline(self, exchange: Exchange) -> bool:
        return self.inline_reads

    def handle(self, exchange: Exchange) -> Response:
        runtime = self.runtime
        exchange.action = ACTION
        # The calling service, exactly as any caller of iamd.
        signed = parse_signed_request(exchange.method, exchange.path, exchange.query,
                                      exchange.headers)
        # One read-only transaction for both authentications and the decision.
        with runtime.store.transaction(read_only=True) as tx:
            # Not rate limited: a service asks here for all of its clients.
            service_caller = authenticate(runtime, signed, exchange.method, exchange.path,
                                          exchange.query, exchange.headers, exchange.body,
                                          exchange.now, tx, rate_limited=False)
            info = exchange.info(signed.region)
            forwarded = parse_authorize_body(exchange.body)
            # Its client: an authentication failure is an answer, not an error.
            client: ClientOutcome
            try:
                caller, client_signed = authenticate_client(runtime, forwarded.request,
                                                            exchange.now, tx)
                client = ClientOutcome(caller, client_signed.service, client_signed.region)
            except AwsError as error:
                if error.code not in CLIENT_AUTH_ERRORS:
                    raise
                client = ClientOutcome(error)
            answer = authorize_forwarded(runtime, service_caller, info, forwarded, client, tx)
        return JSONResponse(answer)
