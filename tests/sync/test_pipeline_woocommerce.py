"""The sync pipeline for WooCommerce: WooCommerce simulator → Yuki simulator, every paid order
booked exactly once, the rest open or in Errors as the rules say."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mapper.connectors.woocommerce import simulator as woo_sim
from mapper.connectors.woocommerce.simulator import WooCommerceSimulator
from mapper.connectors.woocommerce.simulator_data import generated_shop
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

MAPPING = "woocommerce-yuki"


@pytest.fixture()
def systems() -> Iterator[tuple[WooCommerceSimulator, YukiSimulator, str, str]]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=20)
    shop = WooCommerceSimulator(generated_shop(60, seed=7, start=start))
    books = YukiSimulator(daily_limit=10**9)
    key, administration = books.seed_demo()
    with shop, books:
        yield shop, books, key, administration


def config_for(folder: Path, shop: WooCommerceSimulator, books: YukiSimulator,
               key: str, administration: str, ledger: str) -> Config:
    return one_shop_config(
        folder, ledger, name=SHOP, mapping=MAPPING,
        start=(datetime.now(UTC) - timedelta(days=30)).date().isoformat(),
        source={"type": "woocommerce", "url": shop.url, "page_size": 25,
                "key": {"env": "WC_KEY"}, "secret": {"env": "WC_SECRET"}},
        target=yuki_target(books, administration),
        environ={"WC_KEY": woo_sim.DEMO_KEY, "WC_SECRET": woo_sim.DEMO_SECRET, "YUKI_KEY": key},
    )


def expected_outcomes(shop: WooCommerceSimulator) -> dict[str, Expected]:
    """The rules applied offline to every order, as the pipeline would apply them; and the
    refunds of orders the shop refunded before they were ever invoiced: each waits in Open for
    an invoice to credit (status `refunded` is no invoicing status, so none comes)."""
    pair = Pair.load(MAPPING)
    expected = {
        str(order_id): expected_outcome(pair, str(order_id), f"Bestelling {order['number']}", {"order": order, "tax_rates": []})
        for order_id, order in shop.shop.orders.items()
    }
    for order_id, order in shop.shop.orders.items():
        for refund in order.get("refunds") or []:
            assert expected[str(order_id)].verdict == "open", "a generated refund of an invoiced order"
            credit = f"refund-{order_id}-{refund['id']}"
            expected[credit] = Expected(credit, "open", "")
    return expected


def test_every_paid_order_is_booked_once_and_a_later_payment_on_recheck(
    tmp_path: Path, systems: tuple[WooCommerceSimulator, YukiSimulator, str, str],
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
        assert (first.seen, first.sent) == (len(expected), verdicts.count("send"))
        assert again.sent == 0
        verdict = verify(expected, ledger_records(config.ledger_url), invoice_counts(books))
        assert verdict.problems == []
        assert verdict.sent == verdicts.count("send")

        # An on-hold order (awaiting a bank transfer) is paid: the re-check books it.
        waiting = next(
            o for o in shop.shop.orders.values()
            if o["status"] == "on-hold" and expected[str(o["id"])].verdict == "open"
        )
        shop.set_status(waiting["id"], "processing")
        recheck = sync.recheck()
        sync.close()
        assert recheck.sent == 1
        record = ledger.get_order(SHOP, str(waiting["id"]))
        assert record is not None and record.state == OrderState.SENT
    assert invoice_counts(books)[f"Bestelling {waiting['number']}"] == 1
    assert sum(invoice_counts(books).values()) == verdicts.count("send") + 1
