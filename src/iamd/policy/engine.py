"""The engine's entry points: compile the policies that apply once, decide many requests.

`PolicySet.compile(...)` takes the documents of each gate (JSON text, dicts
or parsed `PolicyDocument`s, optionally named) and returns an object whose
`decide(request)` gives a `Decision`. `evaluate_request` is the command-line
contract of docs/policy-engine.md as a function of JSON values.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from iamd.model.errors import AwsError, MalformedPolicyDocument
from iamd.policy.compiled import CompiledGroup
from iamd.policy.decision import (
    BOUNDARY,
    IDENTITY,
    RCP,
    RESOURCE,
    SCP,
    SESSION,
    Decision,
    Gates,
    decide,
)
from iamd.policy.document import PolicyDocument, parse_policy
from iamd.policy.kinds import PolicyKind
from iamd.policy.reference import ReferenceGroup
from iamd.policy.request import InvalidRequest, Request

PolicyInput = str | Mapping[str, Any] | PolicyDocument
NamedPolicy = PolicyInput | tuple[str, PolicyInput]

# The kind each gate's documents are checked as. Identity documents may come
# from any identity place, so they get the most generous identity limit.
_GATE_KINDS = {
    IDENTITY: PolicyKind.ROLE_INLINE,
    BOUNDARY: PolicyKind.MANAGED,
    SESSION: PolicyKind.ROLE_INLINE,
    RESOURCE: PolicyKind.RESOURCE,
    SCP: PolicyKind.SCP,
    RCP: PolicyKind.RCP,
}


def _document(policy: NamedPolicy, gate: str) -> tuple[PolicyDocument, str | None]:
    name = None
    if isinstance(policy, tuple):
        name, policy = policy
    if isinstance(policy, PolicyDocument):
        return policy, name
    return parse_policy(policy, _GATE_KINDS[gate]), name


def _resource_document(policy: NamedPolicy) -> tuple[tuple[PolicyDocument, str | None], bool]:
    """A resource-based policy, or a role trust policy (which has no Resource element)."""
    try:
        return _document(policy, RESOURCE), False
    except MalformedPolicyDocument as first:
        name, raw = policy if isinstance(policy, tuple) else (None, policy)
        try:
            return (parse_policy(raw, PolicyKind.TRUST), name), True  # type: ignore[arg-type]
        except MalformedPolicyDocument:
            raise first from None


GroupFactory = Callable[[str, Sequence[tuple[PolicyDocument, str | None]], int | None], Any]


def _compiled(gate: str, docs: Sequence[tuple[PolicyDocument, str | None]],
              level: int | None) -> CompiledGroup:
    return CompiledGroup.from_documents(gate, docs, level)


def _reference(gate: str, docs: Sequence[tuple[PolicyDocument, str | None]],
               level: int | None) -> ReferenceGroup:
    return ReferenceGroup(gate, tuple(docs), level)


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Every policy that applies to a principal (and a resource), compiled."""

    gates: Gates
    # Whether any of its documents mentions a resource's tags (a condition
    # key or a policy variable aws:ResourceTag/... or iam:ResourceTag/...):
    # when none does, no decision of this set can depend on them, and the
    # caller may leave the target's tags unread.
    reads_resource_tags: bool = True
    # Whether any of its documents reads the request's context at all (a
    # condition, or a policy variable in a resource or principal): when none
    # does, every decision of this set is the same whatever the context, and
    # the caller may leave it unbuilt (Context()).
    reads_context: bool = True

    @classmethod
    def compile(cls, identity: Sequence[NamedPolicy] = (), resource: NamedPolicy | None = None,
                permissions_boundary: NamedPolicy | None = None,
                session: Sequence[NamedPolicy] = (),
                scp: Sequence[Sequence[NamedPolicy]] = (),
                rcp: Sequence[Sequence[NamedPolicy]] = (),
                reference: bool = False) -> PolicySet:
        make: GroupFactory = _reference if reference else _compiled
        resource_doc, is_trust = (_resource_document(resource) if resource is not None
                                  else (None, False))
        identity_docs = [_document(p, IDENTITY) for p in identity]
        boundary_doc = (_document(permissions_boundary, BOUNDARY)
                        if permissions_boundary is not None else None)
        session_docs = [_document(p, SESSION) for p in session]
        scp_docs = [[_document(p, SCP) for p in level] for level in scp]
        rcp_docs = [[_document(p, RCP) for p in level] for level in rcp]
        every = [*identity_docs, *session_docs, *(d for level in scp_docs for d in level),
                 *(d for level in rcp_docs for d in level),
                 *(d for d in (resource_doc, boundary_doc) if d is not None)]
        return cls(Gates(
            identity=make(IDENTITY, identity_docs, None),
            resource=make(RESOURCE, [resource_doc], None) if resource_doc is not None else None,
            resource_required=is_trust,
            boundary=make(BOUNDARY, [boundary_doc], None) if boundary_doc is not None else None,
            session=make(SESSION, session_docs, None) if session else None,
            scp=tuple(make(SCP, level, i) for i, level in enumerate(scp_docs)),
            rcp=tuple(make(RCP, level, i) for i, level in enumerate(rcp_docs)),
        ), reads_resource_tags=any(_mentions_resource_tags(d) for d, _ in every),
            reads_context=any(_reads_context(d) for d, _ in every))

    def decide(self, request: Request) -> Decision:
        if self.gates.boundary is not None and not request.has_boundary:
            request = replace(request, has_boundary=True)
        return decide(request, self.gates)


def _reads_context(document: PolicyDocument) -> bool:
    """A condition, or a policy variable where one is substituted."""
    for statement in document.statements:
        if statement.conditions:
            return True
        texts = [*(statement.resource or ()), *(statement.not_resource or ())]
        for principals in (statement.principal, statement.not_principal):
            for values in (principals or {}).values():
                texts += values
        if any("${" in text for text in texts):
            return True
    return False


def _mentions_resource_tags(document: PolicyDocument) -> bool:
    """A resource tag named anywhere a request's context is read: a condition
    key, or a variable in a condition value or a resource."""
    for statement in document.statements:
        texts = [*(statement.resource or ()), *(statement.not_resource or ())]
        for _operator, key, values in statement.conditions:
            texts += [key, *values]
        if any("resourcetag/" in text.lower() for text in texts):
            return True
    return False


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidRequest(f"policies.{what} must be a list")
    return value


def policy_set_from_json(policies: Any, reference: bool = False) -> PolicySet:
    if policies is None:
        policies = {}
    if not isinstance(policies, Mapping):
        raise InvalidRequest("request.policies must be an object")
    unknown = set(policies) - {"identity", "resource", "permissions_boundary", "session", "scp", "rcp"}
    if unknown:
        raise InvalidRequest(f"unknown policies field(s): {', '.join(sorted(unknown))}")
    levels = {}
    for gate in ("scp", "rcp"):
        levels[gate] = [_list(level, f"{gate} level") for level in _list(policies.get(gate), gate)]
    return PolicySet.compile(
        identity=_list(policies.get("identity"), "identity"),
        resource=policies.get("resource"),
        permissions_boundary=policies.get("permissions_boundary"),
        session=_list(policies.get("session"), "session"),
        scp=levels["scp"], rcp=levels["rcp"], reference=reference)


def evaluate_request(request: Mapping[str, Any] | str, reference: bool = False) -> dict[str, Any]:
    """Decide one request of the command-line contract; errors become a result too."""
    return BatchEvaluator(reference, capacity=0).evaluate(request)


_DECODER = json.JSONDecoder()
_SPACE = " \t\n\r"


def _object_and_policies_text(line: str) -> tuple[Any, str | None]:
    """The line's JSON value and, when it is an object, the exact text of its
    "policies" member (None without one): the cache key, taken while
    decoding, instead of printing the decoded value again (for a corpus
    line of policy documents that costs twice the decoding). Anything
    irregular is left to json.loads, which also words the error."""
    try:
        at = len(line) - len(line.lstrip(_SPACE))
        if line[at:at + 1] != "{":
            return json.loads(line), None
        members: dict[str, Any] = {}
        text = None
        at += 1
        while line[at] in _SPACE:
            at += 1
        while line[at] != "}":
            key, at = json.decoder.scanstring(line, at + 1)  # type: ignore[attr-defined]
            while line[at] in _SPACE:
                at += 1
            if line[at] != ":":
                raise ValueError("expected ':'")
            at += 1
            while line[at] in _SPACE:
                at += 1
            value, end = _DECODER.raw_decode(line, at)
            if key == "policies":
                text = line[at:end]
            members[key] = value
            at = end
            while line[at] in _SPACE:
                at += 1
            if line[at] == ",":
                at += 1
                while line[at] in _SPACE:
                    at += 1
                if line[at] == "}":
                    raise ValueError("a member expected after ','")
            elif line[at] != "}":
                raise ValueError("expected ',' or '}'")
        if line[at + 1:].strip(_SPACE):
            raise ValueError("extra data")
        return members, text
    except (ValueError, IndexError):
        return json.loads(line), None


class BatchEvaluator:
    """The command-line contract over many requests, compiling each distinct
    set of policies once.

    Requests of a batch (a test corpus, JSON Lines) often share their
    policies; the compiled set is kept under the exact text of the request's
    `policies` member (the same text is the same value), which is all it
    depends on, for the `capacity` most recent distinct sets; a request given
    as a mapping is keyed by the value's repr (exact for JSON values, where a
    string and a number or a boolean never print alike). The same policies
    written differently only compile twice. A set that does not compile is
    compiled again (and fails the same way) each time."""

    def __init__(self, reference: bool = False, capacity: int = 256) -> None:
        self.reference = reference
        self.capacity = capacity
        self._sets: dict[str, PolicySet] = {}

    def _policy_set(self, policies: Any, text: str | None = None) -> PolicySet:
        if self.capacity <= 0:
            return policy_set_from_json(policies, self.reference)
        key = text if text is not None else repr(policies)
        found = self._sets.pop(key, None)
        if found is None:
            found = policy_set_from_json(policies, self.reference)
            if len(self._sets) >= self.capacity:
                del self._sets[next(iter(self._sets))]  # the least recently used
        self._sets[key] = found
        return found

    def evaluate(self, request: Mapping[str, Any] | str) -> dict[str, Any]:
        """Decide one request; errors become a result too."""
        try:
            text = None
            if isinstance(request, str):
                data, text = _object_and_policies_text(request)
            else:
                data = request
            if not isinstance(data, Mapping):
                raise InvalidRequest("a request must be a JSON object")
            parsed = Request.from_json(data)
            return self._policy_set(data.get("policies"), text).decide(parsed).to_json()
        except json.JSONDecodeError as exc:
            return {"error": {"code": "InvalidRequest", "message": f"not JSON: {exc}"}}
        except AwsError as exc:
            return {"error": {"code": exc.code, "message": exc.message}}
