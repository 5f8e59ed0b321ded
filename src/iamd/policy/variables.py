"""Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, `${*}`.

Only documents of Version 2012-10-17 have variables; older ones read `${...}`
literally. A variable takes the value of the single-valued context key it
names; when the key is missing (and no default is given) the value holding it
cannot match, so rendering answers None. `${*}`, `${?}` and `${$}` stand for
the literal characters, which must not act as wildcards once substituted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from iamd.policy.request import Context
from iamd.policy.wildcards import Matcher, glob_regex_source

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}
_DEFAULT = re.compile(r"^\s*([^,\s][^,]*?)\s*,\s*'([^']*)'\s*$")


@dataclass(frozen=True, slots=True)
class Variable:
    key_lower: str
    default: str | None


@dataclass(frozen=True, slots=True)
class Escaped:
    char: str


class Template:
    """Text with variables. Matchers for rendered patterns are cached by the
    variables' values: a compiled part, so the cache stays small and safe."""

    __slots__ = ("_globs", "_keys", "parts")

    def __init__(self, parts: tuple[str | Variable | Escaped, ...]) -> None:
        self.parts = parts
        self._keys = tuple(p for p in parts if isinstance(p, Variable))
        self._globs: dict[tuple[str, ...], Matcher] = {}

    def _values(self, ctx: Context) -> tuple[str, ...] | None:
        values = []
        for variable in self._keys:
            value = ctx.single(variable.key_lower)
            if value is None:
                value = variable.default
            if value is None:
                return None
            values.append(value)
        return tuple(values)

    def render(self, ctx: Context) -> str | None:
        """The value with variables substituted, or None if one cannot be."""
        values = self._values(ctx)
        if values is None:
            return None
        substituted = iter(values)
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, Escaped):
                out.append(part.char)
            else:
                out.append(next(substituted))
        return "".join(out)

    def render_glob(self, ctx: Context) -> Matcher | None:
        """A wildcard matcher where only the policy's own text holds wildcards."""
        values = self._values(ctx)
        if values is None:
            return None
        matcher = self._globs.get(values)
        if matcher is None:
            if len(self._globs) >= 1024:
                self._globs.clear()
            matcher = self._globs[values] = self._compile_glob(values)
        return matcher

    def _compile_glob(self, values: tuple[str, ...]) -> Matcher:
        substituted = iter(values)
        source = []
        for part in self.parts:
            if isinstance(part, str):
                source.append(glob_regex_source(part))
            else:
                value = part.char if isinstance(part, Escaped) else next(substituted)
                source.append(re.escape(value))
        fullmatch = _regex("".join(source)).fullmatch
        return lambda text: fullmatch(text) is not None


@lru_cache(maxsize=8192)
def _regex(source: str) -> re.Pattern[str]:
    return re.compile(source, re.DOTALL)


def parse_template(text: str) -> Template | None:
    """A Template when `text` holds variables, else None (plain text)."""
    if "${" not in text:
        return None
    parts: list[str | Variable | Escaped] = []
    pos = 0
    for m in _VARIABLE.finditer(text):
        if m.start() > pos:
            parts.append(text[pos:m.start()])
        inner = m.group(1)
        if inner in _ESCAPES:
            parts.append(Escaped(_ESCAPES[inner]))
        else:
            dm = _DEFAULT.match(inner)
            if dm:
                parts.append(Variable(dm.group(1).strip().lower(), dm.group(2)))
            else:
                parts.append(Variable(inner.strip().lower(), None))
        pos = m.end()
    if pos < len(text):
        parts.append(text[pos:])
    return Template(tuple(parts))
