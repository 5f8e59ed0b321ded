"""Property tests: the compiled engine agrees with the reference engine, and
the decision obeys the rules no policy can bend (a deny is never overridden;
adding a Deny never turns a Deny into an Allow).

The generators draw from small alphabets on purpose, so that patterns,
values and requests collide often and the interesting branches are reached.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamd.policy import evaluate_request

ACCOUNT = "111122223333"
OTHER = "444455556666"
ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "iam:CreateUser", "iam:GetUser",
           "ec2:DescribeInstances", "sts:AssumeRole"]
ACTION_PATTERNS = [*ACTIONS, "s3:*", "s3:Get*", "s3:?utObject", "iam:*User", "*", "ec2:Describe*",
                   "S3:getobject", "sts:*"]
RESOURCES = ["arn:aws:s3:::bucket/a/b.txt", "arn:aws:s3:::bucket/alice/x", "arn:aws:s3:::other/key",
             f"arn:aws:iam::{ACCOUNT}:user/alice", f"arn:aws:iam::{OTHER}:role/Admin", "*",
             "arn:aws:s3:::bucket/a*b"]
RESOURCE_PATTERNS = [*RESOURCES, "arn:aws:s3:::bucket/*", "arn:aws:s3:::*", "arn:aws:s3:::bucket/?/b.txt",
                     "arn:aws:s3:::bucket/${aws:username}/*", "arn:aws:iam::*:user/*",
                     "arn:aws:s3:::bucket/a${*}b", "arn:aws:s3:::bucket/${aws:PrincipalTag/team}/*"]
PRINCIPALS = [
    {"arn": f"arn:aws:iam::{ACCOUNT}:user/alice", "account": ACCOUNT},
    {"arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/s1", "account": ACCOUNT},
    {"arn": f"arn:aws:iam::{OTHER}:user/bob", "account": OTHER},
    {"arn": f"arn:aws:iam::{ACCOUNT}:root", "account": ACCOUNT},
    {"service": "ec2.amazonaws.com"},
]
POLICY_PRINCIPALS: list[Any] = [
    "*", {"AWS": "*"}, {"AWS": ACCOUNT}, {"AWS": f"arn:aws:iam::{OTHER}:root"},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}, {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Admin"},
    {"AWS": f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/s1"}, {"Service": "ec2.amazonaws.com"},
    {"AWS": [f"arn:aws:iam::{OTHER}:user/bob", ACCOUNT]},
]
CONTEXT_KEYS = ["aws:username", "aws:SourceIp", "aws:MultiFactorAuthPresent", "aws:TagKeys",
                "aws:CurrentTime", "aws:PrincipalTag/team", "s3:max-keys", "aws:SourceArn"]
CONTEXT_VALUES: dict[str, list[Any]] = {
    "aws:username": ["alice", "bob", "Alice"],
    "aws:SourceIp": ["10.1.2.3", "192.168.0.1", "2001:db8::1", "not-an-ip"],
    "aws:MultiFactorAuthPresent": ["true", "false", "yes"],
    "aws:TagKeys": [["team"], ["team", "cost"], [], ["Team", "env"]],
    "aws:CurrentTime": ["2024-06-01T00:00:00Z", "2020-01-01T12:00:00Z", "1700000000", "junk"],
    "aws:PrincipalTag/team": ["a", "blue", "*"],
    "s3:max-keys": ["10", "1000", "abc", "5.5"],
    "aws:SourceArn": ["arn:aws:s3:::bucket", f"arn:aws:sns:us-east-1:{ACCOUNT}:topic", "nope"],
}
OPERATORS = ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
             "StringLike", "StringNotLike", "NumericLessThan", "NumericGreaterThanEquals",
             "NumericEquals", "NumericNotEquals", "DateGreaterThan", "DateLessThanEquals", "Bool",
             "IpAddress", "NotIpAddress", "ArnLike", "ArnNotEquals", "Null", "StringEqualsIfExists",
             "NumericLessThanIfExists", "ForAnyValue:StringEquals", "ForAllValues:StringLike",
             "ForAnyValue:StringNotEquals", "ForAllValues:StringNotEquals", "BinaryEquals"]
POLICY_VALUES = ["alice", "Alice", "${aws:username}", "10.0.0.0/8", "2001:db8::/32", "true", "false",
                 "100", "5.5", "2023-01-01T00:00:00Z", "1600000000", "team", "t*", "a?ice", "blue",
                 "arn:aws:s3:::*", f"arn:aws:sns:*:{ACCOUNT}:*", "YWxpY2U=", "${aws:PrincipalTag/team}",
                 "${*}"]


def one_or_list(values: list[str]) -> Any:
    return values[0] if len(values) == 1 else values


conditions = st.dictionaries(
    st.sampled_from(OPERATORS),
    st.dictionaries(st.sampled_from(CONTEXT_KEYS),
                    st.lists(st.sampled_from(POLICY_VALUES), min_size=1, max_size=3).map(one_or_list),
                    min_size=1, max_size=2),
    max_size=2)


@st.composite
def statements(draw: st.DrawFn, with_principal: bool) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    if draw(st.booleans()):
        stmt["Sid"] = draw(st.sampled_from(["A", "B", "C1"]))
    actions = one_or_list(draw(st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3)))
    stmt["NotAction" if draw(st.integers(0, 5)) == 0 else "Action"] = actions
    resources = one_or_list(draw(st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=3)))
    stmt["NotResource" if draw(st.integers(0, 5)) == 0 else "Resource"] = resources
    if with_principal:
        key = "NotPrincipal" if stmt["Effect"] == "Deny" and draw(st.integers(0, 4)) == 0 else "Principal"
        stmt[key] = draw(st.sampled_from(POLICY_PRINCIPALS))
    cond = draw(conditions)
    if cond:
        stmt["Condition"] = cond
    return stmt


def documents(with_principal: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda version, stmts: {**version, "Statement": stmts},
        st.sampled_from([{"Version": "2012-10-17"}, {"Version": "2012-10-17"}, {"Version": "2008-10-17"}, {}]),
        st.lists(statements(with_principal), min_size=1, max_size=4).map(_unique_sids))


def _unique_sids(stmts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen = set()
    for stmt in stmts:
        if "Sid" in stmt:
            if stmt["Sid"] in seen:
                del stmt["Sid"]
            else:
                seen.add(stmt["Sid"])
    return stmts


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    context: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(CONTEXT_KEYS), unique=True, max_size=6)):
        context[key] = draw(st.sampled_from(CONTEXT_VALUES[key]))
    principal = draw(st.sampled_from(PRINCIPALS))
    if "assumed-role" in principal.get("arn", ""):
        context["aws:PrincipalArn"] = f"arn:aws:iam::{ACCOUNT}:role/Admin"
    policies: dict[str, Any] = {"identity": draw(st.lists(documents(), max_size=3))}
    if draw(st.booleans()):
        policies["resource"] = draw(documents(with_principal=True))
    if draw(st.integers(0, 3)) == 0:
        policies["permissions_boundary"] = draw(documents())
    if draw(st.integers(0, 3)) == 0:
        policies["session"] = draw(st.lists(documents(), min_size=1, max_size=2))
    if draw(st.integers(0, 3)) == 0:
        policies["scp"] = draw(st.lists(st.lists(documents(), min_size=1, max_size=2), min_size=1, max_size=2))
    if draw(st.integers(0, 4)) == 0:
        policies["rcp"] = [[{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}],
            draw(st.lists(documents(with_principal=True), min_size=1, max_size=1))]
    return {"action": draw(st.sampled_from(ACTIONS)), "resource": draw(st.sampled_from(RESOURCES)),
            "principal": principal, "context": context, "policies": policies}


# 250 examples a property keep the suite quick; IAMD_PROPERTY_EXAMPLES=5000 for a deep run.
SETTINGS = settings(max_examples=int(os.environ.get("IAMD_PROPERTY_EXAMPLES", "250")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(requests())
def test_compiled_engine_agrees_with_reference(request: dict[str, Any]) -> None:
    compiled = evaluate_request(request)
    reference = evaluate_request(request, reference=True)
    if "error" in compiled or "error" in reference:
        assert compiled == reference
        return
    assert compiled["decision"] == reference["decision"], (compiled, reference)
    assert compiled["policy_type"] == reference["policy_type"]
    assert compiled == reference


def _statement_at(request: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    policies = request["policies"]
    kind = ref["policy_type"]
    if kind in ("scp", "rcp"):
        doc = policies[kind][ref["level"]][ref["policy_index"]]
    elif kind in ("identity", "session"):
        doc = policies[kind][ref["policy_index"]]
    else:
        doc = policies[kind]
    stmts = doc["Statement"]
    return stmts if isinstance(stmts, dict) else stmts[ref["statement_index"]]


@SETTINGS
@given(requests())
def test_allow_never_when_a_deny_applies(request: dict[str, Any]) -> None:
    result = evaluate_request(request)
    if result.get("decision") != "Allow":
        return
    # Make every Deny statement unconditional on this exact action and resource:
    # if any existed in a policy that applies, the answer must become ExplicitDeny.
    denied = copy.deepcopy(request)
    deny = {"Effect": "Deny", "Action": request["action"], "Resource": request["resource"]}
    if denied["policies"]["identity"]:
        denied["policies"]["identity"][0]["Statement"].append(deny)
        assert evaluate_request(denied)["decision"] == "ExplicitDeny"
    for ref in result["statements"]:
        assert ref["effect"] == "Allow"
        assert _statement_at(request, ref)["Effect"] == "Allow"


@SETTINGS
@given(requests(), documents())
def test_adding_a_deny_never_turns_a_deny_into_an_allow(request: dict[str, Any],
                                                        extra: dict[str, Any]) -> None:
    before = evaluate_request(request)
    if "error" in before:
        return
    for stmt in extra["Statement"]:
        stmt["Effect"] = "Deny"
    more = copy.deepcopy(request)
    more["policies"]["identity"] = [*more["policies"]["identity"], extra]
    after = evaluate_request(more)
    if "error" in after:
        return
    if before["decision"] != "Allow":
        assert after["decision"] != "Allow"
    if before["decision"] == "ExplicitDeny":
        assert after["decision"] == "ExplicitDeny"
