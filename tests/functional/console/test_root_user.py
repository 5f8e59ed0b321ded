"""The root user in the console: its password (set with the CLI), MFA and access keys."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pyotp
import pytest

from iamd.testing import IamdServer

from .browser import assert_accessible, shoot

ROOT_EMAIL = "owner@example.com"
ROOT_PASSWORD = "R00t-Owner-Passw0rd!"


def _set_root_password(server: IamdServer, password: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "iamd.cli.main", "account", "set-root-password",
         "--data-dir", str(server.data_dir), *extra],
        input=f"{password}\n{password}\n", capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def root_ready(console_server: IamdServer) -> None:
    done = _set_root_password(console_server, ROOT_PASSWORD, "--root-email", ROOT_EMAIL)
    assert done.returncode == 0, done.stderr


def root_sign_in(page: Any, server: IamdServer, password: str = ROOT_PASSWORD) -> None:
    page.goto(f"{server.endpoint}/signin?root=1")
    page.get_by_label("Root user email address").fill(ROOT_EMAIL)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_root_password_is_refused_when_weak(console_server: IamdServer, root_ready: None) -> None:
    weak = _set_root_password(console_server, "short")
    assert weak.returncode != 0 and "8 to 128 characters" in weak.stderr


def test_root_signs_in_assigns_mfa_creates_a_key_and_signs_in_with_mfa(
        console_server: IamdServer, browser: Any, root_ready: None) -> None:
    context = browser.new_context()
    page = context.new_page()
    root_sign_in(page, console_server)
    page.wait_for_url("**/console")
    assert page.get_by_text(f"root @ {console_server.account_id}").is_visible()
    mfa_check = page.locator("li", has_text="Activate MFA on your root account")
    assert "Action needed" in mfa_check.inner_text()

    page.get_by_role("link", name="Security credentials").click()
    assert_accessible(page)
    shoot(page, "root-security-credentials")
    page.get_by_role("button", name="Assign MFA device").click()
    assert page.locator(".qr svg").is_visible()
    assert_accessible(page)
    shoot(page, "mfa-assign")
    secret = page.locator("#mfa-secret").text_content() or ""
    totp = pyotp.TOTP(secret.strip())
    now = time.time()
    page.get_by_label("MFA code 1").fill(totp.at(now - 30))
    page.get_by_label("MFA code 2").fill(totp.at(now))
    page.get_by_role("button", name="Add MFA").click()
    page.wait_for_url("**/console/security-credentials?notice=mfa-assigned")
    iam = console_server.client("iam")
    assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 1

    page.get_by_role("button", name="Create access key").click()
    key_id = (page.locator("#new-key-id").text_content() or "").strip()
    secret_key = (page.locator("#new-key-secret").text_content() or "").strip()
    sts = console_server.client("sts", key_id, secret_key)
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{console_server.account_id}:root"
    page.goto(f"{console_server.endpoint}/console")
    assert "Action needed" in page.locator("li", has_text="Delete your root access keys").inner_text()
    assert "Done" in page.locator("li", has_text="Activate MFA on your root account").inner_text()

    page.goto(f"{console_server.endpoint}/console/security-credentials")
    page.get_by_label("To confirm deletion, enter the access key ID").fill(key_id)
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url("**notice=deleted")
    assert iam.get_account_summary()["SummaryMap"]["AccountAccessKeysPresent"] == 0

    page.get_by_role("button", name="Sign out").click()
    root_sign_in(page, console_server)
    page.wait_for_url("**/signin/mfa**")
    page.get_by_label("MFA code").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/console")
    assert page.get_by_text(f"root @ {console_server.account_id}").is_visible()

    # Remove the device again: the account is shared by this module's tests.
    page.goto(f"{console_server.endpoint}/console/security-credentials")
    page.get_by_role("button", name="Remove").click()
    page.wait_for_url("**notice=mfa-removed")
    assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 0
    context.close()


def test_root_sign_in_with_a_wrong_password(console_server: IamdServer, browser: Any,
                                            root_ready: None) -> None:
    page = browser.new_page()
    root_sign_in(page, console_server, "Wrong-Passw0rd!")
    assert page.get_by_role("alert").inner_text() == (
        "Your authentication information is incorrect. Please try again.")
    page.close()
