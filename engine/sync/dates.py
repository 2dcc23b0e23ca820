"""Order dates as the ledger keeps them."""

from __future__ import annotations

import datetime as dt

from ..ledger.timestamps import utc_now


def order_datetime(value: str) -> dt.datetime:
    """The shop's order date as an aware datetime (shop-local times without zone taken as UTC:
    the ledger shows dates, it does not compute with them)."""
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return utc_now()
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
