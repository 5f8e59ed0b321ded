"""HTTPS: `iamd serve --tls-cert --tls-key`, checked by clients that verify it.

The tests make their own certificate authority and server certificates
(cryptography), start a real server with them, and talk to it with boto3
and httpx verifying the chain against that authority: the API works, policies
see aws:SecureTransport true, the console answers with HSTS, a SIGHUP swaps
the certificate for new handshakes while an open connection keeps working,
and a certificate that does not load stops the start in one line.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from iamd.testing import IamdServer, free_port


@dataclass
class Authority:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    bundle: Path  # the PEM clients verify against


def make_authority(directory: Path) -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "iamd test CA")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                                crl_sign=True, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False,
                                                key_agreement=False, encipher_only=False,
                                                decipher_only=False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                                  critical=False)
                   .sign(key, hashes.SHA256()))
    bundle = directory / "ca.pem"
    bundle.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return Authority(key, certificate, bundle)


def issue_server_certificate(authority: Authority, cert_file: Path, key_file: Path) -> int:
    """A certificate for 127.0.0.1 and localhost, written as PEM; its serial number."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    serial = x509.random_serial_number()
    ca_key_id = authority.certificate.extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier).value
    certificate = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
                   .issuer_name(authority.certificate.subject).public_key(key.public_key())
                   .serial_number(serial)
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([
                       x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                                  critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                       ca_key_id), critical=False)
                   .sign(authority.key, hashes.SHA256()))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return serial


@dataclass
class TlsServer:
    server: IamdServer
    authority: Authority
    cert_file: Path
    key_file: Path
    serial: int


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    directory = tmp_path_factory.mktemp("tls")
    authority = make_authority(directory)
    cert_file, key_file = directory / "server.pem", directory / "server.key"
    serial = issue_server_certificate(authority, cert_file, key_file)
    with IamdServer.start(directory / "data", extra_args=[
            "--tls-cert", str(cert_file), "--tls-key", str(key_file)]) as server:
        yield TlsServer(server, authority, cert_file, key_file, serial)


def peer_serial(tls: TlsServer) -> int:
    """The serial number of the certificate a new handshake gets."""
    return serial_served(tls.server, tls.authority)


def serial_served(server: IamdServer, authority: Authority) -> int:
    context = ssl.create_default_context(cafile=str(authority.bundle))
    port = int(server.endpoint.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as wrapped:
        der = wrapped.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der).serial_number


def test_boto3_verifies_the_certificate_and_calls_over_https(tls_server: TlsServer) -> None:
    server = tls_server.server
    assert server.endpoint.startswith("https://127.0.0.1:")
    sts = server.client("sts", verify=str(tls_server.authority.bundle))
    assert sts.get_caller_identity()["Arn"].endswith(":user/admin")
    # A client that trusts only the system's authorities refuses the certificate.
    from botocore.exceptions import SSLError

    with pytest.raises(SSLError):
        server.client("sts").get_caller_identity()


def test_the_aws_cli_verifies_the_certificate(tls_server: TlsServer, tmp_path: Path) -> None:
    import os

    server = tls_server.server
    env = {**os.environ, "AWS_ACCESS_KEY_ID": server.access_key_id,
           "AWS_SECRET_ACCESS_KEY": server.secret_access_key, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_PAGER": "",
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"), "AWS_MAX_ATTEMPTS": "1"}
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CA_BUNDLE"):
        env.pop(name, None)
    aws = [str(Path(sys.executable).parent / "aws"), "--endpoint-url", server.endpoint,
           "sts", "get-caller-identity", "--query", "Arn", "--output", "text"]
    trusted = subprocess.run([*aws, "--ca-bundle", str(tls_server.authority.bundle)], env=env,
                             capture_output=True, text=True, timeout=120)
    assert trusted.returncode == 0, trusted.stderr
    assert trusted.stdout.strip().endswith(":user/admin")
    untrusted = subprocess.run(aws, env=env, capture_output=True, text=True, timeout=120)
    assert untrusted.returncode != 0
    assert "SSL" in untrusted.stderr or "certificate" in untrusted.stderr


def test_policies_see_secure_transport_true(tls_server: TlsServer) -> None:
    server = tls_server.server
    verify = str(tls_server.authority.bundle)
    iam = server.client("iam", verify=verify)
    name = f"tls-{time.monotonic_ns()}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="https-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
                       "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    as_user = server.client("iam", key["AccessKeyId"], key["SecretAccessKey"], verify=verify)
    assert as_user.get_user()["User"]["UserName"] == name
    # Over plain HTTP the same policy would not allow it (a separate plain server's
    # answer is tested in test_plain_http_is_not_secure_transport).


def test_plain_http_is_not_secure_transport(iamd_server: IamdServer) -> None:
    iam = iamd_server.client("iam")
    name = f"plain-{time.monotonic_ns()}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="https-only", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
                       "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    as_user = iamd_server.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as denied:
        as_user.get_user()
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    with httpx.Client() as client:
        page = client.get(f"{iamd_server.endpoint}/signin")
    assert "strict-transport-security" not in page.headers


def test_the_console_answers_with_hsts(tls_server: TlsServer) -> None:
    with httpx.Client(verify=ssl.create_default_context(cafile=str(tls_server.authority.bundle))) \
            as client:
        page = client.get(f"{tls_server.server.endpoint}/signin")
    assert page.status_code == 200
    assert page.headers["strict-transport-security"] == "max-age=31536000"


def test_sighup_loads_a_new_certificate_without_dropping_connections(tls_server: TlsServer) -> None:
    assert peer_serial(tls_server) == tls_server.serial
    context = ssl.create_default_context(cafile=str(tls_server.authority.bundle))
    with httpx.Client(verify=context) as open_connection:
        health = f"{tls_server.server.endpoint}/_iamd/health"
        assert open_connection.get(health).status_code == 200
        new_serial = issue_server_certificate(tls_server.authority, tls_server.cert_file,
                                              tls_server.key_file)
        tls_server.server.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while peer_serial(tls_server) != new_serial:
            assert time.monotonic() < deadline, "the certificate was not reloaded"
            time.sleep(0.1)
        # The connection opened before the reload is the same one, still served.
        assert open_connection.get(health).status_code == 200
        assert tls_server.server.process.poll() is None
    tls_server.serial = new_serial


def test_a_broken_certificate_on_sighup_keeps_the_old_one(tls_server: TlsServer) -> None:
    serial = peer_serial(tls_server)
    good = tls_server.cert_file.read_bytes()
    tls_server.cert_file.write_text("-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----\n")
    try:
        tls_server.server.process.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert peer_serial(tls_server) == serial
        assert tls_server.server.process.poll() is None
    finally:
        tls_server.cert_file.write_bytes(good)
    assert "TLS certificate not reloaded" in tls_server.server.log_path.read_text()


def test_tls_with_several_workers_and_sighup_to_the_supervisor(tmp_path: Path) -> None:
    authority = make_authority(tmp_path)
    cert_file, key_file = tmp_path / "server.pem", tmp_path / "server.key"
    issue_server_certificate(authority, cert_file, key_file)
    with IamdServer.start(tmp_path / "data", workers=2, extra_args=[
            "--tls-cert", str(cert_file), "--tls-key", str(key_file)]) as server:
        sts = server.client("sts", verify=str(authority.bundle))
        for _ in range(4):
            assert sts.get_caller_identity()["Arn"].endswith(":user/admin")
        new_serial = issue_server_certificate(authority, cert_file, key_file)
        server.process.send_signal(signal.SIGHUP)  # uvicorn replaces the workers
        deadline = time.monotonic() + 60
        # Every worker serves the new certificate once both are replaced.
        while {serial_served(server, authority) for _ in range(8)} != {new_serial}:
            assert time.monotonic() < deadline, "the workers did not load the new certificate"
            time.sleep(0.2)
        assert sts.get_caller_identity()["Arn"].endswith(":user/admin")
        assert server.process.poll() is None


@pytest.mark.parametrize("broken", ["certificate", "key", "missing"])
def test_a_certificate_that_does_not_load_stops_the_start_in_one_line(
        tmp_path: Path, broken: str) -> None:
    authority = make_authority(tmp_path)
    cert_file, key_file = tmp_path / "server.pem", tmp_path / "server.key"
    issue_server_certificate(authority, cert_file, key_file)
    if broken == "certificate":
        cert_file.write_text("this is not PEM\n")
    elif broken == "key":
        issue_server_certificate(authority, tmp_path / "other.pem", key_file)  # another key
    else:
        cert_file.unlink()
    done = subprocess.run(
        [sys.executable, "-m", "iamd.cli.main", "serve", "--data-dir", str(tmp_path / "data"),
         "--port", str(free_port()), "--tls-cert", str(cert_file), "--tls-key", str(key_file)],
        capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.startswith("iamd: cannot start: ")]
    assert len(lines) == 1, output
