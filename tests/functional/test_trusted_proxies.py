"""Behind a proxy: X-Forwarded-For and X-Forwarded-Proto count only from the
proxies `--forwarded-allow-ips` lists.

The client is boto3 adding the headers a proxy would add; the server is a
real `iamd serve` on loopback, so the "proxy" is 127.0.0.1 when listed. A
policy that allows iam:GetUser only from 203.0.113.0/24 (and, in the second
policy, only over HTTPS) tells which address and scheme iamd believed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.testing import IamdServer


def user_allowed_only(server: IamdServer, condition: dict[str, Any]) -> tuple[str, str]:
    """A new user whose only permission is iam:GetUser under `condition`; its key."""
    iam = server.client("iam")
    name = f"proxied-{time.monotonic_ns()}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="conditional", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
                       "Condition": condition}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def with_headers(client: Any, headers: dict[str, str]) -> Any:
    def add(request: Any, **_: Any) -> None:
        for name, value in headers.items():
            request.headers[name] = value
    client.meta.events.register_first("before-sign.iam.*", add)
    return client


def allowed(server: IamdServer, key: tuple[str, str], headers: dict[str, str]) -> bool:
    iam = with_headers(server.client("iam", *key), headers)
    try:
        iam.get_user()
    except ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDenied"
        return False
    return True


FROM_DOCUMENTATION_NET = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
OVER_HTTPS = {"Bool": {"aws:SecureTransport": "true"}}


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IamdServer]:
    data_dir = tmp_path_factory.mktemp("proxied")
    with IamdServer.start(data_dir, extra_args=["--forwarded-allow-ips", "127.0.0.1,10.0.0.0/8"]) \
            as server:
        yield server


def test_a_listed_proxy_gives_the_client_address(behind_proxy: IamdServer) -> None:
    key = user_allowed_only(behind_proxy, FROM_DOCUMENTATION_NET)
    assert allowed(behind_proxy, key, {"X-Forwarded-For": "203.0.113.7"})
    # The right-most address that is not a listed proxy is the client's.
    assert allowed(behind_proxy, key, {"X-Forwarded-For": "198.51.100.1, 203.0.113.7, 10.1.2.3"})
    assert not allowed(behind_proxy, key, {"X-Forwarded-For": "203.0.113.7, 198.51.100.1"})
    assert not allowed(behind_proxy, key, {})  # the proxy's own address, 127.0.0.1


def test_a_listed_proxy_says_whether_the_client_used_https(behind_proxy: IamdServer) -> None:
    key = user_allowed_only(behind_proxy, OVER_HTTPS)
    assert allowed(behind_proxy, key, {"X-Forwarded-Proto": "https"})
    assert not allowed(behind_proxy, key, {"X-Forwarded-Proto": "http"})
    assert not allowed(behind_proxy, key, {})


def test_no_proxy_is_trusted_by_default(iamd_server: IamdServer) -> None:
    key = user_allowed_only(iamd_server, FROM_DOCUMENTATION_NET)
    assert not allowed(iamd_server, key, {"X-Forwarded-For": "203.0.113.7"})
    key = user_allowed_only(iamd_server, OVER_HTTPS)
    assert not allowed(iamd_server, key, {"X-Forwarded-Proto": "https"})


def test_uvicorns_variable_still_lists_proxies(tmp_path: Path) -> None:
    # Guide 9 used to list the load balancer in FORWARDED_ALLOW_IPS.
    with IamdServer.start(tmp_path, extra_env={"FORWARDED_ALLOW_IPS": "127.0.0.1"}) as server:
        key = user_allowed_only(server, FROM_DOCUMENTATION_NET)
        assert allowed(server, key, {"X-Forwarded-For": "203.0.113.7"})


def test_a_proxy_not_listed_is_not_believed(tmp_path: Path) -> None:
    with IamdServer.start(tmp_path, extra_args=["--forwarded-allow-ips", "10.9.9.9"]) as server:
        key = user_allowed_only(server, FROM_DOCUMENTATION_NET)
        assert not allowed(server, key, {"X-Forwarded-For": "203.0.113.7"})
