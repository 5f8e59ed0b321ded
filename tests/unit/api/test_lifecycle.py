"""One request's life on every endpoint: an unexpected failure is a 500 without
internals, with the request id, in the endpoint's own shape."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from iamd.api.app import QueryEndpoint
from iamd.api.authorize_http import AuthorizeEndpoint
from iamd.api.lifecycle import Exchange, run
from iamd.cli.serve_command import build_runtime, config_from
from iamd.service.runtime import Runtime

HOST = "127.0.0.1:8000"


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    built, _ = build_runtime(config_from(str(tmp_path), None, False, None))
    try:
        yield built
    finally:
        built.store.close()


def exchange(runtime: Runtime, service: str, body: str, path: str = "/",
             content_type: str = "application/x-www-form-urlencoded; charset=utf-8") -> Exchange:
    assert runtime.initial_admin is not None
    key = runtime.initial_admin
    request = AWSRequest(method="POST", url=f"http://{HOST}{path}", data=body,
                         headers={"Content-Type": content_type})
    SigV4Auth(Credentials(key.access_key_id, key.secret_access_key), service,
              "us-east-1").add_auth(request)
    headers = {name.lower(): value for name, value in request.headers.items()}
    headers.update({"host": HOST, "content-length": str(len(body))})
    return Exchange(request_id="req-1", method="POST", path=path, query="", headers=headers,
                    body=body.encode(), client_ip="127.0.0.1", secure=False)


def break_the_store(runtime: Runtime, tmp_path: Path) -> None:
    # A real failure below the service layer: a table the request reads is gone.
    with sqlite3.connect(tmp_path / "iamd.sqlite3") as connection:
        connection.execute("DROP TABLE tags")


def test_an_unexpected_failure_is_service_failure_without_internals(
        runtime: Runtime, tmp_path: Path) -> None:
    endpoint = QueryEndpoint(runtime)
    get_user = urlencode({"Action": "GetUser", "Version": "2010-05-08", "UserName": "admin"})
    assert run(endpoint, exchange(runtime, "iam", get_user)).status_code == 200
    break_the_store(runtime, tmp_path)
    response = run(endpoint, exchange(runtime, "iam", get_user))
    assert response.status_code == 500
    assert response.headers["x-amzn-RequestId"] == "req-1"
    body = bytes(response.body).decode()
    assert "<Code>ServiceFailure</Code>" in body and "<RequestId>req-1</RequestId>" in body
    assert "tags" not in body and "sqlite" not in body.lower()


def test_an_unexpected_failure_of_the_authorization_endpoint_is_internal_failure(
        runtime: Runtime, tmp_path: Path) -> None:
    endpoint = AuthorizeEndpoint(runtime)
    forwarded = json.dumps({"method": "GET", "path": "/b/k", "headers": {"host": "x"},
                            "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"})
    with sqlite3.connect(tmp_path / "iamd.sqlite3") as connection:
        connection.execute("DROP TABLE group_members")
    response = run(endpoint, exchange(runtime, "iamd", forwarded, path="/_iamd/authorize",
                                      content_type="application/json"))
    assert response.status_code == 500
    answer = json.loads(bytes(response.body))
    assert answer == {"error": {"code": "InternalFailure", "type": "Receiver",
                                "message": "We encountered an internal error. Please try again."},
                      "request_id": "req-1"}
