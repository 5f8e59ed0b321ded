"""Rate limits per access key and per source address: AWS's Throttling.

A real `iamd serve` with low limits, driven by boto3 (which must see IAM's
own error: HTTP 400, Sender, Throttling, "Rate exceeded", and retry it as it
retries AWS) and by httpx for requests no SDK would send.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from iamd.testing import IamdServer, free_port


def outcomes(calls: int, call: Any) -> list[str]:
    """The error code of each call, "ok" for success."""
    seen = []
    for _ in range(calls):
        try:
            call()
            seen.append("ok")
        except ClientError as error:
            seen.append(error.response["Error"]["Code"])
    return seen


@pytest.fixture(scope="module")
def per_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[IamdServer, int]]:
    metrics_port = free_port()
    with IamdServer.start(tmp_path_factory.mktemp("per-key"), extra_args=[
            "--rate-limit-per-key", "2", "--rate-limit-per-address", "0",
            "--metrics-port", str(metrics_port)]) as server:
        yield server, metrics_port


def test_a_key_over_its_rate_gets_throttling(per_key: tuple[IamdServer, int]) -> None:
    server, metrics_port = per_key
    iam = server.client("iam")
    time.sleep(2.5)  # a full bucket: 4 requests at once, then 2 a second
    with pytest.raises(ClientError) as throttled:
        for _ in range(12):
            iam.get_user()
    error = throttled.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"] == {"Type": "Sender", "Code": "Throttling", "Message": "Rate exceeded"}
    time.sleep(1.2)  # the bucket refills
    assert iam.get_user()["User"]["UserName"] == "admin"
    scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
    limited = {tuple(sorted(s.labels.items())): s.value
               for family in text_string_to_metric_families(scraped)
               for s in family.samples if s.name == "iamd_rate_limited_requests_total"}
    assert limited[(("limit", "access_key"),)] >= 1


def test_each_key_has_its_own_bucket(per_key: tuple[IamdServer, int]) -> None:
    server, _ = per_key
    time.sleep(2.5)
    other_name = f"other-{time.monotonic_ns()}"
    server.client("iam").create_user(UserName=other_name)
    key = server.client("iam").create_access_key(UserName=other_name)["AccessKey"]
    assert "Throttling" in outcomes(10, server.client("iam").get_user)  # the admin's bucket
    other = server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    assert outcomes(3, other.get_caller_identity) == ["ok"] * 3


def test_a_bad_signature_uses_up_nothing(per_key: tuple[IamdServer, int]) -> None:
    server, _ = per_key
    time.sleep(2.5)
    forged = server.client("sts", server.access_key_id, "not-the-secret")
    assert set(outcomes(10, forged.get_caller_identity)) == {"SignatureDoesNotMatch"}
    assert outcomes(3, server.client("sts").get_caller_identity) == ["ok"] * 3


def test_boto3_retries_throttling_as_it_does_with_aws(per_key: tuple[IamdServer, int]) -> None:
    server, _ = per_key
    time.sleep(2.5)
    import boto3

    patient = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                           aws_access_key_id=server.access_key_id,
                           aws_secret_access_key=server.secret_access_key,
                           config=Config(retries={"mode": "standard", "max_attempts": 10}))
    for _ in range(10):
        patient.get_caller_identity()


def test_an_address_over_its_rate_gets_throttling_signed_or_not(tmp_path: Path) -> None:
    with IamdServer.start(tmp_path, extra_args=["--rate-limit-per-address", "2",
                                                "--rate-limit-per-key", "0"]) as server:
        iam = server.client("iam")  # made first: making it takes longer than a refill
        time.sleep(2.5)
        codes = []
        for _ in range(8):
            answer = httpx.post(server.endpoint, data={"Action": "GetUser",
                                                       "Version": "2010-05-08"})
            codes.append((answer.status_code, "<Code>Throttling</Code>" in answer.text))
        assert (403, False) in codes  # unsigned: MissingAuthenticationToken while tokens last
        assert (400, True) in codes  # then Throttling
        assert "Throttling" in outcomes(3, iam.get_user)


def test_the_authorization_endpoint_is_not_limited(tmp_path: Path) -> None:
    """A service asks /_iamd/authorize for all of its clients: neither its key nor
    its address is limited there, while its own IAM calls are."""
    import json

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    with IamdServer.start(tmp_path, extra_args=["--rate-limit-per-address", "2",
                                                "--rate-limit-per-key", "2"]) as server:
        service_key = Credentials(server.access_key_id, server.secret_access_key)
        client = AWSRequest(method="GET", url="http://objects.internal:9000/reports/q1.csv")
        SigV4Auth(service_key, "s3", "us-east-1").add_auth(client)
        body = json.dumps({
            "action": "s3:GetObject", "resource": "arn:aws:s3:::reports/q1.csv",
            "method": "GET", "path": "/reports/q1.csv", "query": "",
            "headers": {"host": "objects.internal:9000", **dict(client.headers.items())}})
        with httpx.Client() as http:
            for _ in range(10):
                ask = AWSRequest(method="POST", url=f"{server.endpoint}/_iamd/authorize",
                                 data=body, headers={"Content-Type": "application/json"})
                SigV4Auth(service_key, "iamd", "us-east-1").add_auth(ask)
                answer = http.post(ask.url, content=body, headers=dict(ask.headers.items()))
                assert answer.status_code == 200, answer.text
                assert answer.json()["decision"] == "Allow"
        assert "Throttling" in outcomes(8, server.client("iam").get_user)
