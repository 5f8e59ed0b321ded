"""Server certificates, signing certificates, SSH public keys and service-specific
credentials through boto3 against a real `iamd serve`, on SQLite and PostgreSQL.

Every certificate and key is made here with `cryptography`: self-signed
certificates, a root -> intermediate -> leaf chain, RSA and EC keys, OpenSSH
public keys. Private keys and service passwords must never come back in an
answer, nor sit in clear in the database, nor reach the server's log.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from iamd.testing import IamdServer

Unique = Callable[[str], str]
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = exc.value.response
    return (str(response["Error"]["Code"]), str(response["Error"].get("Message", "")),
            int(response["ResponseMetadata"]["HTTPStatusCode"]))


# --- material made at test time -------------------------------------------------

@cache
def rsa_key(bits: int = 2048, which: int = 0) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@cache
def ec_key(which: int = 0) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def certificate(key: PrivateKey, *, common_name: str = "iamd.test",
                not_before: datetime | None = None, not_after: datetime | None = None,
                issuer: tuple[x509.Certificate, PrivateKey] | None = None,
                ca: bool = False) -> x509.Certificate:
    now = datetime.now(UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_name, signer = (issuer[0].subject, issuer[1]) if issuer else (subject, key)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before or now - timedelta(days=1))
               .not_valid_after(not_after or now + timedelta(days=365)))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None),
                                        critical=True)
    return builder.sign(signer, hashes.SHA256())


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key: PrivateKey, *, password: bytes | None = None,
            fmt: serialization.PrivateFormat = serialization.PrivateFormat.TraditionalOpenSSL) -> str:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password
        else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption).decode()


def secret_needle(key: PrivateKey) -> str:
    """A run of the private key's base64 that appears nowhere else."""
    lines = key_pem(key).splitlines()
    return lines[len(lines) // 2]


def ssh_line(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey,
             comment: str = "alice@laptop") -> str:
    text = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode()
    return f"{text} {comment}"


def md5_fingerprint(key: rsa.RSAPrivateKey) -> str:
    blob = base64.b64decode(ssh_line(key).split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i:i + 2] for i in range(0, 32, 2))


@cache
def chain() -> tuple[x509.Certificate, x509.Certificate, x509.Certificate, rsa.RSAPrivateKey]:
    """root -> intermediate -> leaf, and the leaf's key."""
    root_key, intermediate_key, leaf_key = rsa_key(2048, 10), rsa_key(2048, 11), rsa_key(2048, 12)
    root = certificate(root_key, common_name="iamd test root", ca=True)
    intermediate = certificate(intermediate_key, common_name="iamd test intermediate",
                               issuer=(root, root_key), ca=True)
    leaf = certificate(leaf_key, common_name="www.iamd.test", issuer=(intermediate, intermediate_key))
    return root, intermediate, leaf, leaf_key


# --- seeing everything that comes back, and what is at rest ------------------------

@pytest.fixture
def raw_answers(iam: Any) -> list[bytes]:
    """Every HTTP body this test's client receives."""
    seen: list[bytes] = []

    def keep(http_response: Any, **_: Any) -> None:
        seen.append(bytes(http_response.content))

    iam.meta.events.register("after-call.iam", keep)
    return seen


def stored_bytes(server: IamdServer) -> bytes:
    """Everything the database holds, as bytes to search."""
    if server.database is None:
        return b"".join(path.read_bytes() for path in server.data_dir.glob("iamd.sqlite3*"))
    import psycopg

    url = server.database.replace("postgresql+psycopg://", "postgresql://")
    dumped = []
    with psycopg.connect(url) as conn:
        for table in ("server_certificates", "service_specific_credentials"):
            for row in conn.execute(f"SELECT * FROM {table}").fetchall():
                for value in row:
                    dumped.append(bytes(value) if isinstance(value, bytes | memoryview)
                                  else str(value).encode())
    return b"\n".join(dumped)


def assert_never_seen(server: IamdServer, answers: list[bytes], secret: str) -> None:
    needle = secret.encode()
    assert answers and not any(needle in body for body in answers)
    assert needle not in stored_bytes(server)
    assert needle not in server.log_path.read_bytes()


@pytest.fixture
def user(iam: Any, unique: Unique) -> Iterator[str]:
    name = unique("certuser")
    iam.create_user(UserName=name)
    yield name


def account_of(iam: Any) -> str:
    return str(iam.get_user()["User"]["Arn"].split(":")[4])


# --- server certificates -------------------------------------------------------------

def test_server_certificate_lifecycle(iamd_server: IamdServer, iam: Any, unique: Unique,
                                      raw_answers: list[bytes]) -> None:
    key = rsa_key()
    cert = certificate(key)
    name, path = unique("web"), f"/{unique('certs')}/"
    account = account_of(iam)
    uploaded = iam.upload_server_certificate(
        ServerCertificateName=name, Path=path, CertificateBody=pem(cert),
        PrivateKey=key_pem(key), Tags=[{"Key": "team", "Value": "web"}])
    meta = uploaded["ServerCertificateMetadata"]
    assert re.fullmatch(r"ASCA[A-Z0-9]{17}", meta["ServerCertificateId"])
    assert meta["Arn"] == f"arn:aws:iam::{account}:server-certificate{path}{name}"
    assert meta["Path"] == path and meta["ServerCertificateName"] == name
    assert meta["Expiration"] == cert.not_valid_after_utc
    assert abs(meta["UploadDate"] - datetime.now(UTC)) < timedelta(minutes=5)
    assert uploaded["Tags"] == [{"Key": "team", "Value": "web"}]

    got = iam.get_server_certificate(ServerCertificateName=name.upper())["ServerCertificate"]
    assert got["CertificateBody"] == pem(cert).strip()
    assert "CertificateChain" not in got and "PrivateKey" not in got
    assert got["ServerCertificateMetadata"] == meta
    assert got["Tags"] == [{"Key": "team", "Value": "web"}]

    listed = iam.list_server_certificates(PathPrefix=path)
    assert listed["ServerCertificateMetadataList"] == [meta] and not listed["IsTruncated"]
    everything = [m["ServerCertificateName"] for m in iam.list_server_certificates()[
        "ServerCertificateMetadataList"]]
    assert name in everything

    iam.tag_server_certificate(ServerCertificateName=name, Tags=[{"Key": "env", "Value": "prod"},
                                                                 {"Key": "TEAM", "Value": "ops"}])
    assert iam.list_server_certificate_tags(ServerCertificateName=name)["Tags"] == [
        {"Key": "env", "Value": "prod"}, {"Key": "TEAM", "Value": "ops"}]
    iam.untag_server_certificate(ServerCertificateName=name, TagKeys=["team", "absent"])
    assert iam.list_server_certificate_tags(ServerCertificateName=name)["Tags"] == [
        {"Key": "env", "Value": "prod"}]

    new_name, new_path = unique("renamed"), f"/{unique('moved')}/"
    iam.update_server_certificate(ServerCertificateName=name, NewServerCertificateName=new_name,
                                  NewPath=new_path)
    with pytest.raises(ClientError) as exc:
        iam.get_server_certificate(ServerCertificateName=name)
    assert error_of(exc) == ("NoSuchEntity",
                             f"The Server Certificate with name {name} cannot be found.", 404)
    moved = iam.get_server_certificate(ServerCertificateName=new_name)["ServerCertificate"]
    assert moved["ServerCertificateMetadata"]["Arn"] == (
        f"arn:aws:iam::{account}:server-certificate{new_path}{new_name}")
    assert moved["ServerCertificateMetadata"]["ServerCertificateId"] == meta["ServerCertificateId"]
    assert moved["Tags"] == [{"Key": "env", "Value": "prod"}]  # tags follow the rename
    iam.update_server_certificate(ServerCertificateName=new_name, NewPath="/")
    assert iam.list_server_certificates(PathPrefix=new_path)["ServerCertificateMetadataList"] == []

    iam.delete_server_certificate(ServerCertificateName=new_name)
    for call in (iam.get_server_certificate, iam.delete_server_certificate,
                 iam.list_server_certificate_tags):
        with pytest.raises(ClientError) as exc:
            call(ServerCertificateName=new_name)
        assert error_of(exc) == (
            "NoSuchEntity", f"The Server Certificate with name {new_name} cannot be found.", 404)
    assert_never_seen(iamd_server, raw_answers, secret_needle(key))


def test_get_server_certificate_answers_an_empty_tag_list(iam: Any, unique: Unique) -> None:
    key = rsa_key()
    name = unique("untagged")
    uploaded = iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=pem(
        certificate(key)), PrivateKey=key_pem(key))
    assert "Tags" not in uploaded
    assert uploaded["ServerCertificateMetadata"]["Path"] == "/"
    assert iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]["Tags"] == []
    iam.delete_server_certificate(ServerCertificateName=name)


def test_server_certificate_names_are_unique_ignoring_case(iam: Any, unique: Unique) -> None:
    key = rsa_key()
    body = pem(certificate(key))
    first, second = unique("dup"), unique("other")
    iam.upload_server_certificate(ServerCertificateName=first, CertificateBody=body,
                                  PrivateKey=key_pem(key))
    with pytest.raises(ClientError) as exc:
        iam.upload_server_certificate(ServerCertificateName=first.upper(), Path="/x/",
                                      CertificateBody=body, PrivateKey=key_pem(key))
    assert error_of(exc) == (
        "EntityAlreadyExists", f"The Server Certificate with name {first.upper()} already exists.",
        409)
    iam.upload_server_certificate(ServerCertificateName=second, CertificateBody=body,
                                  PrivateKey=key_pem(key))
    with pytest.raises(ClientError) as exc:
        iam.update_server_certificate(ServerCertificateName=second,
                                      NewServerCertificateName=first.upper())
    assert error_of(exc) == (
        "EntityAlreadyExists", f"The Server Certificate with name {first.upper()} already exists.",
        409)
    for name in (first, second):
        iam.delete_server_certificate(ServerCertificateName=name)


def test_server_certificate_with_chain_and_ec_and_pkcs8_keys(iam: Any, unique: Unique) -> None:
    root, intermediate, leaf, leaf_key = chain()
    name = unique("chained")
    iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=pem(leaf),
                                  PrivateKey=key_pem(leaf_key),
                                  CertificateChain=pem(intermediate) + pem(root))
    got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
    assert got["CertificateChain"] == (pem(intermediate) + pem(root)).strip()
    assert got["CertificateBody"] == pem(leaf).strip()
    # The chain may stop at the intermediate: the root is not required.
    partial = unique("partial")
    iam.upload_server_certificate(ServerCertificateName=partial, CertificateBody=pem(leaf),
                                  PrivateKey=key_pem(leaf_key), CertificateChain=pem(intermediate))
    # An EC key, written as PKCS#8.
    ec_name = unique("ec")
    key = ec_key()
    iam.upload_server_certificate(
        ServerCertificateName=ec_name, CertificateBody=pem(certificate(key)),
        PrivateKey=key_pem(key, fmt=serialization.PrivateFormat.PKCS8))
    for each in (name, partial, ec_name):
        iam.delete_server_certificate(ServerCertificateName=each)


@pytest.mark.parametrize(("chain_of", "index"), [
    (lambda r, i: pem(r), -1),              # does not start with the body's issuer
    (lambda r, i: pem(r) + pem(i), -1),     # out of order
    (lambda r, i: pem(i) + pem(i), 0),      # the intermediate is not its own issuer
    (lambda r, i: "not a certificate", -1),  # nothing to read
    (lambda r, i: pem(i) + key_pem(rsa_key()), -1),  # a private key is no part of a chain
])
def test_a_chain_must_start_with_the_issuer_and_go_on_in_order(
        iam: Any, unique: Unique, chain_of: Callable[[x509.Certificate, x509.Certificate], str],
        index: int) -> None:
    root, intermediate, leaf, leaf_key = chain()
    name = unique("badchain")
    with pytest.raises(ClientError) as exc:
        iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=pem(leaf),
                                      PrivateKey=key_pem(leaf_key),
                                      CertificateChain=chain_of(root, intermediate))
    assert error_of(exc) == (
        "MalformedCertificate",
        "Unable to validate certificate chain. The certificate chain must start with the "
        "immediate signing certificate, followed by any intermediaries in order. The index "
        f"within the chain of the invalid certificate is: {index}", 400)
    with pytest.raises(ClientError) as exc:
        iam.get_server_certificate(ServerCertificateName=name)
    assert error_of(exc)[0] == "NoSuchEntity"


def test_server_certificate_upload_errors(iamd_server: IamdServer, iam: Any, unique: Unique,
                                          raw_answers: list[bytes]) -> None:
    key, other = rsa_key(), rsa_key(2048, 1)
    now = datetime.now(UTC)
    good = pem(certificate(key))
    cases: list[tuple[str, str, tuple[str, str]]] = [
        ("not a certificate", key_pem(key),
         ("MalformedCertificate",
          "Unable to parse certificate. Please ensure the certificate is in PEM format.")),
        (good + pem(certificate(other)), key_pem(key),
         ("MalformedCertificate",
          "Unable to parse certificate. Please ensure the certificate is in PEM format.")),
        (good + key_pem(other), key_pem(key),  # a key riding along is refused, not kept
         ("MalformedCertificate",
          "Unable to parse certificate. Please ensure the certificate is in PEM format.")),
        (pem(certificate(key, not_before=now - timedelta(days=30), not_after=now - timedelta(days=1))),
         key_pem(key),
         ("MalformedCertificate", "Certificate is no longer valid. The 'Not After' date "
                                  "restriction on the certificate has passed.")),
        (pem(certificate(key, not_before=now + timedelta(days=1))), key_pem(key),
         ("MalformedCertificate",
          "Unable to parse certificate. Please ensure the certificate is in PEM format.")),
        (good, "not a key",
         ("MalformedCertificate",
          "Unable to parse private key. Please ensure the private key is in PEM format.")),
        (good, key_pem(key, password=b"passphrase",
                       fmt=serialization.PrivateFormat.PKCS8),
         ("MalformedCertificate",
          "Unable to parse private key. Please ensure the private key is in PEM format.")),
        (good, key_pem(other),
         ("KeyPairMismatch", "Public key certificate and private key doesn't match.")),
    ]
    for body, private_key, expected in cases:
        name = unique("bad")
        with pytest.raises(ClientError) as exc:
            iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body,
                                          PrivateKey=private_key)
        assert error_of(exc) == (*expected, 400), expected
        with pytest.raises(ClientError):
            iam.get_server_certificate(ServerCertificateName=name)
    # A refused key is not quoted back, not stored (the failed calls' audit
    # events included, written in batches: wait for the last) nor logged.
    cloudtrail = iamd_server.client("cloudtrail")
    deadline = time.monotonic() + 15
    while not any(name in e["CloudTrailEvent"] for e in cloudtrail.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName",
                               "AttributeValue": "UploadServerCertificate"}])["Events"]):
        assert time.monotonic() < deadline, "the failed uploads' events were never stored"
        time.sleep(0.2)
    assert_never_seen(iamd_server, raw_answers, secret_needle(other))


def test_server_certificate_names_and_paths_are_validated(iam: Any) -> None:
    key = rsa_key()
    for kwargs in ({"ServerCertificateName": "bad name"},
                   {"ServerCertificateName": "ok", "Path": "no-slashes"}):
        with pytest.raises(ClientError) as exc:
            iam.upload_server_certificate(CertificateBody=pem(certificate(key)),
                                          PrivateKey=key_pem(key), **kwargs)
        assert error_of(exc)[0] == "ValidationError"


def test_list_server_certificates_pages(iam: Any, unique: Unique) -> None:
    key = rsa_key()
    body, private = pem(certificate(key)), key_pem(key)
    path = f"/{unique('pages')}/"
    names = sorted((unique("p") for _ in range(5)), key=str.lower)
    for name in names:
        iam.upload_server_certificate(ServerCertificateName=name, Path=path,
                                      CertificateBody=body, PrivateKey=private)
    first = iam.list_server_certificates(PathPrefix=path, MaxItems=2)
    assert first["IsTruncated"] and len(first["ServerCertificateMetadataList"]) == 2
    pages = iam.get_paginator("list_server_certificates").paginate(
        PathPrefix=path, PaginationConfig={"PageSize": 2})
    assert [m["ServerCertificateName"] for p in pages
            for m in p["ServerCertificateMetadataList"]] == names
    with pytest.raises(ClientError) as exc:
        iam.list_server_certificates(Marker="not-a-marker")
    assert error_of(exc)[:2] == ("ValidationError", "Invalid Marker.")
    for name in names:
        iam.delete_server_certificate(ServerCertificateName=name)


def second_account(server: IamdServer, unique: Unique) -> Any:
    """A fresh account of the same store, so filling it leaves the shared one alone."""
    _, key_id, secret = server.create_account(unique("acct"))
    return server.client("iam", key_id, secret)


def test_an_account_holds_at_most_20_server_certificates(iamd_server: IamdServer,
                                                         unique: Unique) -> None:
    iam = second_account(iamd_server, unique)
    key = rsa_key()
    body, private = pem(certificate(key)), key_pem(key)
    for i in range(20):
        iam.upload_server_certificate(ServerCertificateName=f"c{i:02}", CertificateBody=body,
                                      PrivateKey=private)
    with pytest.raises(ClientError) as exc:
        iam.upload_server_certificate(ServerCertificateName="one-too-many", CertificateBody=body,
                                      PrivateKey=private)
    assert error_of(exc) == ("LimitExceeded",
                             "Cannot exceed quota for ServerCertificatesPerAccount: 20", 409)
    iam.delete_server_certificate(ServerCertificateName="c00")
    iam.upload_server_certificate(ServerCertificateName="one-more", CertificateBody=body,
                                  PrivateKey=private)


def test_server_certificate_policies_see_its_arn_and_tags(iamd_server: IamdServer, iam: Any,
                                                          unique: Unique) -> None:
    key = rsa_key()
    mine, theirs, user = unique("mine"), unique("theirs"), unique("certreader")
    for name, team in ((mine, "web"), (theirs, "db")):
        iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=pem(
            certificate(key)), PrivateKey=key_pem(key), Tags=[{"Key": "team", "Value": team}])
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="certs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["iam:GetServerCertificate", "iam:UpdateServerCertificate"],
            "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "web"}}}]}))
    keys = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = iamd_server.client("iam", keys["AccessKeyId"], keys["SecretAccessKey"])
    as_user.get_server_certificate(ServerCertificateName=mine)
    with pytest.raises(ClientError) as exc:
        as_user.get_server_certificate(ServerCertificateName=theirs)
    code, message, _ = error_of(exc)
    account = account_of(iam)
    assert code == "AccessDenied" and (
        f"iam:GetServerCertificate on resource: arn:aws:iam::{account}:server-certificate/{theirs}"
        in message)
    for name in (mine, theirs):
        iam.delete_server_certificate(ServerCertificateName=name)
    iam.delete_access_key(UserName=user, AccessKeyId=keys["AccessKeyId"])
    iam.delete_user_policy(UserName=user, PolicyName="certs")
    iam.delete_user(UserName=user)


# --- signing certificates --------------------------------------------------------------

def test_signing_certificate_lifecycle(iam: Any, user: str) -> None:
    first = pem(certificate(rsa_key(), common_name="signer one"))
    uploaded = iam.upload_signing_certificate(UserName=user, CertificateBody=first)["Certificate"]
    assert re.fullmatch(r"[A-Z2-7]{32}", uploaded["CertificateId"])
    assert uploaded["UserName"] == user and uploaded["Status"] == "Active"
    # Answered exactly as uploaded, the PEM's trailing newline included.
    assert first.endswith("\n") and uploaded["CertificateBody"] == first
    listed = iam.list_signing_certificates(UserName=user)
    assert listed["Certificates"] == [uploaded] and not listed["IsTruncated"]
    certificate_id = uploaded["CertificateId"]
    iam.update_signing_certificate(UserName=user, CertificateId=certificate_id, Status="Inactive")
    assert iam.list_signing_certificates(UserName=user)["Certificates"][0]["Status"] == "Inactive"
    iam.update_signing_certificate(UserName=user, CertificateId=certificate_id, Status="Active")

    second = iam.upload_signing_certificate(UserName=user, CertificateBody=pem(
        certificate(ec_key(), common_name="signer two")))["Certificate"]
    with pytest.raises(ClientError) as exc:
        iam.upload_signing_certificate(UserName=user, CertificateBody=pem(
            certificate(rsa_key(2048, 1), common_name="signer three")))
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for CertificatesPerUser: 2", 409)
    # Oldest first; two uploaded within one second come in id order.
    page = iam.list_signing_certificates(UserName=user, MaxItems=1)
    assert page["IsTruncated"] and len(page["Certificates"]) == 1
    rest = iam.list_signing_certificates(UserName=user, Marker=page["Marker"])
    assert not rest["IsTruncated"]
    assert sorted(c["CertificateId"] for c in page["Certificates"] + rest["Certificates"]) == sorted(
        [certificate_id, second["CertificateId"]])

    for cert_id in (certificate_id, second["CertificateId"]):
        iam.delete_signing_certificate(UserName=user, CertificateId=cert_id)
    assert iam.list_signing_certificates(UserName=user)["Certificates"] == []
    for call, extra in ((iam.update_signing_certificate, {"Status": "Inactive"}),
                        (iam.delete_signing_certificate, {})):
        with pytest.raises(ClientError) as exc:
            call(UserName=user, CertificateId=certificate_id, **extra)
        assert error_of(exc) == (
            "NoSuchEntity", f"The Certificate with id {certificate_id} cannot be found.", 404)
    iam.delete_user(UserName=user)


def test_signing_certificate_errors(iam: Any, user: str, unique: Unique) -> None:
    with pytest.raises(ClientError) as exc:
        iam.upload_signing_certificate(UserName=user, CertificateBody="invalid-certificate-body")
    assert error_of(exc) == (
        "MalformedCertificate", "Certificate invalid-certificate-body is malformed.", 400)
    with_key = pem(certificate(rsa_key(2048, 6))) + key_pem(rsa_key(2048, 6))
    with pytest.raises(ClientError) as exc:
        iam.upload_signing_certificate(UserName=user, CertificateBody=with_key)
    assert error_of(exc)[0] == "MalformedCertificate"
    now = datetime.now(UTC)
    expired = pem(certificate(rsa_key(), not_before=now - timedelta(days=9),
                              not_after=now - timedelta(days=2)))
    with pytest.raises(ClientError) as exc:
        iam.upload_signing_certificate(UserName=user, CertificateBody=expired)
    assert error_of(exc)[0] == "MalformedCertificate"
    missing = unique("nobody")
    for call, kwargs in ((iam.upload_signing_certificate, {"CertificateBody": "x"}),
                         (iam.list_signing_certificates, {}),
                         (iam.update_signing_certificate,
                          {"CertificateId": "NONEXISTENTCERTID12345678901", "Status": "Active"}),
                         (iam.delete_signing_certificate,
                          {"CertificateId": "NONEXISTENTCERTID12345678901"})):
        with pytest.raises(ClientError) as exc:
            call(UserName=missing, **kwargs)
        assert error_of(exc) == ("NoSuchEntity", f"The user with name {missing} cannot be found.", 404)

    # One certificate belongs to one user of the account, whatever its spelling.
    body = pem(certificate(rsa_key(2048, 2), common_name="shared"))
    uploaded = iam.upload_signing_certificate(UserName=user, CertificateBody=body)["Certificate"]
    other = unique("otheruser")
    iam.create_user(UserName=other)
    for spelling in (body, body.replace("\n", "\r\n"), "\n\n" + body):
        with pytest.raises(ClientError) as exc:
            iam.upload_signing_certificate(UserName=other, CertificateBody=spelling)
        assert error_of(exc)[0] == "DuplicateCertificate"
    with pytest.raises(ClientError) as exc:
        iam.upload_signing_certificate(UserName=user, CertificateBody=body)
    assert error_of(exc)[0] == "DuplicateCertificate"
    with pytest.raises(ClientError) as exc:
        iam.update_signing_certificate(UserName=other, CertificateId=uploaded["CertificateId"],
                                       Status="Inactive")
    assert error_of(exc)[0] == "NoSuchEntity"  # another user's certificate is not found
    with pytest.raises(ClientError) as exc:
        iam.update_signing_certificate(UserName=user, CertificateId=uploaded["CertificateId"],
                                       Status="Expired")
    assert error_of(exc)[0] == "InvalidInput"
    iam.delete_signing_certificate(UserName=user, CertificateId=uploaded["CertificateId"])
    iam.upload_signing_certificate(UserName=other, CertificateBody=body)  # free again


def test_signing_certificates_of_the_calling_user(iamd_server: IamdServer, iam: Any,
                                                  unique: Unique) -> None:
    name = unique("self")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="own", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Resource": "arn:aws:iam::*:user/${aws:username}",
            "Action": ["iam:UploadSigningCertificate", "iam:ListSigningCertificates",
                       "iam:DeleteSigningCertificate", "iam:UploadSSHPublicKey",
                       "iam:ListSSHPublicKeys", "iam:DeleteSSHPublicKey",
                       "iam:ListServiceSpecificCredentials"]}]}))
    keys = iam.create_access_key(UserName=name)["AccessKey"]
    own = iamd_server.client("iam", keys["AccessKeyId"], keys["SecretAccessKey"])
    uploaded = own.upload_signing_certificate(CertificateBody=pem(
        certificate(rsa_key(2048, 3), common_name="own")))["Certificate"]
    assert uploaded["UserName"] == name
    assert own.list_signing_certificates()["Certificates"] == [uploaded]
    assert own.list_ssh_public_keys()["SSHPublicKeys"] == []
    assert own.list_service_specific_credentials()["ServiceSpecificCredentials"] == []
    with pytest.raises(ClientError) as exc:
        own.list_signing_certificates(UserName="admin")
    assert error_of(exc)[0] == "AccessDenied"
    own.delete_signing_certificate(CertificateId=uploaded["CertificateId"])


# --- SSH public keys -------------------------------------------------------------------

def test_ssh_public_key_lifecycle(iam: Any, user: str) -> None:
    key = rsa_key(2048, 4)
    line = ssh_line(key)
    uploaded = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=line)["SSHPublicKey"]
    assert re.fullmatch(r"APKA[A-Z0-9]{16}", uploaded["SSHPublicKeyId"])
    assert uploaded["Fingerprint"] == md5_fingerprint(key)
    assert uploaded["SSHPublicKeyBody"] == line and uploaded["Status"] == "Active"
    key_id = uploaded["SSHPublicKeyId"]

    as_ssh = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Encoding="SSH")
    assert as_ssh["SSHPublicKey"] == uploaded
    as_pem = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=key_id,
                                    Encoding="PEM")["SSHPublicKey"]
    loaded = serialization.load_pem_public_key(as_pem["SSHPublicKeyBody"].encode())
    assert isinstance(loaded, rsa.RSAPublicKey)
    assert loaded.public_numbers() == key.public_key().public_numbers()
    assert as_pem["Fingerprint"] == uploaded["Fingerprint"]

    listed = iam.list_ssh_public_keys(UserName=user)
    assert listed["SSHPublicKeys"] == [{"UserName": user, "SSHPublicKeyId": key_id,
                                        "Status": "Active", "UploadDate": uploaded["UploadDate"]}]
    iam.update_ssh_public_key(UserName=user, SSHPublicKeyId=key_id, Status="Inactive")
    assert iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=key_id,
                                  Encoding="SSH")["SSHPublicKey"]["Status"] == "Inactive"

    # The same key in PEM is the same key.
    same_in_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=same_in_pem)
    assert error_of(exc)[0] == "DuplicateSSHPublicKey"

    # A PEM upload (PKCS#1 here) answers in both encodings too.
    other = rsa_key(3072, 5)
    pkcs1 = other.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.PKCS1).decode()
    second = iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=pkcs1)["SSHPublicKey"]
    assert second["Fingerprint"] == md5_fingerprint(other)
    ssh_form = iam.get_ssh_public_key(UserName=user, SSHPublicKeyId=second["SSHPublicKeyId"],
                                      Encoding="SSH")["SSHPublicKey"]["SSHPublicKeyBody"]
    assert ssh_form.split()[:2] == ssh_line(other).split()[:2]

    for each in (key_id, second["SSHPublicKeyId"]):
        iam.delete_ssh_public_key(UserName=user, SSHPublicKeyId=each)
    assert iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"] == []
    for call, extra in ((iam.get_ssh_public_key, {"Encoding": "SSH"}),
                        (iam.update_ssh_public_key, {"Status": "Active"}),
                        (iam.delete_ssh_public_key, {})):
        with pytest.raises(ClientError) as exc:
            call(UserName=user, SSHPublicKeyId=key_id, **extra)
        assert error_of(exc) == ("NoSuchEntity", f"The Public Key with id {key_id} cannot be found.",
                                 404)
    iam.delete_user(UserName=user)


def test_ssh_public_key_errors_and_limit(iam: Any, user: str, unique: Unique) -> None:
    refused: list[tuple[str, str]] = [
        ("not a key at all", "UnrecognizedPublicKeyEncoding"),
        ("ssh-rsa AAAAnotbase64!!", "UnrecognizedPublicKeyEncoding"),
        (ssh_line(ed25519.Ed25519PrivateKey.generate()), "UnrecognizedPublicKeyEncoding"),
        (ssh_line(ec_key()), "UnrecognizedPublicKeyEncoding"),
        (ssh_line(rsa_key(1024)), "InvalidPublicKey"),
    ]
    for body, code in refused:
        with pytest.raises(ClientError) as exc:
            iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=body)
        assert error_of(exc)[0::2] == (code, 400), body
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody="garbage")
    assert error_of(exc)[1] == "Invalid public key uploaded."

    keys = [rsa_key(2048, 20 + i) for i in range(6)]
    for key in keys[:5]:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=ssh_line(key))
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName=user, SSHPublicKeyBody=ssh_line(keys[5]))
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for SSHPublicKeysPerUser: 5", 409)
    page = iam.list_ssh_public_keys(UserName=user, MaxItems=2)
    assert page["IsTruncated"] and len(page["SSHPublicKeys"]) == 2
    pages = iam.get_paginator("list_ssh_public_keys").paginate(
        UserName=user, PaginationConfig={"PageSize": 2})
    assert len([k for p in pages for k in p["SSHPublicKeys"]]) == 5

    # Another user may hold the same key; the request's own mistakes are ValidationErrors.
    other = unique("sshother")
    iam.create_user(UserName=other)
    iam.upload_ssh_public_key(UserName=other, SSHPublicKeyBody=ssh_line(keys[0]))
    with pytest.raises(ClientError) as exc:
        iam.get_ssh_public_key(UserName=user, SSHPublicKeyId="APKAXXXXXXXXXXXXXXXX",
                               Encoding="DER")
    assert error_of(exc)[0] == "ValidationError"
    with pytest.raises(ClientError) as exc:
        iam.upload_ssh_public_key(UserName=unique("ghost"), SSHPublicKeyBody=ssh_line(keys[0]))
    assert error_of(exc)[0] == "NoSuchEntity"


# --- service-specific credentials ---------------------------------------------------------

def test_service_specific_credential_lifecycle(iamd_server: IamdServer, iam: Any, user: str,
                                               raw_answers: list[bytes]) -> None:
    account = account_of(iam)
    created = iam.create_service_specific_credential(
        UserName=user, ServiceName="codecommit.amazonaws.com")["ServiceSpecificCredential"]
    assert re.fullmatch(r"ACCA[A-Z0-9]{17}", created["ServiceSpecificCredentialId"])
    assert created["ServiceUserName"] == f"{user}-at-{account}"
    assert created["UserName"] == user and created["Status"] == "Active"
    assert created["ServiceName"] == "codecommit.amazonaws.com"
    password = created["ServicePassword"]
    assert len(password) == 60 and password.endswith("=")
    credential_id = created["ServiceSpecificCredentialId"]

    second = iam.create_service_specific_credential(
        UserName=user, ServiceName="codecommit.amazonaws.com")["ServiceSpecificCredential"]
    assert second["ServiceUserName"] == f"{user}+1-at-{account}"
    with pytest.raises(ClientError) as exc:
        iam.create_service_specific_credential(UserName=user,
                                               ServiceName="codecommit.amazonaws.com")
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for "
                             "ServiceSpecificCredentialsPerUserPerService: 2", 409)
    keyspaces = iam.create_service_specific_credential(
        UserName=user, ServiceName="cassandra.amazonaws.com")["ServiceSpecificCredential"]
    assert keyspaces["ServiceUserName"] == f"{user}-at-{account}"

    listed = iam.list_service_specific_credentials(UserName=user,
                                                   ServiceName="codecommit.amazonaws.com")
    assert sorted(c["ServiceSpecificCredentialId"] for c in listed["ServiceSpecificCredentials"]) == (
        sorted([credential_id, second["ServiceSpecificCredentialId"]]))
    assert all("ServicePassword" not in c for c in listed["ServiceSpecificCredentials"])
    assert len(iam.list_service_specific_credentials(UserName=user)[
        "ServiceSpecificCredentials"]) == 3

    iam.update_service_specific_credential(UserName=user, ServiceSpecificCredentialId=credential_id,
                                           Status="Inactive")
    reset = iam.reset_service_specific_credential(
        UserName=user, ServiceSpecificCredentialId=credential_id)["ServiceSpecificCredential"]
    assert reset["ServiceSpecificCredentialId"] == credential_id
    assert reset["ServicePassword"] != password and len(reset["ServicePassword"]) == 60
    assert reset["Status"] == "Inactive" and reset["ServiceUserName"] == created["ServiceUserName"]

    everyone = iam.list_service_specific_credentials(AllUsers=True,
                                                     ServiceName="cassandra.amazonaws.com")
    assert keyspaces["ServiceSpecificCredentialId"] in [
        c["ServiceSpecificCredentialId"] for c in everyone["ServiceSpecificCredentials"]]
    with pytest.raises(ClientError) as exc:
        iam.list_service_specific_credentials(AllUsers=True, UserName=user)
    assert error_of(exc)[0] == "InvalidInput"

    for each in (credential_id, second["ServiceSpecificCredentialId"],
                 keyspaces["ServiceSpecificCredentialId"]):
        iam.delete_service_specific_credential(UserName=user, ServiceSpecificCredentialId=each)
    for call, extra in ((iam.update_service_specific_credential, {"Status": "Active"}),
                        (iam.reset_service_specific_credential, {}),
                        (iam.delete_service_specific_credential, {})):
        with pytest.raises(ClientError) as exc:
            call(UserName=user, ServiceSpecificCredentialId=credential_id, **extra)
        assert error_of(exc) == ("NoSuchEntity", f"No such credential {credential_id} exists", 404)
    for secret in (password, reset["ServicePassword"], second["ServicePassword"]):
        needle = secret.encode()
        assert needle not in stored_bytes(iamd_server)
        assert needle not in iamd_server.log_path.read_bytes()
    iam.delete_user(UserName=user)


def test_service_specific_credential_errors(iam: Any, user: str, unique: Unique) -> None:
    for service in ("nonexistentservice.amazonaws.com", "o3on3n3onosneo", "lambda.amazonaws.com"):
        with pytest.raises(ClientError) as exc:
            iam.create_service_specific_credential(UserName=user, ServiceName=service)
        assert error_of(exc) == (
            "NoSuchEntity", f"No such service {service} is supported for Service Specific "
                            "Credentials", 404)
    with pytest.raises(ClientError) as exc:
        iam.list_service_specific_credentials(UserName=user, ServiceName="s3.amazonaws.com")
    assert error_of(exc)[0] == "NoSuchEntity"
    missing = unique("nobody")
    with pytest.raises(ClientError) as exc:  # the user is looked at before the service
        iam.create_service_specific_credential(UserName=missing, ServiceName="nope.amazonaws.com")
    assert error_of(exc) == ("NoSuchEntity", f"The user with name {missing} cannot be found.", 404)
    with pytest.raises(ClientError) as exc:
        iam.create_service_specific_credential(UserName=user,
                                               ServiceName="codecommit.amazonaws.com",
                                               CredentialAgeDays=30)
    assert error_of(exc)[0] == "InvalidInput"
    for wrong_id, code in (("totally-wrong-credential-id-with-hyphens", "ValidationError"),
                           ("satisfiesregexbutstillinvalid", "NoSuchEntity")):
        with pytest.raises(ClientError) as exc:
            iam.reset_service_specific_credential(UserName=user,
                                                  ServiceSpecificCredentialId=wrong_id)
        assert error_of(exc)[0] == code
    created = iam.create_service_specific_credential(
        UserName=user, ServiceName="codecommit.amazonaws.com")["ServiceSpecificCredential"]
    other = unique("credother")
    iam.create_user(UserName=other)
    with pytest.raises(ClientError) as exc:
        iam.delete_service_specific_credential(
            UserName=other, ServiceSpecificCredentialId=created["ServiceSpecificCredentialId"])
    assert error_of(exc)[0] == "NoSuchEntity"  # another user's credential is not found
    iam.delete_service_specific_credential(
        UserName=user, ServiceSpecificCredentialId=created["ServiceSpecificCredentialId"])


def test_service_name_condition_key(iamd_server: IamdServer, iam: Any, unique: Unique) -> None:
    name = unique("gitonly")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="git", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "iam:CreateServiceSpecificCredential",
            "Resource": "*", "Condition": {"StringEquals": {
                "iam:ServiceSpecificCredentialServiceName": "codecommit.amazonaws.com"}}}]}))
    keys = iam.create_access_key(UserName=name)["AccessKey"]
    own = iamd_server.client("iam", keys["AccessKeyId"], keys["SecretAccessKey"])
    created = own.create_service_specific_credential(UserName=name,
                                                     ServiceName="codecommit.amazonaws.com")
    with pytest.raises(ClientError) as exc:
        own.create_service_specific_credential(UserName=name, ServiceName="cassandra.amazonaws.com")
    assert error_of(exc)[0] == "AccessDenied"
    iam.delete_service_specific_credential(
        UserName=name,
        ServiceSpecificCredentialId=created["ServiceSpecificCredential"][
            "ServiceSpecificCredentialId"])


# --- a user who still holds any of them -------------------------------------------------

@pytest.mark.parametrize(("kind", "message"), [
    ("signing", "Cannot delete entity, must delete signing certificates first."),
    ("ssh", "Cannot delete entity, must delete SSH public keys first."),
    ("credential", "Cannot delete entity, must remove referenced objects first."),
])
def test_delete_user_refuses_a_user_with_them(iam: Any, unique: Unique, kind: str,
                                              message: str) -> None:
    name = unique("holder")
    iam.create_user(UserName=name)
    if kind == "signing":
        made = iam.upload_signing_certificate(UserName=name, CertificateBody=pem(
            certificate(rsa_key(), common_name=name)))["Certificate"]
        remove: Callable[[], Any] = lambda: iam.delete_signing_certificate(  # noqa: E731
            UserName=name, CertificateId=made["CertificateId"])
    elif kind == "ssh":
        made = iam.upload_ssh_public_key(UserName=name,
                                         SSHPublicKeyBody=ssh_line(rsa_key()))["SSHPublicKey"]
        remove = lambda: iam.delete_ssh_public_key(  # noqa: E731
            UserName=name, SSHPublicKeyId=made["SSHPublicKeyId"])
    else:
        made = iam.create_service_specific_credential(
            UserName=name, ServiceName="codecommit.amazonaws.com")["ServiceSpecificCredential"]
        remove = lambda: iam.delete_service_specific_credential(  # noqa: E731
            UserName=name, ServiceSpecificCredentialId=made["ServiceSpecificCredentialId"])
    try:
        with pytest.raises(ClientError) as exc:
            iam.delete_user(UserName=name)
        assert error_of(exc) == ("DeleteConflict", message, 409)
    finally:
        remove()
    iam.delete_user(UserName=name)
