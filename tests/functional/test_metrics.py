"""Metrics in Prometheus's text format: scraped over HTTP from a real server
and read with prometheus_client's own parser.

boto3 makes calls that succeed, fail and are denied, and a console sign-in
fails; then the scrape (unsigned on --metrics-port, or signed by a caller
allowed iamd:GetMetrics on /_iamd/metrics) must count them: requests by
service, operation and status, latency histograms, decisions, sign-ins,
cache lookups. Under --workers 2 the counts of both workers add up.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from prometheus_client.parser import text_string_to_metric_families

from iamd.testing import IamdServer, free_port

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape_port(port: int) -> Samples:
    answer = httpx.get(f"http://127.0.0.1:{port}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(answer.text)


def signed_get(server: IamdServer, key_id: str, secret: str) -> httpx.Response:
    url = f"{server.endpoint}/_iamd/metrics"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(key_id, secret), "iamd", "us-east-1").add_auth(request)
    return httpx.get(url, headers=dict(request.headers.items()))


def new_user(server: IamdServer, policy: dict[str, object] | None = None) -> tuple[str, str]:
    iam = server.client("iam")
    name = f"metrics-{time.monotonic_ns()}"
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def failed_console_signin(server: IamdServer) -> None:
    with httpx.Client(base_url=server.endpoint) as browser:
        form = browser.get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        answer = browser.post("/signin", data={
            "csrf_token": token.group(1), "account": "000000000000", "username": "nobody",
            "password": "wrong password", "redirect_uri": "/console"})
        assert answer.status_code == 401


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[IamdServer, int]]:
    port = free_port()
    with IamdServer.start(tmp_path_factory.mktemp("metrics"),
                          extra_args=["--metrics-port", str(port)]) as server:
        yield server, port


def test_requests_decisions_signins_and_caches_are_counted(
        watched: tuple[IamdServer, int]) -> None:
    server, port = watched
    before = scrape_port(port)
    iam = server.client("iam")
    for _ in range(3):
        iam.get_user()
    with pytest.raises(ClientError):
        iam.get_user(UserName="nobody-of-that-name")
    denied = server.client("iam", *new_user(server))
    with pytest.raises(ClientError) as refused:
        denied.list_users()
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    server.client("sts").get_caller_identity()
    httpx.post(server.endpoint, data={"Action": "MadeUpAction", "Version": "2010-05-08"})
    failed_console_signin(server)
    after = scrape_port(port)

    def grew(name: str, by: float, **labels: str) -> None:
        gained = value(after, name, **labels) - value(before, name, **labels)
        assert gained >= by, (name, labels, gained)

    grew("iamd_requests_total", 3, service="iam", operation="GetUser", status="200")
    grew("iamd_requests_total", 1, service="iam", operation="GetUser", status="404")
    grew("iamd_requests_total", 1, service="iam", operation="ListUsers", status="403")
    grew("iamd_requests_total", 1, service="sts", operation="GetCallerIdentity", status="200")
    # A name the client made up is not a time series of its own.
    assert not any("MadeUpAction" in str(labels) for _, labels in after)
    grew("iamd_request_duration_seconds_count", 4, service="iam", operation="GetUser")
    assert value(after, "iamd_request_duration_seconds_bucket", service="iam",
                 operation="GetUser", le="+Inf") == value(
        after, "iamd_request_duration_seconds_count", service="iam", operation="GetUser")
    grew("iamd_authorization_decisions_total", 3, decision="Allow")
    grew("iamd_authorization_decisions_total", 1, decision="ImplicitDeny")
    grew("iamd_console_signins_total", 1, outcome="failure")
    grew("iamd_cache_lookups_total", 1, cache="access_key", result="hit")
    grew("iamd_cache_lookups_total", 1, cache="permissions", result="hit")


def test_the_signed_endpoint_needs_iamd_get_metrics(watched: tuple[IamdServer, int]) -> None:
    server, _ = watched
    admin = signed_get(server, server.access_key_id, server.secret_access_key)
    assert admin.status_code == 200
    assert value(parse(admin.text), "iamd_requests_total", service="iam",
                 operation="CreateUser", status="200") >= 0  # parses
    nobody = signed_get(server, *new_user(server))
    assert nobody.status_code == 403
    assert nobody.json()["error"]["code"] == "AccessDenied"
    assert "iamd:GetMetrics" in nobody.json()["error"]["message"]
    scraper = signed_get(server, *new_user(server, {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iamd:GetMetrics", "Resource": "*"}]}))
    assert scraper.status_code == 200
    assert value(parse(scraper.text), "iamd_requests_total", service="iamd",
                 operation="GetMetrics", status="403") >= 1
    unsigned = httpx.get(f"{server.endpoint}/_iamd/metrics")
    assert unsigned.status_code in (400, 403)
    assert "iamd_requests_total" not in unsigned.text


def test_several_workers_add_up(tmp_path: Path) -> None:
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    def metric_directories() -> set[Path]:
        return set(Path(tempfile.gettempdir()).glob("iamd-metrics-*"))

    earlier = metric_directories()
    port = free_port()
    with IamdServer.start(tmp_path, workers=2, extra_args=["--metrics-port", str(port)]) as server:
        ours = metric_directories() - earlier
        assert len(ours) == 1, "the workers write their metrics in a directory of their own"

        def client_calls(_: int) -> None:
            sts = server.client("sts")
            for _ in range(5):
                sts.get_caller_identity()

        def writers() -> set[str]:
            return {path.stem.split("_")[-1] for path in next(iter(ours)).glob("counter_*.db")}

        # Clients at once, on connections of their own, until both workers have
        # answered some (the kernel hands connections to either, unevenly).
        assert writers() == set(), "a worker writes its file when it counts its first request"
        clients, rounds = 8, 0
        while rounds == 0 or (len(writers()) < 2 and rounds < 20):
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(client_calls, range(clients)))
            rounds += 1
        calls = rounds * clients * 5
        port_total = value(scrape_port(port), "iamd_requests_total", service="sts",
                           operation="GetCallerIdentity", status="200")
        signed = signed_get(server, server.access_key_id, server.secret_access_key)
        signed_total = value(parse(signed.text), "iamd_requests_total", service="sts",
                             operation="GetCallerIdentity", status="200")
        assert len(writers()) == 2, "both workers answered some of the calls"
    assert port_total == calls
    assert signed_total == calls
    assert not any(directory.exists() for directory in ours), "removed at exit"


def test_the_metrics_port_is_loopback_only(watched: tuple[IamdServer, int]) -> None:
    import socket

    _, port = watched
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a local address
        address = udp.getsockname()[0]
    if address.startswith("127."):
        pytest.skip("this host has no address but loopback")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://{address}:{port}/metrics")
    assert httpx.get(f"http://127.0.0.1:{port}/metrics").status_code == 200


@pytest.mark.postgres
def test_store_contention_is_counted(tmp_path: Path) -> None:
    """A table another client holds locked: each attempt of a write meets
    PostgreSQL's lock timeout, iamd retries, then answers Throttling, and
    every attempt's Contention is counted."""
    import psycopg

    from conftest import database_for

    database = database_for("postgresql")
    port = free_port()
    with IamdServer.start(tmp_path, database=database + "%20-clock_timeout%3D300",
                          extra_args=["--metrics-port", str(port)]) as server:
        iam = server.client("iam")
        iam.get_user()  # the admin's key is cached: only the write needs the table
        before = value(scrape_port(port), "iamd_store_errors_total", error="Contention")
        with psycopg.connect(database.replace("postgresql+psycopg://", "postgresql://")) as other:
            other.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            with pytest.raises(ClientError) as refused:
                iam.create_user(UserName="blocked")
            other.rollback()
        assert refused.value.response["Error"]["Code"] == "Throttling"
        after = value(scrape_port(port), "iamd_store_errors_total", error="Contention")
        assert after - before >= 3
        assert iam.create_user(UserName="unblocked")["User"]["UserName"] == "unblocked"
