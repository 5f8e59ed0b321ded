"""The console's trust policies: built from the create-role choices, summarised for the list.

One case a row: what AWS's console writes for each trusted entity type
(IAM User Guide, "Creating a role to delegate permissions to an AWS
service", "... to an IAM user", "Creating a role for web identity or OIDC
federation", "Creating a role for SAML 2.0 federation").
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamd.console.trust_policy import TrustChoice, build_trust_policy, trusted_entities

ACCOUNT = "123456789012"
OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
SAML = f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"


@pytest.mark.parametrize(("choice", "statement"), [
    (TrustChoice("service", ACCOUNT, service="ec2"),
     {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
    (TrustChoice("service", ACCOUNT, service="states.amazonaws.com"),
     {"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"},
      "Action": "sts:AssumeRole"}),
    (TrustChoice("account", ACCOUNT),
     {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
      "Action": "sts:AssumeRole"}),
    (TrustChoice("account", ACCOUNT, other_account=True, other_account_id="210987654321",
                 require_external_id=True, external_id="xid", require_mfa=True),
     {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
      "Action": "sts:AssumeRole",
      "Condition": {"StringEquals": {"sts:ExternalId": "xid"},
                    "Bool": {"aws:MultiFactorAuthPresent": "true"}}}),
    (TrustChoice("web", ACCOUNT, provider_arn=OIDC, audience="sts.amazonaws.com"),
     {"Effect": "Allow", "Principal": {"Federated": OIDC},
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {"StringEquals": {
          "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}),
    (TrustChoice("saml", ACCOUNT, provider_arn=SAML),
     {"Effect": "Allow", "Principal": {"Federated": SAML}, "Action": "sts:AssumeRoleWithSAML",
      "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}),
])
def test_built_as_the_console_builds_it(choice: TrustChoice, statement: dict[str, Any]) -> None:
    document, problem = build_trust_policy(choice)
    assert problem is None and document is not None
    assert json.loads(document) == {"Version": "2012-10-17", "Statement": [statement]}


@pytest.mark.parametrize(("choice", "message"), [
    (TrustChoice("service", ACCOUNT), "Choose a service or use case."),
    (TrustChoice("account", ACCOUNT, other_account=True, other_account_id="12"),
     "Enter a valid 12-digit AWS account ID."),
    (TrustChoice("account", ACCOUNT, require_external_id=True), "Enter an external ID."),
    (TrustChoice("web", ACCOUNT, provider_arn=OIDC), "Choose an identity provider and an audience."),
    (TrustChoice("custom", ACCOUNT, custom="  "), "Enter a trust policy."),
])
def test_missing_choices_are_named(choice: TrustChoice, message: str) -> None:
    assert build_trust_policy(choice) == (None, message)


def test_custom_policy_is_kept_as_written() -> None:
    assert build_trust_policy(TrustChoice("custom", ACCOUNT, custom="{ }")) == ("{ }", None)


@pytest.mark.parametrize(("principal", "lines"), [
    ({"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]},
     ["AWS service: ec2", "AWS service: lambda"]),
    ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, [f"AWS account: {ACCOUNT}"]),
    ({"AWS": ACCOUNT}, [f"AWS account: {ACCOUNT}"]),
    ({"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}, [f"AWS: arn:aws:iam::{ACCOUNT}:user/alice"]),
    ({"Federated": SAML}, [f"Identity Provider: {SAML}"]),
    ("*", ["AWS: *"]),
])
def test_trusted_entities_summary(principal: Any, lines: list[str]) -> None:
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"},
        {"Effect": "Allow", "Principal": principal, "Action": "sts:TagSession"}]})
    assert trusted_entities(document) == lines


def test_an_unreadable_document_has_no_summary() -> None:
    assert trusted_entities("not json") == []
