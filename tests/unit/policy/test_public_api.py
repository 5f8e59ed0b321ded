"""The policy engine is imported by other services: its public surface is guarded."""

from __future__ import annotations

import iamd.policy

PUBLIC = {
    "BatchEvaluator", "Context", "Decision", "InvalidRequest", "PolicyDocument", "PolicyKind", "PolicySet",
    "Principal", "Request", "Statement", "StatementRef", "evaluate_request", "explain", "parse_policy",
    "policy_size",
}


def test_all_is_exactly_the_public_surface() -> None:
    assert set(iamd.policy.__all__) == PUBLIC
    for name in PUBLIC:
        # Every public name is a class or a function of the engine, exported for real.
        assert name in vars(iamd.policy), name
        assert callable(vars(iamd.policy)[name]), name
        assert vars(iamd.policy)[name].__module__.startswith("iamd.policy."), name


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


def test_a_batch_compiles_each_set_of_policies_once_and_decides_as_one_request_does() -> None:
    from iamd.policy import BatchEvaluator, evaluate_request

    read = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}
    deny = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::secret/*"}]}
    principal = {"arn": "arn:aws:iam::111122223333:user/alice", "account": "111122223333"}
    requests = [{"action": action, "resource": resource, "principal": principal,
                 "policies": {"identity": policies}}
                for policies in ([read], [read, deny], [read], [{"Statement": "x"}])
                for action, resource in (("s3:GetObject", "arn:aws:s3:::secret/k"),
                                         ("s3:PutObject", "arn:aws:s3:::b/k"))]
    batch = BatchEvaluator(capacity=2)
    for request in requests * 2:
        assert batch.evaluate(request) == evaluate_request(request)
    assert batch.evaluate(requests[2])["decision"] == "ExplicitDeny"
    assert batch.evaluate(requests[-1])["error"]["code"] == "MalformedPolicyDocument"
    assert batch.evaluate("not json")["error"]["code"] == "InvalidRequest"


def test_a_batch_of_json_lines_decides_each_line_as_the_line_says() -> None:
    # Lines are keyed by the text of their policies: the same text decides
    # alike, a different text (or spacing) its own way, and a line that is
    # not one JSON object answers as json.loads would have it.
    import json

    from iamd.policy import BatchEvaluator, evaluate_request

    principal = {"arn": "arn:aws:iam::111122223333:user/alice", "account": "111122223333"}

    def line(effect: str, spacing: str = "") -> str:
        policy = {"Statement": [{"Effect": effect, "Action": "s3:*", "Resource": "*"}]}
        return ('{"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "principal": '
                + json.dumps(principal) + f',{spacing}"policies"{spacing}:{spacing}'
                + json.dumps({"identity": [policy]}) + spacing + "}")

    batch = BatchEvaluator()
    for text in (line("Allow"), line("Deny"), line("Allow", " \t"), line("Deny", "\n")):
        assert batch.evaluate(text) == evaluate_request(json.loads(text))
    assert batch.evaluate(line("Allow"))["decision"] == "Allow"
    assert batch.evaluate(line("Deny", " "))["decision"] == "ExplicitDeny"
    for broken in ('{"action": "a",}', '{"action" "a"}', line("Allow") + " x", "[1]", ""):
        assert batch.evaluate(broken)["error"]["code"] == "InvalidRequest", broken
