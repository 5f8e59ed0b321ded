"""Signed requests per second over HTTP: iamd against a bare ASGI app and moto's server.

    python bench/http_throughput.py [--duration 10] [--warmup 2] [--processes 2] [--threads 4]
                         [--targets bare,iamd1,iamd2,moto] [--postgres postgresql://...]
                         [--operations GetCallerIdentity,GetUser,Authorize,WriteCycle]
                         [--database postgresql://...]

The operations, each made of real SigV4-signed requests as boto3 sends them:

- GetCallerIdentity: `sts:GetCallerIdentity` (authentication only);
- GetUser: `iam:GetUser` for an existing user (authentication, a decision of
  the policy engine on the caller's policies, the user's record);
- Authorize: `POST /_iamd/authorize`, a forwarded S3 GetObject signed by
  another user, decided against that client's inline policy and a resource
  policy given in the body (iamd only);
- WriteCycle: CreateUser, PutUserPolicy, DeleteUserPolicy, DeleteUser of a
  user of each connection's own, in a loop (iamd refuses DeleteUser while an
  inline policy remains, as AWS does, so the cycle has four steps); its rate
  is counted in cycles per second.

The targets, in one run and with the same load:

- bare: a minimal ASGI app (it reads the body and answers 200 with a short
  XML body) on uvicorn with the settings `iamd serve` uses, 1 worker: the
  ceiling any Python ASGI server reaches on this machine, the baseline every
  iamd figure is a share of;
- iamd1, iamd2: `iamd serve --workers N` (uvicorn) on a fresh SQLite data
  directory (or the `--database` PostgreSQL URL), called with the admin's
  access key, so every request is authenticated and authorized;
- iamd1pg: `iamd serve` on a fresh schema of the `--postgres` URL, 1 worker;
- iamd1log: iamd1 that also streams every audit event to a file
  (`--audit-log`);
- iamd1info: iamd1 at `iamd serve`'s default log level (info: a line a
  request), where the others log warnings only;
- iamd1noaudit: iamd1 with its audit trail turned off (the environment
  variable `IAMD_AUDIT_OFF_FOR_MEASUREMENT=1`, for measurements only), so that
  iamd1/iamd1noaudit is what auditing costs: a write's event inserted in its
  transaction, the batched events of reads built and stored by the
  background writer;
- moto: `python -m moto.server` (werkzeug's threaded server), which accepts any
  signature and authorizes nothing; the same requests, signed with a dummy key.

The load: `--processes` generator processes x `--threads` threads, each thread
one keep-alive connection in a closed loop (send, wait for the answer, send
again), so there are processes x threads requests in flight. Requests are
signed by botocore before the clock starts (a signature stays valid for 15
minutes) and written to the socket as raw bytes; answers are read with a
minimal HTTP/1.1 parser (Content-Length, chunked, Connection: close). That
costs the generator a few tens of microseconds per request, against
milliseconds in the servers, and the generator's own CPU time is measured and
printed, so that you can check it was not the bottleneck. moto's server
speaks HTTP/1.0 and closes every connection, so its figures include a TCP
connect per request: that is how a client meets it.

Only requests that complete inside the timed window count; latency is measured
per request, from the first byte sent to the last byte read. Every answer must
be a 200; failures are counted and the first one printed. The server's CPU time
(its process and its children, from /proc; not PostgreSQL's) is sampled over the
window too.

Mind the machine: this was written for 2 cores, where the generator and the
server share them. iamd2 then competes with the generator for the second core,
so its gain over iamd1 is a floor; "server CPU" tells how many cores the server
actually got. Other load on the machine moves every figure; the load average is
printed before and after.

The last lines are the ratios, one per operation:

    OPERATION bare=N/s iamd1=M/s ... iamd1/bare=R iamd2/iamd1=R2 iamd1pg/iamd1=R3 iamd1/moto=R4
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from iamd.testing import IamdServer, free_port

FORM = "application/x-www-form-urlencoded; charset=utf-8"
USER = "bench-user"
MOTO_KEY = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
CLIENT = "bench-client"
BUCKET = "bench-bucket"
IAM_VERSION = "2010-05-08"
SIMPLE: dict[str, tuple[str, dict[str, str]]] = {
    "GetCallerIdentity": ("sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"}),
    "GetUser": ("iam", {"Action": "GetUser", "Version": IAM_VERSION, "UserName": USER}),
}
OPERATIONS = [*SIMPLE, "Authorize", "WriteCycle"]
CYCLE_STEPS = 4
SIGNED_COPIES = 64  # distinct signed requests per operation (distinct timestamps or not)
READ_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}]})
RESOURCE_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
     "Resource": f"arn:aws:s3:::{BUCKET}/*"},
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
     "Resource": f"arn:aws:s3:::{BUCKET}/public/*"}]}


# -- requests ---------------------------------------------------------------------------------


def signed_payload(host: str, service: str, params: dict[str, str], key: str, secret: str,
                   *, path: str = "/", body: str | None = None,
                   content_type: str = FORM) -> bytes:
    """One POST as boto3 signs it, as the exact bytes to write on a connection."""
    body = urlencode(params) if body is None else body
    request = AWSRequest(method="POST", url=f"http://{host}{path}", data=body,
                         headers={"Content-Type": content_type})
    SigV4Auth(Credentials(key, secret), service, "us-east-1").add_auth(request)
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "User-Agent: iamd-bench"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    lines += [f"Content-Length: {len(body.encode())}", "", ""]
    return "\r\n".join(lines).encode() + body.encode()


def forwarded_body(client_key: str, client_secret: str) -> str:
    """The JSON of /_iamd/authorize: an object store's client's signed S3 GET."""
    url = f"http://objects.internal:9000/{BUCKET}/report.csv"
    request = AWSRequest(method="GET", url=url, data=b"")
    S3SigV4Auth(Credentials(client_key, client_secret), "s3", "us-east-1").add_auth(request)
    prepared = request.prepare()
    return json.dumps({
        "method": "GET", "path": f"/{BUCKET}/report.csv", "query": "",
        "headers": {"host": "objects.internal:9000", **dict(prepared.headers.items())},
        "action": "s3:GetObject", "resource": f"arn:aws:s3:::{BUCKET}/report.csv",
        "resource_policy": RESOURCE_POLICY, "source_ip": "10.1.2.3", "secure_transport": True})


def sequences(target: Target, operation: str, connections: int) -> list[list[bytes]]:
    """The requests each connection sends, in order, again and again."""
    host = f"{target.host}:{target.port}"
    if operation in SIMPLE:
        service, params = SIMPLE[operation]
        shared = [signed_payload(host, service, params, target.key, target.secret)
                  for _ in range(SIGNED_COPIES)]
        return [shared[i:] + shared[:i] for i in range(connections)]
    if operation == "Authorize":
        assert target.client is not None
        body = forwarded_body(*target.client)
        shared = [signed_payload(host, "iamd", {}, target.key, target.secret,
                                 path="/_iamd/authorize", body=body,
                                 content_type="application/json")
                  for _ in range(SIGNED_COPIES)]
        return [shared[i:] + shared[:i] for i in range(connections)]
    assert operation == "WriteCycle"
    out = []
    for index in range(connections):
        name = f"cycle-{index}"
        steps = [
            {"Action": "CreateUser", "UserName": name},
            {"Action": "PutUserPolicy", "UserName": name, "PolicyName": "read",
             "PolicyDocument": READ_POLICY},
            {"Action": "DeleteUserPolicy", "UserName": name, "PolicyName": "read"},
            {"Action": "DeleteUser", "UserName": name},
        ]
        out.append([signed_payload(host, "iam", {**step, "Version": IAM_VERSION}, target.key,
                                   target.secret) for step in steps])
    return out


class HttpConnection:
    """A keep-alive HTTP/1.1 client connection that does just enough and no more."""

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.sock: socket.socket | None = None
        self.reader: Any = None
        self.connects = 0

    def _open(self) -> None:
        self.sock = socket.create_connection(self.address, timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb", buffering=65536)
        self.connects += 1

    def close(self) -> None:
        if self.sock is not None:
            self.reader.close()
            self.sock.close()
            self.sock = None

    def exchange(self, payload: bytes) -> tuple[int, bytes]:
        reused = self.sock is not None
        if not reused:
            self._open()
        try:
            assert self.sock is not None
            self.sock.sendall(payload)
            status_line = self.reader.readline()
        except (ConnectionResetError, BrokenPipeError):
            status_line = b""
        if not status_line:
            # The server closed an idle keep-alive connection: reconnect once.
            self.close()
            if not reused:
                raise ConnectionError("connection closed before any answer")
            return self.exchange(payload)
        version, status_text = status_line.split(b" ", 2)[:2]
        close = version == b"HTTP/1.0"
        length = -1
        chunked = False
        while True:
            line = self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                close = value.strip().lower() == b"close"
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        if chunked:
            parts = []
            while True:
                size = int(self.reader.readline().split(b";")[0], 16)
                if size == 0:
                    while self.reader.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(self.reader.read(size))
                self.reader.readline()
            body = b"".join(parts)
        elif length >= 0:
            body = self.reader.read(length)
        else:
            body = self.reader.read()
            close = True
        if close:
            self.close()
        return int(status_text), body


# -- the load generator ------------------------------------------------------------------------


def generate(address: tuple[str, int], payloads: list[list[bytes]], threads: int, start: float,
             end: float, out: Pipe) -> None:
    """One generator process: `threads` closed-loop connections from now until `end`.

    Requests that complete within [start, end] are counted and their latency kept."""
    latencies = [array("d") for _ in range(threads)]
    failures = [0] * threads
    first_failure: list[str] = []
    connects = [0] * threads

    def loop(index: int) -> None:
        connection = HttpConnection(*address)
        mine = latencies[index]
        sequence = payloads[index]
        n = 0
        count = len(sequence)
        try:
            while True:
                sent = time.monotonic()
                if sent >= end and n % count == 0:
                    break  # only between cycles, so that no write is left half done
                try:
                    status, body = connection.exchange(sequence[n % count])
                except OSError as error:
                    status, body = -1, repr(error).encode()
                    connection.close()
                done = time.monotonic()
                n += 1
                if start <= done <= end:
                    if status == 200:
                        mine.append(done - sent)
                    else:
                        failures[index] += 1
                        if not first_failure:
                            first_failure.append(f"{status}: {body[:500]!r}")
        finally:
            connection.close()
            connects[index] = connection.connects

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    merged = array("d")
    for part in latencies:
        merged.extend(part)
    out.send((merged.tobytes(), sum(failures), first_failure[:1], usage.ru_utime + usage.ru_stime,
              sum(connects)))
    out.close()


# -- CPU time of a process tree ------------------------------------------------------------------


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system seconds) of a live process, from /proc."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def tree_cpu_seconds(root: int) -> float | None:
    """CPU seconds used so far by `root` and its live descendants (None without /proc)."""
    if not Path("/proc/self/stat").exists():
        return None
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            found = _stat(int(entry.name))
            if found is not None:
                parents[int(entry.name)], cpu[int(entry.name)] = found
    total, frontier = 0.0, {root}
    while frontier:
        total += sum(cpu.get(pid, 0.0) for pid in frontier)
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
    return total


# -- targets -------------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    host: str
    port: int
    pid: int
    key: str
    secret: str
    client: tuple[str, str] | None = None  # the Authorize operation's client's key


@contextlib.contextmanager
def fresh_schema(url: str | None) -> Iterator[str | None]:
    """A new empty PostgreSQL schema for one target, dropped afterwards: each iamd
    keeps its master key in its own data directory, so two cannot share a store."""
    if url is None:
        yield None
        return
    import secrets

    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    name = "bench_" + secrets.token_hex(6)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{name}"')
    try:
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{name}" CASCADE')


@contextlib.contextmanager
def iamd_target(name: str, workers: int, workdir: Path, database: str | None,
               extra_env: dict[str, str] | None = None,
               extra_args: list[str] | None = None) -> Iterator[Target]:
    # The load generator sends far more than the default rate limits allow from
    # one address and key: limits this high are measured for their cost, never met.
    unmet_limits = ["--rate-limit-per-address", "1e9", "--rate-limit-per-key", "1e9"]
    with fresh_schema(database) as schema:
        server = IamdServer.start(workdir / name, database=schema, workers=workers, timeout=60,
                                  extra_env=extra_env, extra_args=unmet_limits + (extra_args or []))
        with server:
            yield _iamd_ready(name, server)


def _iamd_ready(name: str, server: IamdServer) -> Target:
    iam = server.client("iam")
    iam.create_user(UserName=USER)
    iam.create_user(UserName=CLIENT)
    iam.put_user_policy(UserName=CLIENT, PolicyName="read", PolicyDocument=READ_POLICY)
    key = iam.create_access_key(UserName=CLIENT)["AccessKey"]
    parts = urlsplit(server.endpoint)
    assert parts.hostname is not None and parts.port is not None
    return Target(name, parts.hostname, parts.port, server.process.pid,
                  server.access_key_id, server.secret_access_key,
                  (key["AccessKeyId"], key["SecretAccessKey"]))


BARE_APP = """
import uvicorn

BODY = b"<GetCallerIdentityResponse><RequestId>0</RequestId></GetCallerIdentityResponse>"

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/xml"),
                            (b"content-length", str(len(BODY)).encode())]})
    await send({"type": "http.response.body", "body": BODY})

uvicorn.run(app, host="127.0.0.1", port=int(__import__("sys").argv[1]), log_level="warning")
"""


@contextlib.contextmanager
def bare_target(workdir: Path) -> Iterator[Target]:
    """A minimal ASGI app on uvicorn, started as `iamd serve` starts it."""
    port = free_port()
    log = (workdir / "bare.log").open("ab")
    process = subprocess.Popen([sys.executable, "-c", BARE_APP, str(port)], stdout=log,
                               stderr=subprocess.STDOUT, cwd=workdir)
    try:
        _wait_for_port(process, port, workdir / "bare.log")
        yield Target("bare", "127.0.0.1", port, process.pid, *MOTO_KEY, MOTO_KEY)
    finally:
        _stop(process)
        log.close()


def _wait_for_port(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start") from None
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def moto_target(workdir: Path) -> Iterator[Target]:
    import boto3

    port = free_port()
    log = (workdir / "moto.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        _wait_for_port(process, port, workdir / "moto.log")
        iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                           aws_access_key_id=MOTO_KEY[0], aws_secret_access_key=MOTO_KEY[1])
        iam.create_user(UserName=USER)
        yield Target("moto", "127.0.0.1", port, process.pid, *MOTO_KEY)
    finally:
        _stop(process)
        log.close()


# -- one measurement -------------------------------------------------------------------------------


@dataclass
class Result:
    target: str
    operation: str
    requests: int
    seconds: float
    latencies: list[float] = field(repr=False)
    failures: int
    first_failure: str | None
    server_cpu: float | None  # CPU seconds over the window
    generator_cpu: float  # CPU seconds of all generator processes, warm-up and window
    generator_wall: float  # seconds from the generators' start to the window's end
    connects: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def measure(target: Target, operation: str, args: argparse.Namespace) -> Result:
    connections = args.processes * args.threads
    payloads = sequences(target, operation, connections)
    # Check one round of answers before timing anything.
    probe = HttpConnection(target.host, target.port)
    for payload in payloads[0]:
        status, body = probe.exchange(payload)
        if status != 200:
            raise RuntimeError(f"{target.name} {operation}: {status} {body[:500]!r}")
    probe.close()
    context = multiprocessing.get_context("fork")
    begin = time.monotonic() + 0.3
    start = begin + args.warmup
    end = start + args.duration
    pipes, processes = [], []
    for index in range(args.processes):
        receiver, sender = context.Pipe(duplex=False)
        mine = payloads[index * args.threads:(index + 1) * args.threads]
        process = context.Process(target=generate, args=(
            (target.host, target.port), mine, args.threads, start, end, sender))
        process.start()
        sender.close()
        pipes.append(receiver)
        processes.append(process)
    time.sleep(max(0.0, start - time.monotonic()))
    cpu_before = tree_cpu_seconds(target.pid)
    time.sleep(max(0.0, end - time.monotonic()))
    cpu_after = tree_cpu_seconds(target.pid)
    latencies: list[float] = []
    failures = 0
    first: list[str] = []
    generator_cpu = 0.0
    connects = 0
    for pipe, process in zip(pipes, processes, strict=True):
        raw, failed, first_failure, cpu, opened = pipe.recv()
        process.join()
        part = array("d")
        part.frombytes(raw)
        latencies.extend(part)
        failures += failed
        first += first_failure
        generator_cpu += cpu
        connects += opened
    server_cpu = (None if cpu_before is None or cpu_after is None
                  else cpu_after - cpu_before)
    return Result(target.name, operation, len(latencies), args.duration, latencies, failures,
                  first[0] if first else None, server_cpu, generator_cpu,
                  end - begin, connects)


def report(result: Result, cores: int) -> None:
    server = ("?" if result.server_cpu is None
              else f"{result.server_cpu / result.seconds:4.2f}")
    generator = result.generator_cpu / result.generator_wall
    print(f"{result.target:6} {result.operation:18} {result.requests:8d} req "
          f"{result.rate:9.1f}/s  p50 {result.percentile(0.50):7.2f} ms  "
          f"p99 {result.percentile(0.99):7.2f} ms  failed {result.failures}  "
          f"server CPU {server} cores  generator CPU {generator:4.2f} cores "
          f"(of {cores})  connections {result.connects}", flush=True)
    if result.first_failure:
        print(f"    first failure: {result.first_failure}", flush=True)


# moto has no authorization endpoint.
UNSUPPORTED = {("moto", "Authorize")}
# (numerator, denominator) of the ratios printed, when both were measured.
RATIOS = [("iamd1", "bare"), ("iamd2", "bare"), ("iamd1pg", "bare"), ("iamd2", "iamd1"),
          ("iamd1", "iamd1noaudit"), ("iamd1log", "iamd1noaudit"), ("iamd1info", "iamd1"),
          ("iamd1pg", "iamd1"), ("iamd1", "moto"), ("iamd2", "moto"), ("iamd1pg", "moto")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="timed seconds per case")
    parser.add_argument("--warmup", type=float, default=2.0, help="untimed seconds before each")
    parser.add_argument("--processes", type=int, default=2, help="generator processes")
    parser.add_argument("--threads", type=int, default=4, help="connections per process")
    parser.add_argument("--targets", default="bare,iamd1,iamd2,moto",
                        help="of bare, iamd1, iamd2, iamd1pg (needs --postgres), iamd1log, iamd1info, "
                             "iamd1noaudit, moto")
    parser.add_argument("--operations", default=",".join(OPERATIONS))
    parser.add_argument("--database", default=None,
                        help="PostgreSQL URL for iamd1 and iamd2 (else SQLite)")
    parser.add_argument("--postgres", default=None,
                        help="PostgreSQL URL for iamd1pg (added to the targets when given)")
    args = parser.parse_args(argv)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if args.postgres and "iamd1pg" not in targets:
        targets.append("iamd1pg")
    operations = [o.strip() for o in args.operations.split(",") if o.strip()]
    for operation in operations:
        if operation not in OPERATIONS:
            parser.error(f"unknown operation {operation!r}")
    cores = os.cpu_count() or 1
    print(f"cores {cores}, load average {os.getloadavg()[0]:.2f}, "
          f"{args.processes} generator processes x {args.threads} connections, "
          f"{args.warmup:g} s warm-up + {args.duration:g} s per case, "
          f"iamd store {'PostgreSQL' if args.database else 'SQLite'}", flush=True)
    rates: dict[str, dict[str, float]] = {op: {} for op in operations}
    p99: dict[str, dict[str, float]] = {op: {} for op in operations}
    with tempfile.TemporaryDirectory(prefix="iamd-bench-") as tmp:
        workdir = Path(tmp)
        # Servers started from here must not see this folder on their path either.
        os.chdir(workdir)
        for name in targets:
            if name == "moto":
                context = moto_target(workdir)
            elif name == "bare":
                context = bare_target(workdir)
            elif name == "iamd1pg":
                if not args.postgres:
                    parser.error("iamd1pg needs --postgres URL")
                context = iamd_target(name, 1, workdir, args.postgres)
            elif name == "iamd1noaudit":
                context = iamd_target(name, 1, workdir, args.database,
                                      extra_env={"IAMD_AUDIT_OFF_FOR_MEASUREMENT": "1"})
            elif name == "iamd1info":
                context = iamd_target(name, 1, workdir, args.database,
                                      extra_args=["--log-level", "info"])
            elif name == "iamd1log":
                context = iamd_target(name, 1, workdir, args.database,
                                      extra_args=["--audit-log", str(workdir / "audit.jsonl")])
            elif name.startswith("iamd") and name[4:].isdigit():
                context = iamd_target(name, int(name[4:]), workdir, args.database)
            else:
                parser.error(f"unknown target {name!r}")
            with context as target:
                for operation in operations:
                    if (name, operation) in UNSUPPORTED:
                        continue
                    result = measure(target, operation, args)
                    report(result, cores)
                    rates[operation][name] = result.rate
                    p99[operation][name] = result.percentile(0.99)
    print(f"load average {os.getloadavg()[0]:.2f}")
    for operation, by_target in rates.items():
        unit = f" (req/s; cycles/s = req/s / {CYCLE_STEPS})" if operation == "WriteCycle" else ""
        parts = [f"{name}={by_target[name]:.0f}/s p99={p99[operation][name]:.1f}ms"
                 for name in targets if name in by_target]
        parts += [f"{top}/{bottom}={by_target[top] / by_target[bottom]:.2f}"
                  for top, bottom in RATIOS if top in by_target and bottom in by_target]
        print(operation + unit, " ".join(parts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
