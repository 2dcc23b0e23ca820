"""What the pipeline does with a post whose outcome is unknown: posted again only when the
target answered (its work on the request is over), left `sending` when it did not answer (it
may still book it after the look-up)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from mapper.connectors.adapters import Delivery, no_delivery
from mapper.connectors.errors import RateLimitedError, TransientError
from mapper.connectors.prestashop.simulator.data import fetched_document, generate_orders
from mapper.connectors.retry import RetryPolicy
from mapper.engine.ledger import Ledger, OrderState
from mapper.engine.mapping import Payload
from mapper.engine.sync.config import ShopConfig
from mapper.engine.sync.pipeline import PassReport, ShopSync

SHOP = "shop"


@pytest.mark.parametrize(
    ("error", "answered"),
    [
        (TransientError("yuki", "no answer in time"), False),
        (TransientError("yuki", "connection reset"), False),
        (TransientError("yuki", "server error", status=500), True),
        (TransientError("yuki", "unavailable", status=503), True),
        (RateLimitedError("yuki", "slow down", retry_after=1.0), True),
        (TransientError("yuki", "bad gateway", status=502), False),
        (TransientError("yuki", "gateway timeout", status=504), False),
    ],
)
def test_an_uncertain_delivery_says_whether_the_target_answered(
    error: TransientError, answered: bool
) -> None:
    delivery = no_delivery(error)
    assert (delivery.outcome, delivery.answered) == ("uncertain", answered)


class NoSource:
    def changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]:
        return iter([])

    def by_ids(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        return iter([])

    def close(self) -> None:
        pass


class ScriptedTarget:
    """Answers each post with the next scripted outcome; `booked` is what it really booked."""

    batch_size = 10

    def __init__(self, outcomes: list[Delivery], books: list[bool]) -> None:
        self.outcomes = outcomes
        self.books = books
        self.posts = 0
        self.booked: list[str] = []

    def post(self, payloads: Sequence[Payload]) -> list[Delivery]:
        outcome, books = self.outcomes[self.posts], self.books[self.posts]
        self.posts += 1
        if books:
            self.booked.extend(p.order_id for p in payloads)
        return [outcome] * len(payloads)

    def find(self, payload: Payload) -> str | None:
        return f"doc-{payload.order_id}" if payload.order_id in self.booked else None

    def close(self) -> None:
        pass


def deliver(tmp_path: Path, target: ScriptedTarget) -> tuple[PassReport, OrderState]:
    config = ShopConfig(SHOP, "prestashop-yuki", {"type": "prestashop"}, {"type": "yuki"})
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        sync = ShopSync(
            config,
            ledger,
            source=NoSource(),
            target=target,
            retry=RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0, jitter=0.0),
            sleep=lambda seconds: None,
        )
        now = dt.datetime(2024, 5, 2, tzinfo=dt.UTC)
        assert ledger.claim(SHOP, "7", "ABC", now, sync.pair.rules) is not None
        payload = Payload("7", "ABC", {"Subject": "Bestelling ABC"}, {}, sync.pair.rules)
        report = PassReport(SHOP, "test")
        sync._deliver([payload], report)
        record = ledger.get_order(SHOP, "7")
        assert record is not None
        return report, record.state


def test_an_answered_failure_not_found_is_posted_again(tmp_path: Path) -> None:
    target = ScriptedTarget(
        [no_delivery(TransientError("yuki", "server error", status=500)), Delivery("sent", "R")],
        [False, True],
    )
    report, state = deliver(tmp_path, target)
    assert (target.posts, target.booked, state, report.sent) == (2, ["7"], OrderState.SENT, 1)


def test_an_unanswered_post_not_found_yet_stays_sending_and_is_not_posted_again(
    tmp_path: Path,
) -> None:
    target = ScriptedTarget([no_delivery(TransientError("yuki", "no answer in time"))], [False])
    report, state = deliver(tmp_path, target)
    assert (target.posts, state, report.uncertain) == (1, OrderState.SENDING, 1)


def test_an_unanswered_post_already_booked_is_found_and_marked_sent(tmp_path: Path) -> None:
    target = ScriptedTarget([no_delivery(TransientError("yuki", "no answer in time"))], [True])
    report, state = deliver(tmp_path, target)
    assert (target.posts, state, report.recovered) == (1, OrderState.SENT, 1)


class FailingSource(NoSource):
    """Five paid orders, then the shop fails past every retry."""

    def changed(self, since: dt.datetime, until: dt.datetime) -> Iterator[dict[str, Any]]:
        for record in generate_orders(5, seed=3, unpaid_share=0.0, unreferenced_share=0.0):
            yield fetched_document(record)
        raise TransientError("PrestaShop", "the shop failed to answer (HTTP 500)", status=500)


def test_orders_claimed_when_the_shop_fails_are_still_posted(tmp_path: Path) -> None:
    config = ShopConfig(SHOP, "prestashop-yuki", {"type": "prestashop"}, {"type": "yuki"})
    target = ScriptedTarget([Delivery("sent", reference="R")], [True])
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        sync = ShopSync(config, ledger, source=FailingSource(), target=target)
        with pytest.raises(TransientError, match="failed to answer"):
            sync.sync()
        counts = ledger.counts(SHOP)
    assert target.posts == 1
    assert (counts[OrderState.SENT], counts[OrderState.SENDING]) == (5, 0)
