"""How fast the dashboard's pages answer with 100,000 orders in the ledger (the goal: 200 ms).

Run from the repository root: `python -m bench.bench_dashboard [--orders N] [--rounds N]
[--ledger URL]`. The ledger is filled directly (90 % sent over a year, 5 % failed with a few
reasons, 5 % open), then every page is asked `rounds` times in-process (Starlette's test
client, no network) as a logged-in shop owner; the connection check and the accounting
system's lists are replaced by instant fakes, so only the dashboard and its ledger are timed.
Prints the median and p95 per page; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mapper.commands.dashboard import Dashboard, create_app
from mapper.commands.dashboard.choices import CachedChoices, ChoiceList
from mapper.engine.ledger import Ledger
from mapper.engine.ledger.accounts import Accounts
from mapper.engine.ledger.tables import orders
from mapper.engine.sync.check import ShopCheck
from mapper.engine.sync.config import Config, ShopConfig
from sqlalchemy import insert
from starlette.testclient import TestClient

SHOP = "bench-shop"
EMAIL = "owner@example.com"
PASSWORD = "bench password 1"
NOW = datetime.now(UTC).replace(microsecond=0)
REASONS = (
    "VAT number NL000 of the customer is invalid",
    "shipping line has no VAT rate",
    "0 % VAT on 'Cadeaubon' for a customer in DE",
)


def fill(ledger: Ledger, count: int) -> str:
    """`count` orders over the last year; returns the number of one failed order."""
    rows = []
    for i in range(count):
        moment = NOW - timedelta(seconds=int(365 * 86400 * i / count))
        kind = i % 20
        state = "failed" if kind == 0 else "open" if kind == 1 else "sent"
        rows.append(
            {
                "shop": SHOP,
                "order_id": str(100000 + i),
                "number": f"N{100000 + i}",
                "order_date": moment,
                "state": state,
                "reprocess_requested": False,
                "target_reference": f"YUKI-{i}" if state == "sent" else None,
                "rule_version": "prestashop-yuki 1.0.0",
                "reason": REASONS[i % 3] if state == "failed" else None,
                "attempts": 1,
                "first_seen_at": moment,
                "updated_at": moment,
                "sent_at": moment if state == "sent" else None,
            }
        )
    with ledger._engine.begin() as connection:
        for start in range(0, len(rows), 5000):
            connection.execute(insert(orders), rows[start : start + 5000])
    return "N100000"


def no_check(config: Config, shop: str) -> list[ShopCheck]:
    return []


def no_lists(config: ShopConfig, ledger: Ledger) -> tuple[ChoiceList, str]:
    return {"vat_code": [("1", "1: BTW 21%"), ("2", "2: BTW 9%")]}, ""


def timed(client: TestClient, path: str, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: answered {answer.status_code}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--ledger", default="", help="a ledger URL (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.ledger or f"sqlite:///{Path(folder) / 'ledger.db'}"
        with Ledger.open(url) as ledger:
            began = time.perf_counter()
            number = fill(ledger, args.orders)
            print(f"filled {args.orders} orders in {time.perf_counter() - began:.1f} s")
            Accounts(ledger).add(EMAIL, PASSWORD, [SHOP])
            shop = ShopConfig(SHOP, "prestashop-yuki", {"type": "prestashop"}, {"type": "yuki"})
            board = Dashboard(
                Config(url, [shop]),
                ledger,
                Path(folder),
                checker=no_check,
                choices=CachedChoices(no_lists),
            )
            with TestClient(create_app(board), follow_redirects=False) as client:
                login = client.get("/login").text
                token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
                client.post(
                    "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
                )
                first = client.get(f"/shops/{SHOP}/reporting").text
                after = first.split("?after=", 1)[1].split('"', 1)[0].split("&", 1)[0]
                month = (NOW - timedelta(days=30)).date().isoformat()
                pages = {
                    "reporting": f"/shops/{SHOP}/reporting",
                    "reporting page 2": f"/shops/{SHOP}/reporting?after={after}",
                    "reporting, last 30 days": f"/shops/{SHOP}/reporting?from={month}",
                    "reporting, search": f"/shops/{SHOP}/reporting?q=N100002",
                    "errors": f"/shops/{SHOP}/errors",
                    "errors, search": f"/shops/{SHOP}/errors?q={number}",
                    "open": f"/shops/{SHOP}/open",
                    "connections": f"/shops/{SHOP}/connections",
                    "configuration": f"/shops/{SHOP}/configuration",
                }
                print(f"{'page':<26}{'median ms':>10}{'p95 ms':>10}")
                for name, path in pages.items():
                    times = sorted(timed(client, path, args.rounds))
                    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
                    print(f"{name:<26}{statistics.median(times):>10.1f}{p95:>10.1f}")


if __name__ == "__main__":
    main()
