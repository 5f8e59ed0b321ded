"""What each kind of temporary credential may call, cell by cell, as AWS's
"Compare AWS STS credentials" table says (IAM User Guide): every row is a real
boto3 call with such credentials against `iamd serve`. The caller is an
administrator, so policies allow everything and only the table decides."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError

from iamd.testing import IamdServer

ALLOW_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
OK = "ok"
INVALID_TOKEN = "InvalidClientTokenId"
DENIED = "AccessDenied"

# The calls of each column, made with the temporary credentials.
CALLS: dict[str, Callable[[Any, Any, dict[str, str]], Any]] = {
    "iam": lambda iam, sts, ctx: iam.list_users(MaxItems=1),
    "GetCallerIdentity": lambda iam, sts, ctx: sts.get_caller_identity(),
    "AssumeRole": lambda iam, sts, ctx: sts.assume_role(RoleArn=ctx["role"],
                                                        RoleSessionName="chained"),
    "GetSessionToken": lambda iam, sts, ctx: sts.get_session_token(),
    "GetFederationToken": lambda iam, sts, ctx: sts.get_federation_token(Name="again",
                                                                         Policy=ALLOW_ALL),
    "GetAccessKeyInfo": lambda iam, sts, ctx: sts.get_access_key_info(AccessKeyId=ctx["key"]),
}

# (credential kind, call) -> what AWS answers.
TABLE = {
    ("AssumeRole", "iam"): OK,
    ("AssumeRole", "GetCallerIdentity"): OK,
    ("AssumeRole", "AssumeRole"): OK,  # role chaining
    ("AssumeRole", "GetSessionToken"): DENIED,
    ("AssumeRole", "GetFederationToken"): DENIED,
    ("AssumeRole", "GetAccessKeyInfo"): OK,
    ("GetSessionToken", "iam"): INVALID_TOKEN,  # no MFA in the GetSessionToken call
    ("GetSessionToken", "GetCallerIdentity"): OK,
    ("GetSessionToken", "AssumeRole"): OK,
    ("GetSessionToken", "GetSessionToken"): DENIED,
    ("GetSessionToken", "GetFederationToken"): DENIED,
    ("GetSessionToken", "GetAccessKeyInfo"): DENIED,
    ("GetSessionToken+MFA", "iam"): OK,
    ("GetSessionToken+MFA", "GetCallerIdentity"): OK,
    ("GetSessionToken+MFA", "AssumeRole"): OK,
    ("GetSessionToken+MFA", "GetSessionToken"): DENIED,
    ("GetSessionToken+MFA", "GetFederationToken"): DENIED,
    ("GetSessionToken+MFA", "GetAccessKeyInfo"): DENIED,
    ("GetFederationToken", "iam"): INVALID_TOKEN,
    ("GetFederationToken", "GetCallerIdentity"): OK,
    ("GetFederationToken", "AssumeRole"): DENIED,
    ("GetFederationToken", "GetSessionToken"): DENIED,
    ("GetFederationToken", "GetFederationToken"): DENIED,
    ("GetFederationToken", "GetAccessKeyInfo"): DENIED,
}


@pytest.fixture(scope="module")
def setup(iamd_server: IamdServer) -> dict[str, Any]:
    iam = iamd_server.client("iam")
    sts = iamd_server.client("sts")
    account = sts.get_caller_identity()["Account"]
    suffix = str(int(time.time() * 1000))[-8:]
    user = f"temp-creds-{suffix}"
    iam.create_user(UserName=user)
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    key = iam.create_access_key(UserName=user)["AccessKey"]
    role = iam.create_role(RoleName=f"temp-creds-role-{suffix}", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]}))
    iam.attach_role_policy(RoleName=role["Role"]["RoleName"],
                           PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
    totp = pyotp.TOTP(device["Base32StringSeed"].decode())
    now = time.time()
    iam.enable_mfa_device(UserName=user, SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp.at(now - 30), AuthenticationCode2=totp.at(now))
    user_sts = iamd_server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    issued = {
        "AssumeRole": user_sts.assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="s1"),
        "GetSessionToken": user_sts.get_session_token(),
        "GetSessionToken+MFA": user_sts.get_session_token(
            SerialNumber=device["SerialNumber"], TokenCode=totp.at(now + 30)),
        "GetFederationToken": user_sts.get_federation_token(Name="fed-user", Policy=ALLOW_ALL),
    }
    return {"issued": {k: v["Credentials"] for k, v in issued.items()},
            "ctx": {"role": role["Role"]["Arn"], "key": key["AccessKeyId"]}}


@pytest.mark.parametrize(("kind", "call"), sorted(TABLE))
def test_table_cell(iamd_server: IamdServer, setup: dict[str, Any], kind: str, call: str) -> None:
    credentials = setup["issued"][kind]
    args = (credentials["AccessKeyId"], credentials["SecretAccessKey"],
            credentials["SessionToken"])
    iam, sts = iamd_server.client("iam", *args), iamd_server.client("sts", *args)
    expected = TABLE[(kind, call)]
    if expected == OK:
        CALLS[call](iam, sts, setup["ctx"])
        return
    with pytest.raises(ClientError) as exc:
        CALLS[call](iam, sts, setup["ctx"])
    assert exc.value.response["Error"]["Code"] == expected
    if expected == INVALID_TOKEN:
        assert exc.value.response["Error"]["Message"] == (
            "The security token included in the request is invalid.")


def test_a_long_term_key_with_a_session_token_is_refused(iamd_server: IamdServer) -> None:
    session = iamd_server.client("sts").get_session_token()["Credentials"]
    mixed = iamd_server.client("sts", iamd_server.access_key_id, iamd_server.secret_access_key,
                               session["SessionToken"])
    with pytest.raises(ClientError) as exc:
        mixed.get_caller_identity()
    assert exc.value.response["Error"]["Code"] == INVALID_TOKEN


def test_get_access_key_info_answers_for_temporary_keys(iamd_server: IamdServer) -> None:
    sts = iamd_server.client("sts")
    account = sts.get_caller_identity()["Account"]
    temporary = sts.get_session_token()["Credentials"]["AccessKeyId"]
    assert temporary.startswith("ASIA")
    assert sts.get_access_key_info(AccessKeyId=temporary)["Account"] == account
    with pytest.raises(ClientError) as exc:
        sts.get_access_key_info(AccessKeyId="ASIA0000000000000000")
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_root_session_token_rows(tmp_path: Any) -> None:
    """The root user's GetSessionToken credentials: no IAM without MFA, no roles."""
    with IamdServer.start(tmp_path / "dev", dev=True) as server:
        root = server.client("sts", "AKIAROOTOFTHEDEVACCT", "unchecked-in-dev-mode")
        issued = root.get_session_token()["Credentials"]
        args = (issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])
        assert server.client("sts", *args).get_caller_identity()["Arn"].endswith(":root")
        with pytest.raises(ClientError) as exc:
            server.client("iam", *args).list_users()
        assert exc.value.response["Error"]["Code"] == INVALID_TOKEN
