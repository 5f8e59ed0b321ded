"""The Principal and NotPrincipal elements: their shape, and the values IAM accepts in them.

A principal is either the bare string "*" or an object mapping a principal
type (AWS, Service, Federated, CanonicalUser) to one value or a list. This
module reads that shape into an immutable mapping and judges each value the
way IAM does when it stores a role trust policy or a resource-based policy.
IAM names a rejected value by an upper-case type tag: `"AWS":"..."`,
`"SERVICE":"..."`, and the bare wildcard as `"STAR":"*"`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

PRINCIPAL_TYPES: tuple[str, ...] = ("AWS", "Service", "Federated", "CanonicalUser")

# How IAM spells each type in its "Invalid principal in policy" message.
_MESSAGE_TAGS = {"AWS": "AWS", "Service": "SERVICE", "Federated": "FEDERATED",
                 "CanonicalUser": "CANONICAL_USER"}

PARTITIONS: frozenset[str] = frozenset({
    "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc",
})

_PARTITION = "(?:" + "|".join(sorted(re.escape(p) for p in PARTITIONS)) + ")"
_ACCOUNT = r"[0-9]{12}"
# An IAM principal ARN names an account root, a user, a role, a role session
# or a federated user; wildcards are not allowed inside it (only "*" alone is).
_AWS_ARN = re.compile(
    rf"arn:{_PARTITION}:iam::{_ACCOUNT}:(?:root|user/.+|role/.+)"
    rf"|arn:{_PARTITION}:sts::{_ACCOUNT}:(?:assumed-role/.+/.+|federated-user/.+)"
)
_SERVICE = re.compile(
    r"[a-z0-9][a-z0-9.-]*\.(?:amazonaws\.com|amazonaws\.com\.cn|amazon\.com"
    r"|c2s\.ic\.gov|sc2s\.sgov\.gov)"
)
_FEDERATED_ARN = re.compile(rf"arn:{_PARTITION}:iam::{_ACCOUNT}:(?:saml-provider|oidc-provider)/.+")
_WEB_IDENTITY_PROVIDERS = frozenset({
    "cognito-identity.amazonaws.com", "www.amazon.com", "graph.facebook.com", "accounts.google.com",
})
_CANONICAL_USER = re.compile(r"[0-9a-fA-F]{64}")


class PrincipalMap(Mapping[str, tuple[str, ...]]):
    """An immutable, hashable mapping of principal type to its values, in document order."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, tuple[str, ...]]) -> None:
        self._items: dict[str, tuple[str, ...]] = dict(items)

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))

    def __repr__(self) -> str:
        return f"PrincipalMap({self._items!r})"


WILDCARD = PrincipalMap({"*": ("*",)})


def read_principal(value: Any) -> PrincipalMap | None:
    """The principal element as a mapping, or None when its shape is not IAM's grammar.

    The bare "*" becomes {"*": ("*",)}; a single value becomes a 1-tuple.
    """
    if isinstance(value, str):
        return WILDCARD if value == "*" else None
    if not isinstance(value, Mapping):
        return None
    items: dict[str, tuple[str, ...]] = {}
    for key, entry in value.items():
        if key not in PRINCIPAL_TYPES:
            return None
        if isinstance(entry, str):
            items[key] = (entry,)
        elif isinstance(entry, list | tuple) and all(isinstance(v, str) for v in entry):
            items[key] = tuple(entry)
        else:
            return None
    return PrincipalMap(items)


def is_empty(principal: PrincipalMap) -> bool:
    return not any(principal.values())


def invalid_value(principal: PrincipalMap, *, trust: bool) -> str | None:
    """The first value IAM rejects, as IAM quotes it (`"AWS":"x"`), or None."""
    for kind, values in principal.items():
        for value in values:
            if not _value_valid(kind, value, trust=trust):
                return f'"{_MESSAGE_TAGS[kind]}":"{value}"'
    return None


def _value_valid(kind: str, value: str, *, trust: bool) -> bool:
    if kind == "AWS":
        return (value == "*" or re.fullmatch(_ACCOUNT, value) is not None
                or (_AWS_ARN.fullmatch(value) is not None and not _has_wildcard(value)))
    if kind == "Service":
        return _SERVICE.fullmatch(value) is not None
    if kind == "Federated":
        return value in _WEB_IDENTITY_PROVIDERS or _FEDERATED_ARN.fullmatch(value) is not None
    # CanonicalUser identifies an S3 owner; a role cannot trust one.
    return not trust and _CANONICAL_USER.fullmatch(value) is not None


def _has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value
