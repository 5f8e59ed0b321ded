"""A limited IAM user for the console's denial tests: made with boto3, signed in fresh."""

from __future__ import annotations

import json
from typing import Any

from iamd.testing import IamdServer

from .browser import sign_in

LIMITED_PASSWORD = "Limited-Passw0rd-2026!"


def limited_user_page(server: IamdServer, browser: Any, name: str, actions: list[str]) -> Any:
    """A page signed in as a new user whose only inline policy allows `actions`."""
    iam = server.client("iam")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=LIMITED_PASSWORD, PasswordResetRequired=False)
    iam.put_user_policy(UserName=name, PolicyName="only-these", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    page = browser.new_context().new_page()
    sign_in(page, server, server.account_id, name, LIMITED_PASSWORD)
    page.wait_for_url("**/console**")
    return page
