"""`iamd serve --log-format json`: every line a JSON object, the request id on
each line logged while serving a request, equal to the id the client got.

boto3 and httpx drive a real server (one process, then two workers); the
test reads the server's own stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from iamd.testing import IamdServer


def log_lines(server: IamdServer) -> list[dict[str, Any]]:
    lines = server.log_path.read_text().splitlines()
    assert lines
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}")
    return parsed


@pytest.mark.parametrize("workers", [1, 2])
def test_every_line_is_json_with_the_request_id(tmp_path: Path, workers: int) -> None:
    with IamdServer.start(tmp_path, workers=workers,
                          extra_args=["--log-format", "json", "--log-level", "info"]) as server:
        iam = server.client("iam")
        answered = iam.get_user()["ResponseMetadata"]["RequestId"]
        with pytest.raises(ClientError) as failed:
            iam.get_user(UserName="nobody-by-that-name")
        refused = failed.value.response["ResponseMetadata"]["RequestId"]
        with httpx.Client() as client:
            page = client.get(f"{server.endpoint}/signin")
            # A presigned URL carries its signature and token in the query string.
            client.get(f"{server.endpoint}/?Action=GetUser&X-Amz-Signature=f00dfeed"
                       "&X-Amz-Security-Token=secret-session-token")
        assert page.status_code == 200
        secret = server.secret_access_key
    lines = log_lines(server)
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys(), line
    for request_id in (answered, refused):
        mine = [line for line in lines if line.get("request_id") == request_id]
        # One line per API request: iamd's, which is its access line too
        # (uvicorn's own line of it is dropped).
        assert [line["logger"] for line in mine] == ["iamd.api"], mine
        assert mine[0]["method"] == "POST" and mine[0]["path"] == "/"
        assert mine[0]["client"] == "127.0.0.1"
    statuses = {line["request_id"]: line["status"] for line in lines
                if line["logger"] == "iamd.api" and "status" in line}
    assert statuses[answered] == 200 and statuses[refused] == 404
    console = [line for line in lines
               if line["logger"] == "uvicorn.access" and line["path"] == "/signin"]
    assert len(console) == 1 and console[0].get("request_id"), console
    # Start-up lines are JSON too, and secrets are in none of them.
    assert any("serving IAM and STS" in line["message"] for line in lines)
    text = server.log_path.read_text()
    for never in (secret, "f00dfeed", "secret-session-token"):
        assert never not in text
    # The presigned GET's line names its path without the query string.
    presigned = [line for line in lines if line.get("method") == "GET" and line.get("path") == "/"]
    assert len(presigned) == 1 and presigned[0]["logger"] == "iamd.api", presigned
