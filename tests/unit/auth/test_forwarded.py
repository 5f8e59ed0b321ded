"""Verifying a forwarded client's signature: botocore's signers for S3 (path as
sent, payload hash header, presigned) and for other services (path normalised
and encoded again, body hash), and the changes that must not verify."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from iamd.auth.forwarded import signs_raw_path, verify_client_signature
from iamd.auth.sigv4 import SignedRequest, parse_signed_request
from iamd.model.errors import RequestExpired, SignatureDoesNotMatch
from iamd.service.authorize_request import ClientRequest

CREDS = Credentials("AKIAEXAMPLEEXAMPLE01", "secret/secret/secret/secret/secret/0000")
HOST = "objects.internal"


def signed(service: str, path: str, *, method: str = "GET", body: bytes = b"",
           signer: type[SigV4Auth] = SigV4Auth, forward_body: bool = True,
           ) -> tuple[ClientRequest, SignedRequest, datetime]:
    request = AWSRequest(method=method, url=f"http://{HOST}{path}", data=body)
    if signer is SigV4QueryAuth:
        SigV4QueryAuth(CREDS, service, "eu-west-1", expires=60).add_auth(request)
    else:
        signer(CREDS, service, "eu-west-1").add_auth(request)
    prepared = request.prepare()
    raw_path, _, query = prepared.url[len(f"http://{HOST}"):].partition("?")
    headers = {"host": HOST, **{k.lower(): v for k, v in prepared.headers.items()}}
    client = ClientRequest(method, raw_path, query, headers, body if forward_body else None)
    claims = parse_signed_request(method, raw_path, query, headers)
    return client, claims, claims.amz_date


def test_s3_family_signs_the_raw_path() -> None:
    assert signs_raw_path("s3") and signs_raw_path("s3-object-lambda")
    assert not signs_raw_path("execute-api") and not signs_raw_path("sts")


@pytest.mark.parametrize("path", ["/bucket/key.txt", "/bucket/a%20b/c%2Fd", "/bucket//double"])
def test_s3_signer_verifies(path: str) -> None:
    client, claims, now = signed("s3", path, signer=S3SigV4Auth)
    verify_client_signature(claims, client, CREDS.secret_key, now)


def test_s3_put_needs_no_forwarded_body_but_a_forwarded_one_counts() -> None:
    client, claims, now = signed("s3", "/b/k", method="PUT", body=b"data", signer=S3SigV4Auth,
                                 forward_body=False)
    verify_client_signature(claims, client, CREDS.secret_key, now)


def test_other_services_hash_the_body_and_normalise_the_path() -> None:
    client, claims, now = signed("execute-api", "/prod/a%20b", method="POST", body=b'{"x":1}')
    verify_client_signature(claims, client, CREDS.secret_key, now)
    with pytest.raises(SignatureDoesNotMatch):
        verify_client_signature(claims, ClientRequest(client.method, client.path, client.query,
                                                      client.headers, b'{"x":2}'),
                                CREDS.secret_key, now)


def test_presigned_url() -> None:
    client, claims, now = signed("s3", "/b/k", signer=SigV4QueryAuth)
    verify_client_signature(claims, client, CREDS.secret_key, now + timedelta(seconds=30))
    with pytest.raises(RequestExpired):
        verify_client_signature(claims, client, CREDS.secret_key, now + timedelta(seconds=61))


@pytest.mark.parametrize("change", ["path", "method", "query", "header", "secret", "time"])
def test_any_change_breaks_the_signature(change: str) -> None:
    client, claims, now = signed("s3", "/bucket/a%2Fb", signer=S3SigV4Auth)
    secret = CREDS.secret_key
    if change == "path":
        # The same key name under the other path rule must not verify.
        client = ClientRequest(client.method, "/bucket/a/b", client.query, client.headers, None)
    elif change == "method":
        client = ClientRequest("DELETE", client.path, client.query, client.headers, None)
    elif change == "query":
        client = ClientRequest(client.method, client.path, "versionId=1", client.headers, None)
    elif change == "header":
        client = ClientRequest(client.method, client.path, client.query,
                               {**client.headers, "host": "elsewhere"}, None)
    elif change == "secret":
        secret = "x" * 40
    else:
        now = datetime(2000, 1, 1, tzinfo=UTC)
    with pytest.raises(SignatureDoesNotMatch):
        verify_client_signature(claims, client, secret, now)
