"""The kinds of policy document and the rules that differ between them.

AWS checks a document against the place it is stored: identity policies must
not name a principal, resource-based and trust policies must, trust policies
only allow STS actions, and each place has its own size limit (counted on the
JSON text without whitespace).
"""

from __future__ import annotations

import enum


class PolicyKind(enum.Enum):
    MANAGED = "managed"  # customer managed policy (CreatePolicy, CreatePolicyVersion)
    USER_INLINE = "user_inline"  # PutUserPolicy
    GROUP_INLINE = "group_inline"  # PutGroupPolicy
    ROLE_INLINE = "role_inline"  # PutRolePolicy
    TRUST = "trust"  # CreateRole / UpdateAssumeRolePolicy
    RESOURCE = "resource"  # any other resource-based policy (bucket, key, ...)
    SESSION = "session"  # inline session policy passed to AssumeRole*, GetFederationToken
    SCP = "scp"  # AWS Organizations service control policy
    RCP = "rcp"  # AWS Organizations resource control policy

    @property
    def requires_principal(self) -> bool:
        return self in (PolicyKind.TRUST, PolicyKind.RESOURCE)

    @property
    def forbids_principal(self) -> bool:
        return not self.requires_principal and self is not PolicyKind.RCP


# Characters, whitespace not counted (IAM and STS quotas page).
SIZE_LIMITS: dict[PolicyKind, int] = {
    PolicyKind.MANAGED: 6144,
    PolicyKind.USER_INLINE: 2048,
    PolicyKind.GROUP_INLINE: 5120,
    PolicyKind.ROLE_INLINE: 10240,
    PolicyKind.TRUST: 2048,
    PolicyKind.SESSION: 2048,
    PolicyKind.SCP: 5120,
    PolicyKind.RCP: 5120,
}
