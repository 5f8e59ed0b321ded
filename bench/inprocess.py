"""The cost of one signed request inside iamd, without HTTP: the Query endpoint run as
lifecycle.run runs it (request id, error mapping, log line), in a loop.

    python bench/inprocess.py [--operation GetUser|GetCallerIdentity|Authorize|WriteCycle]
                              [--requests 2000] [--asgi]
                              [--database postgresql://...] [--profile [N]]

Builds a runtime as `iamd serve` does (a fresh SQLite data directory, or the
PostgreSQL URL given: give an empty database or schema), creates the user
bench/http_throughput.py reads, signs one request with the admin's key and calls the
endpoint's handler `--requests` times in one thread, after a warm-up
(WriteCycle: CreateUser, PutUserPolicy, DeleteUserPolicy and DeleteUser of
a new user each time, as bench/http_throughput.py's cycle; Authorize: the same
forwarded S3 request as bench/http_throughput.py's, to /_iamd/authorize; signed before the
clock starts; each of the four counts as a request). The audit trail's
batches are written in the loop, every 500 requests, so their cost counts;
IAMD_AUDIT_OFF_FOR_MEASUREMENT=1 leaves the trail out. Every
answer must be a 200. It prints the requests per second and the time per
request; with `--profile` it runs the loop under cProfile and prints the N
most expensive functions (cumulative, then own time) first. `--asgi` sends
each request through the whole ASGI app `iamd serve` runs instead (its
middleware, the fast path, the event loop), so the difference between the
two is what iamd adds above its handler, and the rest of an HTTP request's
cost is uvicorn's and the socket's.

This is the part of bench/http_throughput.py's figures that iamd's own code decides
(authentication, authorization, the store, the protocol), free of the HTTP
server, the thread pool and the load generator: use it to see where a
request's time goes and to compare two versions back to back.
"""

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from http_throughput import CLIENT, READ_POLICY, forwarded_body
from iamd.api.app import QueryEndpoint
from iamd.api.authorize_http import PATH as AUTHORIZE_PATH
from iamd.api.authorize_http import AuthorizeEndpoint
from iamd.api.lifecycle import Endpoint, Exchange, run
from iamd.cli.serve_command import build_runtime, config_from
from iamd.console.app import create_server_app

HOST = "127.0.0.1:8000"
USER = "bench-user"
OPERATIONS: dict[str, tuple[str, dict[str, str]]] = {
    "GetCallerIdentity": ("sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"}),
    "GetUser": ("iam", {"Action": "GetUser", "Version": "2010-05-08", "UserName": USER}),
}
WRITE_CYCLE = "WriteCycle"
AUTHORIZE = "Authorize"
POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}'


def write_cycle(name: str) -> list[tuple[str, dict[str, str]]]:
    """The three writes bench/http_throughput.py's write cycle makes, for user `name`."""
    iam = {"Version": "2010-05-08", "UserName": name}
    return [("iam", {**iam, "Action": "CreateUser"}),
            ("iam", {**iam, "Action": "PutUserPolicy", "PolicyName": "p", "PolicyDocument": POLICY}),
            ("iam", {**iam, "Action": "DeleteUserPolicy", "PolicyName": "p"}),
            ("iam", {**iam, "Action": "DeleteUser"})]


def signed(service: str, params: dict[str, str], key: str, secret: str, *, path: str = "/",
           json_body: str | None = None) -> tuple[str, dict[str, str], bytes]:
    """Path, headers (lower-cased, as the endpoint receives them) and body of a
    boto3-signed POST: form-encoded `params`, or `json_body` as /_iamd/authorize takes."""
    body = urlencode(params) if json_body is None else json_body
    content_type = ("application/x-www-form-urlencoded; charset=utf-8" if json_body is None
                    else "application/json")
    request = AWSRequest(method="POST", url=f"http://{HOST}{path}", data=body,
                         headers={"Content-Type": content_type})
    SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(request)
    headers = {name.lower(): value for name, value in request.headers.items()}
    headers.update({"host": HOST, "content-length": str(len(body))})
    return path, headers, body.encode()


def asgi_caller(app: Any) -> Callable[[str, dict[str, str], bytes], bytes]:
    """One request through the ASGI app, as uvicorn hands it over (scope,
    receive, send), on one event loop kept for every call."""
    loop = asyncio.new_event_loop()

    def call(path: str, headers: dict[str, str], body: bytes) -> bytes:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
                 "server": ("127.0.0.1", 8000),
                 "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]}
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        loop.run_until_complete(app(scope, receive, send))
        answer: bytes = sent[1].get("body", b"")
        if sent[0]["status"] != 200:
            raise SystemExit(f"{sent[0]['status']}: {answer[:500]!r}")
        return answer

    return call


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--operation", choices=sorted([*OPERATIONS, WRITE_CYCLE, AUTHORIZE]),
                        default="GetUser")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--database", default=None, help="PostgreSQL URL (else SQLite)")
    parser.add_argument("--asgi", action="store_true",
                        help="call the whole ASGI app iamd serve serves (its middleware, "
                             "routing and event loop), not the endpoint's handler")
    parser.add_argument("--profile", type=int, nargs="?", const=40, default=0,
                        help="run under cProfile and print the N costliest functions")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="iamd-inprocess-") as tmp:
        config = config_from(tmp, args.database, False, None)
        # Rate limits on, as `iamd serve` has them, but never met: their cost counts.
        config["rate_limits"] = (1e9, 1e9)
        runtime, credentials = build_runtime(config)
        if credentials is None:
            parser.error("the database already has an account: give an empty one")
        endpoints: dict[str, Endpoint] = {"/": QueryEndpoint(runtime),
                                          AUTHORIZE_PATH: AuthorizeEndpoint(runtime)}
        key, secret = credentials.access_key_id, credentials.secret_access_key

        def handled(path: str, headers: dict[str, str], body: bytes) -> bytes:
            exchange = Exchange(request_id=str(uuid.uuid4()), method="POST", path=path, query="",
                                headers=headers, body=body, client_ip="127.0.0.1", secure=False)
            response = run(endpoints[path], exchange, runtime.rate_limits)
            if response.status_code != 200:
                raise SystemExit(f"{response.status_code}: {bytes(response.body)[:500]!r}")
            return bytes(response.body)

        call = asgi_caller(create_server_app(runtime)) if args.asgi else handled

        call(*signed("iam", {"Action": "CreateUser", "Version": "2010-05-08", "UserName": USER},
                     key, secret))
        if args.operation == AUTHORIZE:
            # As bench/http_throughput.py's: a client's signed S3 GET, forwarded.
            iam = {"Version": "2010-05-08", "UserName": CLIENT}
            call(*signed("iam", {**iam, "Action": "CreateUser"}, key, secret))
            call(*signed("iam", {**iam, "Action": "PutUserPolicy", "PolicyName": "read",
                                 "PolicyDocument": READ_POLICY}, key, secret))
            made = call(*signed("iam", {**iam, "Action": "CreateAccessKey"}, key, secret)).decode()
            client = [re.search(f"<{name}>([^<]+)</{name}>", made).group(1)  # type: ignore[union-attr]
                      for name in ("AccessKeyId", "SecretAccessKey")]
            one = signed("iamd", {}, key, secret, path=AUTHORIZE_PATH,
                         json_body=forwarded_body(*client))
            warm_up, timed = [one] * 50, [one] * args.requests
        elif args.operation == WRITE_CYCLE:
            cycles = -(-args.requests // 4)
            requests = [signed(service, params, key, secret) for index in range(cycles + 12)
                        for service, params in write_cycle(f"cycle-{index}")]
            warm_up, timed = requests[:48], requests[48:]
        else:
            one = signed(*OPERATIONS[args.operation], key, secret)
            warm_up, timed = [one] * 50, [one] * args.requests
        for request in warm_up:
            call(*request)
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        audit = runtime.audit
        if audit is not None:
            audit.flush()  # the warm-up's events, before the clock starts
        started, cpu_started = time.perf_counter(), time.process_time()
        for done, request in enumerate(timed, 1):
            call(*request)
            if audit is not None and done % 500 == 0:
                audit.flush()  # the audit trail's writer, in line: its cost counts
        if audit is not None:
            audit.flush()
        elapsed = time.perf_counter() - started
        # The process's CPU time too: steadier than the clock on a busy machine.
        cpu = time.process_time() - cpu_started
        if profiler is not None:
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(args.profile)
            stats.sort_stats("tottime").print_stats(args.profile)
        runtime.store.close()
    print(f"{args.operation} in-process: {len(timed) / elapsed:.0f}/s, "
          f"{elapsed / len(timed) * 1000:.3f} ms per request, "
          f"{cpu / len(timed) * 1000:.3f} ms CPU "
          f"(load average {os.getloadavg()[0]:.2f}{', under cProfile' if profiler else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
