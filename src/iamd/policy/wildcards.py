"""Wildcard matching for actions, resources, principals and condition values.

`*` matches any run of characters (also across `:` and `/`), `?` exactly one.
Actions compare case-insensitively, everything else case-sensitively. A
pattern is compiled once into the cheapest test that decides it: equality,
prefix, or a regular expression.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Matcher = Callable[[str], bool]


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


def glob_regex_source(pattern: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


def compile_glob(pattern: str, ignore_case: bool = False) -> Matcher:
    """A matcher for `pattern`. With ignore_case, callers pass lowercased text."""
    if ignore_case:
        pattern = pattern.lower()
    if pattern == "*":
        return _always
    if not has_wildcard(pattern):
        return pattern.__eq__
    if pattern.endswith("*") and not has_wildcard(pattern[:-1]):
        prefix = pattern[:-1]
        return lambda text: text.startswith(prefix)
    regex = re.compile(glob_regex_source(pattern), re.DOTALL)
    fullmatch = regex.fullmatch
    return lambda text: fullmatch(text) is not None


def compile_globs(patterns: tuple[str, ...], ignore_case: bool = False) -> Matcher:
    """One matcher that is true when any of `patterns` matches."""
    if any(p == "*" for p in patterns):
        return _always
    exact = frozenset(p.lower() if ignore_case else p for p in patterns if not has_wildcard(p))
    wild = [p for p in patterns if has_wildcard(p)]
    if not wild:
        if len(exact) == 1:
            (only,) = exact
            return only.__eq__
        return exact.__contains__
    if len(wild) == 1 and not exact:
        return compile_glob(wild[0], ignore_case)
    source = "|".join(glob_regex_source(p.lower() if ignore_case else p) for p in wild)
    fullmatch = re.compile(f"(?:{source})", re.DOTALL).fullmatch
    if not exact:
        return lambda text: fullmatch(text) is not None
    return lambda text: text in exact or fullmatch(text) is not None


def _always(text: str) -> bool:
    return True
