"""Encoded authorization messages and sts:DecodeAuthorizationMessage.

An encoded message carries the details of one authorization decision that
the caller who was refused should not see: whether an explicit deny decided
it, the statements that matched, the principal, the action, the resource and
the request's condition values. It is sealed with the STS token keys (the
newest seals, every key opens, so keys rotate without breaking messages
already handed out) and opens to the JSON document AWS's decoder answers:

    {"allowed": false, "explicitDeny": ..., "matchedStatements": {"items": [...]},
     "failures": {"items": [...]}, "context": {"principal": {"id", "name", "arn"},
     "action", "resource", "conditions": {"items": [{"key", "values": {"items":
     [{"value"}]}}]}}}

Decoding needs sts:DecodeAuthorizationMessage. A message that does not open
(not one of ours, altered, or sealed by a key the store no longer has) is
InvalidAuthorizationMessageException, as AWS answers a message it cannot use.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import struct
import zlib
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from iamd.model.errors import InvalidAuthorizationMessage
from iamd.service.context import OperationContext
from iamd.service.registry import Params, operation
from iamd.service.runtime import Runtime

VERSION = 1
# Bound as associated data: a session token's ciphertext never opens as a message.
_AAD = b"iamd-authorization-message"
# AWS's description of the error (botocore's STS model): a message with
# invalid characters, such as line breaks, or one that has expired.
INVALID = "The message is not valid."


def _items(values: Any) -> dict[str, list[Any]]:
    return {"items": list(values or [])}


def _conditions(conditions: Any) -> dict[str, list[Any]]:
    """{key: value | [values]} or AWS's item list, as AWS's item list."""
    if isinstance(conditions, Mapping):
        items = []
        for key, value in conditions.items():
            values = value if isinstance(value, list | tuple) else [value]
            items.append({"key": key, "values": _items({"value": str(v)} for v in values)})
        return _items(items)
    return _items(conditions)


def message_document(decision_context: Mapping[str, Any]) -> dict[str, Any]:
    """The decoded JSON of one decision, in AWS's shape."""
    context = decision_context.get("context", decision_context)
    principal = context.get("principal", {})
    matched = decision_context.get("matchedStatements", [])
    failures = decision_context.get("failures", [])
    return {
        "allowed": bool(decision_context.get("allowed", False)),
        "explicitDeny": bool(decision_context.get("explicitDeny", False)),
        "matchedStatements": matched if isinstance(matched, Mapping) else _items(matched),
        "failures": failures if isinstance(failures, Mapping) else _items(failures),
        "context": {
            "principal": {k: principal[k] for k in ("id", "name", "arn") if k in principal},
            "action": context.get("action", ""),
            "resource": context.get("resource", ""),
            "conditions": _conditions(context.get("conditions")),
        },
    }


def encode_authorization_message(runtime: Runtime, decision_context: Mapping[str, Any]) -> str:
    """Seal one decision's details for the refused caller to pass on to someone
    allowed to read them."""
    key_id, key = runtime.token_keys.signing()  # the STS token keys: one key set to rotate
    payload = zlib.compress(json.dumps(message_document(decision_context),
                                       separators=(",", ":")).encode(), 9)
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, payload, _AAD)
    blob = struct.pack(">BI", VERSION, key_id) + nonce + sealed
    return base64.urlsafe_b64encode(blob).decode().rstrip("=")


def open_authorization_message(runtime: Runtime, encoded: str) -> str:
    """The decoded JSON text of a message; InvalidAuthorizationMessage if it does not open."""
    try:
        text = encoded.strip()
        blob = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        version, key_id = struct.unpack(">BI", blob[:5])
    except (ValueError, binascii.Error, struct.error):
        raise InvalidAuthorizationMessage(INVALID) from None
    if version != VERSION or len(blob) < 5 + 12 + 16:
        raise InvalidAuthorizationMessage(INVALID)
    key = runtime.token_keys.opening(key_id)
    if key is None:
        raise InvalidAuthorizationMessage(INVALID)
    try:
        payload = AESGCM(key).decrypt(blob[5:17], blob[17:], _AAD)
        document = json.loads(zlib.decompress(payload))
    except (InvalidTag, zlib.error, ValueError):
        raise InvalidAuthorizationMessage(INVALID) from None
    return json.dumps(document, separators=(",", ":"))


@operation("sts", "DecodeAuthorizationMessage", read_only=True)
def decode_authorization_message(ctx: OperationContext, params: Params) -> dict[str, Any]:
    return {"DecodedMessage": open_authorization_message(ctx.runtime, params["EncodedMessage"])}
