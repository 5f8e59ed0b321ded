"""`iamd keys rotate-master` while boto3 clients keep a real `iamd serve` busy.

Every kind of sealed value is in the store before the rotation (access key
secrets, an MFA seed, a server certificate's private key, a service
password, a SAML decryption key, a console session, the STS token keys,
the outbound web identity signing keys), and clients keep signing with old keys, making new keys and
using them at once, assuming a role and using its session, and deleting
users (each delete moves the authorization generation, so secrets are opened
again from the store, re-sealed or not). Not one request may fail. Afterwards
everything is sealed under the new key alone, the key file holds only it,
and a server restarted from that file (which no longer knows the old key)
still accepts every key, session and MFA code made before.

A rotation killed midway leaves every secret readable, and `reseal`
finishes it. Two PostgreSQL nodes with key files of their own follow the
documented steps (the new key a reader everywhere, then the sealer
everywhere, reseal, the old key dropped) under load, keys made on one node
used at once on the other, without one failed request.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from test_certificates_and_keys import certificate, key_pem, pem, rsa_key
from test_saml import IdP, private_key_pem, saml_role, sp_key, unsigned_sts

from conftest import database_for
from iamd.testing import IamdServer

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}


def iamd(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "iamd.cli.main", *args],
                          capture_output=True, text=True, check=check, timeout=300)


def console_signed_in(server: IamdServer, credentials: dict[str, Any]) -> httpx.Cookies:
    """The cookies of a browser signed in to the console through the federation
    endpoint (its console session's state is sealed by the master key)."""
    session = json.dumps({"sessionId": credentials["AccessKeyId"],
                          "sessionKey": credentials["SecretAccessKey"],
                          "sessionToken": credentials["SessionToken"]})
    token = httpx.get(f"{server.endpoint}/federation",
                      params={"Action": "getSigninToken", "Session": session}).json()["SigninToken"]
    with httpx.Client(base_url=server.endpoint) as browser:
        browser.get("/federation", params={"Action": "login", "Issuer": "https://broker.example/",
                                           "Destination": "/console", "SigninToken": token})
        return browser.cookies


def console_home(server: IamdServer, cookies: httpx.Cookies) -> str:
    with httpx.Client(base_url=server.endpoint, cookies=cookies) as browser:
        page = browser.get("/console")
    assert page.status_code == 200 and "/signin" not in str(page.url), page.status_code
    return page.text


def key_ids(data_dir: Path) -> list[bytes]:
    return [base64.b64decode(line) for line in (data_dir / "master.key").read_text().split()]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_rotation_under_load_fails_no_request(tmp_path: Path, backend: str) -> None:
    database = database_for(backend)
    data_dir = tmp_path / "iamd"
    where = ["--data-dir", str(data_dir)] + (["--database", database] if database else [])
    server = IamdServer.start(data_dir, database=database)
    try:
        iam, sts = server.client("iam"), server.client("sts")
        role_arn = iam.create_role(RoleName="rotation", AssumeRolePolicyDocument=json.dumps(TRUST))[
            "Role"]["Arn"]
        keys = []
        for number in range(20):
            iam.create_user(UserName=f"held-{number}")
            made = iam.create_access_key(UserName=f"held-{number}")["AccessKey"]
            keys.append((made["AccessKeyId"], made["SecretAccessKey"]))
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName="rotation")["VirtualMFADevice"]
        totp = pyotp.TOTP(device["Base32StringSeed"].decode("ascii"))
        step = int(time.time()) // 30
        iam.enable_mfa_device(UserName="held-0", SerialNumber=device["SerialNumber"],
                              AuthenticationCode1=totp.generate_otp(step - 1),
                              AuthenticationCode2=totp.generate_otp(step))
        # One of every other sealed kind: a server certificate's private key, a
        # service password, a SAML provider's decryption key.
        server_key = rsa_key()
        iam.upload_server_certificate(ServerCertificateName="rotation",
                                      CertificateBody=pem(certificate(server_key)),
                                      PrivateKey=key_pem(server_key))
        iam.create_service_specific_credential(UserName="held-1",
                                               ServiceName="codecommit.amazonaws.com")
        idp, decryption = IdP.make(), sp_key()
        provider = iam.create_saml_provider(Name="Rotation", SAMLMetadataDocument=idp.metadata(),
                                            AddPrivateKey=private_key_pem(decryption))[
            "SAMLProviderArn"]
        saml_role_arn = saml_role(iam, "rotation-saml", provider)
        iam.enable_outbound_web_identity_federation()
        sts.get_web_identity_token(Audience=["https://audience.example.com"],
                                   SigningAlgorithm="ES384")
        before_session = sts.assume_role(RoleArn=role_arn, RoleSessionName="before")["Credentials"]
        cookies = console_signed_in(server, before_session)
        assert "rotation" in console_home(server, cookies)
        old_ids = key_ids(data_dir)
        assert iamd("keys", "status", *where).returncode == 0

        failures: list[BaseException] = []
        requests = [0]
        stop = threading.Event()

        def hold(loop: Any) -> None:
            try:
                while not stop.is_set():
                    loop()
                    requests[0] += 1
            except BaseException as error:  # reported by the test below
                failures.append(error)

        def old_keys() -> None:
            for key in keys[:10]:
                server.client("sts", *key).get_caller_identity()

        def new_keys() -> None:
            name = f"new-{time.monotonic_ns()}"
            iam.create_user(UserName=name)
            made = iam.create_access_key(UserName=name)["AccessKey"]
            server.client("sts", made["AccessKeyId"], made["SecretAccessKey"]).get_caller_identity()
            iam.delete_access_key(UserName=name, AccessKeyId=made["AccessKeyId"])
            iam.delete_user(UserName=name)

        def sessions() -> None:
            got = server.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="during")
            credentials = got["Credentials"]
            server.client("sts", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                          credentials["SessionToken"]).get_caller_identity()
            server.client("sts").get_web_identity_token(
                Audience=["https://audience.example.com"], SigningAlgorithm="RS256")

        threads = [threading.Thread(target=hold, args=(loop,))
                   for loop in (old_keys, new_keys, new_keys, sessions)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        rotated = iamd("keys", "rotate-master", *where, check=False)
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join()
        assert rotated.returncode == 0, rotated.stderr
        assert failures == []
        assert requests[0] > 20

        summary = json.loads(rotated.stdout)
        (new_key,) = key_ids(data_dir)
        assert new_key not in old_ids
        # Keys, seed, certificate, password, SAML key, token key, signing keys.
        assert summary["Resealed"] >= 20 + 1 + 1 + 1 + 1 + 1 + 2
        status = json.loads(iamd("keys", "status", *where).stdout)
        assert list(status["SealedByKeyId"]) == [str(summary["MasterKeyId"])]
    finally:
        server.stop()

    # A new process knows the new key only: everything sealed before still opens.
    with IamdServer.start(data_dir, database=database) as again:
        for key in keys:
            again.client("sts", *key).get_caller_identity()
        session = again.client("sts", before_session["AccessKeyId"],
                               before_session["SecretAccessKey"], before_session["SessionToken"])
        assert ":assumed-role/rotation/before" in session.get_caller_identity()["Arn"]
        held = again.client("sts", *keys[0])
        held.get_session_token(SerialNumber=device["SerialNumber"],
                               TokenCode=totp.generate_otp(int(time.time()) // 30 + 1))
        again.client("sts").get_web_identity_token(Audience=["https://audience.example.com"],
                                                   SigningAlgorithm="RS256")
        # The same console session, its state sealed anew.
        assert "rotation" in console_home(again, cookies)
        encrypted = idp.response(roles=[f"{saml_role_arn},{provider}"],
                                 encrypt_for=decryption.public_key())
        assert unsigned_sts(again).assume_role_with_saml(
            RoleArn=saml_role_arn, PrincipalArn=provider, SAMLAssertion=encrypted)["Subject"]


def test_a_rotation_killed_midway_loses_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "iamd"
    with IamdServer.start(data_dir) as server:
        iam = server.client("iam")
        keys = []
        for number in range(60):
            iam.create_user(UserName=f"kept-{number}")
            made = iam.create_access_key(UserName=f"kept-{number}")["AccessKey"]
            keys.append((made["AccessKeyId"], made["SecretAccessKey"]))
        key_file = data_dir / "master.key"
        before = key_file.read_text()
        rotation = subprocess.Popen([sys.executable, "-m", "iamd.cli.main", "keys", "rotate-master",
                                     "--data-dir", str(data_dir)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Killed as soon as the new key is in the file: the re-sealing has begun.
        deadline = time.monotonic() + 60
        while key_file.read_text() == before and rotation.poll() is None:
            assert time.monotonic() < deadline
            time.sleep(0.001)
        rotation.kill()
        rotation.wait()
        assert len(key_ids(data_dir)) == 2  # the old key is still there to open with
        for key in keys:
            server.client("sts", *key).get_caller_identity()
        # Running it again finishes the job.
        status = json.loads(iamd("keys", "reseal", "--drop-old-keys",
                                 "--data-dir", str(data_dir)).stdout)
        assert list(status["SealedByKeyId"]) == [str(status["SealingKeyId"])]
        assert len(key_ids(data_dir)) == 1
        for key in keys:
            server.client("sts", *key).get_caller_identity()


def install(path: Path, keys: list[bytes]) -> None:
    """Put a key ring on a node as configuration management would: whole, 0600."""
    temporary = path.with_name(".master.key.new")
    temporary.touch(mode=0o600)
    temporary.write_text("".join(base64.b64encode(key).decode() + "\n" for key in keys))
    temporary.replace(path)


def test_nodes_with_key_files_of_their_own_rotate_without_a_failed_request(
        tmp_path: Path) -> None:
    database = database_for("postgresql")
    first = IamdServer.start(tmp_path / "one", database=database)
    files = [tmp_path / "one" / "master.key", tmp_path / "two" / "master.key"]
    (tmp_path / "two").mkdir()
    install(files[1], key_ids(tmp_path / "one"))
    nodes = [first]
    try:
        nodes.append(IamdServer.start(tmp_path / "two", database=database))
        nodes[1].access_key_id, nodes[1].secret_access_key = (first.access_key_id,
                                                              first.secret_access_key)
        failures: list[BaseException] = []
        stop = threading.Event()

        def load(node: IamdServer, other: IamdServer) -> None:
            # Keys made on one node are used at once on the other.
            try:
                while not stop.is_set():
                    name = f"{node.data_dir.name}-{time.monotonic_ns()}"
                    node.client("iam").create_user(UserName=name)
                    made = node.client("iam").create_access_key(UserName=name)["AccessKey"]
                    other.client("sts", made["AccessKeyId"],
                                 made["SecretAccessKey"]).get_caller_identity()
            except BaseException as error:  # reported by the test below
                failures.append(error)

        threads = [threading.Thread(target=load, args=(nodes[n], nodes[1 - n])) for n in (0, 1)]
        for thread in threads:
            thread.start()
        (old,) = key_ids(tmp_path / "one")
        new = os.urandom(32)
        for ring in ([old, new], [new, old]):  # a reader everywhere first, then the sealer
            for path in files:
                install(path, ring)
                time.sleep(0.5)  # the nodes change one after the other
        done = json.loads(iamd("keys", "reseal", "--data-dir", str(tmp_path / "one"),
                               "--database", str(database)).stdout)
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()
        assert failures == []
        assert list(done["SealedByKeyId"]) == [str(done["SealingKeyId"])]
        for path in files:
            install(path, [new])
    finally:
        for node in nodes:
            node.stop()
    with IamdServer.start(tmp_path / "two", database=database) as again:
        again.client("iam", first.access_key_id, first.secret_access_key).list_users()
