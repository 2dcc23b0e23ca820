"""The sync pipeline over real sockets: WooCommerce and Shopify simulators → Exact Online
simulator. Every paid order is booked once as a sales entry, on one account per customer —
also when the access token expires mid-pass (the rotating refresh token is kept in the
ledger), when Exact answers 429 until its minutely reset, and when the answer to an account's
create is lost."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from mapper.connectors.exact import adapter as exact_adapter
from mapper.connectors.exact.client import ExactClient
from mapper.connectors.exact.simulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    ExactSimulator,
)
from mapper.connectors.exact.tokens import STORE_NAME, Tokens
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.shopify import simulator as shopify_sim
from mapper.connectors.shopify.simulator import ShopifySimulator
from mapper.connectors.shopify.simulator_data import generated_shop as shopify_shop
from mapper.connectors.simulation import Reply, Request
from mapper.connectors.woocommerce import simulator as woo_sim
from mapper.connectors.woocommerce.simulator import WooCommerceSimulator
from mapper.connectors.woocommerce.simulator_data import generated_shop as woo_shop
from mapper.engine.errors import MappingError
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.ledger.connector_tokens import ConnectorTokens
from mapper.engine.mapping import Pair, Payload
from mapper.engine.sync.config import Config, parse_config
from mapper.engine.sync.pipeline import ShopSync

SHOP = "tea"


@dataclass
class Shop:
    kind: str
    simulator: Any
    section: dict[str, Any]
    environ: dict[str, str]
    documents: Callable[[], list[tuple[str, dict[str, Any]]]]


def woocommerce() -> Shop:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)
    sim = WooCommerceSimulator(woo_shop(30, seed=7, start=start))
    return Shop("woocommerce", sim, {
        "type": "woocommerce", "page_size": 25, "key": {"env": "WC_KEY"},
        "secret": {"env": "WC_SECRET"}}, {"WC_KEY": woo_sim.DEMO_KEY,
                                          "WC_SECRET": woo_sim.DEMO_SECRET},
        lambda: [(str(i), {"order": o, "tax_rates": []}) for i, o in sim.shop.orders.items()])


def shopify() -> Shop:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)
    sim = ShopifySimulator(shopify_shop(30, seed=7, start=start))
    return Shop("shopify", sim, {
        "type": "shopify", "page_size": 25, "access_token": {"env": "SHOPIFY_TOKEN"}},
        {"SHOPIFY_TOKEN": shopify_sim.DEMO_TOKEN},
        lambda: [(str(i), {"order": o}) for i, o in sim.shop.orders.items()])


@pytest.fixture(params=[woocommerce, shopify], ids=["woocommerce", "shopify"])
def shop(request: pytest.FixtureRequest) -> Iterator[Shop]:
    made: Shop = request.param()
    with made.simulator:
        yield made


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("MAPPER_SECRET_KEY", key)
    return key


def config_for(folder: Path, shop: Shop, books: ExactSimulator, ledger: str) -> Config:
    return parse_config({
        "ledger": ledger,
        "shops": [{
            "name": SHOP, "mapping": f"{shop.kind}-exact",
            "start": (datetime.now(UTC) - timedelta(days=30)).date().isoformat(),
            "source": {**shop.section, "url": shop.simulator.url},
            "target": {"type": "exact", "url": books.url, "client_id": DEMO_CLIENT_ID,
                       "client_secret": {"env": "EXACT_SECRET"},
                       "refresh_token": {"env": "EXACT_REFRESH"}, "timeout": 2,
                       "settle_seconds": 0},
        }],
    }, folder, environ={**shop.environ, "EXACT_SECRET": DEMO_CLIENT_SECRET,
                        "EXACT_REFRESH": DEMO_REFRESH_TOKEN})


def expected_refs(shop: Shop) -> dict[str, str]:
    """Order id → YourRef of its sales entry, for the orders the rules book."""
    pair = Pair.load(f"{shop.kind}-exact")
    found = {}
    for order_id, document in shop.documents():
        try:
            outcome = pair.map(document)
        except MappingError:
            continue
        if isinstance(outcome, Payload):
            found[order_id] = str(outcome.body["sales_entry"]["YourRef"])
    return found


def booked(books: ExactSimulator) -> Counter[str]:
    return Counter(str(e["YourRef"]) for e in books.entries.values())


def one_pass(config: Config, retry: RetryPolicy | None = None) -> tuple[int, dict[str, Any]]:
    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger, retry=retry)
        try:
            report = sync.sync()
        finally:
            sync.close()
        return report.sent, {r.order_id: r for r in ledger.list_orders(SHOP)}


def stored_tokens(config: Config) -> Tokens | None:
    with Ledger.open(config.ledger_url) as ledger:
        return Tokens.parse(ConnectorTokens(ledger, SHOP).read(STORE_NAME))


def assert_booked_once(books: ExactSimulator, expected: dict[str, str],
                       records: dict[str, Any]) -> None:
    assert booked(books) == Counter(expected.values())
    sent = {oid for oid, r in records.items() if r.state == OrderState.SENT}
    assert sent == set(expected)
    assert {records[oid].target_reference for oid in sent} == set(books.entries)
    codes = [a["Code"] for a in books.accounts.values()]
    assert len(codes) == len(set(codes))  # never two accounts for one customer


def test_every_paid_order_is_booked_once_and_the_token_chain_survives_passes(
    tmp_path: Path, shop: Shop, ledger_url: str
) -> None:
    expected = expected_refs(shop)
    assert len(expected) >= 10
    with ExactSimulator(page_size=5) as books:  # VAT codes come in two pages
        config = config_for(tmp_path, shop, books, ledger_url)
        sent, records = one_pass(config)
        again, records = one_pass(config)  # a new process: tokens from the ledger
        assert (sent, again) == (len(expected), 0)
        assert_booked_once(books, expected, records)
        assert books.refreshes == 1  # the second pass used the stored access token
        entry = next(iter(books.entries.values()))
        assert entry["Journal"] == "70" and entry["Type"] == 20
        assert all(len(a["Code"]) == 18 for a in books.accounts.values())
        kept = stored_tokens(config)
        assert kept is not None and kept.refresh_token == books.refresh_token


class ExpiringExact(ExactSimulator):
    """Every access token stops working after the third sales entry."""

    def handle(self, request: Request) -> Reply:
        reply = super().handle(request)
        if request.path.endswith("/SalesEntries") and request.method == "POST" \
                and len(self.entries) == 3 and not getattr(self, "_expired", False):
            self._expired = True
            self.expire_access_tokens()
        return reply


def test_a_token_refresh_mid_pass_books_every_order_once_and_keeps_the_new_token(
    tmp_path: Path, shop: Shop, ledger_url: str
) -> None:
    expected = expected_refs(shop)
    with ExpiringExact() as books:
        config = config_for(tmp_path, shop, books, ledger_url)
        _, records = one_pass(config)
        assert books.refreshes == 2
        assert_booked_once(books, expected, records)
        kept = stored_tokens(config)
        # The rotated refresh token is the one kept: the old one is dead at Exact.
        assert kept is not None and kept.refresh_token == books.refresh_token
        assert kept.refresh_token != DEMO_REFRESH_TOKEN


class FakeClock:
    """The simulator's time: the real time plus what the sync slept."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.offset += seconds


def test_a_429_waits_until_the_minutely_reset_and_books_once(
    tmp_path: Path, shop: Shop, ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = expected_refs(shop)
    clock = FakeClock()
    # The client reads the resets against the same clock the simulator's minute runs on.
    monkeypatch.setattr(exact_adapter, "ExactClient", partial(ExactClient, clock=clock))
    retry = RetryPolicy(attempts=4, base_delay=0.0, max_delay=120.0, jitter=0.0,
                        sleep=clock.sleep)
    with ExactSimulator(minutely_limit=12, clock=clock) as books:
        config = config_for(tmp_path, shop, books, ledger_url)
        _, records = one_pass(config, retry)
        assert_booked_once(books, expected, records)
    waits = [s for s in clock.slept if s > 0]
    assert waits and all(0 < s <= 61 for s in waits)  # until the minute's reset, not longer


def test_a_lost_answer_on_an_account_create_makes_no_second_account(
    tmp_path: Path, shop: Shop, ledger_url: str
) -> None:
    expected = expected_refs(shop)
    retry = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0, jitter=0.0,
                        sleep=lambda _: None)
    with ExactSimulator() as books:
        books.cut_next_answer.add("crm/Accounts")
        config = config_for(tmp_path, shop, books, ledger_url)
        _, records = one_pass(config, retry)
        assert not books.cut_next_answer  # the cut answer really happened
        assert_booked_once(books, expected, records)
