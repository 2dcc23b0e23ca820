"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

Log in, see each tab, press Process on an order in Errors and see it in Reporting, and fail
to open another shop. Screenshots of every tab go to bench/dashboard-screenshots/. Where
Chromium or Playwright is missing the test is skipped with the reason, except under CI=true,
where it fails: CI must never pass by not testing the browser.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from mapper.commands.dashboard import create_app

from .dashboard_helpers import ALICE, PASSWORD, built

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "bench" / "dashboard-screenshots"


def _missing() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        return f"Debian's chromium is not installed ({CHROMIUM}): apt-get install -y chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: pip install -e '.[dev]'"
    return None


def _need_browser() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the browser test: {reason}")
    pytest.skip(reason)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The test dashboard served by uvicorn on a free loopback port, until the test ends."""
    with built(tmp_path) as (board, _ledger, _calls, _clock), socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        config = uvicorn.Config(create_app(board), log_level="warning")
        instance = uvicorn.Server(config)
        thread = threading.Thread(target=instance.run, kwargs={"sockets": [sock]})
        thread.start()
        try:
            # The socket already listens: the browser's first request waits until uvicorn
            # accepts it, so no waiting for the server to come up is needed.
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            instance.should_exit = True
            thread.join(timeout=30)


def test_log_in_see_each_tab_and_process_an_order(server: str) -> None:
    _need_browser()
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            page.goto(f"{server}/shops/alpha/errors")
            expect(page.get_by_role("heading", name="Log in")).to_be_visible()
            page.screenshot(path=SCREENSHOTS / "login.png")
            page.get_by_label("E-mail address").fill(ALICE)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            expect(page).to_have_url(f"{server}/shops/alpha/errors")

            for tab, seen in [
                ("Reporting", "YUKI-101"),
                ("Errors", "VAT number NL000 of the customer is invalid"),
                ("Open", "order state 1 is not an invoicing state"),
                ("Connections", "access refused: the access key is not valid"),
                ("Configuration", "prestashop-yuki"),
            ]:
                page.get_by_role("navigation").get_by_role("link", name=tab).click()
                expect(page.get_by_role("heading", level=1)).to_contain_text(tab)
                expect(page.locator("main")).to_contain_text(seen)
                page.screenshot(path=SCREENSHOTS / f"{tab.lower()}.png", full_page=True)

            page.get_by_role("navigation").get_by_role("link", name="Errors").click()
            row = page.locator('tr[data-order="201"]')
            row.get_by_text("More info").click()
            expect(row.locator("dl")).to_contain_text("prestashop-yuki 1.2")
            row.get_by_role("button", name="Process").click()
            expect(page).to_have_url(f"{server}/shops/alpha/reporting")
            expect(page.get_by_role("status")).to_have_text(
                "Order N201 was sent to the accounting system (reference YUKI-NEW-201)."
            )
            expect(page.locator('tr[data-order="201"]')).to_contain_text("YUKI-NEW-201")
            page.get_by_role("navigation").get_by_role("link", name="Errors").click()
            expect(page.locator('tr[data-order="201"]')).to_have_count(0)

            answer = page.goto(f"{server}/shops/beta/reporting")
            assert answer is not None and answer.status == 404
            expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        finally:
            browser.close()
