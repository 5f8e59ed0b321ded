"""Encode operation results and errors as AWS Query XML responses.

`QueryEncoder` walks an operation's output shape from botocore's service model
over the result a service function returned and writes the XML AWS writes, laid
out as AWS lays it out (one element a line, two-space indents):
`<OpResponse xmlns=...>`, `<OpResult>`, then `<ResponseMetadata>`; timestamps
in ISO 8601 UTC, booleans `true`/`false`, lists as `<member>`, maps as
`<entry><key>/<value>`, blobs in base64, IAM policy documents URL-encoded.
Members are written in the order the result gives them, because AWS's order
is not always the model's (GetCallerIdentity answers Arn, UserId, Account);
None members are left out. A member the shape does not declare, or a value of
the wrong kind, is a bug in the caller and raises `InternalError`. Errors
become `<ErrorResponse>`. Pure: values in, bytes out.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote

from botocore.model import ServiceModel, Shape

from iamd.model.errors import AwsError, InternalError

__all__ = ["QueryEncoder"]

# Shapes whose text IAM sends URL-encoded: the policy documents. AWS encodes
# everything but RFC 3986's unreserved characters (letters, digits, "-._~"),
# so "/" is %2F, "*" is %2A and a space %20 -- which is `quote(..., safe="")`.
_URL_ENCODED_SHAPES: Final = frozenset({"policyDocumentType"})

# The namespace AWS's request front end (not the service) answers in; it is
# the one on InvalidAction errors from both IAM and STS.
_FAULT_NAMESPACE: Final = "http://webservices.amazon.com/AWSFault/2005-15-09"
_FRONT_END_CODES: Final = frozenset({"InvalidAction"})

# Line starts by depth: "\n" and two spaces a level.
_INDENTS: Final = tuple("\n" + "  " * depth for depth in range(64))

# Characters XML text cannot hold as they are. "\r" is written as a reference
# because an XML parser turns a literal CR into LF; the characters XML 1.0
# forbids outright (most C0 controls, lone surrogates, U+FFFE/U+FFFF) are
# replaced, since no parser would accept the document otherwise.
_NEEDS_ESCAPE: Final = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPES: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}


def _escape(text: str) -> str:
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return _NEEDS_ESCAPE.sub(lambda match: _ESCAPES.get(match.group(), "\ufffd"), text)


def _format_timestamp(value: Any) -> str:
    if isinstance(value, str):
        return value  # already formatted by the caller
    if not isinstance(value, datetime):
        raise InternalError(f"timestamp expected, got {type(value).__name__}")
    stamp = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    # AWS keeps milliseconds; it writes them only when there are some.
    text = (f"{stamp.year:04d}-{stamp.month:02d}-{stamp.day:02d}T"
            f"{stamp.hour:02d}:{stamp.minute:02d}:{stamp.second:02d}")
    millis = stamp.microsecond // 1000
    return f"{text}.{millis:03d}Z" if millis else f"{text}Z"


def _format_string(value: Any) -> str:
    if not isinstance(value, str):
        raise InternalError(f"string expected, got {type(value).__name__}")
    if _NEEDS_ESCAPE.search(value) is None:  # the common case, without a call more
        return value
    return _escape(value)


# IAM's policy documents hold only U+0009-U+00FF, for which one translation
# table does what quote() does, twice as fast (this is most of the time spent
# writing a list of roles).
_UNRESERVED: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_URL_TABLE: Final = {
    code: chr(code) if chr(code) in _UNRESERVED
    else "".join(f"%{byte:02X}" for byte in chr(code).encode())
    for code in range(256)}


def _format_url_encoded(value: Any) -> str:
    if not isinstance(value, str):
        raise InternalError(f"string expected, got {type(value).__name__}")
    if value.isascii() or max(value) <= "\xff":
        return value.translate(_URL_TABLE)
    return quote(value, safe="", errors="replace")


def _format_integer(value: Any) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InternalError(f"integer expected, got {type(value).__name__}")
    return str(value)


def _format_float(value: Any) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise InternalError(f"number expected, got {type(value).__name__}")
    return repr(float(value))


def _format_boolean(value: Any) -> str:
    if not isinstance(value, bool):
        raise InternalError(f"boolean expected, got {type(value).__name__}")
    return "true" if value else "false"


def _format_blob(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, bytes | bytearray | memoryview):
        raise InternalError(f"bytes expected, got {type(value).__name__}")
    return base64.b64encode(value).decode("ascii")


_SCALAR_FORMATS: Final[dict[str, Callable[[Any], str]]] = {
    "string": _format_string, "character": _format_string,
    "integer": _format_integer, "long": _format_integer, "short": _format_integer,
    "byte": _format_integer, "float": _format_float, "double": _format_float,
    "boolean": _format_boolean, "timestamp": _format_timestamp, "blob": _format_blob,
}


class _Out:
    """One output shape, compiled once: how to write a value of it."""

    __slots__ = ("element", "element_tag", "flattened", "format", "key", "key_tag",
                 "members", "shape_name", "value", "value_tag")

    def __init__(self, shape_name: str) -> None:
        self.shape_name = shape_name
        self.format: Callable[[Any], str] | None = None  # set for scalars
        # member name -> (element name, node)
        self.members: dict[str, tuple[str, _Out]] = {}
        self.element: _Out | None = None  # list
        self.element_tag = "member"
        self.flattened = False
        self.key: _Out | None = None  # map
        self.value: _Out | None = None
        self.key_tag = "key"
        self.value_tag = "value"


class QueryEncoder:
    """Writes Query XML responses for one service."""

    def __init__(self, service_model: ServiceModel) -> None:
        self._model = service_model
        self._namespace: str = service_model.metadata["xmlNamespace"]
        self._nodes: dict[str, _Out] = {}
        # operation -> (its output node or None, result wrapper element name);
        # all compiled up front, so that requests only read, from any thread.
        self._outputs: dict[str, tuple[_Out | None, str]] = {
            name: self._compile_output(name) for name in service_model.operation_names}

    def encode_result(self, operation: str, result: Mapping[str, Any], request_id: str) -> bytes:
        try:
            node, wrapper = self._outputs[operation]
        except KeyError:
            raise InternalError(
                f"no operation {operation!r} in {self._model.service_name}") from None
        parts = [f'<{operation}Response xmlns="{self._namespace}">']
        if node is not None:
            _write_structure(node, wrapper, result, parts, 1)
        parts.append(f"\n  <ResponseMetadata>\n    <RequestId>{_escape(request_id)}</RequestId>"
                     f"\n  </ResponseMetadata>\n</{operation}Response>\n")
        return "".join(parts).encode()

    def encode_error(self, error: AwsError, request_id: str) -> bytes:
        namespace = _FAULT_NAMESPACE if error.code in _FRONT_END_CODES else self._namespace
        # AWS leaves the element out when it has nothing to say (MalformedInput).
        message = f"\n    <Message>{_escape(error.message)}</Message>" if error.message else ""
        return (f'<ErrorResponse xmlns="{namespace}">\n  <Error>\n    <Type>{error.fault}</Type>'
                f"\n    <Code>{_escape(error.code)}</Code>{message}\n  </Error>"
                f"\n  <RequestId>{_escape(request_id)}</RequestId>\n</ErrorResponse>\n").encode()

    def _compile_output(self, operation: str) -> tuple[_Out | None, str]:
        shape = self._model.operation_model(operation).output_shape
        if shape is None:
            return None, ""
        return self._compile(shape), shape.serialization.get("resultWrapper", f"{operation}Result")

    def _compile(self, shape: Shape) -> _Out:
        cached = self._nodes.get(shape.name)
        if cached is not None:
            return cached
        node = _Out(shape.name)
        self._nodes[shape.name] = node  # before the children: recursive shapes
        kind = shape.type_name
        if kind == "structure":
            node.members = {
                name: (member.serialization.get("name", name), self._compile(member))
                for name, member in shape.members.items()}
        elif kind == "list":
            node.element = self._compile(shape.member)
            node.flattened = bool(shape.serialization.get("flattened"))
            node.element_tag = shape.member.serialization.get("name", "member")
        elif kind == "map":
            node.key = self._compile(shape.key)
            node.value = self._compile(shape.value)
            node.flattened = bool(shape.serialization.get("flattened"))
            node.key_tag = shape.key.serialization.get("name", "key")
            node.value_tag = shape.value.serialization.get("name", "value")
        elif shape.name in _URL_ENCODED_SHAPES:
            node.format = _format_url_encoded
        elif kind in _SCALAR_FORMATS:
            node.format = _SCALAR_FORMATS[kind]
        else:
            raise TypeError(f"shape {shape.name} of type {kind} has no Query form")
        return node


def _indent(depth: int) -> str:
    return _INDENTS[depth] if depth < len(_INDENTS) else "\n" + "  " * depth


def _write(node: _Out, tag: str, value: Any, parts: list[str], depth: int) -> None:
    fmt = node.format
    if fmt is not None:
        parts.append(f"{_indent(depth)}<{tag}>{fmt(value)}</{tag}>")
    elif node.element is not None:
        _write_list(node, node.element, tag, value, parts, depth)
    elif node.key is not None:
        _write_map(node, tag, value, parts, depth)
    else:
        _write_structure(node, tag, value, parts, depth)


def _open(tag: str, parts: list[str], depth: int) -> int:
    parts.append(f"{_indent(depth)}<{tag}>")
    return len(parts)


def _close(tag: str, parts: list[str], depth: int, mark: int) -> None:
    # An element with nothing inside is written empty, on one line.
    if len(parts) == mark:
        parts[-1] = f"{_indent(depth)}<{tag}/>"
    else:
        parts.append(f"{_indent(depth)}</{tag}>")


def _write_structure(node: _Out, tag: str, value: Any, parts: list[str], depth: int) -> None:
    if not isinstance(value, Mapping):
        raise InternalError(f"{node.shape_name}: mapping expected, got {type(value).__name__}")
    mark = _open(tag, parts, depth)
    members = node.members
    inner = _indent(depth + 1)
    for name, item in value.items():
        if item is None:
            continue
        try:
            member_tag, child = members[name]
        except KeyError:
            raise InternalError(f"{node.shape_name} has no member {name}") from None
        fmt = child.format
        if fmt is not None:  # scalars written here: most elements are scalars
            parts.append(f"{inner}<{member_tag}>{fmt(item)}</{member_tag}>")
        else:
            _write(child, member_tag, item, parts, depth + 1)
    _close(tag, parts, depth, mark)


def _write_list(node: _Out, element: _Out, tag: str, value: Any, parts: list[str],
                depth: int) -> None:
    if isinstance(value, str | bytes | Mapping):
        raise InternalError(f"{node.shape_name}: list expected, got {type(value).__name__}")
    if node.flattened:
        for item in value:
            _write(element, tag, item, parts, depth)
        return
    mark = _open(tag, parts, depth)
    item_tag = node.element_tag
    fmt = element.format
    if fmt is not None:
        inner = _indent(depth + 1)
        parts.extend(f"{inner}<{item_tag}>{fmt(item)}</{item_tag}>" for item in value)
    else:
        for item in value:
            _write(element, item_tag, item, parts, depth + 1)
    _close(tag, parts, depth, mark)


def _write_map(node: _Out, tag: str, value: Any, parts: list[str], depth: int) -> None:
    key_node, value_node = node.key, node.value
    assert key_node is not None and value_node is not None
    if not isinstance(value, Mapping):
        raise InternalError(f"{node.shape_name}: mapping expected, got {type(value).__name__}")
    flattened = node.flattened
    mark = 0 if flattened else _open(tag, parts, depth)
    entry_tag = tag if flattened else "entry"
    entry_depth = depth if flattened else depth + 1
    for key, item in value.items():
        parts.append(f"{_indent(entry_depth)}<{entry_tag}>")
        _write(key_node, node.key_tag, key, parts, entry_depth + 1)
        _write(value_node, node.value_tag, item, parts, entry_depth + 1)
        parts.append(f"{_indent(entry_depth)}</{entry_tag}>")
    if not flattened:
        _close(tag, parts, depth, mark)
