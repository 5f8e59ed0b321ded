"""Malformed policy documents, one a row, each with the message AWS answers.

Sources, abbreviated in the table:

  LS-POLICY-n  localstack/localstack tests/aws/services/iam/test_iam_policies.snapshot.json,
               TestPolicyDocumentValidity::test_create_policy_invalid_document[invalid-n]:
               CreatePolicy responses recorded against AWS (Feb 2026). The documents in
               that test are the table of getmoto/moto tests/test_iam/test_iam_policies.py.
  LS-ROLE      localstack/localstack tests/aws/services/iam/test_iam_roles.snapshot.json,
               TestRoleLifecycle::test_update_assume_role_policy_errors (recorded against
               AWS, Feb 2026).
  SPLUNK       splunk/attack_data, T1580/aws_iam_assume_role_policy_brute_force: CloudTrail
               errorMessage of CreatePolicy calls (2021).
  Others name a GitHub issue quoting the AWS response.

Where the trigger differs from the source's document, the row says what is
confirmed: "message confirmed" means AWS's wording for that kind of problem is
quoted by the source, the exact trigger is ours.

Message not confirmed (AWS's exact text was not found; chosen in AWS's style):
  - trust-not-resource, trust-not-principal: "Has prohibited field NotResource" /
    "... NotPrincipal", by analogy with the confirmed "Has prohibited field Resource".
  - trust-federated-bad, trust-canonical-user: the "FEDERATED" / "CANONICAL_USER" tags,
    by analogy with the confirmed "AWS", "SERVICE" and "STAR" tags.
  - trust-top-level-array: "This policy contains invalid Json" for JSON that is not an object.
  - trust-unknown-principal-type, principal-string-not-star, null-if-exists, condition-null,
    json-nan: "Syntax errors in policy." (IAM's message for every other shape error).
  - trust-action-star-other-vendor: which wildcards IAM takes in a trust policy.
  - rcp-principal-not-star: the Organizations message is confirmed, the RCP rule comes
    from the Organizations user guide (RCP syntax: Principal must be "*").
  - resource-missing-principal: S3's wording, used for every resource-based policy.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamd.model.errors import LimitExceeded, MalformedPolicyDocument
from iamd.policy.document import parse_policy
from iamd.policy.kinds import PolicyKind

MANAGED = PolicyKind.MANAGED
TRUST = PolicyKind.TRUST
ROLE = PolicyKind.ROLE_INLINE
USER = PolicyKind.USER_INLINE
GROUP = PolicyKind.GROUP_INLINE
RESOURCE = PolicyKind.RESOURCE
SCP = PolicyKind.SCP
RCP = PolicyKind.RCP

SYNTAX = "Syntax errors in policy."
VERSION = "Policy document must be version 2012-10-17 or greater."
LEGACY = "The policy failed legacy parsing"
NO_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON = "Actions/Condition can contain only one colon."
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
ORGS = "The provided policy document does not meet the requirements of the specified policy type."
BUCKET = "arn:aws:s3:::example_bucket"
TRUST_PRINCIPAL = {"Service": "ec2.amazonaws.com"}


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17", **top: Any) -> str:
    """A policy as JSON text; one statement is written as an object, several as a list."""
    body: dict[str, Any] = {}
    if version is not None:
        body["Version"] = version
    body.update(top)
    if statements:
        body["Statement"] = statements[0] if len(statements) == 1 else list(statements)
    return json.dumps(body)


def allow(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", **fields}


def s3(**fields: Any) -> dict[str, Any]:
    """An Allow of s3:ListBucket on a bucket, with fields overriding."""
    statement = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": BUCKET}
    statement.update(fields)
    return {k: v for k, v in statement.items() if v is not None}


def trust(**fields: Any) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": TRUST_PRINCIPAL, "Action": "sts:AssumeRole"}
    statement.update(fields)
    return {k: v for k, v in statement.items() if v is not None}


CASES: list[tuple[str, PolicyKind, str, str, str]] = [
    # JSON and the top level
    ("not-json", MANAGED, "This is not a json document", SYNTAX, "LS-POLICY-0"),
    ("no-version", MANAGED, doc(s3(), version=None), VERSION, "LS-POLICY-1"),
    ("version-2008", MANAGED, doc(s3(), version="2008-10-17"), VERSION, "LS-POLICY-2"),
    ("version-unknown", MANAGED, doc(s3(), version="2013-10-17"), SYNTAX, "LS-POLICY-3"),
    ("no-statement", MANAGED, doc(), SYNTAX, "LS-POLICY-4"),
    ("statement-item-string", MANAGED, json.dumps({"Version": "2012-10-17", "Statement": ["afd"]}),
     SYNTAX, "LS-POLICY-5"),
    ("unknown-top-field", MANAGED, doc(s3(), **{"Extra field": "value"}), SYNTAX, "LS-POLICY-6"),
    ("unknown-statement-field", MANAGED, doc(s3(**{"Extra field": "value"})), SYNTAX,
     "LS-POLICY-7"),
    ("id-list", MANAGED, doc(s3(), Id=["cd3a324d-4c22"]), SYNTAX, "LS-POLICY-8"),
    ("id-object", MANAGED, doc(s3(), Id={}), SYNTAX, "LS-POLICY-9"),
    ("statement-list-empty", MANAGED, json.dumps({"Version": "2012-10-17", "Statement": []}),
     SYNTAX, "LS-POLICY-26"),
    # Effect
    ("effect-invalid", MANAGED, doc(s3(Effect="invalid")), SYNTAX, "LS-POLICY-10"),
    ("effect-missing", MANAGED, doc({"Action": "s3:ListBucket", "Resource": BUCKET}), SYNTAX,
     "LS-POLICY-31"),
    ("effect-case", MANAGED, doc(s3(Effect="denY")), LEGACY, "LS-POLICY-63"),
    ("effect-case-before-actions", MANAGED,
     doc({"Effect": "allow", "Resource": "arn:aws:s3:us-east-1::example_bucket"}), LEGACY,
     "LS-POLICY-69"),
    ("effect-case-before-sid", MANAGED,
     doc(s3(Sid="sdf", Effect="aLLow"), {"Sid": "sdf", "Effect": "Allow"}), LEGACY,
     "LS-POLICY-70"),
    # Action and NotAction
    ("action-no-vendor", MANAGED, doc(s3(Action="invalid")), NO_VENDOR, "LS-POLICY-11"),
    ("not-action-empty-string", MANAGED, doc(s3(Action=None, NotAction="")), NO_VENDOR,
     "LS-POLICY-12"),
    ("vendor-with-space", MANAGED, doc(s3(Action="a a:ListBucket")), "Vendor a a is not valid",
     "LS-POLICY-13"),
    ("action-two-colons", MANAGED, doc(s3(Action="s3:List:Bucket")), ONE_COLON, "LS-POLICY-14"),
    ("second-statement-two-colons", MANAGED,
     doc(s3(Action="s3s:ListBucket"), s3(Action="s:3s:ListBucket")), ONE_COLON, "LS-POLICY-15"),
    ("action-missing", MANAGED, doc(allow(Resource=BUCKET)), NO_ACTIONS, "LS-POLICY-30"),
    ("effect-only", MANAGED, doc({"Effect": "Allow"}), NO_ACTIONS, "LS-POLICY-32"),
    ("action-list-empty", MANAGED, doc(s3(Action=[])), NO_ACTIONS, "LS-POLICY-33"),
    ("first-statement-no-actions", MANAGED, doc({"Effect": "Deny"}, s3()), NO_ACTIONS,
     "LS-POLICY-34"),
    ("action-nested-list", MANAGED, doc(s3(Effect="Deny", Action=[[]])), SYNTAX, "LS-POLICY-42"),
    ("action-and-not-action", MANAGED, doc(s3(NotAction="s3s:ListBucket", Action=[])), SYNTAX,
     "LS-POLICY-43"),
    ("action-object", MANAGED, doc(s3(Action={})), SYNTAX, "LS-POLICY-44"),
    ("not-action-and-action", MANAGED, doc(s3(NotAction="s3:ListBucket", Action="iam:dsf")),
     SYNTAX, "LS-POLICY-61"),
    # Resource and NotResource
    ("resource-not-arn", MANAGED, doc(s3(Resource="invalid resource")),
     'Resource invalid resource must be in ARN format or "*".', "LS-POLICY-16"),
    ("resource-empty-two-statements", MANAGED,
     doc(allow(Sid="A", Action=["account:EnableRegion"], Resource="",
               Condition={"StringEquals": {"account:TargetRegion": "ap-east-1"}}),
         allow(Sid="B", Action=["aws-portal:ViewAccount"], Resource="")),
     'Resource  must be in ARN format or "*".', "LS-POLICY-17"),
    ("resource-before-vendor", MANAGED, doc(s3(Action="s:3:ListBucket", Resource="sdfsadf")),
     'Resource sdfsadf must be in ARN format or "*".', "LS-POLICY-18"),
    ("resource-list-not-arn", MANAGED, doc(s3(Resource=["adf"])),
     'Resource adf must be in ARN format or "*".', "LS-POLICY-19"),
    ("resource-ecr-uri", MANAGED,
     doc(s3(Action="ecr:*", Resource="174313347505.dkr.ecr.us-west-2.amazonaws.com/repo")),
     'Resource 174313347505.dkr.ecr.us-west-2.amazonaws.com/repo must be in ARN format or "*".',
     "SPLUNK"),
    ("partition-short", MANAGED, doc(s3(Action=None, NotAction="s3s:ListBucket",
                                        Resource="a:bsdfdsafsad")),
     'Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*".',
     "LS-POLICY-21"),
    ("partition-two-fields", MANAGED, doc(s3(Action=None, NotAction="s3s:ListBucket",
                                             Resource="a:b:cadfsdf")),
     'Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*".', "LS-POLICY-22"),
    ("partition-many-fields", MANAGED, doc(s3(Action=None, NotAction="s3s:ListBucket",
                                              Resource="a:b:c:d:e:f:g:h")),
     'Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h".', "LS-POLICY-23"),
    ("arn-prefix-missing", MANAGED, doc(s3(Resource="aws:s3:::example_bucket")),
     'Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".', "LS-POLICY-24"),
    ("partition-in-list", MANAGED,
     doc(s3(Resource=["arn:error:s3:::example_bucket", "arn:error:s3::example_bucket"])),
     'Partition "error" is not valid for resource "arn:error:s3:::example_bucket".',
     "LS-POLICY-25"),
    ("resource-missing", MANAGED, doc(s3(Resource=None)), NO_RESOURCES, "LS-POLICY-27"),
    ("resource-list-empty", MANAGED, doc(s3(Resource=[])), NO_RESOURCES, "LS-POLICY-28"),
    ("resource-missing-before-vendor", MANAGED, doc({"Effect": "Allow", "Action": "invalid"}),
     NO_RESOURCES, "LS-POLICY-29"),
    ("iam-path", MANAGED, doc(s3(Resource="arn:aws:iam:::example_bucket")),
     'IAM resource path must either be "*", root, or start with user/, federated-user/, role/, '
     "group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, "
     "oidc-provider/, report/, access-report/.", "LS-POLICY-35"),
    ("s3-arn-short", MANAGED, doc(s3(Resource="arn:aws:s3::example_bucket")), LEGACY,
     "LS-POLICY-36"),
    ("legacy-arn-before-actions", MANAGED, doc(allow(Resource="arn:aws:s3::example_bucket")),
     LEGACY, "LS-POLICY-37"),
    ("vendor-not-qualified", MANAGED, doc(s3(Resource="arn:aws")),
     "Resource vendor must be fully qualified and cannot contain regexes.", "LS-POLICY-38"),
    ("resource-object", MANAGED, doc(s3(Resource={"a": BUCKET})), SYNTAX, "LS-POLICY-39"),
    ("resource-list-with-object", MANAGED, doc(s3(Effect="Deny", Resource=["adfdf", {}])), SYNTAX,
     "LS-POLICY-40"),
    ("resource-and-not-resource-empty", MANAGED,
     doc(s3(Action=None, NotAction="s3:ListBucket", NotResource=[])), SYNTAX, "LS-POLICY-41"),
    ("resource-and-not-resource", MANAGED, doc(s3(NotResource="*")), SYNTAX, "LS-POLICY-62"),
    ("iam-region", MANAGED, doc(s3(Resource="arn:aws:iam:us-east-1::example_bucket")),
     "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information.",
     "LS-POLICY-55"),
    ("s3-region", MANAGED, doc(s3(Resource="arn:aws:s3:us-east-1::example_bucket")),
     "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information.",
     "LS-POLICY-56"),
    ("arn-empty-fields", MANAGED, doc(s3(Action=None, NotAction="s3:ListBucket",
                                         Resource="arn:aws::::example_bucket")),
     LEGACY, "LS-POLICY-68"),
    ("not-resource-arn-short", MANAGED, doc(s3(Resource=None, NotResource="arn:aws:s3::example_bucket")),
     LEGACY, "LS-POLICY-71"),
    ("arn-no-service", MANAGED, doc(s3(Resource="arn:aws::fdsasf")), LEGACY, "LS-POLICY-77"),
    # Condition
    ("condition-list", MANAGED, doc(s3(Condition=[])), SYNTAX, "LS-POLICY-45"),
    ("condition-string", MANAGED, doc(s3(Condition="a")), SYNTAX, "LS-POLICY-46"),
    ("condition-operator-string", MANAGED, doc(s3(Condition={"a": "b"})), SYNTAX, "LS-POLICY-47"),
    ("condition-block-string", MANAGED, doc(s3(Condition={"DateGreaterThan": "b"})), SYNTAX,
     "LS-POLICY-48"),
    ("condition-block-list", MANAGED, doc(s3(Condition={"DateGreaterThan": []})), SYNTAX,
     "LS-POLICY-49"),
    ("condition-value-object", MANAGED, doc(s3(Condition={"DateGreaterThan": {"a": {}}})), SYNTAX,
     "LS-POLICY-50"),
    ("condition-syntax-before-actions", MANAGED,
     doc(allow(Resource=BUCKET, Condition={"DateGreaterThan": {"a": {}}})), SYNTAX,
     "LS-POLICY-51"),
    ("condition-operator-unknown", MANAGED, doc(s3(Condition={"x": {"a": "1"}})), SYNTAX,
     "LS-POLICY-52"),
    ("condition-qualifier-double-colon", MANAGED,
     doc(s3(Condition={"ForAnyValue::StringEqualsIfExists": {"a": "asf"}})), SYNTAX,
     "LS-POLICY-53"),
    ("condition-array-of-blocks", MANAGED,
     doc(s3(Condition=[{"ForAllValues:StringEquals": {"aws:TagKeys": "Department"}}])), SYNTAX,
     "LS-POLICY-54"),
    ("date-garbage", MANAGED, doc(s3(Condition={"DateGreaterThan": {"a": "sdfdsf"}})), LEGACY,
     "LS-POLICY-64"),
    ("date-before-actions", MANAGED,
     doc(allow(Condition={"DateGreaterThan": {"a": "sdfdsf"}})), LEGACY, "LS-POLICY-67"),
    ("date-month-13", MANAGED, doc(s3(Condition={"DateLessThanEquals": {"a": "234-13"}})), LEGACY,
     "LS-POLICY-72"),
    ("date-offset-one-digit", MANAGED,
     doc(s3(Condition={"DateLessThanEquals": {"a": "2016-12-13t2:00:00.593194+1"}})), LEGACY,
     "LS-POLICY-73"),
    ("date-fraction-ten-digits", MANAGED,
     doc(s3(Condition={"DateLessThanEquals": {"a": "2016-12-13t2:00:00.1999999999+10:59"}})),
     LEGACY, "LS-POLICY-74"),
    ("date-epoch-overflow", MANAGED,
     doc(s3(Condition={"DateLessThan": {"a": "9223372036854775808"}})), LEGACY, "LS-POLICY-75"),
    ("date-before-partition", MANAGED,
     doc(s3(Resource="arn:error:s3:::example_bucket",
            Condition={"DateGreaterThan": {"a": "sdfdsf"}})), LEGACY, "LS-POLICY-76"),
    ("null-if-exists", MANAGED, doc(s3(Condition={"NullIfExists": {"aws:TagKeys": "true"}})),
     SYNTAX, "message not confirmed; IAM User Guide: IfExists applies to every operator but Null"),
    ("condition-null", MANAGED, doc(s3(Condition={"StringEquals": {"aws:username": None}})),
     SYNTAX, "message not confirmed"),
    ("json-nan", MANAGED, '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*",'
     '"Resource":"*","Condition":{"NumericEquals":{"s3:max-keys":NaN}}}}', SYNTAX,
     "message not confirmed"),
    # Sid
    ("sid-object", MANAGED, doc(s3(Sid={})), SYNTAX, "LS-POLICY-57"),
    ("sid-list", MANAGED, doc(s3(Sid=[])), SYNTAX, "LS-POLICY-58"),
    ("sid-duplicate", MANAGED, doc(s3(Sid="sdf"), {"Sid": "sdf", "Effect": "Allow"}),
     "Statement IDs (SID) in a single policy must be unique.", "LS-POLICY-59"),
    ("version-before-sid", MANAGED, doc(s3(Sid="sdf"), {"Sid": "sdf", "Effect": "Allow"},
                                        version=None), VERSION, "LS-POLICY-60"),
    ("version-before-date", MANAGED,
     doc(s3(Condition={"DateGreaterThan": {"a": "sdfdsf"}}), version=None), VERSION,
     "LS-POLICY-65"),
    ("version-before-effect-case", MANAGED, doc(s3(Effect="denY"), version=None), VERSION,
     "LS-POLICY-66"),
    ("sid-underscore", MANAGED,
     doc(allow(Sid="Atomic_Red_Team", Action="iam:CreatePolicyVersion",
               Resource="arn:aws:iam::*:policy/*")),
     "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
     "expression [0-9A-Za-z]*", "SPLUNK"),
    # Principals in identity policies
    ("role-inline-principal", ROLE,
     doc(allow(Sid="", Action="sts:AssumeRole",
               Principal={"AWS": "arn:aws:iam::123456789012:root", "Service": "ec2.amazonaws.com"})),
     "Policy document should not specify a principal.",
     "hashicorp/terraform#13449 (PutRolePolicy), lyft/metadataproxy#53"),
    ("group-inline-principal", GROUP,
     doc(allow(Action="sts:AssumeRole", Resource="arn:aws:iam::123456789012:role/iac",
               Principal={"AWS": "arn:aws:iam::123456789012:user/iac"})),
     "Policy document should not specify a principal.",
     "hashicorp/terraform-provider-aws#10419 (PutGroupPolicy)"),
    ("managed-not-principal", MANAGED, doc(s3(NotPrincipal={"AWS": "123456789012"})),
     "Policy document should not specify a principal.",
     "message confirmed: hashicorp/terraform-provider-aws#10419"),
    ("user-inline-principal-star", USER, doc(s3(Principal="*")),
     "Policy document should not specify a principal.",
     "message confirmed: hashicorp/terraform#13449"),
    # Role trust policies
    ("trust-invalid-json", TRUST, "not valid json", "This policy contains invalid Json",
     "LS-ROLE (invalid-json-error); AWSCookbook/Security#2"),
    ("trust-trailing-comma", TRUST,
     '{"Version":"2012-10-17","Statement":[{"Action":"sts:AssumeRole","Principal":"*",'
     '"Effect":"Allow",}]}', "This policy contains invalid Json",
     "localstack/localstack#8453 (AWS-validated test of CreateRole)"),
    ("trust-top-level-array", TRUST, "[]", "This policy contains invalid Json",
     "message not confirmed"),
    ("trust-invalid-sts-action", TRUST, doc(trust(Action="sts:InvalidAction")),
     "AssumeRole policy may only specify STS AssumeRole actions.", "LS-ROLE (invalid-action-error)"),
    ("trust-s3-action", TRUST, doc(trust(Action=["sts:AssumeRole", "s3:GetObject"])),
     "AssumeRole policy may only specify STS AssumeRole actions.",
     "message confirmed: LS-ROLE (invalid-action-error)"),
    ("trust-action-star-other-vendor", TRUST, doc(trust(Action="s3:*")),
     "AssumeRole policy may only specify STS AssumeRole actions.", "message not confirmed"),
    ("trust-resource", TRUST, doc(trust(Resource=BUCKET)), "Has prohibited field Resource",
     "LS-ROLE (resource-field-error)"),
    ("trust-not-resource", TRUST, doc(trust(NotResource="*")), "Has prohibited field NotResource",
     "message not confirmed"),
    ("trust-not-principal", TRUST, doc(trust(Principal=None, NotPrincipal={"AWS": "123456789012"})),
     "Has prohibited field NotPrincipal", "message not confirmed"),
    ("trust-principal-star", TRUST, doc(trust(Principal="*")),
     'AssumeRolepolicy contained an invalid principal: "STAR":"*".', "aws/aws-cdk#5732"),
    ("trust-no-principal", TRUST, doc(trust(Principal=None)),
     "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: "
     "The passed in policy has a statement with no principals!",
     "terraform-aws-modules/terraform-aws-iam#47, hashicorp/terraform-provider-aws#7756"),
    ("trust-service-bare-domain", TRUST, doc(trust(Principal={"Service": "amazonaws.com"})),
     'Invalid principal in policy: "SERVICE":"amazonaws.com"', "aws-samples/aws-cdk-examples#801"),
    ("trust-aws-bad-account", TRUST,
     doc(trust(Principal={"AWS": "arn:aws:iam::12345678910:role/Orchestration_Role"})),
     'Invalid principal in policy: "AWS":"arn:aws:iam::12345678910:role/Orchestration_Role"',
     "message confirmed: aws-actions/configure-aws-credentials#332, opstrace/opstrace#88"),
    ("trust-aws-wildcard-in-arn", TRUST,
     doc(trust(Principal={"AWS": ["123456789012", "arn:aws:iam::123456789012:role/*"]})),
     'Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/*"',
     "message confirmed: databrickslabs/ucx#2269; IAM User Guide: no wildcards in principal ARNs"),
    ("trust-federated-bad", TRUST, doc(trust(Principal={"Federated": "token.example.com"})),
     'Invalid principal in policy: "FEDERATED":"token.example.com"', "message not confirmed"),
    ("trust-canonical-user", TRUST, doc(trust(Principal={"CanonicalUser": "a" * 64})),
     f'Invalid principal in policy: "CANONICAL_USER":"{"a" * 64}"', "message not confirmed"),
    ("trust-unknown-principal-type", TRUST, doc(trust(Principal={"User": "alice"})), SYNTAX,
     "message not confirmed"),
    # Resource-based policies
    ("resource-missing-principal", RESOURCE, doc(s3(Action="s3:GetObject")),
     "Missing required field Principal", "humanmade/S3-Uploads#191 (PutBucketPolicy wording)"),
    ("principal-string-not-star", RESOURCE, doc(s3(Principal="arn:aws:iam::123456789012:root")),
     SYNTAX, "message not confirmed"),
    ("resource-principal-bad-account", RESOURCE, doc(s3(Principal={"AWS": "1234"})),
     'Invalid principal in policy: "AWS":"1234"',
     "message confirmed: aws-samples/aws-iam-access-key-auto-rotation#26"),
    # Organizations policies
    ("scp-principal", SCP, doc(allow(Action="*", Resource="*", Principal="*")), ORGS,
     "org-formation/org-formation-cli#225 (Organizations CreatePolicy wording)"),
    ("scp-syntax", SCP, "{", ORGS, "message confirmed: org-formation/org-formation-cli#225"),
    ("rcp-principal-not-star", RCP,
     doc({"Effect": "Deny", "Principal": {"AWS": "123456789012"}, "Action": "s3:*",
          "Resource": "*"}), ORGS, "message not confirmed for this trigger"),
]


@pytest.mark.parametrize(("kind", "document", "message", "source"),
                         [pytest.param(*row[1:], id=row[0]) for row in CASES])
def test_malformed_policy_gets_aws_message(kind: PolicyKind, document: str, message: str,
                                           source: str) -> None:
    assert source
    with pytest.raises(MalformedPolicyDocument) as caught:
        parse_policy(document, kind)
    assert caught.value.message == message
    assert caught.value.code == "MalformedPolicyDocument"
    assert caught.value.status == 400


def test_table_is_large_and_ids_unique() -> None:
    ids = [row[0] for row in CASES]
    assert len(ids) >= 60
    assert len(set(ids)) == len(ids)


def _padded(size: int) -> str:
    """A valid managed policy whose size, whitespace not counted, is exactly `size`."""
    base = doc(allow(Action="s3:GetObject", Resource="arn:aws:s3:::b/"))
    filler = size - len(base.replace(" ", ""))
    return doc(allow(Action="s3:GetObject", Resource="arn:aws:s3:::b/" + "x" * filler))


SIZE_CASES = [
    # ministryofjustice/cloud-platform-environments#14473: CreatePolicy answers LimitExceeded.
    ("managed-over-quota", MANAGED, 6145, "Cannot exceed quota for PolicySize: 6144"),
    # Message not confirmed: the quota is named ACLSizePerRole in IAM's quota list.
    ("trust-over-quota", TRUST, 2049, "Cannot exceed quota for ACLSizePerRole: 2048"),
]


@pytest.mark.parametrize(("kind", "size", "message"),
                         [pytest.param(*row[1:], id=row[0]) for row in SIZE_CASES])
def test_document_over_its_quota_is_limit_exceeded(kind: PolicyKind, size: int,
                                                   message: str) -> None:
    with pytest.raises(LimitExceeded) as caught:
        parse_policy(_padded(size), kind)
    assert caught.value.message == message
    assert caught.value.status == 409


def test_whitespace_does_not_count_toward_the_quota() -> None:
    text = _padded(6144).replace(",", ",\n    ")
    assert len(text) > 6144
    parse_policy(text, MANAGED)
