"""The policy engine is imported by other services: its public surface is guarded."""

from __future__ import annotations

import iamd.policy

PUBLIC = {
    "Context", "Decision", "InvalidRequest", "PolicyDocument", "PolicyKind", "PolicySet",
    "Principal", "Request", "Statement", "StatementRef", "evaluate_request", "explain", "parse_policy",
    "policy_size",
}


def test_all_is_exactly_the_public_surface() -> None:
    assert set(iamd.policy.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(iamd.policy, name) is not None


def test_compile_once_decide_many() -> None:
    from iamd.policy import Context, PolicySet, Principal, Request

    policies = PolicySet.compile(identity=[
        ("Read", {"Version": "2012-10-17", "Statement": [
            {"Sid": "Get", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]})])
    alice = Principal.from_arn("arn:aws:iam::111122223333:user/alice")
    allowed = policies.decide(Request("s3:GetObject", "arn:aws:s3:::b/k", alice, Context()))
    denied = policies.decide(Request("s3:PutObject", "arn:aws:s3:::b/k", alice, Context()))
    assert allowed.allowed and allowed.statements[0].sid == "Get"
    assert allowed.statements[0].policy_id == "Read"
    assert not denied.allowed
    assert denied.reason == "because no identity-based policy allows the s3:PutObject action"
