"""The sync pipeline end to end over real sockets: PrestaShop simulator → Yuki simulator."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from mapper.cli import main
from mapper.connectors.prestashop.simulator.data import demo_records
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator
from mapper.connectors.simulation import Faults
from mapper.connectors.yuki.simulator import YukiSimulator
from mapper.engine.errors import ConfigError
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.mapping import Pair, Payload
from mapper.engine.sync.config import load_config, parse_config
from mapper.engine.sync.pipeline import ShopSync

PAID, AWAITING_WIRE = 2, 10


@pytest.fixture()
def shop() -> Iterator[PrestaShopSimulator]:
    simulator = PrestaShopSimulator(faults=Faults())
    simulator.add_orders(demo_records())
    simulator.add_generated(
        30, seed=7, start=dt.datetime(2024, 1, 6, 8), interval_seconds=3600,
        unpaid_share=0.3, bad_share=0.2,
    )
    with simulator:
        yield simulator


@pytest.fixture()
def yuki() -> Iterator[YukiSimulator]:
    simulator = YukiSimulator()
    with simulator:
        yield simulator


def write_config(
    folder: Path, shop: PrestaShopSimulator, yuki: YukiSimulator, ledger: str
) -> Path:
    """mapper.yaml over both simulators; `ledger` is the `ledger_url` fixture (SQLite, then
    PostgreSQL)."""
    _, administration = yuki.seed_demo()
    config = {
        "ledger": ledger,
        "secrets_file": "secrets.yaml",
        "shops": [
            {
                "name": "webshop",
                "mapping": "prestashop-yuki",
                "start": "2024-01-01",
                "source": {"type": "prestashop", "url": shop.url, "key": {"env": "TEST_PS_KEY"}},
                "target": {
                    "type": "yuki",
                    "url": yuki.url,
                    "access_key": {"secret": "yuki"},
                    "administration_id": administration,
                },
            }
        ],
    }
    (folder / "mapper.yaml").write_text(yaml.safe_dump(config))
    (folder / "secrets.yaml").write_text(f"yuki: {yuki.seed_demo()[0]}\n")
    return folder / "mapper.yaml"


def subjects(yuki: YukiSimulator) -> Counter[str]:
    return Counter(invoice["subject"] for invoice in yuki.invoices)


def test_a_pass_puts_every_order_in_one_list_and_sends_each_once(
    tmp_path: Path, shop: PrestaShopSimulator, yuki: YukiSimulator, monkeypatch: Any,
    ledger_url: str,
) -> None:
    monkeypatch.setenv("TEST_PS_KEY", PrestaShopSimulator.DEMO_KEY)
    config = load_config(write_config(tmp_path, shop, yuki, ledger_url))
    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger)
        first = sync.sync()
        second = sync.sync()
        sync.close()
        counts = ledger.counts("webshop")
        failed = list(ledger.list_orders("webshop", OrderState.FAILED))

    assert first.seen == len(shop.order_ids()) == 34
    assert first.sent + first.failed + first.open == first.seen
    assert (counts[OrderState.SENT], counts[OrderState.FAILED], counts[OrderState.OPEN]) == (
        first.sent, first.failed, first.open,
    )
    assert counts[OrderState.SENDING] == 0
    assert second.sent == 0  # nothing is sent twice
    sent_subjects = subjects(yuki)
    assert len(sent_subjects) == first.sent and set(sent_subjects.values()) == {1}
    assert failed and all(record.reason and record.resolution for record in failed)


@contextmanager
def paid_after_a_pass(
    tmp_path: Path, shop: PrestaShopSimulator, yuki: YukiSimulator, monkeypatch: Any,
    ledger_url: str,
) -> Iterator[tuple[Ledger, ShopSync, list[str]]]:
    """A pass over the shop, then every order it left open paid in the shop: the ledger, the
    shop's sync and the open orders' ids."""
    monkeypatch.setenv("TEST_PS_KEY", PrestaShopSimulator.DEMO_KEY)
    config = load_config(write_config(tmp_path, shop, yuki, ledger_url))
    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger)
        try:
            sync.sync()
            open_ids = list(ledger.open_order_ids("webshop"))
            for order_id in open_ids:
                shop.set_order_state(int(order_id), PAID)
            yield ledger, sync, open_ids
        finally:
            sync.close()


def test_recheck_sends_open_orders_once_their_status_allows(
    tmp_path: Path, shop: PrestaShopSimulator, yuki: YukiSimulator, monkeypatch: Any,
    ledger_url: str,
) -> None:
    with paid_after_a_pass(tmp_path, shop, yuki, monkeypatch, ledger_url) as (
        ledger, sync, open_ids,
    ):
        assert open_ids
        # Some generated orders do not add up: once paid, they are turned away, not sent.
        pair = Pair.load("prestashop-yuki")
        sendable = [
            order_id
            for order_id, document in zip(open_ids, sync.source.by_ids(open_ids))
            if isinstance(pair.map(document), Payload)
        ]
        paid = sendable[:2]
        for order_id in set(open_ids) - set(paid):
            shop.set_order_state(int(order_id), AWAITING_WIRE)
        report = sync.recheck()
        assert len(paid) == 2
        assert report.seen == len(open_ids)
        assert report.sent == 2
        assert [ledger.get_order("webshop", i).state for i in paid] == [OrderState.SENT] * 2  # type: ignore[union-attr]
    assert set(subjects(yuki).values()) == {1}


def test_a_recheck_over_many_batches_asks_each_open_order_once_and_sends_each_paid_once(
    tmp_path: Path, shop: PrestaShopSimulator, yuki: YukiSimulator, monkeypatch: Any,
    ledger_url: str,
) -> None:
    # Batches of 3 ids, read from the ledger as the pass goes (one stream over all of them):
    # no id asked twice or left out, whatever is sent meanwhile.
    monkeypatch.setattr("mapper.engine.sync.pipeline.RECHECK_BATCH", 3)
    with paid_after_a_pass(tmp_path, shop, yuki, monkeypatch, ledger_url) as (
        ledger, sync, open_ids,
    ):
        assert len(open_ids) > 6  # more than two batches
        shop.request_log.clear()
        report = sync.recheck()
        still_open = set(ledger.open_order_ids("webshop"))
    asked = [
        order_id
        for request in shop.request_log
        if request.path == "/api/orders" and "filter[id]" in request.query
        for order_id in request.query["filter[id]"].strip("[]").split("|")
    ]
    assert sorted(asked) == sorted(open_ids)
    assert report.seen == len(open_ids)
    assert report.sent + report.failed + report.open == report.seen and report.sent > 0
    assert not still_open  # paid: each sent or in Errors
    assert set(subjects(yuki).values()) == {1}


def test_reprocess_sends_an_order_from_errors_again_after_the_fix(
    tmp_path: Path, shop: PrestaShopSimulator, yuki: YukiSimulator, monkeypatch: Any,
    ledger_url: str,
) -> None:
    monkeypatch.setenv("TEST_PS_KEY", PrestaShopSimulator.DEMO_KEY)
    config_path = write_config(tmp_path, shop, yuki, ledger_url)
    config = load_config(config_path)
    order = shop.order(1)  # the Dutch consumer's paid order
    assert order is not None
    shop.update_order(1, total_paid_tax_incl="1.000000")  # a total that does not add up
    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger)
        sync.sync()
        sync.close()
        record = ledger.get_order("webshop", "1")
        assert record is not None and record.state == OrderState.FAILED
        assert record.reason is not None and record.reason.startswith("The order total 1.00")
    runner = CliRunner()
    not_fixed = runner.invoke(
        main, ["reprocess", "1", "--config", str(config_path), "--shop", "webshop"]
    )
    assert "1 to Errors" in not_fixed.output and not_fixed.exit_code == 1
    shop.update_order(1, total_paid_tax_incl=order["total_paid_tax_incl"])  # the owner fixes it
    fixed = runner.invoke(main, ["reprocess", "1", "--config", str(config_path), "--shop", "webshop"])
    assert "1 sent" in fixed.output and fixed.exit_code == 0
    again = runner.invoke(main, ["reprocess", "1", "--config", str(config_path), "--shop", "webshop"])
    assert "order 1 is sent, not in Errors" in again.output
    assert subjects(yuki)[f"Bestelling {order['reference']}"] == 1


def test_an_order_left_sending_by_a_dead_pass_is_resolved_not_sent_twice(
    tmp_path: Path, shop: PrestaShopSimulator, yuki: YukiSimulator, monkeypatch: Any,
    ledger_url: str,
) -> None:
    monkeypatch.setenv("TEST_PS_KEY", PrestaShopSimulator.DEMO_KEY)
    config = load_config(write_config(tmp_path, shop, yuki, ledger_url))
    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger)
        sync.sync()
        sent = list(ledger.list_orders("webshop", OrderState.SENT))
        posted_but_unrecorded = sent[0]
        # A crash between posting and recording: the ledger still says `sending`.
        with ledger._engine.begin() as connection:  # noqa: SLF001 — simulate the crash's trace
            from sqlalchemy import text

            connection.execute(
                text("UPDATE ledger_orders SET state='sending' WHERE shop=:s AND order_id=:o"),
                {"s": "webshop", "o": posted_but_unrecorded.order_id},
            )
        report = sync.sync()
        sync.close()
        record = ledger.get_order("webshop", posted_but_unrecorded.order_id)
    assert report.recovered == 1
    assert record is not None and record.state == OrderState.SENT
    assert subjects(yuki)[f"Bestelling {posted_but_unrecorded.number}"] == 1


def test_status_lists_and_backfill_from_the_cli(
    tmp_path: Path, shop: PrestaShopSimulator, yuki: YukiSimulator, monkeypatch: Any,
    ledger_url: str,
) -> None:
    monkeypatch.setenv("TEST_PS_KEY", PrestaShopSimulator.DEMO_KEY)
    config_path = write_config(tmp_path, shop, yuki, ledger_url)
    runner = CliRunner()
    result = runner.invoke(
        main, ["backfill", "--config", str(config_path), "--shop", "webshop",
               "--since", "2024-01-01", "--window-days", "30"],
    )
    assert "backfill: 34 orders seen" in result.output
    status = runner.invoke(main, ["status", "--config", str(config_path)])
    assert status.exit_code == 0
    assert "Reporting — sent to the accounting system" in status.output
    assert "Errors — not sent; the reason and what to do" in status.output
    assert "Open — waiting for an invoicing status" in status.output
    only_errors = runner.invoke(main, ["status", "--config", str(config_path), "--list", "errors"])
    assert "Reporting" not in only_errors.output and "Resolution:" in only_errors.output


def test_config_problems_are_one_line_each_and_never_show_a_secret(tmp_path: Path) -> None:
    data = {
        "shops": [
            {
                "name": "a",
                "mapping": "prestashop-yuki",
                "source": {"type": "prestashop", "url": "http://x", "key": {"env": "MISSING_KEY"}},
                "target": {"type": "yuki", "url": "http://y", "access_key": "plain-secret-value"},
            }
        ]
    }
    with pytest.raises(ConfigError) as error:
        parse_config(data, tmp_path, "mapper.yaml", environ={})
    message = str(error.value)
    assert "shops.0.target.access_key" in message
    assert "plain-secret-value" not in message
    data["shops"][0]["target"]["access_key"] = {"env": "YUKI_KEY"}
    with pytest.raises(ConfigError) as error:
        parse_config(data, tmp_path, "mapper.yaml", environ={"YUKI_KEY": "s3cr3t"})
    assert str(error.value) == (
        "mapper.yaml: shops.0.source.key: environment variable MISSING_KEY is not set"
    )
    config = parse_config(
        data, tmp_path, "mapper.yaml", environ={"YUKI_KEY": "s3cr3t", "MISSING_KEY": "k"}
    )
    shown = repr(config)
    assert "s3cr3t" not in shown and "Secret(env YUKI_KEY, ***)" in shown


def test_two_passes_for_one_shop_cannot_run_at_once(
    tmp_path: Path, shop: PrestaShopSimulator, yuki: YukiSimulator, monkeypatch: Any,
    ledger_url: str,
) -> None:
    from mapper.engine.ledger import ShopLocked

    monkeypatch.setenv("TEST_PS_KEY", PrestaShopSimulator.DEMO_KEY)
    config = load_config(write_config(tmp_path, shop, yuki, ledger_url))
    with Ledger.open(config.ledger_url) as ledger, ledger.shop_lock("webshop", owner="other"):
        sync = ShopSync(config.shops[0], ledger)
        with pytest.raises(ShopLocked, match="webshop"):
            sync.sync()
        sync.close()
    assert yuki.invoices == []


def test_demo_runs_a_full_sync_and_prints_the_three_lists() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    for title in ("Reporting —", "Errors —", "Open —"):
        assert title in result.output
    assert "a second pass finds nothing new to send" in result.output
    _ = AWAITING_WIRE
