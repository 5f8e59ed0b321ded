"""What iamd.middleware adds to a request: the same app with and without it, in one run.

    python bench/middleware_overhead.py [--duration 5] [--threads 1,4] [--rounds 2]

One small Starlette app (GET /buckets/{name}/{key+} answers a few bytes of
JSON) runs twice under uvicorn, each in its own process: "plain", as it is,
and "guarded", behind IamdAuthMiddleware with a route to
`myservice:GetObject` on `arn:aws:myservice:::{name}/{key}`. The guarded app
asks a real `iamd serve` (one worker, SQLite, started here) for every
request, signed with a service user's key; the client is an IAM user whose
policy allows the action, so every answer is a 200 that went through
authentication (SigV4 of the client's request, checked by iamd) and a
policy decision.

The client: `--threads` keep-alive connections in a closed loop, sending
requests signed by botocore for the service name `myservice` before the
clock starts (the plain app ignores the signature). For each thread count,
plain and guarded alternate for `--rounds` rounds of `--duration` seconds,
so that drifting machine load hits both; the best round of each counts.
Printed per thread count: requests per second, p50 and p99 latency of each,
and the difference — the middleware's cost per request, nearly all of it
iamd's own decision (an HTTP round trip on loopback, SigV4 verification,
the policy evaluation). On a machine of 2 cores, the client, the app and
iamd share them: other load moves every figure (the load average is printed).

The last lines are one per thread count:

    threads=N plain=R/s guarded=G/s p50_added=X ms p99_added=Y ms
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from http_throughput import HttpConnection  # bench/ is the script's folder, first on sys.path
from iamd.testing import IamdServer, free_port

ROUTE = "GET /buckets/{name}/{key+}"
ACTION = "myservice:GetObject"
RESOURCE = "arn:aws:myservice:::{name}/{key}"


def build_app(guarded: bool) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route as Path_

    async def get_object(request: Request) -> JSONResponse:
        return JSONResponse({"bucket": request.path_params["name"], "key": request.path_params["key"]})

    app: Any = Starlette(routes=[Path_("/buckets/{name}/{key:path}", get_object),
                                 Path_("/ready", lambda request: JSONResponse({}))])
    if guarded:
        from iamd.middleware import IamdAuthMiddleware, Route
        app = IamdAuthMiddleware(app, endpoint=os.environ["IAMD_ENDPOINT"],
                                 routes=[Route(ROUTE, ACTION, RESOURCE)], public=["GET /ready"])
    return app


def serve(kind: str, port: int) -> None:
    import uvicorn

    uvicorn.run(build_app(kind == "guarded"), host="127.0.0.1", port=port, log_level="warning",
                access_log=False)


@dataclass
class App:
    kind: str
    port: int
    process: subprocess.Popen[bytes]


def start_app(kind: str, env: dict[str, str]) -> App:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port)],
                               env=env)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1):
                return App(kind, port, process)
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"the {kind} app did not start") from None
            time.sleep(0.1)


def signed_requests(port: int, creds: Credentials, count: int) -> list[bytes]:
    """GETs signed by botocore for `myservice`, as raw bytes for one port."""
    out = []
    for n in range(count):
        path = f"/buckets/reports/2026/q{n % 4 + 1}-{n}.csv"
        url = f"http://127.0.0.1:{port}{path}"
        request = AWSRequest(method="GET", url=url)
        SigV4Auth(creds, "myservice", "us-east-1").add_auth(request)
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
        lines += [f"{name}: {value}" for name, value in request.headers.items()]
        out.append(("\r\n".join([*lines, "", ""])).encode())
    return out


@dataclass
class Result:
    requests: int
    seconds: float
    latencies: list[float]
    failures: int
    first_failure: str

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def measure(port: int, payloads: list[bytes], threads: int, duration: float) -> Result:
    start = time.monotonic() + 0.5  # a short warm-up on the same connections
    end = start + duration
    latencies: list[list[float]] = [[] for _ in range(threads)]
    failures = [0] * threads
    first: list[str] = []

    def loop(index: int) -> None:
        connection = HttpConnection("127.0.0.1", port)
        n = index
        try:
            while (sent := time.monotonic()) < end:
                status, body = connection.exchange(payloads[n % len(payloads)])
                done = time.monotonic()
                n += threads
                if done >= start:
                    if status == 200:
                        latencies[index].append(done - sent)
                    else:
                        failures[index] += 1
                        if not first:
                            first.append(f"{status}: {body[:300]!r}")
        finally:
            connection.close()

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    merged = [x for part in latencies for x in part]
    return Result(len(merged), duration, merged, sum(failures), first[0] if first else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--threads", default="1,4")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--serve", choices=["plain", "guarded"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port)
        return 0

    with tempfile.TemporaryDirectory() as tmp, IamdServer.start(Path(tmp) / "iamd") as server:
        iam = server.client("iam")
        iam.create_user(UserName="objstore")
        iam.put_user_policy(UserName="objstore", PolicyName="authorize", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "iamd:AuthorizeRequest", "Resource": "*"}]}))
        service_key = iam.create_access_key(UserName="objstore")["AccessKey"]
        iam.create_user(UserName="reader")
        iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ACTION, "Resource": "arn:aws:myservice:::reports/*"}]}))
        reader_key = iam.create_access_key(UserName="reader")["AccessKey"]
        reader = Credentials(reader_key["AccessKeyId"], reader_key["SecretAccessKey"])

        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"IAMD_ENDPOINT": server.endpoint,
                    "AWS_ACCESS_KEY_ID": service_key["AccessKeyId"],
                    "AWS_SECRET_ACCESS_KEY": service_key["SecretAccessKey"],
                    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
        apps = [start_app("plain", env), start_app("guarded", env)]
        try:
            payloads = {app.kind: signed_requests(app.port, reader, 64) for app in apps}
            print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
            lines = []
            for threads in (int(t) for t in args.threads.split(",")):
                best: dict[str, Result] = {}
                for _ in range(args.rounds):
                    for app in apps:
                        result = measure(app.port, payloads[app.kind], threads, args.duration)
                        if result.failures:
                            print(f"  {app.kind}: {result.failures} failures, first: "
                                  f"{result.first_failure}")
                        print(f"  threads={threads} {app.kind:7} {result.rate:8.0f}/s "
                              f"p50={result.percentile(0.5) * 1000:6.2f} ms "
                              f"p99={result.percentile(0.99) * 1000:6.2f} ms")
                        if app.kind not in best or result.rate > best[app.kind].rate:
                            best[app.kind] = result
                plain, guarded = best["plain"], best["guarded"]
                lines.append(
                    f"threads={threads} plain={plain.rate:.0f}/s guarded={guarded.rate:.0f}/s "
                    f"p50_added={(guarded.percentile(0.5) - plain.percentile(0.5)) * 1000:.2f} ms "
                    f"p99_added={(guarded.percentile(0.99) - plain.percentile(0.99)) * 1000:.2f} ms")
            print(f"load average after: {os.getloadavg()[0]:.2f}")
            print("\n".join(lines))
        finally:
            for app in apps:
                app.process.terminate()
                app.process.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
