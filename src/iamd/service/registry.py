"""The operations iamd serves, registered by name with how each is authorized.

An operation is a function `(ctx, params) -> result | None` where `params`
is the decoded input (member names as in botocore's model) and the result
the output shape's members. `@operation` records whether it only reads,
how to find the resource ARN it acts on (default: from the Service
Authorization Reference and the request's parameters), and which extra
condition keys it brings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from iamd.service.context import OperationContext

Params = dict[str, Any]
Result = Mapping[str, Any] | None
Handler = Callable[[OperationContext, Params], Result]
ResourceResolver = Callable[[OperationContext, Params], str]
ContextResolver = Callable[[OperationContext, Params], Mapping[str, str | list[str]]]


@dataclass(frozen=True)
class OperationSpec:
    service: str
    name: str
    handler: Handler
    read_only: bool
    resource: ResourceResolver | None
    context: ContextResolver | None
    authorize: bool


OPERATIONS: dict[tuple[str, str], OperationSpec] = {}


def operation(service: str, name: str, *, read_only: bool = False,
              resource: ResourceResolver | None = None, context: ContextResolver | None = None,
              authorize: bool = True) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        key = (service, name)
        if key in OPERATIONS:
            raise RuntimeError(f"operation {service}:{name} registered twice")
        OPERATIONS[key] = OperationSpec(service, name, handler, read_only, resource, context, authorize)
        return handler
    return register
