"""Browser tests of the console: Playwright driving Debian's Chromium, headless.

Chromium comes from the system (`/usr/bin/chromium`, `apt-get install
chromium`); Playwright never downloads a browser. When it is missing the
set-up installs it if it can (root with apt-get), and otherwise the tests
skip saying so, unless IAMD_REQUIRE_BROWSER=1 (CI) makes that a failure.

Each module gets its own `iamd serve` (`console_server`); `admin_page` is a
browser page signed in as its bootstrap admin (helpers in browser.py).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from iamd.testing import IamdServer

from .browser import admin_signed_in, first_run_row

CHROMIUM = os.environ.get("IAMD_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str | None:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if shutil.which("apt-get") and os.geteuid() == 0:
        # One installer at a time across pytest-xdist's workers.
        with open("/tmp/iamd-chromium-install.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not Path(CHROMIUM).exists():
                subprocess.run(["apt-get", "install", "-y", "-q", "chromium"],
                               capture_output=True, timeout=900, check=False)
    return CHROMIUM if Path(CHROMIUM).exists() else None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _chromium()
    reason = "Chromium is not installed (apt-get install chromium) and could not be installed"
    if executable is None:
        if os.environ.get("IAMD_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is a test dependency; install iamd[test]")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IamdServer]:
    with IamdServer.start(tmp_path_factory.mktemp("console")) as server:
        server.account_id = first_run_row(server)["Console login link"].rsplit("/", 1)[-1]
        yield server


@pytest.fixture
def admin_page(console_server: IamdServer, browser: Any) -> Iterator[Any]:
    page = admin_signed_in(console_server, browser)
    yield page
    page.context.close()
