"""The AWS IAM policy language: parse, validate, evaluate, explain. Pure: no I/O.

    from iamd.policy import PolicySet, Request, Principal, Context

    policies = PolicySet.compile(identity=[doc1, ("ReadOnly", doc2)],
                                 permissions_boundary=boundary)
    decision = policies.decide(Request(
        action="s3:GetObject", resource="arn:aws:s3:::bucket/key",
        principal=Principal.from_arn("arn:aws:iam::111122223333:user/alice"),
        context=Context.of({"aws:SourceIp": "10.0.0.1"})))
    decision.allowed, decision.reason, decision.statements

`evaluate_request` decides one request of the command-line contract
(docs/policy-engine.md), and `BatchEvaluator` many, compiling each distinct
set of policies once; `explain` renders a decision's JSON for a person. `parse_policy` validates a document as IAM does.
"""

from iamd.policy.decision import Decision, StatementRef, explain
from iamd.policy.document import PolicyDocument, Statement, parse_policy, policy_size
from iamd.policy.engine import BatchEvaluator, PolicySet, evaluate_request
from iamd.policy.kinds import PolicyKind
from iamd.policy.request import Context, InvalidRequest, Principal, Request

__all__ = [
    "BatchEvaluator",
    "Context",
    "Decision",
    "InvalidRequest",
    "PolicyDocument",
    "PolicyKind",
    "PolicySet",
    "Principal",
    "Request",
    "Statement",
    "StatementRef",
    "evaluate_request",
    "explain",
    "parse_policy",
    "policy_size",
]
