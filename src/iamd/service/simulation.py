"""The IAM policy simulator's logic: named policies in, AWS's EvaluationResult shapes out.

A `Simulation` holds the policies of one simulated call (identity policies,
an optional permissions boundary, resource-based policy and SCP levels, each
with the JSON text it came from), the simulated caller and the context the
request gave. It compiles them into the same `PolicySet` enforcement uses and
decides every (action, resource) pair with it, so a simulated decision is the
decision a real call would get for the same policies, principal and context.
What it adds is the explanation AWS gives: the statements that matched, where
each one sits in its document (Line/Column as IAM counts them), the context
keys that relevant statements name but the request lacks, and the verdict of
each policy type. The operations (service/iam/simulator.py) gather the
policies from the store and validate the request; this module reads nothing.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from iamd.model.errors import InvalidInput
from iamd.policy import Context, PolicyDocument, PolicyKind, PolicySet, Principal, Request
from iamd.policy import parse_policy as parse_document
from iamd.policy.compiled import CompiledGroup, CompiledStatement
from iamd.policy.decision import ALLOW, EXPLICIT_DENY
from iamd.policy.document import Statement
from iamd.policy.reference import glob_lit, substitute
from iamd.policy.values import parse_date, parse_number

# SourcePolicyType as IAM answers it. The API model lists "user", "group",
# "aws-managed"..., but IAM names every identity policy "IAM Policy" (inline
# and managed alike; the AWS CLI's examples and Terraform's acceptance test
# against AWS show it), and the resource policy "Resource Policy".
IDENTITY_SOURCE = "IAM Policy"
RESOURCE_SOURCE = "Resource Policy"
BOUNDARY_SOURCE = "Permissions Boundary Policy"

RESOURCE_POLICY_ID = "ResourcePolicy"
_DECISIONS = {ALLOW: "allowed", EXPLICIT_DENY: "explicitDeny"}
_WHITESPACE = " \t\n\r"


# --- Where a statement sits in its document ---------------------------------


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    column: int

    def shape(self) -> dict[str, int]:
        return {"Line": self.line, "Column": self.column}


def statement_spans(text: str) -> tuple[tuple[Position, Position], ...]:
    """(start, end) of every statement of a valid policy document, in order.

    IAM reads documents with a streaming JSON parser and reports the parser's
    position, 1-based, *after* the token it has just consumed: a statement
    starts where the token before it ends (the `[` opening the list, the `}`
    closing the previous statement, or its own `{` when "Statement" holds one
    object, whose opening brace the parser consumes with the member name) and
    ends just after its closing `}`. AWS's answers show exactly this: for
    `{"Version":"2012-10-17","Statement":{...}}` the statement spans columns
    38 to 167, and in a compact two-statement bucket policy the second one
    starts at the column where the first ends.
    """
    decoder = json.JSONDecoder()
    offsets: list[tuple[int, int]] = []
    pos = _skip(text, 0)
    if pos >= len(text) or text[pos] != "{":
        return ()
    pos = _skip(text, pos + 1)
    while pos < len(text) and text[pos] != "}":
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
        key, pos = decoder.raw_decode(text, pos)
        pos = _skip(text, pos)
        pos = _skip(text, pos + 1)  # the colon
        value_start = pos
        _value, pos = decoder.raw_decode(text, value_start)
        if key == "Statement":  # a repeated member: the last one counts, as in json.loads
            offsets = _statement_offsets(text, value_start, pos, decoder)
        pos = _skip(text, pos)
    positions = _Lines(text)
    return tuple((positions.at(start), positions.at(end)) for start, end in offsets)


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def _statement_offsets(text: str, start: int, end: int,
                       decoder: json.JSONDecoder) -> list[tuple[int, int]]:
    if text[start] == "{":
        return [(start + 1, end)]
    offsets = []
    previous_end = start + 1  # just after "["
    pos = _skip(text, start + 1)
    while pos < end and text[pos] != "]":
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
        element, element_end = decoder.raw_decode(text, pos)
        if isinstance(element, dict):
            offsets.append((previous_end, element_end))
        previous_end = element_end
        pos = _skip(text, element_end)
    return offsets


class _Lines:
    """Offsets to (line, column) as a Java parser counts them: "\\r\\n", "\\r"
    and "\\n" each end a line, and a column counts UTF-16 code units."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        pos = 0
        while pos < len(text):
            char = text[pos]
            if char == "\r" and pos + 1 < len(text) and text[pos + 1] == "\n":
                pos += 1
            if char in "\r\n":
                self.starts.append(pos + 1)
            pos += 1

    def at(self, offset: int) -> Position:
        line = 0
        low, high = 0, len(self.starts) - 1
        while low <= high:
            middle = (low + high) // 2
            if self.starts[middle] <= offset:
                line = middle
                low = middle + 1
            else:
                high = middle - 1
        segment = self.text[self.starts[line]:offset]
        units = len(segment) + sum(1 for char in segment if ord(char) > 0xFFFF)
        return Position(line + 1, units + 1)


# --- Policies with where they came from ------------------------------------


@dataclass(frozen=True)
class SourcedPolicy:
    """One document of the simulation: its text, parsed form and SourcePolicyId.

    `policy_arn` is set for a managed policy and `holder` ("user", "group" or
    "role", the entity's name and the policy's) for an inline one, so that a
    PolicyExclusionList can find them.
    """

    source_id: str
    source_type: str
    text: str
    document: PolicyDocument
    policy_arn: str | None = None
    holder: tuple[str, str, str] | None = None

    @cached_property
    def spans(self) -> tuple[tuple[Position, Position], ...]:
        return statement_spans(self.text)

    @cached_property
    def raw_statements(self) -> tuple[Mapping[str, Any], ...]:
        body = json.loads(self.text).get("Statement")
        items = [body] if isinstance(body, Mapping) else list(body or ())
        return tuple(item for item in items if isinstance(item, Mapping))

    @property
    def variables(self) -> bool:
        return self.document.version == "2012-10-17"

    def statement_shape(self, index: int) -> dict[str, Any]:
        shape: dict[str, Any] = {"SourcePolicyId": self.source_id,
                                 "SourcePolicyType": self.source_type}
        spans = self.spans
        if index < len(spans):
            start, end = spans[index]
            shape["StartPosition"] = start.shape()
            shape["EndPosition"] = end.shape()
        return shape


def sourced(text: str, source_id: str, source_type: str, kind: PolicyKind, *,
            policy_arn: str | None = None,
            holder: tuple[str, str, str] | None = None) -> SourcedPolicy:
    """Parse `text` as `kind` (MalformedPolicyDocument as IAM words it) and name it."""
    return SourcedPolicy(source_id, source_type, text, parse_document(text, kind),
                         policy_arn, holder)


# --- Context keys -------------------------------------------------------------

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULTED = re.compile(r"^\s*([^,]*?)\s*,\s*'[^']*'\s*$")
_ESCAPED = frozenset({"*", "?", "$"})


def _variable_keys(text: str) -> Iterator[tuple[str, bool]]:
    """The context keys `${...}` variables name in `text`, and whether each has a default."""
    for match in _VARIABLE.finditer(text):
        inner = match.group(1)
        if inner in _ESCAPED:
            continue
        defaulted = _DEFAULTED.match(inner)
        if defaulted is not None:
            yield defaulted.group(1), True
        else:
            yield inner.strip(), False


def _texts(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, str)]


def statement_keys(raw: Mapping[str, Any], variables: bool) -> list[tuple[str, bool]]:
    """The context keys a statement reads, in the order its text names them.

    Condition keys, and the keys of policy variables in Resource, NotResource
    and condition values (documents of Version 2012-10-17 only: older ones
    read `${...}` literally). AWS's own example lists `aws:username`, from a
    Resource variable, before `aws:CurrentTime`, from the Condition after it.
    """
    keys: list[tuple[str, bool]] = []
    for name, value in raw.items():
        if name in ("Resource", "NotResource") and variables:
            for text in _texts(value):
                keys.extend(_variable_keys(text))
        elif name == "Condition" and isinstance(value, Mapping):
            for entries in value.values():
                if not isinstance(entries, Mapping):
                    continue
                for key, values in entries.items():
                    keys.append((key, False))
                    if variables:
                        for text in _texts(values):
                            keys.extend(_variable_keys(text))
    return keys


def context_keys(policies: Sequence[SourcedPolicy]) -> list[str]:
    """GetContextKeysFor*Policy: every key the policies read, each once (ignoring
    case, as context keys do), in the order the policies name them."""
    seen: set[str] = set()
    names: list[str] = []
    for policy in policies:
        for raw in policy.raw_statements:
            for key, _defaulted in statement_keys(raw, policy.variables):
                if key.lower() not in seen:
                    seen.add(key.lower())
                    names.append(key)
    return names


# --- ContextEntries -----------------------------------------------------------


def _is_number(text: str) -> bool:
    return parse_number(text) is not None


def _is_boolean(text: str) -> bool:
    return text.strip().lower() in ("true", "false")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True


def _is_binary(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _is_date(text: str) -> bool:
    return parse_date(text) is not None


_CHECKS = {"string": None, "numeric": _is_number, "boolean": _is_boolean, "ip": _is_ip,
           "binary": _is_binary, "date": _is_date}


def context_from_entries(entries: Sequence[Mapping[str, Any]]) -> Context:
    """The request context a simulation's ContextEntries describe.

    A `...List` type makes a multi-valued key (what ForAnyValue/ForAllValues
    test, and what a policy variable may not use); the other types take one
    value. Values are checked against their type, so that a typo is an error
    rather than a silently failing condition. A key given twice (ignoring
    case) is refused: AWS does not say which one would count.
    """
    context = Context()
    for entry in entries:
        name = entry.get("ContextKeyName")
        if not name:
            raise InvalidInput("ContextKeyName is required for every context entry.")
        values = [str(v) for v in entry.get("ContextKeyValues") or []]
        kind = entry.get("ContextKeyType") or ("string" if len(values) == 1 else "stringList")
        if name.lower() in context:
            raise InvalidInput(f"Context key {name} is specified more than once.")
        listed = kind.endswith("List")
        base = kind[:-4] if listed else kind
        check = _CHECKS.get(base)
        for value in values:
            if check is not None and not check(value):
                raise InvalidInput(f"Invalid value {value} for context key {name} of type {kind}.")
        if base == "boolean":
            values = [v.strip().lower() for v in values]
        if listed:
            context.put(name, values)
        elif len(values) != 1:
            raise InvalidInput(f"Context key {name} of type {kind} takes exactly one value; "
                               f"use {kind}List for several.")
        else:
            context.put(name, values[0])
    return context


# --- The simulation -----------------------------------------------------------


@dataclass
class _Applying:
    """The statements of one gate that apply to one request, by effect."""

    denies: list[tuple[SourcedPolicy, int]] = field(default_factory=list)
    allows: list[tuple[SourcedPolicy, int]] = field(default_factory=list)

    @property
    def decision(self) -> str:
        if self.denies:
            return "explicitDeny"
        return "allowed" if self.allows else "implicitDeny"


def _account_of(resource: str) -> str | None:
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[4]:
        return parts[4]
    return None


def _resource_may_match(statement: Statement, resource: str, context: Context,
                        variables: bool) -> bool:
    """Whether the statement could apply to `resource` once every key it reads is
    known: a pattern whose variables the context cannot fill might match."""
    patterns = statement.resource if statement.resource is not None else statement.not_resource
    if patterns is None:
        return True
    hit = unknown = False
    for pattern in patterns:
        if variables and "${" in pattern:
            resolved = substitute(pattern, context, as_pattern=True)
            if resolved is None:
                # Whatever the missing values, the text around them must match.
                unknown = unknown or glob_lit(_VARIABLE.sub(_any_value, pattern), resource)
                continue
            pattern = resolved
        hit = hit or glob_lit(pattern, resource)
    if statement.resource is not None:
        return hit or unknown
    return not hit


def _any_value(match: re.Match[str]) -> str:
    inner = match.group(1)
    return inner if inner in _ESCAPED else "*"


class Simulation:
    """The policies of one simulated call, compiled once, decided per (action, resource)."""

    def __init__(self, *, identity: Sequence[SourcedPolicy], principal: Principal,
                 context: Context, resource_owner: str,
                 boundary: SourcedPolicy | None = None,
                 resource_policy: SourcedPolicy | None = None,
                 scp: Sequence[Sequence[PolicyDocument]] = ()) -> None:
        self.identity = tuple(identity)
        self.boundary = boundary
        self.resource_policy = resource_policy
        self.principal = principal
        self.context = context
        self.resource_owner = resource_owner
        self.organizations = bool(scp)
        # The same compilation enforcement uses (permissions.policies_for):
        # documents already parsed, named, in the order they were gathered.
        self.policies = PolicySet.compile(
            identity=[(p.source_id, p.document) for p in self.identity],
            resource=((resource_policy.source_id, resource_policy.document)
                      if resource_policy is not None else None),
            permissions_boundary=((boundary.source_id, boundary.document)
                                  if boundary is not None else None),
            scp=[list(level) for level in scp])
        gates = self.policies.gates
        self._gates: list[tuple[str, Any, tuple[SourcedPolicy, ...]]] = [
            ("resource", gates.resource, (resource_policy,) if resource_policy else ()),
            ("identity", gates.identity, self.identity),
            ("boundary", gates.boundary, (boundary,) if boundary else ()),
        ]

    def request(self, action: str, resource: str) -> Request:
        """The request enforcement would decide (authorization.decide builds it
        the same way), with the resource's owner as AWS's simulator sets it."""
        owner = _account_of(resource) or self.resource_owner
        return Request(action=action, resource=resource, principal=self.principal,
                       context=self.context, resource_account=owner,
                       has_boundary=self.boundary is not None)

    def evaluate(self, action: str, resource: str) -> dict[str, Any]:
        """One EvaluationResult, members in the API model's order."""
        request = self.request(action, resource)
        decision = _DECISIONS.get(self.policies.decide(request).decision, "implicitDeny")
        applying = {name: self._applying(group, policies, request)
                    for name, group, policies in self._gates}
        matched = self._matched(applying)
        missing = self._missing(request)
        result: dict[str, Any] = {
            "EvalActionName": action, "EvalResourceName": resource, "EvalDecision": decision,
            "MatchedStatements": matched, "MissingContextValues": missing,
        }
        if self.organizations:
            result["OrganizationsDecisionDetail"] = {
                "AllowedByOrganizations": self._allowed_by_organizations(request)}
        boundary_detail = None
        if self.boundary is not None:
            boundary_detail = {"AllowedByPermissionsBoundary":
                               applying["boundary"].decision == "allowed"}
            result["PermissionsBoundaryDecisionDetail"] = boundary_detail
        details = self._details(applying) if request.cross_account else None
        # AWS: "If the simulation evaluates policies within the same account and
        # includes a resource ARN, then the parameter is present but the response
        # is empty. If [it] specifies all resources (*), then the parameter is not
        # returned."
        if details is not None:
            result["EvalDecisionDetails"] = details
        elif resource != "*":
            result["EvalDecisionDetails"] = {}
        if resource != "*":
            specific: dict[str, Any] = {
                "EvalResourceName": resource, "EvalResourceDecision": decision,
                "MatchedStatements": matched, "MissingContextValues": missing}
            if details is not None:
                specific["EvalDecisionDetails"] = details
            if boundary_detail is not None:
                specific["PermissionsBoundaryDecisionDetail"] = boundary_detail
            result["ResourceSpecificResults"] = [specific]
        return result

    def _applying(self, group: Any, policies: tuple[SourcedPolicy, ...],
                  request: Request) -> _Applying:
        found = _Applying()
        if not isinstance(group, CompiledGroup):
            return found
        denies, allows = group.candidates(request.action_lower)
        for statements, into in ((denies, found.denies), (allows, found.allows)):
            for st in statements:
                if _applies(st, request):
                    into.append((policies[st.ref.policy_index], st.ref.statement_index))
        return found

    def _matched(self, applying: Mapping[str, _Applying]) -> list[dict[str, Any]]:
        # The denying statements first, then the allowing ones: AWS lists a
        # resource policy's deny before the identity policy's allow that it
        # overrode.
        shapes = []
        for effect in ("denies", "allows"):
            for name, _group, _policies in self._gates:
                for policy, index in getattr(applying[name], effect):
                    shapes.append(policy.statement_shape(index))
        return shapes

    def _missing(self, request: Request) -> list[str]:
        """Keys that statements which could apply to this request read, and the
        context lacks. A variable with a default is never missing."""
        seen: set[str] = set()
        missing: list[str] = []
        context = request.context
        for _name, group, policies in self._gates:
            if not isinstance(group, CompiledGroup):
                continue
            denies, allows = group.candidates(request.action_lower)
            relevant = sorted((*denies, *allows),
                              key=lambda st: (st.ref.policy_index, st.ref.statement_index))
            for st in relevant:
                if st.principal is not None and st.principal.match(request.principal) is None:
                    continue
                policy = policies[st.ref.policy_index]
                index = st.ref.statement_index
                statement = policy.document.statements[index]
                if not _resource_may_match(statement, request.resource, context, policy.variables):
                    continue
                raw = policy.raw_statements[index] if index < len(policy.raw_statements) else {}
                for key, defaulted in statement_keys(raw, policy.variables):
                    lower = key.lower()
                    if defaulted or lower in context or lower in seen:
                        continue
                    seen.add(lower)
                    missing.append(key)
        return missing

    def _details(self, applying: Mapping[str, _Applying]) -> dict[str, str]:
        """EvalDecisionDetails of a cross-account simulation: each policy type's
        own verdict (AWS: "how each policy type contributes to the final
        evaluation decision")."""
        details = {IDENTITY_SOURCE: applying["identity"].decision,
                   RESOURCE_SOURCE: applying["resource"].decision}
        if self.boundary is not None:
            details[BOUNDARY_SOURCE] = applying["boundary"].decision
        return details

    def _allowed_by_organizations(self, request: Request) -> bool:
        gates = self.policies.gates
        if any(level.find_deny(request) is not None for level in gates.scp):
            return False
        return all(level.find_allow(request) is not None for level in gates.scp)


def _applies(st: CompiledStatement, request: Request) -> bool:
    if st.principal is not None and st.principal.match(request.principal) is None:
        return False
    return st.applies(request)
