"""A ledger of two shops (alpha, beta) with sent, failed and open orders, two users, and the
dashboard on it with a fake Process (the target accepts) and a fake connection check."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mapper.commands.dashboard import Dashboard, create_app
from mapper.commands.dashboard.choices import CachedChoices, ChoiceList
from mapper.commands.dashboard.throttle import LoginThrottle
from mapper.connectors.adapters import CheckLine
from mapper.engine.ledger import Ledger
from mapper.engine.ledger.accounts import Accounts
from mapper.engine.sync.check import ShopCheck
from mapper.engine.sync.config import Config, ShopConfig
from mapper.engine.sync.pipeline import PassReport
from starlette.testclient import TestClient

PASSWORD = "correct horse battery"
ALICE = "alice@example.com"  # sees alpha
BOB = "bob@example.com"  # sees beta
DAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def add_order(ledger: Ledger, shop: str, order_id: str, state: str, reason: str = "") -> None:
    number = f"N{order_id}"
    ledger.observe(shop, order_id, number, DAY, sendable=state != "open", shop_state=reason or None)
    if state == "open":
        return
    claim = ledger.claim(shop, order_id, number, DAY, "prestashop-yuki 1.2")
    assert claim is not None
    if state == "sent":
        ledger.mark_sent(shop, order_id, f"YUKI-{order_id}")
    else:
        ledger.mark_failed(shop, order_id, reason, resolution="Correct the VAT number in the shop.")


def fill(ledger: Ledger) -> None:
    for order_id in ("101", "102", "103"):
        add_order(ledger, "alpha", order_id, "sent")
    add_order(ledger, "alpha", "201", "failed", "VAT number NL000 of the customer is invalid")
    add_order(ledger, "alpha", "202", "failed", "shipping line has no VAT rate")
    add_order(ledger, "alpha", "301", "open", "order state 1 is not an invoicing state")
    add_order(ledger, "beta", "901", "failed", "beta's own error")
    add_order(ledger, "beta", "902", "sent")


# What Yuki's ActiveVATCodesList of the demo administration offers, as the adapter words it.
YUKI_CHOICES: ChoiceList = {
    "vat_code": [
        ("1", "1: BTW 21% (21.00%)"),
        ("2", "2: BTW 9% (9.00%)"),
        ("3", "3: BTW 0% (0.00%)"),
        ("17", "17: BTW verlegd (ICP) (0.00%)"),
        ("18", "18: Export buiten EU (0.00%)"),
    ]
}


def fake_choices(calls: Calls):  # type: ignore[no-untyped-def]
    def choices(config: ShopConfig, ledger: Ledger) -> tuple[ChoiceList, str]:
        calls.choices.append(config.name)
        return YUKI_CHOICES, ""

    return choices


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Calls:
    processed: list[tuple[str, str]] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)


def accept(calls: Calls):  # type: ignore[no-untyped-def]
    """A Process that behaves as a target accepting the order."""

    def process(config: ShopConfig, ledger: Ledger, order_id: str) -> PassReport:
        calls.processed.append((config.name, order_id))
        ledger.request_reprocess(config.name, [order_id])
        record = ledger.get_order(config.name, order_id)
        assert record is not None
        claim = ledger.claim(
            config.name, order_id, record.number, record.order_date, "prestashop-yuki 1.3"
        )
        assert claim is not None
        ledger.mark_sent(config.name, order_id, f"YUKI-NEW-{order_id}")
        return PassReport(config.name, "reprocess", seen=1, sent=1)

    return process


def checker(calls: Calls):  # type: ignore[no-untyped-def]
    def check(config: Config, shop: str) -> list[ShopCheck]:
        calls.checked.append(shop)
        return [
            ShopCheck(
                shop,
                (
                    CheckLine("PrestaShop", True, "logged in to the shop; the key may only read"),
                    CheckLine("Yuki", False, "access refused: the access key is not valid"),
                ),
            )
        ]

    return check


@dataclass
class Setup:
    client: TestClient
    ledger: Ledger
    dashboard: Dashboard
    calls: Calls
    clock: FakeClock
    folder: Path


def config(ledger_url: str) -> Config:
    shops = [
        ShopConfig(name, "prestashop-yuki", {"type": "prestashop"}, {"type": "yuki"})
        for name in ("alpha", "beta")
    ]
    return Config(ledger_url, shops)


@contextmanager
def built(tmp_path: Path) -> Iterator[tuple[Dashboard, Ledger, Calls, FakeClock]]:
    """The dashboard on a filled ledger with two users (no server, no client)."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with Ledger.open(url) as ledger:
        fill(ledger)
        accounts = Accounts(ledger)
        accounts.add(ALICE, PASSWORD, ["alpha"])
        accounts.add(BOB, PASSWORD, ["beta"])
        calls = Calls()
        clock = FakeClock()
        board = Dashboard(
            config(url),
            ledger,
            tmp_path,
            processor=accept(calls),
            checker=checker(calls),
            throttle=LoginThrottle(clock=clock),
            choices=CachedChoices(fake_choices(calls)),
        )
        yield board, ledger, calls, clock


@contextmanager
def dashboard(tmp_path: Path, base_url: str = "http://testserver") -> Iterator[Setup]:
    with ExitStack() as stack:
        board, ledger, calls, clock = stack.enter_context(built(tmp_path))
        app = create_app(board)
        client = stack.enter_context(TestClient(app, base_url=base_url, follow_redirects=False))
        yield Setup(client, ledger, board, calls, clock, tmp_path)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def log_in(client: TestClient, email: str = ALICE, password: str = PASSWORD) -> str:
    """Log in; return the session's CSRF token (from the page after login)."""
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    page = client.get("/shops/alpha/reporting" if email == ALICE else "/shops/beta/reporting")
    return csrf_of(page.text)
