"""The sync pipeline for Shopify: Shopify simulator → Yuki simulator, every paid order booked
exactly once, the rest open or in Errors as the rules say."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mapper.connectors.shopify.simulator import DEMO_TOKEN, ShopifySimulator
from mapper.connectors.shopify.simulator_data import generated_shop
from mapper.connectors.yuki.simulator import YukiSimulator
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.mapping import Pair
from mapper.engine.sync.config import Config
from mapper.engine.sync.pipeline import ShopSync

from sync.one_shop import one_shop_config, yuki_target
from sync.sync_helpers import (
    SHOP,
    Expected,
    expected_outcome,
    invoice_counts,
    ledger_records,
    verify,
)

MAPPING = "shopify-yuki"


@pytest.fixture()
def systems() -> Iterator[tuple[ShopifySimulator, YukiSimulator, str, str]]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)
    shop = ShopifySimulator(generated_shop(60, seed=7, start=start))
    books = YukiSimulator(daily_limit=10**9)
    key, administration = books.seed_demo()
    with shop, books:
        yield shop, books, key, administration


def config_for(folder: Path, shop: ShopifySimulator, books: YukiSimulator,
               key: str, administration: str, ledger: str) -> Config:
    return one_shop_config(
        folder, ledger, name=SHOP, mapping=MAPPING,
        start=(datetime.now(UTC) - timedelta(days=30)).date().isoformat(),
        source={"type": "shopify", "url": shop.url, "page_size": 25,
                "access_token": {"env": "SHOPIFY_TOKEN"}},
        target=yuki_target(books, administration),
        environ={"SHOPIFY_TOKEN": DEMO_TOKEN, "YUKI_KEY": key},
    )


def expected_outcomes(shop: ShopifySimulator) -> dict[str, Expected]:
    """The rules applied offline to every order, as the pipeline would apply them."""
    pair = Pair.load(MAPPING)
    return {
        str(order_id): expected_outcome(pair, str(order_id), f"Bestelling {order['name'].removeprefix('#')}", {"order": order})
        for order_id, order in shop.shop.orders.items()
    }


def test_every_paid_order_is_booked_once_and_a_later_payment_on_recheck(
    tmp_path: Path, systems: tuple[ShopifySimulator, YukiSimulator, str, str],
    ledger_url: str,
) -> None:
    shop, books, key, administration = systems
    config = config_for(tmp_path, shop, books, key, administration, ledger_url)
    expected = expected_outcomes(shop)
    verdicts = [e.verdict for e in expected.values()]
    assert verdicts.count("send") >= 30 and verdicts.count("open") >= 10

    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger)
        first = sync.sync()
        again = sync.sync()  # nothing changed: nothing booked twice
        assert (first.seen, first.sent) == (60, verdicts.count("send"))
        assert again.sent == 0
        verdict = verify(expected, ledger_records(config.ledger_url), invoice_counts(books))
        assert verdict.problems == []
        assert verdict.sent == verdicts.count("send")

        # An authorized payment is captured: the re-check books the order.
        waiting = next(
            o for o in shop.shop.orders.values()
            if o["financial_status"] == "authorized" and expected[str(o["id"])].verdict == "open"
        )
        shop.set_financial_status(waiting["id"], "paid")
        recheck = sync.recheck()
        sync.close()
        assert recheck.sent == 1
        record = ledger.get_order(SHOP, str(waiting["id"]))
        assert record is not None and record.state == OrderState.SENT
    assert invoice_counts(books)[f"Bestelling {waiting['name'].removeprefix('#')}"] == 1
    assert sum(invoice_counts(books).values()) == verdicts.count("send") + 1
