"""Encoded authorization messages: what is sealed opens to AWS's decoded shape,
under any key the store still has; anything else is AWS's invalid-message error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from iamd.model.errors import InvalidAuthorizationMessage
from iamd.service.runtime import Runtime
from iamd.service.sts.authorization_messages import (
    encode_authorization_message,
    open_authorization_message,
)
from iamd.service.sts.token_keys import TokenKeys
from iamd.store import open_store
from iamd.store.secrets import SecretBox

DECISION = {
    "allowed": False,
    "explicitDeny": True,
    "matchedStatements": [{"statementId": "DenyAll", "effect": "DENY"}],
    "context": {
        "principal": {"id": "AIDAEXAMPLE0000000001", "name": "bob",
                      "arn": "arn:aws:iam::123456789012:user/bob"},
        "action": "iam:CreateUser",
        "resource": "arn:aws:iam::123456789012:user/alice",
        "conditions": {"aws:SourceIp": "127.0.0.1", "aws:TagKeys": ["a", "b"]},
    },
}


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    store = open_store(f"sqlite:///{tmp_path / 'iamd.db'}")
    try:
        made = Runtime(store=store, secrets=(box := SecretBox(bytes(range(32)))),
                       token_keys=TokenKeys(store, box), data_dir=tmp_path)
        made.token_keys.ensure()
        yield made
    finally:
        store.close()


def test_round_trip_in_aws_shape(runtime: Runtime) -> None:
    decoded = json.loads(open_authorization_message(runtime, encode_authorization_message(runtime, DECISION)))
    assert decoded == {
        "allowed": False,
        "explicitDeny": True,
        "matchedStatements": {"items": [{"statementId": "DenyAll", "effect": "DENY"}]},
        "failures": {"items": []},
        "context": {
            "principal": DECISION["context"]["principal"],  # type: ignore[index]
            "action": "iam:CreateUser",
            "resource": "arn:aws:iam::123456789012:user/alice",
            "conditions": {"items": [
                {"key": "aws:SourceIp", "values": {"items": [{"value": "127.0.0.1"}]}},
                {"key": "aws:TagKeys", "values": {"items": [{"value": "a"}, {"value": "b"}]}},
            ]},
        },
    }


def test_messages_survive_key_rotation(runtime: Runtime) -> None:
    encoded = encode_authorization_message(runtime, DECISION)
    runtime.token_keys.rotate()
    assert json.loads(open_authorization_message(runtime, encoded))["explicitDeny"] is True
    assert encode_authorization_message(runtime, DECISION) != encoded


@pytest.mark.parametrize("garbage", ["", "not a message", "AAAA", "IQoJb3JpZ2luX2VjEJr"])
def test_garbage_is_invalid(runtime: Runtime, garbage: str) -> None:
    with pytest.raises(InvalidAuthorizationMessage):
        open_authorization_message(runtime, garbage)


def test_altered_message_is_invalid(runtime: Runtime) -> None:
    encoded = encode_authorization_message(runtime, DECISION)
    altered = encoded[:-2] + ("A" if encoded[-2] != "A" else "B") + encoded[-1]
    with pytest.raises(InvalidAuthorizationMessage):
        open_authorization_message(runtime, altered)
