"""The AWS Query protocol for IAM and STS, driven by botocore's service models.

`QueryProtocol("iam")` (or `"sts"`) is the one object the HTTP layer needs:
`decode` turns a request's form fields into the operation name and its typed,
validated input (`query_decode`), `encode_result` and `encode_error` write the
XML answer (`query_encode`). Everything comes from the service model botocore
ships, loaded and compiled once per process and service, so an operation needs
no protocol code of its own. No I/O beyond reading that model.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from botocore.loaders import Loader
from botocore.model import ServiceModel

from iamd.api.query_decode import QueryDecoder
from iamd.api.query_encode import QueryEncoder
from iamd.model.errors import AwsError

__all__ = ["QueryProtocol"]


# Whether a service's validation messages quote the offending value. STS does
# ("Value 'a:b' at 'roleSessionName'", "Value null at 'roleArn'"); IAM has left
# every value out since 2024 ("Value at 'roleName'", also for a missing one).
_SHOWS_VALUES = {"iam": False, "sts": True}


class _Codec:
    __slots__ = ("decoder", "encoder", "model", "operation_names")

    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        self.operation_names: tuple[str, ...] = tuple(model.operation_names)
        self.decoder = QueryDecoder(
            model, show_values=_SHOWS_VALUES.get(model.service_name, True))
        self.encoder = QueryEncoder(model)


@cache
def _codec(service_name: str) -> _Codec:
    data = Loader().load_service_model(service_name, "service-2")
    model = ServiceModel(data, service_name=service_name)
    if model.protocol != "query":
        raise ValueError(f"{service_name} does not speak the Query protocol")
    return _Codec(model)


class QueryProtocol:
    """Query protocol codec for one service ("iam" or "sts")."""

    __slots__ = ("_codec",)

    def __init__(self, service_name: str) -> None:
        self._codec = _codec(service_name)

    @property
    def service_model(self) -> ServiceModel:
        return self._codec.model

    @property
    def api_version(self) -> str:
        version: str = self._codec.model.api_version
        return version

    @property
    def operation_names(self) -> list[str]:
        return list(self._codec.operation_names)

    def decode(self, params: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
        """(operation name, input keyed by member name) from the form fields.

        Raises MissingAction (no Action field), InvalidAction (an unknown
        Action, or a Version other than the API's), ValidationError
        (constraint violations, all reported at once) or MalformedInput (a
        value that does not parse as its type)."""
        return self._codec.decoder.decode(params)

    def encode_result(self, operation: str, result: Mapping[str, Any], request_id: str) -> bytes:
        """The XML body of a successful answer; None members are left out."""
        return self._codec.encoder.encode_result(operation, result, request_id)

    def encode_error(self, error: AwsError, request_id: str) -> bytes:
        """The XML body of an error answer (`<ErrorResponse>`)."""
        return self._codec.encoder.encode_error(error, request_id)
