"""The VIES step of a sync pass, over real HTTP: PrestaShop, Yuki and VIES simulators.

VIES down leaves the ICP orders unverified — in Open, with the reason — never invalid; once
VIES answers again the re-check sends them, each once. A number VIES refutes goes to Errors;
`unverified: send_with_note` sends the invoice with a note instead of waiting.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from mapper.connectors.prestashop.simulator.data import fetched_document
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.simulation import Reply, Request
from mapper.connectors.vies.simulator import ViesSimulator
from mapper.connectors.yuki.simulator import YukiSimulator
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.mapping import Pair, Payload
from mapper.engine.sync.config import load_config
from mapper.engine.sync.pipeline import ShopSync

from sync.sync_helpers import (  # tests/ is on sys.path: pytest puts it there
    MAPPING,
    Systems,
    config_data,
    invoice_counts,
    ledger_records,
    running_systems,
    write_config,
)

ORDERS = 12
SEED = 7  # 8 domestic orders and 4 ICP orders to one Belgian company (BE0992534187)
NUMBER = "BE0992534187"
NO_RETRY_WAIT = RetryPolicy(sleep=lambda seconds: None)
TODAY = dt.date.today().isoformat()


class RemarksYuki(YukiSimulator):
    """Yuki that also keeps the Remarks of every invoice it is sent, by Subject."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.remarks: dict[str, str] = {}

    def handle(self, request: Request) -> Reply:
        if request.method == "POST":
            text = request.body.decode("utf-8", "replace")
            for invoice in re.findall(r"<SalesInvoice>.*?</SalesInvoice>", text, re.S):
                subject = re.search(r"<Subject>(.*?)</Subject>", invoice)
                remarks = re.search(r"<Remarks>(.*?)</Remarks>", invoice)
                if subject:
                    self.remarks[subject.group(1)] = remarks.group(1) if remarks else ""
        return super().handle(request)


def kinds(systems: Systems) -> tuple[dict[str, Payload], dict[str, Payload]]:
    """The shop's invoiced orders as the rules make them offline: (domestic, ICP) by order id."""
    pair = Pair.load(MAPPING)
    domestic, icp = {}, {}
    for record in systems.orders:
        outcome = pair.map(fetched_document(record))
        if isinstance(outcome, Payload):
            (icp if outcome.canonical["vat_scheme"] == "icp" else domestic)[outcome.order_id] = (
                outcome
            )
    return domestic, icp


@contextmanager
def shop_sync(
    tmp_path: Path,
    systems: Systems,
    vies: ViesSimulator,
    monkeypatch: pytest.MonkeyPatch,
    **setting: Any,
) -> Iterator[ShopSync]:
    for name, value in systems.environment().items():
        monkeypatch.setenv(name, value)
    data = config_data(systems)
    data["shops"][0]["vies"] = {"check": True, "url": vies.service_url, "timeout": 2, **setting}
    config = load_config(write_config(tmp_path, data))
    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger, retry=NO_RETRY_WAIT)
        try:
            yield sync
        finally:
            sync.close()


def ledger_url(folder: Path) -> str:
    return f"sqlite:///{(folder / 'ledger.db').resolve()}"


def test_vies_down_leaves_icp_orders_open_unverified_and_the_recheck_sends_them_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_systems(ORDERS, SEED) as systems, ViesSimulator(valid={NUMBER}) as vies:
        domestic, icp = kinds(systems)
        assert (len(domestic), len(icp)) == (8, 4)
        vies.unavailable.add("BE")
        with shop_sync(tmp_path, systems, vies, monkeypatch) as sync:
            report = sync.sync()
            assert (report.sent, report.failed, report.open) == (8, 0, 4)
            records = ledger_records(ledger_url(tmp_path))
            for order_id in icp:
                assert records[order_id].state == OrderState.OPEN
                assert records[order_id].reason == (
                    f"waiting for VIES: the VAT number could not be checked on {TODAY} (the "
                    "member state's database is not available); it is checked again at the "
                    "next re-check"
                )
            assert invoice_counts(systems.yuki) == {
                str(p.body["Subject"]): 1 for p in domestic.values()
            }
            # The member state's outage is asked about once in the pass, not once per order.
            assert vies.asked == ["BE0992534187"]

            vies.unavailable.clear()
            again = sync.recheck()
            assert (again.sent, again.failed, again.open) == (4, 0, 0)
            # One number, one question a day: the 4 orders share the answer.
            assert vies.asked == ["BE0992534187", "BE0992534187"]
        records = ledger_records(ledger_url(tmp_path))
        assert {records[i].state for i in [*domestic, *icp]} == {OrderState.SENT}
        assert invoice_counts(systems.yuki) == {
            str(p.body["Subject"]): 1 for p in [*domestic.values(), *icp.values()]
        }


def test_a_number_vies_refutes_sends_its_icp_orders_to_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_systems(ORDERS, SEED) as systems, ViesSimulator(valid=set()) as vies:
        domestic, icp = kinds(systems)
        with shop_sync(tmp_path, systems, vies, monkeypatch) as sync:
            report = sync.sync()
        assert (report.sent, report.failed, report.open) == (8, 4, 0)
        records = ledger_records(ledger_url(tmp_path))
        for order_id in icp:
            record = records[order_id]
            assert record.state == OrderState.FAILED
            assert record.reason == (
                "ICP order to BE without VAT, but the VAT number on the invoice address is not "
                f"valid: VIES does not know it as a valid VAT number (checked on {TODAY})"
            )
            assert NUMBER not in (record.reason or "") + (record.resolution or "")
        assert len(systems.yuki.invoices) == 8


def test_send_with_note_books_unverified_icp_orders_with_a_note_on_the_invoice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_systems(ORDERS, SEED, yuki_class=RemarksYuki) as systems, ViesSimulator() as vies:
        domestic, icp = kinds(systems)
        vies.busy.add(
            "BE"
        )  # MS_MAX_CONCURRENT_REQ, retried (the pass's policy: no waiting here), then given up
        with shop_sync(tmp_path, systems, vies, monkeypatch, unverified="send_with_note") as sync:
            report = sync.sync()
        assert (report.sent, report.failed, report.open) == (12, 0, 0)
        yuki = systems.yuki
        assert isinstance(yuki, RemarksYuki)
        note = (
            f"BTW-nummer kon op {TODAY} niet in VIES worden gecontroleerd "
            "(MS_MAX_CONCURRENT_REQ); ICP onder voorbehoud van controle."
        )
        for payload in icp.values():
            assert yuki.remarks[str(payload.body["Subject"])] == note
        for payload in domestic.values():
            assert yuki.remarks[str(payload.body["Subject"])] == ""
        assert invoice_counts(yuki) == {
            str(p.body["Subject"]): 1 for p in [*domestic.values(), *icp.values()]
        }


def test_without_vies_setting_the_checksum_decides_and_vies_is_never_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_systems(ORDERS, SEED) as systems, ViesSimulator(valid=set()) as vies:
        with shop_sync(tmp_path, systems, vies, monkeypatch, check=False) as sync:
            report = sync.sync()
        assert (report.sent, report.failed, report.open) == (12, 0, 0)
        assert vies.asked == []
