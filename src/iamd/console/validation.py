"""The API's input validation for the console's calls.

A browser's form reaches the operations without the Query decoder that
checks every API request against botocore's model (lengths, patterns such as
a user name's `[\\w+=,.@-]+`, enums, list sizes). Without it a console could
create what the API would refuse. `check_input` flattens the operation's
Python input into Query fields and runs the same decoder over them, so the
console refuses exactly what the API refuses, with the same ValidationError
message.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from iamd.api.query_protocol import QueryProtocol


def _flatten(prefix: str, value: Any, fields: dict[str, str]) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for name, member in value.items():
            _flatten(f"{prefix}.{name}" if prefix else str(name), member, fields)
    elif isinstance(value, (list, tuple)):
        if not value:
            fields[prefix] = ""
        for index, member in enumerate(value, start=1):
            _flatten(f"{prefix}.member.{index}", member, fields)
    elif isinstance(value, bool):
        fields[prefix] = "true" if value else "false"
    elif isinstance(value, bytes):
        fields[prefix] = base64.b64encode(value).decode("ascii")
    elif isinstance(value, datetime):
        fields[prefix] = value.isoformat()
    else:
        fields[prefix] = str(value)


def check_input(service: str, operation: str, params: Mapping[str, Any]) -> None:
    """Raise the API's ValidationError (or MalformedInput) for input it would refuse."""
    protocol = QueryProtocol(service)
    if operation not in protocol.operation_names:
        return
    fields = {"Action": operation, "Version": protocol.api_version}
    _flatten("", params, fields)
    protocol.decode(fields)
