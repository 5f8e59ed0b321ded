"""The fast engine: policies compiled once, statements indexed by action.

Every statement becomes one closure that tests resource, principal and
conditions with matchers built at compile time. A policy group keeps, per
action (lowercased), the statements whose Action/NotAction can apply, split
into denies and allows; that cache holds compiled parts only, never a
decision, so every request is still decided in full.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from iamd.policy.conditions import Condition, compile_condition
from iamd.policy.decision import StatementRef
from iamd.policy.document import PolicyDocument, Statement
from iamd.policy.operators import parse_operator
from iamd.policy.principals import DIRECT, PrincipalMatcher
from iamd.policy.request import Context, Request
from iamd.policy.variables import Template, parse_template
from iamd.policy.wildcards import Matcher, compile_globs, has_wildcard

_CACHE_LIMIT = 8192
ResourceTest = Callable[[str, Context], bool]


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    ref: StatementRef
    allow: bool
    services: frozenset[str] | None  # services its Action can name; None: any
    action_applies: Matcher  # on the lowercased action, NotAction already folded in
    applies: Callable[[Request], bool]  # resource, NotPrincipal and conditions
    principal: PrincipalMatcher | None


def compile_statement(statement: Statement, ref: StatementRef, version: str | None) -> CompiledStatement:
    variables = version == "2012-10-17"
    if statement.action is not None:
        actions = compile_globs(statement.action, ignore_case=True)
        action_applies = actions
        services = _services(statement.action)
    else:
        excluded = compile_globs(statement.not_action or (), ignore_case=True)
        action_applies = lambda action: not excluded(action)  # noqa: E731
        services = None
    resource, plain = _resource_test(statement, variables)
    not_principal = (PrincipalMatcher.compile(statement.not_principal)
                     if statement.not_principal is not None else None)
    conditions = tuple(_conditions(statement, variables))
    applies = _applies(resource, plain, not_principal, conditions)
    principal = (PrincipalMatcher.compile(statement.principal)
                 if statement.principal is not None else None)
    return CompiledStatement(ref, statement.effect == "Allow", services, action_applies,
                             applies, principal)


def _services(actions: Iterable[str]) -> frozenset[str] | None:
    services = set()
    for action in actions:
        service = action.split(":", 1)[0].lower()
        if action == "*" or has_wildcard(service):
            return None
        services.add(service)
    return frozenset(services)


def _resource_test(statement: Statement, variables: bool
                   ) -> tuple[ResourceTest | None, Matcher | None]:
    """The statement's resource test, and when its Resource holds no policy
    variable, the matcher alone: that needs only the resource, not the context."""
    patterns = statement.resource if statement.resource is not None else statement.not_resource
    if patterns is None:
        return None, None  # trust policies name no resource: the role itself
    negate = statement.resource is None
    static: list[str] = []
    templates: list[Template] = []
    for pattern in patterns:
        template = parse_template(pattern) if variables else None
        if template is None:
            static.append(pattern)
        else:
            templates.append(template)
    static_match = compile_globs(tuple(static)) if static else None
    if not templates:
        assert static_match is not None
        if negate:
            return (lambda resource, ctx: not static_match(resource)), None
        return (lambda resource, ctx: static_match(resource)), static_match

    def test(resource: str, ctx: Context) -> bool:
        hit = static_match is not None and static_match(resource)
        if not hit:
            for template in templates:
                matcher = template.render_glob(ctx)
                if matcher is not None and matcher(resource):
                    hit = True
                    break
        return hit != negate
    return test, None


def _conditions(statement: Statement, variables: bool) -> Iterable[Condition]:
    for op_text, key, values in statement.conditions:
        op = parse_operator(op_text)
        if op is None:  # the parser refuses these; never match if one slips through
            yield lambda ctx: False
            continue
        yield compile_condition(op, key, values, variables)


def _applies(resource: ResourceTest | None, plain: Matcher | None,
             not_principal: PrincipalMatcher | None,
             conditions: tuple[Condition, ...]) -> Callable[[Request], bool]:
    if not_principal is None and len(conditions) <= 2 and plain is not None:
        # The commonest shapes of all: one call fewer per statement tried.
        if not conditions:
            return lambda request: plain(request.resource)
        if len(conditions) == 1:
            (one,) = conditions
            return lambda request: plain(request.resource) and one(request.context)
        cond_a, cond_b = conditions
        return lambda request: (plain(request.resource) and cond_a(request.context)
                                and cond_b(request.context))
    if not_principal is None and len(conditions) <= 2 and resource is not None:
        # Specialised forms of the common shapes: fewer calls per request.
        if not conditions:
            return lambda request: resource(request.resource, request.context)
        if len(conditions) == 1:
            (only,) = conditions
            return lambda request: (resource(request.resource, request.context)
                                    and only(request.context))
        first, second = conditions
        return lambda request: (resource(request.resource, request.context)
                                and first(request.context) and second(request.context))

    def applies(request: Request) -> bool:
        if resource is not None and not resource(request.resource, request.context):
            return False
        if not_principal is not None and not_principal.exempts(request.principal, request.has_boundary):
            return False
        ctx = request.context
        return all(condition(ctx) for condition in conditions)
    return applies


class CompiledGroup:
    """The compiled statements of one gate's policies, with a per-action index."""

    __slots__ = ("_by_action", "_by_service", "_principals", "_wild", "statements")

    def __init__(self, statements: Sequence[CompiledStatement]) -> None:
        self.statements = tuple(statements)
        self._principals = any(st.principal is not None for st in self.statements)
        self._by_service: dict[str, list[CompiledStatement]] = {}
        self._wild: list[CompiledStatement] = []
        for st in self.statements:
            if st.services is None:
                self._wild.append(st)
            else:
                for service in st.services:
                    self._by_service.setdefault(service, []).append(st)
        self._by_action: dict[str, tuple[tuple[CompiledStatement, ...],
                                         tuple[CompiledStatement, ...]]] = {}

    @classmethod
    def from_documents(cls, policy_type: str, documents: Sequence[tuple[PolicyDocument, str | None]],
                       level: int | None = None) -> CompiledGroup:
        statements = []
        for policy_index, (document, name) in enumerate(documents):
            for index, statement in enumerate(document.statements):
                ref = StatementRef(policy_type, policy_index, name or document.id, index,
                                   statement.sid, statement.effect, level)
                statements.append(compile_statement(statement, ref, document.version))
        return cls(statements)

    def candidates(self, action_lower: str) -> tuple[tuple[CompiledStatement, ...],
                                                     tuple[CompiledStatement, ...]]:
        """(denies, allows) whose Action/NotAction applies to the action, in order."""
        found = self._by_action.get(action_lower)
        if found is None:
            service = action_lower.split(":", 1)[0]
            pool = self._by_service.get(service, [])
            if self._wild:
                order = {id(st): i for i, st in enumerate(self.statements)}
                pool = sorted([*pool, *self._wild], key=lambda st: order[id(st)])
            matching = [st for st in pool if st.action_applies(action_lower)]
            found = (tuple(st for st in matching if not st.allow),
                     tuple(st for st in matching if st.allow))
            if len(self._by_action) >= _CACHE_LIMIT:
                self._by_action.clear()
            self._by_action[action_lower] = found
        return found

    def find_deny(self, request: Request) -> StatementRef | None:
        found = self._by_action.get(request.action_lower) or self.candidates(request.action_lower)
        if self._principals:
            return _first(found[0], request)
        for st in found[0]:
            if st.applies(request):
                return st.ref
        return None

    def find_allow(self, request: Request) -> StatementRef | None:
        found = self._by_action.get(request.action_lower) or self.candidates(request.action_lower)
        if self._principals:
            return _first(found[1], request)
        for st in found[1]:
            if st.applies(request):
                return st.ref
        return None

    def find_allows(self, request: Request) -> list[tuple[StatementRef, str]]:
        found = []
        for st in self.candidates(request.action_lower)[1]:
            kind = DIRECT if st.principal is None else st.principal.match(request.principal)
            if kind is not None and st.applies(request):
                found.append((st.ref, kind))
        return found


def _first(statements: tuple[CompiledStatement, ...], request: Request) -> StatementRef | None:
    principal = request.principal
    for st in statements:
        if (st.principal is None or st.principal.match(principal) is not None) and st.applies(request):
            return st.ref
    return None
