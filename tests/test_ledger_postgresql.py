"""What only a PostgreSQL ledger can get wrong: waits on row locks, read-only snapshots, zones.

These run on the test server (`postgres` fixture, tests/conftest.py); the suites parametrised
with `ledger_url` cover everything else on both databases.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from mapper.engine.ledger import Ledger, LedgerUnavailable, OrderState
from mapper.engine.ledger.database import reading
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from support.postgres import PostgresServer

pytestmark = pytest.mark.postgresql

SHOP = "webshop"
ORDER_DATE = datetime(2026, 3, 2, 10, 15, tzinfo=UTC)


@pytest.fixture
def url(postgres: PostgresServer) -> Iterator[str]:
    with postgres.fresh_schema() as fresh:
        yield fresh


def test_a_writer_blocked_by_a_row_lock_waits_its_timeout_then_reports_it(url: str) -> None:
    """SQLite's busy timeout, on PostgreSQL: a transaction that holds the order's row (a worker
    hung mid-transaction) makes the next writer wait `busy_timeout`, not for ever."""
    with Ledger.open(url, busy_timeout=timedelta(milliseconds=200)) as ledger:
        ledger.observe(SHOP, "1", "N1", ORDER_DATE, sendable=True)
        other = create_engine(url, poolclass=NullPool)
        try:
            with other.connect() as hung, hung.begin():
                hung.execute(text("SELECT 1 FROM ledger_orders WHERE order_id = '1' FOR UPDATE"))
                started = time.monotonic()
                with pytest.raises(LedgerUnavailable, match="lock timeout"):
                    ledger.claim(SHOP, "1", "N1", ORDER_DATE, "v1")
                waited = time.monotonic() - started
        finally:
            other.dispose()
        assert 0.15 < waited < 5
        # Once the other transaction is gone, the claim goes through.
        assert ledger.claim(SHOP, "1", "N1", ORDER_DATE, "v1") is not None
        assert ledger.get_order(SHOP, "1").state == OrderState.SENDING  # type: ignore[union-attr]


def test_reads_are_read_only_snapshots(url: str) -> None:
    with Ledger.open(url) as ledger:
        ledger.observe(SHOP, "1", "N1", ORDER_DATE, sendable=False)
        engine = ledger._engine  # noqa: SLF001 — the module-level helper under test
        with reading(engine) as connection:
            first = connection.execute(text("SELECT count(*) FROM ledger_orders")).scalar_one()
            ledger.observe(SHOP, "2", "N2", ORDER_DATE, sendable=False)  # committed meanwhile
            again = connection.execute(text("SELECT count(*) FROM ledger_orders")).scalar_one()
            assert (first, again) == (1, 1)  # one snapshot for the whole read
            with pytest.raises(Exception, match="read-only transaction"):
                connection.execute(text("DELETE FROM ledger_orders"))
        assert ledger.counts(SHOP)[OrderState.OPEN] == 2


def test_times_are_stored_as_instants_whatever_the_session_zone(url: str) -> None:
    """The test server's zone is America/St_Johns (UTC-3:30, tests/support/services.sh): what
    the ledger writes and reads back must be the same instant, in UTC."""
    with Ledger.open(url) as ledger:
        record = ledger.observe(SHOP, "1", "N1", ORDER_DATE, sendable=False)
        assert record.order_date == ORDER_DATE and record.order_date.tzinfo == UTC
        engine = ledger._engine  # noqa: SLF001
        with engine.connect() as connection:
            zone = connection.execute(text("SHOW TimeZone")).scalar_one()
            stored = connection.execute(
                text("SELECT order_date AT TIME ZONE 'UTC' FROM ledger_orders")
            ).scalar_one()
    assert stored == ORDER_DATE.replace(tzinfo=None)
    if zone in ("UTC", "Etc/UTC", "GMT"):
        pytest.skip(f"the server's zone is {zone}: run it in another to test this fully")
