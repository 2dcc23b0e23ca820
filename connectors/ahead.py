"""Requests started ahead: a client starts the requests it will need next (the next page of
orders, a page's customers and addresses) in a few threads of its own, so that the shop's
latency is paid once for all of them instead of once each; the sync pipeline posts a batch in
one such thread while it maps the next chunk.

The threads are the client's own and only make requests (httpx's `Client` is made to be used
from several threads); the caller takes each answer — or the error that came instead, raised
where the caller asks for it — in the order it needs them, so what it does with them stays
in one thread and in order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
A = TypeVar("A")


class Ahead:
    """Up to `workers` calls under way at once, in threads started when first needed."""

    def __init__(self, workers: int, name: str) -> None:
        self.workers = workers
        self.name = name
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def start(self, call: Callable[..., T], *args: object) -> Future[T]:
        """`call(*args)` started; its result (or error) from `.result()`."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix=self.name)
            return self._pool.submit(call, *args)

    def in_turn(self, call: Callable[[A], T], arguments: Sequence[A]) -> Iterator[T]:
        """`call(argument)` for each argument, in order; the next call is started as each
        answer is handed over, so it runs while the caller works on that answer."""
        if not arguments:
            return
        upcoming = self.start(call, arguments[0])
        for following in arguments[1:]:
            answer = upcoming.result()
            upcoming = self.start(call, following)
            yield answer
        yield upcoming.result()

    def close(self) -> None:
        """Wait for the calls under way; the threads end."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
