"""The AWS JSON 1.1 protocol, driven by botocore's service models.

A JSON 1.1 request is a POST whose `X-Amz-Target` header names the service
and the operation (`AWSOrganizationsV20161128.CreateOrganization`) and whose
body is the input as one JSON object. The service is found by its model's
`targetPrefix` (`JSON_SERVICES`: adding a service is one line). The answer is
the output shape as JSON, timestamps as epoch seconds; an error is
`{"__type": code, "Message": ...}` with the error's status.

Input is validated exactly as the Query protocol validates it: the decoded
object is flattened with botocore's Query serializer and read back by
query_decode's `QueryDecoder` on the same model, so lengths, patterns, enums
and required members give the same ValidationError. No I/O beyond reading
the model.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from botocore.loaders import Loader
from botocore.model import ServiceModel, Shape
from botocore.serialize import QuerySerializer, create_serializer

from iamd.api.query_decode import QueryDecoder
from iamd.model.errors import AwsError

__all__ = ["JSON_CONTENT_TYPE", "JSON_SERVICES", "JsonProtocol", "UnknownOperation",
           "protocol_for_target"]

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"

# botocore service name -> the service name operations are registered under.
JSON_SERVICES: dict[str, str] = {
    "organizations": "organizations",
    "cloudtrail": "cloudtrail",  # LookupEvents: the audit trail (service/audit/lookup.py)
}

# iamd's Query-protocol error codes as AWS's JSON services spell them.
_JSON_CODES = {
    "AccessDenied": "AccessDeniedException",
    "ValidationError": "ValidationException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
    "MissingAuthenticationToken": "MissingAuthenticationTokenException",
    "IncompleteSignature": "IncompleteSignatureException",
    "ExpiredToken": "ExpiredTokenException",
    "RequestExpired": "RequestExpired",
    "Throttling": "ThrottlingException",
    "ServiceFailure": "ServiceException",
    "InternalFailure": "InternalFailure",
}


class UnknownOperation(AwsError):
    code = "UnknownOperationException"
    status = 400


class SerializationException(AwsError):
    code = "SerializationException"
    status = 400


class _Codec:
    def __init__(self, model: ServiceModel, service: str) -> None:
        self.model = model
        self.service = service
        self.prefix: str = model.metadata["targetPrefix"]
        self.operation_names = frozenset(model.operation_names)
        self.decoder = QueryDecoder(model, show_values=True)


@cache
def _codecs() -> dict[str, _Codec]:
    codecs = {}
    for botocore_name, service in JSON_SERVICES.items():
        data = Loader().load_service_model(botocore_name, "service-2")
        model = ServiceModel(data, service_name=botocore_name)
        codec = _Codec(model, service)
        codecs[codec.prefix] = codec
    return codecs


@cache
def _serializer() -> QuerySerializer:
    serializer: QuerySerializer = create_serializer("query", include_validation=False)
    return serializer


def protocol_for_target(target: str) -> tuple[JsonProtocol, str]:
    """The protocol of the service an `X-Amz-Target` names, and the operation."""
    prefix, _, operation = target.rpartition(".")
    codec = _codecs().get(prefix)
    if codec is None or operation not in codec.operation_names:
        raise UnknownOperation()
    return JsonProtocol(codec), operation


class JsonProtocol:
    """JSON 1.1 codec for one service."""

    __slots__ = ("_codec",)

    def __init__(self, codec: _Codec) -> None:
        self._codec = codec

    @property
    def service(self) -> str:
        return self._codec.service

    @property
    def service_model(self) -> ServiceModel:
        return self._codec.model

    def decode(self, operation: str, body: bytes) -> dict[str, Any]:
        """The operation's typed, validated input from the request body."""
        model = self._codec.model.operation_model(operation)
        try:
            document = json.loads(body) if body.strip() else {}
        except (ValueError, UnicodeDecodeError):
            raise SerializationException("Start of structure or map found where not expected."
                                         ) from None
        if not isinstance(document, dict):
            raise SerializationException("Start of structure or map found where not expected.")
        shape = model.input_shape
        known = _known_members(shape, document) if shape is not None else {}
        try:
            fields = _serializer().serialize_to_request(known, model)["body"]
        except (TypeError, ValueError, AttributeError, KeyError):
            raise SerializationException("Unexpected value type in the request body.") from None
        params = {name: _text(value) for name, value in fields.items()}
        _, decoded = self._codec.decoder.decode(params)
        return decoded

    def encode_result(self, operation: str, result: Mapping[str, Any]) -> bytes:
        shape = self._codec.model.operation_model(operation).output_shape
        value = _encode(shape, result) if shape is not None else {}
        return json.dumps(value, separators=(",", ":")).encode()

    @staticmethod
    def encode_error(error: AwsError) -> bytes:
        code = _JSON_CODES.get(error.code, error.code)
        body: dict[str, Any] = {"__type": code, "Message": error.message}
        body.update(getattr(error, "extra", None) or {})
        return json.dumps(body, separators=(",", ":")).encode()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _known_members(shape: Shape, value: Any) -> Any:
    """`value` without members its shape does not declare (AWS ignores them)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        members = shape.members
        return {name: _known_members(members[name], item) for name, item in value.items()
                if name in members and item is not None}
    if shape.type_name == "list" and isinstance(value, list):
        return [_known_members(shape.member, item) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _known_members(shape.value, item) for key, item in value.items()}
    if shape.type_name == "timestamp" and isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC)
    return value


def _encode(shape: Shape, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, member in shape.members.items():
            item = value.get(name) if isinstance(value, Mapping) else getattr(value, name, None)
            if item is not None:
                out[name] = _encode(member, item)
        return out
    if kind == "list":
        return [_encode(shape.member, item) for item in value]
    if kind == "map":
        return {key: _encode(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        if isinstance(value, datetime):
            # Stored dates without a zone are UTC.
            seconds = (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
            return int(seconds) if math.isclose(seconds, int(seconds)) else seconds
        return value
    if kind == "blob":
        raw = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode()
    return value
