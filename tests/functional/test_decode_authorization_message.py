"""sts:DecodeAuthorizationMessage end to end with boto3: a message iamd did not
seal is AWS's InvalidAuthorizationMessageException, and a caller without
sts:DecodeAuthorizationMessage is refused with AccessDenied before anything
is opened. (IAM and STS return no encoded messages themselves, as in AWS;
the round trip of a sealed message is tested in the unit tests.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.testing import IamdServer


def failure(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as exc:
        call()
    response = exc.value.response
    return (str(response["Error"]["Code"]), str(response["Error"]["Message"]),
            int(response["ResponseMetadata"]["HTTPStatusCode"]))


@pytest.mark.parametrize("garbage", ["not-a-message", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                     "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ"])
def test_a_message_iamd_did_not_seal_is_invalid(sts: Any, garbage: str) -> None:
    code, message, status = failure(lambda: sts.decode_authorization_message(EncodedMessage=garbage))
    assert (code, status) == ("InvalidAuthorizationMessageException", 400)
    assert message


@pytest.fixture
def powerless(iamd_server: IamdServer, iam: Any, unique: Any) -> Iterator[tuple[str, Any]]:
    name = unique("decoder")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    yield arn, iamd_server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=name)


def test_decoding_needs_the_permission(powerless: tuple[str, Any]) -> None:
    arn, sts = powerless
    code, message, status = failure(
        lambda: sts.decode_authorization_message(EncodedMessage="not-a-message"))
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(f"User: {arn} is not authorized to perform: sts:DecodeAuthorizationMessage")
