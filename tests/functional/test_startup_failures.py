"""`iamd serve` that cannot start says why in one line and exits non-zero.

Each case runs the real command in a subprocess with one thing wrong, and
reads what an operator would read: a single `iamd: cannot start: ...` line
on stderr (after the migrations' log lines, when the store opened), never a
Python traceback.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from iamd.testing import free_port


def serve(data_dir: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    import os

    args = [sys.executable, "-m", "iamd.cli.main", "serve", "--data-dir", str(data_dir),
            "--log-level", "warning", *extra]
    if "--port" not in extra:
        args += ["--port", str(free_port())]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})
    return done.returncode, done.stdout + done.stderr


def assert_one_line(output: str, *fragments: str) -> None:
    assert "Traceback" not in output, output
    failures = [line for line in output.splitlines() if line.startswith("iamd: cannot start: ")]
    assert len(failures) == 1, output
    for fragment in fragments:
        assert fragment in failures[0], output


def test_unreachable_postgresql(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    code, output = serve(tmp_path, "--database", f"postgresql://postgres:s3cret@127.0.0.1:{closed}/test")
    assert code != 0
    assert_one_line(output, f"127.0.0.1:{closed}", "refused")
    assert "s3cret" not in output  # the URL's password is never shown


def test_unsupported_database_url(tmp_path: Path) -> None:
    code, output = serve(tmp_path, "--database", "mysql://db.example/iam")
    assert code != 0
    assert_one_line(output, "unsupported database 'mysql'")


def test_data_directory_that_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    code, output = serve(tmp_path / "a-file" / "data")
    assert code != 0
    assert_one_line(output, "Not a directory", str(tmp_path / "a-file"))


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, output = serve(tmp_path, "--port", str(port))
    assert code != 0
    assert_one_line(output, f"cannot listen on 127.0.0.1:{port}", "in use")


@pytest.mark.parametrize("where", ["file", "environment"])
def test_master_key_that_does_not_decode(tmp_path: Path, where: str) -> None:
    env = {}
    if where == "file":
        tmp_path.mkdir(exist_ok=True)
        key = tmp_path / "master.key"
        key.write_text("this is not a key\n")
        key.chmod(0o600)
    else:
        env["IAMD_MASTER_KEY"] = "not base64!"
    code, output = serve(tmp_path, env=env)
    assert code != 0
    assert_one_line(output, "master key")
    assert "not base64!" not in output


def test_a_proxy_list_that_does_not_parse(tmp_path: Path) -> None:
    code, output = serve(tmp_path, "--forwarded-allow-ips", "10.0.0.1,proxy.internal")
    assert code != 0
    assert_one_line(output, "'proxy.internal' is not an IP address or network")


def test_failures_are_json_lines_with_log_format_json(tmp_path: Path) -> None:
    import json

    code, output = serve(tmp_path, "--database", "mysql://db.example/iam", "--log-format", "json")
    assert code != 0
    assert "Traceback" not in output, output
    lines = [json.loads(line) for line in output.splitlines()]
    assert [line["message"] for line in lines if "cannot start" in line["message"]] == [
        "iamd: cannot start: unsupported database 'mysql': use sqlite:///path or postgresql://..."]
