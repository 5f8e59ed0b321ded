"""POST /_iamd/authorize against a real `iamd serve`: a service (a pretend object
store) forwards its client's SigV4-signed S3 request, signs its own call with
its key, and iamd authenticates the client and decides the action. Denials
carry an encoded message that only callers allowed sts:DecodeAuthorizationMessage
can read (AWS's pattern for "Encoded authorization failure message")."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from iamd.testing import IamdServer

OBJECT_STORE = "http://objects.internal:9000"
BUCKET = "reports"
READ = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}
KEY = f"arn:aws:s3:::{BUCKET}/q1.csv"


def client_request(creds: Credentials, method: str = "GET", path: str = f"/{BUCKET}/q1.csv",
                   body: bytes = b"", signer: type[SigV4Auth] = SigV4Auth,
                   query: str = "") -> dict[str, Any]:
    """A client's S3 request, signed by botocore, as the object store received it."""
    url = OBJECT_STORE + path + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body)
    signer(creds, "s3", "us-east-1").add_auth(request)
    prepared = request.prepare()
    split = prepared.url.split("?", 1)
    out: dict[str, Any] = {
        "method": method, "path": split[0][len(OBJECT_STORE):],
        "query": split[1] if len(split) > 1 else "",
        "headers": {"host": "objects.internal:9000", **dict(prepared.headers.items())},
    }
    if body:
        out["body"] = base64.b64encode(body).decode()
    return out


def call(server: IamdServer, payload: Any, key: tuple[str, str] | None,
         raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
    """The object store's own signed call to iamd."""
    data = raw if raw is not None else json.dumps(payload).encode()
    request = AWSRequest(method="POST", url=f"{server.endpoint}/_iamd/authorize", data=data,
                         headers={"Content-Type": "application/json"})
    if key is not None:
        SigV4Auth(Credentials(*key), "iamd", "us-east-1").add_auth(request)
    prepared = request.prepare()
    http = urllib.request.Request(prepared.url, data=data, method="POST",
                                  headers=dict(prepared.headers.items()))
    try:
        with urllib.request.urlopen(http, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def authorize(server: IamdServer, request: dict[str, Any], action: str = "s3:GetObject",
              resource: str = KEY, **extra: Any) -> dict[str, Any]:
    status, answer = call(server, {**request, "action": action, "resource": resource, **extra},
                          (server.access_key_id, server.secret_access_key))
    assert status == 200, answer
    return answer


@pytest.fixture
def make_user(iam: Any, unique: Any) -> Iterator[Callable[..., tuple[str, Credentials]]]:
    made: list[tuple[str, str]] = []

    def make(*policies: dict[str, Any]) -> tuple[str, Credentials]:
        name = unique("client")
        arn = iam.create_user(UserName=name)["User"]["Arn"]
        for index, policy in enumerate(policies):
            iam.put_user_policy(UserName=name, PolicyName=f"p{index}", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=name)["AccessKey"]
        made.append((name, key["AccessKeyId"]))
        return arn, Credentials(key["AccessKeyId"], key["SecretAccessKey"])

    yield make
    for name, key_id in made:
        iam.delete_access_key(UserName=name, AccessKeyId=key_id)
        for policy in iam.list_user_policies(UserName=name)["PolicyNames"]:
            iam.delete_user_policy(UserName=name, PolicyName=policy)
        iam.delete_user(UserName=name)


def test_allowed_by_the_clients_identity_policy(iamd_server: IamdServer, make_user: Any) -> None:
    arn, creds = make_user(READ)
    answer = authorize(iamd_server, client_request(creds))
    assert answer["decision"] == "Allow"
    assert answer["principal"]["arn"] == arn
    assert answer["principal"]["type"] == "IAMUser"
    assert answer["principal"]["userid"].startswith("AIDA")
    assert answer["explanation"]["policy_type"] == "identity"
    assert "encoded_message" not in answer


def test_s3_signer_payload_hash_header_and_presigned_urls(iamd_server: IamdServer,
                                                           make_user: Any) -> None:
    _, creds = make_user(READ)
    # S3's signer sends x-amz-content-sha256: the body itself need not be forwarded.
    assert authorize(iamd_server, client_request(creds, signer=S3SigV4Auth))["decision"] == "Allow"
    put = client_request(creds, method="PUT", body=b"a,b\n1,2\n", signer=S3SigV4Auth)
    assert authorize(iamd_server, put, action="s3:PutObject")["decision"] == "ImplicitDeny"
    presigned = client_request(creds, signer=SigV4QueryAuth)
    assert "X-Amz-Signature=" in presigned["query"]
    assert authorize(iamd_server, presigned)["decision"] == "Allow"


def test_implicit_deny_carries_an_encoded_message(iamd_server: IamdServer, make_user: Any,
                                                  sts: Any) -> None:
    arn, creds = make_user()
    answer = authorize(iamd_server, client_request(creds))
    assert answer["decision"] == "ImplicitDeny"
    assert answer["explanation"]["reason"] == (
        "because no identity-based policy allows the s3:GetObject action")
    decoded = json.loads(sts.decode_authorization_message(
        EncodedMessage=answer["encoded_message"])["DecodedMessage"])
    assert decoded["allowed"] is False and decoded["explicitDeny"] is False
    assert decoded["context"]["principal"]["arn"] == arn


def test_explicit_deny_decoded_by_the_admin_only(iamd_server: IamdServer, make_user: Any,
                                                 sts: Any) -> None:
    deny = {"Version": "2012-10-17", "Statement": [
        {"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}
    everything = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    arn, creds = make_user(everything, deny)
    answer = authorize(iamd_server, client_request(creds, method="DELETE"),
                       action="s3:DeleteObject", source_ip="203.0.113.7")
    assert answer["decision"] == "ExplicitDeny"
    assert answer["explanation"]["statements"][0]["sid"] == "NoDeletes"
    assert "NoDeletes" in answer["explanation"]["text"]

    decoded = json.loads(sts.decode_authorization_message(
        EncodedMessage=answer["encoded_message"])["DecodedMessage"])
    assert decoded["allowed"] is False and decoded["explicitDeny"] is True
    assert decoded["context"]["action"] == "s3:DeleteObject"
    assert decoded["context"]["resource"] == KEY
    assert decoded["context"]["principal"]["arn"] == arn
    assert decoded["matchedStatements"]["items"][0]["statementId"] == "NoDeletes"
    conditions = {item["key"]: [v["value"] for v in item["values"]["items"]]
                  for item in decoded["context"]["conditions"]["items"]}
    assert conditions["aws:SourceIp"] == ["203.0.113.7"]
    assert conditions["aws:PrincipalArn"] == [arn]

    # A principal without sts:DecodeAuthorizationMessage cannot read it.
    _, powerless = make_user()
    their_sts = iamd_server.client("sts", powerless.access_key, powerless.secret_key)
    with pytest.raises(ClientError) as refused:
        their_sts.decode_authorization_message(EncodedMessage=answer["encoded_message"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_source_ip_comes_from_the_body_or_is_absent(iamd_server: IamdServer, make_user: Any) -> None:
    from_office = {"Version": "2012-10-17", "Statement": [
        {**READ["Statement"][0], "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]}
    anywhere_but = {"Version": "2012-10-17", "Statement": [
        {**READ["Statement"][0], "Condition": {"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}}}]}
    _, creds = make_user(from_office)
    assert authorize(iamd_server, client_request(creds), source_ip="10.1.2.3")["decision"] == "Allow"
    assert authorize(iamd_server, client_request(creds), source_ip="192.0.2.1")["decision"] == "ImplicitDeny"
    # Not the object store's own (loopback) address: without source_ip the key is absent.
    assert authorize(iamd_server, client_request(creds))["decision"] == "ImplicitDeny"
    # A negated operator on an absent key matches (AWS's rule): had iamd filled in
    # the object store's loopback address, this would be denied.
    _, other = make_user(anywhere_but)
    assert authorize(iamd_server, client_request(other))["decision"] == "Allow"


def test_client_authentication_failures_are_answers(iamd_server: IamdServer, make_user: Any) -> None:
    _, creds = make_user(READ)
    tampered = client_request(creds)
    tampered["path"] = f"/{BUCKET}/q2.csv"
    answer = authorize(iamd_server, tampered)
    assert answer["decision"] == "ImplicitDeny"
    assert answer["error"]["code"] == "SignatureDoesNotMatch"
    assert "encoded_message" not in answer

    wrong_secret = client_request(Credentials(creds.access_key, "x" * 40))
    assert authorize(iamd_server, wrong_secret)["error"]["code"] == "SignatureDoesNotMatch"
    body_swapped = client_request(creds, method="PUT", body=b"original")
    body_swapped["body"] = base64.b64encode(b"swapped").decode()
    assert authorize(iamd_server, body_swapped, action="s3:PutObject")["error"]["code"] == \
        "SignatureDoesNotMatch"
    unknown = client_request(Credentials("AKIAIOSFODNN7EXAMPLE", "x" * 40))
    assert authorize(iamd_server, unknown)["error"]["code"] == "InvalidClientTokenId"
    unsigned = {"method": "GET", "path": "/", "headers": {"host": "objects.internal:9000"}}
    assert authorize(iamd_server, unsigned)["error"]["code"] == "MissingAuthenticationToken"


def test_an_assumed_role_sessions_request(iamd_server: IamdServer, iam: Any, sts: Any,
                                          unique: Any) -> None:
    name = unique("reader")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": f"arn:aws:iam::{iamd_server.account_id or _account(sts)}:root"}}]}
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=json.dumps(READ))
    try:
        issued = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="batch")["Credentials"]
        creds = Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])
        answer = authorize(iamd_server, client_request(creds))
        assert answer["decision"] == "Allow"
        assert answer["principal"]["type"] == "AssumedRole"
        assert answer["principal"]["arn"].endswith(f":assumed-role/{name}/batch")
        assert answer["principal"]["userid"] == f"{role['RoleId']}:batch"
        assert authorize(iamd_server, client_request(creds, method="DELETE"),
                         action="s3:DeleteObject")["decision"] == "ImplicitDeny"
        # The session token is part of what was signed.
        forged = client_request(creds)
        forged["headers"]["X-Amz-Security-Token"] = "not-a-token"
        assert authorize(iamd_server, forged)["error"]["code"] == "InvalidClientTokenId"
    finally:
        iam.delete_role_policy(RoleName=name, PolicyName="read")
        iam.delete_role(RoleName=name)


def _account(sts: Any) -> str:
    return str(sts.get_caller_identity()["Account"])


def test_a_resource_policy_grants_another_principal(iamd_server: IamdServer, make_user: Any) -> None:
    arn, creds = make_user()
    bucket_policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "ShareWithAnalyst", "Effect": "Allow", "Principal": {"AWS": arn},
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}
    answer = authorize(iamd_server, client_request(creds), resource_policy=json.dumps(bucket_policy))
    assert answer["decision"] == "Allow"
    assert answer["explanation"]["policy_type"] == "resource"
    assert answer["explanation"]["statements"][0]["sid"] == "ShareWithAnalyst"
    # Another account's bucket that grants nothing: its owner has not agreed.
    other = authorize(iamd_server, client_request(creds), resource_account="999999999999")
    assert other["decision"] == "ImplicitDeny"
    assert other["explanation"]["policy_type"] == "resource"


def test_the_calling_service_needs_the_permission(iamd_server: IamdServer, make_user: Any) -> None:
    _, client = make_user(READ)
    payload = {**client_request(client), "action": "s3:GetObject", "resource": KEY}
    _, weak = make_user(READ)
    status, answer = call(iamd_server, payload, (weak.access_key, weak.secret_key))
    assert status == 403
    assert answer["error"]["code"] == "AccessDenied"
    assert "iamd:AuthorizeRequest" in answer["error"]["message"]
    allowed = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iamd:AuthorizeRequest", "Resource": "*"}]}
    _, service = make_user(allowed)
    status, answer = call(iamd_server, payload, (service.access_key, service.secret_key))
    assert (status, answer["decision"]) == (200, "Allow")

    status, answer = call(iamd_server, payload, None)
    assert (status, answer["error"]["code"]) == (403, "MissingAuthenticationToken")
    status, answer = call(iamd_server, payload, ("AKIAIOSFODNN7EXAMPLE", "x" * 40))
    assert (status, answer["error"]["code"]) == (403, "InvalidClientTokenId")


GOOD = {"method": "GET", "path": "/b/k", "headers": {"host": "x"}, "action": "s3:GetObject",
        "resource": KEY}


@pytest.mark.parametrize("raw", [
    b"", b"not json", b"[]", b'"text"', b"{}", b"\xff\xfe", b'{"method": "GET"}' * 3,
    json.dumps({**GOOD, "method": 7}).encode(),
    json.dumps({**GOOD, "method": "get me"}).encode(),
    json.dumps({**GOOD, "path": "no-slash"}).encode(),
    json.dumps({**GOOD, "headers": ["host", "x"]}).encode(),
    json.dumps({**GOOD, "headers": {"host": 1}}).encode(),
    json.dumps({**GOOD, "headers": {"Host": "a", "host": "b"}}).encode(),
    json.dumps({**GOOD, "action": "GetObject"}).encode(),
    json.dumps({**GOOD, "resource": ""}).encode(),
    json.dumps({**GOOD, "body": "%%%"}).encode(),
    json.dumps({**GOOD, "context": {"s3:prefix": 3}}).encode(),
    json.dumps({**GOOD, "context": {"aws:PrincipalArn": "arn:aws:iam::1:root"}}).encode(),
    json.dumps({**GOOD, "context": "x"}).encode(),
    json.dumps({**GOOD, "resource_policy": "{"}).encode(),
    json.dumps({**GOOD, "resource_policy": {"Statement": []}}).encode(),
    json.dumps({**GOOD, "resource_account": "abc"}).encode(),
    json.dumps({**GOOD, "source_ip": "999.1.1.1"}).encode(),
    json.dumps({**GOOD, "secure_transport": "yes"}).encode(),
    json.dumps({**GOOD, "surprise": 1}).encode(),
    json.dumps({**GOOD, "body": base64.b64encode(b"x").decode(),
                "headers": {"host": "x", "x-amz-content-sha256": "0" * 64}}).encode(),
    b"[" * 100000,
    b'{"method": "GET", "path": "/", "headers": {"host": "\\ud800"}, "action": "s3:A", "resource": "*"}',
    b'{"method": "GET", "path": "/", "query": "X-Amz-Credential=\\udc80", "headers": {}, '
    b'"action": "s3:A", "resource": "*"}',
])
def test_malformed_bodies_are_400(iamd_server: IamdServer, raw: bytes) -> None:
    status, answer = call(iamd_server, None, (iamd_server.access_key_id,
                                              iamd_server.secret_access_key), raw=raw)
    assert status == 400, answer
    assert answer["error"]["code"] == "ValidationError"
    assert answer["error"]["message"]



def test_a_body_beyond_the_limit_is_413_as_on_the_query_endpoint(iamd_server: IamdServer) -> None:
    huge = json.dumps({**GOOD, "context": {"s3:prefix": "x" * (9 * 1024 * 1024)}}).encode()
    status, answer = call(iamd_server, None, (iamd_server.access_key_id,
                                              iamd_server.secret_access_key), raw=huge)
    assert status == 413, answer
    assert answer["error"]["code"] == "RequestEntityTooLarge"
    assert answer["request_id"]
