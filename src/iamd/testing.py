"""Test helpers for iamd's users (and iamd's own tests): a real server on a free port.

    from iamd.testing import IamdServer

    with IamdServer.start(tmp_path) as server:
        iam = server.client("iam")          # boto3, signed with the admin's key
        iam.create_user(UserName="alice")

With `extra_args=["--tls-cert", CERT, "--tls-key", KEY]` the server speaks
HTTPS (`endpoint` says https) and `client(..., verify=CA_BUNDLE)` checks its
certificate.

`IamdServer.start` runs `python -m iamd.cli.main serve` in a subprocess on a
free loopback port with its own data directory (or the PostgreSQL URL you
give), waits for its health endpoint, and stops it on exit. There is no
pytest plugin: a fixture is three lines in your conftest.py (iamd's own
tests/conftest.py has one per backend):

    @pytest.fixture(scope="session")
    def iamd_server(tmp_path_factory):
        with IamdServer.start(tmp_path_factory.mktemp("iamd")) as server:
            yield server
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from iamd.service.admin_credentials import read_credentials_file


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def read_key(path: Path) -> tuple[str, str]:
    """The access key of a credentials file in the console's "Download .csv" form."""
    credentials = read_credentials_file(path)
    if credentials is None:
        raise ValueError(f"no access key in {path}")
    return credentials.access_key_id, credentials.secret_access_key


@dataclass
class IamdServer:
    endpoint: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    access_key_id: str = ""
    secret_access_key: str = ""
    account_id: str = ""
    log_path: Path = field(default_factory=Path)
    database: str | None = None  # the PostgreSQL URL it runs on; None: SQLite in data_dir

    @classmethod
    def start(cls, data_dir: Path, *, database: str | None = None, dev: bool = False,
              workers: int = 1, extra_env: dict[str, str] | None = None,
              extra_args: list[str] | None = None, timeout: float = 30.0) -> IamdServer:
        data_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        args = [sys.executable, "-m", "iamd.cli.main", "serve", "--port", str(port),
                "--data-dir", str(data_dir), "--workers", str(workers), "--log-level", "warning"]
        if database:
            args += ["--database", database]
        if dev:
            args.append("--dev")
        args += extra_args or []
        env = {**os.environ, **(extra_env or {})}
        log_path = data_dir / "server.log"
        with log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
        # With --tls-cert the server speaks HTTPS only.
        scheme = "https" if "--tls-cert" in args else "http"
        server = cls(f"{scheme}://127.0.0.1:{port}", data_dir, process, log_path=log_path,
                     database=database)
        server._wait(timeout)
        server._read_credentials()
        return server

    def _wait(self, timeout: float) -> None:
        # Only a readiness probe: the certificate is checked by the clients.
        probe = ssl._create_unverified_context() if self.endpoint.startswith("https:") else None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"iamd serve exited:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/_iamd/health", timeout=1,
                                            context=probe):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"iamd serve did not start:\n{self.log_path.read_text()}")

    def _read_credentials(self) -> None:
        path = self.data_dir / "admin-credentials.csv"
        if path.exists():
            self.access_key_id, self.secret_access_key = read_key(path)

    def client(self, service: str, access_key_id: str | None = None,
               secret_access_key: str | None = None, session_token: str | None = None,
               region: str = "us-east-1", verify: str | None = None) -> Any:
        """A boto3 client; `verify` is the CA bundle that signed an HTTPS server's certificate."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=region,
            aws_access_key_id=access_key_id or self.access_key_id,
            aws_secret_access_key=secret_access_key or self.secret_access_key,
            aws_session_token=session_token, verify=verify,
            config=Config(retries={"max_attempts": 1}))

    def create_account(self, name: str) -> tuple[str, str, str]:
        """A new account in this server's store, as `iamd account create` makes
        it: (account id, its admin's access key id, secret access key)."""
        import json

        args = [sys.executable, "-m", "iamd.cli.main", "account", "create", "--name", name,
                "--data-dir", str(self.data_dir)]
        if self.database:
            args += ["--database", self.database]
        created = subprocess.run(args, capture_output=True, text=True, check=True)
        info = json.loads(created.stdout.splitlines()[0])
        key_id, secret = read_key(Path(info["CredentialsFile"]))
        return str(info.get("AccountId", "")), key_id, secret

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> IamdServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
