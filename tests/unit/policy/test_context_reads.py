"""A policy set says whether its decisions can depend on the request's context
at all, so that authorization builds the context only when some policy reads
it; and a set that reads none decides the same with any context."""

from __future__ import annotations

from typing import Any

import pytest

from iamd.policy import Context, PolicySet, Principal, Request

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]}
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
    document = _reading(where)
    given: dict[str, Any] = {
        "identity": {"identity": [ALLOW_ALL, document]},
        "permissions_boundary": {"identity": [ALLOW_ALL], "permissions_boundary": document},
        "session": {"identity": [ALLOW_ALL], "session": [document]},
        "scp": {"identity": [ALLOW_ALL], "scp": [[ALLOW_ALL, document]]},
    }[gate]
    assert PolicySet.compile(**given).reads_context
    assert PolicySet.compile(**given, reference=True).reads_context
