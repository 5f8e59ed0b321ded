"""The pure parts of the authorization endpoint: reading the body, the payload
hashes a client may have signed, the explanation, the details sealed into an
encoded message, the principal as answered."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from iamd.policy import Context, PolicySet, Principal, Request
from iamd.service.authorize_endpoint import denial_details, explanation, principal_json
from iamd.service.authorize_request import (
    ClientRequest,
    MalformedAuthorizeRequest,
    parse_authorize_body,
    payload_hashes,
)
from iamd.service.context import ASSUMED_ROLE, IAM_USER, Caller

EMPTY = hashlib.sha256(b"").hexdigest()
GOOD: dict[str, Any] = {"method": "GET", "path": "/b/k", "query": "a=1",
                        "headers": {"Host": "x", "X-Amz-Date": "20240101T000000Z"},
                        "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}


def parsed(**changes: Any) -> Any:
    return parse_authorize_body(json.dumps({**GOOD, **changes}).encode())


def test_a_good_body() -> None:
    body = parsed(body=base64.b64encode(b"hi").decode(), context={"s3:prefix": ["a", "b"]},
                  source_ip="10.0.0.1", secure_transport=True,
                  resource_account="123456789012",
                  resource_policy={"Version": "2012-10-17", "Statement": [
                      {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]})
    assert body.request.headers == {"host": "x", "x-amz-date": "20240101T000000Z"}
    assert body.request.body == b"hi"
    assert body.context == {"s3:prefix": ["a", "b"]}
    assert body.source_ip == "10.0.0.1"
    assert body.resource_policy is not None


@pytest.mark.parametrize(("changes", "says"), [
    ({"method": None}, "'method' is required"),
    ({"path": "/a?b"}, "'path'"),
    ({"query": "a b"}, "'query'"),
    ({"headers": {"a": ["b"]}}, "'headers'"),
    ({"action": "s3"}, "'action'"),
    ({"resource": "a b"}, "'resource'"),
    ({"context": {"aws:SourceIp": "1.2.3.4"}}, "set by iamd"),
    ({"context": {"aws:PrincipalTag/team": "x"}}, "set by iamd"),
    ({"context": {"aws:FederatedProvider": "x"}}, "set by iamd"),
    ({"context": {"aws:resourceaccount": "1"}}, "set by iamd"),
    ({"context": {"noprefix": "x"}}, "prefix:Name"),
    ({"body": 5}, "'body'"),
    ({"source_ip": "localhost"}, "'source_ip'"),
    ({"resource_policy": 5}, "'resource_policy'"),
    ({"resource_policy": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}'},
     "'resource_policy'"),
    ({"extra": 1}, "unknown field(s): extra"),
    ({"headers": {"host": "\ud800"}}, "valid Unicode"),
    ({"body": base64.b64encode(b"x").decode(),
      "headers": {"host": "x", "x-amz-content-sha256": EMPTY}}, "does not match"),
])
def test_malformed(changes: dict[str, Any], says: str) -> None:
    data = {**GOOD, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(MalformedAuthorizeRequest) as error:
        parse_authorize_body(json.dumps(data).encode())
    assert says in error.value.message
    assert error.value.status == 400 and error.value.code == "ValidationError"


@pytest.mark.parametrize(("headers", "body", "presigned", "hashes"), [
    ({}, None, False, [EMPTY]),
    ({}, None, True, [EMPTY, "UNSIGNED-PAYLOAD"]),
    ({}, b"abc", False, [hashlib.sha256(b"abc").hexdigest()]),
    ({"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}, b"abc", False, ["UNSIGNED-PAYLOAD"]),
    ({"x-amz-content-sha256": "f" * 64}, None, False, ["f" * 64]),
])
def test_payload_hashes(headers: dict[str, str], body: bytes | None, presigned: bool,
                        hashes: list[str]) -> None:
    request = ClientRequest("PUT", "/", "", headers, body)
    assert payload_hashes(request, presigned=presigned) == hashes


USER = Caller(account_id="111122223333", arn="arn:aws:iam::111122223333:user/ops/alice",
              kind=IAM_USER, user_id="AIDAEXAMPLE")
DENY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]})


def decided(action: str) -> Any:
    return PolicySet.compile(identity=[("guard", DENY)]).decide(Request(
        action=action, resource="arn:aws:s3:::b/k", context=Context.of({}),
        principal=Principal.from_arn(USER.arn)))


def test_explanation_matches_the_cli() -> None:
    out = explanation(decided("s3:DeleteObject"))
    assert "decision" not in out
    assert out["policy_type"] == "identity"
    assert out["statements"][0]["sid"] == "NoDelete"
    assert out["text"].splitlines() == [
        "ExplicitDeny: with an explicit deny in an identity-based policy",
        "  Deny in identity policy #0 guard, statement #0 (Sid NoDelete)"]


def test_denial_details() -> None:
    explicit = denial_details(USER, "s3:DeleteObject", "arn:aws:s3:::b/k",
                              {"aws:SourceIp": "10.0.0.1"}, decided("s3:DeleteObject"))
    assert explicit["explicitDeny"] is True and explicit["allowed"] is False
    assert explicit["matchedStatements"][0]["statementId"] == "NoDelete"
    assert explicit["matchedStatements"][0]["effect"] == "DENY"
    assert explicit["context"]["principal"] == {"id": "AIDAEXAMPLE", "name": "alice",
                                                "arn": USER.arn}
    implicit = denial_details(USER, "s3:GetObject", "arn:aws:s3:::b/k", {}, decided("s3:GetObject"))
    assert implicit["explicitDeny"] is False and implicit["matchedStatements"] == []
    assert implicit["failures"][0]["policyType"] == "identity"


def test_principal_json() -> None:
    assert principal_json(USER) == {"arn": USER.arn, "account": "111122223333",
                                    "userid": "AIDAEXAMPLE", "type": "IAMUser"}
    session = Caller(account_id="111122223333", kind=ASSUMED_ROLE, user_id="AROAX:s",
                     arn="arn:aws:sts::111122223333:assumed-role/r/s")
    assert principal_json(session)["type"] == "AssumedRole"
