"""Virtual MFA devices end to end with boto3, with real TOTP codes computed
here from the seed the server hands out: the device lifecycle, wrong and
reused codes, and MFA-authenticated sessions from GetSessionToken and
AssumeRole that a `"Bool": {"aws:MultiFactorAuthPresent": "true"}` policy
lets through while the same caller without MFA is refused.

Codes come from the step of a clock read once per test: the server accepts
a step either side of its own, and a step only once, so each use below takes
a later step than the one before it.
"""

from __future__ import annotations

import base64
import json
import struct
import time
from typing import Any

import pyotp
import pytest
from botocore.exceptions import ClientError

from iamd.store import open_store
from iamd.testing import IamdServer

BAD_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
NO_DEVICE = ("MultiFactorAuthentication failed, unable to validate MFA code.  Please verify "
             "your MFA serial number is valid and associated with this user.")
INVALID_AUTHENTICATION_CODE = "Authentication code for device is not valid."
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

MFA_ONLY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}},
    {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*",
     "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "300"}}}]}


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = exc.value.response
    return (str(response["Error"]["Code"]), str(response["Error"]["Message"]),
            int(response["ResponseMetadata"]["HTTPStatusCode"]))


class Token:
    """An authenticator app for one device: codes by TOTP step."""

    def __init__(self, seed: bytes) -> None:
        self.totp = pyotp.TOTP(seed.decode("ascii"))
        self.step = int(time.time()) // 30

    def code(self, offset: int = 0) -> str:
        code: str = self.totp.generate_otp(self.step + offset)
        return code

    def wrong_code(self) -> str:
        """A six-digit code that no step near now produces."""
        near = {self.code(offset) for offset in range(-3, 4)}
        return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in near)


def new_device(iam: Any, name: str, **extra: Any) -> tuple[str, Token]:
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, **extra)["VirtualMFADevice"]
    return device["SerialNumber"], Token(device["Base32StringSeed"])


def enabled_device(iam: Any, user: str, name: str) -> tuple[str, Token]:
    """A device enabled for `user` with the codes of steps -1 and 0."""
    serial, token = new_device(iam, name)
    iam.enable_mfa_device(UserName=user, SerialNumber=serial,
                          AuthenticationCode1=token.code(-1), AuthenticationCode2=token.code(0))
    return serial, token


def user_with_keys(iam: Any, name: str, policy: dict[str, Any] | None = None) -> tuple[str, str, str]:
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, key["AccessKeyId"], key["SecretAccessKey"]


def session_client(server: IamdServer, service: str, credentials: dict[str, Any]) -> Any:
    return server.client(service, credentials["AccessKeyId"], credentials["SecretAccessKey"],
                         credentials["SessionToken"])


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_virtual_device_lifecycle(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    account = iamd_server.client("sts").get_caller_identity()["Account"]
    user, name = unique("mfa-user"), unique("phone")
    iam.create_user(UserName=user)
    created = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, Path="/team/",
                                            Tags=[{"Key": "owner", "Value": user}])
    device = created["VirtualMFADevice"]
    serial = device["SerialNumber"]
    assert serial == f"arn:aws:iam::{account}:mfa/team/{name}"
    # boto3 hands back the base32 text of the seed (the wire carries it in base64).
    seed = device["Base32StringSeed"]
    assert isinstance(seed, bytes) and len(seed) == 64
    assert len(base64.b32decode(seed)) == 40
    width, height = png_size(device["QRCodePNG"])
    assert width == height and width > 100
    assert device["Tags"] == [{"Key": "owner", "Value": user}]
    token = Token(seed)

    with pytest.raises(ClientError) as exc:
        iam.create_virtual_mfa_device(VirtualMFADeviceName=name.upper())
    assert error(exc) == ("EntityAlreadyExists", "MFA device already exists.", 409)

    with pytest.raises(ClientError) as exc:
        iam.create_virtual_mfa_device(VirtualMFADeviceName="x" * 227)
    assert error(exc) == ("ValidationError", "1 validation error detected: Value at "
                          "'virtualMFADeviceName' failed to satisfy constraint: Member must have "
                          "length less than or equal to 226", 400)

    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert {"SerialNumber": serial} in unassigned
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []

    # Two wrong codes, then one wrong and one right, then the right ones swapped.
    for first, second in [(token.wrong_code(), token.wrong_code()),
                          (token.code(-1), token.wrong_code()),
                          (token.code(0), token.code(-1))]:
        with pytest.raises(ClientError) as exc:
            iam.enable_mfa_device(UserName=user, SerialNumber=serial,
                                  AuthenticationCode1=first, AuthenticationCode2=second)
        assert error(exc) == ("InvalidAuthenticationCode", INVALID_AUTHENTICATION_CODE, 403)
    iam.enable_mfa_device(UserName=user, SerialNumber=serial,
                          AuthenticationCode1=token.code(-1), AuthenticationCode2=token.code(0))

    listed = iam.list_mfa_devices(UserName=user)["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in listed] == [(user, serial)]
    assert iam.get_mfa_device(UserName=user, SerialNumber=serial)["UserName"] == user
    assigned = [d for d in iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
                if d["SerialNumber"] == serial]
    assert assigned[0]["User"]["UserName"] == user and "EnableDate" in assigned[0]
    assert serial not in [d["SerialNumber"] for d in
                          iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]]

    other = unique("other")
    iam.create_user(UserName=other)
    with pytest.raises(ClientError) as exc:
        iam.enable_mfa_device(UserName=other, SerialNumber=serial,
                              AuthenticationCode1=token.code(0), AuthenticationCode2=token.code(1))
    assert error(exc) == ("EntityAlreadyExists", "MFA Device is already in use.", 409)
    with pytest.raises(ClientError) as exc:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert error(exc) == ("DeleteConflict", "MFA VirtualDevice in use. Must deactivate first.", 409)
    with pytest.raises(ClientError) as exc:
        iam.deactivate_mfa_device(UserName=other, SerialNumber=serial)
    assert error(exc) == ("NoSuchEntity", "MFA Device invalid for user.", 404)

    # Resynchronizing takes two fresh consecutive codes, the second past the last one used.
    with pytest.raises(ClientError) as exc:
        iam.resync_mfa_device(UserName=user, SerialNumber=serial,
                              AuthenticationCode1=token.code(-1), AuthenticationCode2=token.code(0))
    assert error(exc)[0] == "InvalidAuthenticationCode"
    iam.resync_mfa_device(UserName=user, SerialNumber=serial,
                          AuthenticationCode1=token.code(0), AuthenticationCode2=token.code(1))

    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "team", "Value": "ops"}])
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["owner"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "team", "Value": "ops"}]

    iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)
    assert iam.list_mfa_devices(UserName=user)["MFADevices"] == []
    with pytest.raises(ClientError) as exc:
        iam.get_mfa_device(UserName=user, SerialNumber=serial)
    assert error(exc)[0] == "NoSuchEntity"
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    missing = f"MFA Device with serial number {serial} does not exist."
    for call in (lambda: iam.delete_virtual_mfa_device(SerialNumber=serial),
                 lambda: iam.list_mfa_device_tags(SerialNumber=serial),
                 lambda: iam.deactivate_mfa_device(UserName=user, SerialNumber=serial)):
        with pytest.raises(ClientError) as exc:
            call()
        assert error(exc) == ("NoSuchEntity", missing, 404)
    iam.delete_user(UserName=user)


def test_the_seed_is_never_kept_in_clear(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    """The seed leaves iamd once, in CreateVirtualMFADevice's answer: the
    store keeps it sealed, and the log never has it."""
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("sealed"))["VirtualMFADevice"]
    serial, seed = device["SerialNumber"], device["Base32StringSeed"]
    raw = base64.b32decode(seed)
    assert seed.decode() not in iamd_server.log_path.read_text(errors="replace")
    store = open_store(iamd_server.database
                       or f"sqlite:///{iamd_server.data_dir / 'iamd.sqlite3'}")
    try:
        with store.transaction(read_only=True) as tx:
            stored = tx.mfa_devices.get(serial)
    finally:
        store.close()
    assert stored is not None
    assert seed not in stored.seed_ciphertext and raw not in stored.seed_ciphertext
    if iamd_server.database is None:  # SQLite: the data directory holds the database
        for path in iamd_server.data_dir.rglob("*"):
            if path.is_file():
                content = path.read_bytes()
                assert seed not in content and raw not in content, path.name
    iam.delete_virtual_mfa_device(SerialNumber=serial)


def test_listing_virtual_devices_pages_through_every_device(iam: Any, unique: Any) -> None:
    prefix = unique("pages")
    serials = {new_device(iam, f"{prefix}-{n}")[0] for n in range(3)}
    seen: list[str] = []
    for page in iam.get_paginator("list_virtual_mfa_devices").paginate(
            AssignmentStatus="Any", PaginationConfig={"PageSize": 2}):
        seen.extend(d["SerialNumber"] for d in page["VirtualMFADevices"])
    assert serials <= set(seen) and len(seen) == len(set(seen))
    with pytest.raises(ClientError) as exc:
        iam.list_virtual_mfa_devices(Marker="not-a-marker")
    assert error(exc)[:2] == ("ValidationError", "Invalid Marker.")
    for serial in serials:
        iam.delete_virtual_mfa_device(SerialNumber=serial)


def test_a_user_lists_its_own_devices(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    user = unique("self")
    _, key_id, secret = user_with_keys(iam, user, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iam:ListMFADevices", "iam:CreateVirtualMFADevice",
                                       "iam:EnableMFADevice"],
         "Resource": ["arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::*:mfa/${aws:username}"]}]})
    own = iamd_server.client("iam", key_id, secret)
    serial, token = new_device(own, user)
    with pytest.raises(ClientError) as exc:
        own.create_virtual_mfa_device(VirtualMFADeviceName=unique("not-mine"))
    assert error(exc)[0] == "AccessDenied"
    own.enable_mfa_device(UserName=user, SerialNumber=serial,
                          AuthenticationCode1=token.code(-1), AuthenticationCode2=token.code(0))
    assert [d["SerialNumber"] for d in own.list_mfa_devices()["MFADevices"]] == [serial]


def test_session_token_with_mfa(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    user = unique("mfa-session")
    _, key_id, secret = user_with_keys(iam, user, MFA_ONLY)
    serial, token = enabled_device(iam, user, unique("session-token"))
    sts = iamd_server.client("sts", key_id, secret)

    # Long-term keys carry no MFA: the condition key is absent and Bool fails.
    with pytest.raises(ClientError) as exc:
        iamd_server.client("iam", key_id, secret).list_users()
    assert error(exc)[0] == "AccessDenied"
    # GetSessionToken without MFA: such credentials may not call IAM at all.
    plain = sts.get_session_token()["Credentials"]
    with pytest.raises(ClientError) as exc:
        session_client(iamd_server, "iam", plain).list_users()
    assert error(exc)[0] == "InvalidClientTokenId"

    # The codes of enabling are spent; a wrong one fails; the next step's works once.
    for code in (token.code(0), token.code(-1), token.wrong_code()):
        with pytest.raises(ClientError) as exc:
            sts.get_session_token(SerialNumber=serial, TokenCode=code)
        assert error(exc) == ("AccessDenied", BAD_CODE, 403)
    with_mfa = sts.get_session_token(SerialNumber=serial, TokenCode=token.code(1),
                                     DurationSeconds=900)["Credentials"]
    with pytest.raises(ClientError) as exc:
        sts.get_session_token(SerialNumber=serial, TokenCode=token.code(1))
    assert error(exc) == ("AccessDenied", BAD_CODE, 403)

    session = session_client(iamd_server, "iam", with_mfa)
    session.list_users()
    session.get_user(UserName=user)  # aws:MultiFactorAuthAge is a few seconds

    # A device that is not the caller's, or no device at all, cannot be validated.
    other = unique("someone-else")
    iam.create_user(UserName=other)
    others, other_token = enabled_device(iam, other, unique("not-yours"))
    for serial_number, code in ((others, other_token.code(1)),
                                (f"{serial}-gone", token.code(1))):
        with pytest.raises(ClientError) as exc:
            sts.get_session_token(SerialNumber=serial_number, TokenCode=code)
        assert error(exc) == ("AccessDenied", NO_DEVICE, 403)


def test_role_that_requires_mfa(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    account = iamd_server.client("sts").get_caller_identity()["Account"]
    role_name, user = unique("NeedsMFA"), unique("mfa-assumer")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
         "Action": "sts:AssumeRole",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
    role_arn = iam.create_role(RoleName=role_name,
                               AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role_name, PolicyName="mfa-only", PolicyDocument=json.dumps(MFA_ONLY))
    user_arn, key_id, secret = user_with_keys(iam, user, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]})
    serial, token = enabled_device(iam, user, unique("assume"))
    sts = iamd_server.client("sts", key_id, secret)

    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="no-mfa")
    code, message, _ = error(exc)
    assert code == "AccessDenied"
    assert message.startswith(f"User: {user_arn} is not authorized to perform: sts:AssumeRole")
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="bad", SerialNumber=serial,
                        TokenCode=token.wrong_code())
    assert error(exc) == ("AccessDenied", BAD_CODE, 403)

    assumed = sts.assume_role(RoleArn=role_arn, RoleSessionName="with-mfa", SerialNumber=serial,
                              TokenCode=token.code(1))
    session = session_client(iamd_server, "iam", assumed["Credentials"])
    session.list_users()  # the role session carries the MFA it was assumed with
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role_arn, RoleSessionName="again", SerialNumber=serial,
                        TokenCode=token.code(1))
    assert error(exc) == ("AccessDenied", BAD_CODE, 403)

    # The other way AWS's CLI users take: an MFA session token first, then the
    # role without a code. The trust sees the MFA, and so does the role session.
    second, second_key, second_secret = user_with_keys(iam, unique("mfa-session-first"), {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]})
    serial, token = enabled_device(iam, second.rsplit("/", 1)[1], unique("session-first"))
    sts = iamd_server.client("sts", second_key, second_secret)
    with_mfa = sts.get_session_token(SerialNumber=serial, TokenCode=token.code(1),
                                     DurationSeconds=900)["Credentials"]
    via_session = session_client(iamd_server, "sts", with_mfa).assume_role(
        RoleArn=role_arn, RoleSessionName="via-session")
    role_session = session_client(iamd_server, "iam", via_session["Credentials"])
    role_session.list_users()
    role_session.get_user(UserName=user)  # aws:MultiFactorAuthAge from the code: seconds
    plain = sts.get_session_token(DurationSeconds=900)["Credentials"]
    with pytest.raises(ClientError) as exc:
        session_client(iamd_server, "sts", plain).assume_role(
            RoleArn=role_arn, RoleSessionName="no-mfa-session")
    assert error(exc)[0] == "AccessDenied"
