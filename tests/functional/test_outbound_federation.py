"""sts:GetWebIdentityToken end to end: boto3 gets a token from a real `iamd
serve`, then verifies it as an outside service would, with the issuer's
discovery document and key set fetched over HTTP from iamd and checked with
joserfc.

The server is shared by the session: every test here leaves the account's
outbound federation as it found it.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from joserfc import jwt
from joserfc.jwk import KeySet

AUDIENCE = "https://api.example.com"
NAMESPACE = "https://sts.amazonaws.com/"


def failure(call: Callable[[], Any]) -> tuple[str, int]:
    with pytest.raises(ClientError) as exc:
        call()
    response = exc.value.response
    return str(response["Error"]["Code"]), int(response["ResponseMetadata"]["HTTPStatusCode"])


def fetch(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.headers["Content-Type"].startswith("application/json")
        return json.load(answer)


def not_found(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=10)
    except urllib.error.HTTPError as error:
        return error.code == 404
    return False


@pytest.fixture
def issuer(iam: Any) -> Iterator[str]:
    """Outbound federation on for the test, then back as it was."""
    try:
        url = str(iam.get_outbound_web_identity_federation_info()["IssuerIdentifier"])
        was_enabled = True
    except ClientError:
        url = str(iam.enable_outbound_web_identity_federation()["IssuerIdentifier"])
        was_enabled = False
    try:
        yield url
    finally:
        try:
            iam.get_outbound_web_identity_federation_info()
            now_enabled = True
        except ClientError:
            now_enabled = False
        if now_enabled and not was_enabled:
            iam.disable_outbound_web_identity_federation()
        elif was_enabled and not now_enabled:
            iam.enable_outbound_web_identity_federation()


def verified(token: str, issuer: str) -> Any:
    """The token checked as a verifier would: discovery, key set, signature, claims."""
    configuration = fetch(issuer + "/.well-known/openid-configuration")
    assert configuration["issuer"] == issuer
    keys = KeySet.import_key_set(fetch(configuration["jwks_uri"]))
    decoded = jwt.decode(token, keys, algorithms=configuration["id_token_signing_alg_values_supported"])
    registry = jwt.JWTClaimsRegistry(iss={"essential": True, "value": issuer},
                                     sub={"essential": True}, exp={"essential": True},
                                     iat={"essential": True}, jti={"essential": True})
    registry.validate(decoded.claims)
    return decoded


def raw_client(iamd_server: Any, service: str, **credentials: str) -> Any:
    """A client whose parameters botocore does not check, to reach iamd's own validation."""
    return boto3.client(service, endpoint_url=iamd_server.endpoint, region_name="us-east-1",
                        aws_access_key_id=credentials.get("key", iamd_server.access_key_id),
                        aws_secret_access_key=credentials.get("secret", iamd_server.secret_access_key),
                        config=Config(retries={"max_attempts": 1}, parameter_validation=False))


def test_discovery_documents_are_served_by_iamd(iamd_server: Any, issuer: str) -> None:
    assert issuer.startswith(iamd_server.endpoint + "/outbound/")
    configuration = fetch(issuer + "/.well-known/openid-configuration")
    assert configuration == {
        "issuer": issuer,
        "jwks_uri": issuer + "/.well-known/jwks.json",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES384"],
        "claims_supported": ["aud", "exp", "iat", "iss", "jti", "sub", NAMESPACE],
    }
    key_set = fetch(configuration["jwks_uri"])
    assert [(k["kty"], k["alg"], k["use"]) for k in key_set["keys"]] == [
        ("RSA", "RS256", "sig"), ("EC", "ES384", "sig")]
    rsa, ec = key_set["keys"]
    assert ec["crv"] == "P-384"
    assert len(rsa["n"]) * 6 // 8 >= 384  # a 3072-bit modulus, base64url
    # Public halves only.
    assert not {"d", "p", "q", "dp", "dq", "qi"} & (set(rsa) | set(ec))
    assert fetch(configuration["jwks_uri"]) == key_set  # stable between fetches
    # Unknown issuers have no documents.
    unknown = iamd_server.endpoint + "/outbound/00000000-0000-4000-8000-000000000000"
    assert not_found(unknown + "/.well-known/openid-configuration")
    assert not_found(unknown + "/.well-known/jwks.json")
    assert not_found(iamd_server.endpoint + "/outbound/not-a-uuid/.well-known/jwks.json")


@pytest.mark.parametrize("algorithm", ["RS256", "ES384"])
def test_token_verifies_with_the_issuer_keys(sts: Any, issuer: str, algorithm: str) -> None:
    caller = sts.get_caller_identity()
    before = int(time.time())
    answer = sts.get_web_identity_token(
        Audience=[AUDIENCE, "https://second.example.com"], SigningAlgorithm=algorithm,
        DurationSeconds=900, Tags=[{"Key": "job", "Value": "nightly-42"}])
    token = answer["WebIdentityToken"]
    decoded = verified(token, issuer)
    assert decoded.header["alg"] == algorithm
    assert decoded.header["typ"] == "JWT"
    claims = decoded.claims
    assert claims["iss"] == issuer
    assert claims["sub"] == caller["Arn"]
    assert claims["aud"] == [AUDIENCE, "https://second.example.com"]
    assert claims["exp"] - claims["iat"] == 900
    assert before - 2 <= claims["iat"] <= int(time.time()) + 2
    assert answer["Expiration"] == datetime.fromtimestamp(claims["exp"], UTC)
    assert claims[NAMESPACE] == {"aws_account": caller["Account"], "source_region": "us-east-1",
                                 "request_tags": {"job": "nightly-42"}}
    # A verifier's audience check.
    jwt.JWTClaimsRegistry(aud={"essential": True, "value": AUDIENCE}).validate(claims)
    # Every token is its own.
    again = sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm=algorithm)
    claims_again = verified(again["WebIdentityToken"], issuer).claims
    assert claims_again["jti"] != claims["jti"]
    assert claims_again["aud"] == AUDIENCE
    assert claims_again["exp"] - claims_again["iat"] == 300  # the default duration


def test_expired_token_is_refused_by_a_verifier(sts: Any, issuer: str) -> None:
    token = sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="ES384",
                                       DurationSeconds=60)["WebIdentityToken"]
    claims = verified(token, issuer).claims
    registry = jwt.JWTClaimsRegistry(now=lambda: claims["exp"] + 1, exp={"essential": True})
    with pytest.raises(Exception, match="expired"):
        registry.validate(claims)


def test_tampered_token_is_refused(sts: Any, issuer: str) -> None:
    token = sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="RS256")["WebIdentityToken"]
    header, _, signature = token.split(".")
    forged_claims = dict(verified(token, issuer).claims, sub="arn:aws:iam::999999999999:root")
    forged = base64.urlsafe_b64encode(json.dumps(forged_claims).encode()).decode().rstrip("=")
    with pytest.raises(Exception, match="signature"):
        verified(f"{header}.{forged}.{signature}", issuer)


def test_enable_disable_and_info(iamd_server: Any, iam: Any, sts: Any, issuer: str) -> None:
    # iamd serves the issuer itself, under its public URL (here the server's
    # own address) and a uuid unique to the account.
    assert re.fullmatch(re.escape(iamd_server.endpoint) + r"/outbound/[0-9a-f-]{36}", issuer)
    info = iam.get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, True)
    assert failure(iam.enable_outbound_web_identity_federation) == ("FeatureEnabled", 409)
    iam.disable_outbound_web_identity_federation()
    account = sts.get_caller_identity()["Account"]
    for call in (iam.get_outbound_web_identity_federation_info,
                 iam.disable_outbound_web_identity_federation):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"] == {
            "Type": "Sender", "Code": "FeatureDisabled",
            "Message": f"Outbound identity federation is disabled for account {account}"}
    with pytest.raises(ClientError) as exc:
        sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="RS256")
    assert exc.value.response["Error"]["Message"] == "OutboundWebIdentityFederation is disabled."
    # The issuer is the account's: the same when the feature is on again.
    assert iam.enable_outbound_web_identity_federation()["IssuerIdentifier"] == issuer


def test_disabled_federation_has_no_tokens_and_no_documents(iam: Any, sts: Any, issuer: str) -> None:
    iam.disable_outbound_web_identity_federation()
    assert failure(lambda: sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="RS256")) \
        == ("OutboundWebIdentityFederationDisabledException", 403)
    assert not_found(issuer + "/.well-known/openid-configuration")
    assert not_found(issuer + "/.well-known/jwks.json")
    # On again: the same issuer, the same keys.
    assert iam.enable_outbound_web_identity_federation()["IssuerIdentifier"] == issuer
    assert fetch(issuer + "/.well-known/openid-configuration")["issuer"] == issuer


def test_policy_conditions_bound_the_token(iamd_server: Any, iam: Any, issuer: str,
                                           unique: Any) -> None:
    name = unique("token-user")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="tokens", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*",
            "Condition": {
                "ForAllValues:StringEquals": {"sts:IdentityTokenAudience": AUDIENCE},
                "NumericLessThanEquals": {"sts:DurationSeconds": 300},
                "StringEquals": {"sts:SigningAlgorithm": "ES384"},
            },
        }],
    }))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    sts = iamd_server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    user_arn = iam.get_user(UserName=name)["User"]["Arn"]

    # Inside the bounds: the default duration (300) counts as asked for.
    token = sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="ES384")
    assert verified(token["WebIdentityToken"], issuer).claims["sub"] == user_arn
    sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="ES384", DurationSeconds=120)

    denied = ("AccessDenied", 403)
    assert failure(lambda: sts.get_web_identity_token(
        Audience=["https://elsewhere.example.com"], SigningAlgorithm="ES384")) == denied
    assert failure(lambda: sts.get_web_identity_token(
        Audience=[AUDIENCE, "https://elsewhere.example.com"], SigningAlgorithm="ES384")) == denied
    assert failure(lambda: sts.get_web_identity_token(
        Audience=[AUDIENCE], SigningAlgorithm="ES384", DurationSeconds=301)) == denied
    assert failure(lambda: sts.get_web_identity_token(
        Audience=[AUDIENCE], SigningAlgorithm="RS256")) == denied
    # Tags need sts:TagGetWebIdentityToken too.
    assert failure(lambda: sts.get_web_identity_token(
        Audience=[AUDIENCE], SigningAlgorithm="ES384", Tags=[{"Key": "k", "Value": "v"}])) == denied
    iam.put_user_policy(UserName=name, PolicyName="tags", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:TagGetWebIdentityToken", "Resource": "*",
                       "Condition": {"StringEquals": {"aws:RequestTag/team": "data"}}}],
    }))
    tagged = sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="ES384",
                                        Tags=[{"Key": "team", "Value": "data"}])
    assert verified(tagged["WebIdentityToken"], issuer).claims[NAMESPACE]["request_tags"] \
        == {"team": "data"}
    assert failure(lambda: sts.get_web_identity_token(
        Audience=[AUDIENCE], SigningAlgorithm="ES384", Tags=[{"Key": "team", "Value": "ops"}])) == denied


def test_role_session_tokens(iamd_server: Any, iam: Any, sts: Any, issuer: str, unique: Any) -> None:
    account = sts.get_caller_identity()["Account"]
    name = unique("token-role")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                       "Action": ["sts:AssumeRole", "sts:TagSession"]}],
    }), Tags=[{"Key": "team", "Value": "data-engineering"}])["Role"]
    iam.put_role_policy(RoleName=name, PolicyName="tokens", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*"}],
    }))
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="etl", DurationSeconds=900,
                              Tags=[{"Key": "run", "Value": "r-7"}])
    credentials = assumed["Credentials"]
    session = iamd_server.client("sts", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                                 credentials["SessionToken"])
    token = session.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="RS256")
    claims = verified(token["WebIdentityToken"], issuer).claims
    # AWS's documented token names the role, not the session, as its subject.
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{name}/etl"
    assert claims["sub"] == role["Arn"]
    assert claims[NAMESPACE]["principal_tags"] == {"team": "data-engineering", "run": "r-7"}
    assert claims[NAMESPACE]["aws_account"] == account

    # A session of 15 minutes cannot vend a token of an hour.
    assert failure(lambda: session.get_web_identity_token(
        Audience=[AUDIENCE], SigningAlgorithm="RS256", DurationSeconds=3600)) \
        == ("SessionDurationEscalationException", 403)


@pytest.mark.parametrize(("arguments", "code"), [
    ({"DurationSeconds": 59}, "ValidationError"),
    ({"DurationSeconds": 3601}, "ValidationError"),
    ({"SigningAlgorithm": "HS256"}, "ValidationError"),
    ({"SigningAlgorithm": "RS512"}, "ValidationError"),
    ({"SigningAlgorithm": "RS2566"}, "ValidationError"),
    ({"Audience": []}, "ValidationError"),
    ({"Audience": [f"https://{n}.example.com" for n in range(11)]}, "ValidationError"),
    ({"Tags": [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]}, "InvalidParameterValue"),
])
def test_invalid_requests(iamd_server: Any, issuer: str, arguments: dict[str, Any], code: str) -> None:
    sts = raw_client(iamd_server, "sts")
    request = {"Audience": [AUDIENCE], "SigningAlgorithm": "RS256", **arguments}
    assert failure(lambda: sts.get_web_identity_token(**request)) == (code, 400)


def test_payload_size_limit(sts: Any, issuer: str) -> None:
    tags = [{"Key": f"k{n:02d}" + "k" * 125, "Value": "v" * 256} for n in range(50)]
    assert failure(lambda: sts.get_web_identity_token(
        Audience=[AUDIENCE], SigningAlgorithm="ES384", Tags=tags)) \
        == ("JWTPayloadSizeExceededException", 400)
    token = sts.get_web_identity_token(Audience=[AUDIENCE], SigningAlgorithm="ES384", Tags=tags[:20])
    assert len(verified(token["WebIdentityToken"], issuer).claims[NAMESPACE]["request_tags"]) == 20


def test_issuer_follows_the_public_url(tmp_path: Any) -> None:
    """Behind a proxy: the issuer names the public URL, iamd serves it at /outbound/..."""
    from iamd.testing import IamdServer

    public = "https://iam.example.test/identity"
    with IamdServer.start(tmp_path / "proxied", extra_env={"IAMD_PUBLIC_URL": public + "/"}) as server:
        issuer = server.client("iam").enable_outbound_web_identity_federation()["IssuerIdentifier"]
        assert issuer.startswith(public + "/outbound/")
        local = server.endpoint + issuer[len(public):]
        configuration = fetch(local + "/.well-known/openid-configuration")
        assert configuration["issuer"] == issuer
        assert configuration["jwks_uri"] == issuer + "/.well-known/jwks.json"
        token = server.client("sts").get_web_identity_token(
            Audience=[AUDIENCE], SigningAlgorithm="ES384")["WebIdentityToken"]
        keys = KeySet.import_key_set(fetch(local + "/.well-known/jwks.json"))
        assert jwt.decode(token, keys, algorithms=["ES384"]).claims["iss"] == issuer
