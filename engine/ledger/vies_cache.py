"""VIES's verdicts kept per VAT number per day, for every pass and process sharing the ledger.

A row holds only what the cache needs: the VAT number (a company's, with its country prefix),
the day it was asked, the outcome (`valid` or `invalid`) and when it was asked. "Unverified"
(VIES or a member state down) is never kept: the next pass asks again. The day is the sync's
(engine/sync/vies.py, its injectable `today`), so a verdict of yesterday is never served today.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select, update

from .database import insert_if_absent, reading, writing
from .ledger import Ledger
from .tables import vies_checks
from .timestamps import Clock, as_utc, utc_now

KEPT = frozenset({"valid", "invalid"})


class ViesCache:
    """The day's VIES verdicts in a ledger's database."""

    def __init__(self, ledger: Ledger, *, clock: Clock = utc_now) -> None:
        # The ledger has already migrated its database, this table included.
        self._engine: Engine = ledger._engine
        self._clock = clock

    def get(self, number: str, day: dt.date) -> str | None:
        """`valid` or `invalid` if VIES said so of `number` on `day`, else None."""
        query = select(vies_checks.c.outcome).where(
            vies_checks.c.number == number, vies_checks.c.day == day
        )
        with reading(self._engine) as connection:
            found = connection.execute(query).scalar()
        return None if found is None else str(found)

    def put(self, number: str, day: dt.date, outcome: str) -> None:
        """Keep VIES's verdict of `number` on `day`; an unverified answer is not kept."""
        if outcome not in KEPT:
            return
        now = as_utc("clock()", self._clock())
        values = {"number": number, "day": day, "outcome": outcome, "checked_at": now}
        with writing(self._engine) as connection:
            if not insert_if_absent(connection, vies_checks, values):
                connection.execute(
                    update(vies_checks)
                    .where(vies_checks.c.number == number, vies_checks.c.day == day)
                    .values(outcome=outcome, checked_at=now)
                )
