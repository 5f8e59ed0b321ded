"""The AWS SDK for JavaScript v3 against a real `iamd serve`.

`js/iam_sts_story.mjs` runs once per backend with node: it creates users,
lists them with paginateListUsers, tags a user, creates an access key and
uses it, assumes a role the test made with boto3 and uses the temporary
credentials, meets AccessDenied with a restricted user's keys, and deletes
what it created. The tests below check its JSON report.

The pinned SDK is installed with npm into pytest's cache folder (never into
the repository) and reused by later runs; without node or npm, or when the
npm registry cannot be reached, the tests skip and say why.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from iamd.testing import IamdServer

SDK_VERSION = "3.1169.0"
PACKAGES = ("@aws-sdk/client-iam", "@aws-sdk/client-sts")
SCRIPT = Path(__file__).parent / "js" / "iam_sts_story.mjs"
MIN_NODE_MAJOR = 18  # what SDK v3 supports


def node_major(node: str) -> int:
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout
    return int(version.strip().lstrip("v").split(".")[0] or 0)


def sdk_installed(folder: Path) -> bool:
    for package in PACKAGES:
        manifest = folder / "node_modules" / package / "package.json"
        if not manifest.exists() or json.loads(manifest.read_text()).get("version") != SDK_VERSION:
            return False
    return True


@pytest.fixture(scope="session")
def js_sdk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose node_modules holds the pinned SDK clients."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        pytest.skip("node is not on the PATH")
    if npm is None:
        pytest.skip("npm is not on the PATH")
    if node_major(node) < MIN_NODE_MAJOR:
        pytest.skip(f"the AWS SDK for JavaScript v3 needs node >= {MIN_NODE_MAJOR}")
    cache = getattr(request.config, "cache", None)
    folder = (cache.mkdir(f"aws-sdk-js-{SDK_VERSION}") if cache is not None
              else tmp_path_factory.mktemp(f"aws-sdk-js-{SDK_VERSION}"))
    # pytest-xdist workers share the cache folder: one installs, the others wait.
    with (folder / ".install-lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not sdk_installed(folder):
            result = subprocess.run(
                [npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund",
                 "--loglevel=error", *(f"{package}@{SDK_VERSION}" for package in PACKAGES)],
                capture_output=True, text=True, timeout=600)
            if result.returncode != 0 or not sdk_installed(folder):
                pytest.skip(f"npm could not install the AWS SDK for JavaScript {SDK_VERSION} "
                            f"(is the npm registry reachable?): {result.stderr[-2000:]}")
    return folder


def node_env(server: IamdServer, sdk: Path, tmp: Path, extra: dict[str, str]) -> dict[str, str]:
    """The user's own AWS configuration stays out: only the admin's keys and the endpoint."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": server.access_key_id,
        "AWS_SECRET_ACCESS_KEY": server.secret_access_key,
        "AWS_CONFIG_FILE": str(tmp / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "IAMD_JS_SDK_DIR": str(sdk),
        "IAMD_ENDPOINT": server.endpoint,
        **extra,
    })
    return env


@pytest.fixture(scope="module")
def story(iamd_server: IamdServer, js_sdk: Path,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Runs the script once per backend; returns its report and what the test set up."""
    iam = iamd_server.client("iam")
    account = iamd_server.client("sts").get_caller_identity()["Account"]
    role_name, restricted_name, prefix = (f"{name}-{secrets.token_hex(4)}"
                                          for name in ("js-role", "js-restricted", "js"))
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]}))["Role"]["Arn"]
    restricted_arn = iam.create_user(UserName=restricted_name)["User"]["Arn"]
    key = iam.create_access_key(UserName=restricted_name)["AccessKey"]
    tmp = tmp_path_factory.mktemp("js")
    try:
        result = subprocess.run(
            [shutil.which("node") or "node", str(SCRIPT)], cwd=tmp, capture_output=True, text=True, timeout=300,
            env=node_env(iamd_server, js_sdk, tmp, {
                "IAMD_PREFIX": prefix, "IAMD_ROLE_ARN": role_arn,
                "IAMD_RESTRICTED_KEY_ID": key["AccessKeyId"],
                "IAMD_RESTRICTED_SECRET": key["SecretAccessKey"]}))
        assert result.returncode == 0, (f"node exited {result.returncode}\n--- stdout\n"
                                        f"{result.stdout}\n--- stderr\n{result.stderr}")
        report: dict[str, Any] = json.loads(result.stdout)
        yield {"report": report, "account": account, "role_name": role_name,
               "role_arn": role_arn, "restricted_arn": restricted_arn,
               "restricted_name": restricted_name, "prefix": prefix,
               "admin_arn": iamd_server.client("sts").get_caller_identity()["Arn"], "iam": iam}
    finally:
        iam.delete_access_key(UserName=restricted_name, AccessKeyId=key["AccessKeyId"])
        iam.delete_user(UserName=restricted_name)
        iam.delete_role(RoleName=role_name)


def test_pinned_sdk_was_used(story: dict[str, Any]) -> None:
    assert story["report"]["sdk"] == {"iam": SDK_VERSION, "sts": SDK_VERSION}


def test_caller_identity_and_create_user(story: dict[str, Any]) -> None:
    report, account, prefix = story["report"], story["account"], story["prefix"]
    assert report["callerIdentity"]["account"] == account
    assert report["callerIdentity"]["arn"] == story["admin_arn"]
    assert report["callerIdentity"]["userId"].startswith("AIDA")
    created = report["createdUser"]
    assert created["name"] == f"{prefix}-a"
    assert created["path"] == f"/{prefix}/"
    assert created["arn"] == f"arn:aws:iam::{account}:user/{prefix}/{prefix}-a"
    assert created["id"].startswith("AIDA") and len(created["id"]) == 21
    assert created["createDateIsDate"] is True


def test_paginate_list_users(story: dict[str, Any]) -> None:
    prefix = story["prefix"]
    assert story["report"]["listPages"] == [
        {"users": [f"{prefix}-a", f"{prefix}-b"], "isTruncated": True, "hasMarker": True},
        {"users": [f"{prefix}-c"], "isTruncated": False, "hasMarker": False}]


def test_tag_user_and_create_access_key(story: dict[str, Any]) -> None:
    report, prefix = story["report"], story["prefix"]
    assert report["tags"] == [["made-by", "js-sdk"], ["team", "web"]]
    key = report["accessKey"]
    assert key["id"].startswith("AKIA") and len(key["id"]) == 20
    assert key["secretLength"] == 40
    assert key["status"] == "Active" and key["userName"] == f"{prefix}-a"
    assert report["newKeyIdentity"] == story["report"]["createdUser"]["arn"]


def test_assume_role_and_use_temporary_credentials(story: dict[str, Any]) -> None:
    report, account, role_name = story["report"], story["account"], story["role_name"]
    assumed = report["assumeRole"]
    session_arn = f"arn:aws:sts::{account}:assumed-role/{role_name}/js-sdk-session"
    assert assumed["assumedRoleArn"] == session_arn
    assert assumed["assumedRoleId"].startswith("AROA")
    assert assumed["assumedRoleId"].endswith(":js-sdk-session")
    assert assumed["accessKeyId"].startswith("ASIA")
    assert assumed["hasSessionToken"] is True and assumed["expirationIsDate"] is True
    assert 800 <= assumed["secondsLeft"] <= 900
    assert report["sessionIdentity"] == {"account": account, "arn": session_arn,
                                         "userId": assumed["assumedRoleId"]}


def denied_sentence(story: dict[str, Any], action: str) -> tuple[str, str]:
    return (f"User: {story['restricted_arn']} is not authorized to perform: {action} on resource: ",
            f" because no identity-based policy allows the {action} action")


@pytest.mark.parametrize(("case", "action"), [("listUsers", "iam:ListUsers"),
                                              ("getSelf", "iam:GetUser")])
def test_access_denied_error(story: dict[str, Any], case: str, action: str) -> None:
    """An unmodeled error code reaches JavaScript as the error's name."""
    error = story["report"]["accessDenied"][case]
    assert error["name"] == error["code"] == "AccessDenied"
    assert error["fault"] == "client" and error["type"] == "Sender"
    assert error["status"] == 403 and error["requestId"]
    start, end = denied_sentence(story, action)
    assert error["message"].startswith(start) and error["message"].endswith(end), error["message"]


@pytest.mark.parametrize(("case", "action"), [("listUsers", "iam:ListUsers"),
                                              ("getSelf", "iam:GetUser")])
def test_access_denied_names_the_resource_as_aws_does(story: dict[str, Any], case: str,
                                                      action: str) -> None:
    """IAM names the resource of a list call by its path ARN ("arn:aws:iam::ACCOUNT:user/")
    and a named entity by kind and name ("user NAME"), not by its ARN."""
    start, end = denied_sentence(story, action)
    message = story["report"]["accessDenied"][case]["message"]
    resource = message[len(start):len(message) - len(end)]
    expected = {"listUsers": f"arn:aws:iam::{story['account']}:user/",
                "getSelf": f"user {story['restricted_name']}"}[case]
    assert resource == expected


def test_everything_created_was_deleted(story: dict[str, Any]) -> None:
    report, prefix = story["report"], story["prefix"]
    assert report["deleted"] == [f"{prefix}-a", f"{prefix}-b", f"{prefix}-c"]
    after = report["afterDelete"]
    assert after["name"] == "NoSuchEntityException" and after["code"] == "NoSuchEntity"
    assert after["status"] == 404 and after["fault"] == "client"
    assert after["message"] == f"The user with name {prefix}-a cannot be found."
    assert story["iam"].list_users(PathPrefix=f"/{prefix}/")["Users"] == []
