"""The API's input validation, for operations the console runs directly.

A console page builds an operation's input as Python values and hands it to
dispatch, skipping the HTTP layer where the service model's constraints
(lengths, ranges, patterns) are checked. To give a console user exactly
the API's answer, the input goes the way boto3 sends it: botocore's Query
serializer writes the form fields, and the API's own decoder reads them
back, raising the same ValidationError with the same message.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from botocore.serialize import QuerySerializer, create_serializer

from iamd.api.query_protocol import QueryProtocol


@cache
def _protocol(service: str) -> QueryProtocol:
    return QueryProtocol(service)


@cache
def _serializer() -> QuerySerializer:
    serializer: QuerySerializer = create_serializer("query", include_validation=False)
    return serializer


def checked_input(service: str, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """`params` as the API would hand them to the operation, or its ValidationError."""
    protocol = _protocol(service)
    model = protocol.service_model.operation_model(operation)
    body = _serializer().serialize_to_request(dict(params), model)["body"]
    _, decoded = protocol.decode({name: str(value) for name, value in body.items()})
    return decoded
