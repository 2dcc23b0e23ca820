"""Exactly once when Factuursturen books after the client gave up: real `mapper sync` processes
against the Lightspeed and Factuursturen simulators over HTTP; Factuursturen takes 12 s to book
an invoice, the client waits 0.5 s. The second pass runs while every booking is still under way
and must not post again; the third, after the bookings, finds each invoice."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from mapper.engine.ledger import OrderState
from mapper.engine.sync.config import load_config

from sync.test_adopt_factuursturen import (
    ENVIRONMENT,
    booked_per_order,
    ledger_records,
    run,
    running_shop_and_books,
    write_config,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")

ORDERS = 8  # of which seed 5 makes 6 paid and awaiting shipment
BOOKING_LATENCY = 12.0


def posted(requests: list[tuple[str, str, bytes]]) -> int:
    return sum(1 for method, path, _ in requests
               if method == "POST" and path.endswith("/invoices"))


def test_a_late_factuursturen_booking_is_waited_for_not_posted_again(tmp_path: Path) -> None:
    with running_shop_and_books(ORDERS, seed=5, booking_latency=BOOKING_LATENCY) as systems:
        books = systems.books
        config = write_config(tmp_path, systems, action="send", target={"timeout": 0.5})
        ledger_url = load_config(config, ENVIRONMENT).ledger_url

        first = run(config)
        posts_first = posted(books.requests_log)
        second = run(config)
        # The premise: the second pass ran while Factuursturen was still booking.
        assert books.bookings_finished == 0, "the second pass came too late to prove anything"
        posts_second = posted(books.requests_log) - posts_first
        states_between = {r.state for r in ledger_records(ledger_url).values()
                          if r.state != OrderState.OPEN}
        assert books.wait_for_bookings(posts_first, timeout=60)
        third = run(config)
        posts_total = posted(books.requests_log)
        counts = booked_per_order(books)
        records = ledger_records(ledger_url)
    assert posts_first == 6
    assert first.returncode in (0, 1), first.stderr
    assert "not confirmed by the accounting system now" in first.stdout + first.stderr
    assert second.returncode in (0, 1), second.stderr
    assert "waiting for the accounting system to confirm" in second.stdout + second.stderr
    assert posts_second == 0
    assert states_between == {OrderState.SENDING}
    assert third.returncode == 0, third.stderr
    assert "6 recovered after an interruption" in third.stdout
    assert posts_total == 6  # one POST invoices per order in all: never posted again
    assert len(counts) == 6 and set(counts.values()) == {1}
    assert {r.state for r in records.values() if r.state != OrderState.OPEN} == {OrderState.SENT}
