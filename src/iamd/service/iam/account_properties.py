"""GetAccountProperties and PutAccountProperties: account-wide settings kept
per account, as `Namespace/PropertyName` keys with string values.

AWS groups the properties in namespaces (Role Manager's among them) and takes
the properties of one namespace per PutAccountProperties call. iamd keeps
whatever properties an account puts, under one settings entry per account,
and answers them all back; a key without a namespace, or a call that mixes
namespaces, is InvalidInput. Writing a property replaces its value; the
other properties stay.
"""

from __future__ import annotations

import json
from typing import Any

from iamd.model.errors import InvalidInput
from iamd.service.context import OperationContext
from iamd.service.registry import Params, operation


def _settings_key(account_id: str) -> str:
    return f"account_properties:{account_id}"


def _stored(ctx: OperationContext) -> dict[str, str]:
    raw = ctx.tx.settings.get(_settings_key(ctx.account_id))
    stored: dict[str, str] = json.loads(raw) if raw else {}
    return stored


@operation("iam", "GetAccountProperties", read_only=True)
def get_account_properties(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return {"Properties": dict(sorted(_stored(ctx).items()))}


@operation("iam", "PutAccountProperties")
def put_account_properties(ctx: OperationContext, params: Params) -> dict[str, Any]:
    properties: dict[str, str] = params["Properties"]
    if not properties:
        raise InvalidInput("Properties must contain at least one property.")
    namespaces = set()
    for key in properties:
        namespace, slash, name = key.partition("/")
        if not slash or not namespace or not name:
            raise InvalidInput(f"Property key {key} must be in Namespace/PropertyName format.")
        namespaces.add(namespace)
    if len(namespaces) > 1:
        raise InvalidInput("All properties in a single request must belong to the same namespace.")
    stored = _stored(ctx)
    stored.update(properties)
    ctx.tx.settings.set(_settings_key(ctx.account_id), json.dumps(stored, sort_keys=True))
    return {}
