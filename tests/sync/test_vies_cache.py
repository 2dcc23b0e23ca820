"""VIES verdicts cached per number per day in the ledger, across passes and processes: a VIES
step of another process (a fresh `ViesStep`, its memory empty) on the same day asks VIES nothing
for a number already checked; on the next day it asks again; an outage is never cached. Real
HTTP to the VIES simulator, on both ledger databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from mapper.connectors.retry import RetryPolicy
from mapper.connectors.vies.client import ViesClient
from mapper.connectors.vies.simulator import ViesSimulator
from mapper.engine.ledger import Ledger
from mapper.engine.ledger.vies_cache import ViesCache
from mapper.engine.sync.vies import ViesSettings, ViesStep

VALID = "BE0992534187"
INVALID = "DE136695976"
MONDAY = dt.date(2026, 3, 16)
NO_RETRY_WAIT = RetryPolicy(sleep=lambda seconds: None)
_OPENED: list[Ledger] = []


@pytest.fixture(autouse=True)
def _close_ledgers() -> Iterator[None]:
    yield
    while _OPENED:
        _OPENED.pop().close()


def a_process(ledger_url: str, vies: ViesSimulator, today: Callable[[], dt.date]) -> ViesStep:
    """The VIES step of a pass in a process of its own: its own ledger connection and client."""
    ledger = Ledger.open(ledger_url)
    _OPENED.append(ledger)
    settings = ViesSettings(check=True, url=vies.service_url, timeout=2)
    client = ViesClient(vies.service_url, timeout=2, retry=NO_RETRY_WAIT)
    return ViesStep(settings, client, today=today, retry=NO_RETRY_WAIT, cache=ViesCache(ledger))


def test_a_verdict_of_the_day_serves_every_pass_and_process_and_not_the_next_day(
    ledger_url: str,
) -> None:
    day = [MONDAY]
    with ViesSimulator(valid={VALID}, today=lambda: day[0]) as vies:
        first = a_process(ledger_url, vies, lambda: day[0])
        answers = [first.answer(VALID).status, first.answer(INVALID).status]
        first.close()
        asked_first = list(vies.asked)

        second = a_process(ledger_url, vies, lambda: day[0])  # same day, memory empty
        again = [second.answer(VALID), second.answer(INVALID)]
        second.close()
        asked_second = vies.asked[len(asked_first):]

        day[0] = MONDAY + dt.timedelta(days=1)
        third = a_process(ledger_url, vies, lambda: day[0])
        next_day = third.answer(VALID)
        third.close()
        asked_third = vies.asked[len(asked_first) + len(asked_second):]

    assert answers == ["valid", "invalid"]
    assert asked_first == [VALID, INVALID]
    assert [(a.number, a.status, a.checked_on) for a in again] == [
        (VALID, "valid", MONDAY), (INVALID, "invalid", MONDAY),
    ]
    assert asked_second == []  # the ledger's verdicts of Monday: VIES asked nothing
    assert (next_day.status, next_day.checked_on) == ("valid", MONDAY + dt.timedelta(days=1))
    assert asked_third == [VALID]


def test_an_outage_is_never_cached_so_the_next_pass_asks_again(ledger_url: str) -> None:
    with ViesSimulator(valid={VALID}, today=lambda: MONDAY) as vies:
        vies.unavailable.add("BE")
        during = a_process(ledger_url, vies, lambda: MONDAY)
        down = during.answer(VALID)
        during.close()
        vies.unavailable.clear()
        after = a_process(ledger_url, vies, lambda: MONDAY)
        up = after.answer(VALID)
        later = a_process(ledger_url, vies, lambda: MONDAY).answer(VALID)
        after.close()

    assert (down.status, down.fault) == ("unverified", "MS_UNAVAILABLE")
    assert (up.status, later.status) == ("valid", "valid")
    assert vies.asked == [VALID, VALID]  # asked during the outage and once after it


def test_the_cache_keeps_only_verdicts(ledger_url: str) -> None:
    with Ledger.open(ledger_url) as ledger:
        cache = ViesCache(ledger, clock=lambda: dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC))
        cache.put(VALID, MONDAY, "unverified")
        missing = cache.get(VALID, MONDAY)
        cache.put(VALID, MONDAY, "valid")
        cache.put(VALID, MONDAY, "invalid")  # VIES changed its mind the same day: the last says

        assert missing is None
        assert cache.get(VALID, MONDAY) == "invalid"
        assert cache.get(VALID, MONDAY + dt.timedelta(days=1)) is None
