"""Identity providers, account settings and the credential report in the console."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from iamd.testing import IamdServer

from .browser import assert_accessible, shoot
from .limited import limited_user_page


def saml_metadata(entity_id: str) -> str:
    """A minimal IdP metadata document with a fresh self-signed signing certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "console-idp.example.com")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .sign(key, hashes.SHA256()))
    der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{entity_id}/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""


def test_oidc_provider_add_audiences_and_delete(console_server: IamdServer,
                                                admin_page: Any) -> None:
    iam = console_server.client("iam")
    page = admin_page
    page.goto(f"{console_server.endpoint}/console/identity-providers")
    page.get_by_role("link", name="Add provider").click()
    page.get_by_label("OpenID Connect").check()
    page.get_by_label("Provider URL").fill("https://token.example.com")
    page.get_by_label("Audience").fill("sts.amazonaws.com")
    assert_accessible(page)
    shoot(page, "identity-provider-create")
    page.get_by_role("button", name="Add provider").click()
    page.wait_for_url("**notice=provider-added")
    arn = f"arn:aws:iam::{console_server.account_id}:oidc-provider/token.example.com"
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == [
        "sts.amazonaws.com"]
    page.get_by_label("Audience", exact=True).fill("my-app")
    page.get_by_role("button", name="Add audience").click()
    page.wait_for_url("**notice=saved")
    page.get_by_role("button", name="Remove sts.amazonaws.com").click()
    page.wait_for_url("**notice=saved")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == [
        "my-app"]
    assert_accessible(page)
    shoot(page, "identity-provider-oidc")
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_url("**/console/identity-providers?notice=deleted")
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def test_saml_provider_add_shows_errors_in_place_then_delete(console_server: IamdServer,
                                                             admin_page: Any) -> None:
    iam = console_server.client("iam")
    page = admin_page
    page.goto(f"{console_server.endpoint}/console/identity-providers/create")
    page.get_by_label("SAML", exact=True).check()
    page.get_by_label("Provider name").fill("corp-idp")
    page.get_by_label("Metadata document").fill("<not-metadata/>")
    page.get_by_role("button", name="Add provider").click()
    assert page.get_by_role("alert").inner_text()
    assert page.get_by_label("Metadata document").input_value() == "<not-metadata/>"
    page.get_by_label("Metadata document").fill(saml_metadata("https://idp.example.com/saml"))
    page.get_by_role("button", name="Add provider").click()
    page.wait_for_url("**notice=provider-added")
    arn = f"arn:aws:iam::{console_server.account_id}:saml-provider/corp-idp"
    assert [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]] == [arn]
    assert_accessible(page)
    shoot(page, "identity-provider-saml")
    page.goto(f"{console_server.endpoint}/console/identity-providers")
    assert "corp-idp" in page.get_by_role("table").inner_text()
    assert_accessible(page)
    shoot(page, "identity-providers")
    page.get_by_role("link", name="corp-idp").click()
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_url("**/console/identity-providers?notice=deleted")
    assert iam.list_saml_providers()["SAMLProviderList"] == []


def test_password_policy_edit(console_server: IamdServer, admin_page: Any) -> None:
    iam = console_server.client("iam")
    page = admin_page
    policy_card = page.get_by_role("region", name="Password policy")
    page.goto(f"{console_server.endpoint}/console/account-settings")
    assert_accessible(page)
    shoot(page, "account-settings")
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Custom").check()
    page.get_by_label("Password minimum length").fill("14")
    page.get_by_label("Require at least one uppercase letter").check()
    page.get_by_label("Require at least one number").check()
    page.get_by_label("Turn on password expiration").check()
    page.get_by_label("Expiration period in days").fill("90")
    page.get_by_label("Password expiration requires administrator reset").check()
    page.get_by_label("Allow users to change their own password").check()
    page.get_by_label("Prevent password reuse").check()
    page.get_by_label("Remember passwords").fill("5")
    assert_accessible(page)
    shoot(page, "password-policy-edit")
    policy_card.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**notice=saved")
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 14
    assert policy["RequireUppercaseCharacters"] and policy["RequireNumbers"]
    assert not policy["RequireSymbols"] and not policy["RequireLowercaseCharacters"]
    assert policy["MaxPasswordAge"] == 90 and policy["HardExpiry"]
    assert policy["AllowUsersToChangePassword"] and policy["PasswordReusePrevention"] == 5
    assert "Minimum password length is 14 characters" in page.locator("main").inner_text()
    # An out-of-range length is refused with AWS's message, in place.
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Password minimum length").fill("200")
    policy_card.get_by_role("button", name="Save changes").click()
    assert page.get_by_role("alert").inner_text() == (
        "1 validation error detected: Value at 'minimumPasswordLength' failed to satisfy "
        "constraint: Member must have value less than or equal to 128")
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 14
    # Back to IAM's default.
    page.get_by_label("IAM default").check()
    policy_card.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**notice=saved")
    assert "IAM default password policy" in page.locator("main").inner_text()


def test_alias_shows_in_the_signin_url_and_sts_preference(console_server: IamdServer,
                                                          admin_page: Any) -> None:
    iam = console_server.client("iam")
    page = admin_page
    page.goto(f"{console_server.endpoint}/console/account-settings")
    page.get_by_label("Preferred alias").fill("console-alias-test")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url("**notice=saved")
    assert iam.list_account_aliases()["AccountAliases"] == ["console-alias-test"]
    assert page.locator("#signin-url").inner_text() == (
        f"{console_server.endpoint}/signin/console-alias-test")
    page.get_by_label("Valid in all AWS Regions").check()
    page.get_by_role("region", name="Security Token Service (STS)").get_by_role(
        "button", name="Save changes").click()
    page.wait_for_url("**notice=saved")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
    assert page.get_by_label("Valid in all AWS Regions").is_checked()
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url("**notice=deleted")
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_credential_report_download(console_server: IamdServer, admin_page: Any) -> None:
    page = admin_page
    page.goto(f"{console_server.endpoint}/console/credential-report")
    assert_accessible(page)
    shoot(page, "credential-report")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download credentials report").click()
    download = info.value
    assert download.suggested_filename.startswith("status_reports_")
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0][:4] == ["user", "arn", "user_creation_time", "password_enabled"]
    assert "admin" in [row[0] for row in rows[1:]]
    page.goto(f"{console_server.endpoint}/console/credential-report")
    assert "No report has been generated yet" not in page.locator("main").inner_text()


def test_a_user_who_cannot_change_settings_sees_access_denied(console_server: IamdServer,
                                                              browser: Any) -> None:
    page = limited_user_page(console_server, browser, "settings-reader",
                             ["iam:GetAccountPasswordPolicy", "iam:ListAccountAliases",
                              "iam:GetAccountSummary", "iam:ListSAMLProviders"])
    page.goto(f"{console_server.endpoint}/console/account-settings")
    page.get_by_label("Preferred alias").fill("not-allowed-alias")
    page.get_by_role("button", name="Create").click()
    assert "is not authorized to perform: iam:CreateAccountAlias" in page.get_by_role(
        "alert").inner_text()
    response = page.goto(f"{console_server.endpoint}/console/identity-providers")
    assert response is not None and response.status == 403
    assert "iam:ListOpenIDConnectProviders" in page.get_by_role("alert").inner_text()
    page.context.close()
