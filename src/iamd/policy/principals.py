"""Matching the Principal / NotPrincipal element of a resource-based policy.

The answer is not just yes or no: AWS treats a grant differently depending on
what it names ("Policy evaluation logic", resource-based policies):
- DIRECT: the caller itself (an IAM user ARN, a role session ARN, a federated
  user ARN, a service, a federated identity, or everyone `*`);
- ROLE: the role whose session is calling;
- ACCOUNT: the caller's account (`111122223333` or `arn:aws:iam::111122223333:root`).
Principal ARNs never hold wildcards: only the whole value `*` is one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from iamd.policy.request import ANONYMOUS, ASSUMED_ROLE, ROOT, Principal

DIRECT = "direct"
ROLE = "role"
ACCOUNT = "account"

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROOT_ARN = re.compile(r"^arn:[^:]+:iam::(\d{12}):root$")


@dataclass(frozen=True, slots=True)
class PrincipalMatcher:
    everyone: bool
    every_aws: bool
    accounts: frozenset[str]
    arns: frozenset[str]
    services: frozenset[str]
    federated: frozenset[str]
    canonical: frozenset[str]

    @classmethod
    def compile(cls, element: Mapping[str, tuple[str, ...]]) -> PrincipalMatcher:
        accounts, arns = set(), set()
        every_aws = False
        for value in element.get("AWS", ()):
            if value == "*":
                every_aws = True
            elif _ACCOUNT_ID.match(value):
                accounts.add(value)
            elif (m := _ROOT_ARN.match(value)) is not None:
                accounts.add(m.group(1))
            else:
                arns.add(value)
        return cls(
            everyone="*" in element.get("*", ()),
            every_aws=every_aws,
            accounts=frozenset(accounts),
            arns=frozenset(arns),
            services=frozenset(v.lower() for v in element.get("Service", ())),
            federated=frozenset(element.get("Federated", ())),
            canonical=frozenset(element.get("CanonicalUser", ())),
        )

    def match(self, principal: Principal) -> str | None:
        """How this element names `principal`: DIRECT, ROLE, ACCOUNT or None."""
        if self.everyone:
            return DIRECT
        if principal.arn is not None:
            if principal.arn in self.arns or self.every_aws:
                return DIRECT
            if principal.kind == ASSUMED_ROLE and principal.role_arn in self.arns:
                return ROLE
            if principal.account in self.accounts:
                return ACCOUNT
            return None
        if principal.service is not None:
            return DIRECT if principal.service.lower() in self.services else None
        if principal.federated is not None:
            return DIRECT if principal.federated in self.federated else None
        if principal.kind == ANONYMOUS and principal.canonical_user is not None:
            return DIRECT if principal.canonical_user in self.canonical else None
        return None

    def exempts(self, principal: Principal, has_boundary: bool) -> bool:
        """Whether a NotPrincipal element leaves `principal` out of its statement.

        AWS checks the caller level by level (account, then user or role, then
        session), so each level must be listed; and a principal with a
        permissions boundary is never exempt ("IAM JSON policy elements:
        NotPrincipal", "Permissions boundaries for IAM entities").
        """
        if has_boundary:
            return False
        if self.everyone:
            return True
        if principal.arn is None:
            return self.match(principal) is not None
        if self.every_aws:
            return True
        if principal.account not in self.accounts:
            return False
        if principal.kind == ROOT:
            return True
        if principal.kind == ASSUMED_ROLE:
            return principal.role_arn in self.arns and principal.arn in self.arns
        return principal.arn in self.arns
