"""Valid policy documents of every kind parse into the expected statements.

Rows marked LS-VALID-n are documents that AWS accepted in
localstack/localstack tests/aws/services/iam/test_iam_policies.snapshot.json,
TestPolicyDocumentValidity::test_create_policy_valid_document[valid-n]
(CreatePolicy recorded against AWS, Feb 2026).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iamd.model.errors import AwsError, LimitExceeded, MalformedPolicyDocument
from iamd.policy.document import (
    PolicyDocument,
    Statement,
    check_policy_size,
    parse_policy,
    policy_size,
)
from iamd.policy.kinds import PolicyKind

BUCKET = "arn:aws:s3:::example_bucket"


def statement(**fields: Any) -> Statement:
    defaults: dict[str, Any] = {"sid": None, "effect": "Allow", "principal": None,
                                "not_principal": None, "action": None, "not_action": None,
                                "resource": None, "not_resource": None, "conditions": ()}
    defaults.update(fields)
    return Statement(**defaults)


def only(document: PolicyDocument) -> Statement:
    assert len(document.statements) == 1
    return document.statements[0]


def test_single_statement_object_with_string_values() -> None:
    parsed = parse_policy('{"Version": "2012-10-17", "Id": "p1", "Statement": '
                          '{"Sid": "One", "Effect": "Allow", "Action": "s3:ListBucket", '
                          f'"Resource": "{BUCKET}"}}}}', PolicyKind.MANAGED)
    assert parsed == PolicyDocument("2012-10-17", "p1", (
        statement(sid="One", action=("s3:ListBucket",), resource=(BUCKET,)),))


def test_statement_list_keeps_order_of_statements_and_values() -> None:
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "NotAction": ["s3:Put*", "s3:Delete*", "iam:*"],
         "NotResource": ["arn:aws:s3:::z", "arn:aws:s3:::a"]},
        {"Effect": "Allow", "Action": ["ec2:Describe*"], "Resource": ["*"]},
    ]})
    parsed = parse_policy(text, PolicyKind.USER_INLINE)
    assert parsed.statements == (
        statement(effect="Deny", not_action=("s3:Put*", "s3:Delete*", "iam:*"),
                  not_resource=("arn:aws:s3:::z", "arn:aws:s3:::a")),
        statement(action=("ec2:Describe*",), resource=("*",)),
    )


@pytest.mark.parametrize(("version", "expected"), [
    pytest.param(None, None, id="absent"),
    pytest.param("2008-10-17", "2008-10-17", id="2008"),
    pytest.param("2012-10-17", "2012-10-17", id="2012"),
])
@pytest.mark.parametrize("kind", [PolicyKind.USER_INLINE, PolicyKind.GROUP_INLINE,
                                  PolicyKind.ROLE_INLINE, PolicyKind.SESSION])
def test_inline_policies_take_any_version(kind: PolicyKind, version: str | None,
                                          expected: str | None) -> None:
    # Only managed policies must say 2012-10-17 (LS-POLICY-1/2 in test_malformed);
    # without it variables like ${aws:username} are literal text (IAM User Guide, Version).
    body: dict[str, Any] = {"Statement": {"Effect": "Allow", "Action": "s3:*",
                                          "Resource": "arn:aws:s3:::home/${aws:username}"}}
    if version is not None:
        body["Version"] = version
    parsed = parse_policy(json.dumps(body), kind)
    assert parsed.version == expected
    assert only(parsed).resource == ("arn:aws:s3:::home/${aws:username}",)


def test_mapping_input_parses_like_its_text() -> None:
    body = {"Version": "2012-10-17", "Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": BUCKET,
         "Condition": {"NumericLessThan": {"s3:max-keys": 10}, "Bool": {"aws:SecureTransport": True}}}]}
    assert parse_policy(body, PolicyKind.MANAGED) == parse_policy(json.dumps(body), PolicyKind.MANAGED)


def test_conditions_in_document_order_with_json_scalars_as_text() -> None:
    text = """{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:ListBucket",
      "Resource": "arn:aws:s3:::b", "Condition": {
        "Bool": {"aws:SecureTransport": true, "aws:MultiFactorAuthPresent": false},
        "NumericLessThanEquals": {"s3:max-keys": 10},
        "NumericGreaterThan": {"aws:MultiFactorAuthAge": [1.5, "3600"]},
        "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["team*", "cost?"]},
        "Null": {"aws:TokenIssueTime": "true"},
        "StringEquals": {"s3:prefix": []}}}}"""
    assert only(parse_policy(text, PolicyKind.MANAGED)).conditions == (
        ("Bool", "aws:SecureTransport", ("true",)),
        ("Bool", "aws:MultiFactorAuthPresent", ("false",)),
        ("NumericLessThanEquals", "s3:max-keys", ("10",)),
        ("NumericGreaterThan", "aws:MultiFactorAuthAge", ("1.5", "3600")),
        ("ForAnyValue:StringLikeIfExists", "aws:TagKeys", ("team*", "cost?")),
        ("Null", "aws:TokenIssueTime", ("true",)),
        ("StringEquals", "s3:prefix", ()),
    )


def test_number_keeps_its_json_spelling() -> None:
    text = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*",'
            '"Resource":"*","Condition":{"NumericEquals":{"s3:max-keys":[1.50, 1e3, -0]}}}}')
    assert only(parse_policy(text, PolicyKind.MANAGED)).conditions == (
        ("NumericEquals", "s3:max-keys", ("1.50", "1e3", "-0")),)


@pytest.mark.parametrize("operator", [
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan",
    "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals",
    "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
    "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals",
    "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
    "StringLikeIfExists", "ForAllValues:StringEquals", "ForAnyValue:ArnLikeIfExists",
    "DateGreaterThanIfExists", "ForAllValues:NumericLessThanIfExists",
])
def test_every_documented_operator_is_known(operator: str) -> None:
    value = "2020-01-01T00:00:00Z" if operator.startswith(("Date", "ForAllValues:Date")) else "1"
    body = {"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Action": "s3:*", "Resource": "*",
        "Condition": {operator: {"aws:SomeKey": value}}}}
    assert only(parse_policy(body, PolicyKind.MANAGED)).conditions == (
        (operator, "aws:SomeKey", (value,)),)


# Trust and resource-based policies: every principal form.

def trust(principal: Any, action: Any = "sts:AssumeRole", **extra: Any) -> str:
    body = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": action, **extra}]}
    return json.dumps(body)


@pytest.mark.parametrize(("principal", "expected"), [
    pytest.param({"AWS": "123456789012"}, {"AWS": ("123456789012",)}, id="account-id"),
    pytest.param({"AWS": "arn:aws:iam::123456789012:root"},
                 {"AWS": ("arn:aws:iam::123456789012:root",)}, id="account-root"),
    pytest.param({"AWS": ["arn:aws:iam::123456789012:user/path/alice",
                          "arn:aws:iam::123456789012:role/admin",
                          "arn:aws:sts::123456789012:assumed-role/admin/session",
                          "arn:aws-cn:iam::123456789012:role/cn"]},
                 {"AWS": ("arn:aws:iam::123456789012:user/path/alice",
                          "arn:aws:iam::123456789012:role/admin",
                          "arn:aws:sts::123456789012:assumed-role/admin/session",
                          "arn:aws-cn:iam::123456789012:role/cn")}, id="aws-list"),
    pytest.param({"AWS": "*"}, {"AWS": ("*",)}, id="aws-star"),
    pytest.param({"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]},
                 {"Service": ("ec2.amazonaws.com", "lambda.amazonaws.com")}, id="services"),
    pytest.param({"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
                 {"Federated": ("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",)},
                 id="oidc"),
    pytest.param({"Federated": "arn:aws:iam::123456789012:saml-provider/corp"},
                 {"Federated": ("arn:aws:iam::123456789012:saml-provider/corp",)}, id="saml"),
    pytest.param({"Federated": "cognito-identity.amazonaws.com"},
                 {"Federated": ("cognito-identity.amazonaws.com",)}, id="cognito"),
    pytest.param({"AWS": "123456789012", "Service": "ec2.amazonaws.com"},
                 {"AWS": ("123456789012",), "Service": ("ec2.amazonaws.com",)}, id="mixed"),
])
def test_trust_policy_principal_forms(principal: Any, expected: dict[str, tuple[str, ...]]) -> None:
    stmt = only(parse_policy(trust(principal), PolicyKind.TRUST))
    assert stmt.principal == expected
    assert list(stmt.principal or {}) == list(expected)
    assert stmt.resource is None and stmt.not_resource is None
    assert stmt.action == ("sts:AssumeRole",)


@pytest.mark.parametrize("action", [
    "sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML",
    "sts:TagSession", "sts:SetSourceIdentity", "sts:SetContext", "sts:assumerole",
    ["sts:AssumeRole", "sts:TagSession"], "sts:AssumeRole*",
])
def test_trust_policy_sts_actions(action: Any) -> None:
    parse_policy(trust({"Service": "ec2.amazonaws.com"}, action), PolicyKind.TRUST)


def test_trust_policy_version_2008_and_conditions() -> None:
    text = json.dumps({"Version": "2008-10-17", "Statement": {
        "Sid": "", "Effect": "Allow", "Principal": {"AWS": "123456789012"},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x1"}}}})
    parsed = parse_policy(text, PolicyKind.TRUST)
    assert parsed.version == "2008-10-17"
    assert only(parsed).conditions == (("StringEquals", "sts:ExternalId", ("x1",)),)


def test_resource_policy_bare_star_principal() -> None:
    text = json.dumps({"Version": "2012-10-17", "Statement": {
        "Sid": "Public read", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": BUCKET + "/*"}})
    stmt = only(parse_policy(text, PolicyKind.RESOURCE))
    assert stmt.principal == {"*": ("*",)}
    assert stmt.sid == "Public read"  # S3 and KMS take any Sid


def test_resource_policy_not_principal_and_canonical_user() -> None:
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "NotPrincipal": {"AWS": ["arn:aws:iam::123456789012:root"]},
         "Action": "s3:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"CanonicalUser": "79a59df900b949e55d96a1e698fbaced" * 2},
         "Action": "s3:GetObject", "Resource": BUCKET + "/*"}]})
    first, second = parse_policy(text, PolicyKind.RESOURCE).statements
    assert first.principal is None
    assert first.not_principal == {"AWS": ("arn:aws:iam::123456789012:root",)}
    assert second.principal == {"CanonicalUser": ("79a59df900b949e55d96a1e698fbaced" * 2,)}


def test_statements_and_documents_are_hashable() -> None:
    parsed = parse_policy(trust({"AWS": ["123456789012"]}), PolicyKind.TRUST)
    assert hash(parsed) == hash(parse_policy(trust({"AWS": "123456789012"}), PolicyKind.TRUST))


def test_organizations_policies() -> None:
    scp = json.dumps({"Version": "2012-10-17", "Statement": {
        "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}})
    assert only(parse_policy(scp, PolicyKind.SCP)).not_action == ("iam:*", "sts:*")
    rcp = json.dumps({"Version": "2012-10-17", "Statement": {
        "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}})
    assert only(parse_policy(rcp, PolicyKind.RCP)).principal == {"*": ("*",)}


# Documents AWS accepted although they look odd (LS-VALID-n).
ACCEPTED = [
    ("action-with-spaces", {"Effect": "Allow", "Action": "iam: asdf safdsf af ", "Resource": BUCKET}, 1),
    ("resource-star-in-list", {"Effect": "Allow", "Action": "s3:ListBucket",
                               "Resource": [BUCKET, "*"]}, 2),
    ("iam-user-path", {"Effect": "Allow", "Action": "s3:ListBucket",
                       "Resource": "arn:aws:iam:::user/example_bucket"}, 7),
    ("unknown-service", {"Effect": "Allow", "Action": "s3:ListBucket",
                         "Resource": "arn:aws:s33:::example_bucket"}, 8),
    ("short-arn", {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:fdsasf"}, 9),
    ("empty-condition", {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET,
                         "Condition": {}}, 10),
    ("cloudwatch-region", {"Effect": "Allow", "Action": "s3:ListBucket",
                           "Resource": "arn:aws:cloudwatch:us-east-1::example_bucket"}, 12),
    ("empty-date-block", {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET,
                          "Condition": {"DateGreaterThan": {}}}, 17),
    ("empty-date-values", {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET,
                           "Condition": {"DateGreaterThan": {"a": []}}}, 18),
    ("unknown-operator-empty", {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET,
                                "Condition": {"a": {}}}, 19),
    ("vendor-hyphen", {"Effect": "Allow", "Action": "s3-s:ListBucket", "Resource": BUCKET}, 26),
    ("vendor-dot", {"Effect": "Allow", "Action": "s3.s:ListBucket", "Resource": BUCKET}, 27),
    ("not-action-not-resource", {"Effect": "Allow", "NotAction": "s3:ListBucket",
                                 "NotResource": "*"}, 28),
    ("date-year-only-t", {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET,
                          "Condition": {"DateGreaterThan": {"a": "01T"}}}, 30),
    ("condition-key-without-vendor", {"Effect": "Allow", "Action": "s3:ListBucket",
                                      "Resource": BUCKET,
                                      "Condition": {"StringEqualsIfExists": {"a": "asf"}}}, 32),
    ("date-offset-hours", {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET,
                           "Condition": {"DateLessThanEquals": {"a": "2016-12-13t2:00:00.593194+23"}}}, 36),
    ("date-negative-year", {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET,
                            "Condition": {"DateLessThan": {"a": "-292275054"}}}, 37),
    ("s3-access-point", {"Sid": "", "Effect": "Allow", "Action": ["s3:*"], "Resource": [
        "arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point",
        "arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point/object/*"]}, 50),
]


@pytest.mark.parametrize(("body", "valid_index"),
                         [pytest.param(row[1], row[2], id=row[0]) for row in ACCEPTED])
def test_documents_aws_accepted(body: dict[str, Any], valid_index: int) -> None:
    text = json.dumps({"Version": "2012-10-17", "Statement": body})
    parse_policy(text, PolicyKind.MANAGED)


def test_empty_sids_are_not_duplicates() -> None:
    # LS-VALID-49: two statements with "Sid": "".
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "", "Effect": "Allow", "Action": "rds:*", "Resource": ["arn:aws:rds:region:*:*"]},
        {"Sid": "", "Effect": "Allow", "Action": ["rds:Describe*"], "Resource": ["*"]}]})
    assert [s.sid for s in parse_policy(text, PolicyKind.MANAGED).statements] == ["", ""]


def test_policy_size_ignores_whitespace() -> None:
    assert policy_size('{ "a" :\n\t"b c" }\r\n') == 10
    assert policy_size("") == 0


@pytest.mark.parametrize(("kind", "size", "message"), [
    # danvk/mapsnap#483, HumanCellAtlas/data-store#1963, serverless/serverless#7643
    (PolicyKind.USER_INLINE, 2049, "Maximum policy size of 2048 bytes exceeded for user bob"),
    (PolicyKind.GROUP_INLINE, 5121, "Maximum policy size of 5120 bytes exceeded for group bob"),
    (PolicyKind.ROLE_INLINE, 10241, "Maximum policy size of 10240 bytes exceeded for role bob"),
    # ministryofjustice/cloud-platform-environments#14473
    (PolicyKind.MANAGED, 6145, "Cannot exceed quota for PolicySize: 6144"),
])
def test_check_policy_size_messages(kind: PolicyKind, size: int, message: str) -> None:
    check_policy_size(size - 1, kind, "bob")
    with pytest.raises(LimitExceeded) as caught:
        check_policy_size(size, kind, "bob")
    assert caught.value.message == message


def test_inline_quota_is_not_checked_on_one_document() -> None:
    # The inline quotas bound the sum of an entity's policies; the service checks them.
    long = json.dumps({"Statement": {"Effect": "Allow", "Action": "s3:*",
                                     "Resource": "arn:aws:s3:::" + "b" * 3000}})
    assert only(parse_policy(long, PolicyKind.USER_INLINE)).action == ("s3:*",)


# Any JSON value either parses or is rejected with an AWS error, never a crash,
# and a decoded object parses exactly as its text does.

_scalars = st.none() | st.booleans() | st.integers(-10, 10) | st.sampled_from(
    ["Allow", "Deny", "allow", "*", "s3:GetObject", "sts:AssumeRole", "arn:aws:s3:::b",
     "arn:aws:iam::123456789012:root", "2012-10-17", "2008-10-17", "Sid1", "",
     "2020-01-01T00:00:00Z", "ec2.amazonaws.com"])
_keys = st.sampled_from(["Version", "Id", "Statement", "Sid", "Effect", "Principal",
                         "NotPrincipal", "Action", "NotAction", "Resource", "NotResource",
                         "Condition", "AWS", "Service", "StringEquals", "DateLessThan",
                         "aws:username", "Other"])
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(_keys, inner, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(body=st.dictionaries(_keys, _json, max_size=4), kind=st.sampled_from(list(PolicyKind)))
def test_arbitrary_documents_parse_or_fail_as_aws(body: dict[str, Any], kind: PolicyKind) -> None:
    text = json.dumps(body)
    try:
        from_text: PolicyDocument | AwsError = parse_policy(text, kind)
    except AwsError as error:
        assert isinstance(error, MalformedPolicyDocument | LimitExceeded)
        from_text = error
    try:
        from_object: PolicyDocument | AwsError = parse_policy(body, kind)
    except AwsError as error:
        from_object = error
    if isinstance(from_text, AwsError):
        assert isinstance(from_object, AwsError) and from_object.message == from_text.message
    else:
        assert from_object == from_text
