"""The AWS JSON 1.1 protocol on `/`: services such as Organizations.

A POST to `/` carrying `X-Amz-Target` is a JSON 1.1 call (`TargetRouted`
sends it here; anything else is the Query endpoint's). One request: find the
service and operation from the target, read the SigV4 claims, authenticate
and run the operation in one transaction (as the Query endpoint does), answer
the output as JSON. Errors are JSON `{"__type", "Message"}`.
"""

from __future__ import annotations

from starlette.responses import Response

from iamd.api.json_protocol import JSON_CONTENT_TYPE, JsonProtocol, protocol_for_target
from iamd.api.lifecycle import Endpoint, Exchange
from iamd.auth.authenticate import authenticate
from iamd.auth.sigv4 import parse_signed_request
from iamd.model.errors import AwsError, ServiceFailure
from iamd.service.dispatch import execute, is_read, retried
from iamd.service.registry import Result
from iamd.service.runtime import Runtime

TARGET_HEADER = "x-amz-target"


class JsonEndpoint:
    """JSON 1.1 services on `/` (lifecycle.py runs it)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def inline(self, exchange: Exchange) -> bool:
        return False

    def handle(self, exchange: Exchange) -> Response:
        protocol, operation = protocol_for_target(exchange.headers.get(TARGET_HEADER, ""))
        exchange.action = operation
        exchange.service = protocol.service
        signed = parse_signed_request(exchange.method, exchange.path, exchange.query,
                                      exchange.headers)
        service = protocol.service

        def attempt() -> Result:
            with self.runtime.store.transaction(read_only=is_read(service, operation)) as tx:
                caller = authenticate(self.runtime, signed, exchange.method, exchange.path,
                                      exchange.query, exchange.headers, exchange.body,
                                      exchange.now, tx)
                arguments = protocol.decode(operation, exchange.body)
                return execute(self.runtime, caller, exchange.info(signed.region), service,
                               operation, arguments, transaction=tx)

        result = retried(attempt)
        return Response(protocol.encode_result(operation, result or {}),
                        media_type=JSON_CONTENT_TYPE)

    def render_error(self, error: AwsError, exchange: Exchange) -> Response:
        return Response(JsonProtocol.encode_error(error), status_code=error.status,
                        media_type=JSON_CONTENT_TYPE)

    def internal_failure(self) -> AwsError:
        return ServiceFailure()


class TargetRouted:
    """One path, two protocols: a request with `X-Amz-Target` goes to `json`,
    any other to `query`."""

    def __init__(self, query: Endpoint, json: Endpoint) -> None:
        self.query = query
        self.json = json

    def _pick(self, exchange: Exchange) -> Endpoint:
        return self.json if TARGET_HEADER in exchange.headers else self.query

    def inline(self, exchange: Exchange) -> bool:
        return self._pick(exchange).inline(exchange)

    def handle(self, exchange: Exchange) -> Response:
        return self._pick(exchange).handle(exchange)

    def render_error(self, error: AwsError, exchange: Exchange) -> Response:
        return self._pick(exchange).render_error(error, exchange)

    def internal_failure(self) -> AwsError:
        return ServiceFailure()
