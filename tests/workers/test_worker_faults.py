"""Exactly once with real workers: 3 `mapper worker` processes on a Redis broker and a
PostgreSQL ledger run a sync pass for each of 20 shops (200 orders each, over the PrestaShop,
Lightspeed, Yuki and Factuursturen simulators) while the test SIGKILLs workers at random
moments — a whole worker, as a container kill does, or only the process running a job — and
kills and restarts the broker once.

Nothing is run again by hand afterwards: what the queue gives back (a job whose worker died is
put back, or handed out again after the visibility timeout) and the ledger (the shop's lock,
taken over once a dead pass's lease ran out; the claim before every post) must by themselves
leave every invoiceable order invoiced exactly once, every order the checks turn away in
Errors with the check's message, none lost and none in `sending`.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from mapper.engine.ledger import Ledger
from mapper.engine.ledger.tables import shop_locks
from mapper.engine.sync.config import load_config
from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool
from support.postgres import PostgresServer
from support.redis import RedisServer
from sync.sync_helpers import verify, write_config

from workers.fleet import WorkerProcess, expected, mapper_command, records, running_fleet

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
    pytest.mark.postgresql,
]

SHOPS = 20
ORDERS = 200
WORKERS = 3
KILLS = 6
SEED = 20261201
QUEUE = "faults"
VISIBILITY = 30  # seconds: longer than a pass takes here, so a live job is rarely handed out twice
LOCK_TTL = 4  # seconds a killed pass's shop stays locked
LATENCY = 0.001
DEADLINE = 240.0  # seconds for the whole run to drain (about 60-100 s on 2 idle cores)


@dataclass
class Kill:
    what: str  # "worker" | "job process" | "broker"
    mid_pass: bool  # the killed process held a shop's lock: a pass was at work in it


def live_lock_owners(ledger_url: str) -> set[int]:
    """The process ids holding a shop's lock right now (owners are `host:pid`)."""
    engine = create_engine(ledger_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(shop_locks.c.owner).where(
                    shop_locks.c.owner != "", shop_locks.c.expires_at > func.now()
                )
            ).all()
    finally:
        engine.dispose()
    return {int(owner.rsplit(":", 1)[1]) for (owner,) in rows}


def drained(broker: RedisServer) -> bool:
    """Nothing waiting and nothing taken but unacknowledged (running, or held for a retry)."""
    client = broker.client()
    return client.llen(QUEUE) == 0 and client.hlen("unacked") == 0


def test_killed_workers_and_a_restarted_broker_leave_each_order_invoiced_once(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    rng = random.Random(SEED)
    with (
        postgres.fresh_schema() as ledger_url,
        RedisServer(tmp_path / "redis") as broker,
        running_fleet(SHOPS, ORDERS, latency=LATENCY, seed=SEED) as fleet,
    ):
        env = {
            **os.environ,
            **fleet.environment(),
            "LEDGER_URL": ledger_url,
            "BROKER_URL": broker.url,
        }
        queue = {
            "url": {"env": "BROKER_URL"},
            "name": QUEUE,
            "visibility_timeout_seconds": VISIBILITY,
            "lock_ttl_seconds": LOCK_TTL,
        }
        path = write_config(tmp_path, fleet.config_data(ledger={"env": "LEDGER_URL"}, queue=queue))
        config = load_config(path, env)
        wanted = {shop.name: expected(config.shop(shop.name)) for shop in fleet.shops}
        Ledger.open(ledger_url).close()  # created once, before the workers start

        started = time.monotonic()
        logs = tmp_path / "logs"
        logs.mkdir()
        workers = [WorkerProcess(path, env, logs / f"worker{i}.log") for i in range(WORKERS)]
        queued = subprocess.run(
            mapper_command("enqueue", "sync", "--config", str(path)),
            env=env,
            capture_output=True,
            text=True,
        )
        assert queued.returncode == 0, queued.stderr
        assert len(queued.stdout.splitlines()) == SHOPS
        assert queued.stdout.startswith("shop000: sync queued (task ")

        kills: list[Kill] = []
        try:
            for number in range(KILLS):
                deadline = time.monotonic() + 30
                while not live_lock_owners(ledger_url):  # wait for a pass to be at work
                    assert time.monotonic() < deadline, "no pass started"
                    time.sleep(0.05)
                time.sleep(rng.uniform(0.0, 1.0))  # a random moment of its work
                owners = live_lock_owners(ledger_url)
                busy = [i for i, w in enumerate(workers) if set(w.children()) & owners]
                index = rng.choice(busy or range(len(workers)))  # mostly one at work
                victim = workers[index]
                if number % 2:
                    pid = victim.kill_child()
                    kills.append(Kill("job process", pid in owners))
                else:
                    children = set(victim.children())
                    victim.kill()
                    kills.append(Kill("worker", bool(children & owners)))
                    workers[index] = WorkerProcess(path, env, logs / f"worker{index}.{number}.log")
                if number == KILLS // 2:
                    broker.kill()
                    time.sleep(0.5)
                    broker.start()
                    kills.append(Kill("broker", True))
            # Drained twice in a row: a job being handed from one worker to another is not.
            calm = 0
            while calm < 2:
                assert time.monotonic() - started < DEADLINE, (
                    f"not drained after {DEADLINE:.0f} s: {broker.client().llen(QUEUE)} waiting, "
                    f"{broker.client().hlen('unacked')} taken; kills {kills}"
                )
                calm = calm + 1 if drained(broker) else 0
                time.sleep(0.5)
        finally:
            for worker in workers:
                worker.stop()
        elapsed = time.monotonic() - started

        problems: list[str] = []
        totals = {"sent": 0, "rejected": 0, "open": 0, "to check": 0}
        with Ledger.open(ledger_url) as ledger:
            for shop in fleet.shops:
                verdict = verify(wanted[shop.name], records(ledger, shop.name), shop.invoices())
                problems += [f"{shop.name}: {problem}" for problem in verdict.problems]
                totals["sent"] += verdict.sent
                totals["rejected"] += verdict.rejected
                totals["open"] += verdict.open
                totals["to check"] += len(verdict.check_in_target)
    print(f"\n{SHOPS} shops x {ORDERS} orders, {WORKERS} workers, drained in {elapsed:.1f} s")
    print(f"kills: {kills}\noutcome: {totals}")
    assert problems == []
    assert totals["sent"] + totals["to check"] == sum(
        1 for shop in wanted.values() for e in shop.values() if e.verdict == "send"
    )
    assert totals["rejected"] > 0 and totals["open"] > 0
    # The run proves something only if kills caught passes at work.
    assert any(kill.mid_pass for kill in kills if kill.what != "broker"), kills
