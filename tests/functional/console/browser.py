"""Helpers of the console's browser tests: signing in, screenshots, accessibility.

`admin_signed_in` gives a page signed in as the bootstrap admin, whose first
password it changes once to `ADMIN_PASSWORD`. Screenshots go to
test-output/screenshots/ (not committed): `shoot(page, "name")` takes desktop
and phone widths; `assert_accessible` runs axe-core.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from iamd.testing import IamdServer

ADMIN_PASSWORD = "Adm1n-Chosen-Passw0rd!"
SCREENSHOTS = Path(__file__).resolve().parents[3] / "test-output" / "screenshots"


def first_run_row(server: IamdServer) -> dict[str, str]:
    with (server.data_dir / "admin-credentials.csv").open(newline="") as handle:
        return next(csv.DictReader(handle))


def sign_in(page: Any, server: IamdServer, account: str, user: str, password: str) -> None:
    page.goto(f"{server.endpoint}/signin/{account}")
    page.get_by_label("IAM username").fill(user)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def change_password(page: Any, old: str, new: str) -> None:
    page.get_by_label("Old password").fill(old)
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("Retype new password").fill(new)
    page.get_by_role("button", name="Confirm password change").click()


def admin_signed_in(server: IamdServer, browser: Any) -> Any:
    """A new browser context signed in as the admin (first password changed once)."""
    context = browser.new_context()
    page = context.new_page()
    row = first_run_row(server)
    done = server.data_dir / "admin-password-changed"
    sign_in(page, server, server.account_id, "admin",
            ADMIN_PASSWORD if done.exists() else row["Password"])
    if not done.exists():
        page.wait_for_url("**/console/change-password")
        change_password(page, row["Password"], ADMIN_PASSWORD)
        done.touch()
    page.wait_for_url("**/console**")
    return page


def shoot(page: Any, name: str) -> None:
    """Desktop and phone screenshots of the current page, for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 1280, "height": 720}
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(size)


def assert_accessible(page: Any) -> None:
    """axe-core finds no serious or critical violation on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in bad]

