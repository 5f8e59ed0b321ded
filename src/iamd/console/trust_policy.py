"""Trust policies as AWS's console writes and summarises them.

`build_trust_policy` turns the "Select trusted entity" choices into the
document the console would write: a service principal
(`ec2.amazonaws.com`), an account's root (`arn:aws:iam::<id>:root`) with
the optional `sts:ExternalId` and MFA conditions, an OIDC provider with its
`<provider>:aud` condition, or a SAML provider with `SAML:aud`.
`trusted_entities` reads any trust policy back into the short lines of the
roles table's "Trusted entities" column.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"
ENTITY_TYPES = (("service", "AWS service"), ("account", "AWS account"),
                ("web", "Web identity"), ("saml", "SAML 2.0 federation"),
                ("custom", "Custom trust policy"))
# Services offered first in the "Service or use case" list; any other
# service principal can be typed.
COMMON_SERVICES = ("ec2", "lambda", "ecs-tasks", "s3", "sns", "sqs", "states", "events",
                   "apigateway", "cloudformation", "codebuild", "glue", "rds", "sagemaker")


@dataclass(frozen=True)
class TrustChoice:
    """What the user picked on the first step of "Create role"."""

    entity: str
    account_id: str
    service: str = ""
    other_account: bool = False
    other_account_id: str = ""
    external_id: str = ""
    require_external_id: bool = False
    require_mfa: bool = False
    provider_arn: str = ""
    audience: str = ""
    custom: str = ""
    problems: list[str] = field(default_factory=list)


def service_principal(service: str) -> str:
    service = service.strip()
    return service if "." in service else f"{service}.amazonaws.com"


def _document(statement: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=4)


def build_trust_policy(choice: TrustChoice) -> tuple[str | None, str | None]:
    """The trust policy for a choice, or the message saying what is missing."""
    if choice.entity == "custom":
        return (choice.custom, None) if choice.custom.strip() else (
            None, "Enter a trust policy.")
    if choice.entity == "service":
        if not choice.service.strip():
            return None, "Choose a service or use case."
        return _document({"Effect": "Allow", "Principal": {
            "Service": service_principal(choice.service)}, "Action": "sts:AssumeRole"}), None
    if choice.entity == "account":
        account = choice.other_account_id.strip() if choice.other_account else choice.account_id
        if not (account.isdigit() and len(account) == 12):
            return None, "Enter a valid 12-digit AWS account ID."
        statement: dict[str, Any] = {"Effect": "Allow",
                                     "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                                     "Action": "sts:AssumeRole"}
        condition: dict[str, Any] = {}
        if choice.require_external_id:
            if not choice.external_id.strip():
                return None, "Enter an external ID."
            condition["StringEquals"] = {"sts:ExternalId": choice.external_id.strip()}
        if choice.require_mfa:
            condition["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
        if condition:
            statement["Condition"] = condition
        return _document(statement), None
    if choice.entity == "web":
        if not choice.provider_arn or not choice.audience.strip():
            return None, "Choose an identity provider and an audience."
        host = choice.provider_arn.split(":oidc-provider/", 1)[-1]
        return _document({"Effect": "Allow", "Principal": {"Federated": choice.provider_arn},
                          "Action": "sts:AssumeRoleWithWebIdentity",
                          "Condition": {"StringEquals": {
                              f"{host}:aud": choice.audience.strip()}}}), None
    if choice.entity == "saml":
        if not choice.provider_arn:
            return None, "Choose a SAML 2.0-based provider."
        return _document({"Effect": "Allow", "Principal": {"Federated": choice.provider_arn},
                          "Action": "sts:AssumeRoleWithSAML",
                          "Condition": {"StringEquals": {"SAML:aud": SAML_AUDIENCE}}}), None
    return None, "Choose a trusted entity type."


def _listed(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _describe_aws(principal: str) -> str:
    if principal == "*":
        return "AWS: *"
    if principal.isdigit():
        return f"AWS account: {principal}"
    parts = principal.split(":", 5)
    if len(parts) == 6 and parts[5] == "root":
        return f"AWS account: {parts[4]}"
    return f"AWS: {principal}"


def trusted_entities(document: str) -> list[str]:
    """The "Trusted entities" lines for a trust policy, first-seen order."""
    try:
        statements = json.loads(document).get("Statement", [])
    except (ValueError, AttributeError):
        return []
    if isinstance(statements, dict):
        statements = [statements]
    lines: list[str] = []
    for statement in statements if isinstance(statements, list) else []:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        if principal == "*":
            lines.append("AWS: *")
            continue
        if not isinstance(principal, dict):
            continue
        for service in _listed(principal.get("Service")):
            lines.append(f"AWS service: {service.removesuffix('.amazonaws.com')}")
        lines += [_describe_aws(p) for p in _listed(principal.get("AWS"))]
        for federated in _listed(principal.get("Federated")):
            lines.append(f"Identity Provider: {federated}")
    return list(dict.fromkeys(lines))
