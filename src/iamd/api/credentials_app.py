"""The local credentials endpoint: an instance profile's role credentials over HTTP,
in the two forms AWS SDKs fetch without any secret in the application.

- Container credentials (`AWS_CONTAINER_CREDENTIALS_FULL_URI` with
  `AWS_CONTAINER_AUTHORIZATION_TOKEN` or `..._TOKEN_FILE`): `GET /credentials`
  with the `Authorization` header set to the endpoint's token, compared in
  constant time; the answer is the JSON ECS serves (AccessKeyId,
  SecretAccessKey, Token, Expiration, RoleArn, and AccountId which newer SDKs
  read).
- Instance metadata, IMDSv2 only (`AWS_EC2_METADATA_SERVICE_ENDPOINT`):
  `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds`
  (1 to 21,600) returns a session token; `GET /latest/meta-data/iam/
  security-credentials/` names the role and `.../ROLE` returns its
  credentials with Code, LastUpdated and Type, as EC2 does, including EC2's
  200 answer with Code AssumeRoleUnauthorizedAccess when the role does not
  trust EC2. A GET without a valid session token is 401, as on an instance
  that requires IMDSv2, and a token PUT that came through a proxy
  (X-Forwarded-For) is refused, as EC2 refuses it.

Both listen on loopback only, and every request must name a loopback host:
a web page that rebinds its own name to 127.0.0.1 (DNS rebinding) would
otherwise be able to fetch the IMDS token and then the credentials. Anything
that touches the store runs in the thread pool.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import secrets
import struct
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from iamd.service.instance_credentials import (
    InstanceCredentials,
    InstanceCredentialsError,
    InstanceCredentialSource,
    InstanceProfileNotFound,
    NoRoleInProfile,
    RoleNotTrusted,
)

log = logging.getLogger("iamd.credentials")

CONTAINER_PATH = "/credentials"
TOKEN_PATH = "/latest/api/token"
CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/"
TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "x-aws-ec2-metadata-token"
MAX_TTL = 21600  # six hours, EC2's ceiling

Handler = Callable[[Request], Awaitable[Response]]


def _iso(moment: datetime) -> str:
    # The form botocore's IMDS fetcher parses ("%Y-%m-%dT%H:%M:%SZ").
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _loopback_host(host_header: str) -> bool:
    host = host_header.strip()
    if host.startswith("["):  # [::1]:port
        host = host[1:].partition("]")[0]
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status)


class MetadataTokens:
    """IMDSv2 session tokens: stateless, an expiry time sealed with an HMAC
    under a key that lives and dies with the process."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._key = secrets.token_bytes(32)
        self._clock = clock

    def issue(self, ttl: int) -> str:
        body = struct.pack(">Q", int(self._clock()) + ttl) + secrets.token_bytes(8)
        mac = hmac.new(self._key, body, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(body + mac).decode().rstrip("=")

    def valid(self, token: str) -> bool:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, UnicodeError):
            return False
        if len(raw) != 48:
            return False
        body, mac = raw[:16], raw[16:]
        if not hmac.compare_digest(mac, hmac.new(self._key, body, hashlib.sha256).digest()):
            return False
        expires: int = struct.unpack(">Q", body[:8])[0]
        return self._clock() < expires


def create_credentials_app(source: InstanceCredentialSource, auth_token: str, *,
                           imds: bool = True) -> Starlette:
    expected = auth_token.encode()
    tokens = MetadataTokens()

    async def issue() -> InstanceCredentials:
        return await run_in_threadpool(source.current)

    async def container(request: Request) -> Response:
        given = request.headers.get("authorization")
        if given is None:
            return _error(401, "Unauthorized", "The Authorization header is missing.")
        if not hmac.compare_digest(given.encode(), expected):
            return _error(403, "AccessDenied", "The Authorization header is not this endpoint's token.")
        try:
            credentials = await issue()
        except (InstanceProfileNotFound, NoRoleInProfile) as exc:
            return _error(404, exc.code, str(exc))
        except RoleNotTrusted as exc:
            return _error(403, exc.code, str(exc))
        except Exception:
            log.exception("issuing credentials for instance profile %s failed", source.profile_name)
            return _error(503, "ServiceUnavailable", "Credentials cannot be issued right now.")
        return JSONResponse({"AccessKeyId": credentials.access_key_id,
                             "SecretAccessKey": credentials.secret_access_key,
                             "Token": credentials.token,
                             "Expiration": _iso(credentials.expiration),
                             "RoleArn": credentials.role_arn,
                             "AccountId": credentials.account_id})

    async def metadata_token(request: Request) -> Response:
        if "x-forwarded-for" in request.headers:
            return PlainTextResponse("Forbidden", status_code=403)
        raw = request.headers.get(TTL_HEADER, "")
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_TTL:
            return PlainTextResponse("Bad Request", status_code=400)
        ttl = int(raw)
        return PlainTextResponse(tokens.issue(ttl), headers={TTL_HEADER: str(ttl)})

    def metadata(handler: Handler) -> Handler:
        async def checked(request: Request) -> Response:
            token = request.headers.get(TOKEN_HEADER)
            if token is None or not tokens.valid(token):
                return PlainTextResponse("Unauthorized", status_code=401)
            return await handler(request)
        return checked

    async def role_name(request: Request) -> Response:
        try:
            _, role = await run_in_threadpool(source.profile)
        except InstanceProfileNotFound:
            return PlainTextResponse("Not Found", status_code=404)
        if role is None:
            return PlainTextResponse("Not Found", status_code=404)
        return PlainTextResponse(role.name)

    async def role_credentials(request: Request) -> Response:
        asked = request.path_params["role"]
        try:
            credentials = await issue()
        except RoleNotTrusted as exc:
            if exc.role.name != asked:
                return PlainTextResponse("Not Found", status_code=404)
            # EC2 answers 200 with the reason in the body (botocore logs it).
            return JSONResponse({"Code": exc.code, "Message": str(exc),
                                 "LastUpdated": _iso(source.now())})
        except InstanceCredentialsError:
            return PlainTextResponse("Not Found", status_code=404)
        if credentials.role_name != asked:
            return PlainTextResponse("Not Found", status_code=404)
        return JSONResponse({"Code": "Success", "LastUpdated": _iso(credentials.issued),
                             "Type": "AWS-HMAC", "AccessKeyId": credentials.access_key_id,
                             "SecretAccessKey": credentials.secret_access_key,
                             "Token": credentials.token,
                             "Expiration": _iso(credentials.expiration)})

    async def iam_info(request: Request) -> Response:
        try:
            profile, role = await run_in_threadpool(source.profile)
        except InstanceProfileNotFound:
            return PlainTextResponse("Not Found", status_code=404)
        if role is None:
            return PlainTextResponse("Not Found", status_code=404)
        return JSONResponse({"Code": "Success", "LastUpdated": _iso(source.now()),
                             "InstanceProfileArn": profile.arn,
                             "InstanceProfileId": profile.id})

    async def instance_id(request: Request) -> Response:
        return PlainTextResponse(source.instance_id)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [Route(CONTAINER_PATH, container, methods=["GET"]),
              Route("/_iamd/health", health, methods=["GET"])]
    if imds:
        routes += [
            Route(TOKEN_PATH, metadata_token, methods=["PUT"]),
            Route(CREDENTIALS_PATH, metadata(role_name), methods=["GET"]),
            Route(CREDENTIALS_PATH + "{role}", metadata(role_credentials), methods=["GET"]),
            Route("/latest/meta-data/iam/info", metadata(iam_info), methods=["GET"]),
            Route("/latest/meta-data/instance-id", metadata(instance_id), methods=["GET"]),
        ]
    return Starlette(routes=routes, middleware=[Middleware(LoopbackOnly)])


class LoopbackOnly:
    """Refuse a request that names a host other than loopback, and mark every
    answer uncacheable: credentials must not linger in a cache on the way."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host", "")
        if not _loopback_host(host):
            await PlainTextResponse("Forbidden", status_code=403)(scope, receive, send)
            return

        async def no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, no_store)
