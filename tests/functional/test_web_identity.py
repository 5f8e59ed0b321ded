"""OpenID Connect providers and AssumeRoleWithWebIdentity end to end, with boto3.

A test issuer runs in a thread on loopback (plain http, which iamd accepts
for loopback hosts only): it serves OIDC discovery and a JWKS per issuer
path, with RSA keys made at test time; tokens are signed with joserfc. Each
test uses its own issuer path, so its provider is its own.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from iamd.testing import IamdServer, free_port

AWS_AUDIENCE = "sts.amazonaws.com"


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return str(exc.value.response["Error"]["Code"]), str(exc.value.response["Error"]["Message"])


@dataclass
class Issuer:
    """One issuer path on the test server: its URL, signing key and published keys."""

    url: str
    key: RSAKey | ECKey
    published: list[dict[str, Any]] = field(default_factory=list)

    @property
    def host_path(self) -> str:
        return self.url.split("://", 1)[1]

    def token(self, key: RSAKey | ECKey | None = None, alg: str = "RS256", **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": self.url, "sub": "user-1", "aud": AWS_AUDIENCE, "iat": now,
                "nbf": now, "exp": now + 600, **claims}
        body = {k: v for k, v in body.items() if v is not None}
        signing = key or self.key
        return jwt.encode({"alg": alg, "kid": signing.kid, "typ": "JWT"}, body, signing)


class IssuerServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.issuers: dict[str, Issuer] = {}
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                prefix, _, rest = self.path.lstrip("/").partition("/")
                issuer = outer.issuers.get(prefix)
                if issuer is None:
                    self.send_error(404)
                    return
                if rest == ".well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks",
                            "id_token_signing_alg_values_supported": ["RS256", "ES256"]}
                elif rest == "jwks":
                    body = {"keys": issuer.published}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def issuer(self, key: RSAKey | ECKey | None = None) -> Issuer:
        prefix = "i" + secrets.token_hex(6)
        signing = key or RSAKey.generate_key(2048, parameters={"kid": "k-" + prefix, "use": "sig"})
        issuer = Issuer(f"http://127.0.0.1:{self.port}/{prefix}", signing,
                        [signing.as_dict(private=False)])
        self.issuers[prefix] = issuer
        return issuer

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def issuers() -> Iterator[IssuerServer]:
    server = IssuerServer()
    yield server
    server.close()


def unsigned_sts(server: IamdServer) -> Any:
    return boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def register(iam: Any, issuer: Issuer, client_ids: tuple[str, ...] = (AWS_AUDIENCE,)) -> str:
    arn: str = iam.create_open_id_connect_provider(
        Url=issuer.url, ClientIDList=list(client_ids))["OpenIDConnectProviderArn"]
    return arn


def web_identity_role(iam: Any, name: str, provider_arn: str, condition: dict[str, Any]) -> str:
    document = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition}]}
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))["Role"]["Arn"]
    return arn


# --- IAM: the providers themselves ---------------------------------------------------

def test_oidc_provider_lifecycle(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    host = f"{unique('idp')}.example.com/tenant"
    url = f"https://{host}"
    created = iam.create_open_id_connect_provider(
        Url=url, ClientIDList=["app-1", "app-2", "app-1"], ThumbprintList=["A" * 40],
        Tags=[{"Key": "team", "Value": "platform"}])
    arn = created["OpenIDConnectProviderArn"]
    account = iamd_server.client("sts").get_caller_identity()["Account"]
    assert arn == f"arn:aws:iam::{account}:oidc-provider/{host}"
    assert created["Tags"] == [{"Key": "team", "Value": "platform"}]

    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == host  # AWS answers the URL without its scheme
    assert got["ClientIDList"] == ["app-1", "app-2"]
    assert got["ThumbprintList"] == ["a" * 40]
    assert got["Tags"] == [{"Key": "team", "Value": "platform"}]
    assert arn in [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app-3")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app-3")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app-1")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="never")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn,
                                                   ThumbprintList=["c" * 40, "d" * 40])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["app-2", "app-3"]
    assert got["ThumbprintList"] == ["c" * 40, "d" * 40]

    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["TEAM"])
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}]

    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(Url=url, ClientIDList=["x"])
    assert error(exc) == ("EntityAlreadyExists", f"Provider with url {url} already exists.")

    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error(exc) == ("NoSuchEntity", f"OpenIDConnect Provider not found for arn {arn}")
    # Idempotent, as the API reference says: deleting it again is no error.
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)
    assert error(exc)[0] == "NoSuchEntity"


def test_oidc_provider_urls_and_limits(iam: Any, unique: Any) -> None:
    refused = [
        ("example.org", "ValidationError", "Invalid Open ID Connect Provider URL"),
        (f"http://{unique('plain')}.example.com", "InvalidInput",
         "Invalid Open ID Connect Provider URL. The URL must begin with https://."),
        (f"https://{unique('q')}.example.com?x=1", "InvalidInput", "Invalid Open ID Connect Provider URL."),
        (f"https://{unique('port')}.example.com:8443", "InvalidInput",
         "Invalid Open ID Connect Provider URL."),
    ]
    for url, code, message in refused:
        with pytest.raises(ClientError) as exc:
            iam.create_open_id_connect_provider(Url=url, ClientIDList=["a"])
        assert error(exc) == (code, message), url
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(Url=f"https://{unique('t')}.example.com",
                                            ThumbprintList=[c * 40 for c in "abcdef"])
    assert error(exc) == ("InvalidInput", "Thumbprint list must contain fewer than 5 entries.")
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(Url=f"https://{unique('c')}.example.com",
                                            ClientIDList=[str(i) for i in range(101)])
    assert error(exc) == ("LimitExceeded", "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100")


# --- STS: AssumeRoleWithWebIdentity --------------------------------------------------

def test_web_identity_token_buys_credentials_that_work(
        iamd_server: IamdServer, iam: Any, unique: Any, issuers: IssuerServer) -> None:
    issuer = issuers.issuer()
    provider = register(iam, issuer)
    role_name = unique("WebApp")
    role_arn = web_identity_role(iam, role_name, provider, {"StringEquals": {
        f"{issuer.host_path}:aud": AWS_AUDIENCE, f"{issuer.host_path}:sub": "user-1"}})
    # The session knows which provider it came through (aws:FederatedProvider).
    elsewhere = provider.rsplit("/", 1)[0] + "/elsewhere.example.com"
    iam.put_role_policy(RoleName=role_name, PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
             "Condition": {"StringEquals": {"aws:FederatedProvider": provider}}},
            {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
             "Condition": {"StringEquals": {"aws:FederatedProvider": elsewhere}}}]}))

    answer = unsigned_sts(iamd_server).assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="app-session", WebIdentityToken=issuer.token(),
        DurationSeconds=900)
    account = role_arn.split(":")[4]
    assumed = f"arn:aws:sts::{account}:assumed-role/{role_name}/app-session"
    assert answer["AssumedRoleUser"]["Arn"] == assumed
    assert answer["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
    assert answer["SubjectFromWebIdentityToken"] == "user-1"
    assert answer["Provider"] == provider
    assert answer["Audience"] == AWS_AUDIENCE
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")

    session = {"access_key_id": credentials["AccessKeyId"],
               "secret_access_key": credentials["SecretAccessKey"],
               "session_token": credentials["SessionToken"]}
    assert iamd_server.client("sts", **session).get_caller_identity()["Arn"] == assumed
    iamd_server.client("iam", **session).get_role(RoleName=role_name)
    for refused in (iamd_server.client("iam", **session).list_users,
                    iamd_server.client("iam", **session).list_roles):
        with pytest.raises(ClientError) as exc:
            refused()
        assert error(exc)[0] == "AccessDenied"
    assert "LastUsedDate" in iam.get_role(RoleName=role_name)["Role"]["RoleLastUsed"]


def test_web_identity_refusals(iamd_server: IamdServer, iam: Any, unique: Any,
                               issuers: IssuerServer) -> None:
    issuer = issuers.issuer()
    provider = register(iam, issuer, client_ids=(AWS_AUDIENCE, "other-app"))
    role_arn = web_identity_role(iam, unique("Strict"), provider, {"StringEquals": {
        f"{issuer.host_path}:sub": "user-1"}})
    sts = unsigned_sts(iamd_server)

    def refused(token: str, **extra: Any) -> tuple[str, str]:
        with pytest.raises(ClientError) as exc:
            sts.assume_role_with_web_identity(RoleArn=extra.get("role", role_arn),
                                              RoleSessionName="sess", WebIdentityToken=token)
        return error(exc)

    assert refused(issuer.token(aud="someone-else")) == ("InvalidIdentityToken", "Incorrect token audience")
    code, message = refused(issuer.token(exp=int(time.time()) - 10))
    assert code == "ExpiredTokenException"
    assert message.startswith("Token expired: current date/time ")
    forger = RSAKey.generate_key(2048, parameters={"kid": issuer.key.kid})
    assert refused(issuer.token(key=forger))[0] == "InvalidIdentityToken"
    assert refused(issuer.token(sub="user-2")) == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    assert refused("not-a-jwt")[0] == "InvalidIdentityToken"
    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    now = int(time.time())
    unsigned = b64({"alg": "none", "kid": issuer.key.kid}) + "." + b64(
        {"iss": issuer.url, "sub": "user-1", "aud": AWS_AUDIENCE, "exp": now + 60}) + "."
    assert refused(unsigned)[0] == "InvalidIdentityToken"
    assert refused(b64({"alg": "RS256"}) + "." + b64({"iss": 5}) + ".c2ln")[0] == "InvalidIdentityToken"

    stranger = issuers.issuer()  # never registered
    assert refused(stranger.token()) == (
        "InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {stranger.url}")
    account = role_arn.split(":")[4]
    assert refused(issuer.token(), role=f"arn:aws:iam::{account}:role/{unique('missing')}") == (
        "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    # A token for a second client id of the provider is fine once the trust policy agrees.
    with pytest.raises(ClientError):
        sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="sess",
                                          WebIdentityToken=issuer.token(aud=["x", "other-app"],
                                                                        sub="user-3"))
    answer = sts.assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="sess", WebIdentityToken=issuer.token(aud=["x", "other-app"]))
    assert answer["Audience"] == "other-app"


def test_unreachable_issuer_is_an_idp_communication_error(
        iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    port = free_port()  # nothing listens there
    url = f"http://127.0.0.1:{port}/{unique('gone')}"
    provider = iam.create_open_id_connect_provider(Url=url, ClientIDList=[AWS_AUDIENCE])[
        "OpenIDConnectProviderArn"]
    role_arn = web_identity_role(iam, unique("Gone"), provider, {})
    key = RSAKey.generate_key(2048, parameters={"kid": "k"})
    now = int(time.time())
    token = jwt.encode({"alg": "RS256", "kid": "k"},
                       {"iss": url, "sub": "s", "aud": AWS_AUDIENCE, "exp": now + 60}, key)
    with pytest.raises(ClientError) as exc:
        unsigned_sts(iamd_server).assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="sess", WebIdentityToken=token)
    assert error(exc)[0] == "IDPCommunicationError"


def test_github_actions_trust_pattern(iamd_server: IamdServer, iam: Any, unique: Any,
                                      issuers: IssuerServer) -> None:
    """GitHub's documented trust policy: the audience exactly, the subject by repo and branch."""
    issuer = issuers.issuer(ECKey.generate_key("P-256", parameters={"kid": unique("ec")}))
    provider = register(iam, issuer)
    role_arn = web_identity_role(iam, unique("Deploy"), provider, {
        "StringEquals": {f"{issuer.host_path}:aud": AWS_AUDIENCE},
        "StringLike": {f"{issuer.host_path}:sub": "repo:octo-org/octo-repo:ref:refs/heads/main"}})
    sts = unsigned_sts(iamd_server)

    def token(sub: str) -> str:
        return issuer.token(alg="ES256", sub=sub, repository="octo-org/octo-repo",
                            ref=sub.rsplit(":", 1)[-1], job_workflow_ref="octo-org/octo-repo/.github/"
                            "workflows/deploy.yml@refs/heads/main")

    answer = sts.assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="GitHubActions",
        WebIdentityToken=token("repo:octo-org/octo-repo:ref:refs/heads/main"))
    assert answer["SubjectFromWebIdentityToken"] == "repo:octo-org/octo-repo:ref:refs/heads/main"
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="GitHubActions",
            WebIdentityToken=token("repo:octo-org/octo-repo:ref:refs/heads/feature"))
    assert error(exc) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")


def test_session_tags_and_source_identity_from_the_token(
        iamd_server: IamdServer, iam: Any, unique: Any, issuers: IssuerServer) -> None:
    issuer = issuers.issuer()
    provider = register(iam, issuer)
    document = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider},
        "Action": ["sts:AssumeRoleWithWebIdentity", "sts:SetSourceIdentity"]}]}
    role_name = unique("Tagged")
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(document))[
        "Role"]["Arn"]
    sts = unsigned_sts(iamd_server)
    tags = {"principal_tags": {"team": ["blue"]}, "transitive_tag_keys": ["team"]}
    token = issuer.token(**{"https://aws.amazon.com/tags": tags,
                            "https://aws.amazon.com/source_identity": "alice"})
    with pytest.raises(ClientError) as exc:  # tags need sts:TagSession too
        sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="sess", WebIdentityToken=token)
    assert error(exc)[0] == "AccessDenied"
    document["Statement"][0]["Action"] = ["sts:AssumeRoleWithWebIdentity", "sts:SetSourceIdentity",
                                          "sts:TagSession"]
    iam.update_assume_role_policy(RoleName=role_name, PolicyDocument=json.dumps(document))
    answer = sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="sess",
                                               WebIdentityToken=token)
    assert answer["SourceIdentity"] == "alice"
