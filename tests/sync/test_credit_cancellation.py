"""Cancellation after invoicing, over real sockets: with `credit_cancellations`, an order Yuki
holds as an invoice that the shop then cancels (state 6) becomes exactly one full credit
invoice on the next pass — also when that pass is SIGKILLed after its claim; an order cancelled
before it was ever invoiced gets none, and with the setting off nothing is credited. An order
is never credited twice: no cancellation credit for an order the shop made credit slips for,
and a slip of an order whose cancellation was credited lands in Errors saying why."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.sync.config import load_config
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
from sync.test_credit_sync import SHOP_TIME, credit_subject, refund_first_row, subjects
from sync.test_sync_faults import mapper_command

SEED = 20260320
CANCELLED = 6


def with_cancellations(data: dict[str, Any], on: bool = True) -> dict[str, Any]:
    data["shops"][0]["settings"] = {"prestashop": {"credit_cancellations": on}}
    return data


def shop_sync(tmp_path: Path, systems: Systems, ledger_url: str, on: bool = True) -> ShopSync:
    data = with_cancellations(config_data(systems, ledger=ledger_url), on)
    config = load_config(write_config(tmp_path, data), systems.environment())
    return ShopSync(config.shops[0], Ledger.open(config.ledger_url))


def cancel(systems: Systems, order: dict[str, Any]) -> dict[str, Any]:
    """The back office moves the order to Canceled, now."""
    now = dt.datetime.now(SHOP_TIME).replace(tzinfo=None, microsecond=0)
    cancelled: dict[str, Any] = systems.prestashop.set_order_state(
        int(order["id"]), CANCELLED, at=now - dt.timedelta(seconds=1)
    )
    return cancelled


def sent_orders(ledger: Ledger, systems: Systems, count: int) -> list[dict[str, Any]]:
    """`count` orders the first pass invoiced, as the shop holds them."""
    found = []
    for record in list(ledger.list_orders(SHOP, OrderState.SENT))[:count]:
        order = systems.prestashop.order(int(record.order_id))
        assert order is not None
        found.append(order)
    assert len(found) == count
    return found


def cancellation_subject(order: dict[str, Any]) -> str:
    return f"Creditnota cancel-{order['id']} bij bestelling {order['reference']}"


def invoice_of(systems: Systems, subject: str) -> dict[str, Any]:
    invoices: list[dict[str, Any]] = [
        i for i in systems.yuki.invoices if i["subject"] == subject
    ]
    assert len(invoices) == 1, f"{len(invoices)} invoices {subject!r}"
    return invoices[0]


def test_an_invoiced_order_cancelled_becomes_one_full_credit_invoice(
    tmp_path: Path, ledger_url: str
) -> None:
    with running_systems(12, seed=SEED) as systems:
        sync = shop_sync(tmp_path, systems, ledger_url)
        first = sync.sync()
        [order] = sent_orders(sync.ledger, systems, 1)
        before = len(systems.yuki.invoices)
        cancel(systems, order)
        second = sync.sync()
        third = sync.sync()
        record = sync.ledger.get_order(SHOP, f"cancel-{order['id']}")
        original = sync.ledger.get_order(SHOP, str(order["id"]))
        sync.close()
        sync.ledger.close()
        invoice = invoice_of(systems, f"Bestelling {order['reference']}")
        credit = invoice_of(systems, cancellation_subject(order))

    assert first.sent >= 1
    assert (second.sent, second.failed) == (1, 0)
    assert (third.sent, third.failed) == (0, 0)
    assert len(systems.yuki.invoices) == before + 1
    assert record is not None and record.state == OrderState.SENT
    assert record.number == order["reference"]
    assert original is not None and original.state == OrderState.SENT  # the invoice stays
    # The full credit: every line of the invoice, its amount negated, at the invoice's VAT.
    assert [
        (line["product"], line["quantity"], -line["amount_incl_vat"], line["vat_type"])
        for line in credit["lines"]
    ] == [
        (line["product"], line["quantity"], line["amount_incl_vat"], line["vat_type"])
        for line in invoice["lines"]
    ]
    assert credit["total"] == -invoice["total"]


def test_cancelled_before_invoicing_or_with_the_setting_off_nothing_is_credited(
    tmp_path: Path, ledger_url: str
) -> None:
    with running_systems(12, seed=SEED, unpaid_share=0.5) as systems:
        shop_orders = [
            systems.prestashop.order(i) for i in systems.prestashop.order_ids()
        ]
        on = shop_sync(tmp_path, systems, ledger_url)
        on.sync()
        open_ids = {r.order_id for r in on.ledger.list_orders(SHOP, OrderState.OPEN)}
        never = next(o for o in shop_orders if o and str(o["id"]) in open_ids)
        cancel(systems, never)
        with_setting = on.sync()
        never_record = on.ledger.get_order(SHOP, str(never["id"]))
        never_credit = on.ledger.get_order(SHOP, f"cancel-{never['id']}")
        on.close()
        on.ledger.close()

        off = shop_sync(tmp_path, systems, ledger_url, on=False)
        [invoiced] = sent_orders(off.ledger, systems, 1)
        cancel(systems, invoiced)
        without_setting = off.sync()
        invoiced_credit = off.ledger.get_order(SHOP, f"cancel-{invoiced['id']}")
        off.close()
        off.ledger.close()
        booked = subjects(systems.yuki)

    assert (with_setting.sent, with_setting.failed) == (0, 0)
    assert never_record is not None and never_record.state == OrderState.OPEN
    assert never_record.reason == "cancelled before it was invoiced"
    assert never_credit is None
    assert (without_setting.sent, without_setting.failed) == (0, 0)
    assert invoiced_credit is None
    assert not [s for s in booked if s.startswith("Creditnota")]


def test_no_cancellation_credit_for_an_order_the_shop_made_slips_for(
    tmp_path: Path, ledger_url: str
) -> None:
    """A slip booked in an earlier pass, and a slip made with the cancellation (PrestaShop's
    standard refund, seen in the same pass): the slips are the credit notes, and only they."""
    with running_systems(12, seed=SEED) as systems:
        sync = shop_sync(tmp_path, systems, ledger_url)
        sync.sync()
        earlier, together = sent_orders(sync.ledger, systems, 2)
        earlier_slip = refund_first_row(systems, earlier)
        slips = sync.sync()
        cancel(systems, earlier)
        together_slip = refund_first_row(systems, together)
        cancel(systems, together)
        cancellations = sync.sync()
        records = {
            i: sync.ledger.get_order(SHOP, i)
            for i in (f"cancel-{earlier['id']}", f"cancel-{together['id']}")
        }
        sync.close()
        sync.ledger.close()
        booked = subjects(systems.yuki)

    assert (slips.sent, slips.failed) == (1, 0)
    assert (cancellations.sent, cancellations.failed) == (1, 0)  # the second slip only
    assert booked[credit_subject(earlier_slip, earlier)] == 1
    assert booked[credit_subject(together_slip, together)] == 1
    assert booked[cancellation_subject(earlier)] == 0
    assert booked[cancellation_subject(together)] == 0
    assert records == {f"cancel-{earlier['id']}": None, f"cancel-{together['id']}": None}


def test_a_slip_of_an_order_credited_by_its_cancellation_lands_in_errors(
    tmp_path: Path, ledger_url: str
) -> None:
    with running_systems(12, seed=SEED) as systems:
        sync = shop_sync(tmp_path, systems, ledger_url)
        sync.sync()
        [order] = sent_orders(sync.ledger, systems, 1)
        cancel(systems, order)
        cancelled = sync.sync()
        slip = refund_first_row(systems, order)
        slipped = sync.sync()
        again = sync.reprocess([f"slip-{slip['id']}"])
        record = sync.ledger.get_order(SHOP, f"slip-{slip['id']}")
        sync.close()
        sync.ledger.close()
        booked = subjects(systems.yuki)

    assert (cancelled.sent, slipped.sent, slipped.failed) == (1, 0, 1)
    assert (again.sent, again.failed) == (0, 1)  # processing it again changes nothing
    assert booked[cancellation_subject(order)] == 1
    assert booked[credit_subject(slip, order)] == 0
    assert record is not None and record.state == OrderState.FAILED
    assert record.reason == (
        f"Credit slip {slip['id']} of order {order['reference']}, but that order was already "
        f"credited in full when it was cancelled (credit note cancel-{order['id']}), so booking "
        "the slip as well would credit it twice"
    )
    assert record.resolution is not None
    assert record.resolution.startswith(
        "Nothing more to book for this slip: the cancellation's credit note refunds the whole "
        "order."
    )


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_pass_killed_while_booking_a_cancellation_credits_each_order_once(
    tmp_path: Path,
) -> None:
    with running_systems(40, seed=SEED, latency=0.02) as systems:
        data = with_cancellations(config_data(systems, target={"settle_seconds": 0}))
        config = write_config(tmp_path, data)
        ledger_url = load_config(config, systems.environment()).ledger_url
        env = {**os.environ, **systems.environment()}
        command = mapper_command(config, "sync")
        first = subprocess.run(command, env=env, capture_output=True, text=True)
        assert first.returncode in (0, 1), first.stderr
        with Ledger.open(ledger_url) as ledger:
            orders = sent_orders(ledger, systems, 8)
        for order in orders:
            cancel(systems, order)

        # Killed once it has claimed a cancellation's credit (before or after posting it).
        with Ledger.open(ledger_url) as watcher:
            killed = killed_when(  # within: a guard, a loaded machine starts slowly
                command, env, lambda: bool(_credits(watcher)), within=120,
                waiting_for="claimed a credit",
            )
        take_over_lock(ledger_url)
        final = subprocess.run(command, env=env, capture_output=True, text=True)
        assert final.returncode in (0, 1), final.stderr
        again = subprocess.run(command, env=env, capture_output=True, text=True)
        booked = subjects(systems.yuki)
        with Ledger.open(ledger_url) as ledger:
            credits = _credits(ledger)

    assert killed, "the pass finished before it could be killed"
    assert {cancellation_subject(o): booked[cancellation_subject(o)] for o in orders} == {
        cancellation_subject(o): 1 for o in orders
    }
    assert credits == {f"cancel-{o['id']}": OrderState.SENT for o in orders}
    assert " 0 sent" in again.stdout


def _credits(ledger: Ledger) -> dict[str, OrderState]:
    return {r.order_id: r.state for r in ledger.list_orders(SHOP) if r.order_id.startswith("cancel-")}
