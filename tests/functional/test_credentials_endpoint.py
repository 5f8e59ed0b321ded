"""Credentials without secrets: `iamd credentials-endpoint` beside a real `iamd serve`.

The story AWS calls the secure option: an administrator gives a role to an
instance profile; a process on the host runs an UNMODIFIED boto3 with no key
at all (no AWS_ACCESS_KEY_ID, empty config and credentials files) and only
the endpoint's address, and its SDK fetches the role's temporary
credentials by itself, in the container form (AWS_CONTAINER_CREDENTIALS_
FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN) or the IMDSv2 form
(AWS_EC2_METADATA_SERVICE_ENDPOINT). iamd then knows it as
arn:aws:sts::ACCOUNT:assumed-role/ROLE/i-<17 hex>, allows what the role's
policy allows and refuses the rest with AWS's sentence. The endpoint runs
as its own process on the server's store (same data directory, so the same
master key; same PostgreSQL URL), and the sessions it seals verify on the
server. EC2's own answers are the reference for the IMDS form: 401 without
a session token, the role's name on the listing, Code/Type/LastUpdated on
the credentials, and a 200 with Code AssumeRoleUnauthorizedAccess and EC2's
sentence (aws/aws-cli issue 2060) when the role does not trust EC2.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.service.instance_credentials import (
    InstanceCredentialSource,
    NoRoleInProfile,
    RoleNotTrusted,
)
from iamd.testing import IamdServer, free_port

EC2_TRUST = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                            "Action": "sts:AssumeRole"}]}
LAMBDA_TRUST = {"Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole"}]}
INSTANCE_ID = re.compile(r"^i-[0-9a-f]{17}$")
UNTRUSTED = ("EC2 cannot assume the role {role}.  Please see documentation at "
             "http://docs.amazonwebservices.com/IAM/latest/UserGuide/RolesTroubleshooting.html.")

# What the application runs: plain boto3, told only where iamd is.
CLIENT = r"""
import json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, role = sys.argv[1], sys.argv[2]
session = boto3.Session(region_name="us-east-1")
config = Config(retries={"max_attempts": 1})
sts = session.client("sts", endpoint_url=endpoint, config=config)
iam = session.client("iam", endpoint_url=endpoint, config=config)
out = {"identity": sts.get_caller_identity(),
       "allowed": iam.get_role(RoleName=role)["Role"]["RoleName"],
       "method": session.get_credentials().method}
out["identity"].pop("ResponseMetadata")
try:
    iam.list_users()
    out["denied"] = None
except ClientError as exc:
    out["denied"] = exc.response["Error"]
print(json.dumps(out))
"""


def account_of(iam: Any) -> str:
    return str(iam.get_user()["User"]["Arn"].split(":")[4])


@dataclass
class Endpoint:
    base: str
    process: subprocess.Popen[bytes]
    token_file: Path
    log: Path

    @property
    def token(self) -> str:
        return self.token_file.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def endpoint_args(server: IamdServer, profile: str, *extra: str) -> list[str]:
    args = [sys.executable, "-m", "iamd.cli.main", "credentials-endpoint",
            "--instance-profile", profile, "--data-dir", str(server.data_dir), *extra]
    if server.database:
        args += ["--database", server.database]
    return args


def start_endpoint(server: IamdServer, profile: str, workdir: Path) -> Endpoint:
    port = free_port()
    token_file = workdir / f"{profile}.token"
    log = workdir / f"{profile}.log"
    with log.open("ab") as handle:
        process = subprocess.Popen(
            endpoint_args(server, profile, "--port", str(port), "--token-file", str(token_file)),
            stdout=handle, stderr=subprocess.STDOUT)
    endpoint = Endpoint(f"http://127.0.0.1:{port}", process, token_file, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"credentials-endpoint exited:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{endpoint.base}/_iamd/health", timeout=1):
                return endpoint
        except OSError:
            time.sleep(0.1)
    endpoint.stop()
    raise RuntimeError(f"credentials-endpoint did not start:\n{log.read_text()}")


def http(method: str, url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def imds_token(endpoint: Endpoint, ttl: str = "21600") -> str:
    status, body = http("PUT", f"{endpoint.base}/latest/api/token",
                        {"X-aws-ec2-metadata-token-ttl-seconds": ttl})
    assert status == 200
    return body


def clean_env(home: Path, **variables: str) -> dict[str, str]:
    """Nothing from the test's own environment but PATH: no keys, no profiles."""
    config, credentials = home / "config", home / "credentials"
    config.write_text("")
    credentials.write_text("")
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(home),
            "AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
            **variables}


def run_client(server: IamdServer, role: str, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", CLIENT, server.endpoint, role], env=env,
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@dataclass
class Instance:
    account: str
    role: str
    role_arn: str
    profile: str
    endpoint: Endpoint


@pytest.fixture(scope="module")
def instance(iamd_server: IamdServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    """A role that may read itself only, in a profile, and its endpoint, for
    the whole module (tests that change them put them back)."""
    iam = iamd_server.client("iam")
    account = account_of(iam)
    suffix = secrets.token_hex(4)
    role, profile = f"app-{suffix}", f"web-{suffix}"
    tmp_path = tmp_path_factory.mktemp("instance")
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(EC2_TRUST),
                               Path="/hosts/")["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="self", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:GetRole", "Resource": role_arn}]}))
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    endpoint = start_endpoint(iamd_server, profile, tmp_path)
    try:
        yield Instance(account, role, role_arn, profile, endpoint)
    finally:
        endpoint.stop()
        iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
        iam.delete_instance_profile(InstanceProfileName=profile)
        iam.delete_role_policy(RoleName=role, PolicyName="self")
        iam.delete_role(RoleName=role)


def check_story(result: dict[str, Any], instance: Instance, method: str) -> None:
    assert result["method"] == method
    identity = result["identity"]
    assert identity["Account"] == instance.account
    prefix = f"arn:aws:sts::{instance.account}:assumed-role/{instance.role}/"
    assert identity["Arn"].startswith(prefix)
    instance_id = identity["Arn"][len(prefix):]
    assert INSTANCE_ID.match(instance_id)
    assert identity["UserId"].startswith("AROA") and identity["UserId"].endswith(f":{instance_id}")
    assert result["allowed"] == instance.role
    denied = result["denied"]
    assert denied is not None and denied["Code"] == "AccessDenied"
    assert denied["Message"] == (
        f"User: {identity['Arn']} is not authorized to perform: iam:ListUsers on resource: "
        f"arn:aws:iam::{identity['Account']}:user/ "
        "because no identity-based policy allows the iam:ListUsers action")


def test_unmodified_boto3_through_container_credentials(
        iamd_server: IamdServer, instance: Instance, tmp_path: Path) -> None:
    env = clean_env(tmp_path, AWS_CONTAINER_CREDENTIALS_FULL_URI=f"{instance.endpoint.base}/credentials",
                    AWS_CONTAINER_AUTHORIZATION_TOKEN=instance.endpoint.token,
                    AWS_EC2_METADATA_DISABLED="true")
    check_story(run_client(iamd_server, instance.role, env), instance, "container-role")
    # The token file works as well, and nothing else is needed.
    by_file = {k: v for k, v in env.items() if k != "AWS_CONTAINER_AUTHORIZATION_TOKEN"}
    by_file["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = str(instance.endpoint.token_file)
    check_story(run_client(iamd_server, instance.role, by_file), instance, "container-role")


def test_unmodified_boto3_through_instance_metadata(
        iamd_server: IamdServer, instance: Instance, tmp_path: Path) -> None:
    env = clean_env(tmp_path, AWS_EC2_METADATA_SERVICE_ENDPOINT=f"{instance.endpoint.base}/")
    check_story(run_client(iamd_server, instance.role, env), instance, "iam-role")


def test_without_the_endpoint_there_are_no_credentials(iamd_server: IamdServer,
                                                       instance: Instance, tmp_path: Path) -> None:
    env = clean_env(tmp_path, AWS_EC2_METADATA_DISABLED="true")
    done = subprocess.run([sys.executable, "-c", CLIENT, iamd_server.endpoint, instance.role],
                          env=env, capture_output=True, timeout=120, check=False)
    assert done.returncode != 0 and b"NoCredentialsError" in done.stderr


def test_container_form_needs_the_token(instance: Instance) -> None:
    endpoint = instance.endpoint
    url = f"{endpoint.base}/credentials"
    token_mode = stat.S_IMODE(endpoint.token_file.stat().st_mode)
    assert token_mode == 0o600
    assert endpoint.token not in endpoint.log.read_text()  # the path is printed, never the token
    assert f"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE={endpoint.token_file}" in endpoint.log.read_text()

    status, body = http("GET", url)
    assert status == 401 and json.loads(body)["code"] == "Unauthorized"
    status, body = http("GET", url, {"Authorization": endpoint.token[:-1] + "x"})
    assert status == 403 and json.loads(body)["code"] == "AccessDenied"

    status, body = http("GET", url, {"Authorization": endpoint.token})
    assert status == 200
    first = json.loads(body)
    assert set(first) == {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn",
                          "AccountId"}
    assert first["AccessKeyId"].startswith("ASIA") and first["RoleArn"] == instance.role_arn
    assert first["AccountId"] == instance.account
    expiration = datetime.strptime(first["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(minutes=55) < expiration - datetime.now(UTC) <= timedelta(hours=1)
    # One session per hour, not one per request.
    assert json.loads(http("GET", url, {"Authorization": endpoint.token})[1]) == first


def test_a_foreign_host_name_is_refused(instance: Instance) -> None:
    """DNS rebinding: a page whose name now points at 127.0.0.1 still sends its own Host."""
    endpoint = instance.endpoint
    for method, path in (("PUT", "/latest/api/token"), ("GET", "/credentials")):
        status, _ = http(method, f"{endpoint.base}{path}",
                         {"Host": "attacker.example", "Authorization": endpoint.token,
                          "X-aws-ec2-metadata-token-ttl-seconds": "60"})
        assert status == 403
    status, _ = http("GET", f"{endpoint.base}/_iamd/health", {"Host": "localhost"})
    assert status == 200


def test_instance_metadata_answers_as_ec2_does(iamd_server: IamdServer,
                                               instance: Instance) -> None:
    base = f"{instance.endpoint.base}/latest"
    listing = f"{base}/meta-data/iam/security-credentials/"
    # IMDSv2 only: no session token, no answer.
    assert http("GET", listing)[0] == 401
    assert http("GET", listing, {"X-aws-ec2-metadata-token": "forged"})[0] == 401
    for ttl in ("", "0", "21601", "ten", "\u00b2"):  # "²" is a digit to str.isdigit, not to int
        headers = {"X-aws-ec2-metadata-token-ttl-seconds": ttl} if ttl else {}
        assert http("PUT", f"{base}/api/token", headers)[0] == 400, ttl
    assert http("PUT", f"{base}/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60",
                                             "X-Forwarded-For": "10.0.0.1"})[0] == 403
    expired = imds_token(instance.endpoint, ttl="1")
    token = {"X-aws-ec2-metadata-token": imds_token(instance.endpoint)}

    assert http("GET", listing, token) == (200, instance.role)
    status, body = http("GET", listing + instance.role, token)
    assert status == 200
    credentials = json.loads(body)
    assert list(credentials) == ["Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey",
                                 "Token", "Expiration"]
    assert credentials["Code"] == "Success" and credentials["Type"] == "AWS-HMAC"
    assert http("GET", listing + "SomeOtherRole", token)[0] == 404

    status, body = http("GET", f"{base}/meta-data/iam/info", token)
    info = json.loads(body)
    assert status == 200 and info["Code"] == "Success"
    assert info["InstanceProfileArn"] == (
        f"arn:aws:iam::{instance.account}:instance-profile/{instance.profile}")
    assert info["InstanceProfileId"].startswith("AIPA")
    status, instance_id = http("GET", f"{base}/meta-data/instance-id", token)
    assert status == 200 and INSTANCE_ID.match(instance_id)

    # The session these credentials carry is the instance's, and the server knows it.
    sts = iamd_server.client("sts", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                             credentials["Token"])
    assert sts.get_caller_identity()["Arn"] == (
        f"arn:aws:sts::{instance.account}:assumed-role/{instance.role}/{instance_id}")

    time.sleep(1.1)
    assert http("GET", listing, {"X-aws-ec2-metadata-token": expired})[0] == 401


def test_a_role_that_does_not_trust_ec2(iamd_server: IamdServer, iam: Any, unique: Any,
                                        tmp_path: Path) -> None:
    role, profile = unique("lambda"), unique("web")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST))
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    endpoint = start_endpoint(iamd_server, profile, tmp_path)
    try:
        assert "warning: EC2 cannot assume the role" in endpoint.log.read_text()
        status, body = http("GET", f"{endpoint.base}/credentials",
                            {"Authorization": endpoint.token})
        assert status == 403
        assert json.loads(body) == {"code": "AssumeRoleUnauthorizedAccess",
                                    "message": UNTRUSTED.format(role=role)}
        token = {"X-aws-ec2-metadata-token": imds_token(endpoint)}
        listing = f"{endpoint.base}/latest/meta-data/iam/security-credentials/"
        assert http("GET", listing, token) == (200, role)  # EC2 names the role all the same
        status, body = http("GET", listing + role, token)
        answer = json.loads(body)
        assert status == 200 and set(answer) == {"Code", "Message", "LastUpdated"}
        assert answer["Code"] == "AssumeRoleUnauthorizedAccess"
        assert answer["Message"] == UNTRUSTED.format(role=role)
    finally:
        endpoint.stop()
        iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
        iam.delete_instance_profile(InstanceProfileName=profile)
        iam.delete_role(RoleName=role)


def test_profile_without_a_role_and_unknown_profiles(iamd_server: IamdServer, iam: Any,
                                                     unique: Any, tmp_path: Path) -> None:
    missing = unique("nothing")
    done = subprocess.run(endpoint_args(iamd_server, missing), capture_output=True, timeout=60,
                          check=False)
    assert done.returncode == 2
    assert f"Instance Profile {missing} cannot be found" in done.stderr.decode()

    empty = unique("empty")
    iam.create_instance_profile(InstanceProfileName=empty)
    endpoint = start_endpoint(iamd_server, empty, tmp_path)
    try:
        status, body = http("GET", f"{endpoint.base}/credentials", {"Authorization": endpoint.token})
        assert status == 404 and json.loads(body)["code"] == "NoRoleInProfile"
        token = {"X-aws-ec2-metadata-token": imds_token(endpoint)}
        assert http("GET", f"{endpoint.base}/latest/meta-data/iam/security-credentials/",
                    token)[0] == 404
    finally:
        endpoint.stop()
        iam.delete_instance_profile(InstanceProfileName=empty)
    assert not endpoint.token_file.exists()  # the token leaves with the endpoint


def test_no_store_no_endpoint(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "iamd.cli.main", "credentials-endpoint",
                           "--instance-profile", "web", "--data-dir", str(tmp_path / "none")],
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 2 and b"start `iamd serve`" in done.stderr
    assert not (tmp_path / "none" / "admin-credentials.csv").exists()


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_sessions_are_renewed_before_they_expire(iamd_server: IamdServer, instance: Instance,
                                                 iam: Any) -> None:
    """The service side in-process, on the server's own store, with a clock of its own."""
    from iamd.cli.serve_command import build_runtime, config_from

    runtime, _ = build_runtime(config_from(str(iamd_server.data_dir), iamd_server.database,
                                           dev=False, account_id=None))
    try:
        clock = Clock(datetime.now(UTC).replace(microsecond=0))
        source = InstanceCredentialSource(runtime, instance.account, instance.profile,
                                          clock=clock)
        first = source.current()
        assert first.expiration == clock.now + timedelta(hours=1)
        clock.now += timedelta(minutes=44)
        assert source.current() == first  # 16 minutes left: kept
        clock.now += timedelta(minutes=2)
        second = source.current()  # 14 minutes left: renewed
        assert second.access_key_id != first.access_key_id
        assert second.expiration == clock.now + timedelta(hours=1)
        # Both sessions verify on the server: the old one until it expires.
        for credentials in (first, second):
            sts = iamd_server.client("sts", credentials.access_key_id,
                                     credentials.secret_access_key, credentials.token)
            assert sts.get_caller_identity()["Arn"] == credentials.assumed_role_arn
        last_used = iam.get_role(RoleName=instance.role)["Role"]["RoleLastUsed"]
        assert "LastUsedDate" in last_used

        # A role taken out of the profile is not renewed: the error says why.
        iam.remove_role_from_instance_profile(InstanceProfileName=instance.profile,
                                              RoleName=instance.role)
        try:
            clock.now += timedelta(minutes=50)
            with pytest.raises(NoRoleInProfile):
                source.current()
        finally:
            iam.add_role_to_instance_profile(InstanceProfileName=instance.profile,
                                             RoleName=instance.role)
        # Nor is one whose trust policy no longer names EC2.
        iam.update_assume_role_policy(RoleName=instance.role,
                                      PolicyDocument=json.dumps(LAMBDA_TRUST))
        with pytest.raises(RoleNotTrusted) as untrusted:
            source.current()
        assert str(untrusted.value) == UNTRUSTED.format(role=instance.role)
        iam.update_assume_role_policy(RoleName=instance.role, PolicyDocument=json.dumps(EC2_TRUST))
        assert source.current().role_arn == instance.role_arn
    finally:
        runtime.store.close()


def test_expired_instance_sessions_are_refused(iamd_server: IamdServer,
                                               instance: Instance) -> None:
    from iamd.cli.serve_command import build_runtime, config_from
    from iamd.service.instance_credentials import issue_instance_credentials

    runtime, _ = build_runtime(config_from(str(iamd_server.data_dir), iamd_server.database,
                                           dev=False, account_id=None))
    try:
        long_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
        old = issue_instance_credentials(runtime, instance.account, instance.profile,
                                         "i-0123456789abcdef0", long_ago)
    finally:
        runtime.store.close()
    sts = iamd_server.client("sts", old.access_key_id, old.secret_access_key, old.token)
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    assert exc.value.response["Error"]["Code"] == "ExpiredToken"
