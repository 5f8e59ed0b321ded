"""The AWS managed policies iamd ships under arn:aws:iam::aws:policy/...

The data file holds AWS's own documents (see its "source" field). AWS managed
policies are not bound by the customer managed quota of 6,144 characters, and
several are far over it (ReadOnlyAccess, ViewOnlyAccess, SecurityAudit), so
those are checked with the identity-policy grammar of an inline role policy,
whose size parse_policy leaves to the service layer, and their version is
checked here.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import pytest

from iamd.model.errors import LimitExceeded
from iamd.policy import PolicyKind, evaluate_request, parse_policy, policy_size
from iamd.policy.kinds import SIZE_LIMITS

REQUIRED = (
    "AdministratorAccess",
    "PowerUserAccess",
    "ReadOnlyAccess",
    "IAMFullAccess",
    "IAMReadOnlyAccess",
    "IAMUserChangePassword",
    "AmazonS3FullAccess",
    "AmazonS3ReadOnlyAccess",
    "AmazonEC2ReadOnlyAccess",
)
FIELDS = {"PolicyName", "PolicyId", "Arn", "Path", "DefaultVersionId", "Description",
          "CreateDate", "UpdateDate", "Document"}
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
ACCOUNT = "123456789012"


def load() -> dict[str, Any]:
    text = resources.files("iamd.service.data").joinpath("aws_managed_policies.json").read_text(
        encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


DATA = load()
POLICIES: dict[str, dict[str, Any]] = {p["PolicyName"]: p for p in DATA["policies"]}


def by_name() -> list[Any]:
    return [pytest.param(p, id=p["PolicyName"]) for p in DATA["policies"]]


def test_file_names_its_source_and_lists_policies() -> None:
    assert set(DATA) == {"source", "policies"}
    assert isinstance(DATA["source"], str) and DATA["source"]
    assert isinstance(DATA["policies"], list) and DATA["policies"]


def test_names_are_unique() -> None:
    names = [p["PolicyName"] for p in DATA["policies"]]
    assert len(names) == len(set(names))
    ids = [p["PolicyId"] for p in DATA["policies"] if "PolicyId" in p]
    assert len(ids) == len(set(ids))


def test_required_policies_are_present() -> None:
    assert set(REQUIRED) <= set(POLICIES)


@pytest.mark.parametrize("policy", by_name())
def test_metadata(policy: dict[str, Any]) -> None:
    assert set(policy) <= FIELDS
    assert set(policy) >= FIELDS - {"PolicyId"}
    assert policy["Path"].startswith("/") and policy["Path"].endswith("/")
    assert policy["Arn"] == f"arn:aws:iam::aws:policy{policy['Path']}{policy['PolicyName']}"
    assert re.fullmatch(r"v[1-9]\d*", policy["DefaultVersionId"])
    if "PolicyId" in policy:
        assert re.fullmatch(r"ANPA[A-Z0-9]{17}", policy["PolicyId"])
    assert TIMESTAMP.fullmatch(policy["CreateDate"])
    assert TIMESTAMP.fullmatch(policy["UpdateDate"])
    assert policy["CreateDate"] <= policy["UpdateDate"]
    if policy["DefaultVersionId"] == "v1":
        assert policy["CreateDate"] == policy["UpdateDate"]


@pytest.mark.parametrize("policy", by_name())
def test_document_parses(policy: dict[str, Any]) -> None:
    document = policy["Document"]
    assert document["Version"] == "2012-10-17"
    text = json.dumps(document)
    if policy_size(text) <= SIZE_LIMITS[PolicyKind.MANAGED]:
        parsed = parse_policy(text, PolicyKind.MANAGED)
    else:
        # parse_policy has no switch to skip the customer managed quota; an inline
        # role policy has the same identity-policy grammar and no per-document quota.
        with pytest.raises(LimitExceeded):
            parse_policy(text, PolicyKind.MANAGED)
        parsed = parse_policy(text, PolicyKind.ROLE_INLINE)
    assert parsed.version == "2012-10-17"
    statements = document["Statement"]
    assert len(parsed.statements) == (len(statements) if isinstance(statements, list) else 1)


def test_some_documents_exceed_the_customer_managed_quota() -> None:
    """AWS's own policies may be larger than CreatePolicy would accept."""
    assert policy_size(json.dumps(POLICIES["ReadOnlyAccess"]["Document"])) > SIZE_LIMITS[
        PolicyKind.MANAGED]


def decide(name: str, action: str, resource: str, context: dict[str, Any] | None = None,
           user: str = "alice") -> str:
    request: dict[str, Any] = {
        "action": action,
        "resource": resource,
        "principal": {"arn": f"arn:aws:iam::{ACCOUNT}:user/{user}", "account": ACCOUNT},
        "policies": {"identity": [POLICIES[name]["Document"]]},
    }
    if context is not None:
        request["context"] = context
    result = evaluate_request(request)
    assert "error" not in result, result
    decision: str = result["decision"]
    return decision


@pytest.mark.parametrize("resource", ["*", f"arn:aws:iam::{ACCOUNT}:user/bob"])
def test_administrator_access_allows_create_user(resource: str) -> None:
    assert decide("AdministratorAccess", "iam:CreateUser", resource) == "Allow"


def test_read_only_access_reads_but_does_not_write_objects() -> None:
    key = "arn:aws:s3:::example-bucket/key"
    assert decide("ReadOnlyAccess", "s3:GetObject", key) == "Allow"
    assert decide("ReadOnlyAccess", "s3:PutObject", key) == "ImplicitDeny"
    assert decide("ReadOnlyAccess", "iam:CreateUser", "*") == "ImplicitDeny"


def test_iam_user_change_password_is_limited_to_the_caller() -> None:
    alice = f"arn:aws:iam::{ACCOUNT}:user/alice"
    context = {"aws:username": "alice"}
    assert decide("IAMUserChangePassword", "iam:ChangePassword", alice, context) == "Allow"
    bob = f"arn:aws:iam::{ACCOUNT}:user/bob"
    assert decide("IAMUserChangePassword", "iam:ChangePassword", bob, context) == "ImplicitDeny"
    assert decide("IAMUserChangePassword", "iam:GetAccountPasswordPolicy", "*", context) == "Allow"
    assert decide("IAMUserChangePassword", "iam:CreateUser", "*", context) == "ImplicitDeny"
