"""The grammar of a statement's Condition block, as IAM checks it when a policy is stored.

A Condition block maps operator names to blocks of `{key: value or [values]}`.
This module knows which operator names exist (the base names of the IAM User
Guide, optionally prefixed by a set qualifier and suffixed by `IfExists`),
turns the values into the strings the evaluator compares, and checks date
values the way IAM's "legacy" parser does: a date that does not parse makes
IAM answer "The policy failed legacy parsing", after the syntax checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BASE_OPERATORS: frozenset[str] = frozenset({
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike",
    "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals",
    "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
    "DateGreaterThan", "DateGreaterThanEquals",
    "Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
    "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
    "Null",
})

SET_QUALIFIERS: tuple[str, ...] = ("ForAllValues:", "ForAnyValue:")
IF_EXISTS = "IfExists"


@dataclass(frozen=True, slots=True)
class OperatorName:
    """An operator name taken apart: `ForAnyValue:StringLikeIfExists`."""

    qualifier: str | None  # "ForAllValues" or "ForAnyValue"
    base: str  # one of BASE_OPERATORS
    if_exists: bool


def split_operator(name: str) -> OperatorName | None:
    """The parts of a known operator name, or None when IAM does not know it.

    Names are matched exactly as written: IAM stores and compares them that way.
    """
    qualifier = None
    rest = name
    for prefix in SET_QUALIFIERS:
        if rest.startswith(prefix):
            qualifier = prefix[:-1]
            rest = rest[len(prefix):]
            break
    if_exists = False
    if rest.endswith(IF_EXISTS) and rest not in BASE_OPERATORS:
        if_exists = True
        rest = rest[: -len(IF_EXISTS)]
    if rest not in BASE_OPERATORS:
        return None
    # The User Guide: IfExists can be added to any operator except Null.
    if if_exists and rest == "Null":
        return None
    return OperatorName(qualifier, rest, if_exists)


# --- Date values -----------------------------------------------------------
#
# IAM reads a date as ISO 8601 when it holds a "t" or a "-", else as seconds
# since the epoch. The bounds below are the years and the epoch range IAM's
# parser accepts; values outside them fail legacy parsing.

_MIN_YEAR = -292275054
_MAX_YEAR = 292278993
_MAX_EPOCH = 2**63 - 1

_EPOCH = re.compile(r"\+?[0-9]+")
_DATE = re.compile(r"(-?[0-9]{1,9})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?")
_TIME = re.compile(
    r"(?:([0-9]{1,2})(?::([0-9]{1,2})(?::([0-9]{1,2})(?:\.([0-9]{1,9}))?)?)?)?"
    r"(z|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)


def date_value_parses(value: str) -> bool:
    """Whether IAM's legacy parser accepts `value` for a Date operator."""
    text = value.lower()
    if "t" not in text and "-" not in text:
        if not _EPOCH.fullmatch(text):
            return False
        return int(text) <= _MAX_EPOCH
    date_text, sep, time_text = text.partition("t")
    if date_text:
        date = _DATE.fullmatch(date_text)
        if date is None or not _date_in_range(date):
            return False
    elif not sep:
        return False
    if not sep:
        return True
    time = _TIME.fullmatch(time_text)
    return time is not None and _time_in_range(time)


def _date_in_range(match: re.Match[str]) -> bool:
    year, month, day = match.groups()
    if not _MIN_YEAR <= int(year) <= _MAX_YEAR:
        return False
    if month is not None and not 1 <= int(month) <= 12:
        return False
    return day is None or 1 <= int(day) <= 31


def _time_in_range(match: re.Match[str]) -> bool:
    hours, minutes, seconds, _fraction, offset = match.groups()
    if hours is not None and int(hours) > 23:
        return False
    if minutes is not None and int(minutes) > 59:
        return False
    if seconds is not None and int(seconds) > 59:
        return False
    if offset and offset != "z":
        digits = offset[1:].replace(":", "")
        if int(digits[:2]) > 23 or (len(digits) > 2 and int(digits[2:]) > 59):
            return False
    return True
