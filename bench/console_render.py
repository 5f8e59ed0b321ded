"""How fast the console's users list renders with 5,000 users.

    python bench/console_render.py [--users 5000] [--requests 50] [--size 50]

Builds a runtime as `iamd serve` does (a fresh SQLite data directory),
creates the users through the Query endpoint in-process (signed with the
admin's key; the admin counts as one of them), adds a signed-in IAM user
with AdministratorAccess, and serves the console and the API with uvicorn on
a loopback port. It then times GET /console/users?size=N (one page) over
HTTP with a real session cookie, `--requests` times after a warm-up:
server-side (an ASGI wrapper around the whole app, from the request's arrival
to the last byte handed to the server) and end to end (the client's view).

The named peer is a bare Starlette `HTMLResponse` of the same number of
bytes, served by the same app, server and client in the same run: the ratio
says what the console's page costs over doing nothing but answering.
Prints median and p95 in milliseconds, and the ratios.
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.responses import HTMLResponse
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent))
from iamd.api.app import QueryEndpoint
from iamd.cli.serve_command import build_runtime, config_from
from iamd.console.app import create_server_app
from inprocess import signed  # a sibling script (bench/ is not a package)

PASSWORD = "Bench-Console-Passw0rd!"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


class ServerTimer:
    """ASGI wrapper: the time each request spends in the app, by path."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.times: dict[str, list[float]] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.times.setdefault(scope["path"], []).append(time.perf_counter() - start)

        await self.app(scope, receive, timed_send)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _populate(runtime: Any, key: str, secret: str, users: int) -> None:
    endpoint = QueryEndpoint(runtime)

    def call(params: dict[str, str]) -> None:
        headers, body = signed("iam", {"Version": "2010-05-08", **params}, key, secret)
        response = endpoint.handle("POST", "/", "", headers, body, "127.0.0.1", False)
        if response.status_code != 200:
            raise SystemExit(f"{params['Action']}: {bytes(response.body)[:300]!r}")

    call({"Action": "CreateUser", "UserName": "bencher"})
    call({"Action": "AttachUserPolicy", "UserName": "bencher", "PolicyArn": ADMIN_POLICY})
    call({"Action": "CreateLoginProfile", "UserName": "bencher", "Password": PASSWORD,
          "PasswordResetRequired": "false"})
    for i in range(users - 2):  # the admin and bencher are two of them
        call({"Action": "CreateUser", "UserName": f"user-{i:05d}"})


def _sign_in(client: httpx.Client, account_id: str) -> None:
    form = client.get(f"/signin/{account_id}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    answer = client.post("/signin", data={
        "csrf_token": token.group(1), "signin_type": "user", "redirect_uri": "/console",
        "account": account_id, "username": "bencher", "password": PASSWORD})
    if answer.status_code != 303 or "/signin" in answer.headers.get("location", ""):
        raise SystemExit(f"sign-in failed: {answer.status_code} {answer.text[:300]}")


def _stats(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--size", type=int, default=50, choices=(10, 25, 50, 100))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="iamd-console-bench-") as tmp:
        port = _free_port()
        runtime, credentials = build_runtime(
            {**config_from(tmp, None, False, None), "public_url": f"http://127.0.0.1:{port}"})
        started = time.perf_counter()
        _populate(runtime, credentials.access_key_id, credentials.secret_access_key, args.users)
        print(f"created {args.users} users in {time.perf_counter() - started:.1f} s")

        app = create_server_app(runtime)
        peer_body = {"html": ""}

        async def peer(_: Any) -> HTMLResponse:
            return HTMLResponse(peer_body["html"])

        app.router.routes.insert(0, Route("/bench/peer", peer))
        timer = ServerTimer(app)
        server = uvicorn.Server(uvicorn.Config(timer, host="127.0.0.1", port=port,
                                               log_level="warning", loop="auto", http="auto"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                _sign_in(client, credentials.account_id)
                page_path = f"/console/users?size={args.size}"
                first = client.get(page_path)
                rows = first.text.count('name="UserName"')
                if first.status_code != 200 or rows != args.size:
                    raise SystemExit(f"unexpected page: {first.status_code}, {rows} rows")
                peer_body["html"] = first.text
                results = {}
                search_url = f"/console/users?size={args.size}&search=USER-0004"
                for path, url in (("/console/users", search_url),
                                  ("/console/users", page_path), ("/bench/peer", "/bench/peer")):
                    for _ in range(5):
                        client.get(url)
                    timer.times[path] = []
                    ends: list[float] = []
                    for _ in range(args.requests):
                        start = time.perf_counter()
                        answer = client.get(url)
                        ends.append(time.perf_counter() - start)
                        assert answer.status_code == 200
                    results[url] = (_stats(timer.times[path]), _stats(ends))
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    (page_server, page_e2e), (peer_server, peer_e2e) = results[page_path], results["/bench/peer"]
    search_server, search_e2e = results[search_url]
    print(f"GET /console/users?size={args.size} with {args.users} users, "
          f"{len(peer_body['html'])} bytes, {args.requests} requests")
    print(f"  console   server-side median={page_server[0]:.2f} ms p95={page_server[1]:.2f} ms   "
          f"end-to-end median={page_e2e[0]:.2f} ms p95={page_e2e[1]:.2f} ms")
    print(f"  starlette server-side median={peer_server[0]:.2f} ms p95={peer_server[1]:.2f} ms   "
          f"end-to-end median={peer_e2e[0]:.2f} ms p95={peer_e2e[1]:.2f} ms")
    print(f"  search (walks every page of ListUsers) server-side median={search_server[0]:.2f} ms "
          f"p95={search_server[1]:.2f} ms   end-to-end median={search_e2e[0]:.2f} ms")
    print(f"  ratio console/starlette: server-side median {page_server[0] / peer_server[0]:.1f}x, "
          f"end-to-end median {page_e2e[0] / peer_e2e[0]:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
