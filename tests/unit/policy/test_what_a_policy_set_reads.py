"""A policy set says what its decisions can depend on: the request's context
at all, and a resource's tags in it, so that authorization builds the
context and reads the target's tags only when some policy reads them; and a
set that reads no context decides the same with any."""

from __future__ import annotations

from typing import Any

import pytest

from iamd.policy import Context, PolicySet, Principal, Request

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _mentioning(where: str) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Deny", "Action": "iam:GetUser", "Resource": "*"}
    if where == "condition key":
        statement["Condition"] = {"Null": {"iam:ResourceTag/team": "true"}}
    elif where == "aws condition key, other case":
        statement["Condition"] = {"StringEquals": {"AWS:resourceTag/Team": "x"}}
    elif where == "variable in a condition value":
        statement["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}}
    elif where == "variable in a resource":
        statement["Resource"] = "arn:aws:iam::*:user/${iam:ResourceTag/team}/*"
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_a_set_that_names_no_resource_tag_does_not_read_them() -> None:
    other_keys = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]}
    assert not PolicySet.compile(identity=[ALLOW_ALL, other_keys]).reads_resource_tags
    assert not PolicySet.compile().reads_resource_tags


@pytest.mark.parametrize("where", ["condition key", "aws condition key, other case",
                                   "variable in a condition value", "variable in a resource"])
@pytest.mark.parametrize("gate", ["identity", "permissions_boundary", "session", "scp"])
def test_a_resource_tag_named_in_any_gate_is_read(where: str, gate: str) -> None:
    given = _placed(_mentioning(where), gate)
    assert PolicySet.compile(**given).reads_resource_tags
    assert PolicySet.compile(**given, reference=True).reads_resource_tags


def _placed(document: dict[str, Any], gate: str) -> dict[str, Any]:
    """PolicySet.compile's arguments with `document` in `gate` beside an allow-all."""
    return {
        "identity": {"identity": [ALLOW_ALL, document]},
        "permissions_boundary": {"identity": [ALLOW_ALL], "permissions_boundary": document},
        "session": {"identity": [ALLOW_ALL], "session": [document]},
        "scp": {"identity": [ALLOW_ALL], "scp": [[ALLOW_ALL, document]]},
    }[gate]


DENY_DELETE = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Action": "iam:Delete*", "Resource": "arn:aws:iam::*:user/admins/*"}]}


def _reading(where: str) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Deny", "Action": "iam:GetUser", "Resource": "*"}
    if where == "condition":
        statement["Condition"] = {"Bool": {"aws:SecureTransport": "false"}}
    elif where == "variable in a resource":
        statement["Resource"] = "arn:aws:iam::*:user/${aws:username}"
    elif where == "variable in a not-resource":
        statement.pop("Resource")
        statement["NotResource"] = "arn:aws:iam::*:user/${aws:username}"
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_a_set_without_conditions_or_variables_reads_no_context() -> None:
    policies = PolicySet.compile(identity=[ALLOW_ALL, DENY_DELETE])
    assert not policies.reads_context
    principal = Principal.from_arn("arn:aws:iam::123456789012:user/alice")
    decisions = set()
    for context in (Context(), Context.of({"aws:SecureTransport": "false",
                                           "aws:username": "alice"})):
        for action, resource in (("iam:GetUser", "arn:aws:iam::123456789012:user/bob"),
                                 ("iam:DeleteUser", "arn:aws:iam::123456789012:user/admins/x")):
            request = Request(action=action, resource=resource, principal=principal,
                              context=context, resource_account="123456789012")
            decisions.add((action, policies.decide(request).decision))
    assert decisions == {("iam:GetUser", "Allow"), ("iam:DeleteUser", "ExplicitDeny")}


@pytest.mark.parametrize("where", ["condition", "variable in a resource",
                                   "variable in a not-resource"])
@pytest.mark.parametrize("gate", ["identity", "permissions_boundary", "session", "scp"])
def test_a_condition_or_variable_in_any_gate_reads_the_context(where: str, gate: str) -> None:
    given = _placed(_reading(where), gate)
    assert PolicySet.compile(**given).reads_context
    assert PolicySet.compile(**given, reference=True).reads_context
