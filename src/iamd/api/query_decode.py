"""Decode AWS Query requests into typed operation input, validating as AWS does.

A Query request is a flat set of form fields (`Action`, `Version`, and the
input flattened as `Tags.member.1.Key`, `X.entry.1.key`). `QueryDecoder` walks
an operation's input shape from botocore's service model over those fields and
returns the operation's name and a dict keyed by member names with typed
values. It then checks the constraints the model declares (required members,
length, pattern, enum, numeric range, collection size) and reports every
violation in one `ValidationError`, worded as AWS's request validator words it:
member paths in lowerCamelCase (`tags.1.member.key`), values quoted -- or left
out, for sensitive members and for services that never show them (IAM). Values
that do not parse as their type fail with `MalformedInput`, as in AWS. The
decoder is pure: fields in, values or an error out.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import unicodedata
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from itertools import groupby
from typing import Any, Final

from botocore.model import ServiceModel, Shape

from iamd.model.errors import (
    InvalidAction,
    MalformedInput,
    MissingAction,
    ValidationError,
)

__all__ = ["QueryDecoder"]

# Shape kinds, as small ints so the hot path dispatches on an int compare.
_STRING: Final = 0
_INTEGER: Final = 1
_LONG: Final = 2
_BOOLEAN: Final = 3
_TIMESTAMP: Final = 4
_BLOB: Final = 5
_FLOAT: Final = 6
_STRUCTURE: Final = 7
_LIST: Final = 8
_MAP: Final = 9

_KINDS: Final = {
    "string": _STRING, "character": _STRING,
    "integer": _INTEGER, "short": _INTEGER, "byte": _INTEGER,
    "long": _LONG, "boolean": _BOOLEAN, "timestamp": _TIMESTAMP, "blob": _BLOB,
    "float": _FLOAT, "double": _FLOAT,
    "structure": _STRUCTURE, "list": _LIST, "map": _MAP,
}

# AWS's services are Java: an `integer` is 32 bits and a `long` 64.
_INT_RANGES: Final = {_INTEGER: (-(2**31), 2**31 - 1), _LONG: (-(2**63), 2**63 - 1)}
# AWS names the cause only when a number's value is empty.
_EMPTY_NUMBER: Final = "missing value for decimal type"

_NUMBERS: Final = frozenset({_INTEGER, _LONG, _FLOAT})
_INT_TEXT: Final = re.compile(r"[+-]?[0-9]+", re.ASCII)
_FLOAT_TEXT: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_EPOCH_TEXT: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
_ISO_TEXT: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
    r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?", re.ASCII | re.IGNORECASE)
_LEAF: Final = None  # the trie key under which a field's own value sits


class _Node:
    """One input shape, compiled once: its kind, constraints and children."""

    __slots__ = (
        "all_constraints", "element", "element_wire", "enum", "enum_text", "flattened",
        "hidden", "key", "key_wire", "kind", "max", "members", "min", "pattern",
        "pattern_text", "value", "value_wire",
    )

    def __init__(self, kind: int) -> None:
        self.kind = kind
        self.hidden = False  # messages say "Value at", never the value itself
        self.min: int | float | None = None
        self.max: int | float | None = None
        self.pattern: re.Pattern[str] | None = None
        self.pattern_text = ""
        self.enum: frozenset[str] | None = None
        self.enum_text = ""
        # (member name, wire name, path name, node, required)
        self.members: tuple[tuple[str, str, str, _Node, bool], ...] = ()
        self.element: _Node | None = None
        self.element_wire = "member"
        self.flattened = False
        self.key: _Node | None = None
        self.value: _Node | None = None
        self.key_wire = "key"
        self.value_wire = "value"
        # Every constraint of a scalar, in the order AWS lists them when a
        # collection's element breaks one ("Member must satisfy constraint: [...]").
        self.all_constraints = ""


class QueryDecoder:
    """Turns Query form fields into (operation name, typed input) for one service.

    `show_values=False` leaves every value out of validation messages ("Value
    at 'roleName'"), as IAM does; otherwise only sensitive members' values are
    left out, as STS does.
    """

    def __init__(self, service_model: ServiceModel, *, show_values: bool = True) -> None:
        self._model = service_model
        self._show_values = show_values
        self._api_version: str = service_model.api_version
        self._nodes: dict[str, _Node] = {}
        # Every operation compiled up front (a fraction of a second, once per
        # process): requests then only read these, from any thread.
        self._inputs: dict[str, _Node | None] = {
            name: self._compile_input(name) for name in service_model.operation_names}

    def decode(self, params: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
        action = params.get("Action")
        if action is None:
            # AWS answers this one with a redirect to its IAM home page; the
            # HTTP layer decides what to make of it.
            raise MissingAction("Missing Action")
        version = params.get("Version")
        if action not in self._inputs or version != self._api_version:
            raise InvalidAction(f"Could not find operation {action} for version "
                                f"{'NO_VERSION_SPECIFIED' if version is None else version}")
        root = self._inputs[action]
        if root is None:
            return action, {}
        errors: list[str] = []
        value = _read_structure(root, _build_trie(params), "", errors)
        if errors:
            count = len(errors)
            raise ValidationError(
                f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(errors))
        return action, value

    def _compile_input(self, operation: str) -> _Node | None:
        shape = self._model.operation_model(operation).input_shape
        return None if shape is None else self._compile(shape)

    def _compile(self, shape: Shape) -> _Node:
        cached = self._nodes.get(shape.name)
        if cached is not None:
            return cached
        kind = _KINDS.get(shape.type_name)
        if kind is None:
            raise TypeError(f"shape {shape.name} of type {shape.type_name} has no Query form")
        node = _Node(kind)
        # Registered before the children so that recursive shapes terminate.
        self._nodes[shape.name] = node
        meta = shape.metadata
        node.hidden = bool(meta.get("sensitive")) or not self._show_values
        node.min = meta.get("min")
        node.max = meta.get("max")
        if kind == _STRING:
            if "pattern" in meta:
                node.pattern_text = meta["pattern"]
                node.pattern = _java_pattern(node.pattern_text)
            if shape.enum:
                node.enum = frozenset(shape.enum)
                node.enum_text = "[" + ", ".join(shape.enum) + "]"
        elif kind == _STRUCTURE:
            required = set(shape.required_members)
            node.members = tuple(
                (name, member.serialization.get("name", name), _path_name(name),
                 self._compile(member), name in required)
                for name, member in shape.members.items())
        elif kind == _LIST:
            node.element = self._compile(shape.member)
            node.flattened = bool(shape.serialization.get("flattened"))
            node.element_wire = shape.member.serialization.get("name", "member")
        elif kind == _MAP:
            node.key = self._compile(shape.key)
            node.value = self._compile(shape.value)
            node.flattened = bool(shape.serialization.get("flattened"))
            node.key_wire = shape.key.serialization.get("name", "key")
            node.value_wire = shape.value.serialization.get("name", "value")
        node.all_constraints = ", ".join(_constraints(node))
        return node


def _path_name(member_name: str) -> str:
    # AWS names members in messages by lowering only the first letter
    # ("SAMLMetadataDocument" -> "sAMLMetadataDocument").
    return member_name[:1].lower() + member_name[1:]


def _constraints(node: _Node) -> list[str]:
    if node.kind in (_STRING, _BLOB, _LIST, _MAP):
        found = []
        if node.max is not None:
            found.append(f"Member must have length less than or equal to {node.max}")
        if node.min is not None:
            found.append(f"Member must have length greater than or equal to {node.min}")
        if node.pattern is not None:
            found.append(f"Member must satisfy regular expression pattern: {node.pattern_text}")
        if node.enum is not None:
            found.append(f"Member must satisfy enum value set: {node.enum_text}")
        return found
    if node.kind in (_INTEGER, _LONG, _FLOAT):
        found = []
        if node.max is not None:
            found.append(f"Member must have value less than or equal to {node.max}")
        if node.min is not None:
            found.append(f"Member must have value greater than or equal to {node.min}")
        return found
    return []


# -- the fields as a trie ---------------------------------------------------

def _build_trie(params: Mapping[str, str]) -> dict[Any, Any]:
    """`{"A.member.1.B": v}` -> `{"A": {"member": {"1": {"B": {None: v}}}}}`."""
    root: dict[Any, Any] = {}
    for key, value in params.items():
        node = root
        for part in key.split("."):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            node = child
        node[_LEAF] = value
    return root


def _indexed(trie: dict[Any, Any]) -> list[dict[Any, Any]]:
    # Query lists and maps count from 1; order by the number, not the text.
    numbered = sorted(
        ((int(key), child) for key, child in trie.items()
         if key is not None and key.isascii() and key.isdigit()),
        key=lambda item: item[0])
    return [child for _, child in numbered]


# -- reading values ---------------------------------------------------------

_ABSENT: Final = object()  # no value for the member in the fields


def _join(parent: str, name: str) -> str:
    return f"{parent}.{name}" if parent else name


def _read(node: _Node, trie: dict[Any, Any], path: str, errors: list[str]) -> Any:
    kind = node.kind
    if kind == _STRUCTURE:
        return _read_structure(node, trie, path, errors)
    if kind == _LIST:
        return _read_list(node, trie, path, errors)
    if kind == _MAP:
        return _read_map(node, trie, path, errors)
    raw = trie.get(_LEAF)
    if raw is None:
        return _ABSENT
    value = _parse_scalar(node, raw)
    if not _satisfies(node, value):
        errors.extend(_message(node, value, path, v) for v in _violations(node, value))
    return value


def _read_structure(node: _Node, trie: dict[Any, Any], path: str, errors: list[str]
                    ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, wire_name, path_name, child, required in node.members:
        sub = trie.get(wire_name)
        if sub is None:
            value = _ABSENT
        elif child.kind < _STRUCTURE:
            # Scalars inline, and their path built only when an error needs
            # it: this loop is most of a request's decoding.
            raw = sub.get(_LEAF)
            if raw is None:
                value = _ABSENT
            else:
                value = raw if child.kind == _STRING else _parse_scalar(child, raw)
                if not _satisfies(child, value):
                    member_path = _join(path, path_name)
                    errors.extend(_message(child, value, member_path, v)
                                  for v in _violations(child, value))
        else:
            value = _read(child, sub, _join(path, path_name), errors)
        if value is not _ABSENT:
            out[name] = value
        elif required:
            shown = "" if child.hidden else " null"
            errors.append(f"Value{shown} at '{_join(path, path_name)}' failed to satisfy "
                          "constraint: Member must not be null")
    return out


def _read_list(node: _Node, trie: dict[Any, Any], path: str, errors: list[str]) -> list[Any]:
    element = node.element
    assert element is not None
    items: dict[Any, Any] | None = trie if node.flattened else trie.get(node.element_wire)
    if items is None:
        # `Tags=` (a field with an empty value) is how an empty list travels;
        # it must still be long enough (`Audience=` where at least one is needed).
        _check_size(node, [], path, errors)
        return []
    out: list[Any] = []
    scalar = element.kind < _STRUCTURE
    bad_element = False
    for position, child in enumerate(_indexed(items), 1):
        if scalar:
            raw = child.get(_LEAF)
            if raw is None:
                continue
            value = _parse_scalar(element, raw)
            bad_element = bad_element or not _satisfies(element, value)
            out.append(value)
        else:
            value = _read(element, child, f"{path}.{position}.member", errors)
            if value is not _ABSENT:
                out.append(value)
    _check_size(node, out, path, errors)
    if bad_element:
        # AWS reports a scalar element's failure once, on the list, naming
        # every constraint the element shape carries.
        errors.append(f"{_shown(node, out)} at '{path}' failed to satisfy constraint: "
                      f"Member must satisfy constraint: [{element.all_constraints}]")
    return out


def _read_map(node: _Node, trie: dict[Any, Any], path: str, errors: list[str]
              ) -> dict[str, Any]:
    key_node, value_node = node.key, node.value
    assert key_node is not None and value_node is not None
    entries: dict[Any, Any] | None = trie if node.flattened else trie.get("entry")
    if entries is None:
        _check_size(node, {}, path, errors)
        return {}
    out: dict[str, Any] = {}
    bad_key = bad_value = False
    scalar_value = value_node.kind < _STRUCTURE
    for entry in _indexed(entries):
        key_trie = entry.get(node.key_wire)
        value_trie = entry.get(node.value_wire)
        if key_trie is None or value_trie is None or _LEAF not in key_trie:
            continue
        key = _parse_scalar(key_node, key_trie[_LEAF])
        bad_key = bad_key or not _satisfies(key_node, key)
        value_errors: list[str] = []
        value = _read(value_node, value_trie, f"{path}.{key}",
                      value_errors if scalar_value else errors)
        bad_value = bad_value or bool(value_errors)
        if value is not _ABSENT:
            out[key] = value
    _check_size(node, out, path, errors)
    shown = _shown(node, out)
    if bad_key:
        errors.append(f"{shown} at '{path}' failed to satisfy constraint: "
                      f"Map keys must satisfy constraint: [{key_node.all_constraints}]")
    if bad_value:
        errors.append(f"{shown} at '{path}' failed to satisfy constraint: "
                      f"Map value must satisfy constraint: [{value_node.all_constraints}]")
    return out


def _check_size(node: _Node, value: list[Any] | dict[str, Any], path: str,
                errors: list[str]) -> None:
    size = len(value)
    if node.max is not None and size > node.max:
        errors.append(f"{_shown(node, value)} at '{path}' failed to satisfy constraint: "
                      f"Member must have length less than or equal to {node.max}")
    elif node.min is not None and size < node.min:
        errors.append(f"{_shown(node, value)} at '{path}' failed to satisfy constraint: "
                      f"Member must have length greater than or equal to {node.min}")


# -- scalars ----------------------------------------------------------------

def _parse_scalar(node: _Node, raw: str) -> Any:
    kind = node.kind
    if kind == _STRING:
        return raw
    if kind in (_INTEGER, _LONG):
        if _INT_TEXT.fullmatch(raw):
            low, high = _INT_RANGES[kind]
            if low <= int(raw) <= high:
                return int(raw)
    elif kind == _BOOLEAN:
        lowered = raw.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    elif kind == _TIMESTAMP:
        stamp = _parse_timestamp(raw)
        if stamp is not None:
            return stamp
    elif kind == _BLOB:
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            pass
    elif kind == _FLOAT and _FLOAT_TEXT.fullmatch(raw) and math.isfinite(float(raw)):
        return float(raw)
    # AWS says nothing more (not even which parameter), except for an empty number.
    raise MalformedInput(_EMPTY_NUMBER if raw == "" and kind in _NUMBERS else "")


def _parse_timestamp(raw: str) -> datetime | None:
    text = raw.strip()
    if _EPOCH_TEXT.fullmatch(text):
        try:
            return datetime.fromtimestamp(float(text), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not _ISO_TEXT.fullmatch(text):
        return None
    if "." in text:
        # fromisoformat takes at most 6 fractional digits; AWS sends 3 or 6.
        head, _, tail = text.partition(".")
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = f"{head}.{tail[:min(digits, 6)].ljust(6, '0')}{tail[digits:]}"
    try:
        stamp = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _satisfies(node: _Node, value: Any) -> bool:
    """Whether `value` meets every constraint of `node` (the fast, common case)."""
    kind = node.kind
    if kind == _STRING:
        if node.pattern is not None and node.pattern.fullmatch(value) is None:
            return False
        if node.enum is not None and value not in node.enum:
            return False
        if node.min is None and node.max is None:
            return True
        size: int | float = len(value)  # code points: AWS does not count UTF-16 units
    elif kind == _BLOB:
        size = len(value)
    elif kind in (_BOOLEAN, _TIMESTAMP):
        return True
    else:
        size = value
    return (node.max is None or size <= node.max) and (node.min is None or size >= node.min)


def _violations(node: _Node, value: Any) -> list[str]:
    kind = node.kind
    found: list[str] = []
    size: int | float = 0
    if kind == _STRING:
        if node.enum is not None and value not in node.enum:
            found.append(f"Member must satisfy enum value set: {node.enum_text}")
        if node.pattern is not None and node.pattern.fullmatch(value) is None:
            found.append(f"Member must satisfy regular expression pattern: {node.pattern_text}")
        size = len(value)
    elif kind == _BLOB:
        size = len(value)
    else:
        if kind != _BOOLEAN and kind != _TIMESTAMP:
            if node.max is not None and value > node.max:
                found.append(f"Member must have value less than or equal to {node.max}")
            elif node.min is not None and value < node.min:
                found.append(f"Member must have value greater than or equal to {node.min}")
        return found
    if node.max is not None and size > node.max:
        found.append(f"Member must have length less than or equal to {node.max}")
    elif node.min is not None and size < node.min:
        found.append(f"Member must have length greater than or equal to {node.min}")
    return found


def _message(node: _Node, value: Any, path: str, violation: str) -> str:
    return f"{_shown(node, value)} at '{path}' failed to satisfy constraint: {violation}"


def _shown(node: _Node, value: Any) -> str:
    """`Value 'x'` as AWS prints it, or bare `Value` where AWS hides the value."""
    text = _render(node, value)
    return "Value" if text is None else f"Value '{text}'"


def _render(node: _Node, value: Any) -> str | None:
    # Rendered as Java's toString would: lists "[a, b]", maps "{k=v}". Hidden
    # members, blobs and structures are not shown, as AWS does not show them.
    if node.hidden:
        return None
    kind = node.kind
    if kind == _STRING:
        return str(value)
    if kind == _BOOLEAN:
        return "true" if value else "false"
    if kind in (_INTEGER, _LONG, _FLOAT):
        return str(value)
    if kind == _TIMESTAMP:
        return str(value.isoformat())
    if kind == _LIST:
        assert node.element is not None
        parts = [_render(node.element, item) for item in value]
        return None if None in parts else "[" + ", ".join(p for p in parts if p is not None) + "]"
    if kind == _MAP:
        assert node.key is not None and node.value is not None
        rendered = []
        for key, item in value.items():
            shown_key, shown_value = _render(node.key, key), _render(node.value, item)
            if shown_key is None or shown_value is None:
                return None
            rendered.append(f"{shown_key}={shown_value}")
        return "{" + ", ".join(rendered) + "}"
    return None


# -- the model's patterns, in Python ----------------------------------------

def _java_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a service-model pattern (Java syntax) as Python `re`.

    The two dialects agree on everything the IAM and STS models use except
    two: Java's `\\w` and `\\d` are ASCII-only (hence `re.ASCII`), and Python
    has no `\\p{...}` Unicode categories, which become explicit ranges.
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            follower = pattern[i + 1]
            if follower == "p" and pattern.startswith("{", i + 2):
                end = pattern.index("}", i + 3)
                ranges = _category_ranges(pattern[i + 3:end])
                out.append(ranges if in_class else f"[{ranges}]")
                i = end + 1
                continue
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return re.compile("".join(out), re.ASCII)


# Letters, separators and numbers are all assigned in planes 0-3; planes 4-16
# hold only unassigned, format, private-use and special-purpose code points.
_CATEGORY_SCAN_END: Final = 0x40000


@cache
def _category_runs() -> tuple[tuple[int, int, str], ...]:
    """Runs of consecutive code points sharing a general category (one scan)."""
    # map/groupby keep the 256k-step loops in C: a tenth of a second, once.
    categories = list(map(unicodedata.category, map(chr, range(_CATEGORY_SCAN_END))))
    runs = []
    start = 0
    for name, codes in groupby(range(_CATEGORY_SCAN_END), key=categories.__getitem__):
        last = deque(codes, maxlen=1)[0]  # drains the run in C, keeping its last code
        runs.append((start, last, name))
        start = last + 1
    return tuple(runs)


@cache
def _category_ranges(category: str) -> str:
    """A character-class body matching Unicode general category `category`
    (`L`, `Z`, `N`, or a two-letter one such as `Lu`)."""
    ranges: list[list[int]] = []
    for low, high, name in _category_runs():
        if name.startswith(category):
            if ranges and ranges[-1][1] == low - 1:
                ranges[-1][1] = high
            else:
                ranges.append([low, high])
    if not ranges:
        raise ValueError(f"unknown Unicode category {category!r}")
    return "".join(
        f"\\U{low:08x}" if low == high else f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges)
