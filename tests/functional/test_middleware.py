"""iamd.middleware in front of a small Starlette service, against a real `iamd serve`.

The service ("myservice", a pretend object store) runs under uvicorn on a
free loopback port with IamdAuthMiddleware; its own iamd key (allowed
iamd:AuthorizeRequest) comes from a shared credentials file, as boto3 would
read it. Its clients sign their requests with botocore's SigV4Auth for the
service name `myservice`, as any AWS SDK can. Shown: an allowed request
reaching the app with the principal on the scope, a denial carrying the
encoded authorization message that sts:DecodeAuthorizationMessage opens, a
grant by the bucket's resource policy alone, a body signed without
x-amz-content-sha256, a bad signature, a route the table does not cover,
the XML error shape, and iamd down (503, never an allow).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route as StarletteRoute

from iamd.middleware import IamdAuthMiddleware, Route, RouteMatch, authorization_of
from iamd.testing import IamdServer, free_port

SERVICE = "myservice"
ROUTES = [
    Route("GET /buckets", "myservice:ListBuckets", "*"),
    Route("GET /buckets/{name}", "myservice:ListObjects", "arn:aws:myservice:::bucket/{name}"),
    Route("PUT /buckets/{name}/{key+}", "myservice:PutObject",
          "arn:aws:myservice:::bucket/{name}/{key}"),
]
# The bucket policies the service keeps; "shared" grants bob reading it.
BUCKET_POLICIES: dict[str, dict[str, Any]] = {}


async def list_objects(request: Request) -> JSONResponse:
    authorization = authorization_of(request)
    return JSONResponse({"bucket": request.path_params["name"],
                         "caller": authorization.principal.arn,
                         "type": authorization.principal.type,
                         "resource": authorization.resource})


async def put_object(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"key": request.path_params["key"], "size": len(body),
                         "body": body.decode()})


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


def bucket_policy(match: RouteMatch) -> dict[str, Any] | None:
    return BUCKET_POLICIES.get(match.parameters.get("name", ""))


def service_app(iamd_endpoint: str, **options: Any) -> IamdAuthMiddleware:
    app = Starlette(routes=[
        StarletteRoute("/health", health),
        StarletteRoute("/buckets/{name}", list_objects),
        StarletteRoute("/buckets/{name}/{key:path}", put_object, methods=["PUT"]),
    ])
    return IamdAuthMiddleware(app, endpoint=iamd_endpoint, routes=ROUTES, public=["GET /health"],
                              resource_policy=bucket_policy, **options)


class Running:
    """A uvicorn server in a thread of this process."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Running:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test service did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def signed(creds: Credentials, method: str, url: str, body: bytes = b"") -> httpx.Response:
    """A client's request to myservice, signed as any AWS SDK signs it."""
    request = AWSRequest(method=method, url=url, data=body)
    SigV4Auth(creds, SERVICE, "us-east-1").add_auth(request)
    return httpx.request(method, url, content=body, headers=dict(request.headers.items()),
                         timeout=30)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """iamd, the service's user, two client users, and the service running in front of iamd."""
    data_dir = tmp_path_factory.mktemp("iamd-middleware")
    with IamdServer.start(data_dir) as server:
        iam = server.client("iam")

        def user(name: str, policy: dict[str, Any] | None) -> Credentials:
            iam.create_user(UserName=name)
            if policy is not None:
                iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
            key = iam.create_access_key(UserName=name)["AccessKey"]
            return Credentials(key["AccessKeyId"], key["SecretAccessKey"])

        objstore = user("objstore", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iamd:AuthorizeRequest", "Resource": "*"}]})
        alice = user("alice", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["myservice:ListObjects", "myservice:PutObject"],
             "Resource": ["arn:aws:myservice:::bucket/reports", "arn:aws:myservice:::bucket/reports/*"]}]})
        bob = user("bob", None)
        bob_arn = iam.get_user(UserName="bob")["User"]["Arn"]
        BUCKET_POLICIES["shared"] = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": bob_arn}, "Action": "myservice:ListObjects",
             "Resource": "arn:aws:myservice:::bucket/shared"}]}
        # The service's key, read from a credentials file the way boto3 reads it.
        credentials_file = data_dir / "objstore-credentials"
        credentials_file.write_text(f"[objstore]\naws_access_key_id = {objstore.access_key}\n"
                                    f"aws_secret_access_key = {objstore.secret_key}\n")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials_file))
            patch.setenv("AWS_CONFIG_FILE", str(data_dir / "no-config"))
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                         "AWS_PROFILE"):
                patch.delenv(name, raising=False)
            json_app = service_app(server.endpoint, profile="objstore")
            xml_app = service_app(server.endpoint, profile="objstore", error_format="xml")
        down_app = service_app(f"http://127.0.0.1:{free_port()}",
                               credentials=Credentials(objstore.access_key, objstore.secret_key))
        with Running(json_app) as json_service, Running(xml_app) as xml_service, \
                Running(down_app) as down_service:
            yield {"server": server, "alice": alice, "bob": bob, "bob_arn": bob_arn,
                   "json": json_service.url, "xml": xml_service.url, "down": down_service.url}


def test_allowed_request_reaches_the_app_with_its_principal(world: dict[str, Any]) -> None:
    response = signed(world["alice"], "GET", world["json"] + "/buckets/reports")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["caller"].endswith(":user/alice")
    assert answer["type"] == "IAMUser"
    assert answer["resource"] == "arn:aws:myservice:::bucket/reports"


def test_denial_carries_the_encoded_message(world: dict[str, Any]) -> None:
    response = signed(world["alice"], "GET", world["json"] + "/buckets/payroll")
    assert response.status_code == 403
    assert response.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    error = response.json()
    assert error["__type"] == "AccessDeniedException"
    message = error["message"]
    assert "user/alice is not authorized to perform: myservice:ListObjects on resource: " \
           "arn:aws:myservice:::bucket/payroll because no identity-based policy allows" in message
    encoded = message.split("Encoded authorization failure message: ", 1)[1]
    sts = world["server"].client("sts")
    decoded = json.loads(sts.decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])
    assert decoded["allowed"] is False
    assert decoded["context"]["action"] == "myservice:ListObjects"
    assert decoded["context"]["resource"] == "arn:aws:myservice:::bucket/payroll"


def test_resource_policy_alone_grants(world: dict[str, Any]) -> None:
    allowed = signed(world["bob"], "GET", world["json"] + "/buckets/shared")
    assert allowed.status_code == 200, allowed.text
    assert allowed.json()["caller"] == world["bob_arn"]
    denied = signed(world["bob"], "GET", world["json"] + "/buckets/reports")
    assert denied.status_code == 403


def test_signed_body_is_checked_and_replayed(world: dict[str, Any]) -> None:
    body = b"quarter,revenue\nq1,10\n"
    response = signed(world["alice"], "PUT", world["json"] + "/buckets/reports/2026/q1.csv", body)
    assert response.status_code == 200, response.text
    assert response.json() == {"key": "2026/q1.csv", "size": len(body), "body": body.decode()}
    # The same signature over another body does not pass.
    request = AWSRequest(method="PUT", url=world["json"] + "/buckets/reports/x.csv", data=body)
    SigV4Auth(world["alice"], SERVICE, "us-east-1").add_auth(request)
    tampered = httpx.put(world["json"] + "/buckets/reports/x.csv", content=b"other",
                         headers=dict(request.headers.items()), timeout=30)
    assert tampered.status_code == 403
    assert tampered.headers["x-amzn-ErrorType"] == "InvalidSignatureException"


def test_unknown_key_and_unsigned_requests(world: dict[str, Any]) -> None:
    stranger = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    response = signed(stranger, "GET", world["json"] + "/buckets/reports")
    assert response.status_code == 403
    assert response.json()["__type"] == "UnrecognizedClientException"
    unsigned = httpx.get(world["json"] + "/buckets/reports", timeout=30)
    assert unsigned.status_code == 403
    assert unsigned.json()["__type"] == "MissingAuthenticationTokenException"
    assert httpx.get(world["json"] + "/health", timeout=30).json() == {"ok": True}


def test_routes_outside_the_table_are_denied(world: dict[str, Any]) -> None:
    response = signed(world["alice"], "DELETE", world["json"] + "/buckets/reports")
    assert response.status_code == 403
    assert "No authorization rule covers DELETE /buckets/reports" in response.json()["message"]


def test_xml_error_shape(world: dict[str, Any]) -> None:
    response = signed(world["alice"], "GET", world["xml"] + "/buckets/payroll")
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/xml"
    assert "<Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::" in response.text
    assert "Encoded authorization failure message: " in response.text
    assert "<RequestId>" in response.text


def test_iamd_down_is_503_never_an_allow(world: dict[str, Any]) -> None:
    response = signed(world["alice"], "GET", world["down"] + "/buckets/reports")
    assert response.status_code == 503
    assert response.json()["__type"] == "ServiceUnavailableException"


def test_route_templates() -> None:
    route = Route("GET /buckets/{name}/{key+}", "s:Get", "arn:aws:s:::b/{name}/{key}")
    assert route.match("GET", "/buckets/a/b%20c/d") == {"name": "a", "key": "b c/d"}
    assert route.match("PUT", "/buckets/a/b") is None
    assert route.match("GET", "/buckets/a") is None
    assert route.resource_for({"name": "a", "key": "b/c"}) == "arn:aws:s:::b/a/b/c"
    assert Route("* /x/{id}", "s:Any", "*").match("PATCH", "/x/1") == {"id": "1"}
    with pytest.raises(ValueError):
        Route("GET /x", "s:Get", "arn:aws:s:::{missing}")
    with pytest.raises(ValueError):
        Route("/x", "s:Get", "*")


def test_no_credentials_is_an_error_at_startup(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(RuntimeError, match="found no AWS credentials"):
        service_app("http://127.0.0.1:1")
