"""First start: the account, its administrator, and the AWS managed policies.

On an empty store iamd creates an account (a random 12-digit id unless one
is given), loads the AWS managed policies it ships under
`arn:aws:iam::aws:policy/...`, and creates an IAM user `admin` in a group
`Administrators` that has `AdministratorAccess` attached, with one access
key and, on first start, a console password that must be changed at first
sign-in. The key's secret and the password are written once, to
`admin-credentials.csv` (mode 0600, the columns of the console's "Download
.csv", with the account's sign-in link), and never logged.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from iamd.model.entities import AccessKey, Account, Group, PrincipalKind, User
from iamd.service import arns, ids
from iamd.service.admin_credentials import (
    ADMIN_USER,
    AdminCredentials,
    write_credentials_file,
)
from iamd.service.console_signin import generate_password
from iamd.service.passwords import new_login_profile
from iamd.service.runtime import Runtime
from iamd.store.interface import Transaction
from iamd.store.secrets import access_key_associated_data

AWS_ACCOUNT = "aws"
ADMIN_GROUP = "Administrators"
ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


@cache
def aws_managed_policies() -> list[dict[str, Any]]:
    text = resources.files("iamd.service.data").joinpath("aws_managed_policies.json").read_text()
    policies: list[dict[str, Any]] = json.loads(text)["policies"]
    return policies


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def load_aws_managed_policies(tx: Transaction) -> None:
    for entry in aws_managed_policies():
        if tx.policies.get_by_arn(entry["Arn"]) is not None:
            continue
        created = _parse_time(entry.get("CreateDate", "2015-02-06T18:39:46Z"))
        policy_id = entry.get("PolicyId") or ids.unique_id(ids.POLICY)
        tx.policies.create(policy_id=policy_id, account_id=AWS_ACCOUNT, path=entry.get("Path", "/"),
                           name=entry["PolicyName"], arn=entry["Arn"],
                           document=json.dumps(entry["Document"], indent=4), created=created,
                           description=entry.get("Description"))


def create_account(runtime: Runtime, account_id: str | None = None, name: str = "",
                   email: str | None = None, access_key_id: str | None = None,
                   secret_access_key: str | None = None,
                   console_password: str | None = None) -> AdminCredentials:
    """A new account with its admin user, group and key, in one transaction."""
    now = datetime.now(UTC)
    account_id = account_id or ids.account_id()
    key_id = access_key_id or ids.access_key_id(account=account_id)
    secret = secret_access_key or ids.secret_access_key()
    with runtime.store.transaction() as tx:
        load_aws_managed_policies(tx)
        tx.accounts.insert(Account(account_id=account_id, name=name or f"iamd-{account_id}",
                                   email=email, alias=None, created=now))
        group = Group(id=ids.unique_id(ids.GROUP), account_id=account_id, path="/", name=ADMIN_GROUP,
                      arn=arns.entity_arn("group", account_id, "/", ADMIN_GROUP), created=now)
        tx.groups.insert(group)
        admin_policy = tx.policies.get_by_arn(ADMIN_POLICY_ARN)
        assert admin_policy is not None, "AdministratorAccess ships with iamd"
        tx.attachments.attach(PrincipalKind.GROUP, group.id, admin_policy.id)
        user = User(id=ids.unique_id(ids.USER), account_id=account_id, path="/", name=ADMIN_USER,
                    arn=arns.entity_arn("user", account_id, "/", ADMIN_USER), created=now)
        tx.users.insert(user)
        tx.memberships.add(group.id, user.id)
        sealed = runtime.secrets.encrypt(secret.encode(), access_key_associated_data(key_id))
        tx.access_keys.insert(AccessKey(id=key_id, user_id=user.id, account_id=account_id,
                                        secret_ciphertext=sealed, status="Active", created=now))
        if console_password:
            tx.login_profiles.insert(new_login_profile(user, console_password, now,
                                                       reset_required=True))
    return AdminCredentials(account_id, ADMIN_USER, key_id, secret,
                            password=console_password or "")


def initialize(runtime: Runtime, account_id: str | None = None,
               environ: dict[str, str] | None = None) -> AdminCredentials | None:
    """Set up an empty store; None when it already holds an account."""
    env = os.environ if environ is None else environ
    with runtime.store.transaction(read_only=True) as tx:
        if tx.accounts.list(limit=1).items:
            return None
    credentials = create_account(
        runtime, account_id or env.get("IAMD_ACCOUNT_ID") or runtime.default_account_id or None,
        access_key_id=env.get("IAMD_ADMIN_ACCESS_KEY_ID"),
        secret_access_key=env.get("IAMD_ADMIN_SECRET_ACCESS_KEY"),
        console_password=generate_password())
    credentials = replace(credentials, signin_link=signin_link(runtime, credentials.account_id))
    path = write_credentials_file(runtime.data_dir, credentials)
    return replace(credentials, path=path)


def signin_link(runtime: Runtime, account: str) -> str:
    """The console sign-in link of an account (its id or alias)."""
    return f"{runtime.public_url}/signin/{account}"


def list_accounts(runtime: Runtime) -> list[Account]:
    accounts: list[Account] = []
    after = None
    with runtime.store.transaction(read_only=True) as tx:
        while True:
            page = tx.accounts.list(after=after, limit=100)
            accounts += page.items
            if page.marker is None:
                return accounts
            after = page.marker


def add_account(runtime: Runtime, name: str = "", email: str | None = None,
                account_id: str | None = None) -> AdminCredentials:
    """Another account, with its own admin; its credentials go to a 0600 file."""
    credentials = create_account(runtime, account_id, name=name, email=email)
    credentials = replace(credentials, signin_link=signin_link(runtime, credentials.account_id))
    path = write_credentials_file(runtime.data_dir, credentials,
                                  f"account-{credentials.account_id}-admin-credentials.csv")
    return replace(credentials, path=path)
