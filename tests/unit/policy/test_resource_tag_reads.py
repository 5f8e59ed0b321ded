"""A policy set says whether its decisions can depend on a resource's tags,
so that authorization reads the target's tags only when some policy does."""

from __future__ import annotations

from typing import Any

import pytest

from iamd.policy import PolicySet

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
    document = _mentioning(where)
    given: dict[str, Any] = {
        "identity": {"identity": [ALLOW_ALL, document]},
        "permissions_boundary": {"identity": [ALLOW_ALL], "permissions_boundary": document},
        "session": {"identity": [ALLOW_ALL], "session": [document]},
        "scp": {"identity": [ALLOW_ALL], "scp": [[ALLOW_ALL, document]]},
    }[gate]
    assert PolicySet.compile(**given).reads_resource_tags
    assert PolicySet.compile(**given, reference=True).reads_resource_tags
