"""One request's life, the same for every endpoint of iamd's HTTP API.

`serve(endpoint, request)` is the only place that mints the request id,
reads the body under the one size limit, lower-cases the headers, takes the
client's address and the time, charges the address's rate limit (Throttling
when it is spent), runs the endpoint's handler, turns errors into answers (an
AWS error as the endpoint spells errors; anything else is logged with the
request id and answered as the endpoint's 500, without internals), stamps
`x-amzn-RequestId` on every answer, writes the one log line and counts the
request in the metrics.

An endpoint (`Endpoint`) only says how to answer: `handle(exchange)` returns
the response or raises an AwsError, and `render_error` spells an error.
`inline(exchange)` says whether the request is short enough to be answered on
the event loop itself (a read on SQLite, which never waits for a lock under
the write-ahead log); anything else runs in the thread pool. What
the handler learns on the way that the error answer or the log line needs
(the action, the service whose protocol answers) it writes on the exchange.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from iamd.api.bodies import DRAIN_BYTES, read_body
from iamd.api.request_ids import new_request_id
from iamd.model.errors import AwsError, RequestEntityTooLarge
from iamd.service.context import RequestInfo
from iamd.service.dispatch import known_operation
from iamd.service.metrics import count_request, count_store_error
from iamd.service.rate_limits import RateLimits
from iamd.store import without_waiting
from iamd.store.errors import StoreError, WouldWait

log = logging.getLogger("iamd.api")

# Seconds an inline write that found the write lock taken waits before it
# tries again, in turn (about 10 ms in all), before it goes to the pool.
RETRY_INLINE_AFTER = (0.0, 0.0005, 0.001, 0.002, 0.002, 0.005)

# The largest real IAM or STS request is far under this: a SAML assertion
# (100,000 characters) or a policy document (131,072), form-encoded; a
# forwarded request for /_iamd/authorize carries a payload hash rather than a
# large body. Bodies up to it are decoded and answered as AWS answers them; a
# body beyond it is refused (413) before it is read into memory whole.
MAX_BODY_BYTES = 8 * 1024 * 1024


@dataclass(slots=True)
class Exchange:
    """One request as every endpoint sees it, and what its handler learned."""

    request_id: str
    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # names lower-cased
    body: bytes
    client_ip: str
    secure: bool
    # AWS reports times to the second; stored dates follow suit.
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    action: str | None = None  # for the log line
    service: str | None = None  # whose protocol spells the answer, when it matters
    form: dict[str, str] | None = None  # the Query endpoint's parameters, once parsed

    def info(self, region: str) -> RequestInfo:
        """The request's facts as operations and authorization read them."""
        return RequestInfo(request_id=self.request_id, now=self.now, source_ip=self.client_ip,
                           secure_transport=self.secure, region=region,
                           user_agent=self.headers.get("user-agent", ""))


class Endpoint(Protocol):
    def inline(self, exchange: Exchange) -> bool:
        """True to answer on the event loop: short work that never waits on a lock."""

    def handle(self, exchange: Exchange) -> Response:
        """The answer; an AwsError raised is answered with render_error."""

    def render_error(self, error: AwsError, exchange: Exchange) -> Response:
        """An AWS error as this endpoint spells it (status from the error)."""

    def internal_failure(self) -> AwsError:
        """The 500 this endpoint answers when something unexpected failed."""


def run(endpoint: Endpoint, exchange: Exchange, limits: RateLimits | None = None) -> Response:
    """Run the handler (within the source address's rate limit) and map its
    errors; one log line per request."""
    started = time.perf_counter()
    try:
        if limits is not None:
            limits.charge_address(exchange.client_ip)
        response = endpoint.handle(exchange)
    except WouldWait:
        raise  # answered again in the thread pool (_answer): nothing happened
    except AwsError as error:
        response = endpoint.render_error(error, exchange)
    except Exception as error:
        log.exception("request %s failed", exchange.request_id)
        if isinstance(error, StoreError):
            count_store_error(error)
        response = endpoint.render_error(endpoint.internal_failure(), exchange)
    response.headers["x-amzn-RequestId"] = exchange.request_id
    elapsed = time.perf_counter() - started
    if log.isEnabledFor(logging.INFO):
        # The request's access line too (uvicorn's is dropped, OwnAccessLines):
        # the path without its query string, which may hold a presigned
        # request's signature and token.
        log.info("request_id=%s client=%s method=%s path=%s action=%s status=%d ms=%.1f",
                 exchange.request_id, exchange.client_ip, exchange.method, exchange.path,
                 exchange.action, response.status_code, elapsed * 1000,
                 extra={"access": {"client": exchange.client_ip, "method": exchange.method,
                                   "path": exchange.path, "status": response.status_code}})
    service, operation = metric_labels(exchange)
    count_request(service, operation, response.status_code, elapsed)
    return response


def metric_labels(exchange: Exchange) -> tuple[str, str]:
    """The service and operation a request is counted under: only names iamd
    knows, so that a client cannot make up new time series."""
    action, service = exchange.action, exchange.service
    if action is not None and action.startswith("iamd:"):
        return "iamd", action[5:]  # the authorization endpoint's own action
    if service is None:
        return "unknown", "unknown"
    return service, action if action is not None and known_operation(service, action) \
        else "unknown"


# Set in the task that answers a request through this lifecycle, which
# uvicorn's access line of the request is logged from: that line is then
# dropped, the lifecycle's own line saying all it said and more. A second
# line a request cost about a sixth of a signed call's throughput at the
# default log level (bench/http_throughput.py, iamd1info).
_answered_here: ContextVar[bool] = ContextVar("iamd_answered_here", default=False)


class OwnAccessLines(logging.Filter):
    """On uvicorn's access logger: drop the lines of requests the lifecycle logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _answered_here.get()


async def _answer(endpoint: Endpoint, exchange: Exchange, body: bytes | None,
                  limits: RateLimits | None) -> Response:
    if body is None:
        log.info("request_id=%s refused: body over %d bytes", exchange.request_id, MAX_BODY_BYTES)
        response = endpoint.render_error(RequestEntityTooLarge(), exchange)
        response.headers["x-amzn-RequestId"] = exchange.request_id
        # What is left of the body was not read: the connection cannot be reused.
        response.headers["connection"] = "close"
        return response
    if endpoint.inline(exchange):
        # A thread hop costs more than such a request's own work, and worker
        # threads contend for the GIL with the loop that serves the sockets.
        # A write answered here must not wait for the write lock, which would
        # hold up every other request: while the lock is taken it tries again
        # a little later, the loop serving other requests meanwhile, and goes
        # to the pool only when the lock stays taken. (Sent to the pool at
        # once, it would hold the lock there while it waits for the GIL, and
        # the writes after it would follow it into the pool, one by one.)
        for delay in RETRY_INLINE_AFTER:
            if delay:
                await asyncio.sleep(delay)
            try:
                with without_waiting():
                    return run(endpoint, exchange, limits)
            except WouldWait:
                limits = None  # the address was charged already
    return await run_in_threadpool(run, endpoint, exchange, limits)


class EndpointRoutes:
    """ASGI middleware that serves the API's endpoints straight from the ASGI
    messages, ahead of Starlette's routing, request and response objects
    (most of a short request's cost outside iamd's own work); every other
    path, method or scope goes on to the app it wraps. Same lifecycle,
    same answers as `serve`."""

    def __init__(self, app: ASGIApp, endpoints: Mapping[tuple[str, str], Endpoint],
                 limits: RateLimits | None = None,
                 unlimited_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.endpoints = endpoints
        self.limits = limits
        self.unlimited_paths = unlimited_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = (self.endpoints.get((scope["method"], scope["path"]))
                    if scope["type"] == "http" and not scope.get("root_path") else None)
        if endpoint is None or _browser_visit(scope):
            await self.app(scope, receive, send)
            return
        try:
            query = scope.get("query_string", b"").decode()
        except UnicodeDecodeError:
            await self.app(scope, receive, send)  # Starlette's own answer to such a URL
            return
        headers = {name.decode("latin-1").lower(): value.decode("latin-1")
                   for name, value in scope["headers"]}
        client = scope.get("client")
        _answered_here.set(True)
        exchange = Exchange(request_id=new_request_id(), method=scope["method"],
                            path=scope["path"], query=query, headers=headers, body=b"",
                            client_ip=client[0] if client else "127.0.0.1",
                            secure=scope.get("scheme") == "https")
        body = await _read_asgi_body(receive, MAX_BODY_BYTES)
        if body is not None:
            exchange.body = body
        limits = None if exchange.path in self.unlimited_paths else self.limits
        response = await _answer(endpoint, exchange, body, limits)
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


def _browser_visit(scope: Scope) -> bool:
    """A bare GET (no query, no signature): a person's browser, which the
    routes behind send to the console rather than the Query API."""
    return (scope["method"] == "GET" and not scope.get("query_string")
            and not any(name == b"authorization" for name, _ in scope["headers"]))


async def _read_asgi_body(receive: Receive, limit: int) -> bytes | None:
    """As bodies.read_body, from the ASGI messages themselves."""
    chunks: list[bytes] = []
    seen = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen <= limit:
            chunks.append(chunk)
        elif seen > DRAIN_BYTES:
            break
        if not message.get("more_body", False):
            break
    if seen > limit:
        return None
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def serve(endpoint: Endpoint, request: Request,
                limits: RateLimits | None = None) -> Response:
    """The ASGI side: read the request, then `run` it off the event loop."""
    _answered_here.set(True)
    request_id = new_request_id()
    body = await read_body(request, MAX_BODY_BYTES)
    headers = {k.lower(): v for k, v in request.headers.items()}
    exchange = Exchange(request_id=request_id, method=request.method, path=request.url.path,
                        query=request.url.query, headers=headers, body=body or b"",
                        client_ip=request.client.host if request.client else "127.0.0.1",
                        secure=request.url.scheme == "https")
    return await _answer(endpoint, exchange, body, limits)
