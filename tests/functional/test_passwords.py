"""Console passwords end to end with boto3: login profiles, the account password
policy, ChangePassword by a user with its own key, reuse prevention, and the
promise that a password never comes back in a response, a log line or the
database file.

The password policy is the account's, shared by every test on the session's
server: a test that sets one removes it when it ends (`policy` fixture).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from argon2 import PasswordHasher
from botocore.config import Config
from botocore.exceptions import ClientError

from iamd.model.entities import PasswordPolicy
from iamd.service.passwords import password_expired, verify_console_password
from iamd.store import open_store
from iamd.testing import IamdServer

ALLOW_OWN_PASSWORD = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["iam:ChangePassword", "iam:GetLoginProfile"],
     "Resource": "arn:aws:iam::*:user/${aws:username}"}]}

VIOLATION = "Password does not conform to the account password policy."


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = exc.value.response
    return (str(response["Error"]["Code"]), str(response["Error"]["Message"]),
            int(response["ResponseMetadata"]["HTTPStatusCode"]))


def strong() -> str:
    """A password AWS's default policy and the strict policies here accept, never seen before."""
    return f"Pw1!{secrets.token_hex(8)}"


@pytest.fixture
def policy(iam: Any) -> Iterator[Callable[..., None]]:
    """Set the account password policy for one test; removed afterwards."""
    def put(**fields: Any) -> None:
        iam.update_account_password_policy(**fields)
    yield put
    with contextlib.suppress(ClientError):
        iam.delete_account_password_policy()


class Responses:
    """Every raw HTTP response body a client receives, errors included."""

    def __init__(self, client: Any) -> None:
        self.bodies: list[bytes] = []
        client.meta.events.register("after-call.iam", self._record)

    def _record(self, http_response: Any, **_: Any) -> None:
        self.bodies.append(bytes(http_response.content))

    def mention(self, secret: str) -> bool:
        return any(secret.encode() in body for body in self.bodies)


def user_with_key(iam: Any, name: str, policy_document: dict[str, Any] | None = None) -> tuple[str, str]:
    iam.create_user(UserName=name)
    if policy_document is not None:
        iam.put_user_policy(UserName=name, PolicyName="own-password",
                            PolicyDocument=json.dumps(policy_document))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def unvalidated_iam(server: IamdServer) -> Any:
    """A client that sends out-of-range values instead of refusing them itself."""
    return boto3.client("iam", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=server.access_key_id,
                        aws_secret_access_key=server.secret_access_key,
                        config=Config(parameter_validation=False, retries={"max_attempts": 1}))


# --- login profiles ---------------------------------------------------------


def test_login_profile_lifecycle(iam: Any, unique: Any) -> None:
    name = unique("console")
    iam.create_user(UserName=name)
    created = iam.create_login_profile(UserName=name, Password=strong(),
                                       PasswordResetRequired=True)["LoginProfile"]
    assert set(created) == {"UserName", "CreateDate", "PasswordResetRequired"}
    assert created["UserName"] == name and created["PasswordResetRequired"] is True
    got = iam.get_login_profile(UserName=name.upper())["LoginProfile"]  # names ignore case
    assert got == created
    iam.update_login_profile(UserName=name, PasswordResetRequired=False)
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False
    # A new password keeps the flag unless told, and CreateDate stays the first password's.
    iam.update_login_profile(UserName=name, Password=strong())
    after = iam.get_login_profile(UserName=name)["LoginProfile"]
    assert after["PasswordResetRequired"] is False and after["CreateDate"] == created["CreateDate"]
    iam.update_login_profile(UserName=name, Password=strong(), PasswordResetRequired=True)
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is True
    iam.delete_login_profile(UserName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_login_profile(UserName=name)
    assert error(exc) == ("NoSuchEntity", f"Login Profile for User {name} cannot be found.", 404)
    iam.delete_user(UserName=name)


def test_create_defaults_to_no_reset(iam: Any, unique: Any) -> None:
    name = unique("noreset")
    iam.create_user(UserName=name)
    created = iam.create_login_profile(UserName=name, Password=strong())["LoginProfile"]
    assert created["PasswordResetRequired"] is False


def test_login_profile_errors(iam: Any, unique: Any) -> None:
    ghost = unique("ghost")
    calls: list[tuple[str, dict[str, Any]]] = [
        ("create_login_profile", {"Password": strong()}), ("get_login_profile", {}),
        ("update_login_profile", {"Password": strong()}), ("delete_login_profile", {})]
    for method, extra in calls:
        with pytest.raises(ClientError) as exc:
            getattr(iam, method)(UserName=ghost, **extra)
        assert error(exc) == ("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404)

    name = unique("plain")  # a user without a login profile
    iam.create_user(UserName=name)
    calls = [("get_login_profile", {}), ("update_login_profile", {"Password": strong()}),
             ("update_login_profile", {"PasswordResetRequired": True}),
             ("delete_login_profile", {})]
    for method, extra in calls:
        with pytest.raises(ClientError) as exc:
            getattr(iam, method)(UserName=name, **extra)
        assert error(exc) == ("NoSuchEntity", f"Login Profile for User {name} cannot be found.", 404)

    iam.create_login_profile(UserName=name, Password=strong())
    with pytest.raises(ClientError) as exc:
        iam.create_login_profile(UserName=name.upper(), Password=strong())
    assert error(exc) == ("EntityAlreadyExists", f"Login Profile for user {name} already exists.", 409)


def test_without_user_name_the_caller_is_meant(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    name = unique("myself")
    key_id, secret = user_with_key(iam, name, {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:*LoginProfile",
         "Resource": "arn:aws:iam::*:user/${aws:username}"}]})
    own = iamd_server.client("iam", key_id, secret)
    assert own.create_login_profile(Password=strong())["LoginProfile"]["UserName"] == name
    assert own.get_login_profile()["LoginProfile"]["UserName"] == name
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["UserName"] == name
    own.delete_login_profile()
    with pytest.raises(ClientError) as exc:
        iam.get_login_profile(UserName=name)
    assert error(exc)[0] == "NoSuchEntity"


def test_delete_user_with_login_profile_is_refused(iam: Any, unique: Any) -> None:
    name = unique("leaving")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=strong())
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=name)
    assert error(exc) == ("DeleteConflict", "Cannot delete entity, must delete login profile first.", 409)
    iam.delete_login_profile(UserName=name)
    iam.delete_user(UserName=name)


# --- password policies --------------------------------------------------------


def test_default_policy_without_a_custom_one(iam: Any, unique: Any) -> None:
    name = unique("defaults")
    iam.create_user(UserName=name)
    # At least 8 characters and three of the four character types.
    for weak in ("Sh0rt!x", "alllowercaseletters", "lowerUPPERonly", "12345678!!"):
        with pytest.raises(ClientError) as exc:
            iam.create_login_profile(UserName=name, Password=weak)
        assert error(exc) == ("PasswordPolicyViolation", VIOLATION, 400)
    iam.create_login_profile(UserName=name, Password="lowerUPPER1")
    with pytest.raises(ClientError) as exc:
        iam.update_login_profile(UserName=name, Password="short")
    assert error(exc)[0] == "PasswordPolicyViolation"


def test_custom_policy_each_requirement(iam: Any, unique: Any, policy: Callable[..., None]) -> None:
    policy(MinimumPasswordLength=12, RequireSymbols=True, RequireNumbers=True,
           RequireUppercaseCharacters=True, RequireLowercaseCharacters=True)
    name = unique("strict")
    iam.create_user(UserName=name)
    for weak in ("Ab1!short",           # too short
                 "abcdefgh1!xyz",       # no uppercase
                 "ABCDEFGH1!XYZ",       # no lowercase
                 "Abcdefghij!xyz",      # no digit
                 "Abcdefghij1xyz",      # no symbol
                 "Abcdefghij1xyz~"):    # "~" is not one of AWS's symbols
        with pytest.raises(ClientError) as exc:
            iam.create_login_profile(UserName=name, Password=weak)
        assert error(exc) == ("PasswordPolicyViolation", VIOLATION, 400)
    iam.create_login_profile(UserName=name, Password="Abcdefghij1'xyz")
    with pytest.raises(ClientError) as exc:
        iam.update_login_profile(UserName=name, Password="abcdefghij1'xyz")
    assert error(exc) == ("PasswordPolicyViolation", VIOLATION, 400)
    # A lenient custom policy replaces the default one: six characters of one kind will do.
    policy()
    iam.update_login_profile(UserName=name, Password="aaaaaa")


def test_account_password_policy_lifecycle(iamd_server: IamdServer, iam: Any,
                                           policy: Callable[..., None]) -> None:
    account = iamd_server.client("sts").get_caller_identity()["Account"]
    if _has_policy(iam):
        iam.delete_account_password_policy()
    with pytest.raises(ClientError) as exc:
        iam.get_account_password_policy()
    assert error(exc) == ("NoSuchEntity",
                          f"The Password Policy with domain name {account} cannot be found.", 404)
    with pytest.raises(ClientError) as exc:
        iam.delete_account_password_policy()
    assert error(exc) == ("NoSuchEntity", "The account policy with name PasswordPolicy cannot be found.", 404)

    policy()
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 6, "RequireSymbols": False, "RequireNumbers": False,
        "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False, "ExpirePasswords": False}
    policy(AllowUsersToChangePassword=True, HardExpiry=True, MaxPasswordAge=60,
           MinimumPasswordLength=10, PasswordReusePrevention=3, RequireLowercaseCharacters=True,
           RequireNumbers=True, RequireSymbols=True, RequireUppercaseCharacters=True)
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "AllowUsersToChangePassword": True, "ExpirePasswords": True, "HardExpiry": True,
        "MaxPasswordAge": 60, "MinimumPasswordLength": 10, "PasswordReusePrevention": 3,
        "RequireLowercaseCharacters": True, "RequireNumbers": True, "RequireSymbols": True,
        "RequireUppercaseCharacters": True}
    # No partial updates: what is left out goes back to its default.
    policy(RequireNumbers=True)
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 6, "RequireSymbols": False, "RequireNumbers": True,
        "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False, "ExpirePasswords": False}
    iam.delete_account_password_policy()
    with pytest.raises(ClientError) as exc:
        iam.get_account_password_policy()
    assert error(exc)[0] == "NoSuchEntity"


def _has_policy(iam: Any) -> bool:
    try:
        iam.get_account_password_policy()
    except ClientError:
        return False
    return True


def test_policy_ranges_are_the_models(iamd_server: IamdServer, policy: Callable[..., None]) -> None:
    raw = unvalidated_iam(iamd_server)
    for field, value, bound in (("MinimumPasswordLength", 5, "greater than or equal to 6"),
                                ("MinimumPasswordLength", 129, "less than or equal to 128"),
                                ("MaxPasswordAge", 0, "greater than or equal to 1"),
                                ("MaxPasswordAge", 1096, "less than or equal to 1095"),
                                ("PasswordReusePrevention", 0, "greater than or equal to 1"),
                                ("PasswordReusePrevention", 25, "less than or equal to 24")):
        with pytest.raises(ClientError) as exc:
            raw.update_account_password_policy(**{field: value})
        code, message, status = error(exc)
        assert (code, status) == ("ValidationError", 400)
        assert f"Member must have value {bound}" in message
    policy(MinimumPasswordLength=128, MaxPasswordAge=1095, PasswordReusePrevention=24)
    got = raw.get_account_password_policy()["PasswordPolicy"]
    assert (got["MinimumPasswordLength"], got["MaxPasswordAge"], got["PasswordReusePrevention"]) == (
        128, 1095, 24)


# --- ChangePassword -----------------------------------------------------------


def test_user_changes_own_password_with_own_key(iamd_server: IamdServer, iam: Any, unique: Any,
                                                policy: Callable[..., None]) -> None:
    """AllowUsersToChangePassword lets every IAM user change its own password and read
    the policy, with no identity policy of its own."""
    policy(AllowUsersToChangePassword=True, MinimumPasswordLength=10, RequireNumbers=True)
    name = unique("self")
    key_id, secret = user_with_key(iam, name)
    first = strong()
    iam.create_login_profile(UserName=name, Password=first, PasswordResetRequired=True)
    own = iamd_server.client("iam", key_id, secret)
    assert own.get_account_password_policy()["PasswordPolicy"]["AllowUsersToChangePassword"] is True

    with pytest.raises(ClientError) as exc:
        own.change_password(OldPassword=first + "x", NewPassword=strong())
    assert error(exc) == ("AccessDenied", "The old password was incorrect.", 403)
    with pytest.raises(ClientError) as exc:
        own.change_password(OldPassword=first, NewPassword="nodigitshere!")
    assert error(exc) == ("PasswordPolicyViolation", VIOLATION, 400)

    second = strong()
    own.change_password(OldPassword=first, NewPassword=second)
    # The reset demanded at creation is satisfied by the change.
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False
    with pytest.raises(ClientError) as exc:
        own.change_password(OldPassword=first, NewPassword=strong())
    assert error(exc)[1] == "The old password was incorrect."
    own.change_password(OldPassword=second, NewPassword=strong())
    # The grant covers ChangePassword and the policy, nothing else.
    with pytest.raises(ClientError) as exc:
        own.get_login_profile()
    assert error(exc)[0] == "AccessDenied"


def test_change_password_needs_a_permission(iamd_server: IamdServer, iam: Any, unique: Any,
                                            policy: Callable[..., None]) -> None:
    name = unique("noperm")
    key_id, secret = user_with_key(iam, name)
    password = strong()
    iam.create_login_profile(UserName=name, Password=password)
    own = iamd_server.client("iam", key_id, secret)
    arn = iam.get_user(UserName=name)["User"]["Arn"]
    with pytest.raises(ClientError) as exc:
        own.change_password(OldPassword=password, NewPassword=strong())
    assert error(exc) == ("AccessDenied",
                          f"User: {arn} is not authorized to perform: iam:ChangePassword on resource: "
                          f"user {name} because no identity-based policy allows the iam:ChangePassword action",
                          403)
    # Without the account's grant a policy of the user's own will do.
    iam.put_user_policy(UserName=name, PolicyName="own-password",
                        PolicyDocument=json.dumps(ALLOW_OWN_PASSWORD))
    newer = strong()
    own.change_password(OldPassword=password, NewPassword=newer)
    assert own.get_login_profile()["LoginProfile"]["UserName"] == name
    # An explicit deny wins over the account's grant.
    policy(AllowUsersToChangePassword=True)
    iam.put_user_policy(UserName=name, PolicyName="own-password", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": "iam:ChangePassword", "Resource": "*"}]}))
    with pytest.raises(ClientError) as exc:
        own.change_password(OldPassword=newer, NewPassword=strong())
    code, message, _ = error(exc)
    assert code == "AccessDenied" and "with an explicit deny in an identity-based policy" in message


def test_change_password_without_a_login_profile(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    name = unique("keysonly")
    key_id, secret = user_with_key(iam, name, ALLOW_OWN_PASSWORD)
    own = iamd_server.client("iam", key_id, secret)
    with pytest.raises(ClientError) as exc:
        own.change_password(OldPassword=strong(), NewPassword=strong())
    assert error(exc) == ("NoSuchEntity", f"Login Profile for User {name} cannot be found.", 404)
    with pytest.raises(ClientError) as exc:
        own.get_login_profile()
    assert error(exc) == ("NoSuchEntity", f"Login Profile for User {name} cannot be found.", 404)


def test_change_password_from_a_role_session(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    """Only an IAM user has a password of its own to change."""
    account = iamd_server.client("sts").get_caller_identity()["Account"]
    role = unique("Changer")
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]}),
    )["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="change", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "*"}]}))
    credentials = iamd_server.client("sts").assume_role(RoleArn=role_arn,
                                                        RoleSessionName="changer")["Credentials"]
    session = iamd_server.client("iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                                 credentials["SessionToken"])
    with pytest.raises(ClientError) as exc:
        session.change_password(OldPassword=strong(), NewPassword=strong())
    assert error(exc)[0] == "InvalidUserType"


def test_change_password_as_root(tmp_path: Path) -> None:
    with IamdServer.start(tmp_path / "dev", dev=True) as server:
        root = server.client("iam", "AKIAANYTHINGATALL123", "not-checked")
        with pytest.raises(ClientError) as exc:
            root.change_password(OldPassword=strong(), NewPassword=strong())
        assert error(exc)[0] == "InvalidUserType"
        # The root user names the user it means.
        with pytest.raises(ClientError) as exc:
            root.get_login_profile()
        assert error(exc) == ("ValidationError",
                              "Must specify userName when calling with non-User credentials", 400)


def test_reuse_prevention(iamd_server: IamdServer, iam: Any, unique: Any,
                          policy: Callable[..., None]) -> None:
    """With PasswordReusePrevention 2 the current password and the one before are refused."""
    policy(AllowUsersToChangePassword=True, PasswordReusePrevention=2)
    name = unique("reuse")
    key_id, secret = user_with_key(iam, name)
    own = iamd_server.client("iam", key_id, secret)
    p1, p2, p3 = strong(), strong(), strong()
    iam.create_login_profile(UserName=name, Password=p1)
    own.change_password(OldPassword=p1, NewPassword=p2)
    for again in (p2, p1):
        with pytest.raises(ClientError) as exc:
            own.change_password(OldPassword=p2, NewPassword=again)
        assert error(exc) == ("PasswordPolicyViolation", VIOLATION, 400)
    own.change_password(OldPassword=p2, NewPassword=p3)
    # An administrator's reset is held to the same rule ...
    with pytest.raises(ClientError) as exc:
        iam.update_login_profile(UserName=name, Password=p2)
    assert error(exc) == ("PasswordPolicyViolation", VIOLATION, 400)
    # ... and p1 is three passwords back now, beyond what is remembered.
    iam.update_login_profile(UserName=name, Password=p1)
    own.change_password(OldPassword=p1, NewPassword=p2)


def test_reuse_is_allowed_without_prevention(iamd_server: IamdServer, iam: Any, unique: Any,
                                             policy: Callable[..., None]) -> None:
    policy(AllowUsersToChangePassword=True)
    name = unique("same")
    key_id, secret = user_with_key(iam, name)
    password = strong()
    iam.create_login_profile(UserName=name, Password=password)
    iamd_server.client("iam", key_id, secret).change_password(OldPassword=password,
                                                              NewPassword=password)


# --- secrets ------------------------------------------------------------------


def test_passwords_never_leave_the_server(iamd_server: IamdServer, iam: Any, unique: Any,
                                          policy: Callable[..., None]) -> None:
    policy(AllowUsersToChangePassword=True, MinimumPasswordLength=8, RequireSymbols=True,
           PasswordReusePrevention=5)
    name = unique("secretive")
    key_id, secret = user_with_key(iam, name)
    own = iamd_server.client("iam", key_id, secret)
    admin_seen, own_seen = Responses(iam), Responses(own)
    first, second, refused, wrong = strong(), strong(), "nosymbol" + secrets.token_hex(8), strong()
    iam.create_login_profile(UserName=name, Password=first, PasswordResetRequired=True)
    iam.get_login_profile(UserName=name)
    with pytest.raises(ClientError):
        iam.create_login_profile(UserName=name, Password=second)  # already exists
    with pytest.raises(ClientError):
        iam.update_login_profile(UserName=name, Password=refused)
    with pytest.raises(ClientError):
        own.change_password(OldPassword=wrong, NewPassword=second)
    with pytest.raises(ClientError):
        own.change_password(OldPassword=first, NewPassword=first)  # reuse
    with pytest.raises(ClientError):
        unvalidated_iam(iamd_server).change_password(OldPassword=first, NewPassword="x" * 129)
    own.change_password(OldPassword=first, NewPassword=second)
    iam.get_user(UserName=name)
    everything = (first, second, refused, wrong)
    assert admin_seen.bodies and own_seen.bodies
    for password in everything:
        assert not admin_seen.mention(password) and not own_seen.mention(password)
        assert password not in iamd_server.log_path.read_text(errors="replace")
    if iamd_server.database is None:  # SQLite: the data directory holds the database
        for path in iamd_server.data_dir.rglob("*"):
            if path.is_file():
                content = path.read_bytes()
                for password in everything:
                    assert password.encode() not in content, path.name
    iam.delete_login_profile(UserName=name)


# --- the console's check ------------------------------------------------------


def test_console_password_check(iamd_server: IamdServer, iam: Any, unique: Any) -> None:
    """verify_console_password on the server's own store, with passwords set through the API."""
    account = iamd_server.client("sts").get_caller_identity()["Account"]
    name, keys_only = unique("signin"), unique("nosignin")
    password = strong()
    iam.create_user(UserName=name)
    iam.create_user(UserName=keys_only)
    iam.create_login_profile(UserName=name, Password=password)
    assert "PasswordLastUsed" not in iam.get_user(UserName=name)["User"]
    store = open_store(iamd_server.database or f"sqlite:///{iamd_server.data_dir / 'iamd.sqlite3'}")
    try:
        with store.transaction() as tx:
            user = tx.users.get_by_name(account, name)
            other = tx.users.get_by_name(account, keys_only)
            assert user is not None and other is not None
            now = datetime.now(UTC).replace(microsecond=0)
            assert not verify_console_password(tx, user, password + "x", now)
            assert not verify_console_password(tx, user, password.upper(), now)
            assert not verify_console_password(tx, other, password, now)
            assert not verify_console_password(tx, None, password, now)
            # A hash made with weaker parameters is replaced on the next good sign-in.
            profile = tx.login_profiles.get(user.id)
            assert profile is not None
            weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(password)
            tx.login_profiles.update(dataclasses.replace(profile, password_hash=weak))
        with store.transaction() as tx:
            assert verify_console_password(tx, user, password, now)
        with store.transaction(read_only=True) as tx:
            stored = tx.login_profiles.get(user.id)
            assert stored is not None and stored.password_hash != weak
            assert stored.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
            policy = PasswordPolicy(account_id=account, minimum_password_length=6,
                                    require_symbols=False, require_numbers=False,
                                    require_uppercase_characters=False,
                                    require_lowercase_characters=False,
                                    allow_users_to_change_password=False, max_password_age=30,
                                    password_reuse_prevention=None, hard_expiry=False)
            changed = stored.password_changed
            assert not password_expired(stored, None, changed + timedelta(days=3650))
            assert not password_expired(stored, policy, changed + timedelta(days=29))
            assert password_expired(stored, policy, changed + timedelta(days=30))
    finally:
        store.close()
    assert iam.get_user(UserName=name)["User"]["PasswordLastUsed"] == now
    assert "PasswordLastUsed" not in iam.get_user(UserName=keys_only)["User"]
