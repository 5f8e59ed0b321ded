"""An organization as its document holds it, and the rules of its tree.

`Organization` is what the store keeps as JSON (store/organizations.py): the
root, the OUs, the member accounts and where each sits, the policies and
what they are attached to, tags, account creation requests and handshakes.
The operations load it, change it and save it in one transaction under a row
lock; authorization reads it to find the policies of every level above an
account. Ids and ARNs have AWS's shapes.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
# The AWS managed policy attached everywhere when a type is enabled.
FULL_ACCESS = {SCP: "p-FullAWSAccess", RCP: "p-RCPFullAWSAccess"}
FULL_ACCESS_NAMES = {SCP: "FullAWSAccess", RCP: "RCPFullAWSAccess"}
FULL_ACCESS_DESCRIPTIONS = {
    SCP: "Allows access to every operation",
    RCP: "Allows access to every operation",
}
FULL_ACCESS_CONTENT = {
    SCP: '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n'
         '      "Action": "*",\n      "Resource": "*"\n    }\n  ]\n}',
    RCP: '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {\n      "Effect": "Allow",\n'
         '      "Principal": "*",\n      "Action": "*",\n      "Resource": "*"\n    }\n  ]\n}',
}
TYPE_PATHS = {SCP: "service_control_policy", RCP: "resource_control_policy"}

_LOWER_DIGITS = string.ascii_lowercase + string.digits


def _random(length: int) -> str:
    return "".join(secrets.choice(_LOWER_DIGITS) for _ in range(length))


def new_organization_id() -> str:
    return "o-" + _random(10)


def new_root_id() -> str:
    return "r-" + _random(4)


def new_unit_id(root_id: str) -> str:
    return f"ou-{root_id[2:]}-{_random(8)}"


def new_policy_id() -> str:
    return "p-" + _random(8)


def new_request_id() -> str:
    return "car-" + _random(32)


def new_handshake_id() -> str:
    return "h-" + _random(10)


@dataclass
class Unit:
    id: str
    name: str
    parent_id: str


@dataclass
class Member:
    account_id: str
    parent_id: str
    joined_method: str  # CREATED or INVITED
    joined: float  # epoch seconds
    state: str = "ACTIVE"  # ACTIVE, SUSPENDED (closed, in its 90 days)


@dataclass
class OrgPolicy:
    id: str
    type: str
    name: str
    description: str
    content: str
    aws_managed: bool = False


@dataclass
class AccountRequest:
    """A CreateAccount request: iamd creates the account at once."""

    id: str
    account_name: str
    state: str
    requested: float
    completed: float | None = None
    account_id: str | None = None
    failure_reason: str | None = None


@dataclass
class Handshake:
    id: str
    # INVITE; ENABLE_ALL_FEATURES (to the management account) and its
    # APPROVE_ALL_FEATURES children (one to each member)
    action: str
    target_account_id: str
    state: str  # OPEN, ACCEPTED, DECLINED, CANCELED, EXPIRED
    requested: float
    expires: float
    notes: str | None = None
    parent_id: str | None = None


@dataclass
class Organization:
    id: str
    management_account_id: str
    root_id: str
    feature_set: str = "ALL"
    # policy type -> ENABLED (a type not listed is not enabled)
    policy_types: list[str] = field(default_factory=list)
    units: dict[str, Unit] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    policies: dict[str, OrgPolicy] = field(default_factory=dict)
    # target id -> policy ids, in the order they were attached
    attachments: dict[str, list[str]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    requests: dict[str, AccountRequest] = field(default_factory=dict)
    handshakes: dict[str, Handshake] = field(default_factory=dict)
    # IAM's centralized root access features (ListOrganizationsFeatures)
    iam_features: list[str] = field(default_factory=list)
    # trusted service principal -> when its access was enabled (epoch seconds)
    service_access: dict[str, float] = field(default_factory=dict)

    # --- the document -------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Organization:
        raw: dict[str, Any] = json.loads(text)
        raw["units"] = {k: Unit(**v) for k, v in raw["units"].items()}
        raw["members"] = {k: Member(**v) for k, v in raw["members"].items()}
        raw["policies"] = {k: OrgPolicy(**v) for k, v in raw["policies"].items()}
        raw["requests"] = {k: AccountRequest(**v) for k, v in raw["requests"].items()}
        raw["handshakes"] = {k: Handshake(**v) for k, v in raw["handshakes"].items()}
        return cls(**raw)

    # --- ARNs ---------------------------------------------------------------

    def _prefix(self) -> str:
        return f"arn:aws:organizations::{self.management_account_id}"

    @property
    def arn(self) -> str:
        return f"{self._prefix()}:organization/{self.id}"

    @property
    def root_arn(self) -> str:
        return f"{self._prefix()}:root/{self.id}/{self.root_id}"

    def unit_arn(self, unit_id: str) -> str:
        return f"{self._prefix()}:ou/{self.id}/{unit_id}"

    def account_arn(self, account_id: str) -> str:
        return f"{self._prefix()}:account/{self.id}/{account_id}"

    def policy_arn(self, policy: OrgPolicy) -> str:
        if policy.aws_managed:
            return f"arn:aws:organizations::aws:policy/{TYPE_PATHS[policy.type]}/{policy.id}"
        return f"{self._prefix()}:policy/{self.id}/{TYPE_PATHS[policy.type]}/{policy.id}"

    def handshake_arn(self, handshake: Handshake) -> str:
        return f"{self._prefix()}:handshake/{self.id}/{handshake.action.lower()}/{handshake.id}"

    def arn_of(self, target_id: str) -> str | None:
        """The ARN of a root, OU, account or policy of this organization by id."""
        if target_id == self.root_id:
            return self.root_arn
        if target_id in self.units:
            return self.unit_arn(target_id)
        if target_id in self.members:
            return self.account_arn(target_id)
        if target_id in self.policies:
            return self.policy_arn(self.policies[target_id])
        return None

    # --- the tree -----------------------------------------------------------

    def is_container(self, target_id: str) -> bool:
        return target_id == self.root_id or target_id in self.units

    def parent_of(self, child_id: str) -> str | None:
        if child_id in self.units:
            return self.units[child_id].parent_id
        if child_id in self.members:
            return self.members[child_id].parent_id
        return None

    def path_to(self, account_id: str) -> list[str]:
        """The root, each OU down to the account, and the account: the levels
        whose policies apply to it."""
        path = [account_id]
        parent = self.parent_of(account_id)
        while parent is not None:
            path.append(parent)
            parent = self.parent_of(parent)
        return list(reversed(path))

    def children(self, parent_id: str, child_type: str) -> list[str]:
        if child_type == "ACCOUNT":
            return [a for a, m in self.members.items() if m.parent_id == parent_id]
        return [u for u, unit in self.units.items() if unit.parent_id == parent_id]

    def enabled(self, policy_type: str) -> bool:
        return policy_type in self.policy_types

    def attached(self, target_id: str, policy_type: str) -> list[OrgPolicy]:
        return [self.policies[p] for p in self.attachments.get(target_id, ())
                if self.policies[p].type == policy_type]

    def targets_of(self, policy_id: str) -> list[str]:
        return [t for t, ids in self.attachments.items() if policy_id in ids]

    def levels(self, account_id: str, policy_type: str) -> list[list[OrgPolicy]]:
        """The policies of `policy_type` at each level above and at the
        account, root first; none when the type is not enabled."""
        if not self.enabled(policy_type) or account_id not in self.members:
            return []
        return [self.attached(level, policy_type) for level in self.path_to(account_id)]


@lru_cache(maxsize=64)
def parsed_organization(document: str) -> Organization:
    """The organization of a stored document, parsed once per text (for
    authorization, which only reads it: never change what this returns)."""
    return Organization.from_json(document)
