"""`mapper status --json`: per shop its counts, last pass and next re-check, and the lists, as
one JSON document (times in UTC), with only what the ledger keeps of an order."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from click.testing import CliRunner
from mapper.cli import main
from mapper.engine.ledger import Ledger

ENV = {"PS_KEY": "ps-key-value", "YUKI_KEY": "yuki-key-value"}
RULES = "prestashop 1.0.0 > yuki 1.0.0"
REFERENCE = "5f3c2a9e-7d41-4b8e-9a0c-1e2f3a4b5c6d"
NOT_PAID = "order state 1 is not one of the invoicing states 2, 3, 4, 5, 9, 12"
FIX = "Correct the order in the shop, then process it again."
WRONG_TOTAL = "checks: total: the lines add up to 41.32 incl. VAT, the order's total is 50.00"


def write_config(folder: Path) -> Path:
    shop = {
        "name": "webshop",
        "mapping": "prestashop-yuki",
        "recheck_at": "03:00",
        "source": {"type": "prestashop", "url": "https://shop.example.nl", "key": {"env": "PS_KEY"}},
        "target": {
            "type": "yuki",
            "url": "https://api.yukiworks.nl",
            "access_key": {"env": "YUKI_KEY"},
            "administration_id": "8f1a4c2e-0000-4000-8000-000000000001",
        },
    }
    path = folder / "mapper.yaml"
    path.write_text(yaml.safe_dump({"ledger": "ledger.db", "shops": [shop]}), encoding="utf-8")
    return path


def test_the_document_holds_counts_and_the_lists(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    now = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    day = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}", clock=lambda: now[0]) as ledger:
        ledger.claim("webshop", "1001", "QWZTR0001", day, RULES)
        ledger.mark_sent("webshop", "1001", REFERENCE)
        now[0] += timedelta(minutes=7)
        ledger.claim("webshop", "1002", "QWZTR0002", day, RULES)
        ledger.mark_failed("webshop", "1002", WRONG_TOTAL, resolution=FIX)
        now[0] += timedelta(minutes=7)
        ledger.observe("webshop", "1003", "QWZTR0003", day, sendable=False, shop_state=NOT_PAID)
        ledger.set_cursor("webshop", datetime(2026, 3, 2, 8, 0, tzinfo=UTC))

    result = CliRunner().invoke(main, ["status", "--config", str(config), "--json"], env=ENV)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    (shop,) = document["shops"]
    next_recheck = shop.pop("next_recheck")
    assert datetime.fromisoformat(next_recheck) > datetime.now(UTC)
    assert shop == {
        "name": "webshop",
        "orders": {"open": 1, "sending": 0, "sent": 1, "failed": 1, "skipped": 0},
        "last_pass_started": "2026-03-02T08:00:00+00:00",
    }
    assert document["lists"] == {
        "reporting": {
            "total": 1,
            "orders": [
                {
                    "shop": "webshop", "order": "QWZTR0001", "id": "1001", "date": "2026-03-01",
                    "state": "sent", "reference": REFERENCE, "rules": RULES, "attempts": 1,
                    "reason": None, "resolution": None,
                    "updated_at": "2026-03-02T09:00:00+00:00",
                    "sent_at": "2026-03-02T09:00:00+00:00",
                }
            ],
        },
        "errors": {
            "total": 1,
            "orders": [
                {
                    "shop": "webshop", "order": "QWZTR0002", "id": "1002", "date": "2026-03-01",
                    "state": "failed", "reference": None, "rules": RULES, "attempts": 1,
                    "reason": WRONG_TOTAL, "resolution": FIX,
                    "updated_at": "2026-03-02T09:07:00+00:00", "sent_at": None,
                }
            ],
        },
        "open": {
            "total": 1,
            "orders": [
                {
                    "shop": "webshop", "order": "QWZTR0003", "id": "1003", "date": "2026-03-01",
                    "state": "open", "reference": None, "rules": None, "attempts": 0,
                    "reason": NOT_PAID, "resolution": None,
                    "updated_at": "2026-03-02T09:14:00+00:00", "sent_at": None,
                }
            ],
        },
    }


def test_one_list_and_a_limit(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    day = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        for n in range(3):
            ledger.observe("webshop", str(2001 + n), f"N{n}", day, sendable=False, shop_state=NOT_PAID)
    result = CliRunner().invoke(
        main,
        ["status", "--config", str(config), "--json", "--list", "open", "--limit", "2"],
        env=ENV,
    )
    assert result.exit_code == 0, result.output
    lists = json.loads(result.stdout)["lists"]
    assert list(lists) == ["open"]
    assert lists["open"]["total"] == 3
    assert len(lists["open"]["orders"]) == 2
