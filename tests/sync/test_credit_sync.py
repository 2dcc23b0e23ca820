"""Credit notes in the sync, over real sockets: a PrestaShop order is invoiced in Yuki, a credit
slip appears in the shop, and the next pass books exactly one credit invoice for it — keyed on
the slip, listed in Reporting — also when a pass is SIGKILLed in the middle."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from mapper.connectors.yuki.simulator import YukiSimulator
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.sync.config import load_config
from mapper.engine.sync.lists import order_lists
from mapper.engine.sync.pipeline import ShopSync

from sync.sync_helpers import (  # tests/ is on sys.path: pytest puts it there
    SHOP,
    Systems,
    config_data,
    killed_when,
    running_systems,
    take_over_lock,
    write_config,
)
from sync.test_sync_faults import mapper_command

SEED = 20260320
SHOP_TIME = ZoneInfo("Europe/Amsterdam")  # the source section's default timezone


def subjects(yuki: YukiSimulator) -> Counter[str]:
    return Counter(str(invoice["subject"]) for invoice in yuki.invoices)


def a_sent_order(ledger: Ledger, systems: Systems) -> dict[str, Any]:
    """An order the first pass invoiced, as the shop holds it, with shipping charged."""
    for record in ledger.list_orders(SHOP, OrderState.SENT):
        order = systems.prestashop.order(int(record.order_id))
        assert order is not None
        if Decimal(order["total_shipping_tax_incl"]) > 0:
            return order
    raise AssertionError("no invoiced order with shipping")


PAID = 2  # PrestaShop's "Payment accepted"


def refund_first_row(systems: Systems, order: dict[str, Any]) -> dict[str, Any]:
    """A partial refund of the order's first row (one item) with its shipping, made now."""
    row = order["associations"]["order_rows"][0]
    now = dt.datetime.now(SHOP_TIME).replace(tzinfo=None, microsecond=0)
    return systems.prestashop.add_slip(
        int(order["id"]), {str(row["id"]): 1}, shipping=True, at=now - dt.timedelta(seconds=1)
    )


def credit_subject(slip: dict[str, Any], order: dict[str, Any]) -> str:
    return f"Creditnota {slip['id']} bij bestelling {order['reference']}"


def test_a_slip_of_a_synced_order_becomes_one_credit_invoice(
    tmp_path: Path, ledger_url: str
) -> None:
    with running_systems(12, seed=SEED) as systems:
        config = load_config(
            write_config(tmp_path, config_data(systems, ledger=ledger_url)),
            systems.environment(),
        )
        with Ledger.open(config.ledger_url) as ledger:
            sync = ShopSync(config.shops[0], ledger)
            first = sync.sync()
            order = a_sent_order(ledger, systems)
            invoices_before = len(systems.yuki.invoices)
            slip = refund_first_row(systems, order)
            second = sync.sync()
            third = sync.sync()
            sync.close()
            record = ledger.get_order(SHOP, f"slip-{slip['id']}")
            original = ledger.get_order(SHOP, str(order["id"]))
            reporting = order_lists(ledger, SHOP, ["reporting"])[0]

        booked = subjects(systems.yuki)
        credit = [i for i in systems.yuki.invoices if i["subject"] == credit_subject(slip, order)]

    assert first.sent >= 1
    assert second.sent == 1 and second.failed == 0  # the credit, nothing else
    assert third.sent == 0
    assert len(systems.yuki.invoices) == invoices_before + 1
    assert booked[credit_subject(slip, order)] == 1
    assert booked[f"Bestelling {order['reference']}"] == 1  # the invoice stays one
    # Keyed on the slip, not the order: the order's own record is untouched.
    assert record is not None and record.state == OrderState.SENT
    assert record.number == order["reference"]
    assert original is not None and original.state == OrderState.SENT
    # Its lines are the refund's, negative: one item of the row and the shipping, at the
    # order's rates; the total is what went back to the customer.
    row = order["associations"]["order_rows"][0]
    item, shipping = _cents(row["unit_price_tax_incl"]), _cents(order["total_shipping_tax_incl"])
    assert [(line["product"], line["quantity"], line["amount_incl_vat"])
            for line in credit[0]["lines"]] == [
        (row["product_name"], Decimal(1), -item), ("Verzendkosten", Decimal(1), -shipping),
    ]
    assert credit[0]["total"] == -(item + shipping)
    ids = [r[1] for r in reporting.rows]
    assert f"slip-{slip['id']}" in ids and str(order["id"]) in ids


def _cents(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_a_slip_of_an_order_not_yet_invoiced_waits_in_open_then_follows_its_invoice(
    tmp_path: Path, ledger_url: str
) -> None:
    """A refund while the order is not yet in an invoicing state: booking it now would credit
    an invoice that does not exist, failing it would ask the shop owner to do what mapper can.
    It waits in Open; the re-check that invoices the order books the credit too, once."""
    with running_systems(12, seed=SEED, unpaid_share=1.0) as systems:
        config = load_config(
            write_config(tmp_path, config_data(systems, ledger=ledger_url)),
            systems.environment(),
        )
        order = systems.prestashop.order(systems.prestashop.order_ids()[0])
        assert order is not None
        with Ledger.open(config.ledger_url) as ledger:
            sync = ShopSync(config.shops[0], ledger)
            sync.sync()
            slip = refund_first_row(systems, order)
            second = sync.sync()
            waiting = ledger.get_order(SHOP, f"slip-{slip['id']}")
            systems.prestashop.set_order_state(int(order["id"]), PAID)
            recheck = sync.recheck()
            again = sync.recheck()
            sync.close()
            record = ledger.get_order(SHOP, f"slip-{slip['id']}")
            invoice = ledger.get_order(SHOP, str(order["id"]))

    assert (second.sent, second.failed, second.open) == (0, 0, 1)
    assert waiting is not None and waiting.state == OrderState.OPEN
    assert waiting.reason == f"waits for order {order['reference']} to be invoiced"
    assert recheck.sent == 2 and again.sent == 0
    credits = [i for i in systems.yuki.invoices if str(i["subject"]).startswith("Creditnota")]
    assert [c["subject"] for c in credits] == [credit_subject(slip, order)]
    assert invoice is not None and invoice.state == OrderState.SENT
    assert record is not None and record.state == OrderState.SENT


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_pass_killed_while_booking_a_credit_never_books_it_twice(tmp_path: Path) -> None:
    with running_systems(40, seed=SEED, latency=0.02) as systems:
        config = write_config(tmp_path, config_data(systems, target={"settle_seconds": 0}))
        ledger_url = load_config(config, systems.environment()).ledger_url
        env = {**os.environ, **systems.environment()}
        command = mapper_command(config, "sync")
        first = subprocess.run(command, env=env, capture_output=True, text=True)
        assert first.returncode in (0, 1), first.stderr
        with Ledger.open(ledger_url) as ledger:
            sent = [r for r in ledger.list_orders(SHOP, OrderState.SENT)]
            orders = [systems.prestashop.order(int(r.order_id)) for r in sent[:8]]
        slips = [refund_first_row(systems, order) for order in orders if order is not None]
        wanted = {credit_subject(s, o) for s, o in zip(slips, orders) if o is not None}

        # Killed once it has claimed a credit (between claim and mark_sent, or after posting).
        with Ledger.open(ledger_url) as watcher:
            killed = killed_when(
                command, env, lambda: _a_credit_claimed(watcher), within=30,
                waiting_for="claimed a credit",
            )
        take_over_lock(ledger_url)
        final = subprocess.run(command, env=env, capture_output=True, text=True)
        assert final.returncode in (0, 1), final.stderr
        again = subprocess.run(command, env=env, capture_output=True, text=True)
        booked = subjects(systems.yuki)
        with Ledger.open(ledger_url) as ledger:
            credits = {
                r.order_id: r.state for r in ledger.list_orders(SHOP) if r.order_id.startswith("slip-")
            }

    assert killed, "the pass finished before it could be killed"
    assert {s: booked[s] for s in wanted} == {s: 1 for s in wanted}
    assert credits == {f"slip-{s['id']}": OrderState.SENT for s in slips}
    assert " 0 sent" in again.stdout


def _a_credit_claimed(ledger: Ledger) -> bool:
    return any(r.order_id.startswith("slip-") for r in ledger.list_orders(SHOP))
