"""Helpers of the sync fault tests: the PrestaShop and Yuki simulators on loopback, a mapper.yaml
over them, what the rules say should become of every generated order, and the check that the
ledger and Yuki's invoices agree with it (each order invoiced exactly once, none lost)."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from mapper.connectors.prestashop.simulator.data import OrderBatch, fetched_document
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator
from mapper.connectors.simulation import Faults, Reply, Request
from mapper.connectors.yuki.simulator import YukiSimulator
from mapper.engine.errors import MappingError
from mapper.engine.ledger import Ledger, OrderRecord, OrderState
from mapper.engine.mapping import Pair, Payload
from mapper.engine.rules.compile import Rejection
from mapper.engine.sync.pipeline import CHECK_IN_TARGET

SHOP = "demo"
MAPPING = "prestashop-yuki"
PS_KEY_VARIABLE = "MAPPER_TEST_PS_KEY"
YUKI_KEY_VARIABLE = "MAPPER_TEST_YUKI_KEY"


@dataclass
class Systems:
    """Both simulators, running, with the generated orders and Yuki's demo credentials."""

    prestashop: PrestaShopSimulator
    yuki: YukiSimulator
    orders: OrderBatch
    yuki_key: str
    administration_id: str

    def environment(self) -> dict[str, str]:
        """The credentials as the configuration's `{env: …}` references expect them."""
        return {PS_KEY_VARIABLE: PrestaShopSimulator.DEMO_KEY, YUKI_KEY_VARIABLE: self.yuki_key}


@contextmanager
def running_systems(
    orders: int,
    seed: int,
    *,
    latency: float = 0.0,
    faults: Faults | None = None,
    yuki_faults: Faults | None = None,
    yuki_class: type[YukiSimulator] = YukiSimulator,
    booking_latency: float = 0.0,
    **generate: Any,
) -> Iterator[Systems]:
    """A shop of `orders` generated orders and a Yuki administration, served until the block
    ends. Yuki's daily call limit is lifted: a test's passes are not a day's budget."""
    prestashop = PrestaShopSimulator(latency=latency, faults=faults)
    batch = prestashop.add_generated(orders, seed=seed, **generate)
    yuki = yuki_class(
        latency=latency, faults=yuki_faults, daily_limit=10**9, booking_latency=booking_latency
    )
    key, administration_id = yuki.seed_demo()
    with prestashop, yuki:
        yield Systems(prestashop, yuki, batch, key, administration_id)


def config_data(
    systems: Systems,
    *,
    ledger: str = "ledger.db",
    source: dict[str, Any] | None = None,
    target: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """mapper.yaml's content for one shop over the simulators; credentials by env reference."""
    return {
        "ledger": ledger,
        "shops": [
            {
                "name": SHOP,
                "mapping": MAPPING,
                "start": "2024-01-01",
                "source": {
                    "type": "prestashop",
                    "url": systems.prestashop.url,
                    "key": {"env": PS_KEY_VARIABLE},
                    **(source or {}),
                },
                "target": {
                    "type": "yuki",
                    "url": systems.yuki.url,
                    "access_key": {"env": YUKI_KEY_VARIABLE},
                    "administration_id": systems.administration_id,
                    **(target or {}),
                },
            }
        ],
    }


def write_config(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / "mapper.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


class SlowFirstPostYuki(YukiSimulator):
    """Yuki on a bad day: the first ProcessSalesInvoices takes `SLOW_SECONDS` — longer than the
    client waits — and is booked all the same once done, as a server that does not notice its
    caller hung up. `slow_post_done` is set when that booking is over."""

    SLOW_SECONDS = 0.6

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.slow_post_done = threading.Event()
        self._slowed = False

    def handle(self, request: Request) -> Reply:
        if self._slowed or not request.headers.get("soapaction", "").endswith(
            'ProcessSalesInvoices"'
        ):
            return super().handle(request)
        self._slowed = True
        time.sleep(self.SLOW_SECONDS)
        try:
            return super().handle(request)
        finally:
            self.slow_post_done.set()


# -- what should happen ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Expected:
    """What the rules make of one order: `send` (one invoice with `subject`), `reject` (Errors,
    with `reason` as the pipeline words it) or `open` (not in an invoicing status)."""

    order_id: str
    verdict: str
    subject: str
    reason: str = ""


def yuki_subject(payload: Payload) -> str:
    return str(payload.body["Subject"])


def expected_outcome(
    pair: Pair, order_id: str, subject: str, document: Any,
    key: Callable[[Payload], str] = yuki_subject,
) -> Expected:
    """One order's rules applied offline, as the pipeline would apply them. A payload's
    `subject` is what `key` reads of it (the target's idempotency key; Yuki: Subject)."""
    try:
        outcome = pair.map(document)
    except MappingError as error:
        return Expected(order_id, "reject", subject, str(error))
    if isinstance(outcome, Payload):
        return Expected(order_id, "send", key(outcome))
    if isinstance(outcome, Rejection):
        return Expected(order_id, "reject", subject, "; ".join(f.message for f in outcome.failures))
    return Expected(order_id, "open", subject)


def expected_outcomes(batch: OrderBatch) -> dict[str, Expected]:
    """The rules applied offline to every generated order, as the pipeline would apply them."""
    pair = Pair.load(MAPPING)
    return {
        str(record.order["id"]): expected_outcome(
            pair,
            str(record.order["id"]),
            f"Bestelling {record.order['reference']}",
            fetched_document(record),
        )
        for record in batch
    }


# -- what did happen -------------------------------------------------------------------------------
def ledger_records(ledger_url: str) -> dict[str, OrderRecord]:
    with Ledger.open(ledger_url) as ledger:
        return {record.order_id: record for record in ledger.list_orders(SHOP)}


def invoice_counts(yuki: YukiSimulator) -> Counter[str]:
    """Invoices Yuki booked, by Subject ("Bestelling <reference>")."""
    return Counter(str(invoice["subject"]) for invoice in yuki.invoices)


def killed_when(
    command: list[str], env: dict[str, str], reached: Callable[[], bool], *, within: float,
    waiting_for: str,
) -> bool:
    """Run `command` and SIGKILL it as soon as `reached()` holds; True if it was still running
    then (False: it finished first). Fails when nothing is reached `within` seconds."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + within
    while process.poll() is None and not reached():
        assert time.monotonic() < deadline, f"the pass never {waiting_for}"
        time.sleep(0.005)
    killed = process.poll() is None
    if killed:
        process.send_signal(signal.SIGKILL)
    process.wait()
    return killed


def take_over_lock(ledger_url: str) -> None:
    """What LOCK_TTL's passing does for a pass that was killed: its lock is taken over (here by
    a ledger whose clock is past the expiry) and given up, so the next pass may start."""
    with Ledger.open(ledger_url) as ledger:
        ledger.break_shop_lock(SHOP)  # the database's clock decides expiry, not ours


@dataclass
class Verdict:
    """The comparison of expectation and outcome: `problems` must be empty."""

    problems: list[str] = field(default_factory=list)
    sent: int = 0
    rejected: int = 0
    open: int = 0
    # Orders put in Errors as "check in the accounting system whether it arrived", with the
    # number of invoices Yuki really has for each (0 or 1, never more).
    check_in_target: dict[str, int] = field(default_factory=dict)


def verify(
    expected: dict[str, Expected], records: dict[str, OrderRecord], invoices: Counter[str]
) -> Verdict:
    verdict = Verdict()
    problems = verdict.problems
    unexpected = set(invoices) - {e.subject for e in expected.values() if e.verdict == "send"}
    problems.extend(f"Yuki holds an invoice no order should have: {s!r}" for s in unexpected)
    problems.extend(f"the ledger knows an order never generated: {i}" for i in records.keys() - expected.keys())
    for order_id, want in expected.items():
        record = records.get(order_id)
        count = invoices[want.subject]
        if record is None:
            problems.append(f"order {order_id} ({want.verdict}) is not in the ledger: lost")
            continue
        if record.state == OrderState.SENDING:
            problems.append(f"order {order_id} is stuck in sending")
        if want.verdict == "send":
            if record.state == OrderState.FAILED and record.resolution == CHECK_IN_TARGET:
                verdict.check_in_target[order_id] = count
                if count > 1:
                    problems.append(f"order {order_id}: {count} invoices (in Errors, to check)")
                continue
            if record.state != OrderState.SENT or count != 1:
                problems.append(
                    f"order {order_id}: {record.state.value} with {count} invoices "
                    f"({record.reason or 'no reason'}); expected sent with exactly one"
                )
            else:
                verdict.sent += 1
        elif want.verdict == "reject":
            if record.state != OrderState.FAILED or record.reason != want.reason or count:
                problems.append(
                    f"order {order_id}: {record.state.value} with {count} invoices and reason "
                    f"{record.reason!r}; expected in Errors with {want.reason!r} and none"
                )
            else:
                verdict.rejected += 1
        elif record.state != OrderState.OPEN or count:
            problems.append(
                f"order {order_id}: {record.state.value} with {count} invoices; expected open"
            )
        else:
            verdict.open += 1
    return verdict
