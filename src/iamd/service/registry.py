"""The operations iamd serves, registered by name with how each is authorized.

An operation is a function `(ctx, params) -> result | None` where `params`
is the decoded input (member names as in botocore's model) and the result
the output shape's members. `@operation` is the one description of how a call is authorized, next to
its handler: whether it only reads, how to find the resource ARN it acts on
(default: from the Service Authorization Reference and the request's
parameters), which condition keys it brings beyond those, and which further
permissions it needs (iam:PassRole on the role it hands over, ...), all
decided before the handler runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from iamd.service.context import OperationContext

Params = dict[str, Any]
Result = Mapping[str, Any] | None
Handler = Callable[[OperationContext, Params], Result]
ResourceResolver = Callable[[OperationContext, Params], str]
ContextValues = Mapping[str, str | list[str]]
ContextResolver = Callable[[OperationContext, Params], ContextValues]


@dataclass(frozen=True)
class Permission:
    """A permission a call needs beyond its own action: decided on the global
    condition keys and `context`."""

    action: str
    resource: str
    context: ContextValues = field(default_factory=dict)


PermissionsResolver = Callable[[OperationContext, Params], Iterable[Permission]]


@dataclass(frozen=True)
class OperationSpec:
    service: str
    name: str
    handler: Handler
    read_only: bool
    resource: ResourceResolver | None
    context: ContextResolver | None
    authorize: bool
    also: PermissionsResolver | None = None


OPERATIONS: dict[tuple[str, str], OperationSpec] = {}


def operation(service: str, name: str, *, read_only: bool = False,
              resource: ResourceResolver | None = None, context: ContextResolver | None = None,
              authorize: bool = True,
              also: PermissionsResolver | None = None) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        key = (service, name)
        if key in OPERATIONS:
            raise RuntimeError(f"operation {service}:{name} registered twice")
        OPERATIONS[key] = OperationSpec(service, name, handler, read_only, resource, context,
                                        authorize, also)
        return handler
    return register
