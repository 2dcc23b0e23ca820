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
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn
from mapper.commands.dashboard import Dashboard, create_app
from mapper.connectors.prestashop.simulator.data import demo_records
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator
from mapper.connectors.secret import Secret
from mapper.connectors.yuki.simulator import VatCodeSeed, YukiSimulator
from mapper.engine.ledger import Ledger
from mapper.engine.ledger.accounts import Accounts
from mapper.engine.sync.config import Config, ShopConfig
from mapper.engine.sync.pipeline import ShopSync

from .dashboard_helpers import ALICE, PASSWORD, built

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

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


@contextmanager
def served(board: Dashboard) -> Iterator[str]:
    """`board` served by uvicorn on a free loopback port, until the block ends."""
    with socket.socket() as sock:
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


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The test dashboard (two shops, a fake Process) served until the test ends."""
    with built(tmp_path) as (board, _ledger, _calls, _clock), served(board) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Browser]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


def _log_in(page: Page, server: str, path: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}{path}")
    page.get_by_label("E-mail address").fill(ALICE)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{server}{path}")


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


def test_a_vat_code_chosen_in_the_browser_is_on_the_invoice_yuki_receives(
    tmp_path: Path, browser: Browser
) -> None:
    """Configuration: the 9 % row's VAT code picked from Yuki's own list and its revenue
    account typed, saved; the version and its difference shown; the next pass books the 9 %
    lines of the demo orders on them (PrestaShop simulator → Yuki simulator)."""
    from playwright.sync_api import expect

    shop_sim = PrestaShopSimulator()
    shop_sim.add_orders(demo_records())
    yuki = YukiSimulator(daily_limit=10**9)
    key, administration = yuki.seed_demo()
    yuki.administrations[administration].vat_codes.append(
        VatCodeSeed(5, "BTW 9% webwinkel", "VAT low", Decimal("9.00"), start_date=date(2020, 1, 1))
    )
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with shop_sim, yuki, Ledger.open(url) as ledger:
        shop = ShopConfig(
            "alpha",
            "prestashop-yuki",
            {"type": "prestashop", "url": shop_sim.url, "key": Secret(PrestaShopSimulator.DEMO_KEY)},
            {"type": "yuki", "url": yuki.url, "access_key": Secret(key),
             "administration_id": administration},
            start=date(2024, 1, 1),
        )
        Accounts(ledger).add(ALICE, PASSWORD, ["alpha"])
        with served(Dashboard(Config(url, [shop]), ledger, tmp_path)) as server:
            page = browser.new_page()
            _log_in(page, server, "/shops/alpha/configuration")
            rate = page.locator('input[name^="yuki.vat_codes."][name$=".rate"][value="9"]')
            nine = str(rate.get_attribute("name")).removesuffix(".rate")  # the one 9 % row
            code = page.locator(f'select[name="{nine}.type"]')
            expect(code.locator("option", has_text="5: BTW 9% webwinkel (9.00%)")).to_have_count(1)
            code.select_option("5")
            page.locator(f'input[name="{nine}.gl_account"]').fill("8015")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("status")).to_have_text(
                "Saved as version 1; the next pass uses it."
            )
            expect(page.locator("dl.config")).to_contain_text("version 1, saved")
            change = page.locator("table.diff tr", has_text="yuki.vat_codes")
            expect(change.locator("td.before")).to_contain_text("rate: 9, type: 2, gl_account: 8010")
            expect(change.locator("td.after")).to_contain_text("rate: 9, type: 5, gl_account: 8015")
            page.screenshot(path=SCREENSHOTS / "configuration-saved.png", full_page=True)

        sync = ShopSync(shop, ledger)  # the next pass, as `mapper sync` runs it
        try:
            report = sync.sync()
        finally:
            sync.close()
        assert report.failure is None, report.failure
    lines = [line for invoice in yuki.invoices for line in invoice["lines"]]
    low = [line for line in lines if line["vat_percentage"] == Decimal("9")]
    assert low and {(line["vat_type"], line["gl_account"]) for line in low} == {(5, "8015")}
