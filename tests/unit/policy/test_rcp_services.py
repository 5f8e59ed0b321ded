"""RCPs govern the resources of the services AWS applies them to, and no
others ("Resource control policies (RCPs)", AWS Organizations User Guide)."""

from __future__ import annotations

import pytest

from iamd.policy import evaluate_request

ALLOW_ALL = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
DENY_ALL_RCP = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}


@pytest.mark.parametrize(("action", "decision"), [
    ("s3:GetObject", "ExplicitDeny"),
    ("sts:AssumeRole", "ExplicitDeny"),
    ("kms:Decrypt", "ExplicitDeny"),
    ("iam:CreateUser", "Allow"),  # IAM is not among them
    ("ec2:RunInstances", "Allow"),
])
def test_an_rcp_applies_only_to_its_services(action: str, decision: str) -> None:
    result = evaluate_request({
        "action": action, "resource": "*",
        "principal": {"arn": "arn:aws:iam::111111111111:user/alice", "account": "111111111111"},
        "policies": {"identity": [ALLOW_ALL], "rcp": [[DENY_ALL_RCP]]}})
    assert result["decision"] == decision
    if decision == "ExplicitDeny":
        assert result["policy_type"] == "rcp"
