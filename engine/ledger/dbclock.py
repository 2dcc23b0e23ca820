"""The database's clock: what lock expiry and settle times are measured on.

Workers on several machines have clocks that differ by seconds or minutes; the database they
share has one. Lock leases and claim times are therefore read from the database inside the
transaction that uses them, never from the worker's `now`, so a worker whose clock runs ahead
cannot take a live pass's lock over or find an order "settled" early.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.engine import Connection

# A database clock: now, read on the given connection (tests inject a fake one).
DatabaseClock = Callable[[Connection], datetime]

_QUERIES = {
    # SQLite's 'now' is the host's UTC time with milliseconds; one host holds the file.
    "sqlite": "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')",
    # clock_timestamp(): the real time, not the start of the transaction.
    "postgresql": "SELECT clock_timestamp()",
}


def database_now(connection: Connection) -> datetime:
    """The database server's current time as an aware UTC datetime."""
    query = _QUERIES.get(connection.dialect.name, "SELECT CURRENT_TIMESTAMP")
    value = connection.execute(text(query)).scalar_one()
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"the database's clock answered {type(value).__name__}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
