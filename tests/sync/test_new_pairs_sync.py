"""Issue 14: a sync from each new shop simulator (WooCommerce, Shopify) to each new target
simulator (Moneybird, Exact Online, the Peppol outbox) books every paid order once.

Each pair runs as `mapper demo --shop S --target T` sets it up: both systems started with their
demo data through the connector registry, the configuration made by the demo's own
`demo_config` — on the `ledger_url` fixture's ledger (SQLite and PostgreSQL). What the rules
make of every order of the shop is computed offline first; after two passes the ledger and what
the target really received (counted by the order's idempotency key: Moneybird's `reference`,
Exact's `YourRef`, the Peppol outbox's file by its `cbc:ID`) must agree with it exactly. Then
the shop owner marks an open order paid and the re-check books exactly that one.
"""

from __future__ import annotations

import importlib
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from mapper.commands.demo import DEMO_SHOP, demo_config
from mapper.connectors.registry import DemoSystem, connector
from mapper.connectors.simulation import Simulator
from mapper.engine.ledger import Ledger, OrderRecord, OrderState
from mapper.engine.mapping import Pair, Payload
from mapper.engine.sync.pipeline import ShopSync

from sync.sync_helpers import Expected, expected_outcome, verify

SHOPS = ("woocommerce", "shopify")
TARGETS = ("moneybird", "exact", "peppol")
PAIRS = [(shop, target) for shop in SHOPS for target in TARGETS]
UBL_ID = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID"


# -- the shops: their orders as the adapters fetch them, and an order awaiting payment ---------
@dataclass(frozen=True)
class ShopReads:
    document: Callable[[dict[str, Any]], dict[str, Any]]  # the fetched order document
    number: Callable[[dict[str, Any]], str]  # the order number the shop shows
    waiting: Callable[[dict[str, Any]], bool]  # not paid yet: marking it paid makes it invoiced


SHOP_READS = {
    "woocommerce": ShopReads(
        lambda order: {"order": order, "tax_rates": []},
        lambda order: str(order["number"]),
        lambda order: order["status"] in ("on-hold", "pending") and not order.get("refunds"),
    ),
    "shopify": ShopReads(
        lambda order: {"order": order},
        lambda order: str(order["name"]).removeprefix("#"),
        lambda order: order["financial_status"] in ("authorized", "pending")
        and not order.get("refunds"),
    ),
}


# -- the targets: a payload's idempotency key, and the keys of what the target received ---------
@dataclass(frozen=True)
class TargetReads:
    key: Callable[[Payload], str]  # the key of a payload the rules make
    # the key an order's document would have (for the orders that must have none)
    would_be: Callable[[str, str], str]  # (order id, number) → key
    received: Callable[[Simulator | None, DemoSystem], Counter[str]]  # what the target holds


def _outbox_ids(simulator: Simulator | None, system: DemoSystem) -> Counter[str]:
    """The `cbc:ID` of every document published in the Peppol outbox (not the hidden
    temporary files a write uses)."""
    files = [p for p in Path(system.section["outbox"]).rglob("*.xml") if not p.name.startswith(".")]
    return Counter(str(ET.parse(p).getroot().findtext(UBL_ID)) for p in files)


def _ubl_id(payload: Payload) -> str:
    document = next(payload.body[root] for root in ("Invoice", "CreditNote") if root in payload.body)
    return str((document[0] if isinstance(document, list) else document)["cbc:ID"])


TARGET_READS = {
    "moneybird": TargetReads(
        lambda payload: str(payload.body["sales_invoice"]["reference"]),
        lambda order_id, number: f"Bestelling {number} ({order_id})",
        lambda books, system: Counter(str(i["reference"]) for i in books.invoices.values()),
    ),
    "exact": TargetReads(
        lambda payload: str(payload.body["sales_entry"]["YourRef"]),
        lambda order_id, number: f"{number} ({order_id})",
        lambda books, system: Counter(str(e["YourRef"]) for e in books.entries.values()),
    ),
    "peppol": TargetReads(_ubl_id, lambda order_id, number: order_id, _outbox_ids),
}


# -- the pair, running as `mapper demo` runs it -------------------------------------------------
@dataclass
class Running:
    shop: str
    target: str
    # not in the repr (a failure's report): their `environ` holds the demo credentials
    source: DemoSystem = field(repr=False)
    books: DemoSystem = field(repr=False)
    shop_simulator: Any  # the shop's simulator (its orders, for the offline expectation)
    target_simulator: Simulator | None  # None: the Peppol outbox is a folder, not a server

    def received(self) -> Counter[str]:
        return TARGET_READS[self.target].received(self.target_simulator, self.books)


def _recording(monkeypatch: pytest.MonkeyPatch, name: str) -> list[Simulator]:
    """The simulators `name`'s demo starts, as it starts them: its module's simulator class
    replaced by a subclass that notes each instance it starts."""
    module = importlib.import_module(connector(name).demo.partition(":")[0])
    started: list[Simulator] = []
    for attribute, value in list(vars(module).items()):
        if isinstance(value, type) and issubclass(value, Simulator):

            class Recording(value):
                def start(self) -> Simulator:
                    started.append(self)
                    return super().start()

            monkeypatch.setattr(module, attribute, Recording)
    return started


@pytest.fixture(params=PAIRS, ids=[f"{shop}-{target}" for shop, target in PAIRS])
def running(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Running]:
    shop, target = request.param
    shop_started, target_started = _recording(monkeypatch, shop), _recording(monkeypatch, target)
    with ExitStack() as stack:
        source = connector(shop, "shop").start_demo(tmp_path)
        stack.callback(source.stop)
        books = connector(target, "accounting").start_demo(tmp_path)
        stack.callback(books.stop)
        assert len(shop_started) == 1 and len(target_started) == (0 if target == "peppol" else 1)
        yield Running(shop, target, source, books, shop_started[0],
                      target_started[0] if target_started else None)


def expected_outcomes(run: Running, pair: Pair) -> dict[str, Expected]:
    """The rules applied offline to every order of the shop, as the pipeline would apply them;
    and the refunds of orders the shop refunded before they were ever invoiced: each waits in
    Open for an invoice to credit."""
    shop, target = SHOP_READS[run.shop], TARGET_READS[run.target]
    orders: dict[Any, dict[str, Any]] = run.shop_simulator.shop.orders
    expected = {
        str(order_id): expected_outcome(
            pair, str(order_id), target.would_be(str(order_id), shop.number(order)),
            shop.document(order), target.key,
        )
        for order_id, order in orders.items()
    }
    for order_id, order in orders.items():
        # the key of an order without a document is the key its document would have had
        if expected[str(order_id)].verdict == "send":
            assert expected[str(order_id)].subject == target.would_be(str(order_id), shop.number(order))
        for refund in order.get("refunds") or []:
            assert expected[str(order_id)].verdict == "open", "a demo refund of an invoiced order"
            credit = f"refund-{order_id}-{refund['id']}"
            expected[credit] = Expected(credit, "open", "")
    return expected


def records_of(ledger: Ledger) -> dict[str, OrderRecord]:
    return {record.order_id: record for record in ledger.list_orders(DEMO_SHOP)}


def test_every_paid_order_is_booked_once_and_a_later_payment_on_recheck(
    running: Running, tmp_path: Path, ledger_url: str
) -> None:
    run = running
    mapping = f"{run.shop}-{run.target}"
    # the demo's own configuration; its ledger (a file in the demo's folder) is not used
    config = demo_config(tmp_path, run.source, run.books, mapping)
    pair = Pair.load(mapping, config.shops[0].settings)
    expected = expected_outcomes(run, pair)
    verdicts = Counter(e.verdict for e in expected.values())
    # the demo shop fills the three lists
    assert verdicts["send"] >= 15 and verdicts["reject"] >= 2 and verdicts["open"] >= 5, verdicts
    sends = verdicts["send"]
    assert run.received() == Counter()

    with Ledger.open(ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger)
        try:
            first = sync.sync()
            again = sync.sync()  # nothing changed: nothing booked twice
            assert (first.seen, first.sent, first.failed) == (len(expected), sends, verdicts["reject"])
            assert (again.sent, again.failed) == (0, 0)
            received = run.received()
            verdict = verify(expected, records_of(ledger), received)
            assert verdict.problems == []
            assert (verdict.sent, verdict.rejected, verdict.open) == (
                sends, verdicts["reject"], verdicts["open"])
            assert verdict.check_in_target == {}
            assert sum(received.values()) == sends and set(received.values()) == {1}
            assert not ledger.counts(DEMO_SHOP).get(OrderState.SENDING)
            # each sent order's ledger record names the document it became
            assert all(r.target_reference for r in ledger.list_orders(DEMO_SHOP, OrderState.SENT))

            # The shop owner marks an order that awaits payment paid: the re-check books it.
            orders = run.shop_simulator.shop.orders
            waiting = next(
                str(order_id) for order_id, order in sorted(orders.items())
                if SHOP_READS[run.shop].waiting(order) and expected[str(order_id)].verdict == "open"
            )
            assert run.source.mark_paid is not None
            run.source.mark_paid(waiting)
            now = expected_outcome(
                pair, waiting, "", SHOP_READS[run.shop].document(orders[int(waiting)]),
                TARGET_READS[run.target].key,
            )
            assert now.verdict == "send", now
            recheck = sync.recheck()
        finally:
            sync.close()
        assert (recheck.sent, recheck.failed) == (1, 0)
        record = ledger.get_order(DEMO_SHOP, waiting)
        assert record is not None and record.state == OrderState.SENT
        expected[waiting] = now
        received = run.received()
        verdict = verify(expected, records_of(ledger), received)
        assert verdict.problems == []
        assert verdict.sent == sends + 1
        assert received[now.subject] == 1
        assert sum(received.values()) == sends + 1
        assert not ledger.counts(DEMO_SHOP).get(OrderState.SENDING)
