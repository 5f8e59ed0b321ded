"""The reference engine: the policy language read literally, slow and plain.

Nothing is compiled, indexed or cached: each request walks every statement of
every policy and re-reads every value. Property tests check that the compiled
engine agrees with this one on every request they can think of; both share
only the gate order (decision.py) and the value parsers (values.py).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from iamd.policy.decision import StatementRef
from iamd.policy.document import PolicyDocument, Statement
from iamd.policy.operators import parse_operator
from iamd.policy.principals import ACCOUNT, DIRECT, ROLE
from iamd.policy.request import ASSUMED_ROLE, Context, Request
from iamd.policy.values import parse_binary, parse_bool, parse_date, parse_number


def glob_match(pattern: str, text: str) -> bool:
    """`*` any run, `?` one character; plain dynamic programming over both strings."""
    reachable = {0}
    for char in text:
        nxt = set()
        for i in reachable:
            # Skip over any stars first: they may match nothing.
            j = i
            while j < len(pattern) and pattern[j] == "*":
                nxt.add(j)
                j += 1
            if j < len(pattern) and (pattern[j] == "?" or pattern[j] == char):
                nxt.add(j + 1)
        reachable = nxt
        if not reachable:
            return False
    return any(all(c == "*" for c in pattern[i:]) for i in reachable)


def substitute(value: str, ctx: Context, as_pattern: bool) -> str | None:
    """Replace ${...} variables; for patterns, substituted text is made literal."""
    out = ""
    rest = value
    while "${" in rest:
        start = rest.index("${")
        end = rest.find("}", start)
        if end < 0:
            break
        out += rest[:start]
        inner = rest[start + 2:end]
        rest = rest[end + 1:]
        if inner in ("*", "?", "$"):
            out += _literal(inner, as_pattern)
            continue
        default = None
        if "," in inner:
            name, _, tail = inner.partition(",")
            tail = tail.strip()
            if len(tail) >= 2 and tail[0] == "'" and tail[-1] == "'":
                inner, default = name, tail[1:-1]
        values = ctx.get(inner.strip().lower())
        if values is not None and len(values) == 1 and inner.strip().lower() not in ctx.multi:
            out += _literal(values[0], as_pattern)
        elif default is not None:
            out += _literal(default, as_pattern)
        else:
            return None
    return out + rest


_MARKERS = {"*": "\x00", "?": "\x01"}


def _literal(text: str, as_pattern: bool) -> str:
    # Substituted wildcards must match themselves only: mark them with
    # characters that never appear in policies, which glob_lit understands.
    if not as_pattern:
        return text
    return "".join(_MARKERS.get(c, c) for c in text)


def glob_lit(pattern: str, text: str) -> bool:
    """glob_match where the marked characters stand for literal * and ?."""
    if "\x00" not in pattern and "\x01" not in pattern:
        return glob_match(pattern, text)
    # Replace the literal star/question with placeholders in the text too.
    return glob_match(pattern, text.replace("*", "\x00").replace("?", "\x01"))


def matches_value(family: str, ctx_value: str, policy_value: str) -> bool | None:
    """One context value against one policy value, positive sense; None if unparseable."""
    if family == "string":
        return ctx_value == policy_value
    if family == "string_ic":
        return ctx_value.lower() == policy_value.lower()
    if family == "string_like":
        return glob_lit(policy_value, ctx_value)
    if family.startswith(("numeric_", "date_")):
        parse = parse_number if family.startswith("numeric_") else parse_date
        left, right = parse(ctx_value), parse(policy_value)
        if left is None:
            return None
        if right is None:
            return False
        how = family.split("_")[1]
        return {"eq": left == right, "lt": left < right, "le": left <= right,
                "gt": left > right, "ge": left >= right}[how]
    if family == "bool":
        got = parse_bool(ctx_value)
        return None if got is None else got == parse_bool(policy_value)
    if family == "binary":
        a, b = parse_binary(ctx_value), parse_binary(policy_value)
        return ctx_value == policy_value or (a is not None and a == b)
    if family == "ip":
        try:
            address = ipaddress.ip_address(ctx_value.strip())
        except ValueError:
            return None
        try:
            network = ipaddress.ip_network(policy_value.strip(), strict=False)
        except ValueError:
            return False
        return address.version == network.version and address in network
    if family == "arn":
        arn_parts = ctx_value.split(":", 5)
        pattern_parts = policy_value.split(":", 5)
        if len(arn_parts) != 6 or arn_parts[0] != "arn":
            return None
        return len(pattern_parts) == 6 and all(
            glob_lit(w, g) for w, g in zip(pattern_parts, arn_parts, strict=True))
    raise ValueError(family)


def condition_holds(op_text: str, key: str, values: Sequence[str], ctx: Context,
                    variables: bool) -> bool:
    op = parse_operator(op_text)
    if op is None:
        return False
    present = ctx.get(key.lower()) or ()
    if op.family == "null":
        return any(parse_bool(v) == (not present) for v in values)
    if not present:
        if op.qualifier == "all":
            return True
        if op.qualifier == "any":
            return op.if_exists
        return op.if_exists or op.negated
    resolved = []
    for value in values:
        if variables and "${" in value:
            value_or_none = substitute(value, ctx, op.family in ("string_like", "arn"))
            if value_or_none is None:
                continue
            value = value_or_none
        resolved.append(value)

    def positive(ctx_value: str) -> bool | None:
        if _unparseable(op.family, ctx_value):
            return None
        return any(matches_value(op.family, ctx_value, v) is True for v in resolved)

    def satisfied(ctx_value: str) -> bool:
        answer = positive(ctx_value)
        return answer is False if op.negated else answer is True

    if op.qualifier == "any":
        return any(satisfied(v) for v in present)
    if op.qualifier == "all" or op.negated:
        return all(satisfied(v) for v in present)
    return any(satisfied(v) for v in present)


def _unparseable(family: str, ctx_value: str) -> bool:
    if family.startswith("numeric_"):
        return parse_number(ctx_value) is None
    if family.startswith("date_"):
        return parse_date(ctx_value) is None
    if family == "bool":
        return parse_bool(ctx_value) is None
    if family == "ip":
        try:
            ipaddress.ip_address(ctx_value.strip())
        except ValueError:
            return True
        return False
    if family == "arn":
        parts = ctx_value.split(":", 5)
        return len(parts) != 6 or parts[0] != "arn"
    return False


def principal_kind(element: Mapping[str, tuple[str, ...]], request: Request) -> str | None:
    principal = request.principal
    if "*" in element.get("*", ()):
        return DIRECT
    if principal.arn is None:
        if principal.service is not None:
            wanted = [s.lower() for s in element.get("Service", ())]
            return DIRECT if principal.service.lower() in wanted else None
        if principal.federated is not None:
            return DIRECT if principal.federated in element.get("Federated", ()) else None
        if principal.canonical_user is not None:
            return DIRECT if principal.canonical_user in element.get("CanonicalUser", ()) else None
        return None
    found = None
    for value in element.get("AWS", ()):
        if value == "*" or value == principal.arn:
            return DIRECT
        if principal.kind == ASSUMED_ROLE and value == principal.role_arn:
            found = ROLE
        elif (found is None and value in (principal.account,
                                         f"arn:aws:iam::{principal.account}:root")) or (found is None and value.startswith("arn:") and value.endswith(f":iam::{principal.account}:root")):
            found = ACCOUNT
    return found


def not_principal_exempts(element: Mapping[str, tuple[str, ...]], request: Request) -> bool:
    """Every level of the caller (account, user or role, session) must be listed."""
    principal = request.principal
    if request.has_boundary:
        return False
    if "*" in element.get("*", ()):
        return True
    if principal.arn is None:
        return principal_kind(element, request) is not None
    listed = set(element.get("AWS", ()))
    if "*" in listed:
        return True
    account_listed = principal.account in listed or any(
        v.startswith("arn:") and v.endswith(f":iam::{principal.account}:root") for v in listed)
    if not account_listed:
        return False
    if principal.kind == "root":
        return True
    if principal.kind == ASSUMED_ROLE:
        return principal.role_arn in listed and principal.arn in listed
    return principal.arn in listed


def statement_applies(statement: Statement, request: Request, variables: bool) -> str | None:
    """None if the statement does not apply, else how it names the caller."""
    action = request.action.lower()
    if statement.action is not None:
        if not any(glob_match(a.lower(), action) for a in statement.action):
            return None
    elif any(glob_match(a.lower(), action) for a in statement.not_action or ()):
        return None
    patterns = statement.resource if statement.resource is not None else statement.not_resource
    if patterns is not None:
        hit = False
        for pattern in patterns:
            if variables and "${" in pattern:
                resolved = substitute(pattern, request.context, as_pattern=True)
                if resolved is None:
                    continue
                pattern = resolved
            if glob_lit(pattern, request.resource):
                hit = True
        if hit == (statement.resource is None):
            return None
    kind = DIRECT
    if statement.principal is not None:
        named = principal_kind(statement.principal, request)
        if named is None:
            return None
        kind = named
    if statement.not_principal is not None and not_principal_exempts(statement.not_principal, request):
        return None
    for op_text, key, values in statement.conditions:
        if not condition_holds(op_text, key, values, request.context, variables):
            return None
    return kind


@dataclass(frozen=True)
class ReferenceGroup:
    policy_type: str
    documents: Sequence[tuple[PolicyDocument, str | None]]
    level: int | None = None

    def _matches(self, request: Request, effect: str) -> list[tuple[StatementRef, str]]:
        found = []
        for policy_index, (document, name) in enumerate(self.documents):
            variables = document.version == "2012-10-17"
            for index, statement in enumerate(document.statements):
                if statement.effect != effect:
                    continue
                kind = statement_applies(statement, request, variables)
                if kind is not None:
                    found.append((StatementRef(self.policy_type, policy_index, name or document.id,
                                               index, statement.sid, effect, self.level), kind))
        return found

    def find_deny(self, request: Request) -> StatementRef | None:
        found = self._matches(request, "Deny")
        return found[0][0] if found else None

    def find_allow(self, request: Request) -> StatementRef | None:
        found = self._matches(request, "Allow")
        return found[0][0] if found else None

    def find_allows(self, request: Request) -> list[tuple[StatementRef, str]]:
        return self._matches(request, "Allow")
