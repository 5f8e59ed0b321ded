"""An ASGI middleware that has iamd authenticate and authorize a service's own requests.

Put it in front of any ASGI app (Starlette, FastAPI, a bare ASGI callable).
Your clients sign their requests with SigV4 as they would for an AWS service
(boto3, the AWS CLI and the SDKs can sign any service name); for each request
the middleware finds the action and resource ARN from a small route table,
forwards the client's request to iamd's `POST /_iamd/authorize`
(docs/authorization-endpoint.md) signed with the service's own iamd key, and
lets the request through only when iamd answers `Allow`:

    from iamd.middleware import IamdAuthMiddleware, Route

    app = IamdAuthMiddleware(
        app,
        endpoint="http://127.0.0.1:8000",
        routes=[
            Route("GET /buckets", "myservice:ListBuckets", "*"),
            Route("GET /buckets/{name}", "myservice:ListObjects", "arn:aws:myservice:::bucket/{name}"),
            Route("GET /buckets/{name}/{key+}", "myservice:GetObject",
                  "arn:aws:myservice:::bucket/{name}/{key}"),
        ],
        public=["GET /health"],
    )

Routes are `METHOD /path` templates tried in order; `{param}` matches one path
segment, `{param+}` the rest of the path (slashes included), `*` as the method
any method. Parameters are substituted, percent-decoded, into the resource
template. A request no route matches is denied (403), never let through.

Allowed requests reach the app with an `Authorization` under
`scope["iamd"]` (Starlette: `request.scope["iamd"]`, or `authorization_of`):
the principal iamd authenticated, the action, the resource and the route's
parameters. Denied requests are answered here with AWS's error shape,
including iamd's *encoded authorization message* (open it with
`aws sts decode-authorization-message`). Failed client signatures answer
with the code iamd found (SignatureDoesNotMatch, ...). When iamd cannot be
reached, times out or fails, the answer is 503 ServiceUnavailable: the
middleware never allows what iamd did not decide.

Error shape: JSON by default (`error_format="json"`), the shape of API
Gateway's IAM authorization (the closest AWS analogue: a REST service whose
routes are decided by IAM) and of every restJson1 service: a body
`{"__type": "AccessDeniedException", "message": "..."}` with the
`x-amzn-ErrorType` and `x-amzn-RequestId` headers, and the JSON code names
(`AccessDeniedException`, `InvalidSignatureException`,
`UnrecognizedClientException`, ...). `error_format="xml"` answers as S3 and
other REST-XML services do, `<Error><Code>AccessDenied</Code>...`, with the
codes iamd uses (`AccessDenied`, `SignatureDoesNotMatch`,
`InvalidClientTokenId`, ...): the choice for S3-shaped services whose
clients parse S3 errors. botocore parses both.

The service's own key is found as boto3 finds keys (botocore's credential
chain: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE` and the
shared credentials and config files, container and instance credentials),
or passed as `credentials=`. It needs `iamd:AuthorizeRequest` on `*`.
Calls to iamd go through one pooled httpx client with short timeouts.
`resource_policy` and `context` are optional hooks, plain or async functions
of the matched request, that give iamd a resource-based policy (a bucket
policy, say) and further condition keys for each decision.
"""

from __future__ import annotations

import base64
import inspect
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote
from xml.sax.saxutils import escape

import httpx

__all__ = [
    "Authorization",
    "IamdAuthMiddleware",
    "Principal",
    "Route",
    "RouteMatch",
    "authorization_of",
]

log = logging.getLogger("iamd.middleware")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SCOPE_KEY = "iamd"
AUTHORIZE_PATH = "/_iamd/authorize"
# iamd takes at most 8 MiB of JSON; a body travels base64 (4/3 larger).
MAX_FORWARDED_BODY = 5 * 1024 * 1024

_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}")

# The client-authentication codes iamd returns, with AWS's status for each
# and the name JSON-protocol services (API Gateway among them) use.
_CLIENT_ERRORS: dict[str, tuple[int, str]] = {
    "SignatureDoesNotMatch": (403, "InvalidSignatureException"),
    "InvalidClientTokenId": (403, "UnrecognizedClientException"),
    "ExpiredToken": (403, "ExpiredTokenException"),
    "RequestExpired": (403, "InvalidSignatureException"),
    "IncompleteSignature": (403, "IncompleteSignatureException"),
    "MissingAuthenticationToken": (403, "MissingAuthenticationTokenException"),
    "AuthorizationQueryParametersError": (400, "IncompleteSignatureException"),
    "MalformedQueryString": (400, "IncompleteSignatureException"),
}
_JSON_NAMES = {"AccessDenied": "AccessDeniedException",
               "ServiceUnavailable": "ServiceUnavailableException",
               "RequestEntityTooLarge": "RequestEntityTooLargeException",
               "InternalFailure": "InternalFailure"}


@dataclass(frozen=True)
class Route:
    """`METHOD /path/{param}` decided as `action` on `resource` (a template)."""

    pattern: str
    action: str
    resource: str
    method: str = field(init=False)
    path: str = field(init=False)
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        method, _, path = self.pattern.strip().partition(" ")
        path = path.strip()
        if not method or not path.startswith("/"):
            raise ValueError(f"a route is 'METHOD /path', not {self.pattern!r}")
        regex, last = "", 0
        names: set[str] = set()
        for found in _PARAMETER.finditer(path):
            name, greedy = found.group(1), found.group(2)
            if name in names:
                raise ValueError(f"parameter {{{name}}} appears twice in {self.pattern!r}")
            names.add(name)
            regex += re.escape(path[last:found.start()])
            regex += f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)"
            last = found.end()
        regex += re.escape(path[last:])
        unknown = {m.group(1) for m in _PARAMETER.finditer(self.resource)} - names
        if unknown:
            raise ValueError(f"resource {self.resource!r} names {sorted(unknown)}, "
                             f"which {self.pattern!r} does not define")
        object.__setattr__(self, "method", method.upper())
        object.__setattr__(self, "path", path)
        object.__setattr__(self, "_regex", re.compile(regex))

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The route's parameters (percent-decoded) for a request, or None."""
        if self.method not in ("*", method):
            return None
        found = self._regex.fullmatch(path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in found.groupdict().items()}

    def resource_for(self, parameters: Mapping[str, str]) -> str:
        return _PARAMETER.sub(lambda m: parameters[m.group(1)], self.resource)


@dataclass(frozen=True)
class Principal:
    """Who iamd authenticated: `type` is IAMUser, AssumedRole, FederatedUser or Root."""

    arn: str
    account: str
    userid: str
    type: str


@dataclass(frozen=True)
class Authorization:
    """What the app finds under `scope["iamd"]` for an allowed request."""

    principal: Principal
    action: str
    resource: str
    parameters: Mapping[str, str]
    route: Route


@dataclass(frozen=True)
class RouteMatch:
    """A request matched to a route, as the `resource_policy` and `context` hooks see it."""

    route: Route
    parameters: Mapping[str, str]
    action: str
    resource: str
    method: str
    path: str
    scope: Scope


Hook = Callable[[RouteMatch], Any]


def authorization_of(scope_or_request: Any) -> Authorization:
    """The `Authorization` of an allowed request (an ASGI scope or a Starlette Request)."""
    scope = getattr(scope_or_request, "scope", scope_or_request)
    found = scope.get(SCOPE_KEY)
    if not isinstance(found, Authorization):
        raise LookupError("this request did not pass through IamdAuthMiddleware")
    return found


class _Refusal(Exception):
    """An answer the middleware gives instead of the app's."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class IamdAuthMiddleware:
    """Authenticate and authorize every request through iamd before the app sees it."""

    def __init__(self, app: ASGIApp, *, endpoint: str, routes: Iterable[Route],
                 public: Iterable[str] = (), credentials: Any = None, profile: str | None = None,
                 region: str = "us-east-1", signing_name: str = "iamd",
                 error_format: Literal["json", "xml"] = "json",
                 resource_policy: Hook | None = None, context: Hook | None = None,
                 timeout: float = 2.0, connect_timeout: float = 1.0,
                 max_connections: int = 100, transport: httpx.AsyncBaseTransport | None = None,
                 ) -> None:
        if error_format not in ("json", "xml"):
            raise ValueError("error_format is 'json' or 'xml'")
        self.app = app
        self.endpoint = endpoint.rstrip("/")
        self.routes: Sequence[Route] = tuple(routes)
        self.public: Sequence[Route] = tuple(Route(p, "", "") for p in public)
        self.region, self.signing_name = region, signing_name
        self.error_format = error_format
        self.resource_policy, self.context = resource_policy, context
        self._credentials = credentials if credentials is not None else _find_credentials(profile)
        self._timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self._limits = httpx.Limits(max_connections=max_connections,
                                    max_keepalive_connections=max_connections)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    # -- ASGI -------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._closing_on_shutdown(receive), send)
            return
        if scope["type"] != "http":  # websockets are not signed by SDKs: refuse, never pass
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if any(rule.match(method, path) is not None for rule in self.public):
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        try:
            authorization, receive = await self._authorize(scope, receive)
        except _Refusal as refusal:
            await self._refuse(send, refusal, request_id)
            return
        scope[SCOPE_KEY] = authorization
        await self.app(scope, receive, send)

    def _closing_on_shutdown(self, receive: Receive) -> Receive:
        async def wrapped() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self.aclose()
            return message
        return wrapped

    async def aclose(self) -> None:
        """Close the pooled connections to iamd (done at the app's lifespan shutdown)."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    # -- deciding ---------------------------------------------------------------------------

    def _match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        for route in self.routes:
            parameters = route.match(method, path)
            if parameters is not None:
                return route, parameters
        log.warning("no authorization route for %s %s: denied", method, path)
        raise _Refusal(403, "AccessDenied", f"No authorization rule covers {method} {path}.")

    async def _authorize(self, scope: Scope, receive: Receive) -> tuple[Authorization, Receive]:
        method: str = scope["method"]
        route, parameters = self._match(method, scope["path"])
        resource = route.resource_for(parameters)
        matched = RouteMatch(route, parameters, route.action, resource, method, scope["path"], scope)
        headers = _joined_headers(scope)
        body, receive = await _buffered_body(receive, needed="x-amz-content-sha256" not in headers)
        raw_path = scope.get("raw_path") or scope["path"].encode()
        payload: dict[str, Any] = {
            "method": method,
            "path": raw_path.decode("latin-1").split("?", 1)[0],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "headers": headers,
            "action": route.action,
            "resource": resource,
            "secure_transport": scope.get("scheme") == "https",
        }
        if body:
            payload["body"] = base64.b64encode(body).decode()
        client = scope.get("client")
        if client:
            payload["source_ip"] = client[0]
        if self.resource_policy is not None:
            policy = await _call_hook(self.resource_policy, matched)
            if policy is not None:
                payload["resource_policy"] = policy
        if self.context is not None:
            extra = await _call_hook(self.context, matched)
            if extra:
                payload["context"] = extra
        answer = await self._ask_iamd(payload)
        if "error" in answer:
            code = str(answer["error"].get("code", "AccessDenied"))
            status = _CLIENT_ERRORS.get(code, (403, ""))[0]
            raise _Refusal(status, code, str(answer["error"].get("message", "")))
        principal = answer.get("principal") or {}
        if answer.get("decision") != "Allow":
            raise _Refusal(403, "AccessDenied", _denial_message(principal, route.action, resource,
                                                                 answer))
        return Authorization(
            principal=Principal(arn=str(principal.get("arn", "")),
                                account=str(principal.get("account", "")),
                                userid=str(principal.get("userid", "")),
                                type=str(principal.get("type", ""))),
            action=route.action, resource=resource, parameters=parameters, route=route,
        ), receive

    async def _ask_iamd(self, payload: dict[str, Any]) -> dict[str, Any]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        data = json.dumps(payload, separators=(",", ":")).encode()
        url = self.endpoint + AUTHORIZE_PATH
        request = AWSRequest(method="POST", url=url, data=data,
                             headers={"Content-Type": "application/json"})
        credentials = self._credentials
        if hasattr(credentials, "get_frozen_credentials"):  # refreshable (role) credentials
            credentials = credentials.get_frozen_credentials()
        SigV4Auth(credentials, self.signing_name, self.region).add_auth(request)
        headers = {name: value for name, value in request.headers.items()}
        try:
            response = await self._http().post(url, content=data, headers=headers)
        except httpx.HTTPError as exc:
            log.error("iamd at %s could not be asked (%s: %s): request refused",
                      self.endpoint, type(exc).__name__, exc)
            raise _Refusal(503, "ServiceUnavailable",
                           "The authorization service is unavailable; try again later.") from exc
        if response.status_code != 200:
            # The service's own call failed: its key, its permission, or iamd itself.
            log.error("iamd refused the service's authorize call (%s): %s",
                      response.status_code, response.text[:500])
            raise _Refusal(503, "ServiceUnavailable",
                           "The authorization service could not decide this request.")
        try:
            answer: dict[str, Any] = response.json()
        except ValueError as exc:
            raise _Refusal(503, "ServiceUnavailable",
                           "The authorization service gave an unreadable answer.") from exc
        return answer

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            transport = self._transport or httpx.AsyncHTTPTransport(retries=1, limits=self._limits)
            self._client = httpx.AsyncClient(timeout=self._timeout, transport=transport)
        return self._client

    # -- answering --------------------------------------------------------------------------

    async def _refuse(self, send: Send, refusal: _Refusal, request_id: str) -> None:
        if self.error_format == "json":
            code = _CLIENT_ERRORS.get(refusal.code, (0, ""))[1] or _JSON_NAMES.get(
                refusal.code, refusal.code)
            body = json.dumps({"__type": code, "message": refusal.message}).encode()
            headers = [(b"content-type", b"application/json"),
                       (b"x-amzn-errortype", code.encode()),
                       (b"x-amzn-requestid", request_id.encode())]
        else:
            body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>"
                    f"<Code>{escape(refusal.code)}</Code><Message>{escape(refusal.message)}</Message>"
                    f"<RequestId>{request_id}</RequestId></Error>").encode()
            headers = [(b"content-type", b"application/xml"),
                       (b"x-amz-request-id", request_id.encode())]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _find_credentials(profile: str | None) -> Any:
    import botocore.session

    credentials = botocore.session.Session(profile=profile).get_credentials()
    if credentials is None:
        raise RuntimeError("IamdAuthMiddleware found no AWS credentials for the service's own "
                           "iamd key: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, "
                           "or pass credentials=")
    return credentials


def _joined_headers(scope: Scope) -> dict[str, str]:
    """The client's headers as iamd takes them: one value per name, repeats joined with ','."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


async def _buffered_body(receive: Receive, *, needed: bool) -> tuple[bytes, Receive]:
    """Read the body (iamd needs it to check a signature over the payload) and replay it.

    When the client sent `x-amz-content-sha256`, that header stands for the
    body and the body is left to stream to the app untouched.
    """
    if not needed:
        return b"", receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            raise _Refusal(400, "AccessDenied", "The request ended before its body.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORWARDED_BODY:
            raise _Refusal(413, "RequestEntityTooLarge",
                           "Bodies over 5 MiB must be signed with an x-amz-content-sha256 header.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _call_hook(hook: Hook, matched: RouteMatch) -> Any:
    result = hook(matched)
    if inspect.isawaitable(result):
        result = await result
    return result


def _denial_message(principal: Mapping[str, Any], action: str, resource: str,
                    answer: Mapping[str, Any]) -> str:
    """AWS's sentence for a denial, with the encoded message that explains it."""
    who = principal.get("arn") or "The caller"
    reason = (answer.get("explanation") or {}).get("reason") or ""
    subject = f"User: {who}" if principal.get("arn") else who
    text = f"{subject} is not authorized to perform: {action} on resource: {resource}"
    if reason:
        text += f" {reason}"
    encoded = answer.get("encoded_message")
    if encoded:
        text += f". Encoded authorization failure message: {encoded}"
    return text
