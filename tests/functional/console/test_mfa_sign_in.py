"""An IAM user's MFA in the console: the code at sign-in, once only, and
MFA-conditioned policies that allow only in a session signed in with MFA."""

from __future__ import annotations

import json
import time
from typing import Any

import pyotp

from iamd.testing import IamdServer

from .browser import assert_accessible, shoot, sign_in

PASSWORD = "Us3r-Console-Passw0rd!"
MFA_ONLY_SUMMARY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iam:GetAccountSummary", "Resource": "*",
                   "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}],
}


def _user_with_password(server: IamdServer, name: str) -> None:
    iam = server.client("iam")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=PASSWORD, PasswordResetRequired=False)
    iam.put_user_policy(UserName=name, PolicyName="SummaryWithMfa",
                        PolicyDocument=json.dumps(MFA_ONLY_SUMMARY))


def _enable_mfa(server: IamdServer, name: str) -> pyotp.TOTP:
    iam = server.client("iam")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    totp = pyotp.TOTP(device["Base32StringSeed"].decode())
    now = time.time()
    iam.enable_mfa_device(UserName=name, SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp.at(now - 30), AuthenticationCode2=totp.at(now))
    return totp


def test_mfa_conditioned_policy_allows_only_after_mfa_sign_in(console_server: IamdServer,
                                                              browser: Any) -> None:
    _user_with_password(console_server, "mfa-carol")
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, console_server, console_server.account_id, "mfa-carol", PASSWORD)
    page.wait_for_url("**/console")
    denied = page.locator("section", has_text="IAM resources").inner_text()
    assert "is not authorized to perform: iam:GetAccountSummary" in denied
    page.get_by_role("button", name="Sign out").click()

    totp = _enable_mfa(console_server, "mfa-carol")
    sign_in(page, console_server, console_server.account_id, "mfa-carol", PASSWORD)
    page.wait_for_url("**/signin/mfa**")
    assert_accessible(page)
    shoot(page, "signin-mfa")
    code = totp.at(time.time() + 30)  # the enabling pair spent the current step
    page.get_by_label("MFA code").fill(code)
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/console")
    assert page.get_by_role("link", name="Users").first.is_visible()
    assert "is not authorized" not in page.locator("section", has_text="IAM resources").inner_text()

    # The same code does not open a second session.
    other = browser.new_context().new_page()
    sign_in(other, console_server, console_server.account_id, "mfa-carol", PASSWORD)
    other.wait_for_url("**/signin/mfa**")
    other.get_by_label("MFA code").fill(code)
    other.get_by_role("button", name="Submit").click()
    assert other.get_by_role("alert").inner_text() == (
        "Your authentication information is incorrect. Please try again.")
    other.context.close()
    context.close()
