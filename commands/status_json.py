"""`mapper status --json`: where each shop stands, as one JSON document a script or a
container's probe reads — per shop the count of orders in each state, when its last sync pass
started and its next re-check; and the lists (Reporting, Errors, Open) with what the ledger
keeps of each order (number, id, date, state, reference, rule version, attempts, reason,
timestamps). Times are ISO 8601 in UTC; nothing of an order's contents, no URL, no secret.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from ..engine.ledger import Ledger, OrderRecord, OrderState
from ..engine.sync.config import ShopConfig
from ..engine.sync.lists import LISTS
from ..engine.sync.schedule import next_recheck


def _time(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()


def order_json(record: OrderRecord) -> dict[str, Any]:
    return {
        "shop": record.shop,
        "order": record.number or record.order_id,
        "id": record.order_id,
        "date": record.order_date.date().isoformat(),
        "state": record.state.value,
        "reference": record.target_reference,
        "rules": record.rule_version,
        "attempts": record.attempts,
        "reason": record.reason,
        "resolution": record.resolution,
        "updated_at": _time(record.updated_at),
        "sent_at": _time(record.sent_at),
    }


def status_document(
    ledger: Ledger,
    shops: Iterable[ShopConfig],
    shop: str | None,
    list_names: Iterable[str],
    limit: int,
    now: dt.datetime,
) -> dict[str, Any]:
    """The document `mapper status --json` prints (`shop` None: every shop's orders)."""
    entries = []
    for entry in shops:
        counts = ledger.counts(entry.name)
        entries.append(
            {
                "name": entry.name,
                "orders": {state.value: counts.get(state, 0) for state in OrderState},
                "last_pass_started": _time(ledger.get_cursor(entry.name)),
                "next_recheck": _time(next_recheck(now, entry.recheck_at)),
            }
        )
    totals = ledger.counts(shop)
    lists = {
        name: {
            "total": sum(totals.get(state, 0) for state in LISTS[name]),
            "orders": [order_json(r) for r in ledger.list_orders(shop, LISTS[name], limit=limit)],
        }
        for name in list_names
    }
    return {"shops": entries, "lists": lists}


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)
