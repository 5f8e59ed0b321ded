"""SAML sign-in: an IdP posts a SAMLResponse to the console's /saml."""

from __future__ import annotations

from typing import Any

import pytest
from test_saml import SIGNIN, IdP, saml_role

from iamd.testing import IamdServer

from .browser import assert_accessible, shoot


def _post_saml(page: Any, server: IamdServer, assertion: str) -> None:
    """What an IdP's auto-submitting form does: POST the response to /saml."""
    page.goto(f"{server.endpoint}/signin")
    with page.expect_navigation():
        page.evaluate("""([action, value]) => {
            const form = document.createElement("form");
            form.method = "post"; form.action = action;
            const field = document.createElement("input");
            field.type = "hidden"; field.name = "SAMLResponse"; field.value = value;
            form.appendChild(field); document.body.appendChild(form); form.submit();
        }""", [f"{server.endpoint}/saml", assertion])


@pytest.fixture(scope="module")
def idp(console_server: IamdServer) -> tuple[IdP, str, list[str]]:
    iam = console_server.client("iam")
    provider = IdP.make()
    arn = iam.create_saml_provider(Name="ConsoleIdP", SAMLMetadataDocument=provider.metadata())[
        "SAMLProviderArn"]
    roles = [saml_role(iam, name, arn) for name in ("SamlDevelopers", "SamlAuditors")]
    return provider, arn, roles


def test_saml_sign_in_with_one_role(console_server: IamdServer, browser: Any,
                                    idp: tuple[IdP, str, list[str]]) -> None:
    provider, arn, roles = idp
    page = browser.new_context().new_page()
    _post_saml(page, console_server, provider.response(roles=[f"{roles[0]},{arn}"]))
    page.wait_for_url("**/console")
    assert page.get_by_text(f"SamlDevelopers @ {console_server.account_id}").is_visible()
    page.context.close()


def test_saml_sign_in_to_this_console_as_recipient(console_server: IamdServer, browser: Any,
                                                   idp: tuple[IdP, str, list[str]]) -> None:
    provider, arn, roles = idp
    page = browser.new_context().new_page()
    assertion = provider.response(roles=[f"{roles[1]},{arn}"],
                                  recipient=f"{console_server.endpoint}/saml")
    _post_saml(page, console_server, assertion)
    page.wait_for_url("**/console")
    assert page.get_by_text(f"SamlAuditors @ {console_server.account_id}").is_visible()
    page.context.close()


def test_saml_sign_in_lets_the_person_choose_a_role(console_server: IamdServer, browser: Any,
                                                    idp: tuple[IdP, str, list[str]]) -> None:
    provider, arn, roles = idp
    page = browser.new_context().new_page()
    _post_saml(page, console_server, provider.response(roles=[f"{r},{arn}" for r in roles]))
    assert page.get_by_role("heading", name="Select a role").is_visible()
    assert_accessible(page)
    shoot(page, "saml-select-role")
    page.get_by_label("SamlAuditors").check()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console")
    assert page.get_by_text(f"SamlAuditors @ {console_server.account_id}").is_visible()
    page.context.close()


def test_saml_sign_in_refuses_a_forged_assertion(console_server: IamdServer, browser: Any,
                                                 idp: tuple[IdP, str, list[str]]) -> None:
    _, arn, roles = idp
    stranger = IdP.make()
    page = browser.new_context().new_page()
    _post_saml(page, console_server, stranger.response(roles=[f"{roles[0]},{arn}"]))
    assert "InvalidIdentityToken" in page.get_by_role("alert").inner_text()
    assert "iamd-console" not in {c["name"] for c in page.context.cookies()}
    page.context.close()


def test_the_idp_default_recipient_is_aws(idp: tuple[IdP, str, list[str]]) -> None:
    assert SIGNIN == "https://signin.aws.amazon.com/saml"
