"""Helpers of the worker tests: many shops over the four simulators, and the workers as real
processes.

A fleet is `count` shops, cycling through the pairs PrestaShop → Yuki, PrestaShop →
Factuursturen, Lightspeed → Factuursturen and Lightspeed → Yuki, each shop with simulators of
its own (so the invoices of one shop are counted apart from another's), served from the test's
process. `expected()` applies the rules offline to every order the shop holds, as the pipeline
would; `verify()` (tests/sync/sync_helpers.py) then checks the ledger and the targets against it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mapper.connectors.factuursturen import simulator as factuursturen_sim
from mapper.connectors.factuursturen.simulator import FactuursturenSimulator
from mapper.connectors.lightspeed import simulator as lightspeed_sim
from mapper.connectors.lightspeed.simulator import LightspeedSimulator
from mapper.connectors.lightspeed.simulator_data import generated_shop
from mapper.connectors.prestashop.simulator.webservice import PrestaShopSimulator
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.simulation import Simulator
from mapper.connectors.yuki.simulator import YukiSimulator
from mapper.engine.errors import MappingError
from mapper.engine.ledger import Ledger, OrderRecord
from mapper.engine.mapping import Pair, Payload
from mapper.engine.rules.compile import Rejection
from mapper.engine.sync.config import ShopConfig
from mapper.engine.sync.systems import open_source
from sync.sync_helpers import Expected

PAIRS = ("prestashop-yuki", "prestashop-factuursturen", "lightspeed-factuursturen", "lightspeed-yuki")
NO_LIMIT = 10**9
START = "2024-01-01"
ENV = {
    "PS_KEY": PrestaShopSimulator.DEMO_KEY,
    "LS_KEY": lightspeed_sim.DEMO_KEY,
    "LS_SECRET": lightspeed_sim.DEMO_SECRET,
    "FS_KEY": factuursturen_sim.DEMO_API_KEY,
}


@dataclass
class FleetShop:
    name: str
    mapping: str
    source: Simulator
    target: Simulator
    yuki_key: str = ""
    administration_id: str = ""

    @property
    def key_variable(self) -> str:
        return f"YUKI_KEY_{self.name.upper()}"

    def config_entry(self) -> dict[str, Any]:
        shop_type, target_type = self.mapping.split("-")
        source: dict[str, Any] = {"type": shop_type, "url": self.source.url}
        if shop_type == "prestashop":
            source["key"] = {"env": "PS_KEY"}
        else:
            source |= {"key": {"env": "LS_KEY"}, "secret": {"env": "LS_SECRET"}}
        target: dict[str, Any] = {"type": target_type, "url": self.target.url, "settle_seconds": 0}
        if target_type == "yuki":
            target |= {
                "access_key": {"env": self.key_variable},
                "administration_id": self.administration_id,
            }
        else:
            target |= {"username": factuursturen_sim.DEMO_USERNAME, "api_key": {"env": "FS_KEY"}}
        return {
            "name": self.name,
            "mapping": self.mapping,
            "start": START,
            "source": source,
            "target": target,
        }

    def invoices(self) -> Counter[str]:
        """What the target booked, by the key `invoice_key` gives a payload."""
        if isinstance(self.target, YukiSimulator):
            return Counter(str(invoice["subject"]) for invoice in self.target.invoices)
        assert isinstance(self.target, FactuursturenSimulator)
        return Counter(str(saved["savename"]) for saved in self.target.saved.values())


def invoice_key(payload: Payload) -> str:
    """An invoice's key in its target: Yuki's Subject, Factuursturen's concept name."""
    body = payload.body
    return str(body["Subject"] if "Subject" in body else body["invoice"]["savename"])


@dataclass
class Fleet:
    shops: list[FleetShop]

    def environment(self) -> dict[str, str]:
        return ENV | {shop.key_variable: shop.yuki_key for shop in self.shops if shop.yuki_key}

    def config_data(self, **top: Any) -> dict[str, Any]:
        return {**top, "shops": [shop.config_entry() for shop in self.shops]}

    def requests(self) -> int:
        return sum(s.source.requests_served + s.target.requests_served for s in self.shops)


@contextmanager
def running_fleet(count: int, orders: int, *, latency: float = 0.0, seed: int = 0) -> Iterator[Fleet]:
    """`count` shops of `orders` generated orders each, their simulators served meanwhile."""
    with ExitStack() as stack:
        shops = []
        for index in range(count):
            mapping = PAIRS[index % len(PAIRS)]
            shop_type, target_type = mapping.split("-")
            source: Simulator
            if shop_type == "prestashop":
                prestashop = PrestaShopSimulator(latency=latency)
                prestashop.add_generated(orders, seed=seed + index, unpaid_share=0.2, bad_share=0.1)
                source = prestashop
            else:
                source = LightspeedSimulator(
                    generated_shop(orders, seed=seed + index),
                    rate_limits=(NO_LIMIT, NO_LIMIT, NO_LIMIT),
                    latency=latency,
                )
            shop = FleetShop(f"shop{index:03d}", mapping, source, source)
            if target_type == "yuki":
                yuki = YukiSimulator(latency=latency, daily_limit=NO_LIMIT)
                shop.yuki_key, shop.administration_id = yuki.seed_demo()
                shop.target = yuki
            else:
                shop.target = FactuursturenSimulator(rate_limit_hour=NO_LIMIT, latency=latency)
            stack.enter_context(shop.source)  # type: ignore[arg-type]
            stack.enter_context(shop.target)  # type: ignore[arg-type]
            shops.append(shop)
        yield Fleet(shops)


def expected(config: ShopConfig) -> dict[str, Expected]:
    """Every order the shop holds, with the rules applied offline as the pipeline would."""
    pair = Pair.load(config.mapping, config.settings)
    source = open_source(config, RetryPolicy())
    until = dt.datetime.now(dt.UTC)
    since = dt.datetime.combine(dt.date.fromisoformat(START), dt.time(), dt.UTC)
    outcomes: dict[str, Expected] = {}
    try:
        for document in source.changed(since, until):
            order_id, number, _date = pair.header(document)
            assert order_id is not None
            outcomes[order_id] = _outcome(pair, order_id, number, document)
    finally:
        source.close()
    return outcomes


def _outcome(pair: Pair, order_id: str, number: str, document: dict[str, Any]) -> Expected:
    try:
        outcome = pair.map(document, order_id)
    except MappingError as error:
        return Expected(order_id, "reject", number, str(error))
    if isinstance(outcome, Payload):
        return Expected(order_id, "send", invoice_key(outcome))
    if isinstance(outcome, Rejection):
        return Expected(order_id, "reject", number, "; ".join(f.message for f in outcome.failures))
    return Expected(order_id, "open", number)


def records(ledger: Ledger, shop: str) -> dict[str, OrderRecord]:
    return {record.order_id: record for record in ledger.list_orders(shop)}


# -- workers as processes ----------------------------------------------------------------------
def mapper_command(*args: str) -> list[str]:
    found = shutil.which("mapper", path=str(Path(sys.executable).parent))
    entry = [found] if found else [sys.executable, "-c", "from mapper.cli import main; main()"]
    return [*entry, *args]


class WorkerProcess:
    """`mapper worker` in a session of its own: `kill()` ends the whole worker (its main
    process and the pool's) with SIGKILL, as a container's kill does; `kill_child()` only the
    process running the job, which the worker replaces."""

    def __init__(self, config: Path, env: dict[str, str], log: Path, *extra: str) -> None:
        self.log = log
        command = mapper_command("worker", "--config", str(config), "--concurrency", "1", *extra)
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def children(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait()

    def kill_child(self) -> int | None:
        children = self.children()
        if not children:
            return None
        try:
            os.kill(children[0], signal.SIGKILL)
        except ProcessLookupError:
            return None
        return children[0]

    def stop(self) -> None:
        """A warm shutdown (SIGTERM), then SIGKILL for whatever is left of its session."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        self.kill()
