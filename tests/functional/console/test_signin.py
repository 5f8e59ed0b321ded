"""Signing in to the console: first run, sessions, CSRF, throttling, sign-out."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from iamd.testing import IamdServer

from .browser import (
    admin_signed_in,
    assert_accessible,
    first_run_row,
    shoot,
    sign_in,
)


def test_first_run_csv_has_a_password_and_the_signin_link(console_server: IamdServer) -> None:
    row = first_run_row(console_server)
    assert row["User name"] == "admin"
    assert len(row["Password"]) >= 14
    assert row["Console login link"].startswith(f"{console_server.endpoint}/signin/")


def test_a_browser_visiting_the_root_lands_on_sign_in(console_server: IamdServer) -> None:
    answer = httpx.get(f"{console_server.endpoint}/", follow_redirects=True)
    assert answer.status_code == 200
    assert answer.url.path == "/signin"
    assert answer.url.params["redirect_uri"] == "/console"
    # The API on the same path is untouched.
    api = httpx.get(f"{console_server.endpoint}/?Action=ListUsers&Version=2010-05-08")
    assert api.status_code in (400, 403) and "MissingAuthenticationToken" in api.text


def test_sign_in_page_is_accessible(console_server: IamdServer, browser: Any) -> None:
    page = browser.new_page()
    page.goto(f"{console_server.endpoint}/signin/{console_server.account_id}")
    assert page.get_by_label("Account ID or account alias").input_value() == console_server.account_id
    assert_accessible(page)
    shoot(page, "signin")
    page.goto(f"{console_server.endpoint}/signin?root=1")
    assert_accessible(page)
    shoot(page, "signin-root")
    page.close()


def test_first_sign_in_forces_a_new_password_then_shows_the_dashboard(
        console_server: IamdServer, browser: Any) -> None:
    page = admin_signed_in(console_server, browser)
    assert page.get_by_role("heading", name="IAM dashboard").is_visible()
    assert page.get_by_text(f"admin @ {console_server.account_id}").is_visible()
    assert_accessible(page)
    shoot(page, "dashboard")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["iamd-console"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    response = page.goto(f"{console_server.endpoint}/console")
    assert response is not None
    headers = response.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    page.context.close()


def test_wrong_password_and_unknown_user_get_the_same_answer(
        console_server: IamdServer, browser: Any) -> None:
    page = browser.new_page()
    sign_in(page, console_server, console_server.account_id, "admin", "not-the-password")
    wrong = page.get_by_role("alert").inner_text()
    sign_in(page, console_server, console_server.account_id, "nobody-here", "not-the-password")
    unknown = page.get_by_role("alert").inner_text()
    assert wrong == unknown == "Your authentication information is incorrect. Please try again."
    page.close()


def test_sign_in_is_throttled_after_repeated_failures(console_server: IamdServer,
                                                      browser: Any) -> None:
    page = browser.new_page()
    for _ in range(5):
        sign_in(page, console_server, console_server.account_id, "throttled-user", "wrong")
    sign_in(page, console_server, console_server.account_id, "throttled-user", "wrong")
    assert "too many failed sign-in attempts" in page.get_by_role("alert").inner_text()
    page.close()


def test_a_form_without_its_csrf_token_is_refused(console_server: IamdServer,
                                                 browser: Any) -> None:
    page = admin_signed_in(console_server, browser)
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}["iamd-console"]
    forged = httpx.post(f"{console_server.endpoint}/console/change-password",
                        cookies={"iamd-console": cookie},
                        data={"old_password": "x", "new_password": "y", "confirm_password": "y"})
    assert forged.status_code == 403
    assert "CSRF" in forged.text
    page.context.close()


def test_sign_out_ends_the_session_on_the_server(console_server: IamdServer,
                                                 browser: Any) -> None:
    page = admin_signed_in(console_server, browser)
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}["iamd-console"]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signin**")
    # The old cookie, replayed, no longer opens anything.
    replayed = httpx.get(f"{console_server.endpoint}/console", cookies={"iamd-console": cookie})
    assert replayed.status_code == 303
    assert replayed.headers["location"].startswith("/signin")
    page.context.close()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_sign_in_never_redirects_off_the_console(console_server: IamdServer, browser: Any,
                                                 target: str) -> None:
    page = browser.new_page()
    page.goto(f"{console_server.endpoint}/signin?redirect_uri={target}")
    assert page.locator("input[name=redirect_uri]").input_value() == "/console"
    page.close()
