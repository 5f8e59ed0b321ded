"""The condition operators of the policy language, as data.

An operator name such as `ForAnyValue:StringNotLikeIfExists` decomposes into
a set qualifier (`any`/`all`/none), a family (what comparison), whether the
family's answer is negated, and whether a missing key counts as a match.
"""

from __future__ import annotations

from dataclasses import dataclass

# name -> (family, negated)
BASE_OPERATORS: dict[str, tuple[str, bool]] = {
    "StringEquals": ("string", False),
    "StringNotEquals": ("string", True),
    "StringEqualsIgnoreCase": ("string_ic", False),
    "StringNotEqualsIgnoreCase": ("string_ic", True),
    "StringLike": ("string_like", False),
    "StringNotLike": ("string_like", True),
    "NumericEquals": ("numeric_eq", False),
    "NumericNotEquals": ("numeric_eq", True),
    "NumericLessThan": ("numeric_lt", False),
    "NumericLessThanEquals": ("numeric_le", False),
    "NumericGreaterThan": ("numeric_gt", False),
    "NumericGreaterThanEquals": ("numeric_ge", False),
    "DateEquals": ("date_eq", False),
    "DateNotEquals": ("date_eq", True),
    "DateLessThan": ("date_lt", False),
    "DateLessThanEquals": ("date_le", False),
    "DateGreaterThan": ("date_gt", False),
    "DateGreaterThanEquals": ("date_ge", False),
    "Bool": ("bool", False),
    "BinaryEquals": ("binary", False),
    "IpAddress": ("ip", False),
    "NotIpAddress": ("ip", True),
    "ArnEquals": ("arn", False),
    "ArnLike": ("arn", False),
    "ArnNotEquals": ("arn", True),
    "ArnNotLike": ("arn", True),
    "Null": ("null", False),
}

_BY_LOWER = {name.lower(): name for name in BASE_OPERATORS}


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    family: str
    negated: bool
    if_exists: bool
    qualifier: str | None  # "any" (ForAnyValue), "all" (ForAllValues) or None


def parse_operator(text: str) -> Operator | None:
    """Decompose an operator name; None when it is not one AWS knows."""
    qualifier = None
    rest = text
    prefix, sep, tail = text.partition(":")
    if sep:
        lowered = prefix.lower()
        if lowered == "foranyvalue":
            qualifier = "any"
        elif lowered == "forallvalues":
            qualifier = "all"
        else:
            return None
        rest = tail
    if_exists = False
    if rest.lower().endswith("ifexists"):
        if_exists = True
        rest = rest[: -len("IfExists")]
    name = _BY_LOWER.get(rest.lower())
    if name is None or (if_exists and name == "Null"):
        return None
    family, negated = BASE_OPERATORS[name]
    return Operator(text, family, negated, if_exists, qualifier)
