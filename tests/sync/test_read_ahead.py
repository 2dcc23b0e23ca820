"""Reading the shop's documents ahead in a thread: same order, same errors, bounded, stoppable."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from mapper.engine.sync.read_ahead import read_ahead


class Source:
    """A source of numbers that records how far it was read and whether it was closed."""

    def __init__(self, count: int, fail_at: int | None = None) -> None:
        self.count = count
        self.fail_at = fail_at
        self.produced = 0
        self.closed = False
        self.threads: set[str] = set()

    def __iter__(self) -> Iterator[int]:
        try:
            for number in range(self.count):
                self.threads.add(threading.current_thread().name)
                if number == self.fail_at:
                    raise ConnectionError(f"lost at {number}")
                self.produced += 1
                yield number
        finally:
            self.closed = True


def test_every_item_comes_in_order_from_another_thread() -> None:
    source = Source(1000)
    assert list(read_ahead(iter(source), 7)) == list(range(1000))
    assert source.closed
    assert source.threads == {"mapper-read-ahead"}


def test_a_failure_is_raised_where_the_item_would_have_come() -> None:
    source = Source(50, fail_at=30)
    received = []
    with pytest.raises(ConnectionError, match="lost at 30"):
        for item in read_ahead(iter(source), 5):
            received.append(item)
    assert received == list(range(30))


def test_closing_early_stops_the_thread_and_reads_at_most_size_more() -> None:
    source = Source(10_000)
    ahead = read_ahead(iter(source), 10)
    assert [next(ahead), next(ahead)] == [0, 1]
    ahead.close()
    # 2 taken, 10 waiting in the queue, 1 in the producer's hands when it saw the stop.
    assert source.produced <= 2 + 10 + 1
    assert source.closed
    assert not any(t.name == "mapper-read-ahead" for t in threading.enumerate())


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        next(read_ahead(iter([1]), 0))
