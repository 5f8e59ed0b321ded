"""Parse a policy document once into typed statements, rejecting it as IAM would.

`parse_policy` takes JSON text (or an already decoded object) and the place the
document is stored (`PolicyKind`), and returns a `PolicyDocument`, or raises
`MalformedPolicyDocument` with the message AWS gives for the first problem it
reports. IAM checks a document in passes, and which problem it reports depends
on the pass that finds it, not on where it sits in the text. The passes, in
IAM's order as observed: the size quota; JSON and the grammar's shape ("Syntax
errors in policy."); the version a managed policy needs; principals allowed or
required by the kind; "legacy parsing" (the exact Effect spelling, date values
and ARN layout); statement ids; actions and resources present; resource ARN
format; action vendors; trust-policy actions; principal values. Within a pass,
statements go in document order. Size quotas are `LimitExceeded`, as in IAM.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from iamd.model.errors import LimitExceeded, MalformedPolicyDocument
from iamd.policy.conditions_syntax import date_value_parses, split_operator
from iamd.policy.kinds import SIZE_LIMITS, PolicyKind
from iamd.policy.principal_syntax import (
    PARTITIONS,
    WILDCARD,
    PrincipalMap,
    invalid_value,
    is_empty,
    read_principal,
)

# Messages as IAM words them (the tests name the AWS source of each).
SYNTAX_ERRORS = "Syntax errors in policy."
INVALID_JSON = "This policy contains invalid Json"
NEEDS_2012_VERSION = "Policy document must be version 2012-10-17 or greater."
LEGACY_PARSING = "The policy failed legacy parsing"
SID_NOT_UNIQUE = "Statement IDs (SID) in a single policy must be unique."
SID_NOT_ALPHANUMERIC = ("Statement IDs (SID) must be alpha-numeric. "
                        "Check that your input satisfies the regular expression [0-9A-Za-z]*")
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
NO_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON = "Actions/Condition can contain only one colon."
PRINCIPAL_NOT_ALLOWED = "Policy document should not specify a principal."
PRINCIPAL_REQUIRED = "Missing required field Principal"
TRUST_ACTIONS_ONLY = "AssumeRole policy may only specify STS AssumeRole actions."
TRUST_NO_PRINCIPALS = ("Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: "
                       "The passed in policy has a statement with no principals!")
TRUST_STAR_PRINCIPAL = 'AssumeRolepolicy contained an invalid principal: "STAR":"*".'
ORGANIZATIONS_POLICY = ("The provided policy document does not meet the requirements "
                        "of the specified policy type.")
VENDOR_QUALIFIED = "Resource vendor must be fully qualified and cannot contain regexes."
IAM_PATHS = ("user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/",
             "server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/",
             "report/", "access-report/")
IAM_PATH = ('IAM resource path must either be "*", root, or start with '
            + ", ".join(IAM_PATHS) + ".")

VERSIONS = ("2012-10-17", "2008-10-17")
TOP_LEVEL_FIELDS = frozenset({"Version", "Id", "Statement"})
STATEMENT_FIELDS = frozenset({"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
                              "Resource", "NotResource", "Condition"})
# A role trust policy names who may assume the role, never what on.
TRUST_PROHIBITED_FIELDS = frozenset({"Resource", "NotResource", "NotPrincipal"})
TRUST_ACTIONS = frozenset(a.lower() for a in (
    "sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession", "sts:SetSourceIdentity", "sts:SetContext"))

_ORGANIZATIONS_KINDS = (PolicyKind.SCP, PolicyKind.RCP)
_INLINE_ENTITY = {PolicyKind.USER_INLINE: "user", PolicyKind.GROUP_INLINE: "group",
                  PolicyKind.ROLE_INLINE: "role"}
_WHITESPACE = frozenset(" \t\n\r")
_SID = re.compile(r"[0-9A-Za-z]*")
_VENDOR = re.compile(r"[a-zA-Z0-9.-]*")
_RCP_PRINCIPALS = (WILDCARD, {"AWS": ("*",)})


@dataclass(frozen=True, slots=True)
class Statement:
    sid: str | None
    effect: str  # "Allow" or "Deny"
    # {"AWS": (...), "Service": (...), ...}; the bare "*" principal is {"*": ("*",)}
    principal: Mapping[str, tuple[str, ...]] | None
    not_principal: Mapping[str, tuple[str, ...]] | None
    action: tuple[str, ...] | None  # exactly one of action / not_action is set
    not_action: tuple[str, ...] | None
    resource: tuple[str, ...] | None  # at most one of resource / not_resource
    not_resource: tuple[str, ...] | None
    # (operator as written, key as written, values as strings), in document order
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    version: str | None  # "2012-10-17", "2008-10-17" or None when absent
    id: str | None
    statements: tuple[Statement, ...]


def policy_size(document_text: str) -> int:
    """The size IAM counts against its quotas: characters other than whitespace."""
    return sum(1 for char in document_text if char not in _WHITESPACE)


def check_policy_size(size: int, kind: PolicyKind, entity_name: str | None = None) -> None:
    """Raise `LimitExceeded` as IAM does when `size` is over the quota of `kind`.

    Inline quotas are on the sum of all of an entity's inline policies, so the
    service layer calls this with that sum and the entity's name; the quotas of
    one document are checked by `parse_policy` itself.
    """
    limit = SIZE_LIMITS.get(kind)
    if limit is None or size <= limit:
        return
    if kind in _INLINE_ENTITY:
        raise LimitExceeded(f"Maximum policy size of {limit} bytes exceeded for "
                            f"{_INLINE_ENTITY[kind]} {entity_name}")
    if kind is PolicyKind.TRUST:
        raise LimitExceeded(f"Cannot exceed quota for ACLSizePerRole: {limit}")
    raise LimitExceeded(f"Cannot exceed quota for PolicySize: {limit}")


# Quotas that bound one document on its own (inline ones bound a sum; a session
# policy's length is bounded by the STS API model before it gets here).
_DOCUMENT_QUOTAS = (PolicyKind.MANAGED, PolicyKind.TRUST, PolicyKind.SCP, PolicyKind.RCP)


def parse_policy(document: str | Mapping[str, Any], kind: PolicyKind) -> PolicyDocument:
    """Validate `document` as IAM does for `kind` and return its typed form."""
    try:
        if isinstance(document, str):
            size = policy_size(document)
            if kind in _DOCUMENT_QUOTAS:
                check_policy_size(size, kind)
            raw: Any = _load_json(document, kind)
        else:
            if kind in _DOCUMENT_QUOTAS:
                check_policy_size(_mapping_size(document), kind)
            raw = document
        return _Checker(raw, kind).run()
    except MalformedPolicyDocument:
        # AWS Organizations answers every grammar problem of an SCP or RCP alike.
        if kind in _ORGANIZATIONS_KINDS:
            raise MalformedPolicyDocument(ORGANIZATIONS_POLICY) from None
        raise


# --- JSON -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _JsonNumber:
    """A JSON number kept as written, so a condition value "10" stays "10"."""

    text: str


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _load_json(text: str, kind: PolicyKind) -> Any:
    try:
        return json.loads(text, parse_int=_JsonNumber, parse_float=_JsonNumber,
                          parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        # CreateRole and UpdateAssumeRolePolicy word a JSON error their own way.
        _fail(INVALID_JSON if kind is PolicyKind.TRUST else SYNTAX_ERRORS)


def _mapping_size(document: Mapping[str, Any]) -> int:
    try:
        return policy_size(json.dumps(document, ensure_ascii=False))
    except (TypeError, ValueError):
        _fail(SYNTAX_ERRORS)


def _fail(message: str) -> NoReturn:
    raise MalformedPolicyDocument(message)


def _is_array(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _strings(value: Any) -> tuple[str, ...] | None:
    """A string or a list of strings as a tuple; None when it is neither."""
    if isinstance(value, str):
        return (value,)
    if _is_array(value) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


def _condition_text(value: Any) -> str | None:
    """A condition value as the string the evaluator compares; None if not a scalar."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _JsonNumber):
        return value.text
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return json.dumps(value)
    return None


# --- The checks -------------------------------------------------------------


@dataclass(slots=True)
class _Raw:
    """One statement after the syntax pass: every element has a valid shape."""

    sid: str | None
    effect: str
    principal: PrincipalMap | None
    not_principal: PrincipalMap | None
    lists: dict[str, tuple[str, ...]]  # Action, NotAction, Resource, NotResource present
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...]


class _Checker:
    def __init__(self, raw: Any, kind: PolicyKind) -> None:
        self.raw = raw
        self.kind = kind
        self.trust = kind is PolicyKind.TRUST

    def run(self) -> PolicyDocument:
        version, policy_id, statements = self._syntax()
        if self.kind is PolicyKind.MANAGED and version != "2012-10-17":
            _fail(NEEDS_2012_VERSION)
        self._principal_presence(statements)
        resource_error = self._legacy(statements)
        self._sids(statements)
        for st in statements:
            if not (st.lists.get("Action") or st.lists.get("NotAction")):
                _fail(NO_ACTIONS)
        if not self.trust:
            for st in statements:
                if not (st.lists.get("Resource") or st.lists.get("NotResource")):
                    _fail(NO_RESOURCES)
        if resource_error is not None:
            _fail(resource_error)
        for field in ("Action", "NotAction"):
            for st in statements:
                for action in st.lists.get(field, ()):
                    _check_vendor(action)
        if self.trust:
            self._trust_actions(statements)
        self._principal_values(statements)
        return PolicyDocument(version, policy_id, tuple(_build(st) for st in statements))

    # Pass: the grammar's shape.

    def _syntax(self) -> tuple[str | None, str | None, list[_Raw]]:
        raw = self.raw
        if not isinstance(raw, Mapping):
            _fail(INVALID_JSON if self.trust else SYNTAX_ERRORS)
        if any(key not in TOP_LEVEL_FIELDS for key in raw):
            _fail(SYNTAX_ERRORS)
        version = raw.get("Version")
        if "Version" in raw and version not in VERSIONS:
            _fail(SYNTAX_ERRORS)
        policy_id = raw.get("Id")
        if "Id" in raw and not isinstance(policy_id, str):
            _fail(SYNTAX_ERRORS)
        body = raw.get("Statement")
        if isinstance(body, Mapping):
            items: Sequence[Any] = [body]
        elif _is_array(body) and body:
            items = body
        else:
            _fail(SYNTAX_ERRORS)
        return version, policy_id, [self._statement(item) for item in items]

    def _statement(self, item: Any) -> _Raw:
        if not isinstance(item, Mapping):
            _fail(SYNTAX_ERRORS)
        for key in item:
            if key not in STATEMENT_FIELDS:
                _fail(SYNTAX_ERRORS)
            if self.trust and key in TRUST_PROHIBITED_FIELDS:
                _fail(f"Has prohibited field {key}")
        for one, other in (("Action", "NotAction"), ("Resource", "NotResource"),
                           ("Principal", "NotPrincipal")):
            if one in item and other in item:
                _fail(SYNTAX_ERRORS)
        effect = item.get("Effect")
        if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
            _fail(SYNTAX_ERRORS)
        sid = item.get("Sid")
        if "Sid" in item and not isinstance(sid, str):
            _fail(SYNTAX_ERRORS)
        lists: dict[str, tuple[str, ...]] = {}
        for field in ("Action", "NotAction", "Resource", "NotResource"):
            if field in item:
                values = _strings(item[field])
                if values is None:
                    _fail(SYNTAX_ERRORS)
                lists[field] = values
        principals: dict[str, PrincipalMap | None] = {}
        for field in ("Principal", "NotPrincipal"):
            principals[field] = None
            if field in item:
                principals[field] = read_principal(item[field])
                if principals[field] is None:
                    _fail(SYNTAX_ERRORS)
        conditions = _conditions(item["Condition"]) if "Condition" in item else ()
        return _Raw(sid, effect, principals["Principal"], principals["NotPrincipal"],
                    lists, conditions)

    # Pass: principals the kind forbids or requires by their presence.

    def _principal_presence(self, statements: list[_Raw]) -> None:
        for st in statements:
            present = st.principal is not None or st.not_principal is not None
            if self.kind.forbids_principal and present:
                _fail(PRINCIPAL_NOT_ALLOWED)
            if self.kind is PolicyKind.RESOURCE and not present:
                _fail(PRINCIPAL_REQUIRED)

    # Pass: IAM's legacy parser. It also finds the first resource format
    # error, which IAM reports only after the statement id and presence checks.

    def _legacy(self, statements: list[_Raw]) -> str | None:
        for st in statements:
            if st.effect not in ("Allow", "Deny"):
                _fail(LEGACY_PARSING)
            for operator, _key, values in st.conditions:
                name = split_operator(operator)
                is_date = name is not None and name.base.startswith("Date")
                if is_date and not all(date_value_parses(value) for value in values):
                    _fail(LEGACY_PARSING)
        first_error: str | None = None
        for field in ("Resource", "NotResource"):
            for st in statements:
                resources = st.lists.get(field)
                if resources is None:
                    continue
                # IAM holds a statement's resources as a sorted set.
                for resource in sorted(resources):
                    if first_error is None:
                        first_error = _resource_format_error(resource)
                if first_error is None and not all(_legacy_arn_ok(r) for r in resources):
                    _fail(LEGACY_PARSING)
        return first_error

    # Pass: statement ids.

    def _sids(self, statements: list[_Raw]) -> None:
        seen: set[str] = set()
        for st in statements:
            if st.sid:
                if st.sid in seen:
                    _fail(SID_NOT_UNIQUE)
                seen.add(st.sid)
        # S3 bucket and KMS key policies take any Sid; IAM's own documents do not.
        if self.kind is not PolicyKind.RESOURCE:
            for st in statements:
                if st.sid is not None and not _SID.fullmatch(st.sid):
                    _fail(SID_NOT_ALPHANUMERIC)

    # Pass: what a role trust policy may allow.

    def _trust_actions(self, statements: list[_Raw]) -> None:
        for st in statements:
            for action in st.lists.get("Action", ()) + st.lists.get("NotAction", ()):
                if not _trust_action_ok(action):
                    _fail(TRUST_ACTIONS_ONLY)

    # Pass: the principal values, last, as IAM resolves them after the grammar.

    def _principal_values(self, statements: list[_Raw]) -> None:
        for st in statements:
            if self.trust:
                if st.principal is None or is_empty(st.principal):
                    _fail(TRUST_NO_PRINCIPALS)
                if st.principal is WILDCARD:
                    _fail(TRUST_STAR_PRINCIPAL)
            # An RCP applies to every principal; its conditions narrow it.
            if self.kind is PolicyKind.RCP and (st.not_principal is not None
                                                or st.principal not in _RCP_PRINCIPALS):
                _fail(ORGANIZATIONS_POLICY)
            for principal in (st.principal, st.not_principal):
                if principal is None or principal is WILDCARD:
                    continue
                bad = invalid_value(principal, trust=self.trust)
                if bad is not None:
                    _fail(f"Invalid principal in policy: {bad}")


def _conditions(block: Any) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    if not isinstance(block, Mapping):
        _fail(SYNTAX_ERRORS)
    out: list[tuple[str, str, tuple[str, ...]]] = []
    for operator, entries in block.items():
        if not isinstance(entries, Mapping):
            _fail(SYNTAX_ERRORS)
        # IAM keeps an unknown operator that has nothing under it.
        if entries and split_operator(operator) is None:
            _fail(SYNTAX_ERRORS)
        for key, value in entries.items():
            items = value if _is_array(value) else (value,)
            texts = tuple(_condition_text(item) for item in items)
            if any(text is None for text in texts):
                _fail(SYNTAX_ERRORS)
            out.append((operator, key, tuple(t for t in texts if t is not None)))
    return tuple(out)


def _resource_format_error(resource: str) -> str | None:
    """The message for a resource that is not an ARN IAM accepts, or None.

    IAM reads the fields after the first colon without checking that the
    first one says "arn"; a bad partition is quoted with missing fields as "*".
    """
    if resource == "*":
        return None
    if ":" not in resource:
        return f'Resource {resource} must be in ARN format or "*".'
    fields = resource.split(":")[1:]
    partition = fields[0]
    if partition not in PARTITIONS and partition != "*":
        rest = fields[1:]
        shown = [rest[0] if rest and (rest[0] or len(rest) > 1) else "*",
                 rest[1] if len(rest) > 1 else "*",
                 rest[2] if len(rest) > 2 else "*",
                 ":".join(rest[3:]) if len(rest) > 3 else "*"]
        return f'Partition "{partition}" is not valid for resource "arn:{partition}:{":".join(shown)}".'
    if len(fields) < 2:
        return VENDOR_QUALIFIED
    service = fields[1]
    region = fields[2] if len(fields) > 2 else ""
    account = fields[3] if len(fields) > 3 else ""
    if service == "iam" and region:
        return f"IAM resource {resource} cannot contain region information."
    # S3 access points and jobs are regional and name their account; buckets are neither.
    if service == "s3" and region and not account:
        return f"Resource {resource} can not contain region information."
    if service == "iam":
        path = ":".join(fields[4:])
        if path not in ("*", "root") and not path.startswith(IAM_PATHS):
            return IAM_PATH
    return None


def _legacy_arn_ok(resource: str) -> bool:
    """The ARN layout IAM's legacy parser needs: a service, and six fields if "::" is used."""
    if resource == "*":
        return True
    if resource.count(":") < 5 and "::" in resource:
        return False
    return resource.split(":")[2] != ""


def _check_vendor(action: str) -> None:
    if action == "*":
        return
    parts = action.split(":")
    if len(parts) == 1:
        _fail(NO_VENDOR)
    if len(parts) > 2:
        _fail(ONE_COLON)
    vendor = parts[0]
    if vendor != "*" and not _VENDOR.fullmatch(vendor):
        _fail(f"Vendor {vendor} is not valid")


def _trust_action_ok(action: str) -> bool:
    lowered = action.lower()
    if lowered in TRUST_ACTIONS:
        return True
    # A wildcard passes when it names STS AssumeRole actions only ("sts:AssumeRole*").
    if "*" in lowered or "?" in lowered:
        if not (lowered == "*" or lowered.startswith("sts:")):
            return False
        pattern = re.compile(re.escape(lowered).replace(r"\*", ".*").replace(r"\?", "."))
        return any(pattern.fullmatch(name) for name in TRUST_ACTIONS)
    return False


def _build(st: _Raw) -> Statement:
    return Statement(
        sid=st.sid,
        effect=st.effect,
        principal=st.principal,
        not_principal=st.not_principal,
        action=st.lists.get("Action"),
        not_action=st.lists.get("NotAction"),
        resource=st.lists.get("Resource"),
        not_resource=st.lists.get("NotResource"),
        conditions=st.conditions,
    )
