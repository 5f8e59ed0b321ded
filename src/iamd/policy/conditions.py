"""Compiling one condition (operator, key, values) into a test of a request context.

The policy's values are parsed once for their operator's family (numbers,
dates, networks, wildcard matchers...). Values holding policy variables are
rendered per request. The semantics, from "IAM JSON policy elements: Condition
operators" and "Single-valued vs. multivalued context keys":

- values in the policy are OR-ed; a context value that does not parse for the
  operator never matches, negated or not;
- a missing key: false, except for negated operators and `...IfExists`
  (true); `ForAllValues` is true and `ForAnyValue` false on a missing or
  empty key;
- `ForAnyValue`: some context value satisfies the operator; `ForAllValues`:
  every one does; without a qualifier a positive operator needs some context
  value to match and a negated one needs none to.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from iamd.policy.operators import Operator
from iamd.policy.request import Context
from iamd.policy.values import (
    parse_address,
    parse_binary,
    parse_bool,
    parse_date,
    parse_network,
    parse_number,
)
from iamd.policy.variables import Template, parse_template
from iamd.policy.wildcards import compile_glob, compile_globs

ValueMatch = Callable[[str], bool | None]  # None: the context value does not parse
Condition = Callable[[Context], bool]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "lt": operator.lt, "le": operator.le,
    "gt": operator.gt, "ge": operator.ge,
}


def value_matcher(family: str, values: Sequence[str]) -> ValueMatch:
    """The positive test of one context value against the policy's values."""
    if family == "string":
        allowed = frozenset(values)
        return allowed.__contains__
    if family == "string_ic":
        lowered = frozenset(v.lower() for v in values)
        return lambda text: text.lower() in lowered
    if family == "string_like":
        return compile_globs(tuple(values))
    if family.startswith("numeric_"):
        return _ordered(_COMPARE[family[8:]], parse_number, values)
    if family.startswith("date_"):
        return _ordered(_COMPARE[family[5:]], parse_date, values)
    if family == "bool":
        wanted = {b for b in map(parse_bool, values) if b is not None}

        def match_bool(text: str) -> bool | None:
            parsed = parse_bool(text)
            return None if parsed is None else parsed in wanted
        return match_bool
    if family == "binary":
        blobs = {b for b in map(parse_binary, values) if b is not None}
        raw = frozenset(values)

        def match_binary(text: str) -> bool | None:
            decoded = parse_binary(text)
            return text in raw if decoded is None else decoded in blobs or text in raw
        return match_binary
    if family == "ip":
        networks = [n for n in map(parse_network, values) if n is not None]

        def match_ip(text: str) -> bool | None:
            address = parse_address(text)
            if address is None:
                return None
            return any(address.version == n.version and address in n for n in networks)
        return match_ip
    if family == "arn":
        patterns = [_arn_components(v) for v in values]
        usable = [p for p in patterns if p is not None]

        def match_arn(text: str) -> bool | None:
            parts = text.split(":", 5)
            if len(parts) != 6 or parts[0] != "arn":
                return None
            return any(all(m(c) for m, c in zip(p, parts, strict=True)) for p in usable)
        return match_arn
    raise ValueError(f"unknown operator family {family}")


def _ordered(compare: Callable[[Any, Any], bool], parse: Callable[[str], float | None],
             values: Sequence[str]) -> ValueMatch:
    bounds = [b for b in map(parse, values) if b is not None]

    def match(text: str) -> bool | None:
        parsed = parse(text)
        if parsed is None:
            return None
        return any(compare(parsed, b) for b in bounds)
    return match


def _arn_components(pattern: str) -> tuple[Callable[[str], bool], ...] | None:
    # ArnEquals and ArnLike compare each of the six colon-separated parts on
    # its own, so a wildcard never spans a colon except in the last part.
    parts = pattern.split(":", 5)
    if len(parts) != 6:
        return None
    return tuple(compile_glob(p) for p in parts)


def compile_condition(op: Operator, key: str, values: Sequence[str],
                      variables: bool) -> Condition:
    key_lower = key.lower()
    if op.family == "null":
        wants_missing = {b for b in map(parse_bool, values) if b is not None}

        def null(ctx: Context) -> bool:
            present = bool(ctx.get(key_lower))
            return (not present) in wants_missing
        return null

    templates: list[Template] = []
    static: list[str] = []
    for value in values:
        template = parse_template(value) if variables else None
        if template is None:
            static.append(value)
        else:
            templates.append(template)
    static_match = value_matcher(op.family, static)
    if templates:
        family = op.family

        def resolve(ctx: Context) -> ValueMatch:
            rendered = [t.render(ctx) for t in templates]
            dynamic = value_matcher(family, [r for r in rendered if r is not None])
            if family == "string_like":
                globs = [t.render_glob(ctx) for t in templates]
                globs_ok = [g for g in globs if g is not None]
                return lambda text: static_match(text) or any(g(text) for g in globs_ok)

            def both(text: str) -> bool | None:
                first = static_match(text)
                second = dynamic(text)
                if first is None and second is None:
                    return None
                return bool(first) or bool(second)
            return both
        return _assemble(op, key_lower, None, resolve)
    return _assemble(op, key_lower, static_match, None)


def _assemble(op: Operator, key_lower: str, fixed: ValueMatch | None,
              resolve: Callable[[Context], ValueMatch] | None) -> Condition:
    negated, if_exists, qualifier = op.negated, op.if_exists, op.qualifier
    missing_answer = (True if qualifier == "all" else if_exists if qualifier == "any"
                      else if_exists or negated)

    def condition(ctx: Context) -> bool:
        present = ctx.get(key_lower)
        if not present:
            return missing_answer
        match = fixed if fixed is not None else resolve(ctx)  # type: ignore[misc]
        if qualifier is None:
            if negated:
                return all(match(v) is False for v in present)
            return any(match(v) is True for v in present)
        if qualifier == "any":
            if negated:
                return any(match(v) is False for v in present)
            return any(match(v) is True for v in present)
        if negated:
            return all(match(v) is False for v in present)
        return all(match(v) is True for v in present)
    # The common case: a single-valued key and a positive operator.
    if fixed is not None and qualifier is None and not negated:
        def positive(ctx: Context) -> bool:
            present = ctx.get(key_lower)
            if not present:
                return missing_answer
            if len(present) == 1:
                return fixed(present[0]) is True
            return any(fixed(v) is True for v in present)
        return positive
    return condition
