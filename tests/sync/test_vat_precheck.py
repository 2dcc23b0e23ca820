"""The manual's pre-check "for the VAT of every line a matching VAT code exists in Yuki", against
the administration's ActiveVATCodesList: an order using a code that is not active goes to
Errors before it is posted, the rest of its batch is sent, and the list is asked once a pass.

PrestaShop and Yuki simulators over real sockets; the pipeline as a scheduler runs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from mapper.connectors.prestashop.simulator.data import fetched_document
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.simulation import Reply, Request
from mapper.connectors.yuki.simulator import DUTCH_VAT_CODES, YukiSimulator
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.mapping import Pair, Payload
from mapper.engine.sync.config import load_config
from mapper.engine.sync.pipeline import ShopSync
from mapper.engine.sync.precheck import AFTER_FIXING

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
SEED = 7
LOW_RATE = 2  # Yuki's VAT type of the Dutch 9 % rate
NO_RETRY_WAIT = RetryPolicy(sleep=lambda seconds: None)


def inactive_reason(administration_id: str) -> str:
    return (
        f"VAT code 2 (9.00 %) is not active in Yuki administration {administration_id}: "
        "activate it in Yuki or map this rate to another code in the yuki settings (vat_codes)"
    )


def payloads(systems: Systems) -> dict[str, Payload]:
    """The payload the rules make of each invoiced order of the shop, by order id."""
    pair = Pair.load(MAPPING)
    made = {}
    for record in systems.orders:
        outcome = pair.map(fetched_document(record))
        if isinstance(outcome, Payload):
            made[outcome.order_id] = outcome
    return made


def uses_low_rate(payload: Payload) -> bool:
    lines = payload.body["InvoiceLines"]["InvoiceLine"]
    return any(str(line["Product"]["VATType"]) == str(LOW_RATE) for line in lines)


def load_url(folder: Path) -> str:
    """The ledger URL load_config makes of `ledger: ledger.db` in `folder`."""
    return f"sqlite:///{(folder / 'ledger.db').resolve()}"


def vat_lists_served(yuki: YukiSimulator) -> int:
    return int(yuki.operations_served.count("ActiveVATCodesList"))


@contextmanager
def shop_sync(tmp_path: Path, systems: Systems, monkeypatch: pytest.MonkeyPatch) -> Iterator[
    tuple[ShopSync, Ledger]
]:
    """The pipeline of the shop, Yuki taking 3 invoices per call (several batches a pass)."""
    for name, value in systems.environment().items():
        monkeypatch.setenv(name, value)
    config = load_config(write_config(tmp_path, config_data(systems, target={"batch_size": 3})))
    with Ledger.open(config.ledger_url) as ledger:
        sync = ShopSync(config.shops[0], ledger, retry=NO_RETRY_WAIT)
        try:
            yield sync, ledger
        finally:
            sync.close()


def test_an_order_with_an_inactive_code_goes_to_errors_and_the_rest_of_the_batch_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_systems(ORDERS, SEED) as systems:
        made = payloads(systems)
        held = sorted(i for i, payload in made.items() if uses_low_rate(payload))
        sendable = sorted(made.keys() - set(held))
        assert held and sendable  # the seed gives orders of both kinds
        systems.yuki.deactivate_vat_code(systems.administration_id, LOW_RATE)
        with shop_sync(tmp_path, systems, monkeypatch) as (sync, _ledger):
            report = sync.sync()
            records = ledger_records(load_url(tmp_path))
            assert vat_lists_served(systems.yuki) == 1  # once for the pass, not per batch
            assert (report.sent, report.failed) == (len(sendable), len(held))
            for order_id in held:
                record = records[order_id]
                assert (record.state, record.reason, record.resolution) == (
                    OrderState.FAILED, inactive_reason(systems.administration_id), AFTER_FIXING
                )
            assert all(records[i].state == OrderState.SENT for i in sendable)
            booked = invoice_counts(systems.yuki)
            assert booked == {str(made[i].body["Subject"]): 1 for i in sendable}
            assert systems.yuki.invoices and len(systems.yuki.invoices) == len(sendable)

            # The owner activates the code again and presses Process: the next job asks Yuki
            # anew (a new pass of the same pipeline), and the orders are sent.
            administration = systems.yuki.administrations[systems.administration_id]
            administration.vat_codes = list(DUTCH_VAT_CODES)
            again = sync.reprocess(held)
            assert (again.sent, again.failed) == (len(held), 0)
            assert vat_lists_served(systems.yuki) == 2
        records = ledger_records(load_url(tmp_path))
        assert {records[i].state for i in made} == {OrderState.SENT}
        assert invoice_counts(systems.yuki) == {str(p.body["Subject"]): 1 for p in made.values()}


class VatServiceDown(YukiSimulator):
    """Yuki whose Vat web service answers 503 (Sales and Archive still work)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.vat_requests = 0

    def handle(self, request: Request) -> Reply:
        if request.path.lower().endswith("/vat.asmx") and request.method == "POST":
            self.vat_requests += 1
            return Reply(503, b"Service Unavailable", {"Content-Type": "text/plain"})
        return super().handle(request)


def test_without_the_codes_list_nothing_is_held_back_and_yuki_itself_refuses_the_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_systems(ORDERS, SEED, yuki_class=VatServiceDown) as systems:
        made = payloads(systems)
        held = sorted(i for i, payload in made.items() if uses_low_rate(payload))
        systems.yuki.deactivate_vat_code(systems.administration_id, LOW_RATE)
        with shop_sync(tmp_path, systems, monkeypatch) as (sync, _ledger):
            report = sync.sync()
        assert isinstance(systems.yuki, VatServiceDown)
        # Asked at the first batch, with the retry policy's attempts; not again this pass.
        assert systems.yuki.vat_requests == NO_RETRY_WAIT.attempts
        assert report.failed == len(held)
        records = ledger_records(load_url(tmp_path))
        for order_id in held:
            reason = records[order_id].reason or ""
            assert records[order_id].state == OrderState.FAILED
            assert reason.startswith("the accounting system refused the invoice: Line ")
            assert "unknown VAT type 2: not an active VAT code of administration" in reason
