"""The AWS JSON 1.1 protocol on `POST /`, for services beyond IAM and STS.

A JSON request names its operation in `X-Amz-Target` (`<prefix>.<Operation>`,
the prefix from the service model's metadata) and carries its input as a
JSON body; the answer is JSON, an error `{"__type": code, "message": ...}`
with the error's status. `SERVICES` lists the services served this way;
adding one is a line there. The input is read by walking the operation's
input shape from botocore's model (timestamps are epoch seconds), the
result written by walking the output shape. Authentication and the
operation run exactly as for the Query endpoint (in one transaction,
read-only for a read).

(The audit trail's LookupEvents needed this before a shared JSON protocol
module existed; it is written to be folded into that one.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape
from starlette.responses import Response

from iamd.api.lifecycle import Exchange
from iamd.auth.authenticate import authenticate
from iamd.auth.sigv4 import parse_signed_request
from iamd.model.errors import AwsError, InternalFailure, ValidationError
from iamd.service.dispatch import execute, is_read, retried
from iamd.service.runtime import Runtime

TARGET = "x-amz-target"
CONTENT_TYPE = "application/x-amz-json-1.1"

# Services served over JSON 1.1: botocore's service name, found by its target prefix.
SERVICES = ("cloudtrail",)

# What JSON services call the errors iamd raises under their Query names.
_JSON_CODES = {
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
    "ValidationError": "ValidationException",
    "Throttling": "ThrottlingException",
    "ServiceFailure": "InternalFailure",
}


class SerializationException(ValidationError):
    code = "SerializationException"


class UnknownOperationException(ValidationError):
    code = "UnknownOperationException"


@cache
def _model(service: str) -> ServiceModel:
    return ServiceModel(Loader().load_service_model(service, "service-2"), service_name=service)


@cache
def _targets() -> dict[str, str]:
    return {_model(s).metadata["targetPrefix"]: s for s in SERVICES}


def is_json_request(headers: Mapping[str, str]) -> bool:
    return headers.get(TARGET, "").rpartition(".")[0] in _targets()


def _decode(shape: Shape, value: Any, where: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise SerializationException(f"{where} must be an object")
        out = {}
        for name, item in value.items():
            member = shape.members.get(name)
            if member is None:
                raise SerializationException(f"Unknown member {name} in {where}")
            if item is not None:
                out[name] = _decode(member, item, name)
        return out
    if kind == "list":
        if not isinstance(value, list):
            raise SerializationException(f"{where} must be a list")
        return [_decode(shape.member, item, where) for item in value]
    if kind == "map":
        if not isinstance(value, dict):
            raise SerializationException(f"{where} must be an object")
        return {str(k): _decode(shape.value, v, where) for k, v in value.items()}
    if kind == "timestamp":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
        raise SerializationException(f"{where} must be a timestamp")
    if kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise SerializationException(f"{where} must be an integer")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise SerializationException(f"{where} must be a boolean")
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise SerializationException(f"{where} must be a string")
        return value
    return value


def _encode(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return {name: _encode(shape.members[name], item) for name, item in value.items()
                if item is not None and name in shape.members}
    if kind == "list":
        return [_encode(shape.member, item) for item in value]
    if kind == "map":
        return {k: _encode(shape.value, v) for k, v in value.items()}
    if kind == "timestamp" and isinstance(value, datetime):
        return value.timestamp()
    return value


def decode_input(operation: OperationModel, body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise SerializationException("The request body is not valid JSON.") from None
    if operation.input_shape is None:
        return {}
    decoded: dict[str, Any] = _decode(operation.input_shape, data, "the request")
    return decoded


class JsonEndpoint:
    """JSON 1.1 requests on `/` (lifecycle.py runs it like every endpoint)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def inline(self, exchange: Exchange) -> bool:
        return False

    def handle(self, exchange: Exchange) -> Response:
        prefix, _, name = exchange.headers.get(TARGET, "").rpartition(".")
        service = _targets().get(prefix)
        exchange.action, exchange.service = name, service
        if service is None or name not in _model(service).operation_names:
            raise UnknownOperationException(f"Unknown operation {name or prefix}.")
        operation = _model(service).operation_model(name)
        signed = parse_signed_request(exchange.method, exchange.path, exchange.query,
                                      exchange.headers)
        runtime = self.runtime
        info = exchange.info(signed.region)

        def attempt() -> Any:
            # As the Query endpoint: authentication and the call in one
            # transaction, read-only for a read.
            with runtime.store.transaction(read_only=is_read(service, name)) as tx:
                caller = authenticate(runtime, signed, exchange.method, exchange.path,
                                      exchange.query, exchange.headers, exchange.body,
                                      exchange.now, tx)
                params = decode_input(operation, exchange.body)
                return execute(runtime, caller, info, service, name, params, transaction=tx)
        result = retried(attempt)
        body = _encode(operation.output_shape, result or {}) if operation.output_shape else {}
        return Response(json.dumps(body, separators=(",", ":")), media_type=CONTENT_TYPE)

    def render_error(self, error: AwsError, exchange: Exchange) -> Response:
        code = _JSON_CODES.get(error.code, error.code)
        return Response(json.dumps({"__type": code, "message": error.message}),
                        status_code=error.status, media_type=CONTENT_TYPE,
                        headers={"x-amzn-ErrorType": code})

    def internal_failure(self) -> AwsError:
        return InternalFailure("We encountered an internal error. Please try again.")


class TargetRouted:
    """`POST /` speaks both protocols: a request whose X-Amz-Target names a
    JSON service is the JSON endpoint's, any other the Query endpoint's."""

    def __init__(self, query: Any, json_endpoint: JsonEndpoint) -> None:
        self.query = query
        self.json = json_endpoint

    def _pick(self, exchange: Exchange) -> Any:
        return self.json if is_json_request(exchange.headers) else self.query

    def inline(self, exchange: Exchange) -> bool:
        return bool(self._pick(exchange).inline(exchange))

    def handle(self, exchange: Exchange) -> Response:
        response: Response = self._pick(exchange).handle(exchange)
        return response

    def render_error(self, error: AwsError, exchange: Exchange) -> Response:
        response: Response = self._pick(exchange).render_error(error, exchange)
        return response

    def internal_failure(self) -> AwsError:
        failure: AwsError = self.query.internal_failure()
        return failure
